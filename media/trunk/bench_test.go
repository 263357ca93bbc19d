package trunk

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkMatch measures the per-request lookup of the SIP edge in a set
// of 200 trunks: half allow-listed by network, half by host address.
func BenchmarkMatch(b *testing.B) {
	var trunks []*Trunk
	for i := range 200 {
		t := Trunk{ID: fmt.Sprintf("t%03d", i), Host: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)}
		if i%2 == 0 {
			t.AllowFrom = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 2, byte(i), 0}), 24)}
		}
		d := t.WithDefaults()
		trunks = append(trunks, &d)
	}
	s := newSet(trunks, [32]byte{})
	srcs := []netip.Addr{netip.MustParseAddr("10.1.0.2"), netip.MustParseAddr("10.2.100.7"), netip.MustParseAddr("192.0.2.1")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Match(srcs[i%len(srcs)])
	}
}
