package mediatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a peer may take to become ready.
const startTimeout = 15 * time.Second

// stopGrace is how long a peer gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// process is one peer's child process. Its output (stdout and stderr) is
// kept in memory for readiness checks and failure messages.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{} // closed when the process has exited and err is set
	err  error
	// grace is how long the first SIGTERM has to work. Default stopGrace.
	grace time.Duration
}

// startProcess runs argv in dir, in its own process group, and registers a
// cleanup that terminates the group and waits for the process. A failed
// test gets the end of the output in its log.
func startProcess(t testing.TB, name, dir string, argv ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{name: name, out: &lockedBuffer{}, done: make(chan struct{}), grace: stopGrace}
	p.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	// A group of its own, so that stopping it also stops the children
	// (Kamailio forks its workers) and a Ctrl-C on `go test` does not race
	// the cleanup.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM) }
	p.cmd.WaitDelay = stopGrace
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("mediatest: start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		// SIGTERM first and a grace period for a clean stop (baresip
		// sends its BYEs); then the context's Cancel sends SIGTERM again
		// (baresip's forced stop) and exec kills after stopGrace.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(p.grace):
		}
		cancel()
		<-p.done
		// Children that outlived SIGTERM and their parent.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s (%s) output, last part:\n%s", name, p.cmd.Path, tail(p.out.String(), 6000))
		}
	})
	return p
}

// Log returns everything the process wrote so far.
func (p *process) Log() string { return p.out.String() }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit by itself and returns its exit code
// (-1 when it was killed or could not run).
func (p *process) wait(ctx context.Context) (int, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return -1, fmt.Errorf("%s still running: %w", p.name, ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0, nil
	case errors.As(p.err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), nil
	default:
		return -1, p.err
	}
}

// waitReady polls ready until it holds, the process exits or ctx ends.
func (p *process) waitReady(ctx context.Context, what string, ready func() bool) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready() {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before %s (%v); output:\n%s", p.name, what, p.err, tail(p.Log(), 3000))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for %s: %w; output:\n%s", p.name, what, ctx.Err(), tail(p.Log(), 3000))
		case <-tick.C:
		}
	}
}

// mustBeReady waits for ready with startTimeout and fails the test if the
// peer does not get there.
func (p *process) mustBeReady(t testing.TB, what string, ready func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := p.waitReady(ctx, what, ready); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
}

// logHas returns a readiness check for a line of output.
func (p *process) logHas(s string) func() bool {
	return func() bool { return strings.Contains(p.Log(), s) }
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutines of exec
// and readers in the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
