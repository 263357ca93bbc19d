package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"kordon/admin"
)

// cmdServe runs the appliance until SIGINT or SIGTERM: the admin listener,
// the audit log's periodic checkpoints and the tokenizer's background
// re-encryption. With no boot file it runs on the embedded defaults: data in
// ./kordon-data (created 0700), a local key file (0600) and a self-signed
// certificate for https://127.0.0.1:8443.
func cmdServe(ctx context.Context, g *globals, args []string) error {
	if len(args) > 0 {
		return usagef("serve takes no arguments (settings live in the boot file, see --config)")
	}
	a, err := openApp(ctx, g.cfg, g.logger, true)
	if err != nil {
		return err
	}
	defer a.close()
	log := g.logger.With("subsystem", "serve")
	if g.cfg.SelfSignedTLS() {
		created, err := admin.EnsureSelfSigned(g.cfg.TLSCertFile(), g.cfg.TLSKeyFile(), nil)
		if err != nil {
			return err
		}
		if created {
			log.Info("generated a self-signed certificate for the admin listener", "file", g.cfg.TLSCertFile(), "sha256", certFingerprint(g.cfg.TLSCertFile()))
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := admin.New(admin.Config{
		Listen:       g.cfg.Admin.Listen,
		CertFile:     g.cfg.TLSCertFile(),
		KeyFile:      g.cfg.TLSKeyFile(),
		MaxBodyBytes: g.cfg.Admin.MaxBodyBytes,
		ResolveRate:  float64(g.cfg.Admin.ResolveRate),
		ResolveBurst: g.cfg.Admin.ResolveBurst,
		Tokenizer:    a.tk,
		Audit:        a.audit,
		Keys:         a.apikeys,
		Trunks:       a.trunks,
		Ready:        a.ready,
		Registry:     reg,
		Logger:       g.logger,
	})
	if err != nil {
		return err
	}
	log.Info("kordon starting", "version", version, "data_dir", g.cfg.DataDir, "listen", g.cfg.Admin.Listen,
		"key_provider", a.provider.Name(), "audit_origin", a.ring.Origin())
	grp, ctx := errgroup.WithContext(ctx)
	grp.Go(func() error { return srv.Run(ctx) })
	grp.Go(func() error { return a.audit.Run(ctx) })
	grp.Go(func() error { return a.tk.Run(ctx) })
	grp.Go(func() error { return a.trunks.Run(ctx) })
	err = grp.Wait()
	log.Info("kordon stopped")
	return err
}

// ready reports whether the appliance can serve: the database answers and
// the key provider is reachable.
func (a *app) ready(ctx context.Context) error {
	if err := a.db.Read().PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if _, err := a.provider.Status(ctx); err != nil {
		return fmt.Errorf("key provider: %w", err)
	}
	return nil
}

// certFingerprint returns the SHA-256 of the certificate's DER, for admins
// to compare with what their browser shows.
func certFingerprint(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return "unknown"
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(blk.Bytes)
	return hex.EncodeToString(sum[:])
}
