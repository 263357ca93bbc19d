package media

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/time/rate"

	"kordon/media/sdp"
	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/tokenizer"
	"kordon/types/code"
	"kordon/types/fault"
)

// DialRequest asks for an outbound call.
type DialRequest struct {
	// Trunk is the ID of the trunk to call through. Required.
	Trunk string
	// Callee is the code of the number to call; it is resolved (purpose
	// dial, audited) only when the INVITE is built. Exactly one of Callee
	// and Extension is set.
	Callee code.Code
	// Extension is a PBX extension or operator group to call ("1001"),
	// for transfers: an internal number, not a person's, so it travels as
	// is. At most 6 digits.
	Extension string
	// Scenario is recorded with the call and its events.
	Scenario string
	// Reference is the audit reference of the resolve (a campaign task
	// ID, for instance). Required with Callee.
	Reference string
	// RingTimeout overrides the trunk's ring timeout when positive.
	RingTimeout time.Duration
}

// Result is how an outbound call attempt ended.
type Result struct {
	CallID  string
	Outcome Outcome
	// Status is the final SIP status of the INVITE (0 when none came).
	Status int
	// Reason is why an answered call ended.
	Reason EndReason
}

// maxExtensionDigits keeps Extension internal-number-sized: anything
// longer could be a person's number and must be dialled by code.
const maxExtensionDigits = 6

// Dial places a call through a trunk, runs h on it once answered, and
// hangs up when h returns. It returns when the call is over; a call that
// is not answered returns its classified outcome and a nil error.
func (e *Edge) Dial(ctx context.Context, r DialRequest, h Handler) (Result, error) {
	const op = "media.Dial"
	select {
	case <-e.ready:
	case <-ctx.Done():
		return Result{}, fault.E(op, fault.Unavailable, ctx.Err())
	}
	t, ok := e.cfg.Trunks.Current().Get(r.Trunk)
	if !ok {
		return Result{}, fault.E(op, fault.NotFound, fmt.Errorf("no trunk %q", r.Trunk))
	}
	if r.Callee.IsZero() == (r.Extension == "") {
		return Result{}, fault.E(op, fault.Invalid, errors.New("give exactly one of a callee code and an extension"))
	}
	if r.Extension != "" && !validExtension(r.Extension) {
		return Result{}, fault.E(op, fault.Invalid, errors.New("an extension is 1 to 6 characters of 0-9, * and #"))
	}
	e.mu.Lock()
	closing := e.closing
	if !closing {
		e.handler.Add(1)
	}
	e.mu.Unlock()
	if closing {
		return Result{}, fault.E(op, fault.Unavailable, errClosing)
	}
	defer e.handler.Done()
	if err := e.limiter(t).Wait(ctx); err != nil {
		return Result{}, fault.E(op, fault.Unavailable, err)
	}
	if !e.reserve(t) {
		return Result{}, fault.E(op, fault.RateLimited, fmt.Errorf("trunk %s is at its call limit", t.ID))
	}
	defer e.release(t)

	st, err := e.engine.Open()
	if err != nil {
		return Result{}, fault.E(op, fault.Unavailable, err)
	}
	local := e.localSDP(st.LocalPort())
	offer, offered, err := sdp.Offer(policyOf(t), local, sdp.SendRecv)
	if err != nil {
		st.Close()
		return Result{}, fault.E(op, fault.Internal, err)
	}
	req, err := e.inviteFor(ctx, t, r)
	if err != nil {
		st.Close()
		return Result{}, fault.E(op, fault.KindOf(err), err)
	}
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))

	contact := e.contact
	if t.Transport != "tls" {
		contact = e.contactFor(req)
	}
	dua := sipgo.DialogUA{Client: e.client, ContactHDR: contact}
	c := e.newCall(t, Outbound, r.Callee, r.Scenario, st, nil, local, sdp.Media{})
	if err := e.recordStart(ctx, c); err != nil {
		st.Close()
		return Result{}, fault.E(op, fault.KindOf(err), err)
	}
	e.emit(c, EventStarted, Event{})

	ring := time.Duration(t.Limits.RingTimeout)
	if r.RingTimeout > 0 {
		ring = r.RingTimeout
	}
	dlg, status, outcome, err := e.invite(ctx, dua, req, t, ring)
	if err != nil || outcome != OutcomeAnswered {
		c.outcome = outcome
		e.finish(c, Event{Reason: EndFailed, Outcome: outcome, Status: status})
		if err != nil {
			e.log.Info("outbound call not answered", "call", c.ID, "trunk", t.ID, "outcome", outcome, "status", status, "err", mask(err.Error()))
		}
		return Result{CallID: c.ID, Outcome: outcome, Status: status}, nil
	}
	c.dialog = dlg
	c.key = dlg.ID
	c.remoteTarget = dlg.InviteResponse.Contact().Address
	c.outcome = OutcomeAnswered
	m, err := offered.Accept(dlg.InviteResponse.Body())
	if err == nil {
		err = st.Start(stream.ParamsFor(m))
	}
	if err == nil {
		err = e.register(c)
	}
	if err != nil {
		// Answered with media we cannot use: end it at once.
		bctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		dlg.Bye(bctx)
		cancel()
		c.outcome = OutcomeNetworkError
		e.finish(c, Event{Reason: EndFailed, Outcome: OutcomeNetworkError, Status: 200})
		return Result{CallID: c.ID, Outcome: OutcomeNetworkError, Status: 200}, fault.E(op, fault.Unavailable, err)
	}
	c.mu.Lock()
	c.media, c.localSDP = m, offer
	c.mu.Unlock()
	e.answered(c)
	h.HandleCall(c.ctx, c)
	c.end(EndLocalBye)
	e.hangup(c)
	return Result{CallID: c.ID, Outcome: OutcomeAnswered, Status: 200, Reason: c.Reason()}, nil
}

// inviteFor builds the INVITE's request line and headers. The callee's
// number is resolved here and exists only inside the request sipgo sends.
func (e *Edge) inviteFor(ctx context.Context, t *trunk.Trunk, r DialRequest) (*sip.Request, error) {
	user := r.Extension
	if user == "" {
		res, err := e.cfg.Tokenizer.Resolve(ctx, edgePrincipal, tokenizer.PurposeDial, r.Reference, []code.Code{r.Callee})
		if err != nil {
			return nil, fmt.Errorf("resolving %s to dial: %w", r.Callee, err)
		}
		if res[0].Err != nil {
			return nil, fmt.Errorf("resolving %s to dial: %w", r.Callee, res[0].Err)
		}
		user = res[0].Value.Reveal()
	}
	var to sip.Uri
	if err := sip.ParseUri(t.URI(user), &to); err != nil {
		// Never wrap err: it quotes the URI, which holds the number.
		return nil, fault.E("media.Dial", fault.Invalid, fmt.Errorf("trunk %s: the number to dial does not form a SIP URI", t.ID))
	}
	req := sip.NewRequest(sip.INVITE, to)
	req.SetTransport(strings.ToUpper(t.Transport))
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: t.CallerID, Host: e.cfg.Advertise.String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Supported", "timer, replaces"))
	return req, nil
}

// invite sends the INVITE and waits for the final answer within the ring
// timeout (then CANCEL), answering digest challenges with the trunk's
// outbound credentials.
func (e *Edge) invite(ctx context.Context, dua sipgo.DialogUA, req *sip.Request, t *trunk.Trunk, ring time.Duration) (*sipgo.DialogClientSession, int, Outcome, error) {
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		return nil, 0, OutcomeNetworkError, err
	}
	rctx, cancel := context.WithTimeout(ctx, ring)
	defer cancel()
	var opts sipgo.AnswerOptions
	if cr := t.Outbound; cr != nil {
		opts.Username, opts.Password = cr.Username, cr.Password.Reveal()
	}
	err = dlg.WaitAnswer(rctx, opts)
	if err == nil {
		if err := dlg.Ack(ctx); err != nil {
			dlg.Close()
			return nil, 200, OutcomeNetworkError, err
		}
		return dlg, 200, OutcomeAnswered, nil
	}
	dlg.Close()
	var dr *sipgo.ErrDialogResponse
	var drv sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dr):
		return nil, dr.Res.StatusCode, classify(dr.Res.StatusCode), err
	case errors.As(err, &drv):
		return nil, drv.Res.StatusCode, classify(drv.Res.StatusCode), err
	}
	if rctx.Err() != nil && ctx.Err() == nil {
		return nil, 487, OutcomeNoAnswer, nil // our ring timer: CANCEL sent
	}
	return nil, 0, OutcomeNetworkError, err
}

// classify maps a final INVITE status to an outcome.
func classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OutcomeAnswered
	case status == 486 || status == 600:
		return OutcomeBusy
	case status == 408 || status == 480 || status == 487:
		return OutcomeNoAnswer
	case status == 404 || status == 484 || status == 604 || status == 410 || status == 485:
		return OutcomeInvalidNumber
	case status >= 500 && status < 600:
		return OutcomeNetworkError
	}
	return OutcomeRejected
}

// validExtension accepts a short internal number.
func validExtension(s string) bool {
	if len(s) == 0 || len(s) > maxExtensionDigits {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// limiter paces new outbound calls on a trunk.
func (e *Edge) limiter(t *trunk.Trunk) *rate.Limiter {
	cps := t.Limits.MaxCPS
	key := fmt.Sprintf("%s/%g", t.ID, cps)
	if l, ok := e.limiters.Load(key); ok {
		return l.(*rate.Limiter)
	}
	l, _ := e.limiters.LoadOrStore(key, rate.NewLimiter(rate.Limit(cps), max(1, int(cps))))
	return l.(*rate.Limiter)
}
