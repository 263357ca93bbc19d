package record

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"kordon/media/codec"
	"kordon/types/fault"
)

// slowFile is a recording file on a disk that stalls: after the header,
// every write waits until release is closed.
type slowFile struct {
	*os.File
	writes  int
	blocked chan struct{} // closed when the first write stalls
	release chan struct{}
	once    sync.Once
}

func (f *slowFile) Write(b []byte) (int, error) {
	f.writes++
	if f.writes > 1 {
		f.once.Do(func() { close(f.blocked) })
		<-f.release
	}
	return f.File.Write(b)
}

// TestFrameNeverBlocks stalls the disk and keeps feeding frames: Frame
// must return every time, drop what does not fit the buffer, and the
// recording must hold exactly the frames it accepted, in order.
func TestFrameNeverBlocks(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Buffer = 4 * time.Second })
	slow := &slowFile{blocked: make(chan struct{}), release: make(chan struct{})}
	e.s.newFile = func(path string) (file, error) {
		f, err := createFile(path)
		if err != nil {
			return nil, err
		}
		slow.File = f.(*os.File)
		return slow, nil
	}
	r, err := e.s.Create(context.Background(), "call_slow")
	if err != nil {
		t.Fatal(err)
	}
	const total = 1000 // 20 s of audio against a 4 s buffer
	tk := newTalk(11, total)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := range total {
			if i == 100 {
				<-slow.blocked // from here on the writer is stuck in Write
			}
			r.Frame(tk.caller[i], tk.robot[i])
		}
	}()
	select {
	case <-fed:
	case <-time.After(30 * time.Second):
		close(slow.release)
		t.Fatal("Frame blocked while the disk stalled")
	}
	dropped := r.Dropped()
	if dropped == 0 {
		t.Fatal("nothing dropped while the disk stalled for 20 s of audio")
	}
	close(slow.release)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	info := e.info(t, "call_slow", r.ID())
	if info.Frames+info.Dropped != total || info.Dropped != dropped {
		t.Errorf("frames %d + dropped %d, want %d with %d dropped", info.Frames, info.Dropped, total, dropped)
	}
	// The buffer holds 4 s (200 frames) beyond what the writer took
	// before it stalled, and only the tail is lost.
	if info.Frames < 200 {
		t.Errorf("only %d frames kept", info.Frames)
	}
	e.checkPlays(t, r.ID(), tk, int(info.Frames))
}

// failFile fails every write after the header, as a full disk does.
type failFile struct {
	*os.File
	writes int
}

func (f *failFile) Write(b []byte) (int, error) {
	f.writes++
	if f.writes > 1 {
		return 0, errors.New("no space left on device")
	}
	return f.File.Write(b)
}

func TestWriteFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.s.newFile = func(path string) (file, error) {
		f, err := createFile(path)
		if err != nil {
			return nil, err
		}
		return &failFile{File: f.(*os.File)}, nil
	}
	r, err := e.s.Create(context.Background(), "call_full")
	if err != nil {
		t.Fatal(err)
	}
	tk := newTalk(12, 200)
	tk.feed(r)
	wantKind(t, r.Close(), fault.Unavailable)
	info := e.info(t, "call_full", r.ID())
	if info.Ended.IsZero() || info.Bytes != 0 {
		t.Errorf("after a failed write: ended %v, %d bytes; want ended with 0 bytes written", info.Ended, info.Bytes)
	}
	// The file has no final chunk, so it does not play.
	_, _, err = e.s.Open(context.Background(), listener, r.ID())
	wantKind(t, err, fault.Internal)
}

func TestCloseIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	r, err := e.s.Create(context.Background(), "call_close")
	if err != nil {
		t.Fatal(err)
	}
	tk := newTalk(13, 10)
	// Frame and Close race from different goroutines, as the pacer and
	// the call's end do.
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 50 {
			tk.feed(r)
		}
	})
	wg.Go(func() {
		time.Sleep(time.Millisecond)
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	r.Frame(tk.caller[0], tk.robot[0]) // after Close: ignored
	info := e.info(t, "call_close", r.ID())
	if info.Bytes != info.Frames*codec.FrameSamples*4 {
		t.Errorf("%d bytes for %d frames", info.Bytes, info.Frames)
	}
	left, _ := e.play(t, listener, r.ID())
	if int64(len(left)) != info.Frames*codec.FrameSamples {
		t.Errorf("%d samples play, want %d", len(left), info.Frames*codec.FrameSamples)
	}
}

func TestFrameOversized(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Buffer = time.Second })
	r, err := e.s.Create(context.Background(), "call_big")
	if err != nil {
		t.Fatal(err)
	}
	huge := make([]int16, 3*chunkPlain) // more than the whole buffer
	r.Frame(huge, nil)
	r.Frame(nil, nil) // nothing at all: not a frame
	if got := r.Dropped(); got != 1 {
		t.Errorf("dropped %d, want 1", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if info := e.info(t, "call_big", r.ID()); info.Frames != 0 || info.Dropped != 1 {
		t.Errorf("frames %d dropped %d, want 0 and 1", info.Frames, info.Dropped)
	}
}

// BenchmarkFrame measures what the media pacer pays per 20 ms frame. It
// feeds frames far faster than real time, so the writer may fall behind
// and drop some; the cost of Frame is the same either way.
func BenchmarkFrame(b *testing.B) {
	e := newEnv(b, nil)
	r, err := e.s.Create(context.Background(), "call_bench")
	if err != nil {
		b.Fatal(err)
	}
	tk := newTalk(1, 50)
	i := 0
	for b.Loop() {
		r.Frame(tk.caller[i%50], tk.robot[i%50])
		i++
	}
	b.StopTimer()
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.Dropped())/float64(i), "dropped/frame")
}
