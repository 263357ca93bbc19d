package stream

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// portRange hands out RTP/RTCP port pairs from a fixed range. It scans
// round-robin from where it last stopped, so a freed pair is reused only
// after the rest of the range: late packets of an ended call then find no
// socket instead of a new call's.
type portRange struct {
	min   int // first (even) RTP port
	pairs int

	mu   sync.Mutex
	used []bool
	next int // pair to try first
}

func newPortRange(lo, hi int) (*portRange, error) {
	if lo < 1024 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("port range %d-%d: want 1024 <= PortMin <= PortMax <= 65535", lo, hi)
	}
	lo += lo & 1
	pairs := (hi - lo + 1) / 2
	if pairs < 1 {
		return nil, fmt.Errorf("port range %d-%d holds no even/odd port pair", lo, hi)
	}
	return &portRange{min: lo, pairs: pairs, used: make([]bool, pairs)}, nil
}

// bind reserves a pair and binds both sockets on addr. A pair whose ports
// another process holds is skipped.
func (r *portRange) bind(addr netip.Addr) (int, *net.UDPConn, *net.UDPConn, error) {
	network := "udp4"
	if addr.Is6() && !addr.Is4In6() {
		network = "udp6"
	}
	addr = addr.Unmap()
	for range r.pairs {
		i, ok := r.reserve()
		if !ok {
			break
		}
		port := r.min + 2*i
		a, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
		if err != nil {
			r.release(port)
			continue
		}
		b, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port+1))))
		if err != nil {
			a.Close()
			r.release(port)
			continue
		}
		return port, a, b, nil
	}
	return 0, nil, nil, errors.New("no free RTP port pair in range")
}

// reserve marks the next free pair used.
func (r *portRange) reserve() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.pairs {
		i := (r.next + k) % r.pairs
		if !r.used[i] {
			r.used[i] = true
			r.next = (i + 1) % r.pairs
			return i, true
		}
	}
	return 0, false
}

// release frees the pair whose RTP port is port.
func (r *portRange) release(port int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.used[(port-r.min)/2] = false
}
