package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"kordon/types/fault"
)

// Errors that end a Stream, a Play or a SendDTMF.
var (
	// ErrInactive ends a Stream that received nothing authentic for
	// Config.Inactivity while it expected media: the far end is gone
	// without a BYE, or its media path is broken.
	ErrInactive = errors.New("stream: no media received")
	// ErrStopped ends a Play cut short by StopPlayback (barge-in) or by a
	// newer Play.
	ErrStopped = errors.New("stream: playback stopped")
	// ErrClosed is returned after Close, or once the Engine has stopped.
	ErrClosed = errors.New("stream: closed")
)

// Config configures an Engine. Zero values mean the defaults.
type Config struct {
	// Bind is the local address of the RTP sockets. Default 0.0.0.0.
	Bind netip.Addr
	// PortMin and PortMax bound the UDP ports used: each Stream takes an
	// even RTP port and the odd RTCP port after it. Default 20000-29999.
	PortMin, PortMax int
	// Inactivity ends a Stream with ErrInactive when no authentic RTP has
	// arrived for this long while the direction is SendRecv (not on hold).
	// Default 30s.
	Inactivity time.Duration
	// Pacers is the number of pacing goroutines shared by all streams.
	// Default runtime.GOMAXPROCS(0).
	Pacers int
	// RTCPInterval is the time between RTCP reports. Default 5s.
	RTCPInterval time.Duration
	// Logger receives operational messages; it never sees audio or a
	// caller's number. Default slog.Default().
	Logger *slog.Logger
}

// frame is the packet time: every peer supports 20 ms G.711.
const frame = 20 * time.Millisecond

// Engine allocates ports and paces the streams' sending. It is safe for
// concurrent use.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	ports  *portRange
	pacers []*pacer
	epoch  time.Time // reference for arrival times

	mu      sync.Mutex
	running bool
	stopped bool
}

// New checks cfg and returns an Engine. It starts nothing and binds no
// port.
func New(cfg Config) (*Engine, error) {
	const op = "stream.New"
	if !cfg.Bind.IsValid() {
		cfg.Bind = netip.IPv4Unspecified()
	}
	if cfg.PortMin == 0 && cfg.PortMax == 0 {
		cfg.PortMin, cfg.PortMax = 20000, 29999
	}
	ports, err := newPortRange(cfg.PortMin, cfg.PortMax)
	if err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	if cfg.Inactivity < 0 || cfg.RTCPInterval < 0 || cfg.Pacers < 0 {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("negative Inactivity, RTCPInterval or Pacers"))
	}
	if cfg.Inactivity == 0 {
		cfg.Inactivity = 30 * time.Second
	}
	if cfg.RTCPInterval == 0 {
		cfg.RTCPInterval = 5 * time.Second
	}
	if cfg.Pacers == 0 {
		cfg.Pacers = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{
		cfg:   cfg,
		log:   cfg.Logger.With("subsystem", "media/stream"),
		ports: ports,
		epoch: time.Now(),
	}
	for range cfg.Pacers {
		e.pacers = append(e.pacers, &pacer{})
	}
	return e, nil
}

// Run runs the pacers until ctx ends, then ends every started Stream with
// ErrClosed and returns after the pacers have exited. An Engine runs once.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running || e.stopped {
		e.mu.Unlock()
		return fault.E("stream.Run", fault.Conflict, errors.New("engine already ran"))
	}
	e.running = true
	e.mu.Unlock()

	var wg sync.WaitGroup
	for _, p := range e.pacers {
		wg.Go(func() { p.run(ctx, frame) })
	}
	wg.Wait()

	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	for _, p := range e.pacers {
		p.stop()
	}
	return nil
}

// assign hands s to the least loaded pacer.
func (e *Engine) assign(s *Stream) (*pacer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil, ErrClosed
	}
	best := e.pacers[0]
	for _, p := range e.pacers[1:] {
		if p.load() < best.load() {
			best = p
		}
	}
	best.add(s)
	return best, nil
}

// Open binds a free port pair and returns an unstarted Stream. When every
// port in the range is taken it fails with kind Unavailable.
func (e *Engine) Open() (*Stream, error) {
	e.mu.Lock()
	stopped := e.stopped
	e.mu.Unlock()
	if stopped {
		return nil, fault.E("stream.Open", fault.Unavailable, ErrClosed)
	}
	port, rtpConn, rtcpConn, err := e.ports.bind(e.cfg.Bind)
	if err != nil {
		return nil, fault.E("stream.Open", fault.Unavailable, err)
	}
	return newStream(e, port, rtpConn, rtcpConn), nil
}
