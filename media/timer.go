package media

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// sessionTimer is an RFC 4028 session timer negotiated on a call. The
// refresher sends a re-INVITE or UPDATE every half interval; when the PBX is
// the refresher and stops, the call is dead on its side and the edge ends
// it rather than hold media and a trunk slot for an hour.
type sessionTimer struct {
	interval  time.Duration
	refresher string // "uac" (the PBX, which sent the INVITE) or "uas" (us)
	t         *time.Timer
}

// intervalTooSmall asks the PBX for a longer interval (422).
type intervalTooSmall struct{ got time.Duration }

func (e *intervalTooSmall) Error() string {
	return fmt.Sprintf("Session-Expires %v is below Min-SE %v", e.got, minSessionExpires)
}

// sessionTimerOf reads the Session-Expires of an initial INVITE. nil means
// the PBX did not ask for a session timer.
func sessionTimerOf(req *sip.Request, ours time.Duration) (*sessionTimer, error) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x") // compact form
	}
	if h == nil {
		return nil, nil
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || secs <= 0 || secs > 86400 {
		return nil, fmt.Errorf("Session-Expires is not a number of seconds")
	}
	st := &sessionTimer{interval: time.Duration(secs) * time.Second}
	if st.interval < minSessionExpires {
		return nil, &intervalTooSmall{got: st.interval}
	}
	if st.interval > ours {
		st.interval = ours // a UAS may shorten, never below Min-SE
	}
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			st.refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if st.refresher != "uac" && st.refresher != "uas" {
		// Unspecified: the PBX refreshes if it supports timers, else we do.
		st.refresher = "uas"
		if s := req.GetHeader("Supported"); s != nil && hasToken(s.Value(), "timer") {
			st.refresher = "uac"
		}
	}
	return st, nil
}

// header is the Session-Expires value of our responses and refreshes.
func (st *sessionTimer) header() string {
	return fmt.Sprintf("%d;refresher=%s", int(st.interval.Seconds()), st.refresher)
}

// hasToken reports whether a comma-separated header value holds tok.
func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// armTimer starts (or restarts) the call's session timer.
func (c *Call) armTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.timer
	if st == nil {
		return
	}
	if st.t != nil {
		st.t.Stop()
	}
	if st.refresher == "uas" {
		st.t = time.AfterFunc(st.interval/2, c.refreshSession)
		return
	}
	// RFC 4028 §10: end the session at interval minus min(32 s, interval/3)
	// without a refresh.
	st.t = time.AfterFunc(st.interval-min(32*time.Second, st.interval/3), func() { c.end(EndSessionTime) })
}

func (c *Call) stopTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil && c.timer.t != nil {
		c.timer.t.Stop()
	}
}

// refreshSession sends the re-INVITE that refreshes a session we are the
// refresher of; a PBX that does not answer it 2xx has lost the call.
func (c *Call) refreshSession() {
	if c.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	if err := c.reinvite(ctx, c.currentDirection()); err != nil {
		c.edge.log.Warn("session refresh failed; ending the call", "call", c.ID, "err", err)
		c.end(EndSessionTime)
		return
	}
	c.armTimer()
}
