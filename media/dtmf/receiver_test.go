package dtmf

import (
	"math"
	"strings"
	"testing"
	"time"
)

// pkt is one telephone-event packet as the network delivers it.
type pkt struct {
	ts  uint32
	d   byte
	end bool
	dur uint16
}

func (p pkt) payload() []byte {
	return Event{Digit: p.d, End: p.end, Volume: 10, Duration: p.dur}.Append(nil)
}

// press returns the packets a well-behaved sender sends for one key press
// of n packets at ts.
func press(ts uint32, d byte, n int) []pkt {
	var ps []pkt
	for i := 1; i <= n; i++ {
		ps = append(ps, pkt{ts, d, false, uint16(160 * i)})
	}
	for range 3 {
		ps = append(ps, pkt{ts, d, true, uint16(160 * n)})
	}
	return ps
}

func concat(parts ...[]pkt) []pkt {
	var all []pkt
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// withoutEnds drops the end packets.
func withoutEnds(ps []pkt) []pkt {
	var out []pkt
	for _, p := range ps {
		if !p.end {
			out = append(out, p)
		}
	}
	return out
}

func TestReceiver(t *testing.T) {
	var wrap uint32 = math.MaxUint32 - 200
	tests := []struct {
		name      string
		packets   []pkt
		fed       string // digits Feed reports
		flushed   string // what Flush adds afterwards
		raw       [][]byte
		firstEnds []int // indexes of packets that must report (optional)
	}{
		{name: "one press", packets: press(1000, '1', 4), fed: "1"},
		{name: "digit reported on the first end packet", packets: press(1000, '7', 2), fed: "7", firstEnds: []int{2}},
		{name: "sequence", packets: concat(press(1000, '1', 3), press(3000, '2', 3), press(5000, '3', 3), press(7000, '#', 3), press(9000, '*', 3)), fed: "123#*"},
		{name: "same key twice", packets: concat(press(1000, '5', 3), press(3000, '5', 3)), fed: "55"},
		{name: "retransmitted press ignored", packets: concat(press(1000, '4', 3), press(1000, '4', 3)), fed: "4"},
		{name: "ends lost, next press reports", packets: concat(withoutEnds(press(1000, '1', 3)), press(3000, '2', 3)), fed: "12", firstEnds: []int{3, 6}},
		{name: "last ends lost, flush reports", packets: concat(press(1000, '1', 3), withoutEnds(press(3000, '9', 3))), fed: "1", flushed: "9"},
		{name: "old end after next press ignored", packets: concat(withoutEnds(press(1000, '1', 2)), press(3000, '2', 2), press(1000, '1', 0)), fed: "12"},
		{name: "only end packets", packets: []pkt{{1000, '8', true, 480}, {1000, '8', true, 480}}, fed: "8"},
		{name: "ends lost then short press of only ends", packets: concat(withoutEnds(press(1000, '1', 2)), []pkt{{3000, '2', true, 320}, {3000, '2', true, 320}}), fed: "12"},
		{name: "ends lost then single end", packets: concat(withoutEnds(press(1000, '1', 2)), []pkt{{3000, '2', true, 320}}), fed: "1", flushed: "2"},
		{name: "reordered start", packets: []pkt{{1000, '3', false, 320}, {1000, '3', false, 160}, {1000, '3', true, 480}}, fed: "3"},
		{name: "timestamp wraps", packets: concat(press(wrap, 'A', 3), press(wrap+2000, 'B', 3)), fed: "AB"},
		{name: "timestamps jump back", packets: concat(press(5_000_000, '1', 2), press(1000, '2', 2)), fed: "12"},
		{name: "straggler within a second ignored", packets: concat(press(20000, '1', 2), press(30000, '2', 2), press(20000, '1', 2)), fed: "12"},
		{name: "long press in segments", packets: []pkt{
			{1000, '0', false, 0xFFFF}, {1000, '0', false, 0xFFFF}, {1000 + 0xFFFF, '0', false, 160}, {1000 + 0xFFFF, '0', true, 800}, {1000 + 0xFFFF, '0', true, 800},
		}, fed: "0"},
		{name: "different key under the same timestamp", packets: concat(press(1000, '1', 2), press(1000, '2', 2)), fed: "12"},
		{name: "nothing", fed: ""},
		{name: "malformed and unsupported ignored", raw: [][]byte{{1, 0x80}, {16, 0x80, 0, 160}, {200, 0x80, 1, 0}}, fed: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Receiver
			var fed strings.Builder
			var reportedAt []int
			for i, p := range tc.packets {
				if d, ok := r.Feed(p.ts, p.payload()); ok {
					fed.WriteByte(d)
					reportedAt = append(reportedAt, i)
				}
			}
			for _, b := range tc.raw {
				if d, ok := r.Feed(1, b); ok {
					fed.WriteByte(d)
				}
			}
			if fed.String() != tc.fed {
				t.Errorf("Feed reported %q, want %q", fed.String(), tc.fed)
			}
			if tc.firstEnds != nil && !equalInts(reportedAt, tc.firstEnds) {
				t.Errorf("reported at packets %v, want %v", reportedAt, tc.firstEnds)
			}
			var flushed string
			if d, ok := r.Flush(); ok {
				flushed = string(d)
			}
			if flushed != tc.flushed {
				t.Errorf("Flush reported %q, want %q", flushed, tc.flushed)
			}
			if d, ok := r.Flush(); ok {
				t.Errorf("second Flush reported %q", d)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReceiverSurvivesAnySingleLoss sends every key through a Sender and
// drops each packet in turn: the key must still be reported exactly once.
func TestReceiverSurvivesAnySingleLoss(t *testing.T) {
	for _, key := range []byte(digits) {
		t.Run(string(key), func(t *testing.T) {
			var payloads [][]byte
			s, err := NewSender(key, 100*time.Millisecond, 10)
			if err != nil {
				t.Fatal(err)
			}
			for done := false; !done; {
				var p []byte
				p, _, done = s.Next(nil)
				payloads = append(payloads, p)
			}
			for drop := -1; drop < len(payloads); drop++ {
				var r Receiver
				got := ""
				for i, p := range payloads {
					if i == drop {
						continue
					}
					if d, ok := r.Feed(7777, p); ok {
						got += string(d)
					}
				}
				if d, ok := r.Flush(); ok {
					got += string(d)
				}
				if got != string(key) {
					t.Errorf("dropping packet %d: got %q", drop, got)
				}
			}
		})
	}
}

func FuzzReceiverFeed(f *testing.F) {
	f.Add([]byte{0, 0, 3, 232, 1, 10, 0, 160, 0, 0, 3, 232, 1, 0x8A, 0, 160})
	f.Add([]byte{255, 255, 255, 0, 11, 0x80, 0, 0, 0, 0, 0, 1, 2, 0x80, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each 8 bytes are a packet: a 4-byte timestamp, then the payload
		// (the last may be short).
		var r Receiver
		seen := map[byte]int{} // keys in valid packets
		reports := 0
		check := func(d byte, ok bool) {
			if !ok {
				return
			}
			reports++
			if seen[d] == 0 {
				t.Fatalf("reported %q, which no valid packet carried", d)
			}
		}
		for len(data) >= 5 {
			ts := uint32(data[0])<<24 | uint32(data[1])<<16 | uint32(data[2])<<8 | uint32(data[3])
			n := min(len(data), 8)
			payload := data[4:n]
			data = data[n:]
			if ev, err := Decode(payload); err == nil {
				seen[ev.Digit]++
			}
			check(r.Feed(ts, payload))
		}
		check(r.Flush())
		valid := 0
		for _, n := range seen {
			valid += n
		}
		if reports > valid {
			t.Fatalf("%d reports from %d valid packets", reports, valid)
		}
	})
}
