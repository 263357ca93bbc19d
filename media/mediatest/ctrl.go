package mediatest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// baresip's ctrl_tcp module frames JSON in netstrings ("<len>:<json>,")
// both ways: commands {"command","params","token"} in, responses
// {"response":true,"ok","data","token"} and events {"event":true,"type",
// ...} out, interleaved on one connection.

// maxNetstring bounds one ctrl_tcp message; events are a few hundred bytes.
const maxNetstring = 1 << 20

// Event is one baresip UA event as ctrl_tcp reports it. Type is e.g.
// CALL_INCOMING, CALL_ESTABLISHED, CALL_MENC (Param "0,audio,<suite>"),
// CALL_DTMF_START (Param the digit), CALL_CLOSED (Param the reason).
type Event struct {
	Type       string `json:"type"`
	Class      string `json:"class"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`
	Param      string `json:"param"`
}

type ctrlMessage struct {
	Event
	IsEvent    bool   `json:"event"`
	IsResponse bool   `json:"response"`
	OK         bool   `json:"ok"`
	Data       string `json:"data"`
	Token      string `json:"token"`
}

// ctrlConn is a ctrl_tcp client. One goroutine reads; Close stops it and
// waits for it.
type ctrlConn struct {
	conn net.Conn
	done chan struct{} // closed when the reader has returned

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	events  []Event
	taken   map[string]int // events of each type already returned by next
	pending map[string]chan ctrlMessage
	changed chan struct{} // closed and replaced when an event arrives
	err     error         // why the reader stopped
	token   int
}

func newCtrlConn(conn net.Conn) *ctrlConn {
	c := &ctrlConn{
		conn: conn, done: make(chan struct{}),
		taken: map[string]int{}, pending: map[string]chan ctrlMessage{}, changed: make(chan struct{}),
	}
	go c.read()
	return c
}

func (c *ctrlConn) read() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	for {
		b, err := readNetstring(r)
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var m ctrlMessage
		if json.Unmarshal(b, &m) != nil {
			continue // not ours to judge; baresip's own problem
		}
		c.mu.Lock()
		switch {
		case m.IsEvent:
			c.events = append(c.events, m.Event)
			close(c.changed)
			c.changed = make(chan struct{})
		case m.IsResponse:
			if ch, ok := c.pending[m.Token]; ok {
				ch <- m // buffered, never blocks
				delete(c.pending, m.Token)
			}
		}
		c.mu.Unlock()
	}
}

// command sends a ctrl_tcp command and waits for its response.
func (c *ctrlConn) command(ctx context.Context, command, params string) (string, error) {
	c.mu.Lock()
	c.token++
	token := "k" + strconv.Itoa(c.token)
	ch := make(chan ctrlMessage, 1)
	c.pending[token] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, token)
		c.mu.Unlock()
	}()

	b, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	c.wmu.Lock()
	_, err := c.conn.Write(appendNetstring(nil, b))
	c.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("baresip %s: %w", command, err)
	}
	select {
	case m := <-ch:
		if !m.OK {
			return m.Data, fmt.Errorf("baresip %s: refused: %s", command, m.Data)
		}
		return m.Data, nil
	case <-c.done:
		return "", fmt.Errorf("baresip %s: control connection closed: %w", command, c.readErr())
	case <-ctx.Done():
		return "", fmt.Errorf("baresip %s: %w", command, ctx.Err())
	}
}

// next returns the first event of type typ not yet returned by next,
// waiting for it if need be.
func (c *ctrlConn) next(ctx context.Context, typ string) (Event, error) {
	for {
		c.mu.Lock()
		seen := 0
		for _, e := range c.events {
			if e.Type != typ {
				continue
			}
			if seen == c.taken[typ] {
				c.taken[typ]++
				c.mu.Unlock()
				return e, nil
			}
			seen++
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-c.done:
			return Event{}, fmt.Errorf("waiting for baresip event %s: control connection closed: %w", typ, c.readErr())
		case <-ctx.Done():
			return Event{}, fmt.Errorf("waiting for baresip event %s: %w", typ, ctx.Err())
		}
	}
}

// snapshot returns every event so far.
func (c *ctrlConn) snapshot() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

func (c *ctrlConn) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and waits for the reader.
func (c *ctrlConn) Close() {
	c.conn.Close()
	<-c.done
}

// readNetstring reads one "<len>:<payload>," frame.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadSlice(':')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("netstring: length too long")
		}
		return nil, err
	}
	digits := string(head[:len(head)-1])
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || digits != strconv.Itoa(n) {
		return nil, errors.New("netstring: bad length")
	}
	if n > maxNetstring {
		return nil, errors.New("netstring: frame too large")
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if b[n] != ',' {
		return nil, errors.New("netstring: missing trailing comma")
	}
	return b[:n], nil
}

// appendNetstring frames payload as a netstring.
func appendNetstring(dst, payload []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, ':')
	dst = append(dst, payload...)
	return append(dst, ',')
}
