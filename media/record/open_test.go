package record

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/tokenizer/keys"
	"kordon/types/fault"
)

// orderAuditor checks, at the moment the read is audited, that the
// caller has no audio yet, and counts the entries.
type orderAuditor struct {
	Auditor
	handedOut *bool
	reads     int
}

func (a *orderAuditor) Record(ctx context.Context, e audit.Entry) (int64, error) {
	if e.Action == audit.ActionRecordingRead && e.Result == audit.ResultOK {
		if *a.handedOut {
			return 0, errors.New("audited after the audio was handed out")
		}
		a.reads++
	}
	return a.Auditor.Record(ctx, e)
}

func TestOpenAuditsFirst(t *testing.T) {
	e := newEnv(t, nil)
	tk := newTalk(5, 60)
	id := e.record(t, "call_audit", tk)
	handedOut := false
	oa := &orderAuditor{Auditor: e.Audit, handedOut: &handedOut}
	s, err := New(Config{DB: e.DB, Dir: e.dir, Keys: e.Provider, Audit: oa})
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(context.Background(), listener, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// The entry is durable before a byte of audio is read.
	if en := e.lastEntry(t); en.Action != audit.ActionRecordingRead || en.Result != audit.ResultOK {
		t.Fatalf("newest audit entry %+v, want the read", en)
	}
	handedOut = true
	if _, err := io.ReadAll(rc); err != nil {
		t.Fatal(err)
	}
	if oa.reads != 1 {
		t.Errorf("%d read entries, want 1", oa.reads)
	}
}

func TestOpenFailsClosedWithoutAudit(t *testing.T) {
	e := newEnv(t, nil)
	id := e.record(t, "call_noaudit", newTalk(6, 20))
	broken, err := New(Config{DB: e.DB, Dir: e.dir, Keys: e.Provider, Audit: failingAuditor{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc, size, err := broken.Open(ctx, listener, id)
	wantKind(t, err, fault.Unavailable)
	if rc != nil || size != 0 {
		t.Fatal("Open returned audio without an audit entry")
	}
	// Refusals fail closed too.
	_, _, err = broken.Open(ctx, tokenizeOnly, id)
	wantKind(t, err, fault.Unavailable)
	if err := broken.Delete(ctx, eraser, id, string(tokenizer.ReasonSubjectRequest)); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Delete without audit: %v", err)
	}
	// Nothing was deleted: the recording still plays through the real log.
	e.checkPlays(t, id, newTalk(6, 20), 20)
}

func TestOpenRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	done := e.record(t, "call_refuse", newTalk(7, 10))
	deleted := e.record(t, "call_refuse", newTalk(8, 10))
	if err := e.s.Delete(ctx, eraser, deleted, string(tokenizer.ReasonError)); err != nil {
		t.Fatal(err)
	}
	live, err := e.s.Create(ctx, "call_refuse")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	unknown := newID()
	tests := []struct {
		name   string
		p      tokenizer.Principal
		id     string
		kind   fault.Kind
		result string
	}{
		{"no principal", tokenizer.Principal{}, done, fault.Unauthorized, audit.ResultDenied},
		{"no scope", tokenizeOnly, done, fault.Denied, audit.ResultDenied},
		{"erase scope is not read scope", eraser, done, fault.Denied, audit.ResultDenied},
		{"malformed ID", listener, "../../kordon.db", fault.Invalid, audit.ResultInvalid},
		{"phone for an ID", listener, "+79123456789", fault.Invalid, audit.ResultInvalid},
		{"unknown", listener, unknown, fault.NotFound, audit.ResultNotFound},
		{"deleted", listener, deleted, fault.Erased, audit.ResultErased},
		{"in progress", listener, live.ID(), fault.Conflict, audit.ResultError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, _, err := e.s.Open(ctx, tt.p, tt.id)
			wantKind(t, err, tt.kind)
			if rc != nil {
				t.Fatal("reader returned with the error")
			}
			en := e.lastEntry(t)
			if en.Action != audit.ActionRecordingRead || en.Result != tt.result || en.Actor != tt.p.Actor || en.Reason == "" {
				t.Errorf("audit entry %+v, want action %s result %s by %v", en, audit.ActionRecordingRead, tt.result, tt.p.Actor)
			}
			if tt.kind == fault.Invalid && en.Detail["recording"] != "" {
				t.Errorf("a malformed ID reached the audit log: %q", en.Detail["recording"])
			}
			for _, s := range []string{err.Error(), en.Reason} {
				if strings.Contains(s, "79123456789") {
					t.Errorf("%q echoes the phone-shaped input", s)
				}
			}
		})
	}
}

// failingKeys is a key provider whose Unwrap fails, as Vault down would.
type failingKeys struct{ keys.Provider }

func (failingKeys) Unwrap(context.Context, string) ([]byte, error) { return nil, keys.ErrUnavailable }

func TestOpenKeysUnavailable(t *testing.T) {
	e := newEnv(t, nil)
	id := e.record(t, "call_keys", newTalk(9, 10))
	s, err := New(Config{DB: e.DB, Dir: e.dir, Keys: failingKeys{e.Provider}, Audit: e.Audit})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Open(context.Background(), listener, id)
	wantKind(t, err, fault.Unavailable)
	if !errors.Is(err, keys.ErrUnavailable) {
		t.Errorf("err = %v, want it to wrap keys.ErrUnavailable", err)
	}
	if en := e.lastEntry(t); en.Result != audit.ResultError {
		t.Errorf("audit result %q, want error", en.Result)
	}
}

var _ Auditor = failingAuditor{}
