package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"

	"kordon/media/sdp"
	"kordon/media/stream"
)

// Config configures a Generator.
type Config struct {
	// Target is the host:port calls go to over TLS. Required.
	Target string
	// TLS is the client TLS configuration (RootCAs, and a client
	// certificate for mutual TLS). Required.
	TLS *tls.Config
	// Local is the address written into Contact and SDP. Default 127.0.0.1.
	Local netip.Addr
	// Media configures the generator's RTP engine.
	Media stream.Config
	// Policy is the SDP policy of the calls' offers. Default: SRTP
	// mandatory, PCMU and PCMA, every suite.
	Policy sdp.Policy
	// Username and Password answer digest challenges. Default: none.
	Username, Password string
	// Logger receives sipgo's logs. Default: discarded.
	Logger *slog.Logger
}

// Generator places calls. It is safe for concurrent use once Ready.
type Generator struct {
	cfg    Config
	engine *stream.Engine
	ready  chan struct{}
	client *sipgo.Client
	dua    sipgo.DialogUA

	mu    sync.Mutex
	calls map[string]*sipgo.DialogClientSession // established, by dialog ID
}

// New checks cfg.
func New(cfg Config) (*Generator, error) {
	if cfg.Target == "" || cfg.TLS == nil {
		return nil, errors.New("loadgen: Target and TLS are required")
	}
	if !cfg.Local.IsValid() {
		cfg.Local = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if !cfg.Media.Bind.IsValid() {
		cfg.Media.Bind = cfg.Local
	}
	eng, err := stream.New(cfg.Media)
	if err != nil {
		return nil, err
	}
	return &Generator{cfg: cfg, engine: eng, ready: make(chan struct{}), calls: make(map[string]*sipgo.DialogClientSession)}, nil
}

// Ready is closed when Call may be used.
func (g *Generator) Ready() <-chan struct{} { return g.ready }

// Run starts the user agent and the media engine and serves the far end's
// in-dialog requests (its BYE) until ctx ends.
func (g *Generator) Run(ctx context.Context) error {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("kordon-loadgen"), sipgo.WithUserAgentHostname(g.cfg.Local.String()), sipgo.WithUserAgenTLSConfig(g.cfg.TLS))
	if err != nil {
		return err
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(g.cfg.Logger))
	if err != nil {
		return err
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(g.cfg.Logger))
	if err != nil {
		return err
	}
	g.client = cli
	g.dua = sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "loadgen", Host: g.cfg.Local.String()}}}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		id, _ := sip.DialogIDFromRequestUAC(req)
		g.mu.Lock()
		d := g.calls[id]
		g.mu.Unlock()
		if d == nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		d.ReadBye(req, tx)
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		// re-INVITE from the far end (session refresh, hold): keep the
		// current session; the generator does not change media mid-call.
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	g2, gctx := errgroup.WithContext(ctx)
	g2.Go(func() error { return g.engine.Run(gctx) })
	close(g.ready)
	<-gctx.Done()
	return g2.Wait()
}

// Spec describes one call.
type Spec struct {
	// To is the user part of the request URI: the dialled number.
	To string
	// From is the user part of From: the caller ID the far end sees.
	From string
	// Audio is played from the answer (8 kHz mono); nil sends silence.
	Audio []int16
	// DTMF is sent DTMFAfter the answer, each digit 100 ms long.
	DTMF      string
	DTMFAfter time.Duration
	// Hold is how long the call stays up before the generator hangs up;
	// 0 waits for the far end's BYE (bounded by ctx).
	Hold time.Duration
	// Record keeps the audio received, in Result.Heard.
	Record bool
	// Headers are added to the INVITE.
	Headers []sip.Header
}

// Result is how one call went.
type Result struct {
	// Status is the final response to the INVITE (0 if none came).
	Status int
	// Setup is the time from sending the INVITE to the 200.
	Setup time.Duration
	// Suite is the negotiated SRTP suite, "" for plain RTP.
	Suite string
	// RemoteBye says the far end hung up.
	RemoteBye bool
	// Digits are the DTMF digits received.
	Digits string
	// Heard is the received audio when Spec.Record is set.
	Heard []int16
	// Stats are the stream's counters at the end of the call.
	Stats stream.Stats
	// Err is why the call failed, nil when it was answered and ended
	// normally.
	Err error
}

// Call places one call and returns when it is over.
func (g *Generator) Call(ctx context.Context, sp Spec) Result {
	var r Result
	select {
	case <-g.ready:
	case <-ctx.Done():
		r.Err = ctx.Err()
		return r
	}
	st, err := g.engine.Open()
	if err != nil {
		r.Err = err
		return r
	}
	defer st.Close()
	local := sdp.Local{Addr: g.cfg.Local, Port: st.LocalPort(), Username: "loadgen"}
	offer, offered, err := sdp.Offer(g.cfg.Policy, local, sdp.SendRecv)
	if err != nil {
		r.Err = err
		return r
	}
	host, port, _ := strings.Cut(g.cfg.Target, ":")
	to := sip.Uri{Scheme: "sip", User: sp.To, Host: host, UriParams: sip.NewParams()}
	fmt.Sscanf(port, "%d", &to.Port)
	to.UriParams.Add("transport", "tls")
	req := sip.NewRequest(sip.INVITE, to)
	req.SetTransport("TLS")
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: sp.From, Host: g.cfg.Local.String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: to})
	for _, h := range sp.Headers {
		req.AppendHeader(h)
	}
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	start := time.Now()
	dlg, err := g.dua.WriteInvite(ctx, req)
	if err != nil {
		r.Err = err
		return r
	}
	defer dlg.Close()
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: g.cfg.Username, Password: g.cfg.Password})
	if err != nil {
		var dr *sipgo.ErrDialogResponse
		if errors.As(err, &dr) {
			r.Status = dr.Res.StatusCode
		}
		r.Err = err
		return r
	}
	r.Status, r.Setup = 200, time.Since(start)
	if err := dlg.Ack(ctx); err != nil {
		r.Err = err
		return r
	}
	g.mu.Lock()
	g.calls[dlg.ID] = dlg
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.calls, dlg.ID)
		g.mu.Unlock()
	}()
	m, err := offered.Accept(dlg.InviteResponse.Body())
	if err != nil {
		r.Err = err
		dlg.Bye(context.Background())
		return r
	}
	if m.SRTP != nil {
		r.Suite = m.SRTP.Suite.String()
	}
	var heard *recorder
	if sp.Record {
		heard = &recorder{}
		st.SetSink(heard)
	}
	if err := st.Start(stream.ParamsFor(m)); err != nil {
		r.Err = err
		dlg.Bye(context.Background())
		return r
	}
	r.Err = g.converse(ctx, dlg, st, sp, &r)
	r.Stats = st.Stats()
	if heard != nil {
		r.Heard = heard.samples()
	}
	return r
}

// converse plays, sends DTMF, collects digits and ends the call.
func (g *Generator) converse(ctx context.Context, dlg *sipgo.DialogClientSession, st *stream.Stream, sp Spec, r *Result) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if sp.Audio != nil {
		wg.Add(1)
		go func() { defer wg.Done(); st.Play(cctx, sp.Audio) }()
	}
	if sp.DTMF != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(sp.DTMFAfter):
				st.SendDTMF(cctx, sp.DTMF, 100*time.Millisecond)
			case <-cctx.Done():
			}
		}()
	}
	var hold <-chan time.Time
	if sp.Hold > 0 {
		t := time.NewTimer(sp.Hold)
		defer t.Stop()
		hold = t.C
	}
	var digits strings.Builder
	defer func() { cancel(); wg.Wait(); r.Digits = digits.String() }()
	for {
		select {
		case d := <-st.DTMF():
			digits.WriteByte(d)
		case <-dlg.Context().Done():
			r.RemoteBye = true
			for {
				select {
				case d := <-st.DTMF():
					digits.WriteByte(d)
				default:
					return nil
				}
			}
		case <-hold:
			bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer bcancel()
			return dlg.Bye(bctx)
		case <-ctx.Done():
			bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer bcancel()
			dlg.Bye(bctx)
			return ctx.Err()
		}
	}
}

// recorder keeps the caller-side audio a stream delivers.
type recorder struct {
	mu  sync.Mutex
	pcm []int16
}

func (r *recorder) Frame(caller, _ []int16) {
	r.mu.Lock()
	r.pcm = append(r.pcm, caller...)
	r.mu.Unlock()
}

func (r *recorder) samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pcm
}
