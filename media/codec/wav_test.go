package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kordon/types/fault"
	"kordon/types/pii"
)

// chunk is a RIFF chunk for the test writer.
type chunk struct {
	id   string
	body []byte
}

// wavSpec describes a WAV file for makeWAV.
type wavSpec struct {
	tag      uint16 // wavPCM, wavFloat, wavALaw or wavMuLaw
	bits     int
	channels int
	rate     int
	ext      bool    // wrap the format in WAVE_FORMAT_EXTENSIBLE
	pre      []chunk // before fmt
	mid      []chunk // between fmt and data
	post     []chunk // after data
	dataSize int64   // the data chunk's size field: 0 means the true size
}

// makeWAV writes a WAV file of the given channels (samples in [-1, 1]).
// It is deliberately independent of the code under test, except for
// G.711, whose encoder is the codec's own.
func makeWAV(s wavSpec, channels ...[]float64) []byte {
	var data []byte
	le := binary.LittleEndian
	for i := range channels[0] {
		for _, ch := range channels {
			x := ch[i]
			switch {
			case s.tag == wavFloat && s.bits == 32:
				data = le.AppendUint32(data, math.Float32bits(float32(x)))
			case s.tag == wavFloat:
				data = le.AppendUint64(data, math.Float64bits(x))
			case s.tag == wavALaw:
				data = PCMA.Encode(data, []int16{clamp16(x * 32768)})
			case s.tag == wavMuLaw:
				data = PCMU.Encode(data, []int16{clamp16(x * 32768)})
			case s.bits == 8:
				data = append(data, byte(128+int(math.Round(max(-128, min(127, x*128))))))
			default:
				full := math.Exp2(float64(s.bits - 1))
				v := uint32(int32(math.Round(max(-full, min(full-1, x*full)))))
				for b := 0; b < s.bits/8; b++ {
					data = append(data, byte(v>>(8*b)))
				}
			}
		}
	}
	return assembleWAV(s, data)
}

// assembleWAV wraps raw sample bytes in RIFF, fmt and data chunks.
func assembleWAV(s wavSpec, data []byte) []byte {
	le := binary.LittleEndian
	align := s.channels * s.bits / 8
	var fmtb []byte
	tag := s.tag
	if s.ext {
		tag = wavExtensible
	}
	fmtb = le.AppendUint16(fmtb, tag)
	fmtb = le.AppendUint16(fmtb, uint16(s.channels))
	fmtb = le.AppendUint32(fmtb, uint32(s.rate))
	fmtb = le.AppendUint32(fmtb, uint32(s.rate*align))
	fmtb = le.AppendUint16(fmtb, uint16(align))
	fmtb = le.AppendUint16(fmtb, uint16(s.bits))
	if s.ext {
		fmtb = le.AppendUint16(fmtb, 22)
		fmtb = le.AppendUint16(fmtb, uint16(s.bits))
		fmtb = le.AppendUint32(fmtb, 0) // channel mask
		fmtb = le.AppendUint16(fmtb, s.tag)
		fmtb = append(fmtb, extensibleSuffix...)
	}
	var body bytes.Buffer
	body.WriteString("WAVE")
	put := func(id string, b []byte, size int64) {
		body.WriteString(id)
		if size == 0 {
			size = int64(len(b))
		}
		binary.Write(&body, le, uint32(size))
		body.Write(b)
		if len(b)%2 == 1 {
			body.WriteByte(0)
		}
	}
	for _, c := range s.pre {
		put(c.id, c.body, 0)
	}
	put("fmt ", fmtb, 0)
	for _, c := range s.mid {
		put(c.id, c.body, 0)
	}
	put("data", data, s.dataSize)
	for _, c := range s.post {
		put(c.id, c.body, 0)
	}
	out := []byte("RIFF")
	out = le.AppendUint32(out, uint32(body.Len()))
	return append(out, body.Bytes()...)
}

func TestReadWAVTones(t *testing.T) {
	const dur = 0.6
	list := chunk{"LIST", []byte("INFOISFT\x05\x00\x00\x00test\x00")} // odd size: needs the pad byte
	fact := chunk{"fact", []byte{0x10, 0, 0, 0}}
	tests := []struct {
		name    string
		spec    wavSpec
		freqs   []float64 // one per channel; 0 is silence
		want    float64   // the tone in the output
		wantAmp float64
		tolDB   float64
	}{
		{"pcm8 mono 8k", wavSpec{tag: wavPCM, bits: 8, channels: 1, rate: 8000}, []float64{440}, 440, 0.5, 0.1},
		{"pcm16 mono 16k", wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: 16000}, []float64{1000}, 1000, 0.5, 0.05},
		{"pcm24 mono 48k", wavSpec{tag: wavPCM, bits: 24, channels: 1, rate: 48000}, []float64{1000}, 1000, 0.5, 0.05},
		{"pcm32 mono 32k", wavSpec{tag: wavPCM, bits: 32, channels: 1, rate: 32000}, []float64{440}, 440, 0.5, 0.05},
		{"float32 mono 22050", wavSpec{tag: wavFloat, bits: 32, channels: 1, rate: 22050}, []float64{1000}, 1000, 0.5, 0.05},
		{"float64 mono 8k", wavSpec{tag: wavFloat, bits: 64, channels: 1, rate: 8000}, []float64{440}, 440, 0.5, 0.05},
		{"stereo 44.1k same tone", wavSpec{tag: wavPCM, bits: 16, channels: 2, rate: 44100}, []float64{1000, 1000}, 1000, 0.5, 0.05},
		{"stereo 44.1k one side silent", wavSpec{tag: wavPCM, bits: 16, channels: 2, rate: 44100}, []float64{440, 0}, 440, 0.25, 0.05},
		{"mulaw 8k", wavSpec{tag: wavMuLaw, bits: 8, channels: 1, rate: 8000}, []float64{1000}, 1000, 0.5, 0.2},
		{"alaw 8k", wavSpec{tag: wavALaw, bits: 8, channels: 1, rate: 8000}, []float64{440}, 440, 0.5, 0.2},
		{"mulaw stereo 16k", wavSpec{tag: wavMuLaw, bits: 8, channels: 2, rate: 16000}, []float64{1000, 1000}, 1000, 0.5, 0.2},
		{"extensible pcm24 stereo 48k", wavSpec{tag: wavPCM, bits: 24, channels: 2, rate: 48000, ext: true}, []float64{440, 440}, 440, 0.5, 0.05},
		{"extensible float 6ch 96k", wavSpec{tag: wavFloat, bits: 32, channels: 6, rate: 96000, ext: true}, []float64{1000, 1000, 1000, 1000, 1000, 1000}, 1000, 0.5, 0.05},
		{"extensible mulaw", wavSpec{tag: wavMuLaw, bits: 8, channels: 1, rate: 8000, ext: true}, []float64{440}, 440, 0.5, 0.2},
		{"odd chunks everywhere", wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: 11025,
			pre: []chunk{list, {"JUNK", make([]byte, 27)}}, mid: []chunk{fact, list}, post: []chunk{list}}, []float64{1000}, 1000, 0.5, 0.05},
		{"streaming size placeholder", wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: 16000, dataSize: 0x7fffefff}, []float64{440}, 440, 0.5, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := int(dur * float64(tt.spec.rate))
			chans := make([][]float64, len(tt.freqs))
			for i, f := range tt.freqs {
				chans[i] = tone(n, tt.spec.rate, f, 0.5)
			}
			got, err := ReadWAV(bytes.NewReader(makeWAV(tt.spec, chans...)))
			if err != nil {
				t.Fatal(err)
			}
			if want := int(dur * Rate); math.Abs(float64(len(got)-want)) > 1 {
				t.Errorf("%d samples, want %d", len(got), want)
			}
			checkTone(t, got, tt.want, tt.wantAmp, tt.tolDB)
		})
	}
}

// TestReadWAVSamples pins the conversion of each encoding to 16 bits.
func TestReadWAVSamples(t *testing.T) {
	mono := func(tag uint16, bits int) wavSpec { return wavSpec{tag: tag, bits: bits, channels: 1, rate: Rate} }
	f32 := func(xs ...float32) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	tests := []struct {
		name string
		spec wavSpec
		data []byte
		want []int16
	}{
		{"pcm8 unsigned", mono(wavPCM, 8), []byte{0, 128, 255, 129}, []int16{-32768, 0, 32512, 256}},
		{"pcm16", mono(wavPCM, 16), []byte{0x34, 0x12, 0xff, 0xff, 0x00, 0x80}, []int16{0x1234, -1, -32768}},
		{"pcm24 rounds", mono(wavPCM, 24), []byte{0x80, 0x34, 0x12, 0x7f, 0x34, 0x12, 0x00, 0x00, 0x80}, []int16{0x1235, 0x1234, -32768}},
		{"pcm32", mono(wavPCM, 32), []byte{0x00, 0x80, 0x34, 0x12, 0xff, 0xff, 0xff, 0x7f}, []int16{0x1235, 32767}},
		{"float clips and drops NaN", mono(wavFloat, 32), f32(0.5, -1, 2, float32(math.NaN()), float32(math.Inf(-1))), []int16{16384, -32768, 32767, 0, -32768}},
		{"stereo averages", wavSpec{tag: wavPCM, bits: 16, channels: 2, rate: Rate}, []byte{0x10, 0x00, 0x20, 0x00, 0xff, 0x7f, 0xff, 0x7f}, []int16{0x18, 32767}},
		{"partial last frame dropped", wavSpec{tag: wavPCM, bits: 16, channels: 2, rate: Rate}, []byte{1, 0, 3, 0, 5, 0}, []int16{2}},
		{"empty data", mono(wavPCM, 16), nil, []int16{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadWAV(bytes.NewReader(assembleWAV(tt.spec, tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("samples (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("g711 matches the codec", func(t *testing.T) {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		for _, c := range []struct {
			tag   uint16
			codec Codec
		}{{wavALaw, PCMA}, {wavMuLaw, PCMU}} {
			got, err := ReadWAV(bytes.NewReader(assembleWAV(mono(c.tag, 8), all)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.codec.Decode(nil, all), got); diff != "" {
				t.Errorf("%s (-codec +wav):\n%s", c.codec, diff)
			}
		}
	})
	t.Run("truncated data chunk", func(t *testing.T) {
		w := assembleWAV(mono(wavPCM, 16), []byte{1, 0, 2, 0, 3, 0})
		got, err := ReadWAV(bytes.NewReader(w[:len(w)-1])) // cut inside the third sample
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int16{1, 2}, got); diff != "" {
			t.Errorf("samples (-want +got):\n%s", diff)
		}
	})
}

func TestReadWAVErrors(t *testing.T) {
	good := wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: Rate}
	valid := makeWAV(good, tone(80, Rate, 440, 0.5))
	edit := func(off int, b ...byte) []byte {
		w := bytes.Clone(valid)
		copy(w[off:], b)
		return w
	}
	ext := makeWAV(wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: Rate, ext: true}, tone(80, Rate, 440, 0.5))
	badGUID := bytes.Clone(ext)
	badGUID[12+8+24+2] ^= 0xff
	fmt16 := valid[12 : 12+8+16]
	tests := []struct {
		name string
		in   []byte
		kind fault.Kind
	}{
		{"empty", nil, fault.Invalid},
		{"short", []byte("RIFF\x00\x00"), fault.Invalid},
		{"not riff", edit(0, 'R', 'I', 'F', 'X'), fault.Invalid},
		{"rf64", edit(0, 'R', 'F', '6', '4'), fault.Invalid},
		{"not wave", edit(8, 'A', 'V', 'I', ' '), fault.Invalid},
		{"no chunks", []byte("RIFF\x04\x00\x00\x00WAVE"), fault.Invalid},
		{"no data", valid[:12+8+16], fault.Invalid},
		{"data before fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x00"), fmt16...), fault.Invalid},
		{"two fmt chunks", append(append(bytes.Clone(valid[:12+8+16]), fmt16...), valid[12+8+16:]...), fault.Invalid},
		{"fmt too short", edit(16, 14), fault.Invalid},
		{"fmt too long", edit(16, 0, 0, 1), fault.Invalid},
		{"fmt cut short", valid[:12+8+10], fault.Invalid},
		{"skipped chunk cut short", []byte("RIFF\x00\x00\x00\x00WAVELIST\x10\x00\x00\x00abc"), fault.Invalid},
		{"unsupported tag", edit(20, 0x55, 0), fault.Invalid}, // MPEG layer 3
		{"zero channels", edit(22, 0, 0), fault.Invalid},
		{"rate zero", edit(24, 0, 0, 0, 0), fault.Invalid},
		{"rate too high", edit(24, 0, 0, 0, 1), fault.Invalid},
		{"zero block align", edit(32, 0, 0), fault.Invalid},
		{"block align not per channel", edit(22, 2, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 3, 0), fault.Invalid},
		{"bits do not fit", edit(34, 24), fault.Invalid},
		{"zero bits", edit(34, 0), fault.Invalid},
		{"five-byte pcm", edit(32, 5, 0, 40, 0), fault.Invalid},
		{"16-bit float", edit(20, 3, 0), fault.Invalid},
		{"16-bit alaw", edit(20, 6, 0), fault.Invalid},
		{"extensible too short", edit(20, 0xfe, 0xff), fault.Invalid},
		{"extensible unknown guid", badGUID, fault.Invalid},
		{"extensible valid bits too many", func() []byte { w := bytes.Clone(ext); w[12+8+18] = 17; return w }(), fault.Invalid},
		{"extensible wraps itself", func() []byte { w := bytes.Clone(ext); w[12+8+24], w[12+8+25] = 0xfe, 0xff; return w }(), fault.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadWAV(bytes.NewReader(tt.in))
			if !fault.Is(err, tt.kind) {
				t.Fatalf("ReadWAV = %d samples, %v; want a %s error", len(got), err, tt.kind)
			}
			if got != nil {
				t.Errorf("returned %d samples with the error", len(got))
			}
			checkErrorText(t, err)
		})
	}
}

// checkErrorText asserts an error message is non-empty, names the
// operation and holds nothing phone-shaped.
func checkErrorText(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "codec.ReadWAV: ") || len(msg) < len("codec.ReadWAV: ")+5 {
		t.Errorf("error %q does not say what failed", msg)
	}
	if pii.DigitRun(msg) >= pii.PhoneDigits {
		t.Errorf("error %q holds a phone-shaped digit run", msg)
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadWAVLimits(t *testing.T) {
	spec := wavSpec{tag: wavPCM, bits: 16, channels: 1, rate: Rate}
	t.Run("file over MaxWAVBytes", func(t *testing.T) {
		// A huge chunk before fmt is skipped, not decoded, so this reads
		// 64 MiB quickly.
		head := []byte("RIFF\xff\xff\xff\xffWAVEJUNK\xf0\xff\xff\x7f")
		_, err := ReadWAV(io.MultiReader(bytes.NewReader(head), zeros{}))
		if !fault.Is(err, fault.TooLarge) {
			t.Fatalf("err = %v, want TooLarge", err)
		}
		checkErrorText(t, err)
	})
	t.Run("endless data chunk", func(t *testing.T) {
		head := assembleWAV(spec, nil)
		head[40], head[41], head[42], head[43] = 0xff, 0xff, 0xff, 0xff
		_, err := readWAV(io.MultiReader(bytes.NewReader(head), zeros{}), 1<<20)
		if !fault.Is(err, fault.TooLarge) {
			t.Fatalf("err = %v, want TooLarge", err)
		}
	})
	t.Run("file exactly at the limit", func(t *testing.T) {
		w := makeWAV(spec, tone(1000, Rate, 440, 0.5))
		got, err := readWAV(bytes.NewReader(w), int64(len(w)))
		if err != nil || len(got) != 1000 {
			t.Fatalf("readWAV at the limit = %d samples, %v", len(got), err)
		}
		if _, err := readWAV(bytes.NewReader(w), int64(len(w)-1)); !fault.Is(err, fault.TooLarge) {
			t.Fatalf("one byte over the limit: %v", err)
		}
	})
	t.Run("decoded audio too long", func(t *testing.T) {
		// 8-bit audio decodes to twice its size: the output bound trips
		// before the input bound.
		w := makeWAV(wavSpec{tag: wavPCM, bits: 8, channels: 1, rate: Rate}, make([]float64, 3000))
		if _, err := readWAV(bytes.NewReader(w), 4000); !fault.Is(err, fault.TooLarge) {
			t.Fatalf("err = %v, want TooLarge", err)
		}
	})
	t.Run("reader fails", func(t *testing.T) {
		w := makeWAV(spec, tone(100, Rate, 440, 0.5))
		for _, cut := range []int{0, 12, 30, 50} {
			_, err := ReadWAV(io.MultiReader(bytes.NewReader(w[:cut]), failingReader{}))
			if !fault.Is(err, fault.Unavailable) {
				t.Errorf("reader failing after %d bytes: err = %v, want Unavailable", cut, err)
			}
		}
	})
}

func TestWAVHeader(t *testing.T) {
	pcm := []int16{0, 1000, -1000, 32767, -32768, 5}
	data := make([]byte, 0, 2*len(pcm))
	for _, s := range pcm {
		data = binary.LittleEndian.AppendUint16(data, uint16(s))
	}
	t.Run("round trip", func(t *testing.T) {
		w := append(WAVHeader(Rate, 1, uint32(len(data))), data...)
		if len(w) != 44+len(data) {
			t.Fatalf("header is %d bytes, want 44", len(w)-len(data))
		}
		got, err := ReadWAV(bytes.NewReader(w))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pcm, got); diff != "" {
			t.Errorf("samples (-want +got):\n%s", diff)
		}
	})
	t.Run("matches the test writer", func(t *testing.T) {
		want := assembleWAV(wavSpec{tag: wavPCM, bits: 16, channels: 2, rate: Rate}, data)
		if diff := cmp.Diff(want[:44], WAVHeader(Rate, 2, uint32(len(data)))); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
	})
	t.Run("saturates", func(t *testing.T) {
		h := WAVHeader(Rate, 2, math.MaxUint32)
		if got := binary.LittleEndian.Uint32(h[4:]); got != math.MaxUint32 {
			t.Errorf("RIFF size %#x, want saturated", got)
		}
	})
}

// TestReadWAVSox decodes files written by sox, an independent WAV writer,
// and compares the result with sox's own conversion to 8 kHz mono.
func TestReadWAVSox(t *testing.T) {
	sox, err := exec.LookPath("sox")
	if err != nil {
		if os.Getenv("KORDON_REQUIRE_PEERS") != "" {
			t.Fatalf("sox not found and KORDON_REQUIRE_PEERS is set: %v", err)
		}
		t.Skip("sox not installed")
	}
	dir := t.TempDir()
	run := func(t *testing.T, args ...string) {
		t.Helper()
		if out, err := exec.Command(sox, args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	read := func(t *testing.T, path string) []int16 {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, err := ReadWAV(f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		args []string // output format options
		freq float64
	}{
		{"pcm16 stereo 44.1k", []string{"-r", "44100", "-c", "2", "-b", "16", "-e", "signed-integer"}, 440},
		{"pcm16 mono 16k", []string{"-r", "16000", "-c", "1", "-b", "16"}, 1000},
		{"pcm8 mono 8k", []string{"-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer"}, 440},
		{"pcm24 stereo 48k", []string{"-r", "48000", "-c", "2", "-b", "24"}, 1000},
		{"pcm32 mono 22050", []string{"-r", "22050", "-c", "1", "-b", "32"}, 440},
		{"float32 stereo 44.1k", []string{"-r", "44100", "-c", "2", "-e", "floating-point", "-b", "32"}, 1000},
		{"float64 mono 11025", []string{"-r", "11025", "-c", "1", "-e", "floating-point", "-b", "64"}, 440},
		{"mulaw mono 8k", []string{"-r", "8000", "-c", "1", "-e", "u-law"}, 1000},
		{"alaw stereo 8k", []string{"-r", "8000", "-c", "2", "-e", "a-law"}, 440},
		{"pcm16 6ch 48k (extensible)", []string{"-r", "48000", "-c", "6", "-b", "16"}, 440},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(dir, fmt.Sprintf("src%d.wav", i))
			ref := filepath.Join(dir, fmt.Sprintf("ref%d.wav", i))
			args := append([]string{"-D", "-n"}, tt.args...)
			run(t, append(args, src, "synth", "0.6", "sine", fmt.Sprint(tt.freq), "vol", "0.5")...)
			run(t, "-D", src, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", ref)
			got := read(t, src)
			checkTone(t, got, tt.freq, 0.5, 0.25)
			want := read(t, ref) // 16-bit mono 8 kHz: decoded without conversion
			if len(got) != len(want) {
				t.Fatalf("%d samples, sox gave %d", len(got), len(want))
			}
			g, w := middle(got), middle(want)
			var noise float64
			for j := range g {
				d := float64(g[j]) - float64(w[j])
				noise += d * d
			}
			noise = math.Sqrt(noise/float64(len(g))) / 32768
			if snr := db(rms(w) / max(noise, 1e-9)); snr < 40 {
				t.Errorf("differs from sox's conversion: SNR %.1f dB, want at least 40", snr)
			}
		})
	}
}

func FuzzReadWAV(f *testing.F) {
	tn := tone(200, 16000, 440, 0.5)
	for _, s := range []wavSpec{
		{tag: wavPCM, bits: 16, channels: 1, rate: 8000},
		{tag: wavPCM, bits: 8, channels: 2, rate: 44100, pre: []chunk{{"LIST", []byte("abc")}}},
		{tag: wavPCM, bits: 24, channels: 1, rate: 48000, ext: true},
		{tag: wavFloat, bits: 32, channels: 1, rate: 16000},
		{tag: wavFloat, bits: 64, channels: 1, rate: 1000},
		{tag: wavMuLaw, bits: 8, channels: 1, rate: 8000},
		{tag: wavALaw, bits: 8, channels: 1, rate: 8000, ext: true},
	} {
		chans := make([][]float64, s.channels)
		for i := range chans {
			chans[i] = tn
		}
		f.Add(makeWAV(s, chans...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readWAV(bytes.NewReader(b), 1<<16)
		if err != nil {
			if got != nil {
				t.Errorf("returned samples with error %v", err)
			}
			if k := fault.KindOf(err); k != fault.Invalid && k != fault.TooLarge {
				t.Errorf("error of kind %s: %v", k, err)
			}
			checkErrorText(t, err)
			return
		}
		if len(got) > 1<<15 {
			t.Errorf("%d samples from a 64 KiB limit", len(got))
		}
	})
}
