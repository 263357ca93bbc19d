package media

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
)

// tlsConns remembers the TLS connections the listener accepted, by remote
// address, so that a request can be checked against the client
// certificate of the connection it arrived on. sipgo hands handlers the
// request's source address but not its connection.
type tlsConns struct {
	mu sync.Mutex
	m  map[string]*tls.Conn
}

func newTLSConns() *tlsConns { return &tlsConns{m: make(map[string]*tls.Conn)} }

// peerCertificates returns the verified-by-nobody-yet chain the client at
// remote presented, or nil.
func (t *tlsConns) peerCertificates(remote string) []*x509.Certificate {
	t.mu.Lock()
	c := t.m[remote]
	t.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.ConnectionState().PeerCertificates
}

func (t *tlsConns) listener(ln net.Listener) net.Listener {
	return &trackingListener{Listener: ln, t: t}
}

type trackingListener struct {
	net.Listener
	t *tlsConns
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*tls.Conn)
	if !ok {
		return c, nil
	}
	key := c.RemoteAddr().String()
	l.t.mu.Lock()
	l.t.m[key] = tc
	l.t.mu.Unlock()
	return &trackedConn{Conn: tc, t: l.t, key: key}, nil
}

type trackedConn struct {
	*tls.Conn
	t    *tlsConns
	key  string
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		if c.t.m[c.key] == c.Conn {
			delete(c.t.m, c.key)
		}
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// verifyChain checks that certs chain to roots and, when name is set, that
// the leaf names it (DNS or URI SAN, or the subject common name, which
// many PBX certificates still use).
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, name string, usage x509.ExtKeyUsage) error {
	if len(certs) == 0 {
		return errors.New("no certificate presented")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	if leaf.VerifyHostname(name) == nil || strings.EqualFold(leaf.Subject.CommonName, name) {
		return nil
	}
	for _, u := range leaf.URIs {
		if u.String() == name {
			return nil
		}
	}
	return errors.New("certificate does not name " + name)
}
