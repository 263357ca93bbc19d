package mediatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"
)

//go:embed sipp/*.xml sipp/sdp.tmpl
var sippFiles embed.FS

// Embedded sipp scenarios (media/mediatest/sipp/*.xml), for SippArgs.Scenario.
const (
	ScenarioUAC          = "uac"           // INVITE, 200, ACK, hold, BYE from the caller
	ScenarioUACCancel    = "uac_cancel"    // INVITE, 180, CANCEL, 200, 487, ACK
	ScenarioUACRecvBye   = "uac_recv_bye"  // INVITE, 200, ACK, BYE from the callee
	ScenarioUACMalformed = "uac_malformed" // one bad INVITE (SippArgs.Malformed), refused
	ScenarioUAS          = "uas"           // the callee: 180, 200, answers BYE; Record-Route aware
)

// SippArgs configures one sipp run. sipp speaks plain TCP (-t t1: one
// connection for every call); reach a TLS server through
// StartStunnelClient and point Target at the tunnel.
type SippArgs struct {
	// Scenario is one of the Scenario constants or a path to a scenario
	// file of the caller's own (run through the same template). Default
	// ScenarioUAC.
	Scenario string
	// Malformed picks the variant for ScenarioUACMalformed (Malformed*).
	Malformed string
	// Target is host:port to send to; required except for ScenarioUAS.
	Target string
	// Service is the user part of the Request-URI and To. Default "robot".
	Service string
	// From is the user part of the From URI: the caller ID. Default "sipp".
	// A raw phone number here lets a test check that it never shows up in
	// the callee's logs.
	From string
	// SRTP offers RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 a=crypto line
	// instead of RTP/AVP. sipp sends no media at all (it has no SRTP), so
	// this tests signalling and SDP negotiation only.
	SRTP bool
	// Calls is the number of calls to place (-m). Default 1.
	Calls int
	// Rate is calls per second (-r). Default 10.
	Rate float64
	// Limit caps simultaneous calls (-l). Default: sipp's own.
	Limit int
	// Hold is how long an answered call stays up before the BYE, or how
	// long ScenarioUACCancel lets it ring before the CANCEL (-d). Default
	// 100 ms.
	Hold time.Duration
	// Timeout ends the whole run and fails it (-timeout, -timeout_error).
	// Default 60 s.
	Timeout time.Duration
	// Extra flags appended to sipp's command line.
	Extra []string
}

// SippResult is what a finished sipp run reports, from its statistics
// file (the last line of -trace_stat) and its exit code.
type SippResult struct {
	Successful int     // SuccessfulCall(C)
	Failed     int     // FailedCall(C)
	Created    int     // TotalCallCreated
	CallRate   float64 // CallRate(C): calls per second over the run
	Elapsed    time.Duration
	ExitCode   int // 0: every call succeeded; 1: some failed; others: sipp trouble

	Stats  map[string]string // the whole last statistics line by column
	Errors string            // sipp's error file: unexpected messages and the like
	Log    string            // sipp's output (final screen)
}

// Sipp is a sipp process running in the background, for ScenarioUAS.
type Sipp struct {
	Port int    // the plain-TCP port it listens on (127.0.0.1)
	Addr string // 127.0.0.1:Port
	proc *process
}

// Log returns sipp's output.
func (s *Sipp) Log() string { return s.proc.Log() }

// RunSipp runs sipp to completion and returns its result. It fails the
// test only when sipp cannot run or reports nothing; failed calls are for
// the caller to assert on.
func RunSipp(t testing.TB, args SippArgs) SippResult {
	t.Helper()
	run := prepareSipp(t, args)
	start := time.Now()
	p := startProcess(t, "sipp", run.dir, run.argv...)
	ctx, cancel := context.WithTimeout(context.Background(), run.timeout+15*time.Second)
	defer cancel()
	code, err := p.wait(ctx)
	if err != nil {
		t.Fatalf("mediatest.RunSipp: %v", err)
	}
	res := SippResult{ExitCode: code, Elapsed: time.Since(start), Log: p.Log()}
	if b, err := os.ReadFile(run.errors); err == nil {
		res.Errors = string(b)
	}
	b, err := os.ReadFile(run.stats)
	if err != nil {
		t.Fatalf("mediatest.RunSipp: no statistics (exit %d): %v\n%s", code, err, tail(res.Log, 3000))
	}
	if res.Stats, err = parseSippStats(string(b)); err != nil {
		t.Fatalf("mediatest.RunSipp: %v", err)
	}
	res.Successful, _ = strconv.Atoi(res.Stats["SuccessfulCall(C)"])
	res.Failed, _ = strconv.Atoi(res.Stats["FailedCall(C)"])
	res.Created, _ = strconv.Atoi(res.Stats["TotalCallCreated"])
	res.CallRate, _ = strconv.ParseFloat(res.Stats["CallRate(C)"], 64)
	return res
}

// StartSipp starts sipp in the background — in practice ScenarioUAS, the
// reference callee for benchmarks and for proving tunnels and proxies —
// and waits until it listens. It is stopped when the test ends.
func StartSipp(t testing.TB, args SippArgs) *Sipp {
	t.Helper()
	run := prepareSipp(t, args)
	s := &Sipp{Port: run.port, Addr: addr(run.port)}
	s.proc = startProcess(t, "sipp", run.dir, run.argv...)
	s.proc.mustBeReady(t, "listening on "+s.Addr, func() bool { return listening("tcp", s.Port) })
	return s
}

type sippRun struct {
	dir, stats, errors string
	argv               []string
	port               int
	timeout            time.Duration
}

// scenarioData fills the scenario templates.
type scenarioData struct {
	From      string
	Proto     string // RTP/AVP or RTP/SAVP
	Crypto    string // an a=crypto line, or ""
	Malformed string
	Request   string // the malformed INVITE, itself rendered from this data
}

func prepareSipp(t testing.TB, a SippArgs) sippRun {
	t.Helper()
	Require(t, "sipp")
	if a.Scenario == "" {
		a.Scenario = ScenarioUAC
	}
	if a.Service == "" {
		a.Service = "robot"
	}
	if a.From == "" {
		a.From = "sipp"
	}
	if a.Calls == 0 {
		a.Calls = 1
	}
	if a.Rate == 0 {
		a.Rate = 10
	}
	if a.Hold == 0 {
		a.Hold = 100 * time.Millisecond
	}
	if a.Timeout == 0 {
		a.Timeout = 60 * time.Second
	}
	base := PortBlock(t, 4) // SIP port, media port (+2, +3 for RTCP)
	run := sippRun{dir: t.TempDir(), port: base, timeout: a.Timeout}
	run.stats = filepath.Join(run.dir, "stats.csv")
	run.errors = filepath.Join(run.dir, "errors.log")
	argv := []string{"sipp", "-t", "t1", "-i", "127.0.0.1", "-p", strconv.Itoa(base),
		"-mp", strconv.Itoa(base + 2), "-nostdin", "-aa",
		"-trace_stat", "-stf", run.stats, "-fd", "1",
		"-trace_err", "-error_file", run.errors}
	file := filepath.Join(run.dir, "scenario.xml")
	if err := os.WriteFile(file, renderScenario(t, a), 0o600); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	argv = append(argv, "-sf", file)
	if a.Scenario != ScenarioUAS {
		if a.Target == "" {
			t.Fatalf("mediatest: sipp %s needs a Target", a.Scenario)
		}
		argv = append(argv, a.Target, "-s", a.Service,
			"-m", strconv.Itoa(a.Calls), "-r", strconv.FormatFloat(a.Rate, 'f', -1, 64),
			"-d", strconv.FormatInt(a.Hold.Milliseconds(), 10),
			"-timeout", strconv.Itoa(max(1, int(a.Timeout.Seconds())))+"s", "-timeout_error")
		if a.Limit > 0 {
			argv = append(argv, "-l", strconv.Itoa(a.Limit))
		}
	}
	run.argv = append(argv, a.Extra...)
	return run
}

// renderScenario fills an embedded (or the caller's) scenario template.
func renderScenario(t testing.TB, a SippArgs) []byte {
	t.Helper()
	var text []byte
	var err error
	if strings.HasSuffix(a.Scenario, ".xml") {
		text, err = os.ReadFile(a.Scenario)
	} else {
		text, err = sippFiles.ReadFile("sipp/" + a.Scenario + ".xml")
	}
	if err != nil {
		t.Fatalf("mediatest: sipp scenario %q: %v", a.Scenario, err)
	}
	sdp, _ := sippFiles.ReadFile("sipp/sdp.tmpl")
	d := scenarioData{From: a.From, Proto: "RTP/AVP", Malformed: a.Malformed}
	if a.SRTP {
		key := make([]byte, 30)
		_, _ = rand.Read(key)
		d.Proto = "RTP/SAVP"
		d.Crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(key)
	}
	if a.Scenario == ScenarioUACMalformed {
		req, ok := malformed[a.Malformed]
		if !ok {
			t.Fatalf("mediatest: sipp Malformed %q, want one of %v", a.Malformed, MalformedVariants())
		}
		d.Request = execTemplate(t, "request", req, d)
	}
	return []byte(execTemplate(t, "scenario", string(sdp)+string(text), d))
}

func execTemplate(t testing.TB, name, text string, d scenarioData) string {
	t.Helper()
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("mediatest: sipp %s template: %v", name, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		t.Fatalf("mediatest: sipp %s template: %v", name, err)
	}
	return b.String()
}

// parseSippStats reads sipp's -trace_stat file: a header line of column
// names and one line per dump, separated by ';'. It returns the last line
// by column name.
func parseSippStats(text string) (map[string]string, error) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		return nil, fmt.Errorf("sipp statistics: %d lines, want a header and a dump", len(lines))
	}
	names := strings.Split(lines[0], ";")
	values := strings.Split(lines[len(lines)-1], ";")
	if !strings.HasPrefix(lines[0], "StartTime;") {
		return nil, fmt.Errorf("sipp statistics: header does not start with StartTime")
	}
	m := make(map[string]string, len(names))
	for i, n := range names {
		if n == "" || i >= len(values) {
			continue
		}
		m[n] = values[i]
	}
	if _, ok := m["SuccessfulCall(C)"]; !ok {
		return nil, fmt.Errorf("sipp statistics: no SuccessfulCall(C) column in the last line")
	}
	return m, nil
}
