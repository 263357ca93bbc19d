package mediatest

import (
	"fmt"
	"os"
	"strings"
)

// listening reports whether something is bound to port on 127.0.0.1 or on
// every address: a listening socket for "tcp", a bound socket for "udp".
// It reads /proc/net instead of connecting, because a probe connection
// has side effects on some peers (stunnel opens a TLS connection to its
// target for each one).
func listening(network string, port int) bool {
	files := map[string][]string{
		"tcp": {"/proc/net/tcp", "/proc/net/tcp6"},
		"udp": {"/proc/net/udp", "/proc/net/udp6"},
	}[network]
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if procNetHas(string(b), network, port) {
			return true
		}
	}
	return false
}

// procNetHas looks for port in the text of a /proc/net/{tcp,udp}[6] file.
// Lines read "sl local_address rem_address st ...", addresses as hex
// IP:port; st 0A is TCP LISTEN, st 07 a bound UDP socket.
func procNetHas(text, network string, port int) bool {
	want := "0A"
	if network == "udp" {
		want = "07"
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != want || !strings.HasSuffix(f[1], suffix) {
			continue
		}
		ip := strings.TrimSuffix(f[1], suffix)
		switch ip {
		case "0100007F", "00000000", // 127.0.0.1, 0.0.0.0
			"00000000000000000000000000000000", // ::
			"00000000000000000000000001000000", // ::1
			"0000000000000000FFFF00000100007F": // ::ffff:127.0.0.1
			return true
		}
	}
	return false
}
