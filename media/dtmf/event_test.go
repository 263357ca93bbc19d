package dtmf

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Event
		err     error
	}{
		{"digit 1 start", []byte{1, 10, 0x00, 0xA0}, Event{Digit: '1', Volume: 10, Duration: 160}, nil},
		{"star end", []byte{10, 0x80 | 7, 0x03, 0x20}, Event{Digit: '*', End: true, Volume: 7, Duration: 800}, nil},
		{"hash", []byte{11, 0, 0, 0}, Event{Digit: '#'}, nil},
		{"D with reserved bit", []byte{15, 0x40 | 63, 0xFF, 0xFF}, Event{Digit: 'D', Volume: 63, Duration: 0xFFFF}, nil},
		{"trailing bytes ignored", []byte{0, 0x8A, 0, 160, 9, 9, 9}, Event{Digit: '0', End: true, Volume: 10, Duration: 160}, nil},
		{"empty", nil, Event{}, ErrMalformed},
		{"three bytes", []byte{1, 2, 3}, Event{}, ErrMalformed},
		{"flash hook", []byte{16, 0, 0, 160}, Event{}, ErrUnsupported},
		{"fax tone", []byte{36, 0, 0, 160}, Event{}, ErrUnsupported},
		{"event 255", []byte{255, 0, 0, 160}, Event{}, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.payload)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want []byte
	}{
		{"start", Event{Digit: '9', Volume: 10, Duration: 160}, []byte{9, 10, 0, 160}},
		{"end", Event{Digit: '#', End: true, Volume: 10, Duration: 960}, []byte{11, 0x8A, 0x03, 0xC0}},
		{"lower case", Event{Digit: 'b', Duration: 1}, []byte{13, 0, 0, 1}},
		{"loud volume clamped", Event{Digit: 'A', Volume: 200}, []byte{12, 63, 0, 0}},
		{"not a key", Event{Digit: 'x', Duration: 2}, []byte{255, 0, 0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ev.Append([]byte{0xEE})
			if diff := cmp.Diff(append([]byte{0xEE}, tc.want...), got); diff != "" {
				t.Errorf("Append (-want +got):\n%s", diff)
			}
		})
	}
	for _, d := range []byte(digits) {
		ev := Event{Digit: d, End: true, Volume: 33, Duration: 1234}
		got, err := Decode(ev.Append(nil))
		if err != nil || got != ev {
			t.Errorf("round trip of %q: got %+v, %v", d, got, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{1, 10, 0, 160})
	f.Add([]byte{11, 0x8A, 3, 0xC0, 1})
	f.Add([]byte{16, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		ev, err := Decode(p)
		if err != nil {
			if ev != (Event{}) {
				t.Fatalf("error %v with event %+v", err, ev)
			}
			return
		}
		if !Valid(ev.Digit) || ev.Digit >= 'a' || ev.Volume > MaxVolume {
			t.Fatalf("Decode(%x) = %+v", p, ev)
		}
		want := []byte{p[0], p[1] &^ 0x40, p[2], p[3]} // the reserved bit is not kept
		if diff := cmp.Diff(want, ev.Append(nil)); diff != "" {
			t.Fatalf("Append(Decode(%x)) differs:\n%s", p, diff)
		}
	})
}
