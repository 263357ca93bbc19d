package media

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"

	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/code"
	"kordon/types/fault"
	"kordon/types/pii"
)

// Trunks gives the edge the current trunk set. trunk.Repo implements it;
// the set is immutable, so a call keeps the trunk it started with even if
// an admin edits it meanwhile, and its trunks have their defaults applied
// (trunk.WithDefaults), which the edge relies on.
type Trunks interface {
	Current() *trunk.Set
}

// Tokenizer is the part of the tokenizer the edge uses: caller IDs are
// tokenized on arrival and callee codes resolved at dial time.
type Tokenizer interface {
	Tokenize(ctx context.Context, p tokenizer.Principal, kind code.Kind, values []pii.Value) ([]tokenizer.Outcome, error)
	Resolve(ctx context.Context, p tokenizer.Principal, purpose tokenizer.Purpose, reference string, codes []code.Code) ([]tokenizer.Resolved, error)
}

// Handler runs an answered call: the robot. HandleCall returns when the
// robot is done with the call; the edge then hangs up if the far end has
// not. c.Context() ends when the call does, for whatever reason.
type Handler interface {
	HandleCall(ctx context.Context, c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Call)

// HandleCall calls f.
func (f HandlerFunc) HandleCall(ctx context.Context, c *Call) { f(ctx, c) }

// Config configures an Edge.
type Config struct {
	// Listen is the host:port of the SIP-over-TLS listener. Default
	// "0.0.0.0:5061". Port 0 picks a free port (tests; see Edge.Addr).
	Listen string
	// Certificate is the edge's TLS certificate, presented to PBXs as a
	// server and, for mutual TLS, as a client. Required.
	Certificate tls.Certificate
	// InsecureListen, when set, is the host:port of plain TCP and UDP
	// listeners, which serve only trunks explicitly marked insecure.
	// Default "" (no plain listener).
	InsecureListen string
	// Advertise is the address written into Contact headers and SDP.
	// Default: the Listen host when it is a specific address, else the
	// address of the interface that routes to the outside.
	Advertise netip.Addr
	// Media configures the RTP engine (port range, inactivity timeout).
	Media stream.Config
	// Trunks provides the trunk set. Required.
	Trunks Trunks
	// Tokenizer turns caller IDs into codes and codes into numbers to
	// dial. Required.
	Tokenizer Tokenizer
	// DB receives the call table (CDR). Required.
	DB *store.DB
	// Handler runs answered inbound calls. Required.
	Handler Handler
	// Events, when set, receives every call event. It must not block.
	Events func(Event)
	// MaxCalls bounds the calls in progress over all trunks; further
	// inbound calls get 503. Default 2000.
	MaxCalls int
	// SessionExpires is the session interval (RFC 4028) the edge asks for
	// when the PBX supports session timers. Default 30m.
	SessionExpires time.Duration
	// UserAgent is the User-Agent and Server header. Default "Kordon".
	UserAgent string
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

const (
	defaultListen         = "0.0.0.0:5061"
	defaultMaxCalls       = 2000
	defaultSessionExpires = 30 * time.Minute
	minSessionExpires     = 90 * time.Second // RFC 4028 Min-SE floor
)

// edgePrincipal is who the edge is in the audit log when it tokenizes a
// caller ID or resolves a number to dial.
var edgePrincipal = tokenizer.Principal{
	Actor:  auditActor,
	Scopes: []tokenizer.Scope{tokenizer.ScopeTokenize, tokenizer.ScopeResolve},
}

// Edge is the SIP edge. Create it with New and start it with Run.
type Edge struct {
	cfg    Config
	log    *slog.Logger
	engine *stream.Engine
	nonces *nonces
	conns  *tlsConns

	ready    chan struct{}
	addr     net.Addr // TLS listener, set before ready closes
	insecure net.Addr // plain listener, or nil

	ua      *sipgo.UserAgent
	client  *sipgo.Client
	contact sip.ContactHeader

	mu      sync.Mutex
	closing bool
	calls   map[string]*Call // by dialog key
	byTrunk map[string]int   // calls in progress per trunk
	handler sync.WaitGroup   // outbound calls and handler goroutines

	limiters sync.Map // trunk ID and rate -> *rate.Limiter pacing outbound calls
	pools    sync.Map // trunk CA PEM -> *x509.CertPool
}

// New checks cfg and returns an Edge that has not started.
func New(cfg Config) (*Edge, error) {
	const op = "media.New"
	if cfg.Trunks == nil || cfg.Tokenizer == nil || cfg.DB == nil || cfg.Handler == nil {
		return nil, fault.E(op, fault.Invalid, errors.New("Trunks, Tokenizer, DB and Handler are required"))
	}
	if len(cfg.Certificate.Certificate) == 0 {
		return nil, fault.E(op, fault.Invalid, errors.New("a TLS certificate is required"))
	}
	if cfg.Listen == "" {
		cfg.Listen = defaultListen
	}
	if cfg.MaxCalls == 0 {
		cfg.MaxCalls = defaultMaxCalls
	}
	if cfg.SessionExpires == 0 {
		cfg.SessionExpires = defaultSessionExpires
	}
	if cfg.SessionExpires < minSessionExpires {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("SessionExpires %v is below the RFC 4028 minimum of %v", cfg.SessionExpires, minSessionExpires))
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Kordon"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	if !cfg.Advertise.IsValid() {
		a, err := advertised(cfg.Listen)
		if err != nil {
			return nil, fault.E(op, fault.Invalid, err)
		}
		cfg.Advertise = a
	}
	mc := cfg.Media
	if mc.Logger == nil {
		mc.Logger = cfg.Logger
	}
	engine, err := stream.New(mc)
	if err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	return &Edge{
		cfg:     cfg,
		log:     cfg.Logger.With("subsystem", "media"),
		engine:  engine,
		nonces:  newNonces(cfg.Now),
		conns:   newTLSConns(),
		ready:   make(chan struct{}),
		calls:   make(map[string]*Call),
		byTrunk: make(map[string]int),
	}, nil
}

// advertised picks the address for Contact and SDP when none is
// configured.
func advertised(listen string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("listen address %q: %w", listen, err)
	}
	if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
		return a, nil
	}
	// The first global unicast address of an interface that is up.
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && p.Addr().IsGlobalUnicast() {
				return p.Addr(), nil
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1"), nil
}

// Run listens and serves until ctx ends, then hangs up every call and
// returns once everything it started has stopped.
func (e *Edge) Run(ctx context.Context) error {
	const op = "media.Run"
	serverTLS := &tls.Config{
		Certificates: []tls.Certificate{e.cfg.Certificate},
		MinVersion:   tls.VersionTLS12,
		// Each trunk verifies the PBX's client certificate against its own
		// CA once the request has named the trunk (auth.go); the handshake
		// only asks for it.
		ClientAuth: tls.RequestClientCert,
	}
	ln, err := tls.Listen("tcp", e.cfg.Listen, serverTLS)
	if err != nil {
		return fault.E(op, fault.Unavailable, err)
	}
	tracked := e.conns.listener(ln)

	var udp net.PacketConn
	var tcp net.Listener
	if e.cfg.InsecureListen != "" {
		if tcp, err = net.Listen("tcp", e.cfg.InsecureListen); err != nil {
			ln.Close()
			return fault.E(op, fault.Unavailable, err)
		}
		if udp, err = net.ListenPacket("udp", tcp.Addr().String()); err != nil {
			ln.Close()
			tcp.Close()
			return fault.E(op, fault.Unavailable, err)
		}
	}

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(e.cfg.UserAgent),
		sipgo.WithUserAgentHostname(e.cfg.Advertise.String()),
		sipgo.WithUserAgenTLSConfig(e.clientTLS()),
	)
	if err != nil {
		ln.Close()
		return fault.E(op, fault.Internal, err)
	}
	sipLog := newMaskedLogger(e.log.With("component", "sipgo"))
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		ln.Close()
		ua.Close()
		return fault.E(op, fault.Internal, err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog))
	if err != nil {
		ln.Close()
		ua.Close()
		return fault.E(op, fault.Internal, err)
	}
	e.ua, e.client = ua, cli
	port := ln.Addr().(*net.TCPAddr).Port
	e.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "kordon", Host: e.cfg.Advertise.String(), Port: port, UriParams: sip.NewParams()}}
	e.contact.Address.UriParams.Add("transport", "tls")
	e.routes(srv)
	e.addr = ln.Addr()
	if tcp != nil {
		e.insecure = tcp.Addr()
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return e.engine.Run(gctx) })
	serve := func(name string, f func() error, c interface{ Close() error }) {
		g.Go(func() error {
			err := f()
			if gctx.Err() != nil {
				return nil // closed on shutdown
			}
			return fault.E(op, fault.Unavailable, fmt.Errorf("%s listener: %w", name, err))
		})
		g.Go(func() error { <-gctx.Done(); return c.Close() })
	}
	serve("tls", func() error { return srv.ServeTLS(tracked) }, tracked)
	if tcp != nil {
		serve("tcp", func() error { return srv.ServeTCP(tcp) }, tcp)
		serve("udp", func() error { return srv.ServeUDP(udp) }, udp)
	}
	close(e.ready)
	e.log.Info("SIP edge listening", "tls", e.addr.String(), "insecure", e.cfg.InsecureListen != "", "advertise", e.cfg.Advertise.String())

	<-gctx.Done()
	e.shutdown()
	err = g.Wait()
	ua.Close()
	return err
}

// Ready is closed once the listeners are bound.
func (e *Edge) Ready() <-chan struct{} { return e.ready }

// Addr is the TLS listener's address; valid after Ready.
func (e *Edge) Addr() net.Addr { return e.addr }

// InsecureAddr is the plain listener's address, nil when there is none.
func (e *Edge) InsecureAddr() net.Addr { return e.insecure }

// Engine is the media engine, for tests and the load generator.
func (e *Edge) Engine() *stream.Engine { return e.engine }

// shutdown refuses new calls, ends every call in progress with a BYE and
// waits for their goroutines.
func (e *Edge) shutdown() {
	e.mu.Lock()
	e.closing = true
	calls := make([]*Call, 0, len(e.calls))
	for _, c := range e.calls {
		calls = append(calls, c)
	}
	e.mu.Unlock()
	for _, c := range calls {
		c.end(EndShutdown)
	}
	e.handler.Wait()
}

// Active is the number of calls in progress.
func (e *Edge) Active() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}
