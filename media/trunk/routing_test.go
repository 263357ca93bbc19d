package trunk

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kordon/media/codec"
)

func TestAddressAndURI(t *testing.T) {
	tests := []struct {
		name      string
		tr        Trunk
		addr, uri string
	}{
		{"tls default port", Trunk{Host: "pbx.example.com"}, "pbx.example.com:5061", "sip:+74951234567@pbx.example.com:5061;transport=tls"},
		{"udp default port", Trunk{Host: "192.0.2.1", Transport: "udp"}, "192.0.2.1:5060", "sip:+74951234567@192.0.2.1:5060;transport=udp"},
		{"ipv6 own port", Trunk{Host: "2001:db8::1", Port: 5071, Transport: "tcp"}, "[2001:db8::1]:5071", "sip:+74951234567@[2001:db8::1]:5071;transport=tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tr.Address(); got != tt.addr {
				t.Errorf("Address = %q, want %q", got, tt.addr)
			}
			if got := tt.tr.URI(didNumber); got != tt.uri {
				t.Errorf("URI = %q, want %q", got, tt.uri)
			}
		})
	}
	if got := (Trunk{Host: "pbx.example.com"}).URI(""); got != "sip:pbx.example.com:5061;transport=tls" {
		t.Errorf("URI without user = %q", got)
	}
}

func TestRoute(t *testing.T) {
	tr := Trunk{Routes: map[string]string{didNumber: "sales", "*": "reception", "100": "support"}}
	only := Trunk{Routes: map[string]string{"100": "support"}}
	tests := []struct {
		name     string
		tr       Trunk
		dialled  string
		scenario string
		ok       bool
	}{
		{"exact", tr, didNumber, "sales", true},
		{"extension", tr, "100", "support", true},
		{"catch-all", tr, "200", "reception", true},
		{"no catch-all", only, "200", "", false},
		{"no routes", Trunk{}, "100", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := tt.tr.Route(tt.dialled)
			if s != tt.scenario || ok != tt.ok {
				t.Fatalf("Route(%q) = %q, %v; want %q, %v", tt.dialled, s, ok, tt.scenario, tt.ok)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	named := Trunk{Host: "pbx.example.com", addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}}
	tests := []struct {
		name string
		tr   Trunk
		ip   string
		want bool
	}{
		{"in allow list", valid(), "192.0.2.77", true},
		{"ipv6 in allow list", valid(), "2001:db8::5", true},
		{"mapped ipv4 in allow list", valid(), "::ffff:192.0.2.77", true},
		{"outside allow list", valid(), "198.51.100.1", false},
		{"allow list overrides host", Trunk{Host: "198.51.100.1", AllowFrom: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, "198.51.100.1", false},
		{"host address", Trunk{Host: "198.51.100.1"}, "198.51.100.1", true},
		{"other address", Trunk{Host: "198.51.100.1"}, "198.51.100.2", false},
		{"resolved name", named, "192.0.2.10", true},
		{"unresolved name", Trunk{Host: "pbx.example.com"}, "192.0.2.10", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tr.Allows(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Fatalf("Allows(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestCodecList(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []codec.Codec
	}{
		{"default", nil, []codec.Codec{codec.PCMU, codec.PCMA}},
		{"a-law first", []string{"PCMA", "PCMU"}, []codec.Codec{codec.PCMA, codec.PCMU}},
		{"a-law only", []string{"PCMA"}, []codec.Codec{codec.PCMA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Trunk{Codecs: tt.in}.CodecList()); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}
