package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"

	"kordon/audit"
	"kordon/types/code"
	"kordon/types/pii"
)

func cmdAudit(ctx context.Context, g *globals, args []string) error {
	verb, args, err := subcommand(args, "verify", "prove", "export", "search")
	if err != nil {
		return err
	}
	fs := flags(g, "audit "+verb)
	var f audit.Filter
	key := fs.String("key", "", "verify: the verifier key to check checkpoints with (default: the one in the database; pin your own copy)")
	size := fs.Int64("size", 0, "prove: tree size to prove against (default: the latest checkpoint)")
	consistency := fs.Bool("consistency", false, "prove: prove that checkpoint B extends checkpoint A (args: A B)")
	format := fs.String("format", audit.FormatJSONL, "export: jsonl, syslog or cef")
	out := fs.String("out", "", "export: write to this file (created 0600) instead of stdout")
	value := fs.String("value", "", "search: a raw value to look for (hashed, never stored)")
	kind := fs.String("kind", "phone", "search: the kind of --value")
	fs.StringVar(&f.Code, "code", "", "search, export: entries naming this code")
	fs.StringVar(&f.ActorID, "actor", "", "search, export: entries by this actor id")
	fs.StringVar(&f.Action, "action", "", "search, export: entries with this action")
	from := fs.String("from", "", "search, export: entries at or after this RFC 3339 time")
	to := fs.String("to", "", "search, export: entries before this RFC 3339 time")
	fs.Int64Var(&f.AfterSeq, "after", 0, "search: entries after this seq")
	fs.IntVar(&f.Limit, "limit", 0, "search: at most this many entries (default 100, max 1000)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		s   string
		dst *time.Time
		n   string
	}{{*from, &f.From, "--from"}, {*to, &f.To, "--to"}} {
		if t.s == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.s); err != nil {
			return usagef("%s: want an RFC 3339 time such as 2026-11-21T10:00:00Z", t.n)
		}
	}
	if f.Code != "" {
		if _, err := code.Parse(f.Code); err != nil {
			return usagef("--code: %v", err)
		}
	}
	a, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	reader := cliPrincipal().Actor
	switch verb {
	case "verify":
		return auditVerify(ctx, g, a, *key, pos)
	case "prove":
		if *consistency {
			return auditProveConsistency(ctx, g, a, pos)
		}
		return auditProveInclusion(ctx, g, a, *size, pos)
	case "export":
		if len(pos) > 0 {
			return usagef("audit export takes no arguments")
		}
		w := g.io.out
		if *out != "" {
			file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			defer file.Close()
			w = file
		}
		return a.audit.Export(ctx, reader, w, *format, f)
	default: // search
		if len(pos) > 0 {
			return usagef("audit search takes no arguments; use --value, --code, --actor or --action")
		}
		if *value != "" {
			k, err := code.ParseKind(*kind)
			if err != nil {
				return usagef("--kind: %v", err)
			}
			if f.ValueHash, err = a.tk.ValueHash(k, pii.New(*value)); err != nil {
				return err
			}
		}
		entries, err := a.audit.Search(ctx, reader, f)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(g.io.out)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		if len(entries) == 0 {
			fmt.Fprintln(g.io.err, "kordon: no matching entries")
		}
		return nil
	}
}

func auditVerify(ctx context.Context, g *globals, a *app, key string, pos []string) error {
	if len(pos) > 0 {
		return usagef("audit verify takes no arguments")
	}
	if key == "" {
		key = a.ring.VerifierKey()
		fmt.Fprintln(g.io.err, "kordon: checking checkpoints with the verifier key stored in the database; pass --key with a copy kept elsewhere to rule out a replaced key")
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return usagef("--key: not a signed-note verifier key")
	}
	rep, err := audit.Verify(ctx, a.db.Read(), v)
	if err != nil {
		return err
	}
	// Report first: recording the verification appends to the log, which
	// the audit package refuses while the log is damaged.
	if !rep.OK {
		for _, p := range rep.Problems {
			fmt.Fprintln(g.io.out, "problem:", p.What)
		}
		if rep.Omitted > 0 {
			fmt.Fprintf(g.io.out, "problem: %d more not listed\n", rep.Omitted)
		}
	} else {
		fmt.Fprintf(g.io.out, "ok: %d entries, %d checkpoints verified", rep.Entries, rep.Checkpoints)
		if rep.Unsigned > 0 {
			fmt.Fprintf(g.io.out, " (%d newest entries not yet under a checkpoint)", rep.Unsigned)
		}
		fmt.Fprintln(g.io.out)
	}
	result := audit.ResultOK
	if !rep.OK {
		result = audit.ResultError
	}
	_, recErr := a.audit.Record(ctx, audit.Entry{Actor: cliPrincipal().Actor, Remote: "local", Action: audit.ActionAuditVerify, Result: result,
		Detail: map[string]string{"entries": strconv.FormatInt(rep.Entries, 10), "checkpoints": strconv.FormatInt(rep.Checkpoints, 10)}})
	if err := rep.Err(); err != nil {
		return fmt.Errorf("audit log FAILED verification: %s", rep.First())
	}
	return recErr
}

func auditProveInclusion(ctx context.Context, g *globals, a *app, size int64, pos []string) error {
	if len(pos) != 1 {
		return usagef("audit prove SEQ [--size N]")
	}
	seq, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || seq < 0 {
		return usagef("SEQ must be an entry number (0 or more)")
	}
	cp, err := checkpointFor(ctx, a, size)
	if err != nil {
		return err
	}
	proof, err := a.audit.ProveInclusion(ctx, seq, cp.Size)
	if err != nil {
		return err
	}
	var body []byte
	if err := a.db.Read().QueryRowContext(ctx, "SELECT body FROM audit_entries WHERE seq = ?", seq).Scan(&body); err != nil {
		return fmt.Errorf("read entry %d: %w", seq, err)
	}
	if err := audit.VerifyInclusion(proof, cp, seq, body); err != nil {
		return err
	}
	return json.NewEncoder(g.io.out).Encode(map[string]any{
		"seq": seq, "tree_size": cp.Size, "entry": json.RawMessage(body),
		"proof": hashes(proof), "checkpoint": cp.Note, "verified": true,
	})
}

func auditProveConsistency(ctx context.Context, g *globals, a *app, pos []string) error {
	if len(pos) != 2 {
		return usagef("audit prove --consistency SIZE_A SIZE_B (two checkpoint sizes)")
	}
	var sizes [2]int64
	for i, s := range pos {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return usagef("checkpoint sizes must be positive numbers")
		}
		sizes[i] = n
	}
	older, err := a.audit.CheckpointAt(ctx, sizes[0])
	if err != nil {
		return err
	}
	newer, err := a.audit.CheckpointAt(ctx, sizes[1])
	if err != nil {
		return err
	}
	proof, err := a.audit.ProveConsistency(ctx, older.Size, newer.Size)
	if err != nil {
		return err
	}
	if err := audit.VerifyConsistency(proof, older, newer); err != nil {
		return err
	}
	return json.NewEncoder(g.io.out).Encode(map[string]any{
		"from": older.Size, "to": newer.Size, "proof": hashes(proof),
		"from_checkpoint": older.Note, "to_checkpoint": newer.Note, "verified": true,
	})
}

// checkpointFor returns the checkpoint of the given size, or the latest
// (signing one first if entries are newer than it).
func checkpointFor(ctx context.Context, a *app, size int64) (audit.Checkpoint, error) {
	if size > 0 {
		return a.audit.CheckpointAt(ctx, size)
	}
	return a.audit.Checkpoint(ctx)
}

func hashes[H ~[32]byte](hs []H) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}
