package mediatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// RTPEngine is an rtpengine daemon in userspace mode (--table=-1, no
// kernel module) on 127.0.0.1, driven through its ng control protocol. It
// is an independent SRTP implementation: offering it plain RTP/AVP with
// transport-protocol RTP/SAVP makes it answer with a=crypto lines of its
// own, so Kordon's SDES and SRTP code can be checked against a peer that
// shares none of it.
type RTPEngine struct {
	NGAddr  string // the ng control socket, 127.0.0.1:port (UDP)
	PortMin int    // media ports it allocates from
	PortMax int

	proc *process
	conn *net.UDPConn
	ng   *net.UDPAddr
	mu   sync.Mutex // one ng command at a time on conn
}

// StartRTPEngine starts rtpengine and waits until it answers a ping.
func StartRTPEngine(t testing.TB) *RTPEngine {
	t.Helper()
	Require(t, "rtpengine")
	base := PortBlock(t, blockSize)
	e := &RTPEngine{NGAddr: addr(base), PortMin: base + 2, PortMax: base + blockSize - 1}
	e.proc = startProcess(t, "rtpengine", t.TempDir(),
		"rtpengine", "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
		"--interface=127.0.0.1", "--listen-ng="+e.NGAddr,
		"--port-min="+strconv.Itoa(e.PortMin), "--port-max="+strconv.Itoa(e.PortMax),
		"--log-level=6", "--num-threads=2", "--delete-delay=0")
	e.proc.mustBeReady(t, "startup", e.proc.logHas("Startup complete"))
	var err error
	e.ng = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base}
	// An unconnected socket, written with WriteToUDP: the ng peer is local
	// and nothing here dials out.
	e.conn, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("mediatest.StartRTPEngine: %v", err)
	}
	t.Cleanup(func() { e.conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := e.Ping(ctx); err != nil {
		t.Fatalf("mediatest.StartRTPEngine: %v", err)
	}
	return e
}

// Log returns rtpengine's output.
func (e *RTPEngine) Log() string { return e.proc.Log() }

// Ping checks that rtpengine answers ng commands.
func (e *RTPEngine) Ping(ctx context.Context) error {
	r, err := e.Do(ctx, map[string]any{"command": "ping"})
	if err != nil {
		return err
	}
	if r["result"] != "pong" {
		return fmt.Errorf("rtpengine ping: result %v, want pong", r["result"])
	}
	return nil
}

// Offer sends an offer: params carry call-id, from-tag, sdp and flags such
// as "transport-protocol": "RTP/SAVP", "ICE": "remove", "DTLS": "off" and
// "SDES": []string{"no-AEAD_AES_256_GCM"} ("only-<suite>" has no effect in
// 10.5; "no-<suite>" works). The reply's "sdp" is for the other side.
func (e *RTPEngine) Offer(ctx context.Context, params map[string]any) (map[string]any, error) {
	return e.Do(ctx, with(params, "offer"))
}

// Answer sends the answer of the other side (call-id, from-tag, to-tag,
// sdp); the reply's "sdp" goes back to the offerer.
func (e *RTPEngine) Answer(ctx context.Context, params map[string]any) (map[string]any, error) {
	return e.Do(ctx, with(params, "answer"))
}

// Delete ends a call (call-id, from-tag).
func (e *RTPEngine) Delete(ctx context.Context, params map[string]any) (map[string]any, error) {
	return e.Do(ctx, with(params, "delete"))
}

func with(params map[string]any, command string) map[string]any {
	m := make(map[string]any, len(params)+1)
	for k, v := range params {
		m[k] = v
	}
	m["command"] = command
	return m
}

// ngRetry is how often an unanswered ng datagram is sent again.
const ngRetry = 500 * time.Millisecond

// Do sends one ng command ("<cookie> <bencoded dict>" over UDP) and returns
// the reply dictionary. A reply with result "error" becomes an error
// carrying rtpengine's error-reason.
func (e *RTPEngine) Do(ctx context.Context, cmd map[string]any) (map[string]any, error) {
	body, err := bencode(cmd)
	if err != nil {
		return nil, err
	}
	var c [8]byte
	if _, err := rand.Read(c[:]); err != nil {
		return nil, err
	}
	cookie := hex.EncodeToString(c[:])
	msg := append([]byte(cookie+" "), body...)

	e.mu.Lock()
	defer e.mu.Unlock()
	buf := make([]byte, 65536)
	for {
		if _, err := e.conn.WriteToUDP(msg, e.ng); err != nil {
			return nil, fmt.Errorf("rtpengine %v: %w", cmd["command"], err)
		}
		deadline := time.Now().Add(ngRetry)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := e.conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		for {
			n, _, err := e.conn.ReadFromUDP(buf)
			if err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					return nil, err
				}
				break
			}
			got, rest, ok := bytes.Cut(buf[:n], []byte(" "))
			if !ok || string(got) != cookie {
				continue // a late reply to an earlier retry
			}
			return ngReply(cmd["command"], rest)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rtpengine %v: no reply: %w", cmd["command"], err)
		}
	}
}

func ngReply(command any, b []byte) (map[string]any, error) {
	v, err := bdecode(b)
	if err != nil {
		return nil, fmt.Errorf("rtpengine %v: reply: %w", command, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("rtpengine %v: reply is %T, not a dictionary", command, v)
	}
	if m["result"] == "error" {
		return m, fmt.Errorf("rtpengine %v: %v", command, m["error-reason"])
	}
	return m, nil
}
