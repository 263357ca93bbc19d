package sdp

import (
	"net/netip"
	"strings"
)

// Input limits. An honest offer is a few hundred bytes with one or two
// m= lines and at most a dozen a=crypto lines (rtpengine offers twelve).
const (
	maxSize   = 64 << 10
	maxMedia  = 32
	maxCrypto = 128
	maxToken  = 64 // longest media, proto or format token we echo back
)

// description is the part of a session description that offer/answer
// needs. Everything else (o=, s=, b=, ICE, fingerprints, unknown
// attributes) is skipped.
type description struct {
	conn  conn
	dir   Direction
	dirOK bool
	media []media
}

// media is one m= section.
type media struct {
	line    int // of the m= line, for errors
	kind    string
	port    int
	proto   string
	formats []string
	conn    conn
	dir     Direction
	dirOK   bool
	rtpmaps []rtpmap
	ptime   int // 0 when absent or unusable
	rtcpMux bool
	rtcp    int        // a=rtcp port, 0 when absent
	rtcpIP  netip.Addr // a=rtcp address, invalid when absent
	crypto  []string   // a=crypto values in order
}

// conn is a c= line. An address we cannot use (a host name, multicast) is
// not a syntax error: bad records it so that only a stream that needs it
// is refused.
type conn struct {
	set  bool
	addr netip.Addr
	bad  bool
}

// rtpmap is an a=rtpmap line.
type rtpmap struct {
	pt       int
	name     string // encoding name, as sent
	rate     int
	channels int // 0 when absent
}

// parse reads a session description leniently where real peers differ
// (LF or CRLF, blank lines, attributes in any order, unknown lines) and
// strictly where a mistake would change the meaning of what we answer.
// It never panics and keeps no reference to b.
func parse(b []byte) (*description, *Error) {
	if len(b) > maxSize {
		return nil, errTooLarge
	}
	s := string(b)
	first, s, _ := strings.Cut(s, "\n")
	if strings.TrimSuffix(first, "\r") != "v=0" {
		return nil, malformed(1, "want v=0 first")
	}
	d := &description{}
	var cur *media
	nCrypto := 0
	for n := 2; s != ""; n++ {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return nil, malformed(n, "not a <type>=<value> line")
		}
		v := line[2:]
		switch line[0] {
		case 'm':
			if len(d.media) == maxMedia {
				return nil, errTooManyMedia
			}
			m, e := parseMediaLine(n, v)
			if e != nil {
				return nil, e
			}
			d.media = append(d.media, m)
			cur = &d.media[len(d.media)-1]
		case 'c':
			c, ok := parseConn(v)
			if !ok {
				return nil, malformed(n, "bad c= line")
			}
			if cur == nil {
				d.conn = c
			} else {
				cur.conn = c
			}
		case 'a':
			name, value, _ := strings.Cut(v, ":")
			if dir, ok := parseDirection(name); ok {
				if cur == nil {
					d.dir, d.dirOK = dir, true
				} else {
					cur.dir, cur.dirOK = dir, true
				}
				continue
			}
			if cur == nil {
				continue // no other session-level attribute matters here
			}
			if name == "crypto" {
				if nCrypto++; nCrypto > maxCrypto {
					return nil, errTooManyCrypto
				}
			}
			if e := cur.attribute(n, name, value); e != nil {
				return nil, e
			}
		}
	}
	for i := range d.media {
		m := &d.media[i]
		if m.port != 0 && !m.conn.set && !d.conn.set {
			return nil, malformed(m.line, "m= line without a c= line")
		}
	}
	return d, nil
}

// parseMediaLine parses "<media> <port>[/<count>] <proto> <fmt> ...".
func parseMediaLine(n int, v string) (media, *Error) {
	m := media{line: n}
	kind, rest := cutField(v)
	port, rest := cutField(rest)
	proto, rest := cutField(rest)
	if !isToken(kind) || !isToken(proto) {
		return m, malformed(n, "bad m= line")
	}
	if p, count, ok := strings.Cut(port, "/"); ok {
		c, ok := atoiDigits(count, 1)
		if !ok || c < 1 {
			return m, malformed(n, "bad port count in m= line")
		}
		port = p
	}
	pn, ok := atoiDigits(port, 5)
	if !ok || pn > 65535 {
		return m, malformed(n, "bad port in m= line")
	}
	m.kind, m.port, m.proto = kind, pn, proto
	for rest != "" {
		var f string
		f, rest = cutField(rest)
		if !isToken(f) {
			return m, malformed(n, "bad format in m= line")
		}
		m.formats = append(m.formats, f)
	}
	if len(m.formats) == 0 {
		return m, malformed(n, "m= line without formats")
	}
	return m, nil
}

// attribute records one media-level attribute.
func (m *media) attribute(n int, name, value string) *Error {
	switch name {
	case "rtpmap":
		r, ok := parseRTPMap(value)
		if !ok {
			return malformed(n, "bad a=rtpmap line")
		}
		m.rtpmaps = append(m.rtpmaps, r)
	case "ptime":
		// Some peers write "20.0"; a ptime we cannot read is only a hint
		// lost.
		whole, _, _ := strings.Cut(value, ".")
		if p, ok := atoiDigits(whole, 4); ok {
			m.ptime = p
		}
	case "rtcp-mux":
		m.rtcpMux = true
	case "rtcp":
		port, rest := cutField(value)
		p, ok := atoiDigits(port, 5)
		if !ok || p == 0 || p > 65535 {
			return malformed(n, "bad a=rtcp line")
		}
		m.rtcp = p
		if rest != "" {
			c, ok := parseConn(rest)
			if !ok {
				return malformed(n, "bad a=rtcp line")
			}
			if !c.bad {
				m.rtcpIP = c.addr
			}
		}
	case "crypto":
		m.crypto = append(m.crypto, value)
	}
	return nil
}

// parseRTPMap parses "<pt> <encoding>/<rate>[/<channels>]".
func parseRTPMap(v string) (rtpmap, bool) {
	var r rtpmap
	pt, enc := cutField(v)
	p, ok := atoiDigits(pt, 3)
	if !ok || p > 127 {
		return r, false
	}
	name, rest, ok := strings.Cut(strings.TrimRight(enc, " \t"), "/")
	if !ok || name == "" {
		return r, false
	}
	rate, ch, hasCh := strings.Cut(rest, "/")
	rn, ok := atoiDigits(rate, 6)
	if !ok {
		return r, false
	}
	r = rtpmap{pt: p, name: name, rate: rn}
	if hasCh {
		if r.channels, ok = atoiDigits(ch, 2); !ok {
			return r, false
		}
	}
	return r, true
}

// parseConn parses "IN IP4 <addr>[/ttl[/n]]" or "IN IP6 <addr>[/n]".
// A host name or a multicast group parses but is marked bad; a family
// that contradicts the address is a syntax error.
func parseConn(v string) (conn, bool) {
	nettype, rest := cutField(v)
	family, rest := cutField(rest)
	host, rest := cutField(rest)
	if nettype != "IN" || host == "" || rest != "" {
		return conn{}, false
	}
	host, _, _ = strings.Cut(host, "/")
	a, err := netip.ParseAddr(host)
	switch {
	case family != "IP4" && family != "IP6":
		return conn{}, false
	case err != nil:
		return conn{set: true, bad: true}, true // a host name: we resolve nothing
	case a.Zone() != "":
		return conn{}, false
	case family == "IP4" && !a.Is4(), family == "IP6" && !a.Is6():
		return conn{}, false
	case a.IsMulticast():
		return conn{set: true, bad: true}, true
	}
	return conn{set: true, addr: a.Unmap()}, true
}

// isToken reports whether s is a media, proto or format token we may echo
// back in an answer: visible ASCII, no longer than maxToken.
func isToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
