package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"kordon/admin"
	"kordon/audit"
	"kordon/tokenizer"
)

// TestNothingLogged drives every endpoint, successes and failures alike,
// through a server whose logs (admin, tokenizer, audit, apikey; debug
// level) go to one buffer, and finds no raw value in it, nor in the audit
// log.
func TestNothingLogged(t *testing.T) {
	h := newHarness(t, func(c *admin.Config) { c.ResolveBurst = 2 })
	all := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve, tokenizer.ScopeErase, tokenizer.ScopeAudit)
	tokOnly := h.key(t, tokenizer.ScopeTokenize)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", all, map[string]any{"kind": "phone", "values": []string{phone, phone2, "+7 999 " + "12"}}, &tr)
	var nm tokenizeResults
	h.post(t, "/api/v1/tokenize", all, map[string]any{"kind": "name", "values": []string{name, "R2-D2 " + phone}}, &nm)
	codes := []string{tr.Results[0].Code, nm.Results[0].Code}
	var rr resolveResults
	h.post(t, "/api/v1/resolve", all, map[string]any{"purpose": "crm", "reference": "T-1", "codes": codes}, &rr)
	if *rr.Results[0].Value != phoneE164 {
		t.Fatal("resolve did not work")
	}
	reqs := []request{
		{path: "/api/v1/resolve", token: all, body: map[string]any{"purpose": "crm", "reference": "T-1", "codes": codes}},
		{path: "/api/v1/resolve", token: all, body: map[string]any{"purpose": "crm", "reference": "T-1", "codes": codes}}, // 429
		{path: "/api/v1/resolve", token: tokOnly, body: map[string]any{"purpose": "crm", "reference": phone, "codes": []string{phone}}},
		{path: "/api/v1/resolve", token: all, body: map[string]any{"purpose": phone, "reference": phone, "codes": codes}},
		{path: "/api/v1/erase", token: all, body: map[string]any{"reason": "retention", "reference": "R-1", "codes": []string{phone, name}}},
		{path: "/api/v1/erase", token: all, body: map[string]any{"reason": "retention", "reference": "R-1", "codes": codes[:1]}},
		{path: "/api/v1/tokenize", token: all, body: `{"kind":"phone","values":["` + phone + `"],"` + name + `":"` + phone2 + `"}`},
		{path: "/api/v1/tokenize", token: all, body: `{"kind":"` + phone + `","values":["` + phone + `"]}`},
		{path: "/api/v1/tokenize", token: all, body: `{"kind":"phone","values":["` + phone + `"]`},
		{path: "/api/v1/tokenize", token: phone, body: map[string]any{"kind": "phone", "values": []string{phone}}},
		{path: "/api/v1/tokenize", token: "kdn_" + phoneE164, body: map[string]any{"kind": "phone", "values": []string{phone}}},
		{path: "/api/v1/audit/search", token: all, body: map[string]any{"kind": "phone", "value": phone2}},
		{path: "/api/v1/audit/search", token: all, body: map[string]any{"kind": "name", "value": name, "actor": phoneE164}},
		{method: http.MethodGet, path: "/api/v1/audit?code=" + phoneE164, token: all},
		{method: http.MethodGet, path: "/api/v1/audit?actor=" + phoneE164, token: all},
		{method: http.MethodGet, path: "/api/v1/audit?" + phoneE164[1:] + "=1", token: all},
		{method: http.MethodGet, path: "/api/v1/audit/proof/" + phoneE164[1:], token: all},
		{method: http.MethodGet, path: "/api/v1/" + phoneE164[1:] + "?q=" + phoneE164[1:], token: all},
		{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-ID": phoneE164[1:]}},
	}
	for _, r := range reqs {
		rec := h.do(t, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			assertNoSecrets(t, "error response to "+r.path, rec.Body.String())
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"http request"`) || !strings.Contains(logs, keyID(all)) {
		t.Fatalf("the access log is missing:\n%s", logs)
	}
	assertNoSecrets(t, "the log", logs)
	// Apart from the clock's fields, no log field holds a number long
	// enough to be a telephone number.
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "time")
		delete(m, "duration")
		b, _ := json.Marshal(m)
		if digitRun(string(b)) >= 7 {
			t.Fatalf("a log line holds a run of 7 digits: %s", line)
		}
	}
	_, bodies := h.entries(t)
	for _, b := range bodies {
		assertNoSecrets(t, "the audit log", string(b))
	}
	// An access-log line holds exactly the documented fields.
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["msg"] != "http request" {
			continue
		}
		delete(m, "time")
		delete(m, "level")
		delete(m, "msg")
		delete(m, "subsystem")
		for _, k := range []string{"method", "route", "status", "duration", "key_id", "request_id"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("access log line lacks %s: %s", k, line)
			}
			delete(m, k)
		}
		if len(m) != 0 {
			t.Fatalf("access log line has extra fields %v: %s", m, line)
		}
	}
}

// TestHeaders checks the headers every response carries and the request
// id's way from the client to the audit log.
func TestHeaders(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.key(t, tokenizer.ScopeTokenize)
	tests := []struct {
		name   string
		r      request
		status int
		rid    string // want X-Request-ID; "" means generated
	}{
		{"api with client id", request{path: "/api/v1/tokenize", token: tok, body: map[string]any{"kind": "phone", "values": []string{phone}},
			header: map[string]string{"X-Request-ID": "crm-42.a_b"}}, 200, "crm-42.a_b"},
		{"phone as request id", request{path: "/api/v1/tokenize", token: tok, body: map[string]any{"kind": "phone", "values": []string{phone}},
			header: map[string]string{"X-Request-ID": "79123456789"}}, 200, ""},
		{"spaces in request id", request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-ID": "a b"}}, 200, ""},
		{"problem", request{path: "/api/v1/tokenize", body: map[string]any{}}, 401, ""},
		{"healthz", request{method: http.MethodGet, path: "/healthz"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.do(t, tt.r)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			hd := rec.Header()
			if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Cache-Control") != "no-store" {
				t.Fatalf("headers %v", hd)
			}
			rid := hd.Get("X-Request-ID")
			if tt.rid != "" && rid != tt.rid || tt.rid == "" && (len(rid) != 16 || rid == tt.r.header["X-Request-ID"]) {
				t.Fatalf("X-Request-ID %q, want %q", rid, tt.rid)
			}
			if tt.r.path == "/api/v1/tokenize" && tt.status == 200 {
				if e, _ := h.lastEntry(t, audit.ActionTokenize); e.RequestID != rid {
					t.Fatalf("audit entry request id %q, want %q", e.RequestID, rid)
				}
			}
		})
	}
}

// TestProbes checks /healthz and /readyz.
func TestProbes(t *testing.T) {
	ready := errors.New("database: disk I/O error")
	var notReady error
	h := newHarness(t, func(c *admin.Config) {
		c.Ready = func(context.Context) error { return notReady }
	})
	if rec := h.do(t, request{method: http.MethodGet, path: "/healthz"}); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("/healthz: %d %q", rec.Code, rec.Body)
	}
	if rec := h.do(t, request{method: http.MethodGet, path: "/readyz"}); rec.Code != 200 {
		t.Fatalf("/readyz: %d %s", rec.Code, rec.Body)
	}
	notReady = ready
	p := problem(t, h.do(t, request{method: http.MethodGet, path: "/readyz"}), http.StatusServiceUnavailable)
	if strings.Contains(p.Detail, "disk") {
		t.Fatalf("the unauthenticated probe learns the cause: %q", p.Detail)
	}
	if !strings.Contains(h.logs.String(), "disk I/O error") {
		t.Fatal("the cause is not logged")
	}
	if rec := h.do(t, request{method: http.MethodGet, path: "/healthz"}); rec.Code != 200 {
		t.Fatalf("/healthz while not ready: %d", rec.Code)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  admin.Config
		want []string
	}{
		{"empty", admin.Config{}, []string{"CertFile", "Tokenizer"}},
		{"bad listen", admin.Config{Listen: "8443"}, []string{"Listen"}},
		{"negative", admin.Config{ResolveRate: -1}, []string{"negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.New(tt.cfg)
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}
