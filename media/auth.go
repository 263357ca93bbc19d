package media

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"kordon/media/trunk"
)

// refusal is an inbound request the edge turns away: the status to answer
// and the reason to log. Reasons never hold the caller's number.
type refusal struct {
	status int
	phrase string
	why    string
}

func (r *refusal) Error() string { return fmt.Sprintf("%d %s: %s", r.status, r.phrase, r.why) }

// admission is an inbound INVITE that passed the trunk checks.
type admission struct {
	trunk    *trunk.Trunk
	scenario string
}

// admit finds the trunk an out-of-dialog INVITE arrived on and checks it:
// source address against the allow-list, the transport, the client
// certificate when the trunk requires mutual TLS, the dialled number
// against the routes, and digest credentials. A digest challenge is
// answered here (401) and reported as a refusal with status 401.
func (e *Edge) admit(req *sip.Request, tx sip.ServerTransaction, src netip.AddrPort) (*admission, *refusal) {
	set := e.cfg.Trunks.Current()
	secure := strings.EqualFold(req.Transport(), "TLS")
	var candidates []*trunk.Trunk
	for _, t := range set.Match(src.Addr()) {
		if secure == (t.Transport == "tls") {
			candidates = append(candidates, t)
		}
	}
	if len(candidates) == 0 {
		return nil, &refusal{403, "Forbidden", "source address is on no trunk's allow-list for this transport"}
	}
	// Mutual TLS: keep the trunks whose CA verifies the presented chain.
	var certs []*x509.Certificate
	if secure {
		certs = e.conns.peerCertificates(req.Source())
	}
	kept := candidates[:0:0]
	var certErr error
	for _, t := range candidates {
		if t.TLS.RequireClientCert {
			if err := verifyChain(certs, e.pool(t.TLS.CA), t.TLS.ClientName, x509.ExtKeyUsageClientAuth); err != nil {
				certErr = err
				continue
			}
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		return nil, &refusal{403, "Forbidden", "client certificate refused: " + certErr.Error()}
	}
	// Route: the first trunk with an exact route, else the first with a
	// catch-all.
	dialled := req.Recipient.User
	var chosen *trunk.Trunk
	var scenario string
	for _, exact := range []bool{true, false} {
		for _, t := range kept {
			if s, ok := t.Routes[dialled]; ok && exact {
				chosen, scenario = t, s
				break
			}
			if s, ok := t.Routes["*"]; ok && !exact {
				chosen, scenario = t, s
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		return nil, &refusal{404, "Not Found", "the dialled number has no route on the trunk"}
	}
	if cred := chosen.Inbound; cred != nil {
		if !e.nonces.checkDigest(req, chosen.ID, cred.Username, cred.Password.Reveal()) {
			chal := e.nonces.issue(chosen.ID)
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
			tx.Respond(res)
			why := "digest credentials missing"
			if req.GetHeader("Authorization") != nil {
				why = "digest credentials wrong or stale"
			}
			return nil, &refusal{401, "Unauthorized", why}
		}
	}
	return &admission{trunk: chosen, scenario: scenario}, nil
}

// pool returns the certificate pool for a trunk's CA PEM, nil (the
// system roots) when it is empty.
func (e *Edge) pool(pem string) *x509.CertPool {
	if pem == "" {
		return nil
	}
	if p, ok := e.pools.Load(pem); ok {
		return p.(*x509.CertPool)
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM([]byte(pem))
	e.pools.Store(pem, p)
	return p
}

// clientTLS is the TLS configuration for connections the edge opens to
// PBXs. sipgo has one client configuration for every destination, so the
// standard verification is replaced by one that finds the trunk the
// connection is for (by the server name sipgo sets: the trunk's host) and
// verifies against that trunk's CA and expected name. The edge presents
// its own certificate to PBXs that ask for one.
func (e *Edge) clientTLS() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			var last error = errors.New("no TLS trunk has host " + cs.ServerName)
			for _, t := range e.cfg.Trunks.Current().All() {
				if t.Transport != "tls" || !strings.EqualFold(t.Host, cs.ServerName) {
					continue
				}
				if last = verifyChain(cs.PeerCertificates, e.pool(t.TLS.CA), t.TLS.ServerName, x509.ExtKeyUsageServerAuth); last == nil {
					return nil
				}
			}
			return last
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &e.cfg.Certificate, nil
		},
	}
}
