package trunk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// TestRoundTrip creates, reads, updates and deletes a trunk through the
// database with a real local key provider, and checks what is stored.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	r := e.repo
	in := valid()
	got, err := r.Create(ctx, admin, in)
	if err != nil {
		t.Fatal(err)
	}
	want := in.withoutPasswords()
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Fatalf("Create returned (-want +got):\n%s", diff)
	}
	if in.Inbound.Password.Reveal() != inPassword {
		t.Fatal("Create changed its argument")
	}
	read, err := r.Get(ctx, admin, "pbx-main")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, read, cmpOpts...); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}
	list, err := r.List(ctx, admin)
	if err != nil || len(list) != 1 || list[0].ID != "pbx-main" {
		t.Fatalf("List = %v, %v", list, err)
	}

	// The row holds wrapped passwords in their columns, and the settings
	// hold neither password; the database file holds no plaintext.
	var settings, inW, outW string
	if err := e.core.DB.Read().QueryRow("SELECT settings, inbound_secret, outbound_secret FROM trunks WHERE id = 'pbx-main'").Scan(&settings, &inW, &outW); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(settings, "password") || !strings.HasPrefix(inW, "local:") || !strings.HasPrefix(outW, "local:") {
		t.Fatalf("stored row: settings %s, secrets %q %q", settings, inW, outW)
	}
	for _, w := range []struct{ wrapped, want string }{{inW, inPassword}, {outW, outPassword}} {
		b, err := e.core.Provider.Unwrap(ctx, w.wrapped)
		if err != nil || string(b) != w.want {
			t.Fatalf("stored secret unwraps to something else (%v)", err)
		}
	}
	if err := e.core.DB.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.core.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(inPassword)) || bytes.Contains(raw, []byte(outPassword)) {
		t.Fatal("the database file holds a plaintext password")
	}

	// Update without passwords keeps both; a new one replaces one.
	up := read
	up.Port = 5071
	up.Outbound.Password = NewSecret("new-outbound-pw")
	if _, err := r.Update(ctx, admin, up); err != nil {
		t.Fatal(err)
	}
	s, err := r.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := s.Get("pbx-main")
	if !ok || tr.Port != 5071 || tr.Inbound.Password.Reveal() != inPassword || tr.Outbound.Password.Reveal() != "new-outbound-pw" {
		t.Fatalf("after update: %+v", tr)
	}
	// Dropping a credentials block drops its password.
	up.Outbound = nil
	if _, err := r.Update(ctx, admin, up); err != nil {
		t.Fatal(err)
	}
	var outNull bool
	if err := e.core.DB.Read().QueryRow("SELECT outbound_secret IS NULL FROM trunks WHERE id = 'pbx-main'").Scan(&outNull); err != nil || !outNull {
		t.Fatalf("outbound secret kept after its credentials were dropped (%v)", err)
	}
	// A new credentials block needs its password.
	up.Outbound = &Credentials{Username: "robot"}
	if _, err := r.Update(ctx, admin, up); !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), "outbound_auth.password") {
		t.Fatalf("credentials without a password: %v", err)
	}

	if err := r.Delete(ctx, admin, "pbx-main"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, admin, "pbx-main"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	r := e.repo
	if _, err := r.Create(ctx, admin, valid()); err != nil {
		t.Fatal(err)
	}
	bad := valid()
	bad.ID, bad.Port, bad.Transport = "other", 0, "udp"
	bad.Codecs = []string{"G729"}
	other := valid()
	other.ID = "ghost"
	nobody := tokenizer.Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: "k1"}, Scopes: []tokenizer.Scope{tokenizer.ScopeResolve}}
	tests := []struct {
		name   string
		do     func() error
		kind   fault.Kind
		fields []string // for Invalid: every field named
	}{
		{"duplicate", func() error { _, err := r.Create(ctx, admin, valid()); return err }, fault.Conflict, nil},
		{"invalid create", func() error { _, err := r.Create(ctx, admin, bad); return err }, fault.Invalid, []string{"transport", "tls.require_client_cert", "codecs[0]"}},
		{"update missing", func() error { _, err := r.Update(ctx, admin, other); return err }, fault.NotFound, nil},
		{"delete missing", func() error { return r.Delete(ctx, admin, "ghost") }, fault.NotFound, nil},
		{"get malformed id", func() error { _, err := r.Get(ctx, admin, "89123456789"); return err }, fault.NotFound, nil},
		{"no scope", func() error { _, err := r.List(ctx, nobody); return err }, fault.Denied, nil},
		{"no scope create", func() error { _, err := r.Create(ctx, nobody, valid()); return err }, fault.Denied, nil},
		{"no principal", func() error { return r.Delete(ctx, tokenizer.Principal{}, "pbx-main") }, fault.Unauthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !fault.Is(err, tt.kind) {
				t.Fatalf("err = %v (kind %v), want %v", err, fault.KindOf(err), tt.kind)
			}
			if strings.Contains(err.Error(), "9123456") {
				t.Fatalf("error repeats input: %v", err)
			}
			if tt.fields != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("no Errors in %v", err)
				}
				if diff := cmp.Diff(tt.fields, es.Fields()); diff != "" {
					t.Fatalf("fields (-want +got):\n%s", diff)
				}
			}
		})
	}
	if n := len(e.entries(t, audit.ActionTrunkRead)); n != 1 {
		t.Errorf("%d trunk.read entries, want the one refusal", n)
	}
	if got := e.entries(t, audit.ActionTrunkCreate); len(got) != 3 || got[1].Result != audit.ResultInvalid || got[2].Result != audit.ResultDenied ||
		got[1].Reason != "invalid fields: transport, tls.require_client_cert, codecs[0]" {
		t.Errorf("trunk.create entries: %+v", got)
	}
}

// TestAudit checks that every change is audited with its actor, the
// trunk and the fields that changed, and that no entry holds a password
// or the routes' numbers.
func TestAudit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	r := e.repo
	p := admin
	p.RequestID = "req-1"
	if _, err := r.Create(ctx, p, valid()); err != nil {
		t.Fatal(err)
	}
	up := valid()
	up.Description = "moved"
	up.Routes = map[string]string{"*": "reception"}
	up.Inbound.Password = Secret{}
	up.Outbound.Password = NewSecret("another-pw-1")
	if _, err := r.Update(ctx, p, up); err != nil {
		t.Fatal(err)
	}
	up.Outbound.Password = Secret{}
	if _, err := r.Update(ctx, p, up); err != nil { // no change, passwords kept: no entry
		t.Fatal(err)
	}
	if err := r.Delete(ctx, p, "pbx-main"); err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Action, Actor, Result, RequestID string
		Detail                           map[string]string
	}
	var got []summary
	all, bodies := e.core.Entries(t)
	for _, en := range all {
		if strings.HasPrefix(en.Action, "trunk.") {
			got = append(got, summary{en.Action, en.Actor.Type + ":" + en.Actor.ID, en.Result, en.RequestID, en.Detail})
		}
	}
	want := []summary{
		{"trunk.create", "cli:root", "ok", "req-1", map[string]string{"trunk": "pbx-main", "changed": "allow_from,caller_id,codecs,description,host,id," +
			"inbound_auth.password,inbound_auth.username,limits.max_calls,limits.max_cps,limits.max_duration,limits.ring_timeout," +
			"outbound_auth.password,outbound_auth.username,port,routes,srtp,tls.ca,tls.client_name,tls.require_client_cert,tls.server_name,transport"}},
		{"trunk.update", "cli:root", "ok", "req-1", map[string]string{"trunk": "pbx-main", "changed": "description,outbound_auth.password,routes"}},
		{"trunk.delete", "cli:root", "ok", "req-1", map[string]string{"trunk": "pbx-main"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	for _, b := range bodies {
		for _, s := range []string{inPassword, outPassword, "another-pw-1", "74951234567", "4950000001"} {
			if bytes.Contains(b, []byte(s)) {
				t.Fatalf("audit entry holds %q: %s", s, b)
			}
		}
	}
}
