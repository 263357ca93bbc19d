package mediatest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
)

// TestPKIHandshake: the server and client configs complete a mutually
// authenticated handshake, and the PEM files hold what they say.
func TestPKIHandshake(t *testing.T) {
	p := NewPKI(t)
	srvCfg := p.ServerTLS()
	srvCfg.ClientAuth = tls.RequireAndVerifyClientCert
	l, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).Handshake()
		if err == nil && len(c.(*tls.Conn).ConnectionState().PeerCertificates) == 0 {
			err = net.ErrClosed
		}
		done <- err
	}()
	cliCfg := p.ClientTLS()
	cliCfg.ServerName = "127.0.0.1"
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}

	for _, path := range []string{p.CACert, p.ServerCert, p.ClientCert} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			t.Fatalf("%s: not a PEM certificate", path)
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	for _, path := range []string{p.ServerPEM, p.ClientPEM} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cert, rest := pem.Decode(b)
		key, _ := pem.Decode(rest)
		if cert == nil || key == nil || cert.Type != "CERTIFICATE" || key.Type != "PRIVATE KEY" {
			t.Fatalf("%s: want a certificate then a key", path)
		}
	}
}
