package trunk

import (
	"net"
	"net/netip"
	"slices"
	"strconv"

	"kordon/media/codec"
)

// Address returns "host:port" of the PBX, with the default port when Port
// is zero and brackets around an IPv6 address.
func (t Trunk) Address() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.port()))
}

// URI returns the SIP URI of user at the PBX with the trunk's transport,
// such as "sip:+74951234567@pbx.example:5061;transport=tls". user must be
// a valid URI user part (Validate checks CallerID; dialled numbers are
// digits and '+'); an empty user gives the PBX's own URI.
func (t Trunk) URI(user string) string {
	u := "sip:"
	if user != "" {
		u += user + "@"
	}
	return u + t.Address() + ";transport=" + t.transport()
}

// Route returns the scenario that answers a call to dialled: its own route
// if it has one, else the "*" route. ok is false when neither exists; the
// edge then answers 404.
func (t Trunk) Route(dialled string) (scenario string, ok bool) {
	if s, ok := t.Routes[dialled]; ok {
		return s, true
	}
	s, ok := t.Routes["*"]
	return s, ok
}

// Allows reports whether a request from ip may arrive on this trunk: ip
// is in AllowFrom, or, when AllowFrom is empty, ip is one of the addresses
// Host resolved to when the trunk's Set was built (or Host itself, when it
// is an IP address). IPv4-mapped IPv6 addresses count as IPv4.
func (t Trunk) Allows(ip netip.Addr) bool {
	ip = ip.Unmap()
	if len(t.AllowFrom) > 0 {
		for _, p := range t.AllowFrom {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	if h, err := netip.ParseAddr(t.Host); err == nil {
		return h.Unmap() == ip
	}
	return slices.Contains(t.addrs, ip)
}

// CodecList returns the trunk's codecs in order of preference, with the
// default (PCMU, PCMA) when Codecs is empty. Names Validate refused are
// left out. The slice is the caller's.
func (t Trunk) CodecList() []codec.Codec {
	if len(t.Codecs) == 0 {
		return []codec.Codec{codec.PCMU, codec.PCMA}
	}
	out := make([]codec.Codec, 0, len(t.Codecs))
	for _, name := range t.Codecs {
		if c, ok := codec.ByName(name); ok && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// transport is Transport with the default applied.
func (t Trunk) transport() string {
	if t.Transport == "" {
		return DefaultTransport
	}
	return t.Transport
}

// port is Port with the default for the transport applied.
func (t Trunk) port() int {
	switch {
	case t.Port != 0:
		return t.Port
	case t.transport() == "tls":
		return DefaultTLSPort
	}
	return DefaultPlainPort
}
