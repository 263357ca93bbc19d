package stream

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSourceSequence(t *testing.T) {
	tests := []struct {
		name     string
		seqs     []uint16
		received uint64
		lost     uint64
		dups     int
	}{
		{"in order", []uint16{10, 11, 12, 13}, 4, 0, 0},
		{"gap", []uint16{10, 11, 14, 15}, 4, 2, 0},
		{"reordered", []uint16{10, 12, 11, 13}, 4, 0, 0},
		{"duplicates", []uint16{10, 11, 11, 12, 10}, 3, 0, 2},
		{"wrap", []uint16{65534, 65535, 0, 1}, 4, 0, 0},
		{"wrap with loss", []uint16{65534, 1, 2}, 3, 2, 0},
		{"late beyond the window", []uint16{100, 200, 101}, 3, 98, 0},
		{"duplicate across wrap", []uint16{65535, 0, 65535}, 2, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := source{valid: true}
			dups := 0
			for _, q := range tc.seqs {
				if c.update(q) {
					dups++
				}
			}
			if c.received != tc.received || c.lost() != tc.lost || dups != tc.dups {
				t.Errorf("received %d, lost %d, dups %d; want %d, %d, %d", c.received, c.lost(), dups, tc.received, tc.lost, tc.dups)
			}
		})
	}
}

func TestSourceSeen(t *testing.T) {
	c := source{valid: true}
	for _, q := range []uint16{65530, 65532, 2} {
		c.update(q)
	}
	got := map[uint16]bool{}
	for _, q := range []uint16{65530, 65531, 65532, 1, 2, 3, 5000} {
		got[q] = c.seen(q)
	}
	want := map[uint16]bool{65530: true, 65531: false, 65532: true, 1: false, 2: true, 3: false, 5000: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seen (-want +got):\n%s", diff)
	}
	last := uint16(2)
	if !c.jumped(last+maxDropout+1) || c.jumped(last+maxDropout) || !c.jumped(last-maxDropout-1) {
		t.Error("jumped misjudges the dropout bound")
	}
}

func TestSourceTiming(t *testing.T) {
	type pkt struct {
		ts      uint32
		arrival time.Duration
		marker  bool
		late    bool
	}
	ms := time.Millisecond
	tests := []struct {
		name string
		pkts []pkt
	}{
		{"steady", []pkt{{0, 0, false, false}, {160, 20 * ms, false, false}, {320, 40 * ms, false, false}}},
		{"one late", []pkt{{0, 0, false, false}, {160, 20 * ms, false, false}, {320, 55 * ms, false, true}, {480, 60 * ms, false, false}}},
		{"within 10 ms", []pkt{{0, 0, false, false}, {160, 29 * ms, false, false}}},
		{"early packet lowers the baseline", []pkt{{0, 15 * ms, false, false}, {160, 20 * ms, false, false}, {320, 55 * ms, false, true}}},
		{"marker resets", []pkt{{0, 0, false, false}, {160, 20 * ms, false, false}, {8000, 500 * ms, true, false}, {8160, 520 * ms, false, false}}},
		{"timestamp wrap", []pkt{{4294967136, 0, false, false}, {0, 20 * ms, false, false}, {160, 52 * ms, false, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := source{valid: true}
			for i, p := range tc.pkts {
				if got := c.timing(p.ts, time.Hour+p.arrival, p.marker); got != p.late {
					t.Errorf("packet %d: late = %v, want %v", i, got, p.late)
				}
			}
		})
	}
	t.Run("jitter", func(t *testing.T) {
		c := source{valid: true}
		for i := range 2000 {
			d := time.Duration(i) * 20 * ms
			if i%2 == 1 {
				d += 4 * ms // alternate arrivals 4 ms late: |D| = 4 ms each packet
			}
			c.timing(uint32(i*160), d, false)
		}
		if j := time.Duration(c.jitter * float64(sampleTime)); j < 3900*time.Microsecond || j > 4100*time.Microsecond {
			t.Errorf("jitter %v, want about 4ms", j)
		}
	})
}

func TestPCMRing(t *testing.T) {
	r := newPCMRing(5)
	seq := func(from, n int) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(from + i)
		}
		return s
	}
	if d := r.push(seq(1, 3)); d != 0 {
		t.Errorf("dropped %d", d)
	}
	if d := r.push(seq(4, 4)); d != 2 { // 1 and 2 go
		t.Errorf("dropped %d, want 2", d)
	}
	out := make([]int16, 2)
	if !r.pop(out) || !cmp.Equal(out, seq(3, 2)) {
		t.Errorf("pop = %v", out)
	}
	if d := r.push(seq(8, 9)); d != 7 { // longer than the ring: keeps the last 5
		t.Errorf("dropped %d, want 7", d)
	}
	out = make([]int16, 5)
	if !r.pop(out) || !cmp.Equal(out, seq(12, 5)) {
		t.Errorf("pop = %v", out)
	}
	if r.pop(out[:1]) {
		t.Error("pop from an empty ring")
	}
	r.push(seq(1, 2))
	if r.pop(out[:3]) {
		t.Error("pop of a partial frame")
	}
}
