package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"kordon/types/fault"
)

// MaxWAVBytes is the largest WAV file ReadWAV accepts, 64 MiB: over half
// an hour of 16-bit 16 kHz audio, far beyond any prompt, and small enough
// that a hostile upload cannot exhaust the appliance's memory. The decoded
// 8 kHz audio is held to the same size (about 70 minutes).
const MaxWAVBytes = 64 << 20

// MinWAVRate and MaxWAVRate bound the sample rates ReadWAV accepts. They
// exclude nothing real and keep the resampler's work per input byte
// bounded.
const (
	MinWAVRate = 1000
	MaxWAVRate = 768000
)

// WAV format tags (the wFormatTag field of the fmt chunk).
const (
	wavPCM        = 0x0001
	wavFloat      = 0x0003
	wavALaw       = 0x0006
	wavMuLaw      = 0x0007
	wavExtensible = 0xFFFE
)

// extensibleSuffix is the part of a WAVE_FORMAT_EXTENSIBLE sub-format GUID
// after its first two bytes, which hold the format tag it wraps
// (KSDATAFORMAT_SUBTYPE_PCM and friends).
var extensibleSuffix = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// wavFormat is a parsed fmt chunk, with WAVE_FORMAT_EXTENSIBLE unwrapped.
type wavFormat struct {
	tag        uint16 // wavPCM, wavFloat, wavALaw or wavMuLaw
	channels   int
	rate       int
	width      int // bytes per sample in the container
	blockAlign int // bytes per frame (one sample of every channel)
}

// ReadWAV decodes a WAV file into 8 kHz mono 16-bit audio, the form the
// media edge plays: integer PCM of 8, 16, 24 or 32 bits, IEEE float of 32
// or 64 bits, A-law and µ-law, each also inside WAVE_FORMAT_EXTENSIBLE,
// with any number of channels (averaged) and any rate from MinWAVRate to
// MaxWAVRate (resampled with a low-pass filter, see Resample). Chunks other
// than fmt and data (LIST, fact, cue, padding) are skipped, and so is
// anything after the data chunk. A data chunk cut short, or one whose size
// field is a streaming placeholder, yields the whole frames present.
//
// A file larger than MaxWAVBytes fails with fault.TooLarge; a malformed or
// unsupported one with fault.Invalid, naming the field at fault but never
// quoting the file's bytes.
func ReadWAV(r io.Reader) ([]int16, error) { return readWAV(r, MaxWAVBytes) }

// readWAV is ReadWAV with a size limit, so that tests can exercise the
// limit without 64 MiB of input.
func readWAV(r io.Reader, limit int64) ([]int16, error) {
	const op = "codec.ReadWAV"
	lr := &io.LimitedReader{R: r, N: limit + 1}
	tooLarge := func() error {
		return fault.E(op, fault.TooLarge, fmt.Errorf("WAV file larger than %s", byteSize(limit)))
	}
	var hdr [12]byte
	if _, err := io.ReadFull(lr, hdr[:]); err != nil {
		return nil, wavReadErr(op, err, "the RIFF header")
	}
	switch {
	case string(hdr[0:4]) == "RF64":
		return nil, fault.E(op, fault.Invalid, errors.New("RF64 (64-bit WAV) files are not supported"))
	case string(hdr[0:4]) != "RIFF":
		return nil, fault.E(op, fault.Invalid, errors.New("not a WAV file: no RIFF header"))
	case string(hdr[8:12]) != "WAVE":
		return nil, fault.E(op, fault.Invalid, errors.New("not a WAV file: the RIFF form is not WAVE"))
	}
	var f *wavFormat
	for {
		var ch [8]byte
		if _, err := io.ReadFull(lr, ch[:]); err != nil {
			if lr.N <= 0 {
				return nil, tooLarge()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if f == nil {
					return nil, fault.E(op, fault.Invalid, errors.New("no fmt chunk"))
				}
				return nil, fault.E(op, fault.Invalid, errors.New("no data chunk"))
			}
			return nil, wavReadErr(op, err, "a chunk header")
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[:4]) {
		case "fmt ":
			if f != nil {
				return nil, fault.E(op, fault.Invalid, errors.New("a second fmt chunk"))
			}
			if size < 16 || size > 1024 {
				return nil, fault.E(op, fault.Invalid, errors.New("fmt chunk shorter than 16 or longer than 1024 bytes"))
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(lr, b); err != nil {
				return nil, wavReadErr(op, err, "the fmt chunk")
			}
			var err error
			if f, err = parseFormat(b[:size]); err != nil {
				return nil, fault.E(op, fault.Invalid, err)
			}
		case "data":
			if f == nil {
				return nil, fault.E(op, fault.Invalid, errors.New("data chunk before the fmt chunk"))
			}
			mono, err := decodeData(lr, size, f, limit/2)
			if lr.N <= 0 {
				// The limit ends the input as EOF would, so decodeData
				// may have taken it for a truncated file.
				return nil, tooLarge()
			}
			if err != nil {
				return nil, fault.E(op, fault.KindOf(err), err)
			}
			if f.rate == Rate {
				return mono, nil
			}
			return Resample(mono, f.rate, Rate), nil
		default:
			if _, err := io.CopyN(io.Discard, lr, size+size&1); err != nil {
				if lr.N <= 0 {
					return nil, tooLarge()
				}
				return nil, wavReadErr(op, err, "a chunk it skips")
			}
		}
	}
}

// byteSize formats a size limit for an error message, in the largest
// binary unit that divides it, so that it never reads as a long number.
func byteSize(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// wavReadErr classifies a read error: the file ending early is Invalid,
// anything else is the reader's failure.
func wavReadErr(op string, err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fault.E(op, fault.Invalid, fmt.Errorf("file ends inside %s", what))
	}
	return fault.E(op, fault.Unavailable, fmt.Errorf("read %s: %w", what, err))
}

// parseFormat checks a fmt chunk and reduces it to what decoding needs.
func parseFormat(b []byte) (*wavFormat, error) {
	le := binary.LittleEndian
	f := &wavFormat{
		tag:        le.Uint16(b[0:]),
		channels:   int(le.Uint16(b[2:])),
		rate:       int(le.Uint32(b[4:])),
		blockAlign: int(le.Uint16(b[12:])),
	}
	bits := int(le.Uint16(b[14:]))
	if f.tag == wavExtensible {
		if len(b) < 40 || le.Uint16(b[16:]) < 22 {
			return nil, errors.New("WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes")
		}
		if valid := int(le.Uint16(b[18:])); valid > bits {
			return nil, fmt.Errorf("%d valid bits in a %d-bit container", valid, bits)
		}
		if !bytes.Equal(b[26:40], extensibleSuffix) {
			return nil, errors.New("WAVE_FORMAT_EXTENSIBLE sub-format is not a standard audio format")
		}
		f.tag = le.Uint16(b[24:])
	}
	if f.channels == 0 {
		return nil, errors.New("zero channels")
	}
	// The rate is quoted only when short: a long number in an error
	// message could pass for a telephone number.
	if f.rate < MinWAVRate {
		return nil, fmt.Errorf("sample rate %d Hz below %d Hz", f.rate, MinWAVRate)
	}
	if f.rate > MaxWAVRate {
		return nil, fmt.Errorf("sample rate above %d Hz", MaxWAVRate)
	}
	if f.blockAlign%f.channels != 0 {
		return nil, fmt.Errorf("block alignment %d is not a multiple of %d channels", f.blockAlign, f.channels)
	}
	f.width = f.blockAlign / f.channels
	if bits == 0 || (bits+7)/8 > f.width {
		return nil, fmt.Errorf("%d bits per sample do not fit block alignment %d for %d channels", bits, f.blockAlign, f.channels)
	}
	ok := false
	switch f.tag {
	case wavPCM:
		ok = f.width >= 1 && f.width <= 4
	case wavFloat:
		ok = f.width == 4 || f.width == 8
	case wavALaw, wavMuLaw:
		ok = f.width == 1
	default:
		return nil, fmt.Errorf("format tag %#04x is not PCM, IEEE float, A-law or µ-law", f.tag)
	}
	if !ok {
		return nil, fmt.Errorf("%d-byte samples are not supported for format tag %#04x", f.width, f.tag)
	}
	return f, nil
}

// sampleFunc reads one sample in 16-bit units (±32768 full scale).
type sampleFunc func(b []byte) float64

// sampleReader returns the reader for f's sample encoding. Samples wider
// than 16 bits keep their fraction until the channels are mixed, so the
// one rounding happens at the end.
func (f *wavFormat) sampleReader() sampleFunc {
	le := binary.LittleEndian
	switch {
	case f.tag == wavALaw:
		t := g711Tables()
		return func(b []byte) float64 { return float64(t.alaw[b[0]]) }
	case f.tag == wavMuLaw:
		t := g711Tables()
		return func(b []byte) float64 { return float64(t.ulaw[b[0]]) }
	case f.tag == wavFloat && f.width == 4:
		return func(b []byte) float64 { return float64(math.Float32frombits(le.Uint32(b))) * 32768 }
	case f.tag == wavFloat:
		return func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) * 32768 }
	case f.width == 1: // 8-bit PCM is unsigned
		return func(b []byte) float64 { return float64(int(b[0])-128) * 256 }
	case f.width == 2:
		return func(b []byte) float64 { return float64(int16(le.Uint16(b))) }
	case f.width == 3:
		return func(b []byte) float64 {
			return float64(int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24)) / 65536
		}
	default:
		return func(b []byte) float64 { return float64(int32(le.Uint32(b))) / 65536 }
	}
}

// g711Tables decodes every A-law and µ-law byte once, through the G.711
// codec of this package, so WAV files and RTP share one decoder.
var g711Tables = sync.OnceValue(func() *struct{ alaw, ulaw [256]int16 } {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	t := new(struct{ alaw, ulaw [256]int16 })
	copy(t.alaw[:], PCMA.Decode(nil, all))
	copy(t.ulaw[:], PCMU.Decode(nil, all))
	return t
})

// decodeData reads a data chunk of (at most) size bytes and returns it as
// mono 16-bit audio at f.rate. It stops early, without error, at the end
// of the input; it fails with TooLarge once the audio, at 8 kHz, would
// exceed maxOut samples.
func decodeData(r io.Reader, size int64, f *wavFormat, maxOut int64) ([]int16, error) {
	read := f.sampleReader()
	maxFrames := maxOut * int64(f.rate) / Rate
	out := make([]int16, 0, min(size/int64(f.blockAlign), maxFrames, 1<<20)+1)
	buf := make([]byte, f.blockAlign*max(1, 32768/f.blockAlign))
	for size > 0 {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), size)])
		size -= int64(n)
		for b := buf[:n-n%f.blockAlign]; len(b) > 0; b = b[f.blockAlign:] {
			var sum float64
			for c := 0; c < f.channels; c++ {
				sum += read(b[c*f.width:])
			}
			out = append(out, clamp16(sum/float64(f.channels)))
		}
		if int64(len(out)) > maxFrames {
			return nil, fault.E("", fault.TooLarge, fmt.Errorf("audio longer than %s", time.Duration(maxOut)*time.Second/Rate))
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // a streamed or truncated file: keep the whole frames read
		}
		if err != nil {
			return nil, fault.E("", fault.Unavailable, fmt.Errorf("read data chunk: %w", err))
		}
	}
	return out, nil
}

// WAVHeader returns the 44-byte header of a canonical 16-bit PCM WAV file
// with dataBytes of audio following it, for callers that stream the audio
// themselves (a recording's size is known before its audio is decrypted).
// A dataBytes near 4 GiB saturates the RIFF size field rather than wrap.
func WAVHeader(rate, channels int, dataBytes uint32) []byte {
	le := binary.LittleEndian
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	riff := uint64(dataBytes) + 36 + uint64(dataBytes&1)
	le.PutUint32(h[4:], uint32(min(riff, math.MaxUint32)))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], wavPCM)
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*2))
	le.PutUint16(h[32:], uint16(channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	return h
}
