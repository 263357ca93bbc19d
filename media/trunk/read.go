package trunk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// row is one stored trunk.
type row struct {
	id                   string
	settings             []byte
	inSecret, outSecret  sql.NullString // wrapped passwords
	createdAt, updatedAt int64
}

const selectRows = `SELECT id, settings, inbound_secret, outbound_secret, created_at, updated_at FROM trunks`

func scanRow(sc interface{ Scan(...any) error }) (row, error) {
	var w row
	err := sc.Scan(&w.id, &w.settings, &w.inSecret, &w.outSecret, &w.createdAt, &w.updatedAt)
	return w, err
}

// decode returns the row's trunk without passwords. Stored settings are
// decoded leniently: a field an older or newer version wrote is ignored
// rather than making the trunk unreadable.
func (w row) decode() (Trunk, error) {
	var t Trunk
	if err := json.Unmarshal(w.settings, &t); err != nil {
		return Trunk{}, fmt.Errorf("stored settings of trunk %s do not decode: %w", w.id, err)
	}
	t.ID = w.id
	for _, c := range []*Credentials{t.Inbound, t.Outbound} {
		if c != nil {
			c.Password = Secret{}
		}
	}
	return t, nil
}

// readRows returns every stored trunk by ID.
func (r *Repo) readRows(ctx context.Context) ([]row, error) {
	rs, err := r.db.Read().QueryContext(ctx, selectRows+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read trunks: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		w, err := scanRow(rs)
		if err != nil {
			return nil, fmt.Errorf("read trunks: %w", err)
		}
		out = append(out, w)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read trunks: %w", err)
	}
	return out, nil
}

// Get returns the trunk with id, without its passwords (a Credentials
// block means a password is stored). It needs the config scope.
func (r *Repo) Get(ctx context.Context, p tokenizer.Principal, id string) (Trunk, error) {
	const op = "trunk.Get"
	if err := r.authorize(ctx, p, audit.ActionTrunkRead); err != nil {
		return Trunk{}, err
	}
	if !safeID(id) {
		return Trunk{}, errNotFound(op, id)
	}
	w, err := scanRow(r.db.Read().QueryRowContext(ctx, selectRows+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Trunk{}, errNotFound(op, id)
	}
	if err != nil {
		return Trunk{}, fault.E(op, fault.Unavailable, fmt.Errorf("read trunk %s: %w", id, err))
	}
	t, err := w.decode()
	if err != nil {
		return Trunk{}, fault.E(op, fault.Internal, err)
	}
	return t, nil
}

// List returns every trunk by ID, without passwords. It needs the config
// scope.
func (r *Repo) List(ctx context.Context, p tokenizer.Principal) ([]Trunk, error) {
	const op = "trunk.List"
	if err := r.authorize(ctx, p, audit.ActionTrunkRead); err != nil {
		return nil, err
	}
	rows, err := r.readRows(ctx)
	if err != nil {
		return nil, fault.E(op, fault.Unavailable, err)
	}
	out := make([]Trunk, 0, len(rows))
	for _, w := range rows {
		t, err := w.decode()
		if err != nil {
			return nil, fault.E(op, fault.Internal, err)
		}
		out = append(out, t)
	}
	return out, nil
}
