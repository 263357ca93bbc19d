package trunk

import (
	"net/netip"
	"time"
)

// Trunk is a SIP trunk to one of the customer's PBXs: where to send calls,
// how to recognise and authenticate calls that arrive from it, and what
// media it must use. Trunks live in the database; the zero value of every
// optional field means the default named in its comment.
type Trunk struct {
	// ID names the trunk: 1–32 characters of a-z, 0-9 and '-', starting
	// with a letter. Calls, events and logs refer to the trunk by it.
	ID string `json:"id"`
	// Description is free text for the console. It must not contain a
	// telephone number (no run of 7 or more digits).
	Description string `json:"description,omitempty"`

	// Host is the PBX's host name or IP address, where outbound calls go.
	Host string `json:"host"`
	// Port is the PBX's SIP port. Default: 5061 for tls, 5060 otherwise.
	Port int `json:"port,omitempty"`
	// Transport is tls, tcp or udp. Default: tls. tcp and udp are accepted
	// only when Insecure is set.
	Transport string `json:"transport,omitempty"`
	// Insecure allows plain (unencrypted) SIP signalling on this trunk. It
	// must be set explicitly; SRTP policy is separate.
	Insecure bool `json:"insecure,omitempty"`

	// TLS settings for the connection to the PBX and from it.
	TLS TLS `json:"tls,omitzero"`

	// AllowFrom lists the networks inbound requests on this trunk may come
	// from. Default: the addresses Host resolves to, as single hosts.
	AllowFrom []netip.Prefix `json:"allow_from,omitempty"`

	// Inbound, when set, makes the PBX authenticate its requests to us
	// with SIP digest (RFC 8760 MD5 or SHA-256) as this user.
	Inbound *Credentials `json:"inbound_auth,omitempty"`
	// Outbound, when set, is the user we authenticate as when the PBX
	// challenges our requests.
	Outbound *Credentials `json:"outbound_auth,omitempty"`

	// SRTP is mandatory or optional. Default: mandatory. A mandatory trunk
	// answers an offer without a usable a=crypto line with 488.
	SRTP string `json:"srtp,omitempty"`
	// Codecs in order of preference, from PCMU and PCMA. Default: both,
	// PCMU first.
	Codecs []string `json:"codecs,omitempty"`

	// Routes maps a dialled number (the user part of the request URI, as
	// the PBX sends it) to the scenario that answers it. The key "*"
	// matches any number without a route of its own. A call to a number
	// with no route is refused with 404.
	Routes map[string]string `json:"routes,omitempty"`

	// CallerID is the user part of From on outbound calls: the company's
	// own number or extension as the PBX expects it. Default: the trunk's
	// outbound digest user, or "kordon".
	CallerID string `json:"caller_id,omitempty"`

	// Limits bound the trunk's calls.
	Limits Limits `json:"limits,omitzero"`

	// addrs are the addresses Host resolved to when the trunk's Set was
	// built; Allows uses them when AllowFrom is empty. They are never
	// stored: a host name's addresses change, and the repo resolves them
	// again on every refresh.
	addrs []netip.Addr `json:"-"`
}

// TLS configures the TLS connection to and from a PBX.
type TLS struct {
	// ServerName is the name the PBX's certificate must carry.
	// Default: Host.
	ServerName string `json:"server_name,omitempty"`
	// CA is a PEM bundle of the authorities that sign the PBX's
	// certificates: its server certificate, and with RequireClientCert
	// its client certificate. Default: the system's roots.
	CA string `json:"ca,omitempty"`
	// RequireClientCert makes mutual TLS mandatory for inbound calls: the
	// PBX must present a client certificate that chains to CA (which must
	// then be set).
	RequireClientCert bool `json:"require_client_cert,omitempty"`
	// ClientName, when set, must appear in the PBX client certificate's
	// DNS or URI names or subject common name.
	ClientName string `json:"client_name,omitempty"`
}

// Credentials are a digest user name and its password. The password is
// write-only: it is stored wrapped by the key provider and never returned
// by the API, the command line or the JSON encoding of a Trunk.
// Its JSON encoding (MarshalJSON) therefore has the username only, and a
// Credentials block read back from the repo means a password is stored.
type Credentials struct {
	// Username is the digest user name: a SIP token of at most 64
	// characters.
	Username string `json:"username"`
	// Password is 8 to 128 characters. In the repo's answers it is always
	// empty; in a Set it holds the unwrapped password.
	Password Secret `json:"password,omitzero"`
}

// Limits bound a trunk's load.
type Limits struct {
	// MaxCalls is the most calls at once, inbound and outbound together.
	// Further inbound calls get 486; outbound calls wait. Default: 100.
	MaxCalls int `json:"max_calls,omitempty"`
	// MaxCPS is the most new outbound calls per second. Default: 10.
	MaxCPS float64 `json:"max_cps,omitempty"`
	// RingTimeout is how long an outbound call may ring before it is
	// cancelled and classified as no-answer. Default: 30s.
	RingTimeout Duration `json:"ring_timeout,omitempty"`
	// MaxDuration ends a call that lasts longer. Default: 1h.
	MaxDuration Duration `json:"max_duration,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("30s") in
// JSON.
type Duration time.Duration
