package dtmf

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kordon/types/fault"
)

func TestSender(t *testing.T) {
	s, err := NewSender('5', 60*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		Payload []byte
		Marker  bool
		Done    bool
	}
	var got []out
	for range 8 {
		p, m, d := s.Next(nil)
		got = append(got, out{p, m, d})
	}
	want := []out{
		{[]byte{5, 10, 0, 160}, true, false},
		{[]byte{5, 10, 1, 64}, false, false},
		{[]byte{5, 10, 1, 224}, false, false},
		{[]byte{5, 0x8A, 1, 224}, false, false},
		{[]byte{5, 0x8A, 1, 224}, false, false},
		{[]byte{5, 0x8A, 1, 224}, false, true},
		{nil, false, true},
		{nil, false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
}

func TestSenderDurations(t *testing.T) {
	tests := []struct {
		name     string
		duration time.Duration
		packets  int // before the three end packets
	}{
		{"shorter than a packet", time.Millisecond, 1},
		{"rounded down", 109 * time.Millisecond, 5},
		{"rounded up", 110 * time.Millisecond, 6},
		{"longest", MaxDuration, 409},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender('a', tc.duration, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			var last []byte
			for done := false; !done; n++ {
				last, _, done = s.Next(nil)
			}
			if n != tc.packets+3 {
				t.Errorf("%d packets, want %d", n, tc.packets+3)
			}
			ev, err := Decode(last)
			if err != nil || ev.Digit != 'A' || !ev.End || int(ev.Duration) != tc.packets*160 {
				t.Errorf("last packet %+v, %v", ev, err)
			}
		})
	}
}

func TestNewSenderRejects(t *testing.T) {
	tests := []struct {
		name     string
		digit    byte
		duration time.Duration
		volume   uint8
	}{
		{"not a key", 'x', time.Second / 10, 10},
		{"NUL", 0, time.Second / 10, 10},
		{"zero duration", '1', 0, 10},
		{"negative duration", '1', -time.Second, 10},
		{"too long", '1', MaxDuration + PacketTime, 10},
		{"too quiet", '1', time.Second / 10, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(tc.digit, tc.duration, tc.volume)
			if s != nil || !fault.Is(err, fault.Invalid) {
				t.Errorf("NewSender = %v, %v; want an Invalid error", s, err)
			}
		})
	}
}
