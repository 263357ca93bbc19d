package media

import (
	"context"
	"log/slog"

	"kordon/types/pii"
)

// maskedHandler is the adapter for sipgo's logger: sipgo logs parse
// failures and transaction errors with excerpts of SIP messages, which can
// hold a caller's number. Every message and string attribute passes through
// pii.MaskDigitRuns before it reaches the appliance's log.
type maskedHandler struct{ next slog.Handler }

func newMaskedLogger(l *slog.Logger) *slog.Logger {
	return slog.New(maskedHandler{next: l.Handler()})
}

func (h maskedHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return h.next.Enabled(ctx, lv)
}

func (h maskedHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h maskedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	m := make([]slog.Attr, len(as))
	for i, a := range as {
		m[i] = maskAttr(a)
	}
	return maskedHandler{next: h.next.WithAttrs(m)}
}

func (h maskedHandler) WithGroup(name string) slog.Handler {
	return maskedHandler{next: h.next.WithGroup(name)}
}

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, mask(v.String()))
	case slog.KindGroup:
		g := v.Group()
		m := make([]any, len(g))
		for i, x := range g {
			m[i] = maskAttr(x)
		}
		return slog.Group(a.Key, m...)
	case slog.KindAny:
		// Errors and Stringers (SIP headers, URIs) are rendered and masked.
		return slog.String(a.Key, mask(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// mask hides everything phone-shaped: a run of digits, optionally broken
// by the separators people and PBXs write numbers with ("+7 (916) 123-45-67",
// "sip:+7-916-1234567@"), that holds pii.PhoneDigits digits or more. Dots
// do not join runs, so IP addresses stay readable.
func mask(s string) string {
	var b []byte // allocated only when something is masked
	start, digits, last := -1, 0, 0
	flush := func(end int) {
		if start >= 0 && digits >= pii.PhoneDigits {
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[:start]...)
			} else {
				b = append(b, s[last:start]...)
			}
			b = append(b, pii.Redacted...)
			last = end
		}
		start, digits = -1, 0
	}
	end := 0 // just past the run's last digit
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if start < 0 {
				start = i
			}
			digits++
			end = i + 1
		case start >= 0 && (c == ' ' || c == '-' || c == '(' || c == ')' || c == '/'):
			// a separator inside a possible number
		case c == '+' && start < 0:
			// a leading plus belongs to the number that may follow
		default:
			flush(end)
		}
	}
	flush(end)
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}
