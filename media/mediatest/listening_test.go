package mediatest

import (
	"net"
	"testing"
)

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:13C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:13C5 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0200A8C0:13C6 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
`

func TestProcNetHas(t *testing.T) {
	tests := []struct {
		port int
		want bool
	}{
		{5060, true},  // 13C4, listening on 127.0.0.1
		{5061, false}, // an established connection, not a listener
		{5062, false}, // listening, but on 192.168.0.2
		{5063, false},
	}
	for _, tt := range tests {
		if got := procNetHas(procNetTCP, "tcp", tt.port); got != tt.want {
			t.Errorf("port %d: %v, want %v", tt.port, got, tt.want)
		}
	}
}

func TestListening(t *testing.T) {
	port := PortBlock(t, 1)
	if listening("tcp", port) {
		t.Fatal("free port reported listening")
	}
	l, err := net.Listen("tcp", addr(port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !listening("tcp", port) {
		t.Error("listener not seen")
	}
	c, err := net.ListenPacket("udp", addr(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !listening("udp", port) {
		t.Error("UDP socket not seen")
	}
}

// FuzzProcNetHas: arbitrary text never panics, and the line the function
// is meant to find is always found.
func FuzzProcNetHas(f *testing.F) {
	f.Add(procNetTCP, uint16(5060))
	f.Fuzz(func(t *testing.T, text string, port uint16) {
		procNetHas(text, "tcp", int(port))
		line := "0: 0100007F:" + hex4(port) + " 00000000:0000 0A x"
		if !procNetHas(text+"\n"+line, "tcp", int(port)) {
			t.Fatalf("listener line for %d not found", port)
		}
	})
}

func hex4(p uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[p>>12], digits[p>>8&15], digits[p>>4&15], digits[p&15]})
}
