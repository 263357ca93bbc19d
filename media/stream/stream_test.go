package stream

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pion/srtp/v3"

	"kordon/media/codec"
	"kordon/types/fault"
)

var profileTests = []struct {
	name    string
	profile srtp.ProtectionProfile // 0: plain RTP
}{
	{"plain RTP", 0},
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32},
	{"AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm},
	{"AEAD_AES_256_GCM", srtp.ProtectionProfileAeadAes256Gcm},
}

// TestAudioAndDTMF runs two Streams against each other for each SRTP
// profile and plain RTP: a prompt arrives sample for sample, each digit of
// "123#*" arrives exactly once, and audio flows the other way too.
func TestAudioAndDTMF(t *testing.T) {
	for _, tc := range profileTests {
		for _, c := range []codec.Codec{codec.PCMU, codec.PCMA} {
			if c == codec.PCMA && tc.profile != srtp.ProtectionProfileAeadAes128Gcm {
				continue // one profile is enough for the second codec
			}
			t.Run(tc.name+"/"+c.Name(), func(t *testing.T) {
				e := runEngine(t, Config{})
				ka, kb := keyPair(t, tc.profile)
				a, b := pair(t, e,
					Params{Codec: c, DTMFPayloadType: 101, SRTP: ka},
					Params{Codec: c, DTMFPayloadType: 101, SRTP: kb})
				atB, atA := &recorder{}, &recorder{}
				b.SetSink(atB)
				a.SetSink(atA)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()

				toB, toA := prompt(c, 25), prompt(c, 10)[:7*codec.FrameSamples]
				errB := make(chan error, 1)
				go func() { errB <- b.Play(ctx, toA) }()
				if err := a.Play(ctx, toB); err != nil {
					t.Fatalf("Play: %v", err)
				}
				if err := <-errB; err != nil {
					t.Fatalf("Play: %v", err)
				}
				expectHeard(t, "A's prompt at B", atB, 0, toB, b)
				expectHeard(t, "B's prompt at A", atA, 0, toA, a)
				if diff := cmp.Diff(toB, atA.said()); diff != "" {
					t.Errorf("A's sink saw it send (-played +robot):\n%s", diff)
				}

				if err := a.SendDTMF(ctx, "123#*", 60*time.Millisecond); err != nil {
					t.Fatalf("SendDTMF: %v", err)
				}
				if got := digits(t, b.DTMF(), 5); got != "123#*" {
					t.Errorf("B received digits %q, want %q", got, "123#*")
				}

				sa, sb := a.Stats(), b.Stats()
				if sb.AuthFailures != 0 || sb.Malformed != 0 || sb.Duplicates != 0 {
					t.Errorf("B stats: %+v", sb)
				}
				if sb.DTMFReceived != 5 || sb.Received == 0 || sa.Sent == 0 || sb.ReceivedBytes == 0 {
					t.Errorf("counters: A %+v, B %+v", sa, sb)
				}
				if sb.Remote != here(a) {
					t.Errorf("B sends to %v, want %v", sb.Remote, here(a))
				}
			})
		}
	}
}

// TestRekey changes both sides' keys mid-call (and the profile) and checks
// audio keeps flowing both ways.
func TestRekey(t *testing.T) {
	e := runEngine(t, Config{})
	ka, kb := keyPair(t, srtp.ProtectionProfileAes128CmHmacSha1_80)
	pa := Params{Codec: codec.PCMU, SRTP: ka}
	pb := Params{Codec: codec.PCMU, SRTP: kb}
	a, b := pair(t, e, pa, pb)
	atB, atA := &recorder{}, &recorder{}
	b.SetSink(atB)
	a.SetSink(atA)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := prompt(codec.PCMU, 5)
	if err := a.Play(ctx, before); err != nil {
		t.Fatal(err)
	}
	expectHeard(t, "audio before the re-key", atB, 0, before, b)

	ka2, kb2 := keyPair(t, srtp.ProtectionProfileAeadAes256Gcm)
	pa.SRTP, pb.SRTP = ka2, kb2
	pa.Remote, pb.Remote = here(b), here(a)
	if err := a.Update(pa); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the far end's answer takes a moment
	if err := b.Update(pb); err != nil {
		t.Fatal(err)
	}
	after := prompt(codec.PCMU, 8)[3*codec.FrameSamples:]
	if err := a.Play(ctx, after); err != nil {
		t.Fatal(err)
	}
	if err := b.Play(ctx, before); err != nil {
		t.Fatal(err)
	}
	expectHeard(t, "audio after the re-key", atB, len(before), after, b)
	expectHeard(t, "audio the other way after the re-key", atA, 0, before, a)
}

// TestRekeyNewSSRC re-keys against a far end that also changes its SSRC
// and sequence numbers, as a PBX does after a transfer.
func TestRekeyNewSSRC(t *testing.T) {
	e := runEngine(t, Config{})
	s := open(t, e)
	k, _ := keyPair(t, srtp.ProtectionProfileAes128CmHmacSha1_80)
	p := newPeer(t, k)
	params := Params{Codec: codec.PCMU, DTMFPayloadType: 101, SRTP: k, Remote: p.addr()}
	if err := s.Start(params); err != nil {
		t.Fatal(err)
	}
	payload := codec.PCMU.Encode(nil, prompt(codec.PCMU, 1))
	for range 5 {
		p.send(here(s), p.packet(0, payload))
	}
	eventually(t, "packets from the first SSRC", func() bool { return s.Stats().Received == 5 })

	k2, _ := keyPair(t, srtp.ProtectionProfileAeadAes128Gcm)
	params.SRTP = k2
	if err := s.Update(params); err != nil {
		t.Fatal(err)
	}
	p2 := newPeer(t, k2)
	p2.ssrc, p2.seq, p2.ts = 0xABCDEF, 60000, 4_000_000_000
	for range 10 {
		p2.send(here(s), p2.packet(0, payload))
	}
	eventually(t, "packets from the new SSRC", func() bool { return s.Stats().Received == 15 })
	if st := s.Stats(); st.AuthFailures != 0 || st.Lost != 0 {
		t.Errorf("stats after the new SSRC: %+v", st)
	}
	if pkt := p2.receive(time.Second); pkt == nil {
		t.Error("the far end cannot decrypt what the Stream sends under its new key")
	}
}

// TestHold puts one side on hold: it stops sending (its prompt waits), is
// not ended for inactivity, and resumes with a marker bit.
func TestHold(t *testing.T) {
	e := runEngine(t, Config{Inactivity: 500 * time.Millisecond})
	s := open(t, e)
	p := newPeer(t, nil)
	params := Params{Codec: codec.PCMU, Remote: p.addr()}
	if err := s.Start(params); err != nil {
		t.Fatal(err)
	}
	if p.receive(time.Second) == nil {
		t.Fatal("nothing sent before hold")
	}
	params.Direction = RecvOnly
	if err := s.Update(params); err != nil {
		t.Fatal(err)
	}
	p.drain()
	sent := s.Stats().Sent
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond) // longer than Inactivity
	defer cancel()
	if err := s.Play(ctx, prompt(codec.PCMU, 5)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Play on hold = %v, want the context's deadline", err)
	}
	if pkt := p.receive(100 * time.Millisecond); pkt != nil {
		t.Errorf("a packet was sent on hold")
	}
	if got := s.Stats().Sent; got != sent {
		t.Errorf("sent %d packets on hold", got-sent)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream ended on hold: %v", err)
	}

	params.Direction = SendRecv
	if err := s.Update(params); err != nil {
		t.Fatal(err)
	}
	pkt := p.receive(time.Second)
	if pkt == nil {
		t.Fatal("nothing sent after resume")
	}
	if pkt[1]&0x80 == 0 {
		t.Error("first packet after resume has no marker bit")
	}
	if next := p.receive(time.Second); next == nil || next[1]&0x80 != 0 {
		t.Error("second packet after resume missing or marked")
	}
}

func TestInactivity(t *testing.T) {
	e := runEngine(t, Config{Inactivity: 200 * time.Millisecond})
	t.Run("silent far end", func(t *testing.T) {
		s := open(t, e)
		p := newPeer(t, nil)
		if err := s.Start(Params{Codec: codec.PCMU, Remote: p.addr()}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Play(ctx, prompt(codec.PCMU, 500)); !errors.Is(err, ErrInactive) {
			t.Errorf("Play = %v, want ErrInactive", err)
		}
		<-s.Done()
		if !errors.Is(s.Err(), ErrInactive) {
			t.Errorf("Err = %v, want ErrInactive", s.Err())
		}
	})
	t.Run("media keeps it alive", func(t *testing.T) {
		s := open(t, e)
		p := newPeer(t, nil)
		if err := s.Start(Params{Codec: codec.PCMU, Remote: p.addr()}); err != nil {
			t.Fatal(err)
		}
		payload := codec.PCMU.Encode(nil, make([]int16, codec.FrameSamples))
		for end := time.Now().Add(time.Second); time.Now().Before(end); { // five times the limit
			p.send(here(s), p.packet(0, payload))
			time.Sleep(10 * time.Millisecond)
		}
		if err := s.Err(); err != nil {
			t.Errorf("stream with media ended: %v", err)
		}
	})
	t.Run("inactive direction", func(t *testing.T) {
		s := open(t, e)
		if err := s.Start(Params{Codec: codec.PCMU, Direction: Inactive}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Done():
			t.Errorf("inactive stream ended: %v", s.Err())
		case <-time.After(600 * time.Millisecond):
		}
	})
}

func TestPlayback(t *testing.T) {
	e := runEngine(t, Config{})
	a, _ := pair(t, e, Params{Codec: codec.PCMA, DTMFPayloadType: 101}, Params{Codec: codec.PCMA, DTMFPayloadType: 101})
	long := prompt(codec.PCMA, 250)
	bg := context.Background()

	t.Run("StopPlayback", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() { errc <- a.Play(bg, long) }()
		eventually(t, "playback to start", func() bool { return a.Stats().Sent > 0 })
		time.Sleep(60 * time.Millisecond)
		a.StopPlayback()
		if err := <-errc; !errors.Is(err, ErrStopped) {
			t.Errorf("Play = %v, want ErrStopped", err)
		}
	})
	t.Run("newer Play", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() { errc <- a.Play(bg, long) }()
		time.Sleep(60 * time.Millisecond)
		if err := a.Play(bg, prompt(codec.PCMA, 2)); err != nil {
			t.Errorf("second Play = %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrStopped) {
			t.Errorf("first Play = %v, want ErrStopped", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		if err := a.Play(ctx, long); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Play = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if err := a.Play(bg, nil); err != nil {
			t.Errorf("Play(nil) = %v", err)
		}
	})
	t.Run("DTMF while playing", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() { errc <- a.Play(bg, prompt(codec.PCMA, 20)) }()
		if err := a.SendDTMF(bg, "9", 0); err != nil {
			t.Errorf("SendDTMF = %v", err)
		}
		if err := <-errc; err != nil {
			t.Errorf("Play = %v; the prompt should wait for the digit", err)
		}
	})
}

func TestSendDTMFRejects(t *testing.T) {
	e := runEngine(t, Config{})
	withDTMF, _ := pair(t, e, Params{Codec: codec.PCMU, DTMFPayloadType: 101}, Params{Codec: codec.PCMU, DTMFPayloadType: 101})
	without, _ := pair(t, e, Params{Codec: codec.PCMU}, Params{Codec: codec.PCMU})
	bg := context.Background()
	tests := []struct {
		name   string
		s      *Stream
		digits string
		each   time.Duration
		kind   fault.Kind
	}{
		{"no telephone-event", without, "1", 0, fault.Invalid},
		{"empty", withDTMF, "", 0, fault.Invalid},
		{"not a key", withDTMF, "12x", 0, fault.Invalid},
		{"too many", withDTMF, string(make([]byte, 65)), 0, fault.Invalid},
		{"negative length", withDTMF, "1", -time.Second, fault.Invalid},
		{"too long", withDTMF, "1", time.Minute, fault.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.SendDTMF(bg, tc.digits, tc.each); !fault.Is(err, tc.kind) {
				t.Errorf("SendDTMF = %v, want kind %v", err, tc.kind)
			}
		})
	}
	t.Run("telephone-event dropped by a re-INVITE", func(t *testing.T) {
		s := open(t, e)
		p := newPeer(t, nil)
		params := Params{Codec: codec.PCMU, DTMFPayloadType: 101, Remote: p.addr()}
		if err := s.Start(params); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- s.SendDTMF(bg, "12", time.Second) }()
		eventually(t, "the tone to start", func() bool {
			pkt := p.receive(100 * time.Millisecond)
			return pkt != nil && pkt[1]&0x7F == 101
		})
		params.DTMFPayloadType = 0
		if err := s.Update(params); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; !fault.Is(err, fault.Invalid) {
			t.Errorf("SendDTMF = %v, want Invalid", err)
		}
		p.drain()
		for range 5 {
			if pkt := p.receive(time.Second); pkt == nil || pkt[1]&0x7F != 0 || len(pkt) != rtpHeaderLen+codec.FrameSamples {
				t.Fatalf("after the re-INVITE got packet %x, want audio", pkt)
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() { errc <- withDTMF.SendDTMF(bg, "0000", 200*time.Millisecond) }()
		eventually(t, "the first SendDTMF", func() bool {
			withDTMF.mu.Lock()
			defer withDTMF.mu.Unlock()
			return withDTMF.tx.job != nil
		})
		if err := withDTMF.SendDTMF(bg, "1", 0); !fault.Is(err, fault.Conflict) {
			t.Errorf("second SendDTMF = %v, want Conflict", err)
		}
		if err := <-errc; err != nil {
			t.Errorf("first SendDTMF = %v", err)
		}
	})
}

func TestParamsRejected(t *testing.T) {
	e := runEngine(t, Config{})
	good, _ := keyPair(t, srtp.ProtectionProfileAes128CmHmacSha1_80)
	short := *good
	short.LocalKey = short.LocalKey[:8]
	null := *good
	null.Profile = srtp.ProtectionProfileNullHmacSha1_80
	tests := []struct {
		name string
		p    Params
	}{
		{"no codec", Params{}},
		{"unknown codec", Params{Codec: 7}},
		{"payload type 128", Params{Codec: codec.PCMU, PayloadType: 128}},
		{"DTMF shares the audio type", Params{Codec: codec.PCMA, DTMFPayloadType: 8}},
		{"DTMF type 200", Params{Codec: codec.PCMA, DTMFPayloadType: 200}},
		{"unknown direction", Params{Codec: codec.PCMU, Direction: 9}},
		{"short key", Params{Codec: codec.PCMU, SRTP: &short}},
		{"NULL cipher", Params{Codec: codec.PCMU, SRTP: &null}},
		{"unknown profile", Params{Codec: codec.PCMU, SRTP: &Keys{Profile: 0x99}}},
		{"IPv6 remote on an IPv4 socket", Params{Codec: codec.PCMU, Remote: netip.MustParseAddrPort("[2001:db8::1]:4000")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, e)
			if err := s.Start(tc.p); !fault.Is(err, fault.Invalid) {
				t.Errorf("Start = %v, want Invalid", err)
			}
			if err := s.Start(Params{Codec: codec.PCMU}); err != nil {
				t.Errorf("Start with good params after a refusal = %v", err)
			}
			if err := s.Update(tc.p); !fault.Is(err, fault.Invalid) {
				t.Errorf("Update = %v, want Invalid", err)
			}
		})
	}
	t.Run("lifecycle", func(t *testing.T) {
		s := open(t, e)
		if err := s.Update(Params{Codec: codec.PCMU}); !fault.Is(err, fault.Invalid) {
			t.Errorf("Update before Start = %v", err)
		}
		if err := s.Play(context.Background(), prompt(codec.PCMU, 1)); !fault.Is(err, fault.Invalid) {
			t.Errorf("Play before Start = %v", err)
		}
		if err := s.Start(Params{Codec: codec.PCMU, RTCPMux: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(Params{Codec: codec.PCMU}); !fault.Is(err, fault.Conflict) {
			t.Errorf("second Start = %v, want Conflict", err)
		}
		if err := s.Update(Params{Codec: codec.PCMU}); !fault.Is(err, fault.Invalid) {
			t.Errorf("Update turning rtcp-mux off = %v, want Invalid", err)
		}
	})
}

func TestClose(t *testing.T) {
	e := runEngine(t, Config{})
	a, b := pair(t, e, Params{Codec: codec.PCMU}, Params{Codec: codec.PCMU})
	errc := make(chan error, 1)
	go func() { errc <- a.Play(context.Background(), prompt(codec.PCMU, 500)) }()
	eventually(t, "audio to flow", func() bool { return b.Stats().Received > 0 })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Play during Close = %v, want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	select {
	case <-a.Done():
	default:
		t.Error("Done not closed")
	}
	if _, ok := <-a.DTMF(); ok {
		t.Error("DTMF channel not closed")
	}
	if !errors.Is(a.Err(), ErrClosed) {
		t.Errorf("Err = %v", a.Err())
	}
	if err := a.Play(context.Background(), prompt(codec.PCMU, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Play after Close = %v", err)
	}
	if err := a.Update(Params{Codec: codec.PCMU}); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v", err)
	}
}

func TestEngineStop(t *testing.T) {
	e, err := New(Config{Bind: loopback, PortMin: 30000, PortMax: 39999})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	s := open(t, e)
	if err := s.Start(Params{Codec: codec.PCMU}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Play(context.Background(), prompt(codec.PCMU, 500)) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("Play when the engine stops = %v, want ErrClosed", err)
	}
	if err := e.Run(context.Background()); !fault.Is(err, fault.Conflict) {
		t.Errorf("second Run = %v, want Conflict", err)
	}
	if _, err := e.Open(); !fault.Is(err, fault.Unavailable) {
		t.Errorf("Open after stop = %v, want Unavailable", err)
	}
}

// TestGoroutinesFlat checks that a call costs a fixed number of goroutines
// (one receiver, two without rtcp-mux) however long it lasts and whatever
// it plays.
func TestGoroutinesFlat(t *testing.T) {
	e := runEngine(t, Config{})
	// Run starts the pacers asynchronously; count from when they run.
	eventually(t, "the pacers to start", func() bool { return goroutinesIn("(*pacer).run") == len(e.pacers) })
	a, _ := pair(t, e, Params{Codec: codec.PCMU, DTMFPayloadType: 101, RTCPMux: true}, Params{Codec: codec.PCMU, DTMFPayloadType: 101})
	eventually(t, "three receive goroutines (one muxed stream, one not)", func() bool { return goroutinesIn("(*Stream).readLoop") == 3 })
	start := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		<-start
		ctx := context.Background()
		for range 3 {
			if err := a.Play(ctx, prompt(codec.PCMU, 50)); err != nil {
				errc <- err
				return
			}
			if err := a.SendDTMF(ctx, "12", 40*time.Millisecond); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	steady := runtime.NumGoroutine()
	close(start)
	most := 0
	for {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
			if most > steady {
				t.Errorf("goroutines grew from %d to %d during the call", steady, most)
			}
			return
		case <-time.After(20 * time.Millisecond):
			most = max(most, runtime.NumGoroutine())
		}
	}
}

// goroutinesIn counts the goroutines whose stack holds fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"one pair", Config{PortMin: 40000, PortMax: 40001}, true},
		{"odd start rounds up", Config{PortMin: 40001, PortMax: 40003}, true},
		{"no pair", Config{PortMin: 40001, PortMax: 40002}, false},
		{"reversed", Config{PortMin: 40010, PortMax: 40000}, false},
		{"privileged", Config{PortMin: 80, PortMax: 100}, false},
		{"too high", Config{PortMin: 65000, PortMax: 70000}, false},
		{"negative inactivity", Config{Inactivity: -1}, false},
		{"negative pacers", Config{Pacers: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if tc.ok && err != nil {
				t.Errorf("New = %v", err)
			}
			if !tc.ok && !fault.Is(err, fault.Invalid) {
				t.Errorf("New = %v, want Invalid", err)
			}
		})
	}
}

func TestPortsReused(t *testing.T) {
	// Two pairs in a range no other test uses.
	e := runEngine(t, Config{PortMin: 47310, PortMax: 47313})
	a, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := e.Open(); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("third Open = %v, want Unavailable", err)
	}
	freed := a.LocalPort()
	a.Close()
	c, err := e.Open()
	if err != nil {
		t.Fatalf("Open after Close = %v", err)
	}
	defer c.Close()
	if c.LocalPort() != freed {
		t.Errorf("got port %d, want the freed %d", c.LocalPort(), freed)
	}
	if got := []int{b.LocalPort() % 2, c.LocalPort() % 2}; !cmp.Equal(got, []int{0, 0}) {
		t.Errorf("RTP ports %d, %d are not even", b.LocalPort(), c.LocalPort())
	}
}
