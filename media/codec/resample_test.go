package codec

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tone returns n samples of a sine of freq Hz at rate Hz with peak amp
// (full scale 1).
func tone(n, rate int, freq, amp float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return s
}

// pcm16 scales samples in [-1, 1] to 16-bit.
func pcm16(s []float64) []int16 {
	out := make([]int16, len(s))
	for i, x := range s {
		out[i] = clamp16(x * 32767)
	}
	return out
}

// rms returns the root mean square of s relative to full scale.
func rms(s []int16) float64 {
	var sum float64
	for _, x := range s {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum/float64(len(s))) / 32768
}

// goertzel returns the amplitude (relative to full scale) of the freq Hz
// component of s sampled at rate Hz.
func goertzel(s []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x)/32768 + c*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(max(power, 0)) / float64(len(s))
}

// zeroCrossingFreq estimates the frequency of a tone from its sign
// changes.
func zeroCrossingFreq(s []int16, rate int) float64 {
	n := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			n++
		}
	}
	return float64(n) / 2 / (float64(len(s)) / float64(rate))
}

// middle drops the first and last 50 ms of 8 kHz audio, where the
// resampler's filter fades in and out.
func middle(s []int16) []int16 {
	const edge = Rate / 20
	if len(s) <= 2*edge {
		return nil
	}
	return s[edge : len(s)-edge]
}

// db converts an amplitude ratio to decibels.
func db(ratio float64) float64 { return 20 * math.Log10(ratio) }

// checkTone asserts that s (8 kHz) is a tone of freq Hz with peak amp.
func checkTone(t *testing.T, s []int16, freq, amp, tolDB float64) {
	t.Helper()
	m := middle(s)
	if len(m) == 0 {
		t.Fatalf("only %d samples", len(s))
	}
	if got := zeroCrossingFreq(m, Rate); math.Abs(got-freq) > freq*0.01 {
		t.Errorf("frequency %.1f Hz, want %.0f Hz ±1%%", got, freq)
	}
	if got := rms(m) * math.Sqrt2; math.Abs(db(got/amp)) > tolDB {
		t.Errorf("level %.4f (%.2f dB off), want %.4f ±%.1f dB", got, db(got/amp), amp, tolDB)
	}
	if g, r := goertzel(m, Rate, freq), rms(m)*math.Sqrt2; math.Abs(db(g/r)) > 0.5 {
		t.Errorf("the %.0f Hz component is %.2f dB from the whole signal: not a pure tone", freq, db(g/r))
	}
}

func TestResampleTone(t *testing.T) {
	tests := []struct {
		from int
		freq float64
	}{
		{44100, 1000}, {44100, 440}, {48000, 440}, {48000, 3000}, {16000, 1000},
		{22050, 300}, {11025, 1000}, {32000, 2000}, {96000, 440}, {8000, 1000},
		{7999, 1000}, {4000, 440}, {1000, 100},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_Hz_%.0f", tt.from, tt.freq), func(t *testing.T) {
			in := pcm16(tone(tt.from*6/10, tt.from, tt.freq, 0.5))
			out := Resample(in, tt.from, Rate)
			if want := (len(in)*Rate + tt.from - 1) / tt.from; len(out) != want {
				t.Errorf("%d samples out, want %d", len(out), want)
			}
			checkTone(t, out, tt.freq, 0.5, 0.1)
		})
	}
}

func TestResampleUp(t *testing.T) {
	for _, to := range []int{16000, 44100, 48000} {
		t.Run(fmt.Sprint(to), func(t *testing.T) {
			in := pcm16(tone(Rate, Rate, 1000, 0.5))
			out := Resample(in, Rate, to)
			back := Resample(out, to, Rate)
			if len(back) != len(in) {
				t.Fatalf("round trip changed the length from %d to %d", len(in), len(back))
			}
			m, mi := middle(back), middle(in)
			var noise float64
			for i := range m {
				d := float64(m[i]) - float64(mi[i])
				noise += d * d
			}
			noise = math.Sqrt(noise/float64(len(m))) / 32768
			if snr := db(rms(mi) / noise); snr < 60 {
				t.Errorf("8 kHz -> %d -> 8 kHz: SNR %.1f dB, want at least 60", to, snr)
			}
		})
	}
}

// TestResampleAntiAliasing feeds tones the 8 kHz output cannot represent:
// naive decimation would fold them into the telephone band at full level.
func TestResampleAntiAliasing(t *testing.T) {
	for _, freq := range []float64{4200, 5000, 6000, 10000, 15000, 20000} {
		t.Run(fmt.Sprint(freq), func(t *testing.T) {
			out := Resample(pcm16(tone(44100, 44100, freq, 0.5)), 44100, Rate)
			if got := db(rms(middle(out)) * math.Sqrt2 / 0.5); got > -70 {
				t.Errorf("%.0f Hz came out at %.1f dB, want below -70 dB", freq, got)
			}
		})
	}
}

// TestResamplePassband checks that the telephone band passes flat.
func TestResamplePassband(t *testing.T) {
	for _, freq := range []float64{100, 300, 1000, 2000, 3000, 3200} {
		t.Run(fmt.Sprint(freq), func(t *testing.T) {
			out := Resample(pcm16(tone(48000, 48000, freq, 0.5)), 48000, Rate)
			if got := db(rms(middle(out)) * math.Sqrt2 / 0.5); math.Abs(got) > 0.05 {
				t.Errorf("%.0f Hz came out at %.3f dB, want within 0.05 dB", freq, got)
			}
		})
	}
}

func TestResampleEdges(t *testing.T) {
	in := []int16{1, 2, 3}
	same := Resample(in, Rate, Rate)
	if diff := cmp.Diff(in, same); diff != "" {
		t.Errorf("same rate (-in +out):\n%s", diff)
	}
	same[0] = 99
	if in[0] != 1 {
		t.Error("same rate returned the input slice, not a copy")
	}
	if got := Resample(nil, 44100, Rate); len(got) != 0 {
		t.Errorf("empty input gave %d samples", len(got))
	}
	if got := Resample([]int16{1000}, 44100, Rate); len(got) != 1 {
		t.Errorf("one input sample gave %d", len(got))
	}
	full := make([]int16, 2000)
	for i := range full {
		full[i] = math.MaxInt16
		if i%2 == 1 {
			full[i] = math.MinInt16
		}
	}
	Resample(full, 8000, 44100) // saturates instead of wrapping; must not panic
	for _, rates := range [][2]int{{0, 8000}, {8000, 0}, {-1, 8000}} {
		t.Run(fmt.Sprint(rates), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Resample(%d, %d) did not panic", rates[0], rates[1])
				}
			}()
			Resample(in, rates[0], rates[1])
		})
	}
}

func TestResampleSaturates(t *testing.T) {
	// A full-scale square wave overshoots (Gibbs); the peaks must clip,
	// not wrap around to the other sign.
	in := make([]int16, 4410)
	for i := range in {
		in[i] = math.MaxInt16
		if i/50%2 == 1 {
			in[i] = math.MinInt16
		}
	}
	out := Resample(in, 44100, Rate)
	for i, x := range middle(out) {
		prev := middle(out)[max(i-1, 0)]
		if (x > 20000 && prev < -20000) || (x < -20000 && prev > 20000) {
			t.Fatalf("sample %d jumps from %d to %d: wrapped around", i, prev, x)
		}
	}
}

func BenchmarkResample(b *testing.B) {
	for _, from := range []int{44100, 16000, 48000} {
		b.Run(fmt.Sprint(from), func(b *testing.B) {
			in := pcm16(tone(from, from, 1000, 0.5)) // one second
			for b.Loop() {
				Resample(in, from, Rate)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}
