// Package codec converts audio between the forms the media edge meets and
// the one it works in: 8 kHz mono 16-bit linear PCM, in 20 ms frames.
//
// G.711 (PCMU and PCMA) is the only codec on the wire; Codec encodes and
// decodes it. ReadWAV turns the WAV files an administrator uploads as
// prompts, or a TTS engine writes, into that form whatever their encoding,
// channel count and sample rate; Resample is its sample-rate converter, a
// windowed-sinc low-pass filter rather than naive decimation, so that
// energy above 4 kHz does not fold back into the telephone band as
// aliasing. WAVHeader writes the header of a 16-bit PCM file for callers
// that stream the samples themselves, such as recording playback.
//
// Everything here is a pure function of its input: no goroutines, no
// shared mutable state (the lookup tables are built once and only read),
// safe for concurrent use. ReadWAV bounds what it reads (MaxWAVBytes) and
// reports malformed input with fault.Invalid and oversize input with
// fault.TooLarge, naming the offending field without quoting the file.
package codec
