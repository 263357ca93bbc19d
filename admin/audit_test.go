package admin_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"kordon/audit"
	"kordon/tokenizer"
)

// TestAuditSearch finds the tokenize entry of a value by posting the value
// (spelt differently), and by code, and pages through results.
func TestAuditSearch(t *testing.T) {
	h := newHarness(t, nil)
	crm := h.key(t, tokenizer.ScopeTokenize)
	auditor := h.key(t, tokenizer.ScopeAudit)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", crm, map[string]any{"kind": "phone", "values": []string{phone, phone2}}, &tr)
	code := tr.Results[0].Code

	var byValue searchResults
	h.post(t, "/api/v1/audit/search", auditor, map[string]any{"kind": "phone", "value": phoneE164}, &byValue)
	entries := decodeEntries(t, byValue.Entries)
	if len(entries) != 1 || entries[0].Action != audit.ActionTokenize || entries[0].Actor.ID != keyID(crm) || entries[0].Codes[0] != code {
		t.Fatalf("search by value found %+v", entries)
	}
	read, ok := h.lastEntry(t, audit.ActionAuditRead)
	if !ok || read.Actor.ID != keyID(auditor) || len(read.ValueHashes) != 1 || read.ValueHashes[0] != entries[0].ValueHashes[0] {
		t.Fatalf("the search was not audited with the value hash: %+v", read)
	}

	var byCode searchResults
	rec := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit?code=" + url.QueryEscape(strings.ToLower(code)), token: auditor})
	if rec.Code != http.StatusOK {
		t.Fatalf("search by code: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &byCode); err != nil {
		t.Fatal(err)
	}
	if got := decodeEntries(t, byCode.Entries); len(got) != 1 || got[0].Seq != entries[0].Seq {
		t.Fatalf("search by code found %+v", got)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}

	// Paging: every entry, one at a time.
	all, _ := h.entries(t)
	var seen []int64
	after := ""
	for range len(all) + 2 {
		var page searchResults
		rec := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit?limit=1&action=apikey.create" + after, token: auditor})
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("page: %d %s", rec.Code, rec.Body)
		}
		for _, e := range decodeEntries(t, page.Entries) {
			seen = append(seen, e.Seq)
		}
		if page.NextAfter == nil {
			break
		}
		after = "&after=" + strconv.FormatInt(*page.NextAfter, 10)
	}
	if len(seen) != 2 {
		t.Fatalf("paged through apikey.create entries %v, want 2", seen)
	}

	var none searchResults
	h.post(t, "/api/v1/audit/search", auditor, map[string]any{"kind": "name", "value": name}, &none)
	if none.Entries == nil || len(none.Entries) != 0 || none.NextAfter != nil {
		t.Fatalf("search for an unknown value: %+v", none)
	}
}

func decodeEntries(t *testing.T, raw []json.RawMessage) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCheckpointAndProof verifies the checkpoint's signature and an
// inclusion proof of the tokenize entry with audit.VerifyInclusion.
func TestCheckpointAndProof(t *testing.T) {
	h := newHarness(t, nil)
	crm := h.key(t, tokenizer.ScopeTokenize)
	auditor := h.key(t, tokenizer.ScopeAudit)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", crm, map[string]any{"kind": "phone", "values": []string{phone}}, &tr)

	var found searchResults
	h.post(t, "/api/v1/audit/search", auditor, map[string]any{"kind": "phone", "value": phone}, &found)
	if len(found.Entries) != 1 {
		t.Fatalf("want the tokenize entry, got %d", len(found.Entries))
	}
	entry := decodeEntries(t, found.Entries)[0]
	body := []byte(found.Entries[0]) // the stored bytes, as served

	rec := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit/checkpoint", token: auditor})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("checkpoint: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	cp, err := audit.ParseCheckpoint(rec.Body.Bytes(), h.verifier)
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	if cp.Size <= entry.Seq {
		t.Fatalf("checkpoint of %d entries does not cover entry %d", cp.Size, entry.Seq)
	}

	// Against the caller's checkpoint (size given), and against the one
	// the server returns with the proof.
	for _, q := range []string{"?size=" + strconv.FormatInt(cp.Size, 10), ""} {
		t.Run("query "+q, func(t *testing.T) {
			rec := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit/proof/" + strconv.FormatInt(entry.Seq, 10) + q, token: auditor})
			if rec.Code != http.StatusOK {
				t.Fatalf("proof: %d %s", rec.Code, rec.Body)
			}
			var pr struct {
				Seq        int64    `json:"seq"`
				TreeSize   int64    `json:"tree_size"`
				Hashes     []string `json:"hashes"`
				Checkpoint string   `json:"checkpoint"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &pr); err != nil {
				t.Fatal(err)
			}
			against := cp
			if q == "" {
				if against, err = audit.ParseCheckpoint([]byte(pr.Checkpoint), h.verifier); err != nil {
					t.Fatalf("proof's checkpoint: %v", err)
				}
			}
			if pr.Seq != entry.Seq || pr.TreeSize != against.Size {
				t.Fatalf("proof for %d in %d, want %d in %d", pr.Seq, pr.TreeSize, entry.Seq, against.Size)
			}
			proof := make(tlog.RecordProof, len(pr.Hashes))
			for i, s := range pr.Hashes {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil || len(b) != len(tlog.Hash{}) {
					t.Fatalf("hash %d: %q", i, s)
				}
				copy(proof[i][:], b)
			}
			if err := audit.VerifyInclusion(proof, against, entry.Seq, body); err != nil {
				t.Fatalf("VerifyInclusion: %v", err)
			}
			reencoded, err := json.Marshal(entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyInclusion(proof, against, entry.Seq, reencoded); err != nil {
				t.Fatalf("VerifyInclusion of the re-encoded entry: %v", err)
			}
			tampered := []byte(strings.Replace(string(body), `"result":"ok"`, `"result":"denied"`, 1))
			if audit.VerifyInclusion(proof, against, entry.Seq, tampered) == nil {
				t.Fatal("a tampered entry verifies")
			}
		})
	}

	rec = h.do(t, request{method: http.MethodGet, path: "/api/v1/audit/proof/100000", token: auditor})
	problem(t, rec, http.StatusNotFound)
	rec = h.do(t, request{method: http.MethodGet, path: "/api/v1/audit/proof/0?size=100000", token: auditor})
	problem(t, rec, http.StatusBadRequest)
}

// TestMetrics checks the series exist and carry no personal data.
func TestMetrics(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.key(t, tokenizer.ScopeTokenize, tokenizer.ScopeResolve)
	var tr tokenizeResults
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone, phone2, "nonsense"}}, &tr)
	h.post(t, "/api/v1/tokenize", tok, map[string]any{"kind": "phone", "values": []string{phone}}, &tr)
	var rr resolveResults
	h.post(t, "/api/v1/resolve", tok, map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{tr.Results[0].Code}}, &rr)
	h.do(t, request{path: "/api/v1/resolve", token: tok, body: map[string]any{"reference": "T-1", "codes": []string{tr.Results[0].Code}}})
	h.do(t, request{path: "/api/v1/tokenize", body: map[string]any{"kind": "phone", "values": []string{phone}}})
	h.do(t, request{method: http.MethodGet, path: "/no/such/" + phoneE164})

	m := h.metrics(t)
	for _, want := range []string{
		`kordon_http_requests_total{code="200",method="POST",route="/api/v1/tokenize"} 2`,
		`kordon_http_requests_total{code="401",method="POST",route="/api/v1/tokenize"} 1`,
		`kordon_http_requests_total{code="400",method="POST",route="/api/v1/resolve"} 1`,
		`kordon_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`kordon_http_request_duration_seconds_count{route="/api/v1/resolve"} 2`,
		`kordon_tokenize_values_total{kind="phone",result="created"} 2`,
		`kordon_tokenize_values_total{kind="phone",result="existing"} 1`,
		`kordon_tokenize_values_total{kind="phone",result="invalid"} 1`,
		`kordon_resolve_codes_total{purpose="crm",result="resolved"} 1`,
		`kordon_resolve_codes_total{purpose="invalid",result="refused"} 1`,
		`kordon_auth_failures_total{reason="missing"} 1`,
		`kordon_auth_failures_total{reason="scope"} 0`,
		`kordon_ratelimited_total 0`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	assertNoSecrets(t, "metrics", m)
	for _, digits := range []string{"79123456789", "74957654321"} {
		for i := 0; i+7 <= len(digits); i++ {
			if strings.Contains(m, digits[i:i+7]) {
				t.Errorf("metrics hold %s, 7 digits of a test phone", digits[i:i+7])
			}
		}
	}
}

func (h *harness) metrics(t *testing.T) string {
	t.Helper()
	rec := h.do(t, request{method: http.MethodGet, path: "/metrics"})
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}
