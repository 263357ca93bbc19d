package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"kordon/media/codec"
	"kordon/media/dtmf"
	"kordon/types/fault"
)

// digitBuffer is how many received digits DTMF() holds for a slow reader
// before the oldest is dropped.
const digitBuffer = 32

// Stream is one call leg's RTP/SRTP endpoint. Its methods are safe for
// concurrent use.
type Stream struct {
	e      *Engine
	port   int
	log    *slog.Logger
	cname  string // RTCP canonical name: random, says nothing about the call
	done   chan struct{}
	digits chan byte
	wg     sync.WaitGroup // receive goroutines
	in     inbox          // audio and digits from a bridged Stream

	// tickMu is held by the pacer while it works on the Stream, so that
	// Close can wait out a tick in progress. The buffers below belong to
	// the tick.
	tickMu  sync.Mutex
	robot   [codec.FrameSamples]int16 // what the tick sent
	caller  [codec.FrameSamples]int16 // the caller's audio for this tick
	discard [codec.FrameSamples]int16 // bridged audio nobody will hear
	txPlain []byte
	txOut   []byte
	txHdr   rtp.Header

	mu       sync.Mutex
	rtpConn  *net.UDPConn
	rtcpConn *net.UDPConn // nil with rtcp-mux
	started  bool
	closed   bool
	err      error // why the Stream ended; nil while it runs
	pacer    *pacer
	p        Params
	sink     Sink
	peer     *Stream // the Stream bridged to this one
	st       Stats   // counters; Stats() adds the derived fields
	tx       sendState
	rx       recvState
}

func newStream(e *Engine, port int, rtpConn, rtcpConn *net.UDPConn) *Stream {
	s := &Stream{
		e:        e,
		port:     port,
		log:      e.log.With("port", port),
		cname:    fmt.Sprintf("%016x@kordon", rand.Uint64()),
		done:     make(chan struct{}),
		digits:   make(chan byte, digitBuffer),
		txPlain:  make([]byte, 0, rtpHeaderLen+codec.FrameSamples),
		txOut:    make([]byte, 0, rtpHeaderLen+codec.FrameSamples+64),
		rtpConn:  rtpConn,
		rtcpConn: rtcpConn,
	}
	s.in.audio = newPCMRing(bridgeFrames * codec.FrameSamples)
	s.tx.ssrc = rand.Uint32()
	s.tx.seq = uint16(rand.Uint32())
	s.tx.ts = rand.Uint32()
	s.rx.callerQ = newPCMRing(sinkFrames * codec.FrameSamples)
	s.rx.plain = make([]byte, 0, maxPacket)
	s.rx.pcm = make([]int16, 0, maxPacket)
	return s
}

// LocalPort returns the Stream's RTP port, for the SDP m= line; RTCP is on
// the next port unless it is multiplexed.
func (s *Stream) LocalPort() int { return s.port }

// Start begins sending and receiving with the negotiated parameters: it
// starts the receive goroutine(s) and hands the Stream to a pacer, which
// sends once Engine.Run runs.
func (s *Stream) Start(p Params) error {
	const op = "stream.Start"
	p, err := s.check(p)
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	var tx, rx *srtp.Context
	if p.SRTP != nil {
		if tx, err = p.SRTP.sendContext(); err == nil {
			rx, err = p.SRTP.receiveContext()
		}
		if err != nil {
			return fault.E(op, fault.Invalid, fmt.Errorf("create SRTP contexts: %w", err))
		}
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return fault.E(op, fault.Invalid, ErrClosed)
	case s.started:
		s.mu.Unlock()
		return fault.E(op, fault.Conflict, errors.New("stream already started"))
	}
	pc, err := s.e.assign(s)
	if err != nil {
		s.mu.Unlock()
		return fault.E(op, fault.Unavailable, err)
	}
	now := time.Now()
	s.started, s.pacer, s.p = true, pc, p
	s.tx.ctx, s.rx.ctx = tx, rx
	s.tx.remote, s.tx.remoteRTCP = p.Remote, p.rtcpAddr()
	s.tx.gap = true
	s.tx.nextRTCP = now.Add(s.e.cfg.RTCPInterval / 2)
	s.rx.last = now
	if p.RTCPMux {
		s.rtcpConn.Close()
		s.rtcpConn = nil
	}
	conns := []*net.UDPConn{s.rtpConn, s.rtcpConn}
	s.mu.Unlock()

	for i, c := range conns {
		if c != nil {
			s.wg.Go(func() { s.readLoop(c, i == 1) })
		}
	}
	s.log.Debug("stream started", "codec", p.Codec, "srtp", p.SRTP != nil, "direction", p.Direction, "rtcp_mux", p.RTCPMux)
	return nil
}

// check normalizes p and checks that its addresses are of the family the
// Stream's sockets are bound to.
func (s *Stream) check(p Params) (Params, error) {
	p, err := p.normalize()
	if err != nil {
		return p, err
	}
	v6 := s.e.cfg.Bind.Unmap().Is6()
	for _, a := range []netip.AddrPort{p.Remote, p.RemoteRTCP} {
		if a.IsValid() && a.Addr().Is6() != v6 {
			return p, fmt.Errorf("remote address family differs from the bind address %v", s.e.cfg.Bind)
		}
	}
	return p, nil
}

// rekeyGrace is how long packets under the far end's previous SRTP key are
// still accepted after a re-key: those in flight when both sides switched.
const rekeyGrace = 2 * time.Second

// Update applies a re-INVITE's parameters to a started Stream: a new
// remote address (latching starts over), hold and resume, another codec or
// payload type, new SRTP keys (fresh contexts and rollover counters; the
// far end's new SSRC is accepted). Keys that did not change keep their
// contexts, so replay protection carries on. RTCPMux cannot be turned off.
func (s *Stream) Update(p Params) error {
	const op = "stream.Update"
	p, err := s.check(p)
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fault.E(op, fault.Invalid, ErrClosed)
	case !s.started:
		return fault.E(op, fault.Invalid, errors.New("stream not started"))
	case s.err != nil:
		return fault.E(op, fault.Invalid, s.err)
	case s.p.RTCPMux && !p.RTCPMux:
		return fault.E(op, fault.Invalid, errors.New("rtcp-mux cannot be turned off"))
	}
	old := s.p
	now := time.Now()
	tx, rx := s.tx.ctx, s.rx.ctx
	if p.SRTP == nil {
		tx, rx = nil, nil
	} else {
		if !sameLocal(old.SRTP, p.SRTP) {
			if tx, err = p.SRTP.sendContext(); err != nil {
				return fault.E(op, fault.Invalid, fmt.Errorf("create SRTP context: %w", err))
			}
		}
		if !sameRemote(old.SRTP, p.SRTP) {
			if rx, err = p.SRTP.receiveContext(); err != nil {
				return fault.E(op, fault.Invalid, fmt.Errorf("create SRTP context: %w", err))
			}
		}
	}
	if rx != s.rx.ctx {
		s.rx.prev, s.rx.prevUntil = s.rx.ctx, now.Add(rekeyGrace)
		s.log.Debug("stream re-keyed", "srtp", p.SRTP != nil)
	}
	s.tx.ctx, s.rx.ctx = tx, rx
	if p.Remote != old.Remote {
		s.tx.remote = p.Remote
		s.rx.last = now
	}
	if p.Remote != old.Remote || p.RemoteRTCP != old.RemoteRTCP || p.RTCPMux != old.RTCPMux {
		s.tx.remoteRTCP = p.rtcpAddr()
	}
	if p.Direction.sends() && !old.Direction.sends() {
		s.tx.gap = true
	}
	if p.Direction == SendRecv && old.Direction != SendRecv {
		s.rx.last = now
	}
	if p.RTCPMux && s.rtcpConn != nil {
		s.rtcpConn.Close() // its receive goroutine exits; Close waits for it
		s.rtcpConn = nil
	}
	if p.DTMFPayloadType == 0 {
		s.tx.tone = nil // its remaining packets must not go out as audio
		if s.tx.job != nil {
			s.tx.job.finish(fault.E("stream.SendDTMF", fault.Invalid, errors.New("far end no longer takes telephone-event")))
			s.tx.job = nil
		}
	}
	s.p = p
	return nil
}

// Done is closed when the Stream ends: Close, inactivity, or the Engine
// stopping. Err says why.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Err returns why the Stream ended (ErrInactive, ErrClosed), or nil while
// it runs.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// end ends the Stream with err unless it has ended already.
func (s *Stream) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(err)
}

func (s *Stream) endLocked(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	close(s.done)
	if s.tx.play != nil {
		s.tx.play.finish(err)
		s.tx.play = nil
	}
	if s.tx.job != nil {
		s.tx.job.finish(err)
		s.tx.job = nil
	}
	if !errors.Is(err, ErrClosed) {
		s.log.Info("stream ended", "reason", err)
	}
}

// Close stops the Stream, waits for its receive goroutines and any pacer
// tick in progress, closes the DTMF channel and frees the ports. It is
// idempotent. A Sink must not call it.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.endLocked(ErrClosed)
	pc, peer := s.pacer, s.peer
	s.peer = nil
	s.rtpConn.Close()
	if s.rtcpConn != nil {
		s.rtcpConn.Close()
	}
	s.mu.Unlock()

	if pc != nil {
		pc.remove(s)
	}
	if peer != nil {
		peer.unbridge(s)
	}
	s.wg.Wait()
	s.tickMu.Lock() // a tick that started before pc.remove has finished
	s.tickMu.Unlock()
	s.mu.Lock()
	if d, ok := s.rx.dtmf.Flush(); ok {
		s.deliverDigit(d)
	}
	s.mu.Unlock()
	close(s.digits)
	s.e.ports.release(s.port)
	return nil
}

// DTMF returns the digits received (RFC 4733), each once. The channel
// holds the latest 32; a reader that falls behind loses the oldest, never
// stalls the receiver. It is closed by Close.
func (s *Stream) DTMF() <-chan byte { return s.digits }

// deliverDigit queues d for DTMF(), dropping the oldest digit if the
// channel is full. The caller holds s.mu, so receivers do not race here.
func (s *Stream) deliverDigit(d byte) {
	s.st.DTMFReceived++
	select {
	case s.digits <- d:
		return
	default:
	}
	select {
	case <-s.digits:
	default:
	}
	select {
	case s.digits <- d:
	default:
	}
}

// sendState is what the pacer needs to send. Guarded by Stream.mu.
type sendState struct {
	ctx        *srtp.Context // nil for plain RTP
	ssrc       uint32
	seq        uint16
	ts         uint32 // RTP timestamp of the current tick
	lastTick   uint64 // pacer tick that last advanced ts
	ticked     bool
	gap        bool           // set the marker on the next audio packet
	remote     netip.AddrPort // where RTP goes: Params.Remote, then latched
	remoteRTCP netip.AddrPort
	nextRTCP   time.Time
	play       *playback
	job        *dtmfJob
	tone       *dtmf.Sender // the digit being sent, if any
	toneTS     uint32       // its RTP timestamp
	toneOfJob  bool         // it belongs to job (not forwarded from a bridge)
	pause      int          // ticks of audio before the next digit may start
}

// recvState is what the receive goroutines need. Guarded by Stream.mu.
type recvState struct {
	ctx       *srtp.Context // nil for plain RTP
	prev      *srtp.Context // the far end's previous key, during rekeyGrace
	prevUntil time.Time
	last      time.Time // last authentic RTP, for inactivity
	src       source
	lostPrior uint64    // packets lost from earlier sources
	lastSR    uint32    // middle 32 bits of the far end's last SR timestamp
	lastSRAt  time.Time // when it arrived
	dtmf      dtmf.Receiver
	callerQ   pcmRing // decoded caller audio waiting for the Sink
	plain     []byte  // decrypted packet
	pcm       []int16 // decoded payload
	hdr       rtp.Header
	rtcpHdr   rtcp.Header
	warned    bool // an authentication failure has been logged
}
