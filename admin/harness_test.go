package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"golang.org/x/mod/sumdb/note"

	"kordon/admin"
	"kordon/admin/apikey"
	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/tokenizertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Raw test values. Tests assert that none of them (nor the digits of the
// phones) shows up in logs, metrics or error responses.
const (
	phone      = "8 (912) 345-67-89" // +79123456789 once normalized
	phoneE164  = "+79123456789"
	phone2     = "+7 495 765-43-21"
	phone2E164 = "+74957654321"
	name       = "Пётр Иванов"
)

// secrets lists every spelling of the raw values that must never leak.
var secrets = []string{phone, phoneE164, "79123456789", "9123456789", "912345", phone2, phone2E164, "74957654321", "4957654", name, "Пётр", "Иванов", "петр", "иванов"}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of slog.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is one appliance's admin API over a real database, key provider,
// audit log, tokenizer and API-key store, served through Handler.
type harness struct {
	core     *tokenizertest.Env
	db       *store.DB
	audit    *audit.Log
	tk       *tokenizer.Tokenizer
	keys     *apikey.Store
	srv      *admin.Server
	h        http.Handler
	reg      *prometheus.Registry
	logs     *syncBuffer
	logger   *slog.Logger
	verifier note.Verifier
}

// newHarness builds a harness; edit adjusts the admin Config.
func newHarness(t *testing.T, edit func(*admin.Config)) *harness {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	core := tokenizertest.New(t, tokenizertest.Options{Logger: logger, Origin: "kordon.test/admin"})
	dir, db, prov, log, tk := core.Dir, core.DB, core.Provider, core.Audit, core.Tokenizer
	verifier, err := core.Ring.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := apikey.New(apikey.Config{DB: db, Audit: log, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg := admin.Config{
		CertFile: filepath.Join(dir, "tls", "cert.pem"), KeyFile: filepath.Join(dir, "tls", "key.pem"),
		Tokenizer: tk, Audit: log, Keys: ks, Registry: reg, Logger: logger,
		Ready: func(ctx context.Context) error {
			if err := db.Read().PingContext(ctx); err != nil {
				return err
			}
			_, err := prov.Status(ctx)
			return err
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{core: core, db: db, audit: log, tk: tk, keys: ks, srv: srv, h: srv.Handler(), reg: reg, logs: logs, logger: logger, verifier: verifier}
}

// key creates an API key with scopes and returns its token.
func (h *harness) key(t *testing.T, scopes ...tokenizer.Scope) string {
	t.Helper()
	_, tok, err := h.keys.Create(context.Background(), audit.Actor{Type: audit.ActorCLI, ID: "root"}, "test key", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// keyID returns the id part of a token.
func keyID(token string) string { return strings.Split(token, "_")[1] }

// request is one API call.
type request struct {
	method, path string
	token        string
	body         any // string: sent as is; otherwise JSON-encoded
	contentType  string
	header       map[string]string
	chunked      bool // send no Content-Length
}

// do sends r through the handler.
func (h *harness) do(t *testing.T, r request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	if r.method == "" {
		r.method = http.MethodPost
	}
	req := httptest.NewRequest(r.method, r.path, body)
	req.RemoteAddr = "192.0.2.10:40000"
	if r.chunked {
		req.ContentLength = -1
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec
}

// post sends a JSON body with a token and decodes a 200 answer into out.
func (h *harness) post(t *testing.T, path, token string, body, out any) {
	t.Helper()
	rec := h.do(t, request{path: path, token: token, body: body})
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("POST %s: decode %s: %v", path, rec.Body, err)
	}
}

// entries returns the whole audit log with the stored bodies, read
// without auditing the read.
func (h *harness) entries(t *testing.T) ([]audit.Entry, [][]byte) {
	return h.core.Entries(t)
}

// lastEntry returns the newest audit entry with action.
func (h *harness) lastEntry(t *testing.T, action string) (audit.Entry, bool) {
	t.Helper()
	all, _ := h.entries(t)
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Action == action {
			return all[i], true
		}
	}
	return audit.Entry{}, false
}

// problemBody is an RFC 9457 problem document.
type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// problem checks that rec is a problem+json response with status and
// returns it.
func problem(t *testing.T, rec *httptest.ResponseRecorder, status int) problemBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p problemBody
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", rec.Body, err)
	}
	if !strings.HasPrefix(p.Type, "urn:kordon:problem:") || p.Title == "" || p.Status != status || p.Detail == "" ||
		p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-ID") {
		t.Fatalf("malformed problem %+v", p)
	}
	return p
}

// itemErr is the error of one item of a batch answer.
type itemErr struct {
	Kind   string `json:"kind"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

type tokenizeResults struct {
	Results []struct {
		Code    string   `json:"code"`
		Created *bool    `json:"created"`
		Error   *itemErr `json:"error"`
	} `json:"results"`
}

type resolveResults struct {
	Results []struct {
		Code  string   `json:"code"`
		Kind  string   `json:"kind"`
		Value *string  `json:"value"`
		Error *itemErr `json:"error"`
	} `json:"results"`
}

type eraseResults struct {
	Results []struct {
		Code   string   `json:"code"`
		Erased bool     `json:"erased"`
		Error  *itemErr `json:"error"`
	} `json:"results"`
}

type searchResults struct {
	Entries   []json.RawMessage `json:"entries"`
	NextAfter *int64            `json:"next_after"`
}
