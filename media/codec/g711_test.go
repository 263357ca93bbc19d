package codec

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The reference G.711 algorithm, as published with ITU-T G.191 and in Sun
// Microsystems' public-domain g711.c: a linear search of the segment end
// points. The package's tables are built differently (from the highest set
// bit), so agreement on every input is a real check.

var (
	refSegUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
	refSegAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
)

func refSearch(v int, table [8]int) int {
	for i, end := range table {
		if v <= end {
			return i
		}
	}
	return 8
}

func refLinearToUlaw(pcm int16) byte {
	v := int(pcm) >> 2
	mask := 0xFF
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > 8159 {
		v = 8159
	}
	v += 0x84 >> 2
	seg := refSearch(v, refSegUEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	return byte(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask)
}

func refUlawToLinear(u byte) int16 {
	v := int(^u)
	t := ((v & 0x0F) << 3) + 0x84
	t <<= (v & 0x70) >> 4
	if v&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func refLinearToAlaw(pcm int16) byte {
	v := int(pcm) >> 3
	mask := 0xD5
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := refSearch(v, refSegAEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0x0F
	} else {
		a |= (v >> seg) & 0x0F
	}
	return byte(a ^ mask)
}

func refAlawToLinear(a byte) int16 {
	v := int(a ^ 0x55)
	t := (v & 0x0F) << 4
	switch seg := (v & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if v&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

var g711Codecs = []struct {
	c   Codec
	enc func(int16) byte
	dec func(byte) int16
}{
	{PCMU, refLinearToUlaw, refUlawToLinear},
	{PCMA, refLinearToAlaw, refAlawToLinear},
}

func TestG711EncodeMatchesReference(t *testing.T) {
	for _, tc := range g711Codecs {
		t.Run(tc.c.Name(), func(t *testing.T) {
			pcm := make([]int16, 0, 1<<16)
			for i := math.MinInt16; i <= math.MaxInt16; i++ {
				pcm = append(pcm, int16(i))
			}
			got := tc.c.Encode(nil, pcm)
			bad := 0
			for i, s := range pcm {
				if want := tc.enc(s); got[i] != want {
					if bad++; bad <= 5 {
						t.Errorf("Encode(%d) = %#02x, reference %#02x", s, got[i], want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of 65536 samples differ from the reference", bad)
			}
		})
	}
}

func TestG711DecodeMatchesReference(t *testing.T) {
	for _, tc := range g711Codecs {
		t.Run(tc.c.Name(), func(t *testing.T) {
			all := make([]byte, 256)
			want := make([]int16, 256)
			for i := range all {
				all[i] = byte(i)
				want[i] = tc.dec(byte(i))
			}
			if diff := cmp.Diff(want, tc.c.Decode(nil, all)); diff != "" {
				t.Errorf("Decode differs from the reference (-want +got):\n%s", diff)
			}
		})
	}
}

// TestG711KnownValues pins values from the G.711 tables themselves, so
// that a mistake shared by the tables and the reference is caught too.
func TestG711KnownValues(t *testing.T) {
	enc := []struct {
		c    Codec
		pcm  int16
		want byte
	}{
		{PCMU, 0, 0xFF}, {PCMU, -1, 0x7E}, {PCMU, 32767, 0x80}, {PCMU, -32768, 0x00},
		{PCMU, 1000, 0xCE}, {PCMA, 0, 0xD5}, {PCMA, -1, 0x55}, {PCMA, 32767, 0xAA},
		{PCMA, -32768, 0x2A}, {PCMA, 1000, 0xFA},
	}
	for _, tc := range enc {
		t.Run(fmt.Sprintf("encode %v %d", tc.c, tc.pcm), func(t *testing.T) {
			if got := tc.c.Encode(nil, []int16{tc.pcm}); got[0] != tc.want {
				t.Errorf("got %#02x, want %#02x", got[0], tc.want)
			}
		})
	}
	dec := []struct {
		c    Codec
		b    byte
		want int16
	}{
		{PCMU, 0xFF, 0}, {PCMU, 0x7F, 0}, {PCMU, 0x80, 32124}, {PCMU, 0x00, -32124},
		{PCMA, 0xD5, 8}, {PCMA, 0x55, -8}, {PCMA, 0xAA, 32256}, {PCMA, 0x2A, -32256},
	}
	for _, tc := range dec {
		t.Run(fmt.Sprintf("decode %v %#02x", tc.c, tc.b), func(t *testing.T) {
			if got := tc.c.Decode(nil, []byte{tc.b}); got[0] != tc.want {
				t.Errorf("got %d, want %d", got[0], tc.want)
			}
		})
	}
}

func TestG711RoundTrip(t *testing.T) {
	for _, tc := range g711Codecs {
		t.Run(tc.c.Name()+"/bytes", func(t *testing.T) {
			for i := range 256 {
				b := byte(i)
				want := b
				if tc.c == PCMU && b == 0x7F {
					want = 0xFF // μ-law has two zeros; the encoder picks +0
				}
				if got := tc.c.Encode(nil, tc.c.Decode(nil, []byte{b})); got[0] != want {
					t.Errorf("Encode(Decode(%#02x)) = %#02x, want %#02x", b, got[0], want)
				}
			}
		})
		t.Run(tc.c.Name()+"/samples", func(t *testing.T) {
			prev := int16(math.MinInt16)
			for i := math.MinInt16; i <= math.MaxInt16; i++ {
				x := int16(i)
				y := tc.c.Decode(nil, tc.c.Encode(nil, []int16{x}))[0]
				// Logarithmic quantisation: the error stays within about
				// 1/32 of the magnitude (half a step), plus the linear
				// steps near zero and the clipping at full scale.
				if err := math.Abs(float64(y) - float64(x)); err > math.Abs(float64(x))/32+660 {
					t.Fatalf("sample %d came back as %d", x, y)
				}
				if y < prev {
					t.Fatalf("quantiser not monotonic at %d: %d after %d", x, y, prev)
				}
				prev = y
			}
		})
	}
}

func TestG711Names(t *testing.T) {
	tests := []struct {
		name   string
		c      Codec
		ok     bool
		pt     uint8
		str    string
		byName string
	}{
		{"PCMU", PCMU, true, 0, "PCMU", "pcmu"},
		{"PCMA", PCMA, true, 8, "PCMA", "PcMa"},
		{"zero", 0, false, 255, "Codec(0)", "G722"},
		{"unknown", 9, false, 255, "Codec(9)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Valid(); got != tc.ok {
				t.Errorf("Valid = %v, want %v", got, tc.ok)
			}
			if got := tc.c.PayloadType(); got != tc.pt {
				t.Errorf("PayloadType = %d, want %d", got, tc.pt)
			}
			if got := tc.c.String(); got != tc.str {
				t.Errorf("String = %q, want %q", got, tc.str)
			}
			c, ok := ByName(tc.byName)
			if ok != tc.ok || (ok && c != tc.c) {
				t.Errorf("ByName(%q) = %v, %v", tc.byName, c, ok)
			}
			if tc.ok {
				if c, ok := ByPayloadType(tc.pt); !ok || c != tc.c {
					t.Errorf("ByPayloadType(%d) = %v, %v", tc.pt, c, ok)
				}
			}
		})
	}
	for _, pt := range []uint8{1, 3, 9, 18, 96, 101, 255} {
		if c, ok := ByPayloadType(pt); ok {
			t.Errorf("ByPayloadType(%d) = %v, want none", pt, c)
		}
	}
}

func TestG711AppendsWithoutAllocating(t *testing.T) {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		pcm[i] = int16(i * 200)
	}
	for _, tc := range g711Codecs {
		t.Run(tc.c.Name(), func(t *testing.T) {
			head := []byte{1, 2, 3}
			got := tc.c.Encode(append([]byte(nil), head...), pcm)
			if diff := cmp.Diff(head, got[:3]); diff != "" {
				t.Errorf("Encode overwrote dst (-want +got):\n%s", diff)
			}
			if len(got) != 3+len(pcm) {
				t.Errorf("Encode appended %d bytes, want %d", len(got)-3, len(pcm))
			}
			buf := make([]byte, 0, FrameSamples)
			out := make([]int16, 0, FrameSamples)
			allocs := testing.AllocsPerRun(100, func() {
				buf = tc.c.Encode(buf[:0], pcm)
				out = tc.c.Decode(out[:0], buf)
			})
			if allocs != 0 {
				t.Errorf("Encode+Decode with capacity: %v allocations, want 0", allocs)
			}
		})
	}
	if got := Codec(0).Encode([]byte{7}, pcm); len(got) != 1 {
		t.Errorf("invalid codec appended %d bytes", len(got)-1)
	}
	if got := Codec(0).Decode(nil, []byte{1, 2}); len(got) != 0 {
		t.Errorf("invalid codec decoded %d samples", len(got))
	}
}

func FuzzG711(f *testing.F) {
	f.Add([]byte{0x00, 0x7F, 0x80, 0xFF, 0x55, 0xD5})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tc := range g711Codecs {
			pcm := tc.c.Decode(nil, b)
			again := tc.c.Encode(nil, pcm)
			if len(again) != len(b) {
				t.Fatalf("%v: %d bytes became %d", tc.c, len(b), len(again))
			}
			for i := range b {
				want := b[i]
				if tc.c == PCMU && want == 0x7F {
					want = 0xFF
				}
				if again[i] != want {
					t.Fatalf("%v: byte %#02x came back as %#02x", tc.c, b[i], again[i])
				}
			}
			// Re-encoding a decoded-and-encoded stream changes nothing:
			// transcoding hops must not accumulate error.
			if diff := cmp.Diff(pcm, tc.c.Decode(nil, again)); diff != "" {
				t.Fatalf("%v: second decode differs:\n%s", tc.c, diff)
			}
		}
	})
}

func BenchmarkG711(b *testing.B) {
	pcm := make([]int16, FrameSamples)
	for i := range pcm {
		pcm[i] = int16(math.Sin(float64(i)/8) * 12000)
	}
	for _, tc := range g711Codecs {
		b.Run(tc.c.Name()+"/Encode", func(b *testing.B) {
			buf := make([]byte, 0, FrameSamples)
			b.SetBytes(FrameSamples * 2)
			b.ReportAllocs()
			for b.Loop() {
				buf = tc.c.Encode(buf[:0], pcm)
			}
		})
		b.Run(tc.c.Name()+"/Decode", func(b *testing.B) {
			enc := tc.c.Encode(nil, pcm)
			out := make([]int16, 0, FrameSamples)
			b.SetBytes(FrameSamples)
			b.ReportAllocs()
			for b.Loop() {
				out = tc.c.Decode(out[:0], enc)
			}
		})
	}
}
