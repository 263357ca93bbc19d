package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"kordon/admin"
	"kordon/audit"
	"kordon/media/trunk"
	"kordon/tokenizer"
)

// Trunk passwords; no response, log line or audit entry may hold them.
const (
	trunkInPassword  = "inbound-Pa55-word"
	trunkOutPassword = "outbound-Pa55-word"
)

// withTrunks replaces h's server by one that manages trunks through a
// real repo on h's database, and returns the repo.
func withTrunks(t *testing.T, h *harness) *trunk.Repo {
	t.Helper()
	repo, err := trunk.New(trunk.Config{DB: h.db, Keys: h.core.Provider, Audit: h.audit, Logger: h.logger,
		Resolve: func(context.Context, string) ([]netip.Addr, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := admin.New(admin.Config{
		CertFile: filepath.Join(h.core.Dir, "tls", "cert.pem"), KeyFile: filepath.Join(h.core.Dir, "tls", "key.pem"),
		Tokenizer: h.tk, Audit: h.audit, Keys: h.keys, Trunks: repo,
		Registry: prometheus.NewRegistry(), Logger: h.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv, h.h = srv, srv.Handler()
	return repo
}

// trunkDoc is a valid trunk document with both passwords.
func trunkDoc() map[string]any {
	return map[string]any{
		"id": "pbx-main", "host": "pbx.example.com", "description": "head office",
		"allow_from":    []string{"192.0.2.0/24"},
		"inbound_auth":  map[string]any{"username": "pbx", "password": trunkInPassword},
		"outbound_auth": map[string]any{"username": "kordon", "password": trunkOutPassword},
		"routes":        map[string]any{phone2E164: "sales", "*": "reception"},
		"limits":        map[string]any{"ring_timeout": "20s"},
	}
}

func TestTrunksCRUD(t *testing.T) {
	h := newHarness(t, nil)
	repo := withTrunks(t, h)
	tok := h.key(t, tokenizer.ScopeConfig)

	rec := h.do(t, request{path: "/api/v1/trunks", token: tok, body: trunkDoc()})
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/trunks/pbx-main" {
		t.Fatalf("create: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	created := rec.Body.String()
	if strings.Contains(created, "password") || !strings.Contains(created, `"inbound_auth":{"username":"pbx"}`) {
		t.Fatalf("create answered %s", created)
	}
	if rec := h.do(t, request{path: "/api/v1/trunks", token: tok, body: trunkDoc()}); rec.Code != http.StatusConflict {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}

	rec = h.do(t, request{method: http.MethodGet, path: "/api/v1/trunks/pbx-main", token: tok})
	if rec.Code != http.StatusOK || rec.Body.String() != created {
		t.Fatalf("get: %d %s, want %s", rec.Code, rec.Body, created)
	}
	var list struct {
		Trunks []json.RawMessage `json:"trunks"`
	}
	rec = h.do(t, request{method: http.MethodGet, path: "/api/v1/trunks", token: tok})
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK || len(list.Trunks) != 1 || string(list.Trunks[0]) != created {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}

	// Full replace with what GET returned, edited: passwords are kept.
	var doc map[string]any
	json.Unmarshal([]byte(created), &doc)
	doc["port"] = 5071
	delete(doc, "id") // taken from the path
	rec = h.do(t, request{method: http.MethodPut, path: "/api/v1/trunks/pbx-main", token: tok, body: doc})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"port":5071`) {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	s, err := repo.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := s.Get("pbx-main"); !ok || tr.Port != 5071 || tr.Inbound.Password.Reveal() != trunkInPassword || tr.Outbound.Password.Reveal() != trunkOutPassword {
		t.Fatalf("after update the set holds %+v", tr)
	}
	doc["id"] = "renamed"
	if rec := h.do(t, request{method: http.MethodPut, path: "/api/v1/trunks/pbx-main", token: tok, body: doc}); rec.Code != http.StatusBadRequest {
		t.Fatalf("rename: %d %s", rec.Code, rec.Body)
	}
	if rec := h.do(t, request{method: http.MethodPut, path: "/api/v1/trunks/ghost", token: tok, body: map[string]any{"host": "192.0.2.1"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("update missing: %d %s", rec.Code, rec.Body)
	}

	if rec := h.do(t, request{method: http.MethodDelete, path: "/api/v1/trunks/pbx-main", token: tok}); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		problem(t, h.do(t, request{method: m, path: "/api/v1/trunks/pbx-main", token: tok}), http.StatusNotFound)
	}
	var actions []string
	all, bodies := h.entries(t)
	for _, e := range all {
		if strings.HasPrefix(e.Action, "trunk.") {
			actions = append(actions, e.Action+" "+e.Result+" "+e.Detail["trunk"])
		}
	}
	want := []string{"trunk.create ok pbx-main", "trunk.update ok pbx-main", "trunk.delete ok pbx-main"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	for _, b := range bodies {
		if bytes.Contains(b, []byte(trunkInPassword)) || bytes.Contains(b, []byte(trunkOutPassword)) || bytes.Contains(b, []byte("4957654321")) {
			t.Fatalf("audit entry holds a secret or a route number: %s", b)
		}
	}
	logs := h.logs.String()
	if strings.Contains(logs, trunkInPassword) || strings.Contains(logs, trunkOutPassword) {
		t.Fatal("a password reached the log")
	}
}

// trunkProblemBody is the problem document of a failed validation.
type trunkProblemBody struct {
	problemBody
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func TestTrunksBadRequests(t *testing.T) {
	h := newHarness(t, nil)
	withTrunks(t, h)
	tok := h.key(t, tokenizer.ScopeConfig)

	bad := trunkDoc()
	bad["transport"], bad["port"], bad["codecs"] = "udp", 70000, []string{"G729"}
	bad["description"] = "call " + phone2E164
	bad["inbound_auth"] = map[string]any{"username": "pbx", "password": "short"}
	rec := h.do(t, request{path: "/api/v1/trunks", token: tok, body: bad})
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("invalid trunk: %d %s", rec.Code, rec.Body)
	}
	var p trunkProblemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
		if !strings.Contains(p.Detail, e.Field+": "+e.Detail) {
			t.Errorf("detail %q does not list %s", p.Detail, e.Field)
		}
	}
	want := []string{"description", "port", "transport", "inbound_auth.password", "codecs[0]"}
	if diff := cmp.Diff(want, fields); diff != "" || p.Type != "urn:kordon:problem:invalid" || p.RequestID == "" {
		t.Fatalf("problem %+v; fields (-want +got):\n%s", p, diff)
	}
	assertNoSecrets(t, "validation problem", rec.Body.String())
	if strings.Contains(rec.Body.String(), "short") {
		t.Fatal("the problem repeats the password")
	}

	tests := []struct {
		name   string
		r      request
		status int
		want   string
	}{
		{"unknown field", request{path: "/api/v1/trunks", token: tok, body: `{"id":"a","host":"h","hots":"x"}`}, http.StatusBadRequest, `unknown field "hots"`},
		{"unknown nested field", request{path: "/api/v1/trunks", token: tok, body: `{"id":"a","host":"h","tls":{"cafile":"x"}}`}, http.StatusBadRequest, `unknown field "cafile"`},
		{"wrong type", request{path: "/api/v1/trunks", token: tok, body: `{"id":"a","host":"h","port":"5061"}`}, http.StatusBadRequest, "port: wrong type"},
		{"bad network", request{path: "/api/v1/trunks", token: tok, body: `{"id":"a","host":"h","allow_from":["` + phoneE164 + `"]}`}, http.StatusBadRequest, "allow_from"},
		{"not json", request{path: "/api/v1/trunks", token: tok, body: `id=a`}, http.StatusBadRequest, "not valid JSON"},
		{"media type", request{path: "/api/v1/trunks", token: tok, body: `{}`, contentType: "text/plain"}, http.StatusUnsupportedMediaType, "application/json"},
		{"malformed id", request{method: http.MethodGet, path: "/api/v1/trunks/" + phoneE164[1:], token: tok}, http.StatusNotFound, "no trunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problem(t, h.do(t, tt.r), tt.status)
			if !strings.Contains(p.Detail, tt.want) {
				t.Fatalf("detail %q, want %q", p.Detail, tt.want)
			}
			assertNoSecrets(t, tt.name, p.Detail)
		})
	}
}

func TestTrunksScope(t *testing.T) {
	h := newHarness(t, nil)
	withTrunks(t, h)
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeAudit)
	for _, r := range []request{
		{method: http.MethodGet, path: "/api/v1/trunks", token: tok},
		{path: "/api/v1/trunks", token: tok, body: trunkDoc()},
		{method: http.MethodDelete, path: "/api/v1/trunks/pbx-main", token: tok},
	} {
		problem(t, h.do(t, r), http.StatusForbidden)
	}
	for _, action := range []string{audit.ActionTrunkRead, audit.ActionTrunkCreate, audit.ActionTrunkDelete} {
		if e, ok := h.lastEntry(t, action); !ok || e.Result != audit.ResultDenied || e.Actor.ID != keyID(tok) {
			t.Errorf("%s refusal not audited: %+v", action, e)
		}
	}
}

func TestTrunksNotConfigured(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.key(t, tokenizer.ScopeConfig)
	problem(t, h.do(t, request{method: http.MethodGet, path: "/api/v1/trunks", token: tok}), http.StatusServiceUnavailable)
	problem(t, h.do(t, request{path: "/api/v1/trunks", token: tok, body: trunkDoc()}), http.StatusServiceUnavailable)
}
