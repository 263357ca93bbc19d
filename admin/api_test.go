package admin_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"kordon/admin"
	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/code"
)

// TestRoundTrip tokenizes, resolves, erases and resolves again over HTTP.
func TestRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve, tokenizer.ScopeErase)

	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone, "not a phone", phone2}}, &tr)
	if len(tr.Results) != 3 {
		t.Fatalf("want 3 results, got %+v", tr)
	}
	ph, bad, ph2 := tr.Results[0], tr.Results[1], tr.Results[2]
	if !strings.HasPrefix(ph.Code, "ph_") || ph.Created == nil || !*ph.Created || ph.Error != nil {
		t.Fatalf("first value: %+v", ph)
	}
	if bad.Code != "" || bad.Error == nil || bad.Error.Kind != "invalid" || bad.Error.Status != http.StatusBadRequest || bad.Error.Detail == "" {
		t.Fatalf("invalid value: %+v", bad)
	}
	if !strings.HasPrefix(ph2.Code, "ph_") || ph2.Code == ph.Code {
		t.Fatalf("third value: %+v", ph2)
	}

	// The same number written differently gets the same code.
	var again tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "ph", "values": []string{phoneE164}}, &again)
	if r := again.Results[0]; r.Code != ph.Code || r.Created == nil || *r.Created {
		t.Fatalf("re-tokenize: %+v, want existing %s", r, ph.Code)
	}

	var nm tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "name", "values": []string{name}}, &nm)
	nameCode := nm.Results[0].Code

	unknown, err := code.New(code.Phone, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rr resolveResults
	h.post(t, "/api/v1/resolve", tok, map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{ph.Code, strings.ToLower(nameCode), unknown.String()}}, &rr)
	if got := rr.Results; len(got) != 3 || got[0].Value == nil || *got[0].Value != phoneE164 || got[0].Kind != "phone" ||
		got[1].Value == nil || *got[1].Value != name || got[1].Kind != "name" || got[1].Code != nameCode {
		t.Fatalf("resolve: %+v", rr)
	}
	if r := rr.Results[2]; r.Value != nil || r.Error == nil || r.Error.Kind != "not_found" || r.Error.Status != http.StatusNotFound {
		t.Fatalf("resolve unknown code: %+v", r)
	}
	if e, ok := h.lastEntry(t, audit.ActionResolve); !ok || e.Purpose != "crm" || e.Reference != "T-1" || e.Actor.ID != keyID(tok) || e.Remote != "192.0.2.10" {
		t.Fatalf("resolve audit entry %+v", e)
	}

	var er eraseResults
	h.post(t, "/api/v1/erase", tok, map[string]any{"reason": "subject-request", "reference": "DSR-1", "codes": []string{ph.Code}}, &er)
	if len(er.Results) != 1 || !er.Results[0].Erased || er.Results[0].Code != ph.Code {
		t.Fatalf("erase: %+v", er)
	}
	var er2 eraseResults
	h.post(t, "/api/v1/erase", tok, map[string]any{"reason": "subject-request", "reference": "DSR-1", "codes": []string{ph.Code}}, &er2)
	if r := er2.Results[0]; r.Erased || r.Error == nil || r.Error.Status != http.StatusGone {
		t.Fatalf("erase again: %+v", er2)
	}

	var after resolveResults
	h.post(t, "/api/v1/resolve", tok, map[string]any{"purpose": "legal", "reference": "DSR-1", "codes": []string{ph.Code, ph2.Code}}, &after)
	if r := after.Results[0]; r.Value != nil || r.Error == nil || r.Error.Kind != "erased" || r.Error.Status != http.StatusGone || r.Code != ph.Code {
		t.Fatalf("resolve erased: %+v", r)
	}
	if r := after.Results[1]; r.Value == nil || *r.Value != phone2E164 {
		t.Fatalf("resolve live code next to an erased one: %+v", r)
	}

	// Erasure is final: the same value gets a new code.
	var fresh tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone}}, &fresh)
	if r := fresh.Results[0]; r.Code == ph.Code || r.Created == nil || !*r.Created {
		t.Fatalf("tokenize after erase: %+v", r)
	}
}

// TestScopes checks that each endpoint needs its scope, and that a
// refusal is audited before the body is looked at.
func TestScopes(t *testing.T) {
	h := newHarness(t, nil)
	tokenizeOnly := h.key(t, tokenizer.ScopeTokenize)
	resolveOnly := h.key(t, tokenizer.ScopeResolve)
	auditOnly := h.key(t, tokenizer.ScopeAudit)
	resolveBody := map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{"ph_0000000000000000000000000000"}}
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		action string // of the denied entry
	}{
		{"tokenize key resolves", tokenizeOnly, http.MethodPost, "/api/v1/resolve", resolveBody, audit.ActionResolve},
		{"tokenize key erases", tokenizeOnly, http.MethodPost, "/api/v1/erase", map[string]any{}, audit.ActionErase},
		{"tokenize key reads audit", tokenizeOnly, http.MethodGet, "/api/v1/audit", nil, audit.ActionAuditRead},
		{"tokenize key searches by value", tokenizeOnly, http.MethodPost, "/api/v1/audit/search", map[string]any{"kind": "phone", "value": phone}, audit.ActionAuditRead},
		{"tokenize key reads checkpoint", tokenizeOnly, http.MethodGet, "/api/v1/audit/checkpoint", nil, audit.ActionAuditRead},
		{"tokenize key reads proof", tokenizeOnly, http.MethodGet, "/api/v1/audit/proof/0", nil, audit.ActionAuditRead},
		{"resolve key tokenizes", resolveOnly, http.MethodPost, "/api/v1/tokenize", map[string]any{"kind": "phone", "values": []string{phone}}, audit.ActionTokenize},
		{"audit key resolves", auditOnly, http.MethodPost, "/api/v1/resolve", resolveBody, audit.ActionResolve},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.do(t, request{method: tt.method, path: tt.path, token: tt.token, body: tt.body})
			p := problem(t, rec, http.StatusForbidden)
			if !strings.Contains(p.Detail, "scope") {
				t.Fatalf("detail %q does not name the missing scope", p.Detail)
			}
			e, ok := h.lastEntry(t, tt.action)
			if !ok || e.Result != audit.ResultDenied || e.Actor.ID != keyID(tt.token) || e.RequestID != p.RequestID {
				t.Fatalf("denied entry %+v (found %v)", e, ok)
			}
		})
	}
}

// TestAuthFailures checks 401 and 403 for bad credentials, each audited.
func TestAuthFailures(t *testing.T) {
	h := newHarness(t, nil)
	good := h.key(t, tokenizer.ScopeTokenize)
	revoked := h.key(t, tokenizer.ScopeTokenize)
	if err := h.keys.Revoke(t.Context(), audit.Actor{Type: audit.ActorCLI, ID: "root"}, keyID(revoked)); err != nil {
		t.Fatal(err)
	}
	unknown := "kdn_abcdefghij_" + good[len(good)-52:]
	body := map[string]any{"kind": "phone", "values": []string{phone}}
	tests := []struct {
		name    string
		header  string
		status  int
		reason  string // of the auth.fail entry
		actorID string
		metric  string
	}{
		{"no header", "", http.StatusUnauthorized, "no token", "", `reason="missing"`},
		{"basic auth", "Basic dXNlcjpwYXNz", http.StatusUnauthorized, "malformed token", "", `reason="invalid"`},
		{"phone as token", "Bearer " + phone, http.StatusUnauthorized, "malformed token", "", `reason="invalid"`},
		{"unknown key", "Bearer " + unknown, http.StatusUnauthorized, "unknown key", "abcdefghij", `reason="invalid"`},
		{"wrong secret", "Bearer " + good[:len(good)-9] + flip(good[len(good)-9]) + good[len(good)-8:], http.StatusUnauthorized, "wrong secret", keyID(good), `reason="invalid"`},
		{"revoked", "Bearer " + revoked, http.StatusForbidden, "key revoked", keyID(revoked), `reason="denied"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.header != "" {
				hdr["Authorization"] = tt.header
			}
			rec := h.do(t, request{path: "/api/v1/tokenize", body: body, header: hdr})
			problem(t, rec, tt.status)
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
			e, ok := h.lastEntry(t, audit.ActionAuthFail)
			if !ok || e.Reason != tt.reason || e.Actor.ID != tt.actorID || e.Result != audit.ResultDenied || e.Remote != "192.0.2.10" {
				t.Fatalf("auth.fail entry %+v, want reason %q actor %q", e, tt.reason, tt.actorID)
			}
			if !strings.Contains(h.metrics(t), "kordon_auth_failures_total{"+tt.metric+"}") {
				t.Fatalf("no auth failure metric %s", tt.metric)
			}
		})
	}
	if n := countEntries(t, h, audit.ActionTokenize); n != 0 {
		t.Fatalf("%d tokenize entries after refused requests", n)
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func countEntries(t *testing.T, h *harness, action string) int {
	all, _ := h.entries(t)
	n := 0
	for _, e := range all {
		if e.Action == action {
			n++
		}
	}
	return n
}

// TestBadRequests checks the refusals of malformed requests: status,
// problem shape, and that no detail repeats the input.
func TestBadRequests(t *testing.T) {
	h := newHarness(t, func(c *admin.Config) { c.MaxBodyBytes = 4096 })
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve, tokenizer.ScopeErase, tokenizer.ScopeAudit)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone}}, &tr)
	code := tr.Results[0].Code
	big := `{"kind":"phone","values":["` + strings.Repeat("7", 5000) + `"]}`
	tests := []struct {
		name        string
		method      string
		path        string
		body        any
		contentType string
		status      int
		detail      string // in the problem detail
	}{
		{"no purpose", "", "/api/v1/resolve", map[string]any{"reference": "T-1", "codes": []string{code}}, "", 400, "purpose"},
		{"unknown purpose", "", "/api/v1/resolve", map[string]any{"purpose": "curiosity", "reference": "T-1", "codes": []string{code}}, "", 400, "purpose"},
		{"no reference", "", "/api/v1/resolve", map[string]any{"purpose": "crm", "codes": []string{code}}, "", 400, "reference"},
		{"phone as reference", "", "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "79123456789", "codes": []string{code}}, "", 400, "7 or more digits"},
		{"no codes", "", "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "T-1"}, "", 400, "codes"},
		{"phone as code", "", "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{code, phone}}, "", 400, "codes[1]"},
		{"bad check character", "", "/api/v1/erase", map[string]any{"reason": "retention", "reference": "R-1", "codes": []string{code[:len(code)-1] + "0"}}, "", 400, "codes[0]"},
		{"no reason", "", "/api/v1/erase", map[string]any{"reference": "R-1", "codes": []string{code}}, "", 400, "reason"},
		{"unknown field", "", "/api/v1/tokenize", `{"kind":"phone","values":[],"phone":"x"}`, "", 400, `unknown field "phone"`},
		{"value as field name", "", "/api/v1/tokenize", `{"kind":"phone","` + phone + `":1}`, "", 400, "unknown field"},
		{"phone as kind", "", "/api/v1/tokenize", map[string]any{"kind": phone, "values": []string{phone}}, "", 400, "kind"},
		{"number as value", "", "/api/v1/tokenize", `{"kind":"phone","values":[79123456789]}`, "", 400, "shape"},
		{"no values", "", "/api/v1/tokenize", map[string]any{"kind": "phone", "values": []string{}}, "", 400, "values"},
		{"not JSON", "", "/api/v1/tokenize", `kind=phone&values=` + phone, "", 400, "not valid JSON"},
		{"array", "", "/api/v1/tokenize", `["` + phone + `"]`, "", 400, "JSON object"},
		{"trailing data", "", "/api/v1/tokenize", `{"kind":"phone","values":["x"]} {"a":1}`, "", 400, "after"},
		{"truncated", "", "/api/v1/tokenize", `{"kind":"phone","values":["` + phone, "", 400, "ends inside"},
		{"empty body", "", "/api/v1/tokenize", ``, "", 400, "empty"},
		{"form", "", "/api/v1/tokenize", `kind=phone`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"latin-1", "", "/api/v1/tokenize", `{}`, "application/json; charset=iso-8859-1", 415, "application/json"},
		{"too large", "", "/api/v1/tokenize", big, "", 413, "4096 bytes"},
		{"bad from", http.MethodGet, "/api/v1/audit?from=yesterday", nil, "", 400, "RFC 3339"},
		{"unknown query parameter", http.MethodGet, "/api/v1/audit?actor_id=x", nil, "", 400, `"actor_id"`},
		{"value in query", http.MethodGet, "/api/v1/audit?" + "79123456789=1", nil, "", 400, "unknown parameter"},
		{"repeated parameter", http.MethodGet, "/api/v1/audit?action=resolve&action=erase", nil, "", 400, "more than once"},
		{"limit too high", http.MethodGet, "/api/v1/audit?limit=5000", nil, "", 400, "limit"},
		{"bad code filter", http.MethodGet, "/api/v1/audit?code=79123456789", nil, "", 400, "code"},
		{"phone as actor", http.MethodGet, "/api/v1/audit?actor=79123456789", nil, "", 400, "actor"},
		{"bad seq", http.MethodGet, "/api/v1/audit/proof/x", nil, "", 400, "seq"},
		{"value search without value", "", "/api/v1/audit/search", map[string]any{"kind": "phone"}, "", 400, "value"},
		{"value search, bad value", "", "/api/v1/audit/search", map[string]any{"kind": "phone", "value": "12"}, "", 400, ""},
		{"unknown route", http.MethodGet, "/api/v1/" + phoneE164, nil, "", 404, "no such endpoint"},
		{"wrong method", http.MethodGet, "/api/v1/tokenize", nil, "", 405, "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.do(t, request{method: tt.method, path: tt.path, token: tok, body: tt.body, contentType: tt.contentType})
			p := problem(t, rec, tt.status)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("detail %q does not mention %q", p.Detail, tt.detail)
			}
			assertNoSecrets(t, "response", rec.Body.String())
			if digitRun(p.Detail) >= 7 {
				t.Fatalf("detail %q holds a digit run", p.Detail)
			}
		})
	}
}

// TestTooLargeStreamed checks the limit on bodies sent without a
// Content-Length, where only reading finds the size.
func TestTooLargeStreamed(t *testing.T) {
	h := newHarness(t, func(c *admin.Config) { c.MaxBodyBytes = 4096 })
	tok := h.key(t, tokenizer.ScopeTokenize)
	for name, body := range map[string]string{
		"in the object":    `{"kind":"phone","values":["` + strings.Repeat("7", 5000) + `"]}`,
		"after the object": `{"kind":"phone","values":["x"]}` + strings.Repeat(" ", 5000),
	} {
		t.Run(name, func(t *testing.T) {
			rec := h.do(t, request{path: "/api/v1/tokenize", token: tok, body: body, chunked: true})
			if p := problem(t, rec, http.StatusRequestEntityTooLarge); !strings.Contains(p.Detail, "4096 bytes") {
				t.Fatalf("detail %q", p.Detail)
			}
		})
	}
}

// TestConcurrent runs requests from many goroutines, for the race
// detector.
func TestConcurrent(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				num := "+7 912 000-" + strconv.Itoa(10+g) + "-" + strconv.Itoa(10+i)
				rec := h.do(t, request{path: "/api/v1/tokenize", token: tok, body: map[string]any{"kind": "phone", "values": []string{num}}})
				var tr tokenizeResults
				if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tr) != nil || tr.Results[0].Code == "" {
					errs <- rec.Body.String()
					return
				}
				rec = h.do(t, request{path: "/api/v1/resolve", token: tok, body: map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{tr.Results[0].Code}}})
				if rec.Code != http.StatusOK {
					errs <- rec.Body.String()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestRateLimit checks the per-key token bucket on resolve.
func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(c *admin.Config) { c.ResolveRate = 0.001; c.ResolveBurst = 3 })
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve)
	other := h.key(t, tokenizer.ScopeResolve)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone}}, &tr)
	body := map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{tr.Results[0].Code}}
	for i := range 3 {
		if rec := h.do(t, request{path: "/api/v1/resolve", token: tok, body: body}); rec.Code != http.StatusOK {
			t.Fatalf("resolve %d within the burst: %d %s", i, rec.Code, rec.Body)
		}
	}
	rec := h.do(t, request{path: "/api/v1/resolve", token: tok, body: body})
	problem(t, rec, http.StatusTooManyRequests)
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	// Tokenize is not limited, and other keys have their own bucket.
	if rec := h.do(t, request{path: "/api/v1/tokenize", token: tok, body: map[string]any{"kind": "phone", "values": []string{phone}}}); rec.Code != http.StatusOK {
		t.Fatalf("tokenize after the resolve limit: %d", rec.Code)
	}
	if rec := h.do(t, request{path: "/api/v1/resolve", token: other, body: body}); rec.Code != http.StatusOK {
		t.Fatalf("another key: %d", rec.Code)
	}
	if m := h.metrics(t); !strings.Contains(m, "kordon_ratelimited_total 1\n") {
		t.Fatalf("metrics lack kordon_ratelimited_total 1:\n%s", grepLines(m, "ratelimited"))
	}
}

// digitRun returns the longest run of ASCII digits in s.
func digitRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// assertNoSecrets fails if text holds any spelling of a raw test value.
func assertNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, s := range secrets {
		if strings.Contains(text, s) || strings.Contains(lower, strings.ToLower(s)) {
			t.Fatalf("%s holds %q:\n%s", what, s, text)
		}
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
