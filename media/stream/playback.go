package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kordon/media/dtmf"
	"kordon/types/fault"
)

// playback is a prompt being played.
type playback struct {
	pcm  []int16
	pos  int
	done chan error // buffered; receives exactly once
}

func (p *playback) finish(err error) { p.done <- err }

// Play plays pcm (8 kHz mono, 16-bit linear) to the far end and returns
// when the last frame has been sent. It returns ErrStopped if StopPlayback
// or a newer Play cuts it short, ctx.Err() if ctx ends first, and
// ErrClosed or ErrInactive if the Stream ends. While the Stream may not
// send (on hold) the prompt waits where it is. The caller must not modify
// pcm until Play returns.
func (s *Stream) Play(ctx context.Context, pcm []int16) error {
	if len(pcm) == 0 {
		return nil
	}
	p := &playback{pcm: pcm, done: make(chan error, 1)}
	s.mu.Lock()
	if err := s.usableLocked("stream.Play"); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.tx.play != nil {
		s.tx.play.finish(ErrStopped)
	}
	s.tx.play = p
	s.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		s.mu.Lock()
		if s.tx.play == p {
			s.tx.play = nil
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// StopPlayback ends the current Play with ErrStopped: barge-in, when the
// caller starts speaking or presses a key.
func (s *Stream) StopPlayback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx.play != nil {
		s.tx.play.finish(ErrStopped)
		s.tx.play = nil
	}
}

// usableLocked returns the error for an operation on a Stream that is
// closed, ended or not started.
func (s *Stream) usableLocked(op string) error {
	switch {
	case s.closed:
		return ErrClosed
	case s.err != nil:
		return s.err
	case !s.started:
		return fault.E(op, fault.Invalid, errors.New("stream not started"))
	}
	return nil
}

// dtmfJob is a SendDTMF call in progress.
type dtmfJob struct {
	digits string
	next   int // index of the next digit to start
	each   time.Duration
	done   chan error // buffered; receives exactly once
}

func (j *dtmfJob) finish(err error) { j.done <- err }

const (
	// defaultTone is the tone length of SendDTMF with each == 0 and of
	// digits forwarded across a bridge.
	defaultTone = 100 * time.Millisecond
	// minGap is the shortest pause between two digits: receivers need a
	// pause to tell a repeated key from a held one.
	minGap = 40 * time.Millisecond
	// toneVolume is the power level sent with every digit, in -dBm0.
	toneVolume = 10
	// maxDigits bounds one SendDTMF call.
	maxDigits = 64
)

// SendDTMF sends digits ('0'-'9', '*', '#', 'A'-'D') as RFC 4733
// telephone-events, each tone lasting each (default 100 ms) with an equal
// pause between tones, and returns once the last end packet has been sent.
// The far end must have negotiated telephone-event (Params.DTMFPayloadType).
// While a digit is sent its packets replace the audio and the prompt
// waits. Only one SendDTMF runs at a time.
func (s *Stream) SendDTMF(ctx context.Context, digits string, each time.Duration) error {
	const op = "stream.SendDTMF"
	if each == 0 {
		each = defaultTone
	}
	if len(digits) == 0 || len(digits) > maxDigits {
		return fault.E(op, fault.Invalid, fmt.Errorf("want 1 to %d digits, got %d", maxDigits, len(digits)))
	}
	for i := range len(digits) {
		if !dtmf.Valid(digits[i]) {
			return fault.E(op, fault.Invalid, fmt.Errorf("character %d is not a DTMF key", i+1))
		}
	}
	if each < 0 || each > dtmf.MaxDuration {
		return fault.E(op, fault.Invalid, fmt.Errorf("tone length %v outside (0, %v]", each, dtmf.MaxDuration))
	}
	j := &dtmfJob{digits: digits, each: each, done: make(chan error, 1)}
	s.mu.Lock()
	if err := s.usableLocked(op); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.p.DTMFPayloadType == 0 {
		s.mu.Unlock()
		return fault.E(op, fault.Invalid, errors.New("far end did not negotiate telephone-event"))
	}
	if s.tx.job != nil {
		s.mu.Unlock()
		return fault.E(op, fault.Conflict, errors.New("another SendDTMF is in progress"))
	}
	s.tx.job = j
	s.mu.Unlock()
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		s.mu.Lock()
		if s.tx.job == j {
			// A tone already started is finished by the pacer (its end
			// packets must go out); no further digit starts.
			s.tx.job = nil
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// gapTicks is the pause after a tone of length each, in ticks.
func gapTicks(each time.Duration) int {
	return int((max(each, minGap) + frame - 1) / frame)
}
