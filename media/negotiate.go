package media

import (
	"crypto/rand"
	"errors"
	"net"
	"strconv"

	"kordon/media/codec"
	"kordon/media/sdp"
	"kordon/media/trunk"
	"kordon/types/fault"
)

// policyOf is a trunk's media policy for SDP negotiation.
func policyOf(t *trunk.Trunk) sdp.Policy {
	var p sdp.Policy
	if t.SRTP == "optional" {
		p.SRTP = sdp.Optional
	}
	for _, name := range t.Codecs {
		if c, ok := codec.ByName(name); ok {
			p.Codecs = append(p.Codecs, c)
		}
	}
	return p
}

// negotiateAnswer answers an offer under the trunk's policy.
func negotiateAnswer(offer []byte, t *trunk.Trunk, local sdp.Local, prev *sdp.Media) ([]byte, sdp.Media, error) {
	return sdp.Answer(offer, policyOf(t), local, prev)
}

// localSDP is our side of a new session on an RTP port.
func (e *Edge) localSDP(port int) sdp.Local {
	var id [8]byte
	rand.Read(id[:])
	sid := uint64(0)
	for _, b := range id {
		sid = sid<<8 | uint64(b)
	}
	return sdp.Local{Addr: e.cfg.Advertise, Port: port, SessionID: sid >> 1, Version: 1, Username: "kordon"}
}

// statusOf maps a failure to the SIP status that answers it.
func statusOf(err error) int {
	switch {
	case errors.Is(err, sdp.ErrNotAcceptable), errors.Is(err, errNoOffer):
		return 488
	case errors.Is(err, sdp.ErrMalformed):
		return 400
	}
	switch fault.KindOf(err) {
	case fault.Invalid:
		return 400
	case fault.Unavailable, fault.RateLimited:
		return 503
	}
	return 500
}

// warningOf is the text of a Warning header for err: sdp's reasons are
// written for it and echo nothing of the request.
func warningOf(err error) string {
	var w interface{ Warning() string }
	if errors.As(err, &w) {
		return w.Warning()
	}
	if errors.Is(err, errNoOffer) {
		return "an SDP offer is required in the INVITE"
	}
	return ""
}

// portOf is the port of a listener address.
func portOf(a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}
