package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"

	"kordon/admin/apikey"
	"kordon/audit"
	"kordon/config"
	"kordon/media/trunk"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/keys"
	"kordon/types/fault"
)

// stdio is where a command reads and writes, so tests can run commands in
// process.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// app is an opened data directory: the subsystems every command shares,
// wired in dependency order (store → keys → audit → tokenizer → API keys).
type app struct {
	cfg      config.Config
	log      *slog.Logger
	db       *store.DB
	provider keys.Provider
	ring     *tokenizer.Ring
	audit    *audit.Log
	tk       *tokenizer.Tokenizer
	apikeys  *apikey.Store
	trunks   *trunk.Repo
}

// openApp opens the data directory described by cfg. create says whether
// a missing data directory may be created (serve) or is an error (the
// administrative commands, which must not create an empty appliance by
// mistake). On failure everything opened so far is closed again.
func openApp(ctx context.Context, cfg config.Config, logger *slog.Logger, create bool) (_ *app, err error) {
	if err := ensureDataDir(cfg.DataDir, create); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: logger}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.db, err = store.Open(ctx, store.Config{
		Path:        cfg.DatabasePath(),
		BusyTimeout: cfg.Store.BusyTimeout,
		MaxBatch:    cfg.Store.MaxBatch,
	})
	if err != nil {
		return nil, err
	}
	if a.provider, err = newProvider(ctx, cfg); err != nil {
		return nil, err
	}
	if a.ring, err = tokenizer.OpenRing(ctx, a.db, a.provider, cfg.AuditOrigin()); err != nil {
		return nil, err
	}
	signer, err := a.ring.Signer()
	if err != nil {
		return nil, err
	}
	verifier, err := a.ring.Verifier()
	if err != nil {
		return nil, err
	}
	a.audit, err = audit.New(audit.Config{
		DB: a.db, Signer: signer, Verifier: verifier,
		CheckpointEvery:    cfg.Audit.CheckpointEvery,
		CheckpointInterval: cfg.Audit.CheckpointInterval,
		Logger:             logger,
		Version:            version,
	})
	if err != nil {
		return nil, err
	}
	for _, purpose := range a.ring.Created() {
		if _, err := a.audit.Record(ctx, audit.Entry{
			Actor: audit.Actor{Type: audit.ActorSystem, ID: "keys"}, Action: "key.create", Result: audit.ResultOK,
			Detail: map[string]string{"purpose": purpose, "version": "1", "provider": a.provider.Name()},
		}); err != nil {
			return nil, err
		}
	}
	a.tk, err = tokenizer.New(tokenizer.Config{
		DB: a.db, Ring: a.ring, Audit: a.audit,
		Region:       cfg.Tokenizer.DefaultRegion,
		CacheEntries: cfg.Tokenizer.CacheEntries,
		RewrapBatch:  cfg.Keys.RewrapBatch,
		Logger:       logger,
	})
	if err != nil {
		return nil, err
	}
	if a.apikeys, err = apikey.New(apikey.Config{DB: a.db, Audit: a.audit}); err != nil {
		return nil, err
	}
	if a.trunks, err = trunk.New(trunk.Config{DB: a.db, Keys: a.provider, Audit: a.audit, Logger: logger}); err != nil {
		return nil, err
	}
	return a, nil
}

// close writes a final checkpoint, so entries written by a short command
// are signed before it exits, and closes the database.
func (a *app) close() error {
	var errs []error
	if a.audit != nil && a.tk != nil {
		ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
		if _, err := a.audit.Checkpoint(ctx); err != nil && !errors.Is(err, audit.ErrNoCheckpoint) {
			errs = append(errs, err)
		}
		cancel()
	}
	if c, ok := a.provider.(io.Closer); ok && a.provider != nil {
		errs = append(errs, c.Close())
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	return errors.Join(errs...)
}

// newProvider builds the configured key provider and, for Vault, checks
// that it answers, so that a wrong address fails at start with a clear
// error instead of on the first request.
func newProvider(ctx context.Context, cfg config.Config) (keys.Provider, error) {
	switch cfg.Keys.Provider {
	case "vault":
		v := cfg.Keys.Vault
		p, err := keys.NewVault(keys.VaultConfig{
			Address: v.Address, Mount: v.Mount, Key: v.Key, Auth: v.Auth,
			TokenFile:    cfg.ResolvePath(v.TokenFile),
			RoleIDFile:   cfg.ResolvePath(v.RoleIDFile),
			SecretIDFile: cfg.ResolvePath(v.SecretIDFile),
			AppRoleMount: v.AppRoleMount,
			CAFile:       cfg.ResolvePath(v.CAFile),
			Timeout:      v.Timeout,
		})
		if err != nil {
			return nil, err
		}
		if err := p.Open(ctx); err != nil {
			return nil, err
		}
		return p, nil
	default:
		return keys.NewLocal(keys.LocalConfig{Path: cfg.KeyFile()})
	}
}

// ensureDataDir checks (or, for serve, creates) the data directory with
// mode 0700.
func ensureDataDir(dir string, create bool) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return fault.E("data dir", fault.Invalid, fmt.Errorf("%s is not a directory", dir))
	case err == nil:
		if st.Mode().Perm()&0o077 != 0 {
			return fault.E("data dir", fault.Invalid, fmt.Errorf("%s has mode %04o; want 0700 (chmod 700 %s)", dir, st.Mode().Perm(), dir))
		}
		return nil
	case errors.Is(err, os.ErrNotExist) && create:
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fault.E("data dir", fault.Unavailable, err)
		}
		return os.Chmod(dir, 0o700) // MkdirAll is subject to the umask
	case errors.Is(err, os.ErrNotExist):
		return fault.E("data dir", fault.NotFound, fmt.Errorf("%s does not exist; run `kordon serve` once to create the appliance, or pass --config", dir))
	default:
		return fault.E("data dir", fault.Unavailable, err)
	}
}

// cliPrincipal is the operating-system user running the command line. The
// data directory is readable only by the appliance's user, so whoever can
// run these commands against it holds every scope.
func cliPrincipal() tokenizer.Principal {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid-%d", os.Getuid())
	}
	return tokenizer.Principal{
		Actor:  audit.Actor{Type: audit.ActorCLI, ID: name},
		Scopes: tokenizer.Scopes(),
		Remote: "local",
	}
}
