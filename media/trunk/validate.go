package trunk

import (
	"crypto/x509"
	"encoding/pem"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"kordon/types/fault"
	"kordon/types/pii"
)

// Bounds on a trunk's free-form fields.
const (
	maxDescription = 256
	maxCA          = 64 << 10
	maxNameLen     = 253 // a DNS name
	maxUsername    = 64
	minPassword    = 8
	maxPassword    = 128
	maxCallerID    = 32
	maxRouteKey    = 32
	maxRoutes      = 10000
	maxAllowFrom   = 256
)

var (
	idPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	routeKeyPattern = regexp.MustCompile(`^[0-9+*#]{1,32}$`)
	scenarioPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// Validate checks every field of t and returns an Errors listing all
// problems, wrapped in a fault.Error of kind Invalid, or nil. Credentials
// must carry a password; the repo relaxes that on update for a password
// it already stores. Call Normalize first to accept the spellings it
// fixes (upper-case transport, lower-case codecs).
func (t Trunk) Validate() error {
	if es := t.check(kept{}); len(es) > 0 {
		return fault.E("trunk.Validate", fault.Invalid, es)
	}
	return nil
}

// kept says which passwords the repo already stores, so that an update
// may leave them out.
type kept struct{ inbound, outbound bool }

// check returns every problem with t, in field order.
func (t Trunk) check(k kept) Errors {
	var p problems
	switch {
	case !idPattern.MatchString(t.ID):
		p.add("id", "want 1-32 characters of a-z, 0-9 and '-', starting with a letter, got %s", quote(t.ID))
	case pii.DigitRun(t.ID) >= pii.PhoneDigits:
		p.add("id", "must not contain %d or more digits in a row (it could be a telephone number)", pii.PhoneDigits)
	}
	checkText(&p, "description", t.Description, maxDescription)
	checkHost(&p, "host", t.Host)
	if t.Port < 0 || t.Port > 65535 {
		p.add("port", "want 1-65535 (or 0 for the default), got %d", t.Port)
	}
	switch t.Transport {
	case "", "tls":
	case "tcp", "udp":
		if !t.Insecure {
			p.add("transport", "%s carries SIP unencrypted; set insecure to true to allow it, or use tls", t.Transport)
		}
	default:
		p.add("transport", "want tls, tcp or udp, got %s", quote(t.Transport))
	}
	// An unknown transport is reported once, above, not again here.
	t.TLS.check(&p, t.Transport != "tcp" && t.Transport != "udp")
	checkAllowFrom(&p, t.AllowFrom, t.Inbound != nil || t.TLS.RequireClientCert)
	t.Inbound.check(&p, "inbound_auth", k.inbound)
	t.Outbound.check(&p, "outbound_auth", k.outbound)
	switch t.SRTP {
	case "", SRTPMandatory, SRTPOptional:
	default:
		p.add("srtp", "want mandatory or optional, got %s", quote(t.SRTP))
	}
	for i, c := range t.Codecs {
		field := "codecs[" + strconv.Itoa(i) + "]"
		switch {
		case c != CodecPCMU && c != CodecPCMA:
			p.add(field, "want PCMU or PCMA, got %s", quote(c))
		case slices.Index(t.Codecs, c) < i:
			p.add(field, "%s is listed twice", c)
		}
	}
	checkRoutes(&p, t.Routes)
	checkCallerID(&p, "caller_id", t.CallerID)
	t.Limits.check(&p)
	return p.list
}

// checkText accepts printable text of at most max bytes without a run of
// digits that could be a telephone number.
func checkText(p *problems, field, s string, max int) {
	switch {
	case len(s) > max:
		p.add(field, "longer than %d bytes", max)
	case !utf8.ValidString(s):
		p.add(field, "is not valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
		p.add(field, "must not contain control characters")
	case pii.DigitRun(s) >= pii.PhoneDigits:
		p.add(field, "must not contain %d or more digits in a row (it could be a telephone number)", pii.PhoneDigits)
	}
}

// checkHost accepts an IP address (without zone) or a DNS host name, and
// says what to do about the usual mistakes: a URL or a port in the host.
func checkHost(p *problems, field, h string) {
	if h == "" {
		p.add(field, "required: the PBX's host name or IP address")
		return
	}
	if strings.Contains(h, "://") || strings.HasPrefix(h, "sip:") || strings.HasPrefix(h, "sips:") {
		p.add(field, "want a bare host name or IP address without a scheme, got %s", quote(h))
		return
	}
	if a, err := netip.ParseAddr(h); err == nil {
		switch {
		case a.Zone() != "":
			p.add(field, "want an IP address without a zone, got %s", quote(h))
		case a.IsUnspecified() || a.IsMulticast():
			p.add(field, "want the address of one host, got %s", quote(h))
		}
		return
	}
	if strings.Contains(h, ":") {
		p.add(field, "want a host name or IP address without a port (the port has its own field), got %s", quote(h))
		return
	}
	if !validHostname(h) {
		p.add(field, "want a host name of letters, digits, '-' and '.', or an IP address, got %s", quote(h))
	}
}

// validHostname accepts RFC 1123 names: dot-separated labels of letters,
// digits and inner hyphens, with an optional final dot, and not all
// digits and dots (which would be a malformed IPv4 address).
func validHostname(h string) bool {
	if h == "" || len(h) > maxNameLen {
		return false
	}
	name := strings.TrimSuffix(h, ".")
	if strings.Trim(name, "0123456789.") == "" {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// check validates the TLS settings; secure says whether the transport is
// TLS, which client certificates need.
func (c TLS) check(p *problems, secure bool) {
	if c.ServerName != "" {
		if _, err := netip.ParseAddr(c.ServerName); err != nil && !validHostname(c.ServerName) {
			p.add("tls.server_name", "want a host name or IP address, got %s", quote(c.ServerName))
		}
	}
	if c.CA != "" {
		checkCA(p, "tls.ca", c.CA)
	}
	if c.RequireClientCert {
		if c.CA == "" {
			p.add("tls.require_client_cert", "needs tls.ca: the authority that signs the PBX's client certificate")
		}
		if !secure {
			p.add("tls.require_client_cert", "needs transport tls")
		}
	}
	if c.ClientName != "" {
		switch {
		case len(c.ClientName) > maxNameLen || strings.IndexFunc(c.ClientName, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
			p.add("tls.client_name", "want a DNS name, URI or common name without spaces, of at most %d bytes", maxNameLen)
		case !c.RequireClientCert:
			p.add("tls.client_name", "is checked only with require_client_cert; set it to true or remove client_name")
		}
	}
}

// checkCA accepts a PEM bundle of one or more certificates and nothing
// else.
func checkCA(p *problems, field, bundle string) {
	if len(bundle) > maxCA {
		p.add(field, "longer than %d bytes", maxCA)
		return
	}
	rest := []byte(bundle)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		n++
		if b.Type != "CERTIFICATE" {
			p.add(field, "PEM block %d is a %s, want CERTIFICATE (a CA bundle holds no keys)", n, quote(b.Type))
			return
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			p.add(field, "certificate %d does not parse: %s", n, quote(err.Error()))
			return
		}
	}
	switch {
	case n == 0:
		p.add(field, "want PEM certificates (-----BEGIN CERTIFICATE-----)")
	case strings.TrimSpace(string(rest)) != "":
		p.add(field, "has text after its last certificate")
	}
}

// checkAllowFrom accepts network prefixes written as networks (no host
// bits set). A prefix that admits every address needs another check on
// the trunk (digest or client certificates), authenticated says whether
// there is one.
func checkAllowFrom(p *problems, list []netip.Prefix, authenticated bool) {
	if len(list) > maxAllowFrom {
		p.add("allow_from", "more than %d networks", maxAllowFrom)
		return
	}
	for i, pf := range list {
		field := "allow_from[" + strconv.Itoa(i) + "]"
		switch {
		case !pf.IsValid():
			p.add(field, "want a network such as \"192.0.2.0/24\" or \"2001:db8::/32\"")
		case pf.Addr().Zone() != "":
			p.add(field, "want a network without a zone")
		case pf.Masked() != pf:
			p.add(field, "has host bits set; want %s, or %s/%d for the one host", pf.Masked(), pf.Addr(), pf.Addr().BitLen())
		case pf.Bits() == 0 && !authenticated:
			p.add(field, "admits every address; list the PBX's networks, or require inbound_auth or tls.require_client_cert as well")
		}
	}
}

// check validates one direction's credentials; a nil c is fine. stored
// says the repo holds a password for this direction already, so the
// request may leave it out.
func (c *Credentials) check(p *problems, field string, stored bool) {
	if c == nil {
		return
	}
	switch {
	case c.Username == "":
		p.add(field+".username", "required")
	case len(c.Username) > maxUsername:
		p.add(field+".username", "longer than %d characters", maxUsername)
	case !isToken(c.Username):
		p.add(field+".username", "want a SIP token: letters, digits and - . ! %% * _ + ` ' ~")
	}
	// Password messages never repeat the password, not even in part.
	pw := c.Password.Reveal()
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "" && stored:
	case pw == "":
		p.add(field+".password", "required: %d to %d characters", minPassword, maxPassword)
	case !utf8.ValidString(pw) || strings.IndexFunc(pw, unicode.IsControl) >= 0:
		p.add(field+".password", "must be valid UTF-8 without control characters")
	case n < minPassword || n > maxPassword:
		p.add(field+".password", "want %d to %d characters, got %d", minPassword, maxPassword, n)
	}
}

// isToken reports whether s is an RFC 3261 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// checkRoutes accepts "*" or a dialled number of digits, '+', '*' and '#'
// as keys and scenario names as values. Keys are company numbers, which
// are not personal data, but they are masked in messages all the same.
func checkRoutes(p *problems, routes map[string]string) {
	if len(routes) > maxRoutes {
		p.add("routes", "more than %d routes; use \"*\" for the rest", maxRoutes)
		return
	}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field := "routes[" + quote(k) + "]"
		if k != "*" && !routeKeyPattern.MatchString(k) {
			p.add(field, "want \"*\" or a dialled number of at most %d digits, '+', '*' and '#'", maxRouteKey)
		}
		if v := routes[k]; !scenarioPattern.MatchString(v) || pii.DigitRun(v) >= pii.PhoneDigits {
			p.add(field, "want a scenario name: 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit, without %d digits in a row; got %s", pii.PhoneDigits, quote(v))
		}
	}
}

// checkCallerID accepts the characters of a SIP URI user part without
// escapes (RFC 3261 unreserved and user-unreserved).
func checkCallerID(p *problems, field, s string) {
	if s == "" {
		return
	}
	if len(s) > maxCallerID {
		p.add(field, "longer than %d characters", maxCallerID)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0) {
			p.add(field, "want the user part of a SIP URI: letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? /, got %s", quote(s))
			return
		}
	}
}

// check validates the limits: each is zero (the default) or positive.
func (l Limits) check(p *problems) {
	if l.MaxCalls < 0 {
		p.add("limits.max_calls", "want a positive number (or 0 for the default %d), got %d", DefaultMaxCalls, l.MaxCalls)
	}
	if l.MaxCPS < 0 || math.IsNaN(l.MaxCPS) || math.IsInf(l.MaxCPS, 0) {
		p.add("limits.max_cps", "want a positive number (or 0 for the default %d), got %v", DefaultMaxCPS, l.MaxCPS)
	}
	if l.RingTimeout < 0 {
		p.add("limits.ring_timeout", "want a positive duration (or none for the default %s), got %s", DefaultRingTimeout, l.RingTimeout)
	}
	if l.MaxDuration < 0 {
		p.add("limits.max_duration", "want a positive duration (or none for the default %s), got %s", DefaultMaxDuration, l.MaxDuration)
	}
}
