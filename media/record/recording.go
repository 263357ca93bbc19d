package record

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"kordon/media/codec"
	"kordon/store"
	"kordon/types/fault"
)

// maxPCM caps a recording's PCM so that its WAV size fields (32 bits)
// hold it: about 37 hours.
const maxPCM = (math.MaxUint32 - 44) &^ 3

// closeTimeout bounds the database update of Close, which has no context
// of its own (the call's context is usually gone by then).
const closeTimeout = 30 * time.Second

// Recording is one call's recording in progress. Frame feeds it from the
// media pacer and never blocks on the disk: a goroutine owned by the
// Recording seals and writes the audio, and Close waits for it.
type Recording struct {
	s       *Store
	id      string
	callID  string
	f       file
	c       *chunkCipher
	started time.Time

	mu       sync.Mutex
	pending  []byte // interleaved PCM for the writer; capacity s.buffer
	closed   bool
	failed   bool  // the writer hit an error; frames are dropped
	frames   int64 // Frame calls buffered
	dropped  int64 // Frame calls dropped
	accepted int64 // PCM bytes buffered in all

	wake chan struct{} // the writer has a chunk's worth waiting
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the writer has finished the file

	// Set by the writer before done is closed.
	written int64 // PCM bytes sealed and written
	werr    error

	closeOnce sync.Once
	closeErr  error
}

// Create starts a recording of call callID: a new file sealed under a
// fresh data key, and its row. The recording's writer runs until Close.
func (s *Store) Create(ctx context.Context, callID string) (*Recording, error) {
	const op = "record.Create"
	if err := checkCallID(callID); err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	if err := s.ensureDir(); err != nil {
		return nil, fault.E(op, fault.Unavailable, err)
	}
	key := make([]byte, keySize)
	rand.Read(key)
	defer clear(key)
	wrapped, err := s.cfg.Keys.Wrap(ctx, key)
	if err != nil {
		return nil, fault.E(op, fault.Unavailable, fmt.Errorf("wrap the data key: %w", err))
	}
	id := newID()
	hdr := fileHeader()
	c, err := newChunkCipher(key, id, hdr)
	if err != nil {
		return nil, fault.E(op, fault.Internal, err)
	}
	// Active before the file exists, so that Purge never mistakes the
	// file for an orphan.
	s.setActive(id, true)
	path := s.path(id)
	f, err := s.newFile(path)
	if err != nil {
		s.setActive(id, false)
		return nil, fault.E(op, fault.Unavailable, fmt.Errorf("create recording file: %w", err))
	}
	started := s.cfg.Now()
	undo := func(err error) (*Recording, error) {
		f.Close()
		os.Remove(path)
		s.setActive(id, false)
		return nil, fault.E(op, fault.Unavailable, err)
	}
	if _, err := f.Write(hdr); err != nil {
		return undo(fmt.Errorf("write recording file: %w", err))
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO recordings (id, call_id, file, wrapped_key, channels, sample_rate, started_at) VALUES (?, ?, ?, ?, 2, ?, ?)`,
			id, callID, id+fileSuffix, wrapped, codec.Rate, started.UnixMilli())
		return err
	})
	if err != nil {
		return undo(fmt.Errorf("insert recording row: %w", err))
	}
	r := &Recording{
		s: s, id: id, callID: callID, f: f, c: c, started: started,
		pending: make([]byte, 0, s.buffer),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go r.run()
	s.log.Debug("recording started", "recording", id, "call", callID)
	return r, nil
}

// ID returns the recording's ID.
func (r *Recording) ID() string { return r.id }

// Frame adds one frame of audio: caller on the left channel, robot on the
// right. The media pacer calls it every 20 ms with codec.FrameSamples
// samples a side; a shorter or missing side is padded with silence. Frame
// copies the samples and returns without waiting for the disk. When the
// buffer is full (the disk has fallen Config.Buffer behind), after a write
// error, or after Close, the frame is dropped and counted instead.
func (r *Recording) Frame(caller, robot []int16) {
	n := max(len(caller), len(robot))
	if n == 0 {
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if r.failed || len(r.pending)+4*n > cap(r.pending) || r.accepted+int64(4*n) > maxPCM {
		r.dropped++
		r.mu.Unlock()
		return
	}
	for i := range n {
		var left, right int16
		if i < len(caller) {
			left = caller[i]
		}
		if i < len(robot) {
			right = robot[i]
		}
		r.pending = append(r.pending, byte(left), byte(uint16(left)>>8), byte(right), byte(uint16(right)>>8))
	}
	r.frames++
	r.accepted += int64(4 * n)
	ready := len(r.pending) >= chunkPlain
	r.mu.Unlock()
	if ready {
		select {
		case r.wake <- struct{}{}:
		default: // the writer is already due to look
		}
	}
}

// Dropped returns the number of frames dropped so far.
func (r *Recording) Dropped() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// run is the writer: it takes what Frame buffered, seals it in chunks
// and writes them, and on stop writes the final chunk and syncs the file.
func (r *Recording) run() {
	defer close(r.done)
	buf := make([]byte, 0, r.s.buffer)
	carry := make([]byte, 0, chunkPlain+r.s.buffer)
	sealed := make([]byte, 0, chunkFull)
	write := func(plain []byte, final bool) {
		if r.werr != nil {
			return
		}
		sealed = r.c.seal(sealed[:0], plain, final)
		if _, err := r.f.Write(sealed); err != nil {
			r.werr = err
			r.mu.Lock()
			r.failed = true
			r.mu.Unlock()
			return
		}
		r.written += int64(len(plain))
	}
	for {
		stopping := false
		select {
		case <-r.wake:
		case <-r.stop:
			stopping = true
		}
		r.mu.Lock()
		buf, r.pending = r.pending, buf[:0]
		r.mu.Unlock()
		carry = append(carry, buf...)
		// Full chunks go out now; when stopping, the last one (full or
		// not, possibly empty) is kept back to be sealed as final.
		for len(carry) > chunkPlain || len(carry) == chunkPlain && !stopping {
			write(carry[:chunkPlain], false)
			carry = carry[:copy(carry, carry[chunkPlain:])]
		}
		if stopping {
			write(carry, true)
			if r.werr == nil {
				r.werr = r.f.Sync()
			}
			if err := r.f.Close(); r.werr == nil {
				r.werr = err
			}
			return
		}
	}
}

// Close stops the recording: it waits for the writer to seal the final
// chunk and sync the file, then records the frame and byte counts and the
// end time. It is idempotent; later calls return the first one's result.
// If writing failed, the error is returned and the counts say what was
// written (the file then fails authentication on Open, as truncated).
func (r *Recording) Close() error {
	r.closeOnce.Do(func() { r.closeErr = r.close() })
	return r.closeErr
}

func (r *Recording) close() error {
	const op = "record.Close"
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	defer r.s.setActive(r.id, false)
	r.mu.Lock()
	frames, dropped := r.frames, r.dropped
	r.mu.Unlock()
	if r.werr == nil {
		r.werr = syncDir(r.s.cfg.Dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	err := r.s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE recordings SET frames = ?, dropped = ?, bytes = ?, ended_at = ? WHERE id = ?`,
			frames, dropped, r.written, r.s.cfg.Now().UnixMilli(), r.id)
		return err
	})
	if dropped > 0 {
		r.s.log.Warn("recording dropped frames: the disk fell behind", "recording", r.id, "call", r.callID, "dropped", dropped, "frames", frames)
	}
	if r.werr != nil {
		r.s.log.Error("recording file write failed", "recording", r.id, "call", r.callID, "err", r.werr)
	}
	switch {
	case r.werr != nil && err != nil:
		return fault.E(op, fault.Unavailable, errors.Join(fmt.Errorf("write recording file: %w", r.werr), fmt.Errorf("update recording row: %w", err)))
	case r.werr != nil:
		return fault.E(op, fault.Unavailable, fmt.Errorf("write recording file: %w", r.werr))
	case err != nil:
		return fault.E(op, fault.Unavailable, fmt.Errorf("update recording row: %w", err))
	}
	return nil
}

// syncDir makes a directory's entries durable (a new or removed file).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
