package trunk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// Create stores a new trunk and returns it as stored (normalized, without
// passwords). It needs the config scope. Invalid input is refused with
// every problem at once (fault.Invalid wrapping Errors); an existing ID
// with fault.Conflict. The passwords are wrapped by the key provider
// before they reach the database. The change and any refusal are
// audited.
func (r *Repo) Create(ctx context.Context, p tokenizer.Principal, t Trunk) (Trunk, error) {
	const op, action = "trunk.Create", audit.ActionTrunkCreate
	if err := r.authorize(ctx, p, action); err != nil {
		return Trunk{}, err
	}
	t = t.clone()
	t.Normalize()
	t.addrs = nil
	if es := t.check(kept{}); len(es) > 0 {
		return Trunk{}, r.refuse(ctx, p, action, t.ID, fault.Invalid, es)
	}
	in, out, err := r.wrap(ctx, t)
	if err != nil {
		return Trunk{}, fault.E(op, fault.Unavailable, err)
	}
	stored := t.withoutPasswords()
	settings, err := json.Marshal(stored)
	if err != nil {
		return Trunk{}, fault.E(op, fault.Internal, err)
	}
	changed := changedFields(Trunk{}, stored, passwords{}, passwords{in.Valid, out.Valid})
	now := r.cfg.Now().UnixMilli()
	err = r.db.Write(ctx, func(tx *store.Tx) error {
		// Checked rather than left to the primary key: store.IsUnique
		// knows UNIQUE violations, not PRIMARY KEY ones.
		var exists bool
		if err := tx.QueryRow("SELECT EXISTS (SELECT 1 FROM trunks WHERE id = ?)", t.ID).Scan(&exists); err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("read trunk %s: %w", t.ID, err))
		}
		if exists {
			return fault.E(op, fault.Conflict, fmt.Errorf("trunk %s already exists", t.ID))
		}
		_, err := tx.Exec(`INSERT INTO trunks (id, settings, inbound_secret, outbound_secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.ID, string(settings), in, out, now, now)
		if err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("store trunk %s: %w", t.ID, err))
		}
		if err := r.record(tx, p, action, t.ID, changed); err != nil {
			return err
		}
		tx.OnCommit(r.invalidate)
		return nil
	})
	if err != nil {
		return Trunk{}, err
	}
	return stored, nil
}

// Update replaces the trunk with t.ID by t and returns it as stored. A
// Credentials block without a password keeps the stored password of that
// direction (the API never returns passwords, so a client that edits what
// it read sends none); leaving a block out drops its credentials. Errors
// and auditing are as for Create, with fault.NotFound for a missing
// trunk. An update that changes nothing writes nothing and is not
// audited.
func (r *Repo) Update(ctx context.Context, p tokenizer.Principal, t Trunk) (Trunk, error) {
	const op, action = "trunk.Update", audit.ActionTrunkUpdate
	if err := r.authorize(ctx, p, action); err != nil {
		return Trunk{}, err
	}
	t = t.clone()
	t.Normalize()
	t.addrs = nil
	// Which passwords may be left out depends on what is stored; the
	// transaction below checks again, in case it changed meanwhile.
	var k kept
	if safeID(t.ID) {
		w, err := scanRow(r.db.Read().QueryRowContext(ctx, selectRows+" WHERE id = ?", t.ID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return Trunk{}, errNotFound(op, t.ID)
		case err != nil:
			return Trunk{}, fault.E(op, fault.Unavailable, fmt.Errorf("read trunk %s: %w", t.ID, err))
		}
		k = kept{inbound: w.inSecret.Valid, outbound: w.outSecret.Valid}
	}
	if es := t.check(k); len(es) > 0 {
		return Trunk{}, r.refuse(ctx, p, action, t.ID, fault.Invalid, es)
	}
	in, out, err := r.wrap(ctx, t)
	if err != nil {
		return Trunk{}, fault.E(op, fault.Unavailable, err)
	}
	stored := t.withoutPasswords()
	settings, err := json.Marshal(stored)
	if err != nil {
		return Trunk{}, fault.E(op, fault.Internal, err)
	}
	now := r.cfg.Now().UnixMilli()
	err = r.db.Write(ctx, func(tx *store.Tx) error {
		w, err := scanRow(tx.QueryRow(selectRows+" WHERE id = ?", t.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound(op, t.ID)
		}
		if err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("read trunk %s: %w", t.ID, err))
		}
		old, err := w.decode()
		if err != nil {
			return fault.E(op, fault.Internal, err)
		}
		newIn, err := keepSecret(t.Inbound, in, w.inSecret, "inbound_auth")
		if err != nil {
			return fault.E(op, fault.Conflict, err)
		}
		newOut, err := keepSecret(t.Outbound, out, w.outSecret, "outbound_auth")
		if err != nil {
			return fault.E(op, fault.Conflict, err)
		}
		changed := changedFields(old, stored, passwords{w.inSecret.Valid, w.outSecret.Valid}, passwords{in.Valid, out.Valid})
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.Exec(`UPDATE trunks SET settings = ?, inbound_secret = ?, outbound_secret = ?, updated_at = ? WHERE id = ?`,
			string(settings), newIn, newOut, now, t.ID); err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("update trunk %s: %w", t.ID, err))
		}
		if err := r.record(tx, p, action, t.ID, changed); err != nil {
			return err
		}
		tx.OnCommit(r.invalidate)
		return nil
	})
	if err != nil {
		return Trunk{}, err
	}
	return stored, nil
}

// keepSecret returns the wrapped password to store for one direction: the
// new one if given, else the stored one while the direction keeps its
// credentials, else none.
func keepSecret(c *Credentials, given, stored sql.NullString, field string) (sql.NullString, error) {
	switch {
	case c == nil:
		return sql.NullString{}, nil
	case given.Valid:
		return given, nil
	case stored.Valid:
		return stored, nil
	}
	return sql.NullString{}, fmt.Errorf("%s.password: the stored password was removed meanwhile; send one", field)
}

// Delete removes the trunk with id. It needs the config scope; a missing
// trunk is fault.NotFound. Calls in progress on it keep running: they
// hold the Set they started with.
func (r *Repo) Delete(ctx context.Context, p tokenizer.Principal, id string) error {
	const op, action = "trunk.Delete", audit.ActionTrunkDelete
	if err := r.authorize(ctx, p, action); err != nil {
		return err
	}
	if !safeID(id) {
		return errNotFound(op, id)
	}
	return r.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec("DELETE FROM trunks WHERE id = ?", id)
		if err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("delete trunk %s: %w", id, err))
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errNotFound(op, id)
		}
		if err := r.record(tx, p, action, id, nil); err != nil {
			return err
		}
		tx.OnCommit(r.invalidate)
		return nil
	})
}

// record appends the audit entry of a change in its transaction: who, the
// trunk, and the fields that changed, never a value.
func (r *Repo) record(tx *store.Tx, p tokenizer.Principal, action, id string, changed []string) error {
	d := map[string]string{"trunk": id}
	if len(changed) > 0 {
		d["changed"] = joinFields(changed)
	}
	_, err := r.cfg.Audit.Append(tx, audit.Entry{
		Actor: p.Actor, Remote: p.Remote, RequestID: p.RequestID,
		Action: action, Result: audit.ResultOK, Detail: d,
	})
	return err
}

// wrap wraps the passwords t carries with the key provider, outside any
// transaction (a Vault round trip must not hold the writer). A direction
// without a new password gets NULL.
func (r *Repo) wrap(ctx context.Context, t Trunk) (in, out sql.NullString, err error) {
	one := func(c *Credentials, field string) (sql.NullString, error) {
		if c == nil || c.Password.IsZero() {
			return sql.NullString{}, nil
		}
		b := []byte(c.Password.Reveal())
		defer clear(b)
		w, err := r.cfg.Keys.Wrap(ctx, b)
		if err != nil {
			return sql.NullString{}, fmt.Errorf("wrap %s password: %w", field, err)
		}
		return sql.NullString{String: w, Valid: true}, nil
	}
	if in, err = one(t.Inbound, "inbound_auth"); err != nil {
		return
	}
	out, err = one(t.Outbound, "outbound_auth")
	return
}

// withoutPasswords returns a copy of t whose credentials hold no password.
func (t Trunk) withoutPasswords() Trunk {
	c := t.clone()
	for _, cr := range []*Credentials{c.Inbound, c.Outbound} {
		if cr != nil {
			cr.Password = Secret{}
		}
	}
	return c
}
