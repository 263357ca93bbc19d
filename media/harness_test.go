package media_test

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"kordon/audit"
	"kordon/media"
	"kordon/media/loadgen"
	"kordon/media/mediatest"
	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/tokenizer"
	"kordon/tokenizer/tokenizertest"
)

// admin is the principal tests configure trunks as.
var admin = tokenizer.Principal{
	Actor:  audit.Actor{Type: audit.ActorCLI, ID: "test"},
	Scopes: []tokenizer.Scope{tokenizer.ScopeConfig},
}

// env is an edge with a real core (SQLite, tokenizer, audit), a trunk
// repository and a load generator to call it.
type env struct {
	t      *testing.T
	core   *tokenizertest.Env
	pki    *mediatest.PKI
	trunks *trunk.Repo
	edge   *media.Edge
	gen    *loadgen.Generator
	logs   *syncBuffer

	mu     sync.Mutex
	events []media.Event
}

type envOptions struct {
	handler media.Handler
	trunk   func(*trunk.Trunk)
	gen     func(*loadgen.Config)
}

// syncBuffer collects log output for the privacy scans.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.core = tokenizertest.New(t, tokenizertest.Options{Logger: logger})
	e.pki = mediatest.NewPKI(t)
	repo, err := trunk.New(trunk.Config{DB: e.core.DB, Keys: e.core.Provider, Audit: e.core.Audit, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e.trunks = repo
	tr := trunk.Trunk{
		ID:        "pbx",
		Host:      "127.0.0.1",
		AllowFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		TLS:       trunk.TLS{CA: readFile(t, e.pki.CACert)},
		Routes:    map[string]string{"*": "welcome"},
	}
	if o.trunk != nil {
		o.trunk(&tr)
	}
	ctx := context.Background()
	if _, err := repo.Create(ctx, admin, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if o.handler == nil {
		o.handler = echoRobot(tone(1000, 2*time.Second))
	}
	edge, err := media.New(media.Config{
		Listen:      "127.0.0.1:0",
		Certificate: e.pki.ServerTLS().Certificates[0],
		Advertise:   netip.MustParseAddr("127.0.0.1"),
		Media:       stream.Config{Bind: netip.MustParseAddr("127.0.0.1"), PortMin: 31000, PortMax: 32999},
		Trunks:      repo,
		Tokenizer:   e.core.Tokenizer,
		DB:          e.core.DB,
		Handler:     o.handler,
		Events: func(ev media.Event) {
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
		},
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.edge = edge
	run(t, edge.Run)
	<-edge.Ready()

	gc := loadgen.Config{
		Target: edge.Addr().String(),
		TLS:    e.pki.ClientTLS(),
		Media:  stream.Config{Bind: netip.MustParseAddr("127.0.0.1"), PortMin: 33000, PortMax: 34999},
	}
	if o.gen != nil {
		o.gen(&gc)
	}
	gen, err := loadgen.New(gc)
	if err != nil {
		t.Fatal(err)
	}
	e.gen = gen
	run(t, gen.Run)
	<-gen.Ready()
	return e
}

// run runs f until the test ends and checks it returned cleanly.
func run(t *testing.T, f func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("run did not return within 20s of cancel")
		}
	})
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tone is a sine at freq Hz, 8 kHz, half scale.
func tone(freq float64, d time.Duration) []int16 {
	n := int(d.Seconds() * 8000)
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(16000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return pcm
}

// echoRobot plays prompt, then reads DTMF until '#' (or 5 s of silence)
// and sends the digits back before hanging up.
func echoRobot(prompt []int16) media.Handler {
	return media.HandlerFunc(func(ctx context.Context, c *media.Call) {
		m := c.Media()
		play := make(chan error, 1)
		go func() { play <- m.Play(ctx, prompt) }()
		var got []byte
		timeout := time.NewTimer(5 * time.Second)
		defer timeout.Stop()
	read:
		for {
			select {
			case d := <-m.DTMF():
				got = append(got, d)
				if d == '#' {
					break read
				}
			case <-timeout.C:
				break read
			case <-ctx.Done():
				<-play
				return
			}
		}
		<-play
		if len(got) > 0 {
			m.SendDTMF(ctx, string(got), 100*time.Millisecond)
		}
	})
}
