package mediatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority with one server and one client
// certificate, written as PEM files for the peers and usable from Go.
// Keys are ECDSA P-256: baresip 1.0.0 (libre on OpenSSL 3), stunnel 5.68
// and Kamailio 5.6 all accept them, and they are fast to make.
type PKI struct {
	Dir string // the temp dir holding the files

	CACert string // CA certificate (the trust anchor for every peer)

	ServerCert string // server certificate: SAN IP 127.0.0.1, DNS localhost
	ServerKey  string // its PKCS#8 private key
	ServerPEM  string // certificate then key in one file, as baresip wants

	ClientCert string // client certificate for mutual TLS (CN kordon-test-client)
	ClientKey  string
	ClientPEM  string

	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
}

// NewPKI makes a CA, a server and a client certificate valid for a day and
// writes them under a new t.TempDir().
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{Dir: t.TempDir()}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mediatest.NewPKI: %v", err)
	}
	now := time.Now().Add(-time.Hour) // tolerate a peer's clock skew
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kordon-test-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(25 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("mediatest.NewPKI: CA: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("mediatest.NewPKI: CA: %v", err)
	}
	p.CACert = filepath.Join(p.Dir, "ca.crt")
	writePEM(t, p.CACert, pemBlock("CERTIFICATE", caDER))
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)

	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, server bool) (tls.Certificate, []byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("mediatest.NewPKI: %v", err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now,
			NotAfter:     now.Add(25 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		if server {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatalf("mediatest.NewPKI: %s: %v", name, err)
		}
		pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("mediatest.NewPKI: %s: %v", name, err)
		}
		certPEM, keyPEM := pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", pkcs8)
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("mediatest.NewPKI: %s: %v", name, err)
		}
		return pair, certPEM, keyPEM
	}

	var certPEM, keyPEM []byte
	p.server, certPEM, keyPEM = leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, true)
	p.ServerCert, p.ServerKey, p.ServerPEM = p.files(t, "server", certPEM, keyPEM)
	p.client, certPEM, keyPEM = leaf(3, "kordon-test-client", x509.ExtKeyUsageClientAuth, false)
	p.ClientCert, p.ClientKey, p.ClientPEM = p.files(t, "client", certPEM, keyPEM)
	return p
}

// CAPool returns a pool holding the test CA.
func (p *PKI) CAPool() *x509.CertPool { return p.pool }

// ServerTLS returns a server config with the server certificate. It asks
// for a client certificate and verifies one if given; tests of mutual TLS
// set ClientAuth to tls.RequireAndVerifyClientCert.
func (p *PKI) ServerTLS() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientCAs:    p.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientTLS returns a client config that trusts the test CA and presents
// the client certificate.
func (p *PKI) ClientTLS() *tls.Config {
	return &tls.Config{
		RootCAs:      p.pool,
		Certificates: []tls.Certificate{p.client},
		MinVersion:   tls.VersionTLS12,
	}
}

// files writes name.crt, name.key and name.pem (certificate then key).
func (p *PKI) files(t testing.TB, name string, certPEM, keyPEM []byte) (cert, key, both string) {
	cert = filepath.Join(p.Dir, name+".crt")
	key = filepath.Join(p.Dir, name+".key")
	both = filepath.Join(p.Dir, name+".pem")
	writePEM(t, cert, certPEM)
	writePEM(t, key, keyPEM)
	writePEM(t, both, append(append([]byte{}, certPEM...), keyPEM...))
	return cert, key, both
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// writePEM writes a file only its owner reads: peers run as the same user.
func writePEM(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("mediatest.NewPKI: %v", err)
	}
}
