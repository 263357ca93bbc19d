package mediatest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

// WAV is 16-bit PCM audio: what baresip's sndfile module records and what
// its aufile source plays. It is a test reader, deliberately independent of
// Kordon's own codec package, so that a bug there cannot hide itself.
type WAV struct {
	Rate     int     // samples per second per channel
	Channels int     // 1 or 2
	Samples  []int16 // interleaved when Channels is 2
}

// maxWAVBytes bounds what ParseWAV16 accepts, far above any test recording.
const maxWAVBytes = 64 << 20

// ReadWAVFile16 reads a 16-bit PCM WAV file.
func ReadWAVFile16(path string) (*WAV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := ParseWAV16(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ParseWAV16 parses a RIFF/WAVE file holding 16-bit PCM (format 1, or
// WAVE_FORMAT_EXTENSIBLE with a PCM sub-format), mono or stereo. Unknown
// chunks are skipped; a data chunk whose size is 0 or larger than the file
// (a recorder still running, or killed before it patched the header) is
// read up to the end of the file.
func ParseWAV16(b []byte) (*WAV, error) {
	if len(b) > maxWAVBytes {
		return nil, errors.New("wav: file too large")
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("wav: not a RIFF/WAVE file")
	}
	var w *WAV
	for rest := b[12:]; len(rest) >= 8; {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		rest = rest[8:]
		body := rest
		if uint64(size) < uint64(len(rest)) && !(id == "data" && size == 0) {
			body = rest[:size]
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, errors.New("wav: short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := int(binary.LittleEndian.Uint16(body[2:4]))
			rate := int(binary.LittleEndian.Uint32(body[4:8]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format != 1 && format != 0xFFFE {
				return nil, fmt.Errorf("wav: format %d, want PCM", format)
			}
			if bits != 16 || (channels != 1 && channels != 2) || rate <= 0 {
				return nil, fmt.Errorf("wav: %d-bit, %d channels, %d Hz; want 16-bit mono or stereo", bits, channels, rate)
			}
			w = &WAV{Rate: rate, Channels: channels}
		case "data":
			if w == nil {
				return nil, errors.New("wav: data before fmt")
			}
			n := len(body) / 2
			n -= n % w.Channels
			w.Samples = make([]int16, n)
			for i := range n {
				w.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return w, nil
		}
		if uint64(size) >= uint64(len(rest)) {
			break
		}
		rest = rest[size+size%2:] // chunks are padded to even sizes
	}
	return nil, errors.New("wav: no data chunk")
}

// Mono returns the samples of one channel stream: the average of the two
// channels for stereo.
func (w *WAV) Mono() []int16 {
	if w.Channels == 1 {
		return w.Samples
	}
	out := make([]int16, len(w.Samples)/2)
	for i := range out {
		out[i] = int16((int32(w.Samples[2*i]) + int32(w.Samples[2*i+1])) / 2)
	}
	return out
}

// Duration is the length of the audio.
func (w *WAV) Duration() time.Duration {
	if w.Rate == 0 || w.Channels == 0 {
		return 0
	}
	return time.Duration(len(w.Samples)/w.Channels) * time.Second / time.Duration(w.Rate)
}

// Bytes encodes the audio as a canonical 44-byte-header WAV file.
func (w *WAV) Bytes() []byte {
	data := 2 * len(w.Samples)
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], uint16(w.Channels))
	binary.LittleEndian.PutUint32(b[24:], uint32(w.Rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(w.Rate*w.Channels*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(w.Channels*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	for i, s := range w.Samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}

// WriteWAVFile16 writes mono 16-bit PCM samples at rate, e.g. a prompt for
// baresip's aufile source (which must be S16 mono at the codec rate, 8000
// Hz for G.711).
func WriteWAVFile16(path string, rate int, samples []int16) error {
	return os.WriteFile(path, (&WAV{Rate: rate, Channels: 1, Samples: samples}).Bytes(), 0o644)
}

// Tone returns a sine wave of freq Hz lasting d at rate, with peak
// amplitude amp (0 to 1 of full scale).
func Tone(rate int, freq float64, d time.Duration, amp float64) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// Silence returns d of zero samples at rate.
func Silence(rate int, d time.Duration) []int16 {
	return make([]int16, int(d.Seconds()*float64(rate)))
}
