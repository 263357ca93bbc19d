package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"kordon/types/code"
	"kordon/types/fault"
)

// Filter selects entries. Every set field must match; the zero Filter
// selects every entry.
type Filter struct {
	Code      string    // entries naming this code (any spelling Parse accepts)
	ActorID   string    // entries by this actor
	Action    string    // entries with this action
	ValueHash string    // entries naming this value hash (see tokenizer.ValueHash)
	From      time.Time // entries at or after this time; zero: no bound
	To        time.Time // entries before this time; zero: no bound
	// AfterSeq pages through results: to continue, pass the Seq of the
	// last entry of the previous page, and only later entries are
	// returned. Zero (or negative) means no lower bound, entry 0 included;
	// so the one page it cannot continue is a page of Limit 1 that ended
	// on entry 0.
	AfterSeq int64
	// Limit caps the entries returned. Search: default 100, at most 1000.
	// Export: default (0) everything.
	Limit int
}

const (
	defaultSearchLimit = 100
	maxSearchLimit     = 1000
)

// normalize checks f and puts its code in canonical form.
func (f *Filter) normalize() error {
	if f.Code != "" {
		c, err := code.Parse(f.Code)
		if err != nil {
			return fmt.Errorf("filter code: %w", err)
		}
		f.Code = c.String()
	}
	if f.ValueHash != "" && (!isHex(f.ValueHash) || len(f.ValueHash) < minValueHash || len(f.ValueHash) > maxValueHash) {
		return fmt.Errorf("filter value hash: want %d-%d lower-case hex digits", minValueHash, maxValueHash)
	}
	if f.Action != "" && !isIdent(f.Action, 32) {
		return errors.New("filter action: want 1-32 characters of a-z, 0-9, '.', '_' or '-'")
	}
	if len(f.ActorID) > 256 {
		return errors.New("filter actor id longer than 256 bytes")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return errors.New("filter time range is empty (from must be before to)")
	}
	if f.Limit < 0 {
		return errors.New("filter limit is negative")
	}
	return nil
}

// match reports whether e passes f exactly. The SQL prefilter finds
// candidates by substring; this decides.
func (f *Filter) match(e *Entry) bool {
	return (f.Code == "" || slices.Contains(e.Codes, f.Code)) &&
		(f.ValueHash == "" || slices.Contains(e.ValueHashes, f.ValueHash)) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.ActorID == "" || e.Actor.ID == f.ActorID) &&
		(f.From.IsZero() || !e.Time.Before(f.From)) &&
		(f.To.IsZero() || e.Time.Before(f.To))
}

// query builds the SQL prefilter: a superset of the matching entries
// with seq in [from, below), in seq order.
//
// It scans bodies with instr(), which reads every row after AfterSeq: fine
// for the sizes an appliance keeps, and the place to add indexed columns
// (time, action, actor, a code table) if searches of large logs get slow.
// The needles are bound as BLOBs so instr() and the time comparison work
// on bytes.
func (f *Filter) query(from, below int64) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT seq, body FROM audit_entries WHERE seq >= ? AND seq < ?")
	args := []any{from, below}
	needle := func(s []byte) {
		b.WriteString(" AND instr(body, ?) > 0")
		args = append(args, s)
	}
	if f.Code != "" {
		needle(appendString(nil, f.Code))
	}
	if f.ValueHash != "" {
		needle(appendString(nil, f.ValueHash))
	}
	if f.Action != "" {
		needle(appendString([]byte(`"action":`), f.Action))
	}
	if f.ActorID != "" {
		needle(append(appendString([]byte(`,"id":`), f.ActorID), '}'))
	}
	// The time is the second field, at a fixed width: compare it as bytes.
	const timeAt = `substr(body, instr(body, X'2274696d65223a22') + 8, 24)` // "time":"
	if !f.From.IsZero() {
		b.WriteString(" AND " + timeAt + " >= ?")
		args = append(args, []byte(formatTime(f.From))) // rounds down: a superset
	}
	if !f.To.IsZero() {
		to := f.To.UTC()
		if t := to.Truncate(time.Millisecond); !t.Equal(to) {
			to = t.Add(time.Millisecond) // round up: a superset
		}
		b.WriteString(" AND " + timeAt + " < ?")
		args = append(args, []byte(formatTime(to)))
	}
	b.WriteString(" ORDER BY seq")
	return b.String(), args
}

// scan streams the entries matching f with seq in [from, below), at most
// limit of them (0: no limit), to fn with their stored bodies.
func (f *Filter) scan(ctx context.Context, db *sql.DB, from, below int64, limit int, fn func(e *Entry, body []byte) error) error {
	query, args := f.query(from, below)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fault.E("audit.scan", fault.Unavailable, fmt.Errorf("search entries: %w", err))
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var seq int64
		var body sql.RawBytes
		if err := rows.Scan(&seq, &body); err != nil {
			return fault.E("audit.scan", fault.Unavailable, fmt.Errorf("read entry: %w", err))
		}
		e, err := decodeEntry(body)
		if err != nil {
			return fault.E("audit.scan", fault.Internal, fmt.Errorf("entry %d: %w (run kordon audit verify)", seq, err))
		}
		if !f.match(&e) {
			continue
		}
		if err := fn(&e, body); err != nil {
			return err
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fault.E("audit.scan", fault.Unavailable, fmt.Errorf("search entries: %w", err))
	}
	return nil
}

// start returns the first seq a filter's page may return.
func (f *Filter) start() int64 {
	if f.AfterSeq <= 0 {
		return 0
	}
	return f.AfterSeq + 1
}

// detail describes a filter for the audit entry recording its use. It
// holds no value: codes and value hashes go into the entry's Codes and
// ValueHashes, so that a search for a person finds who looked for them.
func (f *Filter) detail() map[string]string {
	d := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	set("filter.actor_id", f.ActorID)
	set("filter.action", f.Action)
	if !f.From.IsZero() {
		d["filter.from"] = formatTime(f.From)
	}
	if !f.To.IsZero() {
		d["filter.to"] = formatTime(f.To)
	}
	if f.AfterSeq > 0 {
		d["filter.after_seq"] = strconv.FormatInt(f.AfterSeq, 10)
	}
	if f.Limit > 0 {
		d["filter.limit"] = strconv.Itoa(f.Limit)
	}
	return d
}

// readEntry is the audit entry for a search or an export by reader.
func (f *Filter) readEntry(reader Actor, action string) Entry {
	e := Entry{Actor: reader, Action: action, Result: ResultOK, Detail: f.detail()}
	if f.Code != "" {
		e.Codes = []string{f.Code}
	}
	if f.ValueHash != "" {
		e.ValueHashes = []string{f.ValueHash}
	}
	return e
}

// checkReader requires an identified reader.
func checkReader(reader Actor) error {
	if reader.Type == "" || reader.ID == "" {
		return errors.New("the reader of the audit log must be identified (actor type and id)")
	}
	if !slices.Contains(actorTypes, reader.Type) {
		return fmt.Errorf("reader actor type %q is not one of %v", clip(reader.Type), actorTypes)
	}
	return nil
}

// Search returns up to f.Limit entries matching f, in seq order, after
// recording an audit.read entry naming reader and the filter (never a
// value). If that entry cannot be recorded, nothing is returned.
func (l *Log) Search(ctx context.Context, reader Actor, f Filter) ([]Entry, error) {
	const op = "audit.Search"
	if err := checkReader(reader); err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	if err := f.normalize(); err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	if f.Limit == 0 {
		f.Limit = defaultSearchLimit
	}
	f.Limit = min(f.Limit, maxSearchLimit)
	var out []Entry
	err := f.scan(ctx, l.db.Read(), f.start(), 1<<63-1, f.Limit, func(e *Entry, _ []byte) error {
		out = append(out, *e)
		return nil
	})
	if err != nil {
		return nil, fault.E(op, fault.KindOf(err), err)
	}
	e := f.readEntry(reader, ActionAuditRead)
	e.Detail["returned"] = strconv.Itoa(len(out))
	if _, err := l.Record(ctx, e); err != nil {
		return nil, fault.E(op, fault.Unavailable, fmt.Errorf("search refused: the read could not be audited: %w", err))
	}
	return out, nil
}
