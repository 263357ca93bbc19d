package media

import (
	"context"
	"time"

	"kordon/store"
	"kordon/types/code"
)

// EventType names a call event.
type EventType string

// Call events, in the order a call emits them.
const (
	EventStarted  EventType = "call.started"  // INVITE admitted (inbound) or sent (outbound)
	EventAnswered EventType = "call.answered" // media flowing
	EventEnded    EventType = "call.ended"    // the call is over
)

// Outcome classifies how an outbound call attempt ended, from the final
// response (reference: sip-media-robot.md §6.3).
type Outcome string

// Outcomes.
const (
	OutcomeAnswered      Outcome = "answered"
	OutcomeBusy          Outcome = "busy"           // 486, 600
	OutcomeNoAnswer      Outcome = "no-answer"      // ring timeout, 408, 480, 487
	OutcomeRejected      Outcome = "rejected"       // 603, 403, other 4xx/6xx
	OutcomeInvalidNumber Outcome = "invalid-number" // 404, 484, 604, 410
	OutcomeNetworkError  Outcome = "network-error"  // 5xx, transport failure, timeout without response
)

// Event is something that happened to a call. It carries codes and IDs
// only and is safe to send anywhere.
type Event struct {
	Type      EventType `json:"type"`
	CallID    string    `json:"call_id"`
	Trunk     string    `json:"trunk"`
	Direction Direction `json:"direction"`
	Peer      code.Code `json:"peer,omitzero"`
	Scenario  string    `json:"scenario,omitempty"`
	Time      time.Time `json:"time"`
	Outcome   Outcome   `json:"outcome,omitempty"`
	Reason    EndReason `json:"reason,omitempty"`
	Status    int       `json:"sip_status,omitempty"`
	Codec     string    `json:"codec,omitempty"`
	Suite     string    `json:"srtp_suite,omitempty"`
}

// emit sends an event for c.
func (e *Edge) emit(c *Call, t EventType, ev Event) {
	ev.Type, ev.CallID, ev.Trunk, ev.Direction = t, c.ID, c.Trunk, c.Direction
	ev.Peer, ev.Scenario, ev.Time = c.Peer, c.Scenario, e.cfg.Now()
	e.cfg.Events(ev)
}

// recordStart inserts the call's row in the call table.
func (e *Edge) recordStart(ctx context.Context, c *Call) error {
	var peer any
	if !c.Peer.IsZero() {
		peer = c.Peer.String()
	}
	return e.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO calls (id, trunk, direction, peer, scenario, started_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.ID, c.Trunk, string(c.Direction), peer, c.Scenario, c.Started.UnixMilli())
		return err
	})
}

// recordEnd completes the call's row.
func (e *Edge) recordEnd(c *Call, ev Event) {
	var answered any
	c.mu.Lock()
	if !c.answered.IsZero() {
		answered = c.answered.UnixMilli()
	}
	c.mu.Unlock()
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var status any
	if ev.Status != 0 {
		status = ev.Status
	}
	// The call is over whatever its context says; the row must still be
	// completed, so this write does not use the call's context.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE calls SET answered_at = ?, ended_at = ?, outcome = ?, sip_status = ?, end_reason = ?, codec = ?, srtp_suite = ? WHERE id = ?`,
			answered, ev.Time.UnixMilli(), nullable(string(ev.Outcome)), status, nullable(string(ev.Reason)), nullable(ev.Codec), nullable(ev.Suite), c.ID)
		return err
	})
	if err != nil {
		e.log.Error("call table: completing the row failed", "call", c.ID, "err", err)
	}
}
