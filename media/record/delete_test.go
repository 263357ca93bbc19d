package record

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

func TestDelete(t *testing.T) {
	forEachProvider(t, func(t *testing.T, adjust func(*Config)) {
		e := newEnv(t, adjust)
		ctx := context.Background()
		id := e.record(t, "call_del", newTalk(1, 60))
		keep := e.record(t, "call_del", newTalk(2, 60))
		path := filepath.Join(e.dir, id+fileSuffix)
		e.clock.Advance(time.Hour)
		if err := e.s.Delete(ctx, eraser, id, string(tokenizer.ReasonSubjectRequest)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the file is still there: %v", err)
		}
		got := e.info(t, "call_del", id)
		if !got.Deleted.Equal(e.clock.Now()) || got.DeleteReason != "subject-request" {
			t.Errorf("tombstone deleted %v for %q", got.Deleted, got.DeleteReason)
		}
		var wrapped string
		e.DB.Read().QueryRow(`SELECT wrapped_key FROM recordings WHERE id = ?`, id).Scan(&wrapped)
		if wrapped != "" {
			t.Error("the tombstone kept its wrapped key")
		}
		want := audit.Entry{Actor: eraser.Actor, RequestID: eraser.RequestID, Action: audit.ActionRecordingDelete, Result: audit.ResultOK,
			Detail: map[string]string{"recording": id, "call": "call_del", "reason": "subject-request"}}
		if diff := cmp.Diff(want, e.lastEntry(t), cmpopts.IgnoreFields(audit.Entry{}, "Seq", "Time")); diff != "" {
			t.Errorf("audit entry (-want +got):\n%s", diff)
		}
		_, _, err := e.s.Open(ctx, listener, id)
		wantKind(t, err, fault.Erased)
		wantKind(t, e.s.Delete(ctx, eraser, id, string(tokenizer.ReasonError)), fault.Erased)
		if en := e.lastEntry(t); en.Result != audit.ResultErased {
			t.Errorf("second delete audited as %q, want erased", en.Result)
		}
		e.checkPlays(t, keep, newTalk(2, 60), 60)
		e.verifyAudit(t)
	})
}

func TestDeleteRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.record(t, "call_keep", newTalk(3, 20))
	live, err := e.s.Create(ctx, "call_live")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	tests := []struct {
		name   string
		p      tokenizer.Principal
		id     string
		reason string
		kind   fault.Kind
		result string
	}{
		{"no principal", tokenizer.Principal{}, id, "error", fault.Unauthorized, audit.ResultDenied},
		{"read scope only", listener, id, "error", fault.Denied, audit.ResultDenied},
		{"free-text reason", eraser, id, "he asked, call him at 89123456789", fault.Invalid, audit.ResultInvalid},
		{"no reason", eraser, id, "", fault.Invalid, audit.ResultInvalid},
		{"malformed ID", eraser, "rec_x", "error", fault.Invalid, audit.ResultInvalid},
		{"unknown", eraser, newID(), "error", fault.NotFound, audit.ResultNotFound},
		{"in progress", eraser, live.ID(), "error", fault.Conflict, audit.ResultError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, e.s.Delete(ctx, tt.p, tt.id, tt.reason), tt.kind)
			en := e.lastEntry(t)
			if en.Action != audit.ActionRecordingDelete || en.Result != tt.result || en.Actor != tt.p.Actor {
				t.Errorf("audit entry %+v, want result %s", en, tt.result)
			}
			if en.Detail["reason"] != "" && !tokenizer.Reason(en.Detail["reason"]).Valid() {
				t.Errorf("free-text reason %q reached the audit log", en.Detail["reason"])
			}
		})
	}
	e.checkPlays(t, id, newTalk(3, 20), 20)
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Delete(ctx, eraser, live.ID(), "error"); err != nil {
		t.Errorf("Delete after Close: %v", err)
	}
}
