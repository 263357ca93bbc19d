package mediatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Stunnel is an stunnel4 process that adds or removes TLS in front of a
// plain-TCP peer. Debian's sipp has no TLS, so sipp reaches a TLS server
// through a client tunnel, and a TLS client reaches sipp's own UAS through
// a server tunnel.
type Stunnel struct {
	Port int    // the port it accepts on, on 127.0.0.1
	Addr string // 127.0.0.1:Port
	proc *process
}

// StartStunnelClient accepts plain TCP on a free port and forwards each
// connection over TLS to target (host:port), verifying the target's
// certificate against the PKI's CA and its IP or name, and presenting the
// PKI's client certificate for servers that ask for one.
func StartStunnelClient(t testing.TB, pki *PKI, target string) *Stunnel {
	t.Helper()
	host := target[:strings.LastIndexByte(target, ':')]
	check := "checkHost = " + host
	if host == "127.0.0.1" || strings.Count(host, ".") == 3 {
		check = "checkIP = " + host
	}
	return startStunnel(t, "stunnel-client", func(port int) string {
		return fmt.Sprintf(`[sip-tls-client]
client = yes
accept = %s
connect = %s
CAfile = %s
verifyChain = yes
%s
cert = %s
key = %s
`, addr(port), target, pki.CACert, check, pki.ClientCert, pki.ClientKey)
	})
}

// StartStunnelServer accepts TLS on a free port with the PKI's server
// certificate and forwards the plain stream to backend (host:port). It
// does not ask for client certificates.
func StartStunnelServer(t testing.TB, pki *PKI, backend string) *Stunnel {
	t.Helper()
	return startStunnel(t, "stunnel-server", func(port int) string {
		return fmt.Sprintf(`[sip-tls-server]
accept = %s
connect = %s
cert = %s
key = %s
`, addr(port), backend, pki.ServerCert, pki.ServerKey)
	})
}

func startStunnel(t testing.TB, name string, service func(port int) string) *Stunnel {
	t.Helper()
	Require(t, "stunnel4")
	port := PortBlock(t, 1)
	dir := t.TempDir()
	conf := "foreground = yes\npid =\ndebug = notice\nsyslog = no\n" + service(port)
	path := filepath.Join(dir, "stunnel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatalf("mediatest: %s: %v", name, err)
	}
	s := &Stunnel{Port: port, Addr: addr(port)}
	s.proc = startProcess(t, name, dir, "stunnel4", path)
	s.proc.mustBeReady(t, "listening on "+s.Addr, func() bool { return listening("tcp", port) })
	return s
}

// Log returns stunnel's output (connection and TLS errors).
func (s *Stunnel) Log() string { return s.proc.Log() }
