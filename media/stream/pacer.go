package stream

import (
	"context"
	"sync"
	"time"
)

// maxBehind is how far a pacer may fall behind its schedule (a stalled
// process, a suspended VM) before it skips the missed ticks instead of
// sending them in a burst the far end would drop as late anyway.
const maxBehind = 5 * frame

// pacer sends the next packet of each of its streams every 20 ms. The
// schedule is absolute (start + n·20 ms), so lateness in one tick does not
// accumulate into drift.
type pacer struct {
	mu      sync.Mutex
	streams []*Stream

	batch []*Stream // the streams of the tick being run; pacer goroutine only
}

func (p *pacer) add(s *Stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams = append(p.streams, s)
}

func (p *pacer) remove(s *Stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.streams {
		if x == s {
			last := len(p.streams) - 1
			p.streams[i] = p.streams[last]
			p.streams[last] = nil
			p.streams = p.streams[:last]
			return
		}
	}
}

func (p *pacer) load() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.streams)
}

// run ticks until ctx ends.
func (p *pacer) run(ctx context.Context, interval time.Duration) {
	next := time.Now().Add(interval)
	n := uint64(1) // tick number: the media clock of every stream on this pacer
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if behind := time.Since(next); behind > maxBehind {
			skip := uint64(behind / interval)
			n += skip
			next = next.Add(time.Duration(skip) * interval)
		}
		p.mu.Lock()
		p.batch = append(p.batch[:0], p.streams...)
		p.mu.Unlock()
		for _, s := range p.batch {
			s.tick(n, next)
		}
		clear(p.batch)
		n++
		next = next.Add(interval)
		t.Reset(time.Until(next))
	}
}

// stop ends the pacer's streams after run has returned.
func (p *pacer) stop() {
	p.mu.Lock()
	streams := append([]*Stream(nil), p.streams...)
	p.mu.Unlock()
	for _, s := range streams {
		s.end(ErrClosed)
	}
}
