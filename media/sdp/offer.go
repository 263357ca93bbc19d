package sdp

import (
	"bytes"
	"fmt"
	"log/slog"

	"kordon/types/fault"
	"kordon/types/pii"
)

// OfferState is what Accept needs to check an answer against the offer
// that Offer built: the codecs, suites and keys we offered. It holds our
// master keys and prints redacted. Accept does not change it, so it is
// safe for concurrent use and may check several answers (forked 2xx).
type OfferState struct {
	proto     string
	secure    bool // RTP/SAVP: an answer must carry a=crypto
	dir       Direction
	formats   []format
	keys      []offeredKey // tag i+1 is keys[i]
	sessionID uint64
	version   uint64
}

// offeredKey is one a=crypto line of our offer.
type offeredKey struct {
	suite     Suite
	key, salt []byte
}

// Offer builds an offer for an outbound call or for a re-INVITE we send:
// dir is our direction (SendOnly to hold the call, SendRecv to resume,
// Inactive to stop media).
//
// The offer has one m=audio line listing the policy's codecs in order on
// their static payload types and telephone-event on 101, a=ptime:20,
// a=rtcp-mux, and one a=crypto line per allowed suite in preference order,
// tags 1 to n, each with its own fresh key. Under Mandatory the transport
// is RTP/SAVP. Under Optional it is RTP/AVP with the same a=crypto lines:
// "best effort" SRTP as RFC 8643 (OSRTP) standardises it and baresip's
// mediaenc=srtp sends it. A peer without SRTP ignores the a=crypto lines
// and answers plain RTP, whereas it would refuse an RTP/SAVP offer
// outright, leaving nothing optional.
//
// For a re-INVITE, set local.SessionID to the call's Media.SessionID and
// local.Version to Media.Version+1 (RFC 3264 §8). Each offer carries new
// keys, so accepting its answer re-keys both directions.
//
// The offer holds our master keys: never log it.
func Offer(pol Policy, local Local, dir Direction) (offer []byte, st *OfferState, err error) {
	const op = "sdp.Offer"
	if pol, err = pol.resolve(op); err != nil {
		return nil, nil, err
	}
	if local, err = local.resolve(op); err != nil {
		return nil, nil, err
	}
	if dir > Inactive {
		return nil, nil, fault.E(op, fault.Invalid, fmt.Errorf("unknown direction %d", dir))
	}
	st = &OfferState{
		proto: "RTP/AVP", secure: pol.SRTP == Mandatory, dir: dir,
		sessionID: local.SessionID, version: local.Version,
	}
	if st.secure {
		st.proto = "RTP/SAVP"
	}
	for _, c := range pol.Codecs {
		st.formats = append(st.formats, format{c, int(c.PayloadType())})
	}
	b := make([]byte, 0, 640)
	b = appendSession(b, local, local.SessionID, local.Version)
	b = appendAudio(b, audio{
		port: local.Port, proto: st.proto, formats: st.formats,
		dtmf: offerDTMFType, ptime: defaultPtime, dir: dir, rtcpMux: true,
	})
	for i, s := range pol.Suites {
		k, salt := newKey(s)
		st.keys = append(st.keys, offeredKey{s, k, salt})
		b = appendCrypto(b, i+1, s, k, salt)
	}
	return b, st, nil
}

// Accept checks the answer to our offer and returns what was agreed. The
// answer must keep the single audio line (port 0 means the peer refused
// it: ErrNotAcceptable) and its transport, choose one of our codecs on the
// payload type we offered, and — to an RTP/SAVP offer — carry exactly one
// a=crypto line whose tag and suite are one of ours, with a valid key. To
// an RTP/AVP offer with a=crypto (Optional), an answer without a=crypto
// means plain RTP.
//
// Our direction is what we offered, narrowed by the answer: an answer of
// a=recvonly to our a=sendrecv leaves us SendOnly, and an unspecified
// answer address (0.0.0.0) stops us sending.
func (st *OfferState) Accept(answer []byte) (Media, error) {
	const op = "sdp.Accept"
	d, e := parse(answer)
	if e != nil {
		return Media{}, wrap(op, e)
	}
	m, e := st.accept(d)
	if e != nil {
		return Media{}, wrap(op, e)
	}
	return m, nil
}

func (st *OfferState) accept(d *description) (Media, *Error) {
	var m Media
	if len(d.media) != 1 || !equalFold(d.media[0].kind, "audio") {
		return m, errAnswerMedia
	}
	s := &d.media[0]
	if s.port == 0 {
		return m, errAudioRejected
	}
	if !equalFold(s.proto, st.proto) {
		return m, errAnswerProto
	}
	remote, e := s.remote(d)
	if e != nil {
		return m, e
	}
	m.Remote = remote
	found := false
	for _, f := range s.formats {
		pt, ok := payloadType(f)
		if !ok {
			continue
		}
		if pt == offerDTMFType {
			m.DTMFPayloadType = offerDTMFType
			continue
		}
		for _, o := range st.formats {
			if o.pt == pt && !found {
				m.Codec, m.PayloadType, found = o.codec, uint8(pt), true
			}
		}
	}
	if !found {
		return m, errNoCodec
	}
	switch {
	case len(s.crypto) > 1:
		return m, errAnswerCrypto
	case len(s.crypto) == 1:
		k, e := st.keysFor(s.crypto[0])
		if e != nil {
			return m, e
		}
		m.SRTP = k
	case st.secure:
		return m, errAnswerNoCrypto
	}
	m.RTCPMux = s.rtcpMux
	m.RemoteRTCP = s.remoteRTCP(m.Remote, m.RTCPMux)
	m.Ptime = s.packetTime()
	m.Direction = ours(s.direction(d), m.Remote.Addr(), st.dir)
	m.SessionID, m.Version = st.sessionID, st.version
	return m, nil
}

// keysFor checks the answer's a=crypto line against the lines we offered
// and pairs its key with ours.
func (st *OfferState) keysFor(line string) (*Keys, *Error) {
	c, e := parseCrypto(line)
	if e != nil {
		return nil, cryptoProblem(e)
	}
	if c.Tag < 1 || c.Tag > len(st.keys) || st.keys[c.Tag-1].suite != c.Suite {
		return nil, errAnswerTag
	}
	o := st.keys[c.Tag-1]
	return &Keys{
		Suite: c.Suite, Tag: c.Tag,
		LocalKey: bytes.Clone(o.key), LocalSalt: bytes.Clone(o.salt),
		RemoteKey: c.Key, RemoteSalt: c.Salt,
	}, nil
}

// String describes the offer without its keys.
func (st *OfferState) String() string {
	return fmt.Sprintf("offer %s %s, %d crypto lines, keys %s", st.proto, st.dir, len(st.keys), pii.Redacted)
}

// Format prints String for every verb.
func (st *OfferState) Format(f fmt.State, _ rune) { fmt.Fprint(f, st.String()) }

// LogValue makes slog print String.
func (st *OfferState) LogValue() slog.Value { return slog.StringValue(st.String()) }
