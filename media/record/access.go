package record

import (
	"context"
	"errors"
	"fmt"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// The scopes that guard recordings. A recording is the caller's voice,
// personal data as much as the number behind a code, so hearing it takes
// the same scope as resolving a code, and deleting it the same as erasing
// one.
const (
	scopeRead   = tokenizer.ScopeResolve
	scopeDelete = tokenizer.ScopeErase
)

// systemActor is who purges recordings past their retention.
var systemActor = audit.Actor{Type: audit.ActorSystem, ID: "record"}

// resultOf maps an error kind to the audit result of a refused request.
func resultOf(k fault.Kind) string {
	switch k {
	case fault.Invalid:
		return audit.ResultInvalid
	case fault.NotFound:
		return audit.ResultNotFound
	case fault.Erased:
		return audit.ResultErased
	case fault.Unauthorized, fault.Denied:
		return audit.ResultDenied
	}
	return audit.ResultError
}

// refuse records a refused or failed request and returns the error for
// the caller. If the refusal cannot be audited the caller gets Unavailable
// instead: the request fails either way.
func (s *Store) refuse(ctx context.Context, op string, p tokenizer.Principal, e audit.Entry, kind fault.Kind, why error) error {
	e.Actor, e.Remote, e.RequestID = p.Actor, p.Remote, p.RequestID
	e.Result = resultOf(kind)
	e.Reason = why.Error()
	if _, err := s.audit.Record(ctx, e); err != nil {
		return fault.E(op, fault.Unavailable, fmt.Errorf("refused (%v), and the refusal could not be audited: %w", why, err))
	}
	return fault.E(op, kind, why)
}

// check refuses, and audits, a principal that is not authenticated or
// lacks scope.
func (s *Store) check(ctx context.Context, op string, p tokenizer.Principal, scope tokenizer.Scope, e audit.Entry) error {
	if p.Actor.ID == "" || p.Actor.Type == "" {
		return s.refuse(ctx, op, p, e, fault.Unauthorized, errors.New("no authenticated principal"))
	}
	if !p.Has(scope) {
		return s.refuse(ctx, op, p, e, fault.Denied, fmt.Errorf("principal lacks scope %q", scope))
	}
	return nil
}

// entry starts the audit entry of an action on recording id; id must have
// passed checkID (or be empty, when it did not).
func entry(action, id string) audit.Entry {
	e := audit.Entry{Action: action}
	if id != "" {
		e.Detail = map[string]string{"recording": id}
	}
	return e
}
