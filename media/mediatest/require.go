package mediatest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns missing peers from a
// skip into a failure. `make test` sets it, so CI cannot pass by skipping.
const RequireEnv = "KORDON_REQUIRE_PEERS"

// Require skips the test when any of bins is not on PATH, or fails it when
// RequireEnv is "1". Peer tests call it first, so that a developer without
// the Debian packages can still run the rest of the tests.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	var missing []string
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("test peers missing: %v (%s=1; run scripts/test-deps.sh)", missing, RequireEnv)
		return
	}
	t.Skipf("test peers missing: %v (install with scripts/test-deps.sh)", missing)
}
