package tokenizer

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFastRussianMatchesParse compares the fast path with libphonenumber's
// Parse on many random numbers in the shapes it accepts.
func TestFastRussianMatchesParse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"+7", "8", "7", "", "+7 (", "8-"}
	fast := 0
	for i := 0; i < 20000; i++ {
		p := prefixes[r.IntN(len(prefixes))]
		digits := make([]byte, 10)
		for j := range digits {
			digits[j] = byte('0' + r.IntN(10))
		}
		if i%2 == 0 {
			digits[0] = '9' // mobile, the common case
		}
		for _, region := range []string{"RU", "KZ", "DE"} {
			s := p + string(digits)
			got, ok := fastRussian(s, region)
			if !ok {
				continue
			}
			fast++
			n, err := phonenumbers.Parse(s, region)
			if err != nil || !phonenumbers.IsValidNumber(n) {
				t.Fatalf("fast path accepted %q (%s), Parse rejects it: %v", s, region, err)
			}
			if want := phonenumbers.Format(n, phonenumbers.E164); got != want {
				t.Fatalf("fast path: %q (%s) → %s, Parse → %s", s, region, got, want)
			}
		}
	}
	if fast < 1000 {
		t.Fatalf("fast path taken only %d times", fast)
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	for _, s := range []string{"+7 (912) 345-67-89", "8 912 345 67 89", "+49 30 1234567"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := normalizePhone(s, "RU"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
