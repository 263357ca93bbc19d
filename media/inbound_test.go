package media_test

import (
	"context"
	"encoding/json"
	"fmt"
	"kordon/media"
	"strings"
	"testing"
	"time"

	"kordon/media/loadgen"
	"kordon/media/mediatest"
	"kordon/media/sdp"
)

// TestInboundTLSSRTP places a call over TLS with each SRTP suite: the
// caller hears the prompt, and the digits it sends come back exactly.
func TestInboundTLSSRTP(t *testing.T) {
	for _, suite := range []sdp.Suite{sdp.AES_CM_128_HMAC_SHA1_80, sdp.AES_256_CM_HMAC_SHA1_80, sdp.AEAD_AES_128_GCM, sdp.AEAD_AES_256_GCM} {
		t.Run(suite.String(), func(t *testing.T) {
			e := newEnv(t, envOptions{gen: func(c *loadgen.Config) { c.Policy.Suites = []sdp.Suite{suite} }})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r := e.gen.Call(ctx, loadgen.Spec{To: "100", From: "+79161234567", DTMF: "123#", DTMFAfter: 300 * time.Millisecond, Record: true})
			if r.Err != nil {
				t.Fatalf("call: %v (status %d)", r.Err, r.Status)
			}
			if r.Suite != suite.String() {
				t.Errorf("suite = %q, want %s", r.Suite, suite)
			}
			if r.Digits != "123#" {
				t.Errorf("digits echoed = %q, want 123#", r.Digits)
			}
			if !r.RemoteBye {
				t.Errorf("the robot did not hang up")
			}
			if p := mediatest.Goertzel(r.Heard, 8000, 1000); p < 100*mediatest.Goertzel(r.Heard, 8000, 1700) {
				t.Errorf("1 kHz prompt not heard: power %.3g at 1 kHz", p)
			}
		})
	}
}

// TestInboundCarriesCodesOnly: the caller's number becomes a code at the
// edge; the call table, the events and the logs hold the code, never the
// number.
func TestInboundCarriesCodesOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const caller = "+79161234567"
	r := e.gen.Call(ctx, loadgen.Spec{To: "100", From: caller, DTMF: "#", DTMFAfter: 200 * time.Millisecond})
	if r.Err != nil {
		t.Fatalf("call: %v", r.Err)
	}
	var peer, outcome, reason string
	waitFor(t, func() bool {
		row := e.core.DB.Read().QueryRow(`SELECT COALESCE(peer,''), COALESCE(end_reason,''), COALESCE(codec,'') FROM calls`)
		return row.Scan(&peer, &reason, &outcome) == nil && reason != ""
	})
	if !strings.HasPrefix(peer, "ph_") {
		t.Errorf("calls.peer = %q, want a phone code", peer)
	}
	if reason != string(media.EndLocalBye) {
		t.Errorf("end_reason = %q, want %s", reason, media.EndLocalBye)
	}
	var evs []media.Event
	waitFor(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		evs = append(evs[:0], e.events...)
		return len(evs) == 3
	})
	var types []string
	for _, ev := range evs {
		types = append(types, string(ev.Type))
		if ev.Peer.String() != peer {
			t.Errorf("%s event peer = %v, want %s", ev.Type, ev.Peer, peer)
		}
		b, _ := json.Marshal(ev)
		mediatest.ScanForDigits(t, "event "+string(b), caller)
	}
	if got := strings.Join(types, ","); got != "call.started,call.answered,call.ended" {
		t.Errorf("events = %s", got)
	}
	mediatest.ScanForDigits(t, "logs", e.logs.String(), caller)
	mediatest.ScanForDigits(t, "calls table", dumpTable(t, e, "calls"), caller)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}

// dumpTable renders every row of a table as text.
func dumpTable(t *testing.T, e *env, table string) string {
	rows, err := e.core.DB.Read().Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}
