package store

import (
	"context"
	"database/sql"
	"fmt"

	"kordon/types/fault"
)

// Tx is the write transaction handed to an operation. It is valid only
// during the operation's function.
type Tx struct {
	db         *DB
	tx         *sql.Tx
	stmts      map[string]*sql.Stmt // prepared on tx, shared by the batch
	ctx        context.Context
	onCommit   []func()
	onRollback []func()
}

// Context returns the batch's context.
func (t *Tx) Context() context.Context { return t.ctx }

// Exec runs a statement, preparing it once per writer connection.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

// QueryRow runs a query that returns at most one row.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	s, err := t.stmt(query)
	if err != nil {
		// Let Scan report the preparation error.
		return t.tx.QueryRowContext(t.ctx, query, args...)
	}
	return s.QueryRowContext(t.ctx, args...)
}

// Query runs a query inside the transaction.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(t.ctx, args...)
}

// stmt returns query prepared on the batch transaction. Statements are
// prepared once per batch: the writer's only connection is busy with the
// transaction, so they cannot be prepared on the pool.
func (t *Tx) stmt(query string) (*sql.Stmt, error) {
	s, ok := t.stmts[query]
	if !ok {
		var err error
		s, err = t.tx.PrepareContext(context.Background(), query)
		if err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		t.stmts[query] = s
	}
	return s, nil
}

// OnCommit registers f to run after the transaction is durable, for
// updating in-memory state that must match committed data only.
func (t *Tx) OnCommit(f func()) { t.onCommit = append(t.onCommit, f) }

// OnRollback registers f to run if this run of the operation is rolled
// back (its own failure, another operation's failure before the batch is
// run again, or a failed commit), for undoing in-memory state changed
// inside the operation.
func (t *Tx) OnRollback(f func()) { t.onRollback = append(t.onRollback, f) }

type op struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan result
}

type result struct {
	err  error
	lead bool // the receiver becomes the leader and must run the queue
}

// Write runs fn inside a write transaction shared with concurrent callers
// (group commit) and returns once the transaction is durable. If fn returns
// an error its changes are rolled back and Write returns that error; other
// operations in the batch are unaffected. If the commit fails every
// operation's OnRollback hooks run and Write fails with a fault.Unavailable
// error.
//
// fn may run more than once: when another operation of its batch fails,
// the batch is rolled back (fn's OnRollback hooks run) and run again
// without that operation. So fn must start from scratch each time — assign
// its results, do not accumulate them — and keep no Tx.
//
// fn must not call Write (it would deadlock).
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan result, 1)}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return ErrClosed
	}
	db.queue = append(db.queue, o)
	if db.leading {
		db.mu.Unlock()
		r := <-o.done
		if !r.lead {
			return r.err
		}
		db.mu.Lock()
	}
	db.leading = true
	for {
		n := min(len(db.queue), db.cfg.MaxBatch)
		batch := db.queue[:n:n]
		db.queue = db.queue[n:]
		db.mu.Unlock()
		results := db.commit(batch)
		// Pipelined group commit: the batch is committed to the WAL but
		// not yet on disk. Hand the writer to the oldest waiter first, so
		// the next batch runs while this one is synced, then sync and
		// only then answer this batch's callers.
		db.mu.Lock()
		if len(db.queue) > 0 {
			db.queue[0].done <- result{lead: true}
		} else {
			db.leading = false
		}
		db.mu.Unlock()
		if err := db.syncWAL(); err != nil {
			for i := range results {
				if results[i] == nil {
					results[i] = fault.E("store.Write", fault.Unavailable, fmt.Errorf("sync WAL: %w", err))
				}
			}
		}
		for i, b := range batch {
			b.done <- result{err: results[i]}
		}
		// Our own op was in this batch, or (beyond MaxBatch) still queued:
		// then we get its result, or the lead again, from whoever leads.
		r := <-o.done
		if !r.lead {
			return r.err
		}
		db.mu.Lock()
	}
}

// commit runs one batch in one transaction and returns every operation's
// result. The commit reaches the WAL but is not synced; the caller syncs
// before answering anyone.
//
// Operations run without savepoints: when one fails, the whole transaction
// is rolled back (running every OnRollback hook registered so far) and the
// batch runs again without it. Failures are rare — refusals and invalid
// values are results, not failed operations — so this is cheaper than a
// SAVEPOINT and RELEASE around every operation.
func (db *DB) commit(batch []*op) []error {
	errs := make([]error, len(batch))
	failed := make([]bool, len(batch))
	for replays := 0; ; replays++ {
		if replays == maxReplays && len(batch) > 1 {
			// Many failures (a damaged audit log fails every append):
			// stop replaying and give each remaining operation a
			// transaction of its own, so the work stays linear.
			for i := range batch {
				if !failed[i] {
					errs[i] = db.commit(batch[i : i+1])[0]
				}
			}
			return errs
		}
		tx, err := db.begin()
		if err != nil {
			for i := range errs {
				if !failed[i] {
					errs[i] = fault.E("store.Write", fault.Unavailable, err)
				}
			}
			return errs
		}
		var commits, rollbacks []func()
		stmts := map[string]*sql.Stmt{}
		replay := false
		for i, o := range batch {
			if failed[i] {
				continue
			}
			t := &Tx{db: db, tx: tx, ctx: o.ctx, stmts: stmts}
			err := runOp(t, o)
			rollbacks = append(rollbacks, t.onRollback...)
			if err != nil {
				errs[i], failed[i] = err, true
				replay = true
				break
			}
			commits = append(commits, t.onCommit...)
		}
		if replay {
			undo(rollbacks)
			if err := tx.Rollback(); err != nil {
				db.dataVersion = -1 // reload caches on the next begin
			}
			continue
		}
		if err := tx.Commit(); err != nil {
			undo(rollbacks)
			db.dataVersion = -1 // reload caches on the next batch
			for i := range errs {
				if !failed[i] {
					errs[i] = fault.E("store.Write", fault.Unavailable, fmt.Errorf("commit: %w", err))
				}
			}
			return errs
		}
		for _, f := range commits {
			f()
		}
		return errs
	}
}

// maxReplays bounds how often one batch is run again after failures.
const maxReplays = 16

// undo runs rollback hooks, newest first.
func undo(hooks []func()) {
	for i := len(hooks) - 1; i >= 0; i-- {
		hooks[i]()
	}
}

// begin opens the batch transaction and runs external-change hooks.
func (db *DB) begin() (*sql.Tx, error) {
	ctx := context.Background() // a batch outlives any one caller's context
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	var v int64
	if err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("read data_version: %w", err)
	}
	if v != db.dataVersion {
		db.hooksMu.Lock()
		hooks := append([]func(*Tx) error(nil), db.hooks...)
		db.hooksMu.Unlock()
		t := &Tx{db: db, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
		for _, h := range hooks {
			if err := h(t); err != nil {
				tx.Rollback()
				return nil, fmt.Errorf("reload after external change: %w", err)
			}
		}
		db.dataVersion = v
	}
	return tx, nil
}

// runOp runs one operation, turning a panic into its error.
func runOp(t *Tx, o *op) (err error) {
	if err := o.ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fault.E("store.Write", fault.Internal, fmt.Errorf("operation panicked: %v", p))
		}
	}()
	return o.fn(t)
}
