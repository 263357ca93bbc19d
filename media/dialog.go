package media

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"kordon/media/sdp"
	"kordon/media/stream"
)

// lookupRequest finds the call an in-dialog request belongs to and checks
// that it came from an address the call's trunk allows.
func (e *Edge) lookupRequest(req *sip.Request) *Call {
	var c *Call
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		c = e.lookup(id)
	}
	if c == nil {
		if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
			c = e.lookup(id)
		}
	}
	if c == nil || !c.trunk.Allows(sourceOf(req).Addr()) {
		return nil
	}
	return c
}

func (e *Edge) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := e.lookupRequest(req)
	if c == nil {
		return // an ACK is never answered
	}
	if d, ok := c.dialog.(*sipgo.DialogServerSession); ok {
		d.ReadAck(req, tx)
	}
}

func (e *Edge) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := e.lookupRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.end(EndRemoteBye)
	var err error
	switch d := c.dialog.(type) {
	case *sipgo.DialogServerSession:
		err = d.ReadBye(req, tx)
	case *sipgo.DialogClientSession:
		err = d.ReadBye(req, tx)
	}
	if err != nil {
		respond(tx, req, 200, "OK") // the call ends either way
	}
}

// readRequest checks an in-dialog request's CSeq.
func readRequest(c *Call, req *sip.Request, tx sip.ServerTransaction) error {
	switch d := c.dialog.(type) {
	case *sipgo.DialogServerSession:
		return d.ReadRequest(req, tx)
	case *sipgo.DialogClientSession:
		return d.ReadRequest(req, tx)
	}
	return nil
}

// onReinvite answers a re-INVITE: hold and resume, a new address, a new
// key, a codec change, or a bare session refresh without SDP.
func (e *Edge) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := e.lookupRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := readRequest(c, req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	answer, err := c.answerOffer(req.Body())
	if err != nil {
		res := sip.NewResponseFromRequest(req, statusOf(err), reasonPhrase(statusOf(err)), nil)
		if w := warningOf(err); w != "" {
			res.AppendHeader(sip.NewHeader("Warning", fmt.Sprintf(`399 %s "%s"`, e.cfg.Advertise, w)))
		}
		tx.Respond(res)
		e.log.Warn("re-INVITE refused; the call keeps its media", "call", c.ID, "err", err)
		return
	}
	res := sip.NewSDPResponseFromRequest(req, answer)
	ct := e.contactFor(req)
	res.AppendHeader(&ct)
	c.addTimerHeaders(res)
	tx.Respond(res)
	c.armTimer() // any re-INVITE refreshes the session
}

// answerOffer negotiates a new offer inside the call and applies it to the
// stream; an empty offer returns the current answer unchanged.
func (c *Call) answerOffer(offer []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(offer) == 0 {
		return c.localSDP, nil
	}
	local := c.local
	local.Version++
	prev := c.media
	answer, m, err := negotiateAnswer(offer, c.trunk, local, &prev)
	if err != nil {
		return nil, err
	}
	if err := c.stream.Update(stream.ParamsFor(m)); err != nil {
		return nil, err
	}
	c.local, c.media, c.localSDP = local, m, answer
	return answer, nil
}

// onUpdate answers UPDATE: a session refresh, or an offer.
func (e *Edge) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := e.lookupRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := readRequest(c, req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	var res *sip.Response
	if len(req.Body()) > 0 {
		answer, err := c.answerOffer(req.Body())
		if err != nil {
			respond(tx, req, statusOf(err), reasonPhrase(statusOf(err)))
			return
		}
		res = sip.NewSDPResponseFromRequest(req, answer)
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	ct := e.contactFor(req)
	res.AppendHeader(&ct)
	c.addTimerHeaders(res)
	tx.Respond(res)
	c.armTimer()
}

// addTimerHeaders adds Session-Expires to a response that refreshes the
// session.
func (c *Call) addTimerHeaders(res *sip.Response) {
	c.mu.Lock()
	st := c.timer
	c.mu.Unlock()
	if st != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", st.header()))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
}

// onOptions answers keep-alive pings from PBXs on some trunk's allow-list
// and in-dialog OPTIONS; anyone else gets 403.
func (e *Edge) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		if e.lookupRequest(req) == nil {
			respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
	} else if len(e.cfg.Trunks.Current().Match(sourceOf(req).Addr())) == 0 {
		respond(tx, req, 403, "Forbidden")
		return
	}
	respond(tx, req, 200, "OK", sip.NewHeader("Allow", allowed), sip.NewHeader("Accept", "application/sdp"), sip.NewHeader("Supported", "timer, replaces"))
}

// onInfo accepts in-dialog INFO (some PBXs send DTMF as SIP INFO as well
// as RFC 4733; the RTP events are the ones the robot reads).
func (e *Edge) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if e.lookupRequest(req) == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
}

// onRefer refuses transfers requested by the PBX: the robot decides where
// its calls go.
func (e *Edge) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	if e.lookupRequest(req) == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 603, "Decline")
}

// onNotify delivers the progress of a transfer we asked for (REFER).
func (e *Edge) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := e.lookupRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
	if ev := req.GetHeader("Event"); ev == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
		return
	}
	status := sipfragStatus(req.Body())
	c.mu.Lock()
	ch := c.referProgress
	c.mu.Unlock()
	if ch != nil && status >= 200 {
		select {
		case ch <- status:
		default:
		}
	}
}

// sipfragStatus reads the status code of a message/sipfrag body
// ("SIP/2.0 200 OK").
func sipfragStatus(b []byte) int {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0
	}
	var n int
	fmt.Sscanf(f[1], "%d", &n)
	return n
}

// reinvite sends a re-INVITE with a fresh offer (new keys) in direction
// dir: hold, resume or a session refresh.
func (c *Call) reinvite(ctx context.Context, dir sdp.Direction) error {
	c.mu.Lock()
	local := c.local
	local.Version++
	target := c.remoteTarget
	c.mu.Unlock()
	offer, st, err := sdp.Offer(policyOf(c.trunk), local, dir)
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	c.mu.Lock()
	if c.timer != nil {
		req.AppendHeader(sip.NewHeader("Session-Expires", c.timer.header()))
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
	}
	c.mu.Unlock()
	res, err := c.dialog.Do(ctx, req)
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-INVITE answered %d", res.StatusCode)
	}
	ack := sip.NewRequest(sip.ACK, target)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: res.CSeq().SeqNo, MethodName: sip.ACK})
	if err := c.dialog.WriteRequest(ack); err != nil {
		return err
	}
	m, err := st.Accept(res.Body())
	if err != nil {
		return err
	}
	if err := c.stream.Update(stream.ParamsFor(m)); err != nil {
		return err
	}
	c.mu.Lock()
	c.local, c.media, c.localSDP = local, m, offer
	c.mu.Unlock()
	return nil
}

// currentDirection is our side's media direction.
func (c *Call) currentDirection() sdp.Direction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.media.Direction
}

// Hold puts the far end on hold (a sendonly re-INVITE).
func (c *Call) Hold(ctx context.Context) error { return c.reinvite(ctx, sdp.SendOnly) }

// Resume takes the far end off hold.
func (c *Call) Resume(ctx context.Context) error { return c.reinvite(ctx, sdp.SendRecv) }

var errNotEstablished = errors.New("the call is not established")
