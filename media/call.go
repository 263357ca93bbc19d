package media

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"kordon/audit"
	"kordon/media/sdp"
	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/types/code"
	"kordon/types/pii"
)

// auditActor is the edge in audit entries (tokenize on arrival, resolve
// to dial).
var auditActor = audit.Actor{Type: audit.ActorSystem, ID: "media"}

// Direction says who placed a call.
type Direction string

// Directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// EndReason says why a call ended.
type EndReason string

// End reasons recorded in the call table and the call.ended event.
const (
	EndRemoteBye   EndReason = "remote-bye"    // the far end hung up
	EndLocalBye    EndReason = "local-bye"     // the robot hung up
	EndCancelled   EndReason = "cancelled"     // the caller gave up before the answer
	EndRTPTimeout  EndReason = "rtp-timeout"   // no media for the inactivity timeout
	EndSessionTime EndReason = "session-timer" // the PBX stopped refreshing (RFC 4028)
	EndMaxDuration EndReason = "max-duration"  // the trunk's call limit ran out
	EndTransferred EndReason = "transferred"   // a blind transfer was accepted
	EndShutdown    EndReason = "shutdown"      // the appliance is stopping
	EndFailed      EndReason = "failed"        // the call never got established
)

// Call is one call in progress. It carries the other party as a code only.
// Its methods may be called from any goroutine.
type Call struct {
	// ID identifies the call in events, the call table and logs.
	ID string
	// Trunk is the trunk's ID.
	Trunk string
	// Direction says who placed the call.
	Direction Direction
	// Peer is the other party's code: the caller on inbound calls (zero
	// when the caller withheld the number), the callee on outbound ones.
	Peer code.Code
	// Scenario is the scenario the call runs, from the trunk's routes or
	// the dial request.
	Scenario string
	// Started is when the INVITE arrived or was sent.
	Started time.Time

	edge   *Edge
	stream *stream.Stream
	ctx    context.Context
	cancel context.CancelFunc
	key    string // dialog key in edge.calls
	dialog dialog
	trunk  *trunk.Trunk

	stopWatch func()        // stops the end-of-call watchers
	timer     *sessionTimer // RFC 4028, nil when not negotiated
	outcome   Outcome       // outbound: how the attempt ended

	remoteTarget  sip.Uri  // where in-dialog requests go (the far end's Contact)
	localSDP      []byte   // our current SDP (answer or offer)
	referProgress chan int // final sipfrag status of a REFER in progress

	mu       sync.Mutex
	media    sdp.Media // as last negotiated
	local    sdp.Local
	answered time.Time
	reason   EndReason
	ended    chan struct{}
}

// dialog is what a call needs from sipgo's server or client dialog
// session.
type dialog interface {
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
	Bye(ctx context.Context) error
	Context() context.Context
}

// Context ends when the call ends.
func (c *Call) Context() context.Context { return c.ctx }

// Media is the call's RTP stream: play prompts, read DTMF, attach a
// recorder or a recognizer.
func (c *Call) Media() *stream.Stream { return c.stream }

// Codec and suite as negotiated, for the call table and the console.
func (c *Call) Negotiated() sdp.Media {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.media
}

// Reason is why the call ended, empty while it is in progress.
func (c *Call) Reason() EndReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Hangup ends the call with a BYE.
func (c *Call) Hangup() { c.end(EndLocalBye) }

// Done is closed when the call has ended and its resources are freed.
func (c *Call) Done() <-chan struct{} { return c.ended }

// end records why the call ends (the first reason wins) and cancels its
// context; the goroutine that owns the call sends the BYE if needed and
// frees the media.
func (c *Call) end(r EndReason) {
	c.mu.Lock()
	if c.reason == "" {
		c.reason = r
	}
	c.mu.Unlock()
	c.cancel()
}

// newCallID draws a call ID: "call_" and 80 random bits in lower-case
// base32, drawn again in the rare case (1 in ~8,000) that its digits form
// a run a PII scanner would flag.
func newCallID() string {
	for {
		var b [10]byte
		rand.Read(b[:])
		id := "call_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
		if pii.DigitRun(id) < pii.PhoneDigits {
			return id
		}
	}
}
