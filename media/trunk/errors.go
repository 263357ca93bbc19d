package trunk

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"kordon/types/pii"
)

// FieldError is one problem with a trunk: the JSON path of the field
// ("port", "tls.ca", "codecs[1]", "inbound_auth.password") and what is
// wrong with it. Messages quote a value only as a short excerpt with every
// run of seven or more digits masked, and never quote a password.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error formats the problem as "field: detail".
func (e FieldError) Error() string { return e.Field + ": " + e.Detail }

// Errors is every problem Validate found, in field order. Validate and the
// repo return it wrapped in a fault.Error of kind Invalid; get at it with
// errors.As.
type Errors []FieldError

// Error lists the problems on one line, after a count when there are
// several, so the command line prints them as one error.
func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no problems"
	case 1:
		return es[0].Error()
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return fmt.Sprintf("%d problems: %s", len(es), strings.Join(parts, "; "))
}

// Fields lists the paths of the fields with problems, for audit entries
// (which name fields, never values).
func (es Errors) Fields() []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Field
	}
	return out
}

// problems collects FieldErrors.
type problems struct{ list Errors }

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// excerptLen bounds a value quoted in a message.
const excerptLen = 48

// quote shows untrusted text in a message: at most excerptLen bytes (cut
// on a rune boundary), every run of seven or more digits masked, quoted
// with Go escapes so control characters cannot reach a terminal.
func quote(s string) string {
	s = pii.MaskDigitRuns(s, pii.PhoneDigits-1)
	if len(s) <= excerptLen {
		return strconv.Quote(s)
	}
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
