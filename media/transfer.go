package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"kordon/media/stream"
	"kordon/types/fault"
)

// referTimeout bounds the wait for the PBX to report a blind transfer's
// result.
const referTimeout = 32 * time.Second

// Transfer hands the call to extension on the PBX with REFER (a blind
// transfer). It returns nil once the PBX reports that the target answered;
// the edge then hangs up its leg and the call ends with reason
// "transferred". On failure the call continues with the robot.
func (c *Call) Transfer(ctx context.Context, extension string) error {
	const op = "media.Transfer"
	if !validExtension(extension) {
		return fault.E(op, fault.Invalid, errors.New("an extension is 1 to 6 characters of 0-9, * and #"))
	}
	if c.dialog == nil || c.ctx.Err() != nil {
		return fault.E(op, fault.Conflict, errNotEstablished)
	}
	progress := make(chan int, 1)
	c.mu.Lock()
	if c.referProgress != nil {
		c.mu.Unlock()
		return fault.E(op, fault.Conflict, errors.New("a transfer is already in progress"))
	}
	c.referProgress = progress
	target := c.remoteTarget
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.referProgress = nil
		c.mu.Unlock()
	}()

	referTo := sip.Uri{Scheme: "sip", User: extension, Host: c.trunk.Host, Port: c.trunk.Port}
	req := sip.NewRequest(sip.REFER, target)
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+referTo.String()+">"))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.edge.contact.Address.String()+">"))
	ctx, cancel := context.WithTimeout(ctx, referTimeout)
	defer cancel()
	res, err := c.dialog.Do(ctx, req)
	if err != nil {
		return fault.E(op, fault.Unavailable, err)
	}
	if res.StatusCode != 202 && !res.IsSuccess() {
		return fault.E(op, fault.Denied, fmt.Errorf("the PBX refused the transfer with %d", res.StatusCode))
	}
	select {
	case status := <-progress:
		if status >= 300 {
			return fault.E(op, fault.Unavailable, fmt.Errorf("the transfer target answered %d", status))
		}
	case <-ctx.Done():
		return fault.E(op, fault.Unavailable, errors.New("the PBX did not report the transfer's result"))
	case <-c.ctx.Done():
		// The PBX ended our leg itself: the transfer went through.
	}
	c.end(EndTransferred)
	// The PBX bridged the caller elsewhere: our BYE ends only our leg.
	bctx, bcancel := context.WithTimeout(context.Background(), byeTimeout)
	c.dialog.Bye(bctx)
	bcancel()
	return nil
}

// AttendedTransfer places a second call to extension through the same
// trunk, and when it is answered bridges the two calls' media until either
// side hangs up; the robot has left the conversation by then. It returns
// the second leg's result; if that leg was not answered the first call
// continues with the robot.
func (c *Call) AttendedTransfer(ctx context.Context, extension string) (Result, error) {
	bridged := false
	res, err := c.edge.Dial(ctx, DialRequest{Trunk: c.Trunk, Extension: extension, Scenario: c.Scenario}, HandlerFunc(func(lctx context.Context, leg *Call) {
		bridged = true
		stop := stream.Bridge(c.stream, leg.stream)
		defer stop()
		select {
		case <-lctx.Done(): // the operator hung up
			c.end(EndTransferred)
		case <-c.ctx.Done(): // the caller hung up
		}
	}))
	if bridged {
		c.end(EndTransferred)
	}
	return res, err
}
