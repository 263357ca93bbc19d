package media

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"kordon/media/stream"
	"kordon/media/trunk"
	"kordon/types/code"
	"kordon/types/pii"
)

// allowed is the Allow header of every dialog-creating response.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY, INFO"

// routes registers the request handlers.
func (e *Edge) routes(srv *sipgo.Server) {
	srv.OnInvite(e.onInvite)
	srv.OnAck(e.onAck)
	srv.OnBye(e.onBye)
	srv.OnUpdate(e.onUpdate)
	srv.OnOptions(e.onOptions)
	srv.OnNotify(e.onNotify)
	srv.OnInfo(e.onInfo)
	srv.OnRefer(e.onRefer)
	// A CANCEL that matches a pending INVITE is handled by the transaction
	// layer (200, then 487 to the INVITE); this sees only strays.
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
	})
	srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
		res.AppendHeader(sip.NewHeader("Allow", allowed))
		tx.Respond(res)
	})
}

// respond answers req with a bodiless response.
func respond(tx sip.ServerTransaction, req *sip.Request, status int, phrase string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, status, phrase, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	tx.Respond(res)
}

// sourceOf is the request's source address.
func sourceOf(req *sip.Request) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(req.Source())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// onInvite handles an INVITE: a re-INVITE inside a call, or a new call.
// For a new call it stays until the call is over, as sipgo requires.
func (e *Edge) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		e.onReinvite(req, tx)
		return
	}
	src := sourceOf(req)
	e.mu.Lock()
	closing, active := e.closing, len(e.calls)
	if !closing {
		e.handler.Add(1)
	}
	e.mu.Unlock()
	if closing {
		respond(tx, req, 503, "Service Unavailable")
		return
	}
	defer e.handler.Done()
	if active >= e.cfg.MaxCalls {
		respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "5"))
		e.log.Warn("inbound call refused: appliance at its call limit", "src", src.Addr().String(), "limit", e.cfg.MaxCalls)
		return
	}
	adm, ref := e.admit(req, tx, src)
	if ref != nil {
		// The log names the source and the reason, never the From or the
		// request URI, which carry numbers. It is written before the
		// answer, so the refusal is on record once the PBX sees it.
		e.log.Warn("inbound call refused", "src", src.Addr().String(), "status", ref.status, "why", ref.why)
		if ref.status != 401 {
			respond(tx, req, ref.status, ref.phrase)
		}
		return
	}
	t := adm.trunk
	if !e.reserve(t) {
		respond(tx, req, 486, "Busy Here")
		e.log.Warn("inbound call refused: trunk at its call limit", "trunk", t.ID)
		return
	}
	defer e.release(t)
	respond(tx, req, 100, "Trying")

	c, status, err := e.acceptInvite(req, tx, t, adm.scenario)
	if err != nil {
		if status != 0 {
			res := sip.NewResponseFromRequest(req, status, reasonPhrase(status), nil)
			if w := warningOf(err); w != "" {
				res.AppendHeader(sip.NewHeader("Warning", fmt.Sprintf(`399 %s "%s"`, e.cfg.Advertise, w)))
			}
			tx.Respond(res)
		}
		e.log.Warn("inbound call failed", "trunk", t.ID, "status", status, "err", mask(err.Error()))
		return
	}
	e.runInbound(c)
}

// acceptInvite tokenizes the caller, negotiates media and answers. It
// returns the established call, or the status to answer with.
func (e *Edge) acceptInvite(req *sip.Request, tx sip.ServerTransaction, t *trunk.Trunk, scenario string) (*Call, int, error) {
	ctx := context.Background()
	peer, err := e.callerCode(ctx, req)
	if err != nil {
		return nil, 500, err
	}
	body := req.Body()
	if len(body) == 0 {
		// A late offer (SDP in the ACK) is not supported: every PBX we
		// target offers in the INVITE.
		return nil, 488, errNoOffer
	}
	se, err := sessionTimerOf(req, e.cfg.SessionExpires)
	if err != nil {
		var tooSmall *intervalTooSmall
		if errors.As(err, &tooSmall) {
			respond(tx, req, 422, "Session Interval Too Small", sip.NewHeader("Min-SE", fmt.Sprint(int(minSessionExpires.Seconds()))))
			return nil, 0, err
		}
		return nil, 400, err
	}
	st, err := e.engine.Open()
	if err != nil {
		return nil, 503, err
	}
	local := e.localSDP(st.LocalPort())
	answer, m, err := negotiateAnswer(body, t, local, nil)
	if err != nil {
		st.Close()
		return nil, statusOf(err), err
	}
	dua := sipgo.DialogUA{Client: e.client, ContactHDR: e.contactFor(req)}
	dlg, err := dua.ReadInvite(req, tx)
	if err != nil {
		st.Close()
		return nil, 400, err
	}
	c := e.newCall(t, Inbound, peer, scenario, st, dlg, local, m)
	c.key = dlg.ID
	if err := e.register(c); err != nil {
		st.Close()
		return nil, 503, err
	}
	if err := e.recordStart(ctx, c); err != nil {
		e.unregister(c)
		st.Close()
		return nil, 500, err
	}
	e.emit(c, EventStarted, Event{})
	if err := st.Start(stream.ParamsFor(m)); err != nil {
		e.finish(c, Event{Reason: EndFailed, Status: 500})
		return nil, 500, err
	}
	dlg.Respond(180, "Ringing", nil)
	res := sip.NewSDPResponseFromRequest(dlg.InviteRequest, answer)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Supported", "timer, replaces"))
	if se != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", se.header()))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
		c.timer = se
	}
	// WriteResponse retransmits the 200 until the ACK arrives; a CANCEL
	// that raced the answer or a missing ACK ends the call here.
	if err := dlg.WriteResponse(res); err != nil {
		reason := EndFailed
		if errors.Is(context.Cause(dlg.Context()), sip.ErrTransactionCanceled) {
			reason = EndCancelled
		}
		e.finish(c, Event{Reason: reason, Status: 487})
		return nil, 0, err
	}
	return c, 0, nil
}

var errNoOffer = errors.New("INVITE without an SDP offer")

// callerCode tokenizes the caller's number: P-Asserted-Identity when the
// trunk sends it, else the From user. A withheld or non-numeric caller ID
// gives the zero code.
func (e *Edge) callerCode(ctx context.Context, req *sip.Request) (code.Code, error) {
	user := ""
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var u sip.Uri
		v := h.Value()
		if i, j := strings.IndexByte(v, '<'), strings.IndexByte(v, '>'); i >= 0 && j > i {
			v = v[i+1 : j]
		}
		if sip.ParseUri(v, &u) == nil {
			user = u.User
		}
	}
	if user == "" {
		if f := req.From(); f != nil {
			user = f.Address.User
		}
	}
	if withheld(user) {
		return code.Code{}, nil
	}
	out, err := e.cfg.Tokenizer.Tokenize(ctx, edgePrincipal, code.Phone, []pii.Value{pii.New(user)})
	if err != nil {
		return code.Code{}, fmt.Errorf("tokenizing the caller ID: %w", err)
	}
	if out[0].Err != nil {
		// Not a telephone number (an extension name, a SIP user): the call
		// goes on without a peer code; the value is not logged.
		e.log.Info("caller ID is not a telephone number; the call has no peer code")
		return code.Code{}, nil
	}
	return out[0].Code, nil
}

// withheld reports a caller ID that says there is none.
func withheld(user string) bool {
	switch strings.ToLower(user) {
	case "", "anonymous", "unknown", "unavailable", "restricted", "private":
		return true
	}
	return false
}

// contactFor is our Contact for a dialog: the TLS contact, or a plain one
// when the request came over an insecure transport.
func (e *Edge) contactFor(req *sip.Request) sip.ContactHeader {
	tr := strings.ToLower(req.Transport())
	if tr == "tls" || e.insecure == nil {
		return e.contact
	}
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "kordon", Host: e.cfg.Advertise.String(), Port: portOf(e.insecure), UriParams: sip.NewParams()}}
	c.Address.UriParams.Add("transport", tr)
	return c
}

// runInbound runs the robot on an answered call and cleans up after it.
func (e *Edge) runInbound(c *Call) {
	e.answered(c)
	e.cfg.Handler.HandleCall(c.ctx, c)
	c.end(EndLocalBye)
	e.hangup(c)
}

// reasonPhrase is the phrase for the statuses the edge sends.
func reasonPhrase(status int) string {
	switch status {
	case 400:
		return "Bad Request"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	}
	return "Error"
}
