package code

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestNewFormatAndRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.String(), func(t *testing.T) {
			seen := map[Code]bool{}
			for i := 0; i < 2000; i++ {
				c, err := New(k, nil)
				if err != nil {
					t.Fatal(err)
				}
				s := c.String()
				if len(s) != Length || !strings.HasPrefix(s, k.Prefix()+"_") {
					t.Fatalf("code %q: want %d characters with prefix %s_", s, Length, k.Prefix())
				}
				if r := digitRun(s); r > maxDigitRun {
					t.Fatalf("code %q has a run of %d digits", s, r)
				}
				back, err := Parse(s)
				if err != nil || back != c {
					t.Fatalf("Parse(%q) = %v, %v; want the same code", s, back, err)
				}
				lower, err := Parse(strings.ToLower(s))
				if err != nil || lower != c {
					t.Fatalf("Parse(lower %q) = %v, %v", s, lower, err)
				}
				if seen[c] {
					t.Fatalf("duplicate code %s", c)
				}
				seen[c] = true
			}
		})
	}
}

// TestCheckCharacterIsCrockfordMod37 compares the check character with an
// independent big-integer computation.
func TestCheckCharacterIsCrockfordMod37(t *testing.T) {
	for i := 0; i < 500; i++ {
		c, _ := New(Phone, nil)
		n := new(big.Int).SetBytes(c.id[:])
		m := new(big.Int).Mod(n, big.NewInt(37)).Int64()
		if got, want := c.String()[29], "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"[m]; got != want {
			t.Fatalf("%s: check %c, want %c", c, got, want)
		}
		// The body is the value in base 32.
		body, _ := new(big.Int).SetString(strings.Map(func(r rune) rune {
			return rune("0123456789abcdefghijklmnopqrstuv"[strings.IndexRune(alphabet, r)])
		}, c.String()[3:29]), 32)
		if body.Cmp(n) != 0 {
			t.Fatalf("%s: body does not encode the value", c)
		}
	}
}

func TestMistypedCodeRejected(t *testing.T) {
	c, _ := New(Name, nil)
	s := c.String()
	caught := 0
	for pos := 3; pos < Length; pos++ {
		for _, sub := range alphabet {
			b := []byte(s)
			if upper(b[pos]) == byte(sub) {
				continue
			}
			b[pos] = byte(sub)
			if _, err := Parse(string(b)); err != nil {
				caught++
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v is not ErrInvalid", err)
				}
			} else {
				t.Fatalf("single substitution at %d accepted: %s", pos, b)
			}
		}
	}
	if caught == 0 {
		t.Fatal("no substitution caught")
	}
	// Adjacent transposition is caught by mod 37 too.
	for pos := 3; pos < Length-2; pos++ {
		b := []byte(s)
		if b[pos] == b[pos+1] {
			continue
		}
		b[pos], b[pos+1] = b[pos+1], b[pos]
		if _, err := Parse(string(b)); err == nil {
			t.Fatalf("transposition at %d accepted", pos)
		}
	}
}

func TestCrockfordReadingRules(t *testing.T) {
	// Find a code whose canonical text holds a 1 and a 0, then type them as
	// I/L and O.
	for {
		c, _ := New(ID, nil)
		s := c.String()
		if !strings.ContainsAny(s[3:29], "10") {
			continue
		}
		typed := strings.NewReplacer("1", "l", "0", "O").Replace(s[:29]) + s[29:]
		if s[29] == '1' {
			typed = typed[:29] + "I"
		}
		got, err := Parse(typed)
		if err != nil || got != c {
			t.Fatalf("Parse(%q) = %v, %v; want %s", typed, got, err, c)
		}
		return
	}
}

func TestParseRejects(t *testing.T) {
	c, _ := New(Email, nil)
	for name, s := range map[string]string{
		"empty":       "",
		"short":       c.String()[:20],
		"no sep":      "em" + c.String()[2:3] + "x" + c.String()[4:],
		"bad kind":    "zz" + c.String()[2:],
		"bad symbol":  c.String()[:5] + "U" + c.String()[6:],
		"pad bits":    c.String()[:3] + "Z" + c.String()[4:],
		"phone":       "+7 (912) 345-67-89 and more text",
		"digits long": "ph_" + strings.Repeat("0", 27),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(s); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error = %v, want ErrInvalid", s, err)
			}
		})
	}
}

func TestParseErrorDoesNotEchoInput(t *testing.T) {
	in := "+79123456789_____________________"[:Length]
	_, err := Parse(in)
	if err == nil || strings.Contains(err.Error(), "9123456") {
		t.Fatalf("error %v echoes input", err)
	}
}

func TestNewDrawsAgainOnDigitRuns(t *testing.T) {
	// A reader that first yields all zeros (every symbol '0') and then
	// random bytes: New must skip the all-digit code.
	r := ioMulti(bytes.NewReader(make([]byte, 16)), rand.Reader)
	c, err := New(Phone, r)
	if err != nil {
		t.Fatal(err)
	}
	if digitRun(c.String()) > maxDigitRun {
		t.Fatalf("got %s", c)
	}
}

func TestKindText(t *testing.T) {
	for _, k := range Kinds() {
		for _, s := range []string{k.String(), k.Prefix(), strings.ToUpper(k.String())} {
			got, err := ParseKind(s)
			if err != nil || got != k {
				t.Fatalf("ParseKind(%q) = %v, %v", s, got, err)
			}
		}
	}
	if _, err := ParseKind("passport"); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

func FuzzParse(f *testing.F) {
	c, _ := New(Phone, nil)
	f.Add(c.String())
	f.Add(strings.ToLower(c.String()))
	f.Add("nm_00000000000000000000000000U")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
		if !strings.EqualFold(c.String()[:2], s[:2]) {
			t.Fatalf("kind changed")
		}
		if digitRun(c.String()) > maxDigitRun {
			t.Fatalf("accepted a code with a digit run: %s", c)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	c, _ := New(Phone, nil)
	s := c.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeyIsTheFirst64Bits(t *testing.T) {
	for i := 0; i < 100; i++ {
		c, _ := New(Name, nil)
		want := int64(new(big.Int).SetBytes(c.id[:8]).Uint64())
		if c.Key() != want {
			t.Fatalf("%s: Key %d, want %d", c, c.Key(), want)
		}
	}
}
