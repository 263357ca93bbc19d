package audit

import (
	"bufio"
	"encoding/base64"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
)

// CEF header fields.
const (
	cefVendor  = "Kordon"
	cefProduct = "Kordon"
)

// cefSeverity maps a result to a CEF severity (0-10).
func cefSeverity(result string) int {
	switch result {
	case ResultOK:
		return 3
	case ResultNotFound, ResultErased:
		return 4
	case ResultInvalid:
		return 5
	case ResultDenied:
		return 7
	}
	return 8
}

// cefExporter writes one ArcSight CEF event per line:
//
//	CEF:0|Kordon|Kordon|VERSION|ACTION|ACTION RESULT|SEVERITY|rt=… cn1Label=seq cn1=0 …
type cefExporter struct{ host, version string }

func (x cefExporter) entry(w *bufio.Writer, e *Entry, _ []byte) {
	b := x.header(nil, e.Action, e.Action+" "+e.Result, cefSeverity(e.Result))
	b = cefExt(b, "rt", strconv.FormatInt(e.Time.UnixMilli(), 10))
	b = cefExt(b, "dvchost", x.host)
	b = cefExt(b, "cn1Label", "seq")
	b = cefExt(b, "cn1", strconv.FormatInt(e.Seq, 10))
	b = cefExt(b, "act", e.Action)
	b = cefExt(b, "outcome", e.Result)
	b = cefExt(b, "suser", e.Actor.ID)
	if e.Actor.Type != "" {
		b = cefExt(b, "cs1Label", "actorType")
		b = cefExt(b, "cs1", e.Actor.Type)
	}
	b = cefRemote(b, e.Remote)
	b = cefLabeled(b, "cs2", "purpose", e.Purpose)
	b = cefLabeled(b, "cs3", "reference", e.Reference)
	b = cefLabeled(b, "cs4", "codes", strings.Join(e.Codes, ","))
	b = cefLabeled(b, "cs5", "valueHashes", strings.Join(e.ValueHashes, ","))
	b = cefLabeled(b, "cs6", "requestId", e.RequestID)
	b = cefLabeled(b, "flexString1", "kind", e.Kind)
	b = cefExt(b, "reason", e.Reason)
	if len(e.Detail) > 0 {
		var d []string
		for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
			d = append(d, k+"="+e.Detail[k])
		}
		b = cefExt(b, "msg", strings.Join(d, " "))
	}
	w.Write(append(b, '\n'))
}

func (x cefExporter) checkpoint(w *bufio.Writer, cp Checkpoint) {
	b := x.header(nil, "audit.checkpoint", "signed checkpoint", 1)
	b = cefExt(b, "rt", strconv.FormatInt(cp.Time.UnixMilli(), 10))
	b = cefExt(b, "dvchost", x.host)
	b = cefLabeled(b, "cn1", "size", strconv.FormatInt(cp.Size, 10))
	b = cefLabeled(b, "cs1", "origin", cp.Origin)
	b = cefLabeled(b, "cs2", "root", base64.StdEncoding.EncodeToString(cp.Root[:]))
	w.Write(append(b, '\n'))
}

func (x cefExporter) header(b []byte, signature, name string, severity int) []byte {
	b = append(b, "CEF:0|"...)
	for _, f := range []string{cefVendor, cefProduct, x.version, signature, name} {
		b = cefHeader(b, f)
		b = append(b, '|')
	}
	b = strconv.AppendInt(b, int64(severity), 10)
	return append(b, '|')
}

// cefHeader appends a header field, escaping '|' and '\'. Line breaks are
// not allowed in the header and become spaces.
func cefHeader(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '|' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' || c == 0x7f:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

// cefExt appends ` key=value` (no leading space for the first extension)
// unless value is empty, escaping '=' and '\' and writing line breaks as
// \n and \r.
func cefExt(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	if b[len(b)-1] != '|' {
		b = append(b, ' ')
	}
	b = append(b, key...)
	b = append(b, '=')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '=' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < ' ' || c == 0x7f:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

// cefLabeled appends a custom field and its label.
func cefLabeled(b []byte, key, label, value string) []byte {
	if value == "" {
		return b
	}
	b = cefExt(b, key+"Label", label)
	return cefExt(b, key, value)
}

// cefRemote maps a client address to src and spt when it is an IP
// address (with or without a port), and to shost otherwise.
func cefRemote(b []byte, remote string) []byte {
	if remote == "" {
		return b
	}
	if host, port, err := net.SplitHostPort(remote); err == nil && net.ParseIP(host) != nil {
		b = cefExt(b, "src", host)
		return cefExt(b, "spt", port)
	}
	if net.ParseIP(remote) != nil {
		return cefExt(b, "src", remote)
	}
	return cefExt(b, "shost", remote)
}
