package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"kordon/types/fault"
)

// Server is the admin listener. Build it with New, serve it with Run, or
// mount Handler in a test.
type Server struct {
	cfg      Config
	log      *slog.Logger
	echo     *echo.Echo
	metrics  *metrics
	limits   *limiter
	patterns map[string]bool // registered route patterns
	quiet    map[string]bool // routes polled by machines, access-logged at debug level

	inflight  sync.WaitGroup // requests being served
	running   atomic.Bool
	listening chan struct{}            // closed once Run has bound Listen
	addr      atomic.Pointer[net.Addr] // the bound address
}

// Timeouts of the HTTP server. They bound what a slow or stalled client
// can hold: a connection that has not sent its headers after
// readHeaderTimeout, or its body after readTimeout, is closed.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	readyTimeout      = 5 * time.Second
)

// New checks cfg, registers the metrics in cfg.Registry and builds the
// routes. It opens no file or socket and starts no goroutine.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fault.E("admin.New", fault.Invalid, err)
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger.With("subsystem", "admin"),
		metrics:   m,
		limits:    newLimiter(cfg.ResolveRate, cfg.ResolveBurst),
		patterns:  map[string]bool{},
		quiet:     map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true},
		listening: make(chan struct{}),
	}
	s.echo = s.routes()
	return s, nil
}

// Handler returns the listener's HTTP handler, for tests and for mounting
// behind another server. Requests must come over TLS in production: Run
// provides it.
func (s *Server) Handler() http.Handler { return s.echo }

// Listening returns a channel closed once Run has bound its address. If
// Run fails before binding (a bad certificate, an address in use) it is
// never closed, so wait on Run's result as well.
func (s *Server) Listening() <-chan struct{} { return s.listening }

// Addr returns the bound address once Listening is closed, and nil before.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Run serves HTTPS (TLS 1.2 or later) on cfg.Listen until ctx ends, then
// stops accepting connections, lets requests in flight finish for up to
// cfg.ShutdownTimeout, closes what remains, and returns once every handler
// has returned. It returns nil after a shutdown asked for by ctx, and an
// error if the certificate cannot be loaded, the address cannot be bound
// or serving fails. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	const op = "admin.Run"
	if !s.running.CompareAndSwap(false, true) {
		return fault.E(op, fault.Conflict, errors.New("the server is already running"))
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return fault.E(op, fault.Invalid, fmt.Errorf("load TLS certificate %s and key %s: %w", s.cfg.CertFile, s.cfg.KeyFile, err))
	}
	// Bind even if ctx has already ended: the shutdown path below then
	// stops at once and Run returns nil, as it does for any asked-for stop.
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fault.E(op, fault.Unavailable, fmt.Errorf("listen on %s: %w", s.cfg.Listen, err))
	}
	srv := &http.Server{
		Handler:           s.echo,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// TLS handshake failures from scanners and from browsers that do
		// not trust a self-signed certificate are routine: debug level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	a := ln.Addr()
	s.addr.Store(&a)
	close(s.listening)
	s.log.Info("admin listener serving", "addr", a.String())

	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-served:
		srv.Close()
		s.inflight.Wait()
		return fault.E(op, fault.Unavailable, fmt.Errorf("serve %s: %w", a, err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("requests still running at shutdown; closing their connections", "err", err)
		srv.Close()
	}
	<-served // ErrServerClosed
	s.inflight.Wait()
	s.log.Info("admin listener stopped")
	return nil
}
