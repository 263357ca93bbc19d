package mediatest

import (
	"context"
	"net"
)

// dialLoopback opens a TCP connection to a peer's control port on
// 127.0.0.1. It is the package's only dialer, and it cannot reach past the
// loopback interface: mediatest drives local test peers and never talks to
// the outside (DESIGN.md §2.3, deps_test.go's TestOnlyEgressDialsOut).
func dialLoopback(ctx context.Context, port int) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr(port))
}
