package stream

import "sync"

// pcmRing is a bounded FIFO of samples that drops the oldest when full:
// live audio that cannot be played in time is better lost than delayed.
type pcmRing struct {
	buf   []int16
	start int
	n     int
}

func newPCMRing(capacity int) pcmRing { return pcmRing{buf: make([]int16, capacity)} }

// push appends samples, dropping the oldest beyond capacity, and returns
// how many samples were dropped.
func (r *pcmRing) push(samples []int16) int {
	c := len(r.buf)
	dropped := 0
	if len(samples) > c {
		dropped += len(samples) - c
		samples = samples[len(samples)-c:]
	}
	if over := r.n + len(samples) - c; over > 0 {
		r.start = (r.start + over) % c
		r.n -= over
		dropped += over
	}
	end := (r.start + r.n) % c
	k := copy(r.buf[end:], samples)
	copy(r.buf, samples[k:])
	r.n += len(samples)
	return dropped
}

// pop fills dst if the ring holds enough samples, and reports whether it
// did. A partial frame stays queued for the next tick rather than being
// padded with silence in mid-word.
func (r *pcmRing) pop(dst []int16) bool {
	if r.n < len(dst) {
		return false
	}
	k := copy(dst, r.buf[r.start:min(r.start+len(dst), len(r.buf))])
	copy(dst[k:], r.buf)
	r.start = (r.start + len(dst)) % len(r.buf)
	r.n -= len(dst)
	return true
}

func (r *pcmRing) reset() { r.start, r.n = 0, 0 }

// inbox is what a bridged Stream hands to this one: decoded audio and
// received digits. Its lock is a leaf (nothing else is locked while it is
// held), so the two directions of a bridge never deadlock.
type inbox struct {
	mu      sync.Mutex
	audio   pcmRing
	dropped uint64 // samples lost to a full queue
	digits  [16]byte
	nd      int
}

func (b *inbox) pushAudio(pcm []int16) {
	b.mu.Lock()
	b.dropped += uint64(b.audio.push(pcm))
	b.mu.Unlock()
}

func (b *inbox) overflow() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

func (b *inbox) popAudio(dst []int16) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.audio.pop(dst)
}

// pushDigit queues a digit to forward; beyond 16 pending, new ones are
// dropped (nobody keys that fast).
func (b *inbox) pushDigit(d byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nd < len(b.digits) {
		b.digits[b.nd] = d
		b.nd++
	}
}

func (b *inbox) popDigit() (byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nd == 0 {
		return 0, false
	}
	d := b.digits[0]
	copy(b.digits[:], b.digits[1:b.nd])
	b.nd--
	return d, true
}

func (b *inbox) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.audio.reset()
	b.nd = 0
}
