package tokenizer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"sync"

	"kordon/types/code"
	"kordon/types/pii"
)

// Domain tags keep the keyed hashes for different jobs apart even if a key
// were ever shared.
const (
	tagIndex = "kordon/index/v1"
	tagAudit = "kordon/audit/v1"
	tagCache = "kordon/cache/v1"
)

// hasher computes HMAC-SHA256(key, tag 0 kind 0 value), reusing keyed
// states: building an HMAC per value would cost more than hashing it.
type hasher struct {
	tag  string
	pool sync.Pool
}

func newHasher(key []byte, tag string) *hasher {
	k := append([]byte(nil), key...)
	h := &hasher{tag: tag}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h
}

func (h *hasher) sum(kind code.Kind, value string) [32]byte {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, h.tag)
	m.Write([]byte{0, byte(kind), 0})
	io.WriteString(m, value)
	var out [32]byte
	m.Sum(out[:0])
	h.pool.Put(m)
	return out
}

// blind returns the blind index of a normalized value under one index key
// version: 128 bits of the HMAC, plenty for de-duplication. The kind is
// part of the HMAC's input and the version selects its key, so one index
// over all kinds and versions stays unique.
func (ks *keySet) blind(version int, kind code.Kind, normalized pii.Value) []byte {
	h := ks.index[version].sum(kind, normalized.Reveal())
	return h[:16]
}

// valueHash returns the audit value hash of a normalized value: 128 bits,
// hex. Auditors holding a value compute the same hash to search the log.
func (ks *keySet) valueHash(kind code.Kind, normalized pii.Value) string {
	h := ks.audit.sum(kind, normalized.Reveal())
	return hex.EncodeToString(h[:16])
}

// aad binds a ciphertext to its code, kind and key version, so rows cannot
// be swapped between codes.
func aad(c code.Code, version int) []byte {
	return []byte("kordon/token/v1\x00" + c.String() + "\x00" + c.Kind().String() + "\x00" + strconv.Itoa(version))
}

// seal encrypts a normalized value for c under the active vault key.
func (ks *keySet) seal(c code.Code, normalized pii.Value) (version int, ct []byte, err error) {
	version = ks.vaultActive
	g := ks.vault[version]
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(normalized.Reveal())+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return 0, nil, err
	}
	return version, g.Seal(nonce, nonce, []byte(normalized.Reveal()), aad(c, version)), nil
}

var errNoKey = errors.New("vault key version not loaded")

// open decrypts a row.
func (ks *keySet) open(c code.Code, version int, ct []byte) (pii.Value, error) {
	g, ok := ks.vault[version]
	if !ok {
		return pii.Value{}, fmt.Errorf("%w: v%d", errNoKey, version)
	}
	if len(ct) < g.NonceSize() {
		return pii.Value{}, errors.New("ciphertext too short")
	}
	pt, err := g.Open(nil, ct[:g.NonceSize()], ct[g.NonceSize():], aad(c, version))
	if err != nil {
		return pii.Value{}, fmt.Errorf("decrypt %s: %w", c, err)
	}
	return pii.New(string(pt)), nil
}
