package trunk

import (
	"net/netip"
	"slices"
)

// Set is an immutable view of every trunk, indexed for the SIP hot path.
// Its trunks have every default filled in (WithDefaults), their passwords
// unwrapped (in memory only, in Secret) and their host names resolved.
// A Set and the trunks it hands out are shared between goroutines and
// must not be modified; a call keeps the Set it started with, so an edit
// applies to the calls after it.
type Set struct {
	trunks []*Trunk          // by ID
	byID   map[string]*Trunk // ID → trunk
	exact  map[netip.Addr][]int
	nets   []netEntry
	fp     [32]byte // fingerprint of the rows the set was built from
}

// netEntry is an allow-list network wider than one host.
type netEntry struct {
	p netip.Prefix
	i int // index into trunks
}

// newSet indexes trunks, which must be sorted by ID, with defaults filled
// in and host addresses resolved.
func newSet(trunks []*Trunk, fp [32]byte) *Set {
	s := &Set{trunks: trunks, byID: make(map[string]*Trunk, len(trunks)), exact: map[netip.Addr][]int{}, fp: fp}
	for i, t := range trunks {
		s.byID[t.ID] = t
		if len(t.AllowFrom) > 0 {
			for _, p := range t.AllowFrom {
				if p.IsSingleIP() {
					s.addExact(p.Addr(), i)
				} else {
					s.nets = append(s.nets, netEntry{p, i})
				}
			}
			continue
		}
		if h, err := netip.ParseAddr(t.Host); err == nil {
			s.addExact(h, i)
			continue
		}
		for _, a := range t.addrs {
			s.addExact(a, i)
		}
	}
	return s
}

func (s *Set) addExact(a netip.Addr, i int) {
	a = a.Unmap()
	if !slices.Contains(s.exact[a], i) {
		s.exact[a] = append(s.exact[a], i)
	}
}

// Match returns the trunks whose allow-list holds src (see Trunk.Allows),
// in ID order. The slice is the caller's; the trunks are shared.
func (s *Set) Match(src netip.Addr) []*Trunk {
	if s == nil {
		return nil
	}
	src = src.Unmap()
	idx := slices.Clone(s.exact[src])
	for _, n := range s.nets {
		if n.p.Contains(src) && !slices.Contains(idx, n.i) {
			idx = append(idx, n.i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	out := make([]*Trunk, len(idx))
	for k, i := range idx {
		out[k] = s.trunks[i]
	}
	return out
}

// Get returns the trunk with id.
func (s *Set) Get(id string) (*Trunk, bool) {
	if s == nil {
		return nil, false
	}
	t, ok := s.byID[id]
	return t, ok
}

// All returns every trunk in ID order. The slice is the caller's; the
// trunks are shared.
func (s *Set) All() []*Trunk {
	if s == nil {
		return nil
	}
	return slices.Clone(s.trunks)
}

// Len returns the number of trunks.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.trunks)
}
