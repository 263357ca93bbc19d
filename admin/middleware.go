package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// observe is the outermost middleware of every request: it assigns the
// request id, sets the headers every response carries, turns a panic into
// a 500, writes the error response, and records the access log line and
// the request metrics. The access log holds the method, route pattern,
// status, duration, key id and request id, and nothing else: no path
// parameters, no query, no body.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.inflight.Add(1)
		defer s.inflight.Done()
		start := time.Now()
		rid := requestID(c.Request().Header.Get(headerRequestID))
		c.Set(keyRequestID, rid)
		h := c.Response().Header()
		h.Set(headerRequestID, rid)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if err := s.protect(c, next); err != nil {
			c.Error(err) // writes the problem document
		}
		route, status := s.routeOf(c), c.Response().Status
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
		keyID := ""
		if p, ok := principalOf(c); ok {
			keyID = p.Actor.ID
		}
		level := slog.LevelInfo
		if s.quiet[route] {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(c.Request().Context(), level, "http request",
			slog.String("method", methodLabel(c.Request().Method)), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", elapsed),
			slog.String("key_id", keyID), slog.String("request_id", rid))
		return nil
	}
}

// protect runs next, turning a panic into an internal error. The panic
// value is not logged (it could hold anything); the stack is, since it
// holds code positions and machine words only.
func (s *Server) protect(c echo.Context, next echo.HandlerFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("handler panicked", "route", s.routeOf(c), "request_id", requestIDOf(c), "stack", string(debug.Stack()))
			err = fault.E("admin", fault.Internal, errors.New("handler panicked"))
		}
	}()
	return next(c)
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// routeOf returns the request's route pattern, or "unmatched", so that
// neither metrics nor logs carry a path a client made up.
func (s *Server) routeOf(c echo.Context) string {
	if p := c.Path(); s.patterns[p] {
		return p
	}
	return "unmatched"
}

// authorize requires a bearer API key holding scope. A failed
// authentication is audited by the Authenticator; a missing scope is
// audited here, as a denied attempt at action, before the request body is
// read, so a key without the scope learns nothing about its input.
func (s *Server) authorize(scope tokenizer.Scope, action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			token, present := bearer(c.Request().Header.Get("Authorization"))
			p, err := s.cfg.Keys.Authenticate(ctx, token, c.RealIP())
			if err != nil {
				reason := authInvalid
				switch {
				case fault.Is(err, fault.Unavailable):
					reason = authUnavailable
				case !present:
					reason = authMissing
				case fault.Is(err, fault.Denied):
					reason = authDenied
				}
				s.metrics.authFailed.WithLabelValues(reason).Inc()
				return err
			}
			p.RequestID = requestIDOf(c)
			c.Set(keyPrincipal, p)
			if !p.Has(scope) {
				s.metrics.authFailed.WithLabelValues(authScope).Inc()
				why := fmt.Errorf("API key %s lacks the %s scope", p.Actor.ID, scope)
				if _, err := s.cfg.Audit.Record(ctx, audit.Entry{
					Actor: p.Actor, Remote: p.Remote, RequestID: p.RequestID,
					Action: action, Result: audit.ResultDenied, Reason: why.Error(),
				}); err != nil {
					return fault.E("admin.authorize", fault.Unavailable, fmt.Errorf("refused, and the refusal could not be audited: %w", err))
				}
				return fault.E("admin.authorize", fault.Denied, why)
			}
			return next(c)
		}
	}
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
// Any other non-empty header is passed on whole, to be refused (and
// audited) as a malformed token; present reports whether there was one.
func bearer(h string) (token string, present bool) {
	if h == "" {
		return "", false
	}
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok), true
	}
	return h, true
}

// principalOf returns the principal authorize established.
func principalOf(c echo.Context) (tokenizer.Principal, bool) {
	p, ok := c.Get(keyPrincipal).(tokenizer.Principal)
	return p, ok
}

// limitResolve applies the per-key token bucket to resolve requests.
// Refusals are counted, not audited: an audit entry per refused request
// would let one misbehaving client flood the log.
func (s *Server) limitResolve(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, _ := principalOf(c)
		if wait, ok := s.limits.take(p.Actor.ID, time.Now()); !ok {
			s.metrics.rateLimited.Inc()
			return &retryError{after: wait, err: fault.E("admin.resolve", fault.RateLimited,
				fmt.Errorf("API key %s is over its resolve rate; retry after the Retry-After delay", p.Actor.ID))}
		}
		return next(c)
	}
}
