package record

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A recording file is a 12-byte header followed by sealed chunks:
//
//	header:  "KREC" | version (1 byte, 1) | 3 zero bytes | plaintext chunk size (uint32 BE)
//	chunk i: AES-256-GCM(key, nonce = i as 96-bit big-endian, plaintext, aad)
//	aad:     header | recording ID | 0x00 | i (uint64 BE) | final (1 byte, 0 or 1)
//
// Every chunk but the last holds exactly chunkPlain bytes of plaintext;
// the last holds 0 to chunkPlain bytes and is sealed with final = 1. The
// nonce makes each chunk decrypt only at its own position, the final flag
// makes a file cut at a chunk boundary fail (its new last chunk was sealed
// as not final), and the recording ID in the additional data stops a chunk
// or a whole file from passing for another recording's, even if both were
// sealed under the same key. The plaintext is interleaved stereo 16-bit
// little-endian PCM, caller left, robot right.
const (
	fileMagic  = "KREC"
	fileFormat = 1
	headerSize = 12
	chunkPlain = 32 << 10 // about one second of 8 kHz stereo
	tagSize    = 16
	chunkFull  = chunkPlain + tagSize // a sealed non-final chunk
	keySize    = 32                   // AES-256
)

// errIntegrity reports a recording file that does not authenticate.
var errIntegrity = errors.New("recording file failed authentication")

// fileHeader returns the header of a new recording file.
func fileHeader() []byte {
	h := make([]byte, headerSize)
	copy(h, fileMagic)
	h[4] = fileFormat
	binary.BigEndian.PutUint32(h[8:], chunkPlain)
	return h
}

// chunkCipher seals or opens the chunks of one recording in order. It
// tracks the chunk index itself, so chunks cannot be sealed or opened out
// of place.
type chunkCipher struct {
	aead  cipher.AEAD
	aad   []byte // header | id | 0, then the index and flag of the current chunk
	fixed int    // length of the constant prefix of aad
	index uint64
	nonce [12]byte
}

// newChunkCipher returns the cipher for recording id's file whose header
// is hdr.
func newChunkCipher(key []byte, id string, hdr []byte) (*chunkCipher, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("data key of %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	c := &chunkCipher{aead: aead}
	c.aad = append(append(append(c.aad, hdr...), id...), 0)
	c.fixed = len(c.aad)
	return c, nil
}

// next prepares the nonce and additional data of the current chunk.
func (c *chunkCipher) next(final bool) {
	binary.BigEndian.PutUint64(c.nonce[4:], c.index)
	c.aad = binary.BigEndian.AppendUint64(c.aad[:c.fixed], c.index)
	flag := byte(0)
	if final {
		flag = 1
	}
	c.aad = append(c.aad, flag)
}

// seal appends the current chunk, sealed, to dst and moves to the next.
func (c *chunkCipher) seal(dst, plain []byte, final bool) []byte {
	c.next(final)
	c.index++
	return c.aead.Seal(dst, c.nonce[:], plain, c.aad)
}

// open appends the current chunk's plaintext to dst and moves to the next.
func (c *chunkCipher) open(dst, sealed []byte, final bool) ([]byte, error) {
	c.next(final)
	out, err := c.aead.Open(dst, c.nonce[:], sealed, c.aad)
	if err != nil {
		return nil, fmt.Errorf("%w: chunk %d does not authenticate (tampered, truncated or out of order)", errIntegrity, c.index)
	}
	c.index++
	return out, nil
}

// chunkReader opens a recording file's chunks one by one.
type chunkReader struct {
	r      *bufio.Reader
	c      *chunkCipher
	sealed []byte
	plain  []byte
	done   bool // the final chunk has been opened
}

// newChunkReader checks the header read from r and returns a reader of
// the plaintext chunks that follow it.
func newChunkReader(r io.Reader, key []byte, id string) (*chunkReader, error) {
	br := bufio.NewReaderSize(r, chunkFull+1)
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("%w: file shorter than its header", errIntegrity)
	}
	if string(hdr[:4]) != fileMagic || hdr[4] != fileFormat || hdr[5]|hdr[6]|hdr[7] != 0 ||
		binary.BigEndian.Uint32(hdr[8:]) != chunkPlain {
		return nil, fmt.Errorf("%w: not a version %d recording file", errIntegrity, fileFormat)
	}
	c, err := newChunkCipher(key, id, hdr)
	if err != nil {
		return nil, err
	}
	return &chunkReader{r: br, c: c, sealed: make([]byte, chunkFull), plain: make([]byte, 0, chunkPlain)}, nil
}

// next returns the next chunk's plaintext, valid until the following
// call, or io.EOF after the final chunk. A file that ends without a final
// chunk, or goes on after it, fails with errIntegrity.
func (cr *chunkReader) next() ([]byte, error) {
	if cr.done {
		return nil, io.EOF
	}
	n, err := io.ReadFull(cr.r, cr.sealed)
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: the file ends after chunk %d without its final chunk (truncated)", errIntegrity, cr.c.index)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// A short piece can only be the final chunk.
	case err != nil:
		return nil, fmt.Errorf("read recording file: %w", err)
	}
	final := n < chunkFull
	if !final {
		if _, err := cr.r.Peek(1); errors.Is(err, io.EOF) {
			final = true
		} else if err != nil {
			return nil, fmt.Errorf("read recording file: %w", err)
		}
	}
	if n < tagSize {
		return nil, fmt.Errorf("%w: chunk %d is cut short", errIntegrity, cr.c.index)
	}
	p, err := cr.c.open(cr.plain[:0], cr.sealed[:n], final)
	if err != nil {
		return nil, err
	}
	cr.done = final
	return p, nil
}
