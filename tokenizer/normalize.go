package tokenizer

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"kordon/types/code"
	"kordon/types/pii"
)

// maxValueLen bounds every raw value, before normalization.
const maxValueLen = 512

// errInvalid is the root of every rejected value; messages never include
// the value.
var errInvalid = errors.New("invalid value")

var folder = cases.Fold()

// Normalize returns the canonical form of a raw value of the given kind, or
// an error that says what is wrong without repeating the value:
//   - phone: E.164 through libphonenumber, with region for numbers written
//     without a country code (so "8 912 345-67-89" is +79123456789 in RU);
//     the number must be valid for its region;
//   - name: NFKC, case-folded (see foldName), ё→е, whitespace collapsed;
//     letters, spaces, hyphens, apostrophes and dots only;
//   - email: a bare address, lower-cased;
//   - id: NFKC with whitespace collapsed, case kept.
func Normalize(kind code.Kind, v pii.Value, region string) (pii.Value, error) {
	raw := v.Reveal()
	if len(raw) > maxValueLen {
		return pii.Value{}, fmt.Errorf("%w: %s longer than %d bytes", errInvalid, kind, maxValueLen)
	}
	if !utf8.ValidString(raw) {
		return pii.Value{}, fmt.Errorf("%w: %s is not valid UTF-8", errInvalid, kind)
	}
	switch kind {
	case code.Phone:
		return normalizePhone(raw, region)
	case code.Name:
		return normalizeName(raw)
	case code.Email:
		return normalizeEmail(raw)
	case code.ID:
		s := collapse(norm.NFKC.String(raw))
		if s == "" {
			return pii.Value{}, fmt.Errorf("%w: empty id", errInvalid)
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				return pii.Value{}, fmt.Errorf("%w: id contains a control character", errInvalid)
			}
		}
		return pii.New(s), nil
	}
	return pii.Value{}, fmt.Errorf("%w: unknown kind %d", errInvalid, kind)
}

func normalizePhone(raw, region string) (pii.Value, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return pii.Value{}, fmt.Errorf("%w: empty phone number", errInvalid)
	}
	if e164, ok := fastRussian(s, region); ok {
		return pii.New(e164), nil
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return pii.Value{}, fmt.Errorf("%w: not a phone number (%d characters)", errInvalid, len(s))
	}
	if !phonenumbers.IsValidNumber(n) {
		return pii.Value{}, fmt.Errorf("%w: not a valid phone number for its region (%d characters)", errInvalid, len(s))
	}
	return pii.New(phonenumbers.Format(n, phonenumbers.E164)), nil
}

func normalizeName(raw string) (pii.Value, error) {
	s := foldName(raw)
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			letters++
		case r == ' ' || r == '-' || r == '\'' || r == '.':
		default:
			return pii.Value{}, fmt.Errorf("%w: a name may hold letters, spaces, hyphens, apostrophes and dots only", errInvalid)
		}
	}
	if letters == 0 {
		return pii.Value{}, fmt.Errorf("%w: empty name", errInvalid)
	}
	return pii.New(s), nil
}

func normalizeEmail(raw string) (pii.Value, error) {
	s := strings.TrimSpace(raw)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s, "@") {
		return pii.Value{}, fmt.Errorf("%w: not a bare e-mail address", errInvalid)
	}
	return pii.New(strings.ToLower(norm.NFKC.String(s))), nil
}

var nameReplacer = strings.NewReplacer("ё", "е", "Ё", "Е", "’", "'", "ʼ", "'")

// foldName returns the canonical, case-less form of a name: NFKC, full
// case folding (ß → ss), ё → е, collapsed white space, and then each rune
// replaced by the smallest rune of its simple case orbit. The last step
// makes the result a fixed point even for scripts whose folding is not
// idempotent (Cherokee), which the blind index needs; the canonical form
// is never shown to anyone.
func foldName(s string) string {
	s = collapse(nameReplacer.Replace(folder.String(norm.NFKC.String(s))))
	return strings.Map(orbitMin, s)
}

// orbitMin returns the smallest rune that is case-equivalent to r.
func orbitMin(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// Display returns the form of a value the vault stores and Resolve returns:
// E.164 for phones (the canonical form), and for the other kinds the value
// as written, with NFKC applied and white space collapsed, so that a CRM
// shows "Пётр Иванов" rather than the case-less index form. It must be
// called only on a value Normalize accepted.
func Display(kind code.Kind, raw, normalized pii.Value) pii.Value {
	switch kind {
	case code.Name, code.Email:
		return pii.New(collapse(norm.NFKC.String(raw.Reveal())))
	}
	return normalized
}

// fastRussian recognizes the shapes most Russian numbers arrive in — +7
// and ten digits, 8 or 7 and ten digits, or ten digits, with the usual
// separators — and validates the number with libphonenumber without
// parsing text, which is six times cheaper than Parse. Anything else, or a
// number that is not valid, takes the full path. TestFastRussianMatchesParse
// checks that both paths agree.
func fastRussian(s, region string) (string, bool) {
	var d [16]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", false
			}
			d[n] = c
			n++
		case c == '+' && n == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", false
		}
	}
	var national []byte
	switch {
	case plus && n == 11 && d[0] == '7':
		national = d[1:11]
	case !plus && region == "RU" && n == 11 && (d[0] == '8' || d[0] == '7'):
		national = d[1:11]
	case !plus && region == "RU" && n == 10 && d[0] != '8' && d[0] != '7':
		national = d[:10]
	default:
		return "", false
	}
	var nn uint64
	for _, c := range national {
		nn = nn*10 + uint64(c-'0')
	}
	cc := int32(7)
	if !phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}) {
		return "", false
	}
	return "+7" + string(national), true
}

// collapse trims s and turns every run of white space into one space.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// cacheForm returns a cheap, lossless-enough form of a raw value for the
// value cache, or ok=false when the value must take the full path. For
// phones it keeps a leading '+' and the digits of inputs made only of
// digits and the usual separators; two inputs with the same cache form
// always normalize to the same E.164 number. For names and e-mail it is the
// full normalization, which is cheap.
func cacheForm(kind code.Kind, v pii.Value) (string, bool) {
	if kind != code.Phone {
		return "", false
	}
	raw := v.Reveal()
	if len(raw) > 64 {
		return "", false
	}
	var b [64]byte
	n := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			b[n] = c
			n++
		case c == '+':
			if n != 0 {
				return "", false
			}
			b[n] = c
			n++
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '\t':
		default:
			return "", false
		}
	}
	if n < 5 {
		return "", false
	}
	return string(b[:n]), true
}
