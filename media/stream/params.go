package stream

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"

	"github.com/pion/srtp/v3"

	"kordon/media/codec"
	"kordon/media/sdp"
)

// Direction is a media direction from our side's point of view: the
// answer to the far end's a=sendonly is RecvOnly (the caller is on hold).
type Direction uint8

// Directions. The zero Direction is SendRecv.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

var directionNames = [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}

// String returns the SDP attribute name of d.
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// sends reports whether we send media in direction d.
func (d Direction) sends() bool { return d == SendRecv || d == SendOnly }

// Keys are the SDES (RFC 4568) master keys of one SRTP session: ours
// protect what we send, the far end's what we receive.
type Keys struct {
	// Profile is the crypto suite. Supported: AES_CM_128_HMAC_SHA1_80 and
	// _32, AES_256_CM_HMAC_SHA1_80 and _32, AEAD_AES_128_GCM and
	// AEAD_AES_256_GCM. The NULL suites are refused: they do not encrypt.
	Profile srtp.ProtectionProfile
	// LocalKey and LocalSalt are our master key and salt, of the lengths
	// the profile requires.
	LocalKey, LocalSalt []byte
	// RemoteKey and RemoteSalt are the far end's.
	RemoteKey, RemoteSalt []byte
}

var profiles = map[srtp.ProtectionProfile]bool{
	srtp.ProtectionProfileAes128CmHmacSha1_80: true,
	srtp.ProtectionProfileAes128CmHmacSha1_32: true,
	srtp.ProtectionProfileAes256CmHmacSha1_80: true,
	srtp.ProtectionProfileAes256CmHmacSha1_32: true,
	srtp.ProtectionProfileAeadAes128Gcm:       true,
	srtp.ProtectionProfileAeadAes256Gcm:       true,
}

func (k *Keys) check() error {
	if !profiles[k.Profile] {
		return fmt.Errorf("SRTP profile %#04x not supported", uint16(k.Profile))
	}
	kl, _ := k.Profile.KeyLen()
	sl, _ := k.Profile.SaltLen()
	if len(k.LocalKey) != kl || len(k.RemoteKey) != kl || len(k.LocalSalt) != sl || len(k.RemoteSalt) != sl {
		return fmt.Errorf("%v needs %d-byte keys and %d-byte salts", k.Profile, kl, sl)
	}
	return nil
}

func (k *Keys) clone() *Keys {
	return &Keys{
		Profile:  k.Profile,
		LocalKey: bytes.Clone(k.LocalKey), LocalSalt: bytes.Clone(k.LocalSalt),
		RemoteKey: bytes.Clone(k.RemoteKey), RemoteSalt: bytes.Clone(k.RemoteSalt),
	}
}

// sameLocal reports whether a and b protect what we send identically.
func sameLocal(a, b *Keys) bool {
	return a != nil && b != nil && a.Profile == b.Profile &&
		bytes.Equal(a.LocalKey, b.LocalKey) && bytes.Equal(a.LocalSalt, b.LocalSalt)
}

// sameRemote reports whether a and b protect what we receive identically.
func sameRemote(a, b *Keys) bool {
	return a != nil && b != nil && a.Profile == b.Profile &&
		bytes.Equal(a.RemoteKey, b.RemoteKey) && bytes.Equal(a.RemoteSalt, b.RemoteSalt)
}

// replayWindow is the SRTP/SRTCP replay window: packets reordered by more
// than this many sequence numbers are dropped as replays.
const replayWindow = 128

func (k *Keys) sendContext() (*srtp.Context, error) {
	return srtp.CreateContext(k.LocalKey, k.LocalSalt, k.Profile)
}

func (k *Keys) receiveContext() (*srtp.Context, error) {
	return srtp.CreateContext(k.RemoteKey, k.RemoteSalt, k.Profile,
		srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
}

// Params are what the SDP offer/answer settled for one Stream.
type Params struct {
	// Remote is the far end's RTP address from its SDP. Until it is valid
	// (or while it is 0.0.0.0, the old way to hold) the Stream sends only
	// after latching onto a received packet's source.
	Remote netip.AddrPort
	// RemoteRTCP is the far end's RTCP address (a=rtcp). Default: Remote's
	// port + 1, or Remote itself with RTCPMux.
	RemoteRTCP netip.AddrPort
	// RTCPMux multiplexes RTCP on the RTP port (RFC 5761, a=rtcp-mux).
	// Once on, it cannot be turned off by Update.
	RTCPMux bool
	// Codec is the audio codec. Required.
	Codec codec.Codec
	// PayloadType is the codec's RTP payload type. Default (0): the
	// codec's static type, 0 for PCMU and 8 for PCMA.
	PayloadType uint8
	// DTMFPayloadType is the telephone-event payload type (a=rtpmap:<pt>
	// telephone-event/8000); 0 means the far end takes no RFC 4733 DTMF.
	DTMFPayloadType uint8
	// SRTP holds the keys; nil means plain RTP.
	SRTP *Keys
	// Direction is our side's direction. Default SendRecv.
	Direction Direction
}

// normalize fills defaults and checks p.
func (p Params) normalize() (Params, error) {
	if !p.Codec.Valid() {
		return p, fmt.Errorf("codec %v not supported", p.Codec)
	}
	if p.PayloadType == 0 {
		p.PayloadType = p.Codec.PayloadType()
	}
	if p.PayloadType > 127 || p.DTMFPayloadType > 127 {
		return p, errors.New("payload types must be below 128")
	}
	if p.DTMFPayloadType != 0 && p.DTMFPayloadType == p.PayloadType {
		return p, fmt.Errorf("telephone-event and audio share payload type %d", p.PayloadType)
	}
	if p.Direction > Inactive {
		return p, fmt.Errorf("direction %v unknown", p.Direction)
	}
	if p.SRTP != nil {
		if err := p.SRTP.check(); err != nil {
			return p, err
		}
		p.SRTP = p.SRTP.clone() // the caller may reuse its buffers
	}
	p.Remote = unmap(p.Remote)
	p.RemoteRTCP = unmap(p.RemoteRTCP)
	return p, nil
}

// rtcpAddr is where RTCP goes before any RTCP has been received.
func (p Params) rtcpAddr() netip.AddrPort {
	switch {
	case p.RTCPMux:
		return p.Remote
	case p.RemoteRTCP.IsValid():
		return p.RemoteRTCP
	case p.Remote.IsValid() && p.Remote.Port() != 0 && p.Remote.Port() < 65535:
		return netip.AddrPortFrom(p.Remote.Addr(), p.Remote.Port()+1)
	}
	return netip.AddrPort{}
}

// unmap turns an IPv4-mapped IPv6 address into IPv4, the form the IPv4
// sockets report, so that addresses compare equal.
func unmap(a netip.AddrPort) netip.AddrPort {
	if !a.IsValid() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// sendable reports whether a is an address packets can be sent to.
func sendable(a netip.AddrPort) bool {
	return a.IsValid() && a.Port() != 0 && !a.Addr().IsUnspecified()
}

// ParamsFor turns a negotiated session into stream parameters: what the
// SIP edge and the load generator both do after every offer/answer.
func ParamsFor(m sdp.Media) Params {
	p := Params{
		Remote:          m.Remote,
		RemoteRTCP:      m.RemoteRTCP,
		RTCPMux:         m.RTCPMux,
		Codec:           m.Codec,
		PayloadType:     m.PayloadType,
		DTMFPayloadType: m.DTMFPayloadType,
		Direction:       directionFor(m.Direction),
	}
	if k := m.SRTP; k != nil {
		p.SRTP = &Keys{
			Profile:    k.Suite.Profile(),
			LocalKey:   k.LocalKey,
			LocalSalt:  k.LocalSalt,
			RemoteKey:  k.RemoteKey,
			RemoteSalt: k.RemoteSalt,
		}
	}
	return p
}

// directionFor maps an SDP direction (ours) to the stream's.
func directionFor(d sdp.Direction) Direction {
	switch d {
	case sdp.SendOnly:
		return SendOnly
	case sdp.RecvOnly:
		return RecvOnly
	case sdp.Inactive:
		return Inactive
	}
	return SendRecv
}
