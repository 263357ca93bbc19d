package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"kordon/types/fault"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in order. It fails if the
// numbering has a gap or a duplicate, so a bad file name is caught by tests
// rather than at a customer's site.
func Migrations() ([]Migration, error) {
	return loadMigrations(migrationFS, "migrations")
}

func loadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	files, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		name := f.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %d (gap or duplicate)", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion returns the schema version recorded in the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return fault.E("store.migrate", fault.Internal, err)
	}
	return db.apply(ctx, ms)
}

// apply runs every migration newer than the database's user_version, each
// in one IMMEDIATE transaction that also sets user_version, so concurrent
// processes starting together apply each migration exactly once.
func (db *DB) apply(ctx context.Context, ms []Migration) error {
	for _, m := range ms {
		if err := db.applyOne(ctx, m); err != nil {
			return err
		}
	}
	cur, err := db.SchemaVersion(ctx)
	if err != nil {
		return fault.E("store.migrate", fault.Unavailable, err)
	}
	if cur > len(ms) {
		return fault.E("store.migrate", fault.Invalid,
			fmt.Errorf("database schema version %d is newer than this binary knows (%d): refusing to run an older kordon on it", cur, len(ms)))
	}
	return nil
}

func (db *DB) applyOne(ctx context.Context, m Migration) error {
	tx, err := db.w.BeginTx(ctx, nil) // IMMEDIATE: takes the write lock first
	if err != nil {
		return fault.E("store.migrate", fault.Unavailable, fmt.Errorf("begin migration %04d: %w", m.Version, err))
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fault.E("store.migrate", fault.Unavailable, err)
	}
	if cur >= m.Version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fault.E("store.migrate", fault.Internal, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err))
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
		return fault.E("store.migrate", fault.Unavailable, err)
	}
	if err := tx.Commit(); err != nil {
		return fault.E("store.migrate", fault.Unavailable, fmt.Errorf("commit migration %04d: %w", m.Version, err))
	}
	if err := db.syncWAL(); err != nil {
		return fault.E("store.migrate", fault.Unavailable, fmt.Errorf("sync migration %04d: %w", m.Version, err))
	}
	return nil
}
