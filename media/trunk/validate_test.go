package trunk

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kordon/types/fault"
)

func TestValidate(t *testing.T) {
	prefix := netip.MustParsePrefix
	tests := []struct {
		name string
		edit func(*Trunk)
		want []string // fields with problems, in order
	}{
		{"valid", func(*Trunk) {}, nil},
		{"minimal", func(t *Trunk) { *t = Trunk{ID: "a", Host: "192.0.2.1"} }, nil},
		{"id empty", func(t *Trunk) { t.ID = "" }, []string{"id"}},
		{"id upper case", func(t *Trunk) { t.ID = "PBX" }, []string{"id"}},
		{"id starts with digit", func(t *Trunk) { t.ID = "1pbx" }, []string{"id"}},
		{"id 33 characters", func(t *Trunk) { t.ID = "a" + strings.Repeat("b", 32) }, []string{"id"}},
		{"id 32 characters", func(t *Trunk) { t.ID = "a" + strings.Repeat("b", 31) }, nil},
		{"id phone-shaped", func(t *Trunk) { t.ID = "p74951234567" }, []string{"id"}},
		{"description with number", func(t *Trunk) { t.Description = "call 8 9123456789" }, []string{"description"}},
		{"description with 6 digits", func(t *Trunk) { t.Description = "room 123456" }, nil},
		{"description too long", func(t *Trunk) { t.Description = strings.Repeat("x", 257) }, []string{"description"}},
		{"description control", func(t *Trunk) { t.Description = "a\x1bb" }, []string{"description"}},
		{"host missing", func(t *Trunk) { t.Host = "" }, []string{"host"}},
		{"host with scheme", func(t *Trunk) { t.Host = "sip://pbx.example.com" }, []string{"host"}},
		{"host sip uri", func(t *Trunk) { t.Host = "sip:pbx.example.com" }, []string{"host"}},
		{"host with port", func(t *Trunk) { t.Host = "pbx.example.com:5061" }, []string{"host"}},
		{"host bad label", func(t *Trunk) { t.Host = "pbx_1.example.com" }, []string{"host"}},
		{"host bad ipv4", func(t *Trunk) { t.Host = "192.0.2.300" }, []string{"host"}},
		{"host ipv6", func(t *Trunk) { t.Host = "2001:db8::1" }, nil},
		{"host zone", func(t *Trunk) { t.Host = "fe80::1%eth0" }, []string{"host"}},
		{"host unspecified", func(t *Trunk) { t.Host = "0.0.0.0" }, []string{"host"}},
		{"port 0 is default", func(t *Trunk) { t.Port = 0 }, nil},
		{"port too big", func(t *Trunk) { t.Port = 65536 }, []string{"port"}},
		{"port negative", func(t *Trunk) { t.Port = -1 }, []string{"port"}},
		{"transport unknown", func(t *Trunk) { t.Transport = "sctp" }, []string{"transport"}},
		{"tcp needs insecure", func(t *Trunk) { t.Transport, t.TLS = "tcp", TLS{} }, []string{"transport"}},
		{"udp insecure", func(t *Trunk) { t.Transport, t.TLS, t.Insecure = "udp", TLS{}, true }, nil},
		{"server name bad", func(t *Trunk) { t.TLS.ServerName = "bad name" }, []string{"tls.server_name"}},
		{"client cert needs ca", func(t *Trunk) { t.TLS.CA = "" }, []string{"tls.require_client_cert"}},
		{"client cert needs tls", func(t *Trunk) { t.Transport, t.Insecure = "tcp", true }, []string{"tls.require_client_cert"}},
		{"client name without client cert", func(t *Trunk) { t.TLS.RequireClientCert = false }, []string{"tls.client_name"}},
		{"client name with space", func(t *Trunk) { t.TLS.ClientName = "a b" }, []string{"tls.client_name"}},
		{"ca garbage", func(t *Trunk) { t.TLS.CA = "not pem" }, []string{"tls.ca"}},
		{"ca private key", func(t *Trunk) {
			t.TLS.CA = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, []string{"tls.ca"}},
		{"ca bad certificate", func(t *Trunk) {
			t.TLS.CA = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		}, []string{"tls.ca"}},
		{"ca trailing text", func(t *Trunk) { t.TLS.CA += "junk" }, []string{"tls.ca"}},
		{"ca two certificates", func(t *Trunk) { t.TLS.CA += testCA }, nil},
		{"allow host bits", func(t *Trunk) { t.AllowFrom = []netip.Prefix{prefix("192.0.2.1/24")} }, []string{"allow_from[0]"}},
		{"allow single host", func(t *Trunk) { t.AllowFrom = []netip.Prefix{prefix("192.0.2.1/32")} }, nil},
		{"allow invalid", func(t *Trunk) { t.AllowFrom = []netip.Prefix{{}} }, []string{"allow_from[0]"}},
		{"allow everyone with auth", func(t *Trunk) { t.AllowFrom = []netip.Prefix{prefix("0.0.0.0/0")} }, nil},
		{"allow everyone without auth", func(t *Trunk) {
			t.AllowFrom, t.Inbound, t.TLS = []netip.Prefix{prefix("0.0.0.0/0")}, nil, TLS{}
		}, []string{"allow_from[0]"}},
		{"inbound username missing", func(t *Trunk) { t.Inbound.Username = "" }, []string{"inbound_auth.username"}},
		{"inbound username not a token", func(t *Trunk) { t.Inbound.Username = "a b" }, []string{"inbound_auth.username"}},
		{"inbound username long", func(t *Trunk) { t.Inbound.Username = strings.Repeat("u", 65) }, []string{"inbound_auth.username"}},
		{"inbound password missing", func(t *Trunk) { t.Inbound.Password = Secret{} }, []string{"inbound_auth.password"}},
		{"outbound password short", func(t *Trunk) { t.Outbound.Password = NewSecret("1234567") }, []string{"outbound_auth.password"}},
		{"outbound password 8", func(t *Trunk) { t.Outbound.Password = NewSecret("12345678") }, nil},
		{"outbound password 128 runes", func(t *Trunk) { t.Outbound.Password = NewSecret(strings.Repeat("ж", 128)) }, nil},
		{"outbound password 129", func(t *Trunk) { t.Outbound.Password = NewSecret(strings.Repeat("x", 129)) }, []string{"outbound_auth.password"}},
		{"outbound password control", func(t *Trunk) { t.Outbound.Password = NewSecret("abcdefgh\n") }, []string{"outbound_auth.password"}},
		{"srtp unknown", func(t *Trunk) { t.SRTP = "required" }, []string{"srtp"}},
		{"srtp optional", func(t *Trunk) { t.SRTP = SRTPOptional }, nil},
		{"codec unknown", func(t *Trunk) { t.Codecs = []string{"PCMU", "G729"} }, []string{"codecs[1]"}},
		{"codec twice", func(t *Trunk) { t.Codecs = []string{"PCMU", "PCMA", "PCMU"} }, []string{"codecs[2]"}},
		{"route key letters", func(t *Trunk) { t.Routes = map[string]string{"sales": "sales"} }, []string{`routes["sales"]`}},
		{"route key too long", func(t *Trunk) { t.Routes = map[string]string{strings.Repeat("1", 33): "sales"} }, []string{`routes["[redacted]"]`}},
		{"route star codes", func(t *Trunk) { t.Routes = map[string]string{"*100#": "menu"} }, nil},
		{"route scenario upper", func(t *Trunk) { t.Routes = map[string]string{"*": "Sales"} }, []string{`routes["*"]`}},
		{"route scenario phone", func(t *Trunk) { t.Routes = map[string]string{"*": "s89123456789"} }, []string{`routes["*"]`}},
		{"caller id long", func(t *Trunk) { t.CallerID = strings.Repeat("1", 33) }, []string{"caller_id"}},
		{"caller id bad", func(t *Trunk) { t.CallerID = "a b" }, []string{"caller_id"}},
		{"caller id escapes", func(t *Trunk) { t.CallerID = "a%20b" }, []string{"caller_id"}},
		{"limits negative", func(t *Trunk) {
			t.Limits = Limits{MaxCalls: -1, MaxCPS: -1, RingTimeout: -1, MaxDuration: Duration(-time.Second)}
		}, []string{"limits.max_calls", "limits.max_cps", "limits.ring_timeout", "limits.max_duration"}},
		{"limits nan", func(t *Trunk) { t.Limits.MaxCPS = math.NaN() }, []string{"limits.max_cps"}},
		{"limits zero", func(t *Trunk) { t.Limits = Limits{} }, nil},
		{"every problem at once", func(t *Trunk) {
			t.ID, t.Host, t.Port, t.SRTP = "", "", 70000, "x"
			t.Codecs = []string{"G722"}
		}, []string{"id", "host", "port", "srtp", "codecs[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := valid()
			tt.edit(&tr)
			err := tr.Validate()
			var got []string
			if err != nil {
				if !fault.Is(err, fault.Invalid) {
					t.Fatalf("kind %v, want invalid: %v", fault.KindOf(err), err)
				}
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("error is not Errors: %v", err)
				}
				got = es.Fields()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil {
				msg := err.Error()
				if strings.Contains(msg, "\n") {
					t.Errorf("error is not one line: %q", msg)
				}
				for _, secret := range []string{inPassword, outPassword, "74951234567", "9123456789", "1234567"} {
					if strings.Contains(msg, secret) {
						t.Errorf("error holds %q: %s", secret, msg)
					}
				}
			}
		})
	}
}

// TestUpdateMayKeepPasswords checks the relaxation the repo uses: a
// password it stores may be left out.
func TestUpdateMayKeepPasswords(t *testing.T) {
	tr := valid()
	tr.Inbound.Password, tr.Outbound.Password = Secret{}, Secret{}
	if es := tr.check(kept{inbound: true, outbound: true}); len(es) != 0 {
		t.Fatalf("kept passwords refused: %v", es)
	}
	if got := tr.check(kept{inbound: true}).Fields(); !cmp.Equal(got, []string{"outbound_auth.password"}) {
		t.Fatalf("fields %v, want the outbound password only", got)
	}
}

func TestNormalize(t *testing.T) {
	tr := Trunk{
		ID: "pbx", Description: "  Main  ", Host: " [2001:DB8::1] ", Transport: "TLS", SRTP: "Optional",
		TLS:    TLS{ServerName: "PBX.Example.COM"},
		Codecs: []string{"pcma", " Pcmu "}, AllowFrom: []netip.Prefix{}, Routes: map[string]string{},
		Inbound: &Credentials{Username: " pbx "},
	}
	tr.Normalize()
	want := Trunk{
		ID: "pbx", Description: "Main", Host: "2001:db8::1", Transport: "tls", SRTP: "optional",
		TLS:     TLS{ServerName: "pbx.example.com"},
		Codecs:  []string{"PCMA", "PCMU"},
		Inbound: &Credentials{Username: "pbx"},
	}
	if diff := cmp.Diff(want, tr, cmpOpts...); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	again := tr.clone()
	again.Normalize()
	if diff := cmp.Diff(tr, again, cmpOpts...); diff != "" {
		t.Fatalf("not idempotent (-once +twice):\n%s", diff)
	}
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Trunk
		want Trunk
	}{
		{"tls", Trunk{ID: "a", Host: "pbx.example.com"}, Trunk{
			ID: "a", Host: "pbx.example.com", Port: 5061, Transport: "tls", TLS: TLS{ServerName: "pbx.example.com"},
			SRTP: "mandatory", Codecs: []string{"PCMU", "PCMA"}, CallerID: "kordon",
			Limits: Limits{MaxCalls: 100, MaxCPS: 10, RingTimeout: Duration(30 * time.Second), MaxDuration: Duration(time.Hour)},
		}},
		{"udp with outbound user", Trunk{ID: "a", Host: "192.0.2.1", Transport: "udp", Insecure: true, Outbound: &Credentials{Username: "robot"}}, Trunk{
			ID: "a", Host: "192.0.2.1", Port: 5060, Transport: "udp", Insecure: true, TLS: TLS{ServerName: "192.0.2.1"},
			Outbound: &Credentials{Username: "robot"},
			SRTP:     "mandatory", Codecs: []string{"PCMU", "PCMA"}, CallerID: "robot",
			Limits: Limits{MaxCalls: 100, MaxCPS: 10, RingTimeout: Duration(30 * time.Second), MaxDuration: Duration(time.Hour)},
		}},
		{"set values stay", valid(), valid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.WithDefaults()
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if err := got.Validate(); tt.in.Validate() == nil && err != nil {
				t.Fatalf("defaults made a valid trunk invalid: %v", err)
			}
		})
	}
}
