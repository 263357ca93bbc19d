package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"kordon/tokenizer"
	"kordon/types/code"
	"kordon/types/fault"
	"kordon/types/pii"
)

// tokenizeRequest is the body of POST /api/v1/tokenize.
type tokenizeRequest struct {
	Kind   string      `json:"kind"`   // phone, name, email, id (or ph, nm, em, id)
	Values []pii.Value `json:"values"` // raw values, decoded straight into the redacting type
}

// tokenizeResult is one value's outcome: a code, or an error.
type tokenizeResult struct {
	Code    string     `json:"code,omitempty"`
	Created *bool      `json:"created,omitempty"`
	Error   *itemError `json:"error,omitempty"`
}

// resultsResponse is the body of the batch endpoints' answers.
type resultsResponse[T any] struct {
	Results []T `json:"results"`
}

func (s *Server) tokenize(c echo.Context) error {
	const op = "admin.tokenize"
	var req tokenizeRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	kind, err := parseKind(req.Kind)
	if err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	p, _ := principalOf(c)
	outs, err := s.cfg.Tokenizer.Tokenize(c.Request().Context(), p, kind, req.Values)
	clear(req.Values)
	if err != nil {
		return err
	}
	res := make([]tokenizeResult, len(outs))
	for i, o := range outs {
		if o.Err != nil {
			res[i].Error = itemErrorOf(o.Err)
			s.metrics.tokenized.WithLabelValues(kind.String(), resultInvalid).Inc()
			continue
		}
		created := o.Created
		res[i].Code, res[i].Created = o.Code.String(), &created
		result := resultExisting
		if created {
			result = resultCreated
		}
		s.metrics.tokenized.WithLabelValues(kind.String(), result).Inc()
	}
	return writeJSON(c, http.StatusOK, resultsResponse[tokenizeResult]{res})
}

// resolveRequest is the body of POST /api/v1/resolve.
type resolveRequest struct {
	Purpose   string   `json:"purpose"`
	Reference string   `json:"reference"`
	Codes     []string `json:"codes"`
}

// resolveResult is one code's outcome: its value, or an error.
type resolveResult struct {
	Code  string     `json:"code"`
	Kind  string     `json:"kind,omitempty"`
	Value *string    `json:"value,omitempty"`
	Error *itemError `json:"error,omitempty"`
}

func (s *Server) resolve(c echo.Context) error {
	var req resolveRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	codes, err := parseCodes("admin.resolve", req.Codes)
	if err != nil {
		return err
	}
	purpose := tokenizer.Purpose(req.Purpose)
	label := string(purpose)
	if !purpose.Valid() {
		label = "invalid"
	}
	p, _ := principalOf(c)
	out, err := s.cfg.Tokenizer.Resolve(c.Request().Context(), p, purpose, req.Reference, codes)
	if err != nil {
		s.metrics.resolved.WithLabelValues(label, resultRefused).Add(float64(len(codes)))
		return err
	}
	res := make([]resolveResult, len(out))
	for i, r := range out {
		res[i] = resolveResult{Code: r.Code.String(), Kind: r.Kind.String()}
		if r.Err != nil {
			res[i].Error = itemErrorOf(r.Err)
			result := resultNotFound
			if fault.Is(r.Err, fault.Erased) {
				result = resultErased
			}
			s.metrics.resolved.WithLabelValues(label, result).Inc()
			continue
		}
		// The one place the API hands out a raw value: to an authenticated
		// key with the resolve scope, for a purpose and a reference the
		// tokenizer has audited before returning it.
		v := r.Value.Reveal()
		res[i].Value = &v
		s.metrics.resolved.WithLabelValues(label, resultResolved).Inc()
	}
	return writeJSON(c, http.StatusOK, resultsResponse[resolveResult]{res})
}

// eraseRequest is the body of POST /api/v1/erase.
type eraseRequest struct {
	Reason    string   `json:"reason"`
	Reference string   `json:"reference"`
	Codes     []string `json:"codes"`
}

// eraseResult is one code's outcome.
type eraseResult struct {
	Code   string     `json:"code"`
	Erased bool       `json:"erased"`
	Error  *itemError `json:"error,omitempty"`
}

func (s *Server) erase(c echo.Context) error {
	var req eraseRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	codes, err := parseCodes("admin.erase", req.Codes)
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	out, err := s.cfg.Tokenizer.Erase(c.Request().Context(), p, tokenizer.Reason(req.Reason), req.Reference, codes)
	if err != nil {
		return err
	}
	res := make([]eraseResult, len(out))
	for i, o := range out {
		res[i] = eraseResult{Code: o.Code.String(), Erased: o.Err == nil}
		if o.Err != nil {
			res[i].Error = itemErrorOf(o.Err)
		}
	}
	return writeJSON(c, http.StatusOK, resultsResponse[eraseResult]{res})
}

// parseKind reads a kind name without repeating it in its error.
func parseKind(s string) (code.Kind, error) {
	if s == "" {
		return 0, errors.New("kind is required (phone, name, email or id)")
	}
	k, err := code.ParseKind(s)
	if err != nil {
		return 0, errors.New("kind must be one of phone, name, email or id")
	}
	return k, nil
}

// parseCodes parses every code, naming the index of the first bad one and
// never its text: a client that sends a phone number where a code belongs
// must not see it echoed, nor find it in a log.
func parseCodes(op string, in []string) ([]code.Code, error) {
	out := make([]code.Code, len(in))
	for i, s := range in {
		c, err := code.Parse(s)
		if err != nil {
			return nil, fault.E(op, fault.Invalid, fmt.Errorf("codes[%d] is not a valid code (want <kind>_<27 characters>)", i))
		}
		out[i] = c
	}
	return out, nil
}

// writeJSON sends v as application/json.
func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fault.E("admin.writeJSON", fault.Internal, errors.New("encode response"))
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}
