package mediatest

import (
	"strings"
	"testing"
)

const sippStats = `StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);
2026-11-22	01:54:27.913659	1795312467.913659;2026-11-22	01:54:27.913659	1795312467.913659;2026-11-22	01:54:27.914193	1795312467.914193;00:00:00;00:00:00;20;0;0;0;0;0;0;0;0;0;0;0;0;
2026-11-22	01:54:27.913659	1795312467.913659;2026-11-22	01:54:27.914408	1795312467.914408;2026-11-22	01:54:29.126575	1795312469.126575;00:00:01;00:00:01;20;16.5016;16.5016;0;0;20;20;20;0;20;20;0;0;
`

func TestParseSippStats(t *testing.T) {
	m, err := parseSippStats(sippStats)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"SuccessfulCall(C)": "20", "FailedCall(C)": "0", "CallRate(C)": "16.5016", "TotalCallCreated": "20"} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	for _, bad := range []string{"", "StartTime;SuccessfulCall(C)\n", "Foo;Bar\n1;2\n", "StartTime;X\n1;2\n"} {
		if _, err := parseSippStats(bad); err == nil {
			t.Errorf("parseSippStats(%q) succeeded", bad)
		}
	}
}

// FuzzParseSippStats: no panic, and a result always has the column the
// caller relies on.
func FuzzParseSippStats(f *testing.F) {
	f.Add(sippStats)
	f.Add("StartTime;SuccessfulCall(C)\n;\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := parseSippStats(text)
		if err != nil {
			return
		}
		if _, ok := m["SuccessfulCall(C)"]; !ok {
			t.Fatal("no SuccessfulCall(C)")
		}
	})
}

// TestRenderScenarios renders every embedded scenario, so a template
// mistake shows without sipp installed.
func TestRenderScenarios(t *testing.T) {
	for _, sc := range []string{ScenarioUAC, ScenarioUACCancel, ScenarioUACRecvBye, ScenarioUAS} {
		for _, srtp := range []bool{false, true} {
			out := string(renderScenario(t, SippArgs{Scenario: sc, From: "79161234567", SRTP: srtp}))
			if !strings.HasPrefix(out, "<?xml") {
				t.Errorf("%s: does not start with the XML declaration", sc)
			}
			if srtp != strings.Contains(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") || srtp != strings.Contains(out, "RTP/SAVP") {
				t.Errorf("%s, SRTP %v: wrong media line:\n%s", sc, srtp, out)
			}
			if strings.Contains(out, "\n\n      a=") || strings.Contains(out, "{{") {
				t.Errorf("%s: template left a blank line or an action:\n%s", sc, out)
			}
			if sc != ScenarioUAS && !strings.Contains(out, "<sip:79161234567@") {
				t.Errorf("%s: From user not filled in", sc)
			}
		}
	}
	for _, v := range MalformedVariants() {
		out := string(renderScenario(t, SippArgs{Scenario: ScenarioUACMalformed, Malformed: v, From: "x"}))
		if !strings.Contains(out, "INVITE sip:[service]") || strings.Contains(out, "{{") {
			t.Errorf("%s: request not rendered", v)
		}
	}
}

func TestRequire(t *testing.T) {
	for _, env := range []string{"", "1"} {
		t.Run("env="+env, func(t *testing.T) {
			t.Setenv(RequireEnv, env)
			r := &requireRecorder{TB: t}
			Require(r, "sh")
			Require(r, "kordon-no-such-peer")
			if env == "1" && (r.fatal != 1 || r.skip != 0) || env == "" && (r.fatal != 0 || r.skip != 1) {
				t.Errorf("fatal %d, skip %d", r.fatal, r.skip)
			}
		})
	}
}

type requireRecorder struct {
	testing.TB
	fatal, skip int
}

func (r *requireRecorder) Helper()               {}
func (r *requireRecorder) Fatalf(string, ...any) { r.fatal++ }
func (r *requireRecorder) Skipf(string, ...any)  { r.skip++ }
