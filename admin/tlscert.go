package admin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kordon/types/fault"
)

// selfSignedValidity is the lifetime of a generated certificate: 825 days,
// the longest that Apple platforms accept for a TLS server certificate.
const selfSignedValidity = 825 * 24 * time.Hour

// EnsureSelfSigned makes sure a certificate and key exist at certPath and
// keyPath, generating a self-signed ECDSA P-256 pair if neither does. The
// certificate names 127.0.0.1, ::1 and localhost plus hosts (IP addresses
// or DNS names) and is valid for 825 days. The key file is written 0600,
// directories it creates 0700; both files are written to a temporary name,
// synced and renamed, so a crash never leaves half a file. It reports
// whether it created the pair. When both files exist it does nothing; when
// only one does it fails rather than replace it.
func EnsureSelfSigned(certPath, keyPath string, hosts []string) (created bool, err error) {
	const op = "admin.EnsureSelfSigned"
	certOK, err := exists(certPath)
	if err != nil {
		return false, fault.E(op, fault.Unavailable, err)
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return false, fault.E(op, fault.Unavailable, err)
	}
	switch {
	case certOK && keyOK:
		return false, nil
	case certOK || keyOK:
		return false, fault.E(op, fault.Conflict, fmt.Errorf("found only one of %s and %s; restore the other or remove both to generate a new pair", certPath, keyPath))
	}
	tmpl, err := selfSignedTemplate(hosts, time.Now())
	if err != nil {
		return false, fault.E(op, fault.Invalid, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fault.E(op, fault.Internal, fmt.Errorf("generate key: %w", err))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return false, fault.E(op, fault.Internal, fmt.Errorf("create certificate: %w", err))
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fault.E(op, fault.Internal, fmt.Errorf("encode key: %w", err))
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	clear(keyDER)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// The key first: a crash between the two leaves a key without a
	// certificate, which the next start reports instead of serving.
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return false, fault.E(op, fault.Unavailable, err)
	}
	clear(keyPEM)
	if err := writeAtomic(certPath, certPEM, 0o644); err != nil {
		return false, fault.E(op, fault.Unavailable, err)
	}
	return true, nil
}

// selfSignedTemplate builds the certificate for the default names and
// hosts.
func selfSignedTemplate(hosts []string, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("draw serial number: %w", err)
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Kordon"}, CommonName: "Kordon appliance (self-signed)"},
		NotBefore:             now.Add(-time.Hour), // tolerate a client clock slightly behind
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(h); ip != nil {
			if !containsIP(t.IPAddresses, ip) {
				t.IPAddresses = append(t.IPAddresses, ip)
			}
			continue
		}
		if !validHostname(h) {
			return nil, fmt.Errorf("host %q is neither an IP address nor a DNS name", h)
		}
		if h = strings.ToLower(strings.TrimSuffix(h, ".")); !containsString(t.DNSNames, h) {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	return t, nil
}

// validHostname accepts DNS names of letters, digits, hyphens and dots,
// with an optional leading wildcard label.
func validHostname(h string) bool {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "*."), ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// exists reports whether path exists.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// writeAtomic writes b to path with mode perm through a synced temporary
// file in the same directory and a rename, then syncs the directory, so
// path holds either nothing or all of b. Missing directories are created
// 0700.
func writeAtomic(path string, b []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := mkdirPrivate(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// mkdirPrivate creates dir and any missing parents with mode 0700 (not
// subject to the umask). Directories that exist keep their mode: they may
// be shared ones such as /etc/kordon that packaging owns.
func mkdirPrivate(dir string) error {
	if ok, err := exists(dir); err != nil || ok {
		return err
	}
	if err := mkdirPrivate(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	return nil
}
