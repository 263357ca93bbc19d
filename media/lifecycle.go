package media

import (
	"context"
	"errors"
	"time"

	"kordon/media/sdp"
	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/types/code"
)

// byeTimeout bounds the BYE the edge sends at the end of a call.
const byeTimeout = 5 * time.Second

// newCall builds a call in progress; it is not yet registered.
func (e *Edge) newCall(t *trunk.Trunk, dir Direction, peer code.Code, scenario string, st *stream.Stream, dlg dialog, local sdp.Local, m sdp.Media) *Call {
	ctx, cancel := context.WithCancel(context.Background())
	return &Call{
		ID:        newCallID(),
		Trunk:     t.ID,
		Direction: dir,
		Peer:      peer,
		Scenario:  scenario,
		Started:   e.cfg.Now(),
		edge:      e,
		stream:    st,
		ctx:       ctx,
		cancel:    cancel,
		dialog:    dlg,
		local:     local,
		media:     m,
		trunk:     t,
		ended:     make(chan struct{}),
	}
}

// reserve takes one of the trunk's call slots.
func (e *Edge) reserve(t *trunk.Trunk) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byTrunk[t.ID] >= t.Limits.MaxCalls {
		return false
	}
	e.byTrunk[t.ID]++
	return true
}

// release gives the slot back.
func (e *Edge) release(t *trunk.Trunk) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byTrunk[t.ID]--; e.byTrunk[t.ID] <= 0 {
		delete(e.byTrunk, t.ID)
	}
}

var errClosing = errors.New("the edge is shutting down")

// register makes the call findable by in-dialog requests.
func (e *Edge) register(c *Call) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return errClosing
	}
	e.calls[c.key] = c
	return nil
}

func (e *Edge) unregister(c *Call) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls[c.key] == c {
		delete(e.calls, c.key)
	}
}

// lookup finds the call an in-dialog request belongs to: dialog keys are
// Call-ID, our tag and their tag, and a request to us carries our tag in
// To whichever side placed the call.
func (e *Edge) lookup(key string) *Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[key]
}

// answered starts the watchers that end the call: the far end's BYE
// (the dialog's context), media inactivity, the trunk's maximum duration
// and the session timer. None holds a goroutine but the media watcher.
func (e *Edge) answered(c *Call) {
	c.mu.Lock()
	c.answered = e.cfg.Now()
	m := c.media
	c.mu.Unlock()
	stop := context.AfterFunc(c.dialog.Context(), func() { c.end(EndRemoteBye) })
	limit := time.AfterFunc(time.Duration(c.trunk.Limits.MaxDuration), func() { c.end(EndMaxDuration) })
	c.stopWatch = func() { stop(); limit.Stop(); c.stopTimer() }
	c.armTimer()
	e.handler.Add(1)
	go func() {
		defer e.handler.Done()
		select {
		case <-c.stream.Done():
			c.end(EndRTPTimeout)
		case <-c.ctx.Done():
		}
	}()
	e.emit(c, EventAnswered, Event{Codec: m.Codec.Name(), Suite: suiteOf(m)})
}

// hangup finishes a call that was answered: BYE unless the far end hung
// up or the call was transferred, then the common cleanup.
func (e *Edge) hangup(c *Call) {
	c.stopWatch()
	if r := c.Reason(); r != EndRemoteBye && r != EndTransferred {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		if err := c.dialog.Bye(ctx); err != nil {
			e.log.Debug("BYE failed", "call", c.ID, "err", err)
		}
		cancel()
	}
	m := c.Negotiated()
	e.finish(c, Event{Reason: c.Reason(), Outcome: c.outcome, Codec: m.Codec.Name(), Suite: suiteOf(m)})
}

// finish frees the call's media and slot bookkeeping, completes its row
// and emits call.ended.
func (e *Edge) finish(c *Call, ev Event) {
	c.end(ev.Reason)
	if ev.Reason == "" {
		ev.Reason = c.Reason()
	}
	c.stream.Close()
	e.unregister(c)
	ev.Time = e.cfg.Now()
	e.recordEnd(c, ev)
	e.emit(c, EventEnded, ev)
	close(c.ended)
}

// suiteOf names the SRTP suite of m, "" for plain RTP.
func suiteOf(m sdp.Media) string {
	if m.SRTP == nil {
		return ""
	}
	return m.SRTP.Suite.String()
}
