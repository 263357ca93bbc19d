package mediatest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestRMS(t *testing.T) {
	tests := []struct {
		name string
		pcm  []int16
		want float64
	}{
		{"empty", nil, 0},
		{"silence", Silence(8000, 100*time.Millisecond), 0},
		{"half-scale sine", Tone(8000, 1000, time.Second, 0.5), 0.5 / math.Sqrt2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RMS(tt.pcm); math.Abs(got-tt.want) > 0.001 {
				t.Errorf("RMS = %.4f, want %.4f", got, tt.want)
			}
		})
	}
}

func TestGoertzel(t *testing.T) {
	tone := Tone(8000, 1000, 500*time.Millisecond, 0.5)
	tests := []struct {
		freq     float64
		min, max float64
	}{
		{1000, 0.06, 0.07}, // A²/4 = 0.0625
		{1100, 0, 1e-4},
		{400, 0, 1e-4},
		{3000, 0, 1e-4},
	}
	for _, tt := range tests {
		if got := Goertzel(tone, 8000, tt.freq); got < tt.min || got > tt.max {
			t.Errorf("Goertzel(%v Hz) = %.3g, want %.3g..%.3g", tt.freq, got, tt.min, tt.max)
		}
	}
	if got := Goertzel(nil, 8000, 1000); got != 0 {
		t.Errorf("Goertzel(nil) = %v", got)
	}
}

func TestBestCorrelation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := make([]int16, 2000)
	for i := range ref {
		ref[i] = int16(r.IntN(20000) - 10000)
	}
	delayed := append(make([]int16, 37), ref...)
	quiet := make([]int16, len(ref))
	for i, s := range ref {
		quiet[i] = s / 4
	}
	other := make([]int16, 2000)
	for i := range other {
		other[i] = int16(r.IntN(20000) - 10000)
	}
	tests := []struct {
		name    string
		got     []int16
		minPeak float64
		maxPeak float64
		lag     int
	}{
		{"same", ref, 0.999, 1.001, 0},
		{"delayed 37 samples", delayed, 0.999, 1.001, 37},
		{"quieter", quiet, 0.999, 1.001, 0},
		{"unrelated noise", other, 0, 0.2, -1},
		{"empty", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peak, lag := BestCorrelation(ref, tt.got, 100)
			if peak < tt.minPeak || peak > tt.maxPeak {
				t.Errorf("peak %.3f, want %.3f..%.3f", peak, tt.minPeak, tt.maxPeak)
			}
			if tt.lag >= 0 && lag != tt.lag {
				t.Errorf("lag %d, want %d", lag, tt.lag)
			}
		})
	}
}

// BenchmarkBestCorrelation: 3 s of 8 kHz audio against ±0.5 s of lag, the
// size of a recording check.
func BenchmarkBestCorrelation(b *testing.B) {
	ref := Tone(8000, 1000, 3*time.Second, 0.5)
	got := append(Silence(8000, 200*time.Millisecond), ref...)
	for b.Loop() {
		BestCorrelation(ref, got, 4000)
	}
}
