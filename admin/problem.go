package admin

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"kordon/types/fault"
)

// problem is an RFC 9457 problem document, the body of every error
// response.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"` // correlates with the access log

	kind       string        // the fault kind's identifier, for per-item errors
	retryAfter time.Duration // > 0: send Retry-After
	challenge  string        // non-empty: send WWW-Authenticate
}

// errMediaType reports a request body that is not application/json.
var errMediaType = fault.E("admin", fault.Invalid, errors.New("the request body must be application/json (UTF-8)"))

// retryError is a rate-limit refusal that knows when to come back.
type retryError struct {
	after time.Duration
	err   error
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// problemOf is the one place that turns an error into an HTTP status and
// a problem document. Client errors (4xx) carry the error's message, which
// by the rules of types/fault names codes and fields, never values; server
// errors (5xx) carry a generic sentence, since their causes are for the
// operator's log, not the client.
func problemOf(err error) problem {
	var he *echo.HTTPError
	if errors.As(err, &he) && fault.KindOf(err) == fault.Other {
		// The router's own refusals: unknown route, wrong method.
		p := problem{Status: he.Code, Title: http.StatusText(he.Code), kind: "http"}
		p.Type = "urn:kordon:problem:http-" + strconv.Itoa(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			p.Detail = "no such endpoint"
		case http.StatusMethodNotAllowed:
			p.Detail = "the endpoint does not accept this method"
		default:
			p.Detail = strings.ToLower(http.StatusText(he.Code))
		}
		if he.Code >= 500 {
			p.Status, p.Title, p.Detail = http.StatusInternalServerError, "Internal error", "internal error"
		}
		return p
	}
	if errors.Is(err, errMediaType) {
		return problem{Type: "urn:kordon:problem:media-type", Title: "Unsupported media type",
			Status: http.StatusUnsupportedMediaType, Detail: message(err), kind: "media_type"}
	}
	kind := fault.KindOf(err)
	p := problem{Detail: message(err), kind: strings.ReplaceAll(kind.String(), " ", "_")}
	switch kind {
	case fault.Invalid:
		p.Status, p.Title = http.StatusBadRequest, "Invalid request"
	case fault.Unauthorized:
		p.Status, p.Title = http.StatusUnauthorized, "Unauthorized"
		p.challenge = `Bearer realm="kordon"`
	case fault.Denied:
		p.Status, p.Title = http.StatusForbidden, "Forbidden"
	case fault.NotFound:
		p.Status, p.Title = http.StatusNotFound, "Not found"
	case fault.Conflict:
		p.Status, p.Title = http.StatusConflict, "Conflict"
	case fault.Erased:
		p.Status, p.Title = http.StatusGone, "Erased"
	case fault.TooLarge:
		p.Status, p.Title = http.StatusRequestEntityTooLarge, "Request too large"
	case fault.RateLimited:
		p.Status, p.Title = http.StatusTooManyRequests, "Too many requests"
		p.retryAfter = time.Second
		if re := (*retryError)(nil); errors.As(err, &re) && re.after > p.retryAfter {
			p.retryAfter = re.after
		}
	case fault.Unavailable:
		p.Status, p.Title = http.StatusServiceUnavailable, "Service unavailable"
		p.Detail = "a service this request needs is unavailable and the operation did not happen; retry later"
	default:
		p.kind = "internal"
		p.Status, p.Title = http.StatusInternalServerError, "Internal error"
		p.Detail = "internal error; the operator's log has the cause under this request id"
	}
	p.Type = "urn:kordon:problem:" + strings.ReplaceAll(p.kind, "_", "-")
	return p
}

// message returns an error's text without the operation prefix of its
// outermost fault.Error, which names Kordon's internals rather than the
// caller's mistake.
func message(err error) string {
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Err != nil {
		return fe.Err.Error()
	}
	return err.Error()
}

// writeProblem is the echo error handler: it sends err as problem+json,
// unless a response has already begun.
func (s *Server) writeProblem(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemOf(err)
	p.RequestID = requestIDOf(c)
	if p.Status >= 500 {
		s.log.Error("request failed", "route", s.routeOf(c), "request_id", p.RequestID, "err", err)
	} else {
		s.log.Debug("request refused", "route", s.routeOf(c), "request_id", p.RequestID, "status", p.Status, "err", err)
	}
	h := c.Response().Header()
	if p.challenge != "" {
		h.Set("WWW-Authenticate", p.challenge)
	}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(p.retryAfter.Seconds()))))
	}
	b, merr := json.Marshal(p)
	if merr != nil {
		b = []byte(`{"type":"urn:kordon:problem:internal","title":"Internal error","status":500,"detail":"internal error"}`)
		p.Status = http.StatusInternalServerError
	}
	_ = c.Blob(p.Status, "application/problem+json", b)
}

// itemError is the error of one value or code in a batch response.
type itemError struct {
	Kind   string `json:"kind"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// itemErrorOf maps one item's error with the same rules as a response.
func itemErrorOf(err error) *itemError {
	p := problemOf(err)
	return &itemError{Kind: p.kind, Status: p.Status, Detail: p.Detail}
}
