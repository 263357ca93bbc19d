package audit

import (
	"bufio"
	"encoding/base64"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// RFC 5424 framing. The structured-data IDs use 32473, the private
// enterprise number RFC 5612 reserves for documentation, until Kordon has
// its own.
const (
	syslogFacility = 13 // log audit
	syslogApp      = "kordon"
	sdEntry        = "audit@32473"
	sdCheckpoint   = "checkpoint@32473"
)

// syslogSeverity maps a result to an RFC 5424 severity.
func syslogSeverity(result string) int {
	switch result {
	case ResultOK:
		return 6 // informational
	case ResultNotFound, ResultErased, ResultInvalid:
		return 5 // notice
	case ResultDenied:
		return 4 // warning
	}
	return 3 // error
}

// syslogHost makes a HOSTNAME field: printable US-ASCII without spaces,
// at most 255 characters.
func syslogHost(h string) string {
	b := []byte(h)
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b[:min(len(b), 255)])
}

// syslogExporter writes one RFC 5424 message per line:
//
//	<PRI>1 TIMESTAMP HOST kordon - ACTION [audit@32473 seq="0" ...] ACTION RESULT
type syslogExporter struct{ host string }

func (x syslogExporter) entry(w *bufio.Writer, e *Entry, _ []byte) {
	b := x.header(nil, syslogSeverity(e.Result), formatTime(e.Time), e.Action)
	b = append(b, '[')
	b = append(b, sdEntry...)
	b = sdParam(b, "seq", strconv.FormatInt(e.Seq, 10))
	b = sdParam(b, "actor_type", e.Actor.Type)
	b = sdParam(b, "actor_id", e.Actor.ID)
	b = sdParam(b, "remote", e.Remote)
	b = sdParam(b, "purpose", e.Purpose)
	b = sdParam(b, "reference", e.Reference)
	b = sdParam(b, "kind", e.Kind)
	b = sdParam(b, "codes", strings.Join(e.Codes, ","))
	b = sdParam(b, "value_hashes", strings.Join(e.ValueHashes, ","))
	b = sdParam(b, "result", e.Result)
	b = sdParam(b, "reason", e.Reason)
	b = sdParam(b, "request_id", e.RequestID)
	for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
		b = sdParam(b, "d."+k, e.Detail[k])
	}
	b = append(b, "] "...)
	b = append(b, e.Action...)
	b = append(b, ' ')
	b = append(b, e.Result...)
	w.Write(append(b, '\n'))
}

func (x syslogExporter) checkpoint(w *bufio.Writer, cp Checkpoint) {
	b := x.header(nil, 6, formatTime(cp.Time), "audit.checkpoint")
	b = append(b, '[')
	b = append(b, sdCheckpoint...)
	b = sdParam(b, "origin", cp.Origin)
	b = sdParam(b, "size", strconv.FormatInt(cp.Size, 10))
	b = sdParam(b, "root", base64.StdEncoding.EncodeToString(cp.Root[:]))
	b = append(b, "] signed checkpoint"...)
	w.Write(append(b, '\n'))
}

func (x syslogExporter) header(b []byte, severity int, ts, msgID string) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, syslogFacility*8+int64(severity), 10)
	b = append(b, ">1 "...)
	b = append(b, ts...)
	b = append(b, ' ')
	b = append(b, x.host...)
	b = append(b, ' ')
	b = append(b, syslogApp...)
	b = append(b, " - "...)
	b = append(b, msgID...)
	return append(b, ' ')
}

// sdParam appends ` name="value"` unless value is empty, escaping '"',
// '\' and ']' as RFC 5424 requires. Control characters become spaces, so
// that every message stays on one line.
func sdParam(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '"' || c == '\\' || c == ']':
			b = append(b, '\\', c)
		case c < ' ' || c == 0x7f:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
