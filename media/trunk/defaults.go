package trunk

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Defaults of the optional fields, as their comments on Trunk name them.
const (
	DefaultTLSPort     = 5061
	DefaultPlainPort   = 5060
	DefaultTransport   = "tls"
	DefaultSRTP        = SRTPMandatory
	DefaultCallerID    = "kordon"
	DefaultMaxCalls    = 100
	DefaultMaxCPS      = 10
	DefaultRingTimeout = Duration(30 * time.Second)
	DefaultMaxDuration = Duration(time.Hour)
)

// SRTP policies.
const (
	SRTPMandatory = "mandatory"
	SRTPOptional  = "optional"
)

// Codec names, in the default order of preference.
const (
	CodecPCMU = "PCMU"
	CodecPCMA = "PCMA"
)

// Normalize brings t into canonical spelling in place: host, server name,
// transport and SRTP policy in lower case, IPv6 host literals without
// brackets, codec names in upper case, surrounding spaces trimmed, empty
// lists and maps nil. It changes nothing else (it fills in no default and
// fixes no mistake), so Validate still sees what the admin wrote. It is
// idempotent.
func (t *Trunk) Normalize() {
	t.Description = strings.TrimSpace(t.Description)
	t.Host = strings.ToLower(strings.TrimSpace(t.Host))
	if strings.HasPrefix(t.Host, "[") && strings.HasSuffix(t.Host, "]") {
		t.Host = t.Host[1 : len(t.Host)-1]
	}
	t.Transport = strings.ToLower(strings.TrimSpace(t.Transport))
	t.SRTP = strings.ToLower(strings.TrimSpace(t.SRTP))
	t.TLS.ServerName = strings.ToLower(strings.TrimSpace(t.TLS.ServerName))
	t.CallerID = strings.TrimSpace(t.CallerID)
	if len(t.Codecs) == 0 {
		t.Codecs = nil
	}
	for i, c := range t.Codecs {
		t.Codecs[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	if len(t.AllowFrom) == 0 {
		t.AllowFrom = nil
	}
	if len(t.Routes) == 0 {
		t.Routes = nil
	}
	for _, c := range []*Credentials{t.Inbound, t.Outbound} {
		if c != nil {
			c.Username = strings.TrimSpace(c.Username)
		}
	}
}

// WithDefaults returns a copy of t with every optional field that is zero
// set to its default. The copy shares nothing with t that t could change
// later (lists, maps and credentials are cloned).
func (t Trunk) WithDefaults() Trunk {
	d := t.clone()
	if d.Transport == "" {
		d.Transport = DefaultTransport
	}
	if d.Port == 0 {
		d.Port = DefaultPlainPort
		if d.Transport == "tls" {
			d.Port = DefaultTLSPort
		}
	}
	if d.TLS.ServerName == "" {
		d.TLS.ServerName = d.Host
	}
	if d.SRTP == "" {
		d.SRTP = DefaultSRTP
	}
	if len(d.Codecs) == 0 {
		d.Codecs = []string{CodecPCMU, CodecPCMA}
	}
	if d.CallerID == "" {
		d.CallerID = DefaultCallerID
		if d.Outbound != nil && d.Outbound.Username != "" {
			d.CallerID = d.Outbound.Username
		}
	}
	l := &d.Limits
	if l.MaxCalls == 0 {
		l.MaxCalls = DefaultMaxCalls
	}
	if l.MaxCPS == 0 {
		l.MaxCPS = DefaultMaxCPS
	}
	if l.RingTimeout == 0 {
		l.RingTimeout = DefaultRingTimeout
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	return d
}

// clone copies t deeply, so a Set's trunks never alias a caller's.
func (t Trunk) clone() Trunk {
	c := t
	c.AllowFrom = slices.Clone(t.AllowFrom)
	c.Codecs = slices.Clone(t.Codecs)
	c.Routes = maps.Clone(t.Routes)
	c.addrs = slices.Clone(t.addrs)
	if t.Inbound != nil {
		in := *t.Inbound
		c.Inbound = &in
	}
	if t.Outbound != nil {
		out := *t.Outbound
		c.Outbound = &out
	}
	return c
}
