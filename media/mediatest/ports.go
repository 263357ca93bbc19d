package mediatest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Port blocks come from below Linux's ephemeral range (32768-60999 by
// default), so that no outgoing connection of another process takes a
// port a peer is about to bind.
const (
	blockSize  = 32
	firstPort  = 10000
	lastPort   = 32000
	blockCount = (lastPort - firstPort) / blockSize
)

// PortBlock reserves n (at most 32) consecutive ports on 127.0.0.1 that
// are free for both TCP and UDP, and returns the first. Peers such as
// baresip and rtpengine need ranges (SIP port and port+1 for TLS, RTP
// port ranges), which FreePort cannot give.
//
// The block is held by a lock file in the temp dir until the test ends, so
// parallel tests and parallel test binaries (go test runs packages at once)
// never share a block; a port bound by an unrelated process is detected by
// trying to bind it.
func PortBlock(t testing.TB, n int) int {
	t.Helper()
	if n < 1 || n > blockSize {
		t.Fatalf("mediatest.PortBlock: %d ports asked, 1-%d allowed", n, blockSize)
	}
	dir := filepath.Join(os.TempDir(), "kordon-mediatest-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("mediatest.PortBlock: %v", err)
	}
	start := rand.IntN(blockCount)
	for i := range blockCount {
		base := firstPort + ((start+i)%blockCount)*blockSize
		lock, ok := lockBlock(dir, base)
		if !ok {
			continue
		}
		if !portsFree(base, n) {
			lock.Close()
			continue
		}
		t.Cleanup(func() { lock.Close() })
		return base
	}
	t.Fatalf("mediatest.PortBlock: no free block of %d ports in %d-%d", n, firstPort, lastPort)
	return 0
}

// FreePort returns a port on 127.0.0.1 that is free for network ("tcp" or
// "udp"), from a reserved PortBlock of one.
func FreePort(t testing.TB, network string) int {
	t.Helper()
	if network != "tcp" && network != "udp" {
		t.Fatalf("mediatest.FreePort: network %q, want tcp or udp", network)
	}
	return PortBlock(t, 1)
}

// lockBlock takes the lock file of the block at base without waiting. The
// lock goes away with the file descriptor, also when the test binary dies.
func lockBlock(dir string, base int) (*os.File, bool) {
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(base)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// portsFree binds every port of the block for TCP and UDP and lets go.
func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		l.Close()
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// addr formats 127.0.0.1:port.
func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
