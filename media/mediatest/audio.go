package mediatest

import "math"

// RMS returns the root mean square of pcm as a fraction of full scale: 0
// for silence, about 0.707 for a full-scale sine.
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// Goertzel returns the power of pcm at freq Hz, normalised so that a sine
// of amplitude A (fraction of full scale) at exactly freq gives about A²/4
// whatever the length, and other frequencies give little. Comparing it at
// the expected tone with a few other frequencies tells a tone from noise,
// and survives G.711 companding and SRTP in between.
func Goertzel(pcm []int16, rate int, freq float64) float64 {
	n := len(pcm)
	if n == 0 || rate <= 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return power / (float64(n) * float64(n))
}

// BestCorrelation slides got against ref by -maxLag..maxLag samples and
// returns the highest normalised cross-correlation (1 = same waveform up
// to gain, 0 = unrelated) and the lag where got[i+lag] matches ref[i]. It
// is how a test tells that what a peer heard is what was sent, delayed by
// the jitter buffer. Only overlaps of at least half of the shorter input
// count, so that a tiny overlap cannot score by chance.
func BestCorrelation(ref, got []int16, maxLag int) (peak float64, lag int) {
	minOverlap := min(len(ref), len(got)) / 2
	if minOverlap == 0 {
		return 0, 0
	}
	for l := -maxLag; l <= maxLag; l++ {
		var dot, er, eg float64
		n := 0
		for i := range ref {
			j := i + l
			if j < 0 {
				continue
			}
			if j >= len(got) {
				break
			}
			r, g := float64(ref[i]), float64(got[j])
			dot += r * g
			er += r * r
			eg += g * g
			n++
		}
		if n < minOverlap || er == 0 || eg == 0 {
			continue
		}
		if c := dot / math.Sqrt(er*eg); c > peak {
			peak, lag = c, l
		}
	}
	return peak, lag
}
