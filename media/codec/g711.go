package codec

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Codec is a G.711 audio codec. The zero Codec is invalid, so that a
// forgotten field is caught rather than silently meaning μ-law.
type Codec uint8

// The G.711 codecs (ITU-T G.711): μ-law, used in North America and Japan,
// and A-law, used in Europe and Russia.
const (
	PCMU Codec = 1
	PCMA Codec = 2
)

// Rate is the G.711 sample rate in samples per second.
const Rate = 8000

// FrameSamples is the number of samples in one 20 ms packet, the packet
// time every telephony peer supports.
const FrameSamples = 160

// ByName returns the codec for an SDP rtpmap encoding name, ignoring case.
func ByName(name string) (Codec, bool) {
	switch {
	case strings.EqualFold(name, "PCMU"):
		return PCMU, true
	case strings.EqualFold(name, "PCMA"):
		return PCMA, true
	}
	return 0, false
}

// ByPayloadType returns the codec for a static RTP payload type (RFC 3551):
// 0 is PCMU, 8 is PCMA.
func ByPayloadType(pt uint8) (Codec, bool) {
	switch pt {
	case 0:
		return PCMU, true
	case 8:
		return PCMA, true
	}
	return 0, false
}

// Valid reports whether c is PCMU or PCMA.
func (c Codec) Valid() bool { return c == PCMU || c == PCMA }

// Name returns the SDP encoding name, "PCMU" or "PCMA", or "" for an
// invalid codec.
func (c Codec) Name() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return ""
}

// PayloadType returns the codec's static RTP payload type (RFC 3551).
// An invalid codec returns 255, which no RTP packet can carry.
func (c Codec) PayloadType() uint8 {
	switch c {
	case PCMU:
		return 0
	case PCMA:
		return 8
	}
	return 255
}

// String returns Name, or "Codec(n)" for an invalid codec so that a bad
// value is visible in logs.
func (c Codec) String() string {
	if n := c.Name(); n != "" {
		return n
	}
	return "Codec(" + strconv.Itoa(int(c)) + ")"
}

// Encode appends the G.711 encoding of pcm (16-bit linear samples) to dst,
// one byte per sample, and returns the extended slice. It allocates only
// when dst lacks capacity. An invalid codec appends nothing.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	if !c.Valid() {
		return dst
	}
	n := len(dst)
	dst = slices.Grow(dst, len(pcm))[:n+len(pcm)]
	out := dst[n:]
	if c == PCMU {
		for i, s := range pcm {
			out[i] = ulawEncode[uint16(s)>>2]
		}
	} else {
		for i, s := range pcm {
			out[i] = alawEncode[uint16(s)>>3]
		}
	}
	return dst
}

// Decode appends the linear samples encoded in b to dst and returns the
// extended slice. It allocates only when dst lacks capacity. An invalid
// codec appends nothing.
func (c Codec) Decode(dst []int16, b []byte) []int16 {
	if !c.Valid() {
		return dst
	}
	tab := &ulawDecode
	if c == PCMA {
		tab = &alawDecode
	}
	n := len(dst)
	dst = slices.Grow(dst, len(b))[:n+len(b)]
	out := dst[n:]
	for i, v := range b {
		out[i] = tab[v]
	}
	return dst
}

// The tables. G.711 μ-law keeps 14 significant bits of the sample and
// A-law 13, so the encoders index by the top 14 or 13 bits of the
// sample's two's-complement bit pattern: 16 KiB and 8 KiB that stay in
// cache while a frame is encoded.
var (
	ulawEncode = buildEncode(14, ulawOf)
	alawEncode = buildEncode(13, alawOf)
	ulawDecode = buildDecode(ulawValue)
	alawDecode = buildDecode(alawValue)
)

// buildEncode tabulates enc for every top-width-bit pattern of a sample.
// enc receives the sample shifted right (arithmetically) by 16-width.
func buildEncode(width int, enc func(x int) byte) []byte {
	t := make([]byte, 1<<width)
	for i := range t {
		x := int(int16(i<<(16-width))) >> (16 - width)
		t[i] = enc(x)
	}
	return t
}

func buildDecode(dec func(b byte) int16) (t [256]int16) {
	for i := range t {
		t[i] = dec(byte(i))
	}
	return t
}

// ulawOf encodes a 14-bit sample (G.711 table 2a): the magnitude plus a
// bias of 33 falls in one of eight segments found by its highest set bit,
// followed by the four bits after it; all bits are inverted on the wire.
func ulawOf(x int) byte {
	sign := byte(0)
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, 8159) + 33
	seg := max(bits.Len(uint(x))-6, 0)
	if seg > 7 {
		return ^(sign | 0x7F)
	}
	return ^(sign | byte(seg<<4) | byte(x>>(seg+1))&0x0F)
}

// alawOf encodes a 13-bit sample (G.711 table 1a): segment from the
// highest set bit of the magnitude, four mantissa bits, and even bits
// inverted (XOR 0x55) on the wire.
func alawOf(x int) byte {
	sign := byte(0x80)
	if x < 0 {
		x, sign = -x-1, 0
	}
	seg := max(bits.Len(uint(x))-5, 0)
	if seg > 7 {
		return (sign | 0x7F) ^ 0x55
	}
	shift := max(seg, 1)
	return (sign | byte(seg<<4) | byte(x>>shift)&0x0F) ^ 0x55
}

// ulawValue decodes one μ-law byte to the centre of its quantisation
// interval, scaled to 16 bits.
func ulawValue(b byte) int16 {
	u := ^b
	t := (int(u&0x0F)<<3 + 0x84) << (u >> 4 & 7)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// alawValue decodes one A-law byte to the centre of its quantisation
// interval, scaled to 16 bits.
func alawValue(b byte) int16 {
	a := b ^ 0x55
	t := int(a&0x0F)<<4 + 8
	if seg := int(a >> 4 & 7); seg > 0 {
		t = (t + 0x100) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
