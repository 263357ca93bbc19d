package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldError is one problem with the boot file or a Config.
type FieldError struct {
	File string // the file's name as given to Parse or Load; "" from Validate
	Line int    // 1-based line in File; 0 when unknown or not from a file
	Key  string // dotted key path, e.g. "keys.vault.address"; "" for the whole file
	Msg  string // what is wrong; never a secret, since the file holds none
}

// Error formats the problem as "file:line: key: msg", leaving out the parts
// that are unknown, so editors and terminals can jump to the line.
func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file or Config, in file order. Parse,
// Load and Validate return it wrapped in a fault.Error of kind Invalid;
// get at it with errors.As.
type Errors []FieldError

// Error lists the problems one per line, after a count when there are
// several.
func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no problems"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n")
		b.WriteString(e.Error())
	}
	return b.String()
}

// sort orders problems by line, keeping those without a line (which concern
// the whole file) first and the order of equal lines as found.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b FieldError) int { return cmp.Compare(a.Line, b.Line) })
}

// problems collects FieldErrors.
type problems struct {
	list Errors
}

func (p *problems) add(line int, key, format string, args ...any) {
	p.list = append(p.list, FieldError{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// quote shows a value from the file in a message, shortened so that a long
// paste cannot flood the terminal.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		// Cut on a rune boundary.
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
