package admin

import (
	"context"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// routes builds the router. Every route is listed here with the scope it
// needs, so a reviewer sees the whole surface in one place.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard) // echo logs nothing of ours; everything goes through s.log
	e.HTTPErrorHandler = s.writeProblem
	// The client address recorded in audit entries is the TCP peer: the
	// appliance sits in the customer network without a proxy, and a
	// forwarded-for header is whatever the client says it is.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(s.observe)

	add := func(method, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		e.Add(method, path, h, mw...)
		s.patterns[path] = true
	}
	add(http.MethodGet, "/healthz", s.healthz)
	add(http.MethodGet, "/readyz", s.readyz)
	add(http.MethodGet, "/metrics", echo.WrapHandler(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})))

	api := func(method, path string, scope tokenizer.Scope, action string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		add(method, "/api/v1"+path, h, append([]echo.MiddlewareFunc{s.authorize(scope, action)}, mw...)...)
	}
	api(http.MethodPost, "/tokenize", tokenizer.ScopeTokenize, audit.ActionTokenize, s.tokenize)
	api(http.MethodPost, "/resolve", tokenizer.ScopeResolve, audit.ActionResolve, s.resolve, s.limitResolve)
	api(http.MethodPost, "/erase", tokenizer.ScopeErase, audit.ActionErase, s.erase)
	api(http.MethodGet, "/audit", tokenizer.ScopeAudit, audit.ActionAuditRead, s.auditSearch)
	api(http.MethodPost, "/audit/search", tokenizer.ScopeAudit, audit.ActionAuditRead, s.auditSearchValue)
	api(http.MethodGet, "/audit/checkpoint", tokenizer.ScopeAudit, audit.ActionAuditRead, s.auditCheckpoint)
	api(http.MethodGet, "/audit/proof/:seq", tokenizer.ScopeAudit, audit.ActionAuditRead, s.auditProof)
	// Trunks (trunks.go): answered with 503 when Config.Trunks is nil.
	api(http.MethodGet, "/trunks", tokenizer.ScopeConfig, audit.ActionTrunkRead, s.listTrunks)
	api(http.MethodPost, "/trunks", tokenizer.ScopeConfig, audit.ActionTrunkCreate, s.createTrunk)
	api(http.MethodGet, "/trunks/:id", tokenizer.ScopeConfig, audit.ActionTrunkRead, s.getTrunk)
	api(http.MethodPut, "/trunks/:id", tokenizer.ScopeConfig, audit.ActionTrunkUpdate, s.updateTrunk)
	api(http.MethodDelete, "/trunks/:id", tokenizer.ScopeConfig, audit.ActionTrunkDelete, s.deleteTrunk)
	return e
}

// healthz answers 200 whenever the listener serves (liveness).
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyz answers 200 when cfg.Ready does (readiness). The cause of a
// failure goes to the log (writeProblem logs every 5xx); the
// unauthenticated caller gets a generic 503.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		return fault.E("admin.readyz", fault.Unavailable, err)
	}
	return c.String(http.StatusOK, "ready")
}
