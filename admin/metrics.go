package admin

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the listener's Prometheus series. Every label value comes
// from a fixed set (route patterns, methods, status codes, kinds, purposes,
// result names), never from a request's content.
type metrics struct {
	requests    *prometheus.CounterVec   // route, method, code
	duration    *prometheus.HistogramVec // route
	tokenized   *prometheus.CounterVec   // kind, result
	resolved    *prometheus.CounterVec   // purpose, result
	authFailed  *prometheus.CounterVec   // reason
	rateLimited prometheus.Counter
}

// Values of the result and reason labels.
const (
	resultCreated  = "created"
	resultExisting = "existing"
	resultInvalid  = "invalid"
	resultResolved = "resolved"
	resultErased   = "erased"
	resultNotFound = "not_found"
	resultRefused  = "refused" // the whole call was refused (scope, purpose, reference)

	authMissing     = "missing"     // no Authorization header
	authInvalid     = "invalid"     // malformed, unknown or wrong token
	authDenied      = "denied"      // a revoked key
	authScope       = "scope"       // the key lacks the endpoint's scope
	authUnavailable = "unavailable" // the check or its audit entry failed
)

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kordon_http_requests_total", Help: "HTTP requests to the admin listener by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kordon_http_request_duration_seconds", Help: "Time to serve a request by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		tokenized: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kordon_tokenize_values_total", Help: "Values tokenized through the API by kind and result (created, existing, invalid).",
		}, []string{"kind", "result"}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kordon_resolve_codes_total", Help: "Codes resolved through the API by purpose and result (resolved, erased, not_found, refused).",
		}, []string{"purpose", "result"}),
		authFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kordon_auth_failures_total", Help: "Refused API requests by reason (missing, invalid, denied, scope, unavailable).",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kordon_ratelimited_total", Help: "Resolve requests refused by the per-key rate limit.",
		}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.tokenized, m.resolved, m.authFailed, m.rateLimited} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register metrics (one registry per Server): %w", err)
	}
	for _, r := range []string{authMissing, authInvalid, authDenied, authScope, authUnavailable} {
		m.authFailed.WithLabelValues(r) // export zeros, so alerts see the series before the first failure
	}
	return m, nil
}
