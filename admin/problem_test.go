package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"kordon/types/fault"
	"kordon/types/pii"
)

// TestProblemOf covers the one kind-to-status mapping.
func TestProblemOf(t *testing.T) {
	cause := errors.New("disk /var/lib/kordon/kordon.db: I/O error")
	tests := []struct {
		name       string
		err        error
		status     int
		kind       string
		detail     string // "" means the error's own message
		challenge  bool
		retryAfter time.Duration
	}{
		{"invalid", fault.E("op", fault.Invalid, errors.New("reference is required")), 400, "invalid", "reference is required", false, 0},
		{"unauthorized", fault.E("op", fault.Unauthorized, errors.New("invalid API key")), 401, "unauthorized", "invalid API key", true, 0},
		{"denied", fault.E("op", fault.Denied, errors.New("lacks scope")), 403, "denied", "lacks scope", false, 0},
		{"not found", fault.E("op", fault.NotFound, errors.New("no key")), 404, "not_found", "no key", false, 0},
		{"conflict", fault.E("op", fault.Conflict, errors.New("changed")), 409, "conflict", "changed", false, 0},
		{"erased", fault.E("op", fault.Erased, nil), 410, "erased", "op: erased", false, 0},
		{"too large", fault.E("op", fault.TooLarge, errors.New("big")), 413, "too_large", "big", false, 0},
		{"rate limited", &retryError{after: 2500 * time.Millisecond, err: fault.E("op", fault.RateLimited, errors.New("slow down"))}, 429, "rate_limited", "slow down", false, 2500 * time.Millisecond},
		{"rate limited, no delay", fault.E("op", fault.RateLimited, errors.New("slow down")), 429, "rate_limited", "slow down", false, time.Second},
		{"unavailable", fault.E("op", fault.Unavailable, cause), 503, "unavailable", "unavailable and the operation did not happen", false, 0},
		{"internal", fault.E("op", fault.Internal, cause), 500, "internal", "internal error", false, 0},
		{"unclassified", cause, 500, "internal", "internal error", false, 0},
		{"wrapped", fmt.Errorf("handler: %w", fault.E("op", fault.Denied, errors.New("no"))), 403, "denied", "no", false, 0},
		{"media type", errMediaType, 415, "media_type", "application/json", false, 0},
		{"router 404", echo.ErrNotFound, 404, "http", "no such endpoint", false, 0},
		{"router 405", echo.ErrMethodNotAllowed, 405, "http", "method", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problemOf(tt.err)
			if p.Status != tt.status || p.kind != tt.kind || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("problemOf = %+v (kind %s), want %d %s %q", p, p.kind, tt.status, tt.kind, tt.detail)
			}
			if p.Title == "" || !strings.HasPrefix(p.Type, "urn:kordon:problem:") {
				t.Fatalf("type %q title %q", p.Type, p.Title)
			}
			if (p.challenge != "") != tt.challenge || p.retryAfter != tt.retryAfter {
				t.Fatalf("challenge %q retry after %v", p.challenge, p.retryAfter)
			}
			if p.Status >= 500 && strings.Contains(p.Detail, "kordon.db") {
				t.Fatalf("a server error's cause reached the client: %q", p.Detail)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		in   string
		keep bool
	}{
		{"crm-42", true},
		{"0f8fad5b-d9cb-469f-a165-7086e728950e", true},
		{"0f8fad5b-d9cb-469f-a165-70867728950e", false}, // 11 digits in a row: phone-shaped
		{"a.b_c-D", true},
		{"", false},
		{"79123456789", false},
		{"+79123456789", false},
		{"id 1", false},
		{"ид", false},
		{strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := requestID(tt.in)
			if (got == tt.in) != tt.keep {
				t.Fatalf("requestID(%q) = %q, keep %v", tt.in, got, tt.keep)
			}
			if !validRequestID(got) || pii.DigitRun(got) > 6 {
				t.Fatalf("requestID(%q) = %q is not a safe id", tt.in, got)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bodies to the strict decoder and checks that
// an error never repeats a digit run of the body, nor any long piece of it.
func FuzzDecode(f *testing.F) {
	f.Add(`{"kind":"phone","values":["+79123456789"]}`)
	f.Add(`{"kind":"phone","79123456789":1}`)
	f.Add(`{"kind":79123456789}`)
	f.Add(`{"values":[79123456789]}`)
	f.Add(`["79123456789"]`)
	f.Add(`{"kind":"phone"} 79123456789`)
	f.Add(`{"kind":"phone","values":["x"`)
	f.Fuzz(func(t *testing.T, body string) {
		e := echo.New()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		c := e.NewContext(req, rec)
		var v struct {
			Kind   string   `json:"kind"`
			Values []string `json:"values"`
		}
		err := decodeJSON(c, 512, &v)
		if err == nil {
			return
		}
		if k := fault.KindOf(err); k != fault.Invalid && k != fault.TooLarge {
			t.Fatalf("kind %v for %v", k, err)
		}
		msg := err.Error()
		if pii.DigitRun(msg) >= 7 {
			t.Fatalf("error %q holds a digit run", msg)
		}
		for i := 0; i+12 <= len(body); i++ {
			if piece := body[i : i+12]; strings.Contains(msg, piece) && !strings.Contains(vocabulary, piece) {
				t.Fatalf("error %q repeats %q of the body", msg, piece)
			}
		}
	})
}

// vocabulary is text the decoder's messages may legitimately share with a
// body: field names and JSON type names.
const vocabulary = `"kind" "values" a string an array an object true or false a number`
