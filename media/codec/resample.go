package codec

import (
	"math"
	"slices"
	"sync"
)

// The resampler is J. O. Smith's bandlimited interpolation: every output
// sample is the input convolved with a Kaiser-windowed sinc centred on the
// output instant, whose cut-off sits below the lower of the two Nyquist
// frequencies. Downsampling therefore low-passes before it decimates (a
// 44.1 kHz file loses everything above about 3.6 kHz instead of folding
// it into the telephone band), and any pair of rates works, not only
// integer ratios. The filter is tabulated once, finely enough that linear
// interpolation between table points stays below the stop band.
const (
	// zeroCrossings is how many zero crossings of the sinc the filter
	// keeps on each side of its centre; with kaiserBeta it sets the
	// transition band to about 18% of the cut-off.
	zeroCrossings = 32
	// tableRes is the number of table points per zero crossing; linear
	// interpolation between them errs by less than 1e-5 (-100 dB).
	tableRes = 512
	// rolloff places the cut-off at this fraction of the lower Nyquist
	// frequency, so that the transition band ends just below it: 8 kHz
	// output passes 3.3 kHz flat and stops from 3.9 kHz.
	rolloff = 0.9
	// kaiserBeta gives about 90 dB of stop-band attenuation.
	kaiserBeta = 9.0
)

// filterTable holds the windowed sinc from its centre to its last zero
// crossing, in steps of 1/tableRes zero crossing, plus a zero sentinel so
// that interpolation may read one point past the end.
var filterTable = sync.OnceValue(func() []float64 {
	n := zeroCrossings * tableRes
	t := make([]float64, n+2)
	norm := besselI0(kaiserBeta)
	for i := 0; i <= n; i++ {
		u := float64(i) / tableRes
		x := u / zeroCrossings
		w := besselI0(kaiserBeta*math.Sqrt(max(0, 1-x*x))) / norm
		s := 1.0
		if i > 0 {
			s = math.Sin(math.Pi*u) / (math.Pi * u)
		}
		t[i] = s * w
	}
	return t
})

// besselI0 is the zeroth-order modified Bessel function of the first
// kind, by its power series (which converges quickly for the small
// arguments a Kaiser window uses).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// Resample converts mono audio sampled at from Hz to to Hz with a
// low-pass windowed-sinc filter (see the comment on the constants above).
// The output has ceil(len(in)·to/from) samples, aligned with the input (no
// delay); the first and last few milliseconds fade in and out because the
// filter sees silence outside in. Equal rates return a copy. Resample
// panics if from or to is not positive: rates come from the program, not
// from input (ReadWAV checks a file's rate first).
func Resample(in []int16, from, to int) []int16 {
	if from <= 0 || to <= 0 {
		panic("codec.Resample: sample rates must be positive")
	}
	if from == to || len(in) == 0 {
		return slices.Clone(in)
	}
	g := gcd(from, to)
	num, den := int64(from/g), int64(to/g) // input samples per output sample, as num/den
	// The cut-off in cycles per input sample, and the filter's scale: how
	// many zero crossings one input sample spans.
	fc := rolloff / 2 * min(1, float64(den)/float64(num))
	scale := 2 * fc
	step := scale * tableRes // table points per input sample
	tab := filterTable()
	last := float64(zeroCrossings * tableRes)

	n := (int64(len(in))*den + num - 1) / num
	out := make([]int16, n)
	for j := range out {
		pos := int64(j) * num
		i := int(pos / den)
		t0 := float64(i) + float64(pos%den)/float64(den)
		var acc float64
		// Left wing: inputs at or before t0, walking away from it.
		u := (t0 - float64(i)) * step
		for k := i; k >= 0 && u < last; k-- {
			acc += float64(in[k]) * lerp(tab, u)
			u += step
		}
		// Right wing: inputs after t0.
		u = (float64(i+1) - t0) * step
		for k := i + 1; k < len(in) && u < last; k++ {
			acc += float64(in[k]) * lerp(tab, u)
			u += step
		}
		out[j] = clamp16(acc * scale)
	}
	return out
}

// lerp reads the filter table at fractional index u (0 <= u < len-1).
func lerp(tab []float64, u float64) float64 {
	i := int(u)
	f := u - float64(i)
	return tab[i] + f*(tab[i+1]-tab[i])
}

// clamp16 rounds x to the nearest int16, saturating.
func clamp16(x float64) int16 {
	switch {
	case x >= math.MaxInt16:
		return math.MaxInt16
	case x <= math.MinInt16:
		return math.MinInt16
	case x != x: // NaN
		return 0
	}
	return int16(math.Round(x))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
