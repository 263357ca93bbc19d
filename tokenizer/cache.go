package tokenizer

import (
	"crypto/rand"
	"sync"
	"sync/atomic"

	"kordon/types/code"
)

// cache maps a keyed hash of a value's cache form to its code and audit
// value hash, so that tokenizing a value seen before costs one HMAC and a
// map lookup instead of libphonenumber and a database query. It holds no
// raw value: the key is an HMAC under a random key that lives only in this
// process's memory.
//
// Any erasure, and any write by another process, clears it (generation++),
// and a tokenize that read the cache under an older generation re-checks its
// codes against the database inside its write transaction.
type cache struct {
	key    *hasher
	limit  int // per shard
	gen    atomic.Uint64
	shards [16]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[32]byte]cacheEntry
}

type cacheEntry struct {
	code      code.Code
	valueHash string
}

func newCache(entries int) *cache {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("tokenizer: no randomness: " + err.Error())
	}
	c := &cache{key: newHasher(key, tagCache), limit: max(entries/16, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]cacheEntry)
	}
	return c
}

func (c *cache) keyOf(kind code.Kind, form string) [32]byte {
	return c.key.sum(kind, form)
}

func (c *cache) generation() uint64 { return c.gen.Load() }

func (c *cache) get(k [32]byte) (cacheEntry, bool) {
	s := &c.shards[k[0]&15]
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	return e, ok
}

// put adds an entry, evicting an arbitrary one when the shard is full.
func (c *cache) put(k [32]byte, e cacheEntry) {
	s := &c.shards[k[0]&15]
	s.mu.Lock()
	if len(s.m) >= c.limit {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[k] = e
	s.mu.Unlock()
}

// clear empties the cache and starts a new generation.
func (c *cache) clear() {
	c.gen.Add(1)
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m = make(map[[32]byte]cacheEntry)
		s.mu.Unlock()
	}
}
