package audit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestNormalize(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("MSK", 3*3600)) }
	lower := strings.ToLower(testCode(0)[:3]) + strings.ToLower(testCode(0)[3:])
	tests := []struct {
		name    string
		edit    func(*Entry)
		wantErr string // substring; "" means valid
		check   func(*testing.T, Entry)
	}{
		{name: "valid", edit: func(*Entry) {}},
		{name: "time set to UTC milliseconds", edit: func(e *Entry) { e.Time = time.Time{} }, check: func(t *testing.T, e Entry) {
			if want := time.Date(2026, 3, 1, 7, 0, 0, 123000000, time.UTC); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
				t.Errorf("time %v, want %v", e.Time, want)
			}
		}},
		{name: "no action", edit: func(e *Entry) { e.Action = "" }, wantErr: "action"},
		{name: "action with spaces", edit: func(e *Entry) { e.Action = "to kenize" }, wantErr: "action"},
		{name: "action with a phone", edit: func(e *Entry) { e.Action = "x79161234567" }, wantErr: "action"},
		{name: "no result", edit: func(e *Entry) { e.Result = "" }, wantErr: "result"},
		{name: "unknown result", edit: func(e *Entry) { e.Result = "maybe" }, wantErr: "result"},
		{name: "unknown actor type", edit: func(e *Entry) { e.Actor.Type = "robot" }, wantErr: "actor type"},
		{name: "no actor is allowed", edit: func(e *Entry) { e.Actor = Actor{} }},
		{name: "bad code", edit: func(e *Entry) { e.Codes = []string{"+79161234567"} }, wantErr: "code 0"},
		{name: "value hash that is a phone number", edit: func(e *Entry) { e.ValueHashes = []string{"79161234567"} }, wantErr: "value hash 0"},
		{name: "upper-case value hash", edit: func(e *Entry) { e.ValueHashes = []string{strings.Repeat("AB", 16)} }, wantErr: "value hash 0"},
		{name: "detail key not an identifier", edit: func(e *Entry) { e.Detail = map[string]string{"Has Space": "1"} }, wantErr: "detail key"},
		{name: "detail key with a phone", edit: func(e *Entry) { e.Detail = map[string]string{"n89161234567": "1"} }, wantErr: "detail key"},
		{name: "year out of range", edit: func(e *Entry) { e.Time = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, wantErr: "year"},
		{name: "digits masked in free text", edit: func(e *Entry) {
			e.Reason = "call +7 916 1234567 failed, 8(916)123-45-67 ok, id 123456"
			e.Reference = "T89161234567"
		}, check: func(t *testing.T, e Entry) {
			if want := "call +7 916 [redacted] failed, 8(916)123-45-67 ok, id 123456"; e.Reason != want {
				t.Errorf("reason %q, want %q", e.Reason, want)
			}
			if e.Reference != "T[redacted]" {
				t.Errorf("reference %q", e.Reference)
			}
		}},
		{name: "upper-case prefix made canonical", edit: func(e *Entry) { e.Codes = []string{strings.ToUpper(testCode(0))} }, check: func(t *testing.T, e Entry) {
			if e.Codes[0] != testCode(0) {
				t.Errorf("code %q, want %q", e.Codes[0], testCode(0))
			}
		}},
		{name: "codes made canonical without touching the caller's slice", edit: func(e *Entry) { e.Codes = []string{lower} }, check: func(t *testing.T, e Entry) {
			if e.Codes[0] != testCode(0) {
				t.Errorf("code %q, want %q", e.Codes[0], testCode(0))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(0)
			tt.edit(&e)
			orig := append([]string(nil), e.Codes...)
			callerCodes := e.Codes
			err := normalize(&e, now)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, errEntry) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("normalize: %v, want an error about %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "9161234567") || strings.Contains(err.Error(), "1234567") {
					t.Errorf("error repeats a phone number: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(orig, callerCodes); diff != "" {
				t.Errorf("caller's codes changed (-before +after):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestCanonicalJSON(t *testing.T) {
	e := Entry{
		Seq:         7,
		Time:        time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Actor:       Actor{Type: ActorUser, ID: "anna"},
		Action:      ActionErase,
		Codes:       []string{testCode(1)},
		ValueHashes: []string{strings.Repeat("0f", 16)},
		Result:      ResultOK,
		Reason:      "a \"quoted\" <tag> & \\ \n\u2028 \xff",
		Detail:      map[string]string{"z": "1", "a": "2"},
	}
	got := string(e.appendJSON(nil))
	want := `{"seq":7,"time":"2026-03-01T10:00:00.000Z","actor":{"type":"user","id":"anna"},"action":"erase",` +
		`"codes":["` + testCode(1) + `"],"value_hashes":["0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"],"result":"ok",` +
		`"reason":"a \"quoted\" \u003ctag\u003e \u0026 \\ \n\u2028 �","detail":{"a":"2","z":"1"}}`
	if got != want {
		t.Errorf("canonical JSON\n got %s\nwant %s", got, want)
	}
	m, err := json.Marshal(e)
	if err != nil || string(m) != want {
		t.Errorf("json.Marshal = %s, %v; want the canonical form", m, err)
	}
}

// FuzzEntryJSON checks that the canonical encoding is valid JSON, escapes
// strings exactly as encoding/json does, decodes back to the entry, and
// is stable under a decode/encode round trip.
func FuzzEntryJSON(f *testing.F) {
	f.Add(int64(0), int64(1772359200000), "apikey", "ak_1", "10.0.0.1:443", "tokenize", "", "DEAL-1", "phone", "ok", "", "req-1", "created", "1")
	f.Add(int64(99), int64(0), "", "", "", "x", "crm", "\"]|=\\\n", "", "denied", "\xff\u2028<&>", "", "k", "")
	f.Fuzz(func(t *testing.T, seq, ms int64, actorType, actorID, remote, action, purpose, reference, kind, result, reason, requestID, dk, dv string) {
		if ms < 0 || ms > 253402300799999 {
			return
		}
		e := Entry{
			Seq: seq, Time: time.UnixMilli(ms).UTC(), Actor: Actor{Type: actorType, ID: actorID},
			Remote: remote, Action: action, Purpose: purpose, Reference: reference, Kind: kind,
			Result: result, Reason: reason, RequestID: requestID,
		}
		if dk != "" {
			e.Detail = map[string]string{dk: dv}
		}
		body := e.appendJSON(nil)
		if !json.Valid(body) {
			t.Fatalf("invalid JSON: %q", body)
		}
		for _, s := range []string{actorID, reason, dv} {
			if !utf8.ValidString(s) {
				continue
			}
			std, _ := json.Marshal(s)
			if got := appendString(nil, s); string(got) != string(std) {
				t.Fatalf("appendString(%q) = %s, encoding/json gives %s", s, got, std)
			}
		}
		back, err := decodeEntry(body)
		if err != nil {
			t.Fatal(err)
		}
		if again := back.appendJSON(nil); string(again) != string(body) {
			t.Fatalf("not stable:\n%s\n%s", body, again)
		}
		if s, err := bodySeq(body); err != nil || s != seq {
			t.Fatalf("bodySeq = %d, %v; want %d", s, err, seq)
		}
		// Strings come back with each invalid byte replaced by U+FFFD, as
		// encoding/json does.
		want := e
		for _, p := range []*string{&want.Actor.Type, &want.Actor.ID, &want.Remote, &want.Action, &want.Purpose, &want.Reference, &want.Kind, &want.Result, &want.Reason, &want.RequestID} {
			*p = replaceEachInvalid(*p)
		}
		if want.Detail != nil {
			want.Detail = map[string]string{replaceEachInvalid(dk): replaceEachInvalid(dv)}
		}
		if diff := cmp.Diff(want, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

// replaceEachInvalid replaces each invalid UTF-8 byte of s with U+FFFD.
func replaceEachInvalid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // range yields U+FFFD for each invalid byte
	}
	return b.String()
}
