package trunk

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"time"

	"kordon/types/fault"
)

// Current returns the newest Set without waiting: the SIP hot path calls
// it for every request. When the Set is stale (a change not yet loaded) it
// nudges Run and returns the Set it has. Before the first refresh it is
// empty.
func (r *Repo) Current() *Set {
	if r.stale.Load() {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return r.cur.Load()
}

// Snapshot returns the current Set, loading it first if it is stale: the
// rows are read, passwords unwrapped (the ones not seen before) and host
// names resolved. On failure the previous Set stays current and the error
// is returned.
func (r *Repo) Snapshot(ctx context.Context) (*Set, error) {
	if !r.stale.Load() {
		return r.cur.Load(), nil
	}
	return r.refresh(ctx, false)
}

// Run keeps the Set current until ctx ends: it refreshes at once, after
// every change this process makes or learns of (the store's
// OnExternalChange hook), when the rows change under it (polled every
// PollInterval, for a command-line edit while this process writes
// nothing) and every ResolveInterval to resolve host names again. A failed
// refresh is logged and retried at the next poll. Run returns nil when ctx
// ends.
func (r *Repo) Run(ctx context.Context) error {
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	resolve := time.NewTicker(r.cfg.ResolveInterval)
	defer resolve.Stop()
	r.refreshLogged(ctx, false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
			r.refreshLogged(ctx, false)
		case <-poll.C:
			r.poll(ctx)
		case <-resolve.C:
			r.refreshLogged(ctx, true)
		}
	}
}

// refreshLogged refreshes and logs a failure (which names the trunk and
// the cause, never a password).
func (r *Repo) refreshLogged(ctx context.Context, force bool) {
	if _, err := r.refresh(ctx, force); err != nil && ctx.Err() == nil {
		r.log.Warn("trunk set not refreshed; keeping the previous one", "err", err)
	}
}

// poll refreshes when the stored rows differ from the ones the current
// Set was built from, or when the Set is stale.
func (r *Repo) poll(ctx context.Context) {
	if r.stale.Load() {
		r.refreshLogged(ctx, false)
		return
	}
	rows, err := r.readRows(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("trunks not polled", "err", err)
		}
		return
	}
	if fingerprint(rows) != r.cur.Load().fp {
		r.invalidate()
		r.refreshLogged(ctx, false)
	}
}

// refresh builds a new Set from the database. Unless force is set it does
// nothing when the Set is not stale (another caller refreshed it while
// this one waited).
func (r *Repo) refresh(ctx context.Context, force bool) (*Set, error) {
	const op = "trunk.Snapshot"
	r.mu.Lock()
	defer r.mu.Unlock()
	if !force && !r.stale.Load() {
		return r.cur.Load(), nil
	}
	// Cleared before reading, so a change that lands while this refresh
	// reads marks the Set stale again.
	r.stale.Store(false)
	rows, err := r.readRows(ctx)
	if err != nil {
		r.stale.Store(true)
		return nil, fault.E(op, fault.Unavailable, err)
	}
	s, err := r.build(ctx, rows)
	if err != nil {
		r.stale.Store(true)
		return nil, err
	}
	r.cur.Store(s)
	return s, nil
}

// build turns rows into a Set. A trunk whose settings do not decode, or
// whose credentials have no stored password, is left out (and logged)
// rather than served half-configured; a password that cannot be unwrapped
// fails the whole build, since the key provider is then most likely down
// for every trunk. A host name that does not resolve keeps the addresses
// of the previous Set.
func (r *Repo) build(ctx context.Context, rows []row) (*Set, error) {
	const op = "trunk.Snapshot"
	prev := r.cur.Load()
	trunks := make([]*Trunk, 0, len(rows))
	used := map[string]bool{}
	for _, w := range rows {
		t, err := w.decode()
		if err != nil {
			r.log.Error("trunk left out of the set", "trunk", w.id, "err", err)
			continue
		}
		ok := true
		for _, d := range []struct {
			c       *Credentials
			wrapped string
			valid   bool
		}{{t.Inbound, w.inSecret.String, w.inSecret.Valid}, {t.Outbound, w.outSecret.String, w.outSecret.Valid}} {
			if d.c == nil {
				continue
			}
			if !d.valid {
				r.log.Error("trunk left out of the set: credentials without a stored password", "trunk", w.id)
				ok = false
				break
			}
			s, err := r.unwrap(ctx, d.wrapped)
			if err != nil {
				return nil, fault.E(op, fault.Unavailable, err)
			}
			d.c.Password = s
			used[d.wrapped] = true
		}
		if !ok {
			continue
		}
		d := t.WithDefaults()
		trunks = append(trunks, &d)
	}
	for w := range r.secrets {
		if !used[w] {
			delete(r.secrets, w)
		}
	}
	r.resolve(ctx, trunks, prev)
	return newSet(trunks, fingerprint(rows)), nil
}

// unwrap returns a wrapped password, from the cache when it was unwrapped
// before. The caller holds r.mu.
func (r *Repo) unwrap(ctx context.Context, wrapped string) (Secret, error) {
	if s, ok := r.secrets[wrapped]; ok {
		return s, nil
	}
	b, err := r.cfg.Keys.Unwrap(ctx, wrapped)
	if err != nil {
		return Secret{}, err
	}
	s := Secret{s: string(b)}
	clear(b)
	r.secrets[wrapped] = s
	return s, nil
}

// resolve looks up, concurrently, the host names of the trunks that need
// their addresses (no AllowFrom, a name rather than an address). A failed
// lookup keeps the addresses the previous Set had for the same host.
func (r *Repo) resolve(ctx context.Context, trunks []*Trunk, prev *Set) {
	var names []string
	for _, t := range trunks {
		if needsLookup(t) && !slices.Contains(names, t.Host) {
			names = append(names, t.Host)
		}
	}
	addrs := make([][]netip.Addr, len(names)) // each goroutine writes its own element
	var wg sync.WaitGroup
	for i, h := range names {
		wg.Go(func() {
			lctx, cancel := context.WithTimeout(ctx, r.cfg.ResolveTimeout)
			defer cancel()
			as, err := r.cfg.Resolve(lctx, h)
			if err != nil || len(as) == 0 {
				r.log.Warn("trunk host name did not resolve; keeping its previous addresses", "host", h, "err", err)
				as = previousAddrs(prev, h)
			}
			for k, a := range as {
				as[k] = a.Unmap()
			}
			addrs[i] = as
		})
	}
	wg.Wait()
	for _, t := range trunks {
		if i := slices.Index(names, t.Host); i >= 0 && needsLookup(t) {
			t.addrs = slices.Clone(addrs[i])
		}
	}
}

// needsLookup reports whether Allows depends on t's resolved addresses.
func needsLookup(t *Trunk) bool {
	if len(t.AllowFrom) > 0 {
		return false
	}
	_, err := netip.ParseAddr(t.Host)
	return err != nil
}

// previousAddrs returns the addresses prev holds for host.
func previousAddrs(prev *Set, host string) []netip.Addr {
	for _, t := range prev.All() {
		if t.Host == host && len(t.addrs) > 0 {
			return slices.Clone(t.addrs)
		}
	}
	return nil
}

// fingerprint hashes the rows, so a poll can tell whether anything
// changed without comparing them one by one.
func fingerprint(rows []row) [32]byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, w := range rows {
		field([]byte(w.id))
		field(w.settings)
		field([]byte(w.inSecret.String))
		field([]byte(w.outSecret.String))
		binary.BigEndian.PutUint64(n[:], uint64(w.updatedAt))
		h.Write(n[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
