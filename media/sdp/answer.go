package sdp

import "bytes"

// Answer answers a remote offer: an initial INVITE's or a re-INVITE's
// (RFC 3264 §6). It returns the answer to send, what was agreed, or an
// error matching ErrNotAcceptable (answer 488 with the error's Warning)
// or ErrMalformed (answer 400).
//
// It answers the first audio m= line it can use and rejects every other
// m= line with port 0, as RFC 3264 requires. On that line it takes the
// first offered format whose codec the policy allows (the offerer's order
// wins, as §6.1 suggests), the offered telephone-event/8000 payload type,
// the offered ptime when we can packetize at it, rtcp-mux when offered,
// and the first a=crypto line (in offer order) whose suite the policy
// allows, answered with the same tag and suite and a fresh random key.
//
// RTP/SAVP and RTP/SAVPF offers need a usable a=crypto line. RTP/AVP and
// RTP/AVPF offers are refused under Mandatory; under Optional they are
// answered in kind, and when they carry a usable a=crypto line the answer
// carries ours ("best effort" SRTP, RFC 8643), so Media.SRTP is set.
//
// prev, when not nil, is the Media of the session being updated (a
// re-INVITE). The answer keeps its o= session ID (unless local names one)
// with the version one higher (or local's, when that is higher), and keeps
// our SRTP key when the agreed suite is unchanged (RFC 4568 §7.1.4; see
// Keys).
//
// The answer holds our master key: never log it.
func Answer(offer []byte, pol Policy, local Local, prev *Media) (answer []byte, m Media, err error) {
	const op = "sdp.Answer"
	if pol, err = pol.resolve(op); err != nil {
		return nil, Media{}, err
	}
	if prev != nil {
		if local.SessionID == 0 {
			local.SessionID = prev.SessionID
		}
		local.Version = max(local.Version, prev.Version+1)
	}
	if local, err = local.resolve(op); err != nil {
		return nil, Media{}, err
	}
	d, e := parse(offer)
	if e != nil {
		return nil, Media{}, wrap(op, e)
	}
	var (
		chosen  *media
		crypto  Crypto
		refusal *Error
	)
	for i := range d.media {
		s := &d.media[i]
		if !equalFold(s.kind, "audio") {
			continue
		}
		m, crypto, e = answerStream(d, s, pol)
		if e == nil {
			chosen = s
			break
		}
		if refusal == nil || refusal == errAudioRejected {
			refusal = e // a stream the offerer disabled explains least
		}
	}
	if chosen == nil {
		if refusal == nil {
			refusal = errNoAudio
		}
		return nil, Media{}, wrap(op, refusal)
	}
	if crypto.Key != nil {
		m.SRTP = answerKeys(crypto, prev)
	}
	m.SessionID, m.Version = local.SessionID, local.Version

	b := make([]byte, 0, 512)
	b = appendSession(b, local, m.SessionID, m.Version)
	for i := range d.media {
		s := &d.media[i]
		if s != chosen {
			b = appendRejected(b, s)
			continue
		}
		dtmf := int(m.DTMFPayloadType)
		b = appendAudio(b, audio{
			port: local.Port, proto: s.proto, formats: []format{{m.Codec, int(m.PayloadType)}},
			dtmf: dtmf, ptime: m.Ptime, dir: m.Direction, rtcpMux: m.RTCPMux,
		})
		if m.SRTP != nil {
			b = appendCrypto(b, m.SRTP.Tag, m.SRTP.Suite, m.SRTP.LocalKey, m.SRTP.LocalSalt)
		}
	}
	return b, m, nil
}

// answerStream decides whether one offered audio stream is usable and how:
// everything in Media but the keys and the o= line, and the chosen remote
// crypto line (with a nil Key for plain RTP).
func answerStream(d *description, s *media, pol Policy) (Media, Crypto, *Error) {
	var m Media
	if s.port == 0 {
		return m, Crypto{}, errAudioRejected
	}
	secure, ok := secureProto(s.proto)
	switch {
	case !ok:
		return m, Crypto{}, errTransport
	case !secure && pol.SRTP == Mandatory:
		return m, Crypto{}, errSRTPRequired
	}
	remote, e := s.remote(d)
	if e != nil {
		return m, Crypto{}, e
	}
	m.Remote = remote
	found := false
	for _, f := range s.formats {
		pt, ok := payloadType(f)
		if !ok {
			continue
		}
		if c, ok := s.codecOf(pt); ok && pol.allowsCodec(c) {
			m.Codec, m.PayloadType, found = c, uint8(pt), true
			break
		}
	}
	if !found {
		return m, Crypto{}, errNoCodec
	}
	if dt := s.dtmfType(); dt != int(m.PayloadType) {
		m.DTMFPayloadType = uint8(dt)
	}
	var crypto Crypto
	if len(s.crypto) > 0 {
		crypto, e = chooseCrypto(s.crypto, pol)
		if e != nil && secure {
			return m, Crypto{}, e
		}
		if e != nil {
			crypto = Crypto{} // best effort failed: plain RTP/AVP
		}
	} else if secure {
		return m, Crypto{}, errNoCrypto
	}
	m.RTCPMux = s.rtcpMux
	m.RemoteRTCP = s.remoteRTCP(m.Remote, m.RTCPMux)
	m.Ptime = s.packetTime()
	m.Direction = ours(s.direction(d), m.Remote.Addr(), SendRecv)
	return m, crypto, nil
}

// chooseCrypto returns the first line, in offer order, that parses and
// whose suite the policy allows; or the most telling reason none did.
func chooseCrypto(lines []string, pol Policy) (Crypto, *Error) {
	var reason *Error
	for _, l := range lines {
		c, e := parseCrypto(l)
		if e == nil && !pol.allows(c.Suite) {
			e = errRefusedSuite
		}
		if e == nil {
			return c, nil
		}
		e = cryptoProblem(e)
		if reason == nil || isSuiteReason(reason) && !isSuiteReason(e) {
			reason = e
		}
	}
	if len(lines) > 1 && isSuiteReason(reason) {
		reason = errNoSuite
	}
	return Crypto{}, reason
}

// answerKeys pairs the peer's key with ours: the previous one when the
// suite is unchanged, else a fresh one.
func answerKeys(remote Crypto, prev *Media) *Keys {
	k := &Keys{Suite: remote.Suite, Tag: remote.Tag, RemoteKey: remote.Key, RemoteSalt: remote.Salt}
	kl, sl := remote.Suite.keyLen()
	if prev != nil && prev.SRTP != nil && prev.SRTP.Suite == remote.Suite &&
		len(prev.SRTP.LocalKey) == kl && len(prev.SRTP.LocalSalt) == sl {
		k.LocalKey = bytes.Clone(prev.SRTP.LocalKey)
		k.LocalSalt = bytes.Clone(prev.SRTP.LocalSalt)
		return k
	}
	k.LocalKey, k.LocalSalt = newKey(remote.Suite)
	return k
}
