package trunk

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/tokenizer/tokenizertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Test passwords and numbers. Tests assert that none of them shows up in
// JSON, formatted output, logs, audit entries or stored settings.
const (
	inPassword  = "in-s3cret-Pa55word"
	outPassword = "out-s3cret-Pa55word"
	didNumber   = "+74951234567"
)

// valid returns a trunk that passes Validate and sets most fields.
func valid() Trunk {
	return Trunk{
		ID:          "pbx-main",
		Description: "Main office Asterisk",
		Host:        "pbx.example.com",
		Port:        5061,
		Transport:   "tls",
		TLS:         TLS{ServerName: "pbx.example.com", CA: testCA, RequireClientCert: true, ClientName: "pbx.example.com"},
		AllowFrom:   []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		Inbound:     &Credentials{Username: "pbx", Password: NewSecret(inPassword)},
		Outbound:    &Credentials{Username: "kordon", Password: NewSecret(outPassword)},
		SRTP:        SRTPMandatory,
		Codecs:      []string{CodecPCMA, CodecPCMU},
		Routes:      map[string]string{didNumber: "sales", "*": "reception"},
		CallerID:    "+74950000001",
		Limits:      Limits{MaxCalls: 10, MaxCPS: 2, RingTimeout: Duration(20 * time.Second), MaxDuration: Duration(30 * time.Minute)},
	}
}

// testCA is a self-signed CA certificate in PEM.
var testCA = func() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test PBX CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

// admin is a principal with the config scope.
var admin = tokenizer.Principal{
	Actor:  audit.Actor{Type: audit.ActorCLI, ID: "root"},
	Scopes: []tokenizer.Scope{tokenizer.ScopeConfig},
	Remote: "local",
}

// fakeDNS resolves names from a map; tests change it between refreshes.
type fakeDNS struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
	calls int
}

func (d *fakeDNS) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	a, ok := d.hosts[host]
	if !ok {
		return nil, fmt.Errorf("no such host %s", host)
	}
	return append([]netip.Addr(nil), a...), nil
}

// lookups returns how many lookups there were.
func (d *fakeDNS) lookups() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

func (d *fakeDNS) set(host string, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hosts == nil {
		d.hosts = map[string][]netip.Addr{}
	}
	var as []netip.Addr
	for _, a := range addrs {
		as = append(as, netip.MustParseAddr(a))
	}
	d.hosts[host] = as
}

// env is a repo over a real appliance core.
type env struct {
	core *tokenizertest.Env
	repo *Repo
	dns  *fakeDNS
}

func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	core := tokenizertest.New(t, tokenizertest.Options{})
	dns := &fakeDNS{}
	dns.set("pbx.example.com", "192.0.2.10")
	cfg := Config{DB: core.DB, Keys: core.Provider, Audit: core.Audit, Resolve: dns.resolve}
	if edit != nil {
		edit(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{core: core, repo: r, dns: dns}
}

// entries returns the audit entries with action.
func (e *env) entries(t *testing.T, action string) []audit.Entry {
	t.Helper()
	all, _ := e.core.Entries(t)
	var out []audit.Entry
	for _, en := range all {
		if en.Action == action {
			out = append(out, en)
		}
	}
	return out
}

// cmpOpts compares trunks, including their resolved addresses and their
// secrets.
var cmpOpts = []cmp.Option{
	cmp.AllowUnexported(Trunk{}),
	cmp.Comparer(func(a, b Secret) bool { return a.s == b.s }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}
