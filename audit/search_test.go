package audit

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kordon/store"
	"kordon/types/fault"
)

var auditor = Actor{Type: ActorUser, ID: "auditor"}

// searchLog builds a small log with known content.
func searchLog(t *testing.T) (*store.DB, *Log, []Entry) {
	t.Helper()
	db, l := newLog(t, tempPath(t), nil)
	at := func(min int) time.Time { return time.Date(2026, 3, 1, 10, min, 0, 0, time.UTC) }
	h := func(c byte) string { return strings.Repeat(string(c), 32) }
	es := []Entry{
		{Time: at(0), Actor: Actor{ActorAPIKey, "ak_a"}, Action: ActionTokenize, Codes: []string{testCode(0)}, ValueHashes: []string{h('a')}, Result: ResultOK},
		{Time: at(1), Actor: Actor{ActorAPIKey, "ak_b"}, Action: ActionResolve, Purpose: "crm", Reference: "DEAL-1", Codes: []string{testCode(0), testCode(1)}, Result: ResultOK},
		{Time: at(2), Actor: Actor{ActorUser, "anna"}, Action: ActionErase, Codes: []string{testCode(1)}, Result: ResultOK, Detail: map[string]string{"action": "tokenize", "id": "ak_a"}},
		{Time: at(3), Action: ActionAuthFail, Remote: "10.0.0.9", Result: ResultDenied, Reason: "unknown API key"},
		{Time: at(4), Actor: Actor{ActorAPIKey, "ak_b"}, Action: ActionTokenize, Codes: []string{testCode(2)}, ValueHashes: []string{h('b'), h('a')}, Result: ResultOK},
		{Time: at(5).Add(500 * time.Millisecond), Actor: Actor{ActorAPIKey, "ak_a"}, Action: ActionResolve, Codes: []string{testCode(2)}, Result: ResultNotFound},
	}
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for i := range es {
			seq, err := l.Append(tx, es[i])
			if err != nil {
				return err
			}
			es[i].Seq = seq
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, l, es
}

func seqs(es []Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestSearch(t *testing.T) {
	at := func(min, sec int) time.Time { return time.Date(2026, 3, 1, 10, min, sec, 0, time.UTC) }
	lower := strings.ToLower(testCode(1))
	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"everything", Filter{}, []int64{0, 1, 2, 3, 4, 5}},
		{"code, any spelling", Filter{Code: lower}, []int64{1, 2}},
		{"value hash", Filter{ValueHash: strings.Repeat("a", 32)}, []int64{0, 4}},
		{"action (not fooled by a detail key)", Filter{Action: ActionTokenize}, []int64{0, 4}},
		{"actor (not fooled by a detail key)", Filter{ActorID: "ak_a"}, []int64{0, 5}},
		{"time range", Filter{From: at(1, 0), To: at(4, 0)}, []int64{1, 2, 3}},
		{"sub-millisecond bounds", Filter{From: at(5, 0).Add(499*time.Millisecond + 999*time.Microsecond), To: at(5, 0).Add(500*time.Millisecond + time.Microsecond)}, []int64{5}},
		{"to excludes its own instant", Filter{To: at(5, 0).Add(500 * time.Millisecond)}, []int64{0, 1, 2, 3, 4}},
		{"combined", Filter{ActorID: "ak_b", Action: ActionTokenize}, []int64{4}},
		{"page", Filter{AfterSeq: 1, Limit: 2}, []int64{2, 3}},
		{"last page", Filter{AfterSeq: 4, Limit: 2}, []int64{5}},
		{"nothing", Filter{ActorID: "nobody"}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, l, _ := searchLog(t)
			got, err := l.Search(context.Background(), auditor, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, seqs(got)); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
			// The search itself is the newest entry.
			all, err := l.Search(context.Background(), auditor, Filter{Action: ActionAuditRead})
			if err != nil {
				t.Fatal(err)
			}
			rec := all[0]
			if rec.Seq != 6 || rec.Actor != auditor || rec.Detail["returned"] != strconv.Itoa(len(tt.want)) {
				t.Errorf("audit.read entry %+v", rec)
			}
			if tt.f.Code != "" && (len(rec.Codes) != 1 || rec.Codes[0] != testCode(1)) {
				t.Errorf("audit.read entry does not name the code searched for: %v", rec.Codes)
			}
			mustVerify(t, db, l)
		})
	}
}

func TestSearchFindsWhoSearched(t *testing.T) {
	_, l, _ := searchLog(t)
	ctx := context.Background()
	if _, err := l.Search(ctx, Actor{ActorUser, "mallory"}, Filter{Code: testCode(2)}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Search(ctx, auditor, Filter{Code: testCode(2)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{4, 5, 6}, seqs(got)); diff != "" || got[2].Actor.ID != "mallory" || got[2].Action != ActionAuditRead {
		t.Errorf("a search for a code does not show who searched for it before: %+v", got)
	}
}

func TestSearchLimits(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), nil)
	appendN(t, db, l, 0, 1100)
	for _, tt := range []struct{ limit, want int }{{0, 100}, {5, 5}, {5000, 1000}} {
		got, err := l.Search(ctx, auditor, Filter{Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("limit %d: %d entries, want %d", tt.limit, len(got), tt.want)
		}
	}
}

func TestSearchRefuses(t *testing.T) {
	_, l, _ := searchLog(t)
	from := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		reader Actor
		f      Filter
	}{
		{"anonymous reader", Actor{}, Filter{}},
		{"reader of unknown type", Actor{"robot", "r2"}, Filter{}},
		{"bad code", auditor, Filter{Code: "+79161234567"}},
		{"bad value hash", auditor, Filter{ValueHash: "79161234567"}},
		{"bad action", auditor, Filter{Action: "DROP TABLE"}},
		{"empty time range", auditor, Filter{From: from, To: from}},
		{"negative limit", auditor, Filter{Limit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Search(context.Background(), tt.reader, tt.f)
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("Search: %v, want Invalid", err)
			}
			if strings.Contains(err.Error(), "9161234567") {
				t.Errorf("error repeats the value: %v", err)
			}
		})
	}
}
