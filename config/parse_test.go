package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kordon/types/fault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// where is a problem's position, the part of a FieldError tests pin
// exactly; messages are pinned by the golden files.
type where struct {
	Line int
	Key  string
}

func positions(es Errors) []where {
	var out []where
	for _, e := range es {
		out = append(out, where{e.Line, e.Key})
	}
	return out
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []where
		// msg, if set, must appear in the first problem's message.
		msg string
	}{
		{
			name: "empty file",
			file: "",
			want: []where{{0, "version"}},
			msg:  "the file is empty",
		},
		{
			name: "only comments",
			file: "# nothing here\n\n",
			want: []where{{0, "version"}},
		},
		{
			name: "version missing",
			file: "data_dir: /var/lib/kordon\n",
			want: []where{{0, "version"}},
			msg:  "required",
		},
		{
			name: "wrong version",
			file: "version: 2\nlog:\n  lvl: loud\n",
			want: []where{{1, "version"}}, // the v2 keys are not judged by v1 rules
			msg:  "unsupported version 2",
		},
		{
			name: "version not a number",
			file: "version: one\n",
			want: []where{{1, "version"}},
			msg:  `want 1, got "one"`,
		},
		{
			name: "version as string",
			file: "version: \"1\"\n",
			want: []where{{1, "version"}},
		},
		{
			name: "unknown top-level key",
			file: "version: 1\ndatadir: x\n",
			want: []where{{2, "datadir"}},
			msg:  `did you mean "data_dir"?`,
		},
		{
			name: "unknown key in a section",
			file: "version: 1\nadmin:\n  lisen: 127.0.0.1:1\n",
			want: []where{{3, "admin.lisen"}},
			msg:  `did you mean "listen"?`,
		},
		{
			name: "unknown key three deep",
			file: "version: 1\nkeys:\n  vault:\n    adress: https://v\n",
			want: []where{{4, "keys.vault.adress"}},
			msg:  `did you mean "address"?`,
		},
		{
			name: "unknown key four deep",
			file: "version: 1\nadmin:\n  tls:\n    cert: a.crt\n",
			want: []where{{4, "admin.tls.cert"}},
		},
		{
			name: "inline token refused",
			file: "version: 1\nkeys:\n  vault:\n    token: hvs.SECRETVALUE\n",
			want: []where{{4, "keys.vault.token"}},
			msg:  `set "token_file"`,
		},
		{
			name: "inline password refused",
			file: "version: 1\nadmin:\n  password: hunter2\n",
			want: []where{{3, "admin.password"}},
			msg:  "secrets are never written in this file",
		},
		{
			name: "string for an int",
			file: "version: 1\nadmin:\n  max_body_bytes: abc\n",
			want: []where{{3, "admin.max_body_bytes"}},
			msg:  `want an integer, got "abc"`,
		},
		{
			name: "float for an int",
			file: "version: 1\nstore:\n  max_batch: 1.5\n",
			want: []where{{3, "store.max_batch"}},
		},
		{
			name: "int overflow",
			file: "version: 1\nstore:\n  max_batch: 99999999999999999999999\n",
			want: []where{{3, "store.max_batch"}},
		},
		{
			name: "list for a string",
			file: "version: 1\nlog:\n  level: [info]\n",
			want: []where{{3, "log.level"}},
			msg:  "want a string, got a list",
		},
		{
			name: "scalar for a section",
			file: "version: 1\nlog: debug\n",
			want: []where{{2, "log"}},
			msg:  "want a mapping",
		},
		{
			name: "null value",
			file: "version: 1\nlog:\n  level:\n",
			want: []where{{3, "log.level"}},
			msg:  "no value",
		},
		{
			name: "duration without unit",
			file: "version: 1\nstore:\n  busy_timeout: 10\n",
			want: []where{{3, "store.busy_timeout"}},
			msg:  `want a duration such as "10s"`,
		},
		{
			name: "duration zero",
			file: "version: 1\nstore:\n  busy_timeout: 0s\n",
			want: []where{{3, "store.busy_timeout"}},
			msg:  "want a positive duration",
		},
		{
			name: "negative cache",
			file: "version: 1\ntokenizer:\n  cache_entries: -1\n",
			want: []where{{3, "tokenizer.cache_entries"}},
		},
		{
			name: "bad region",
			file: "version: 1\ntokenizer:\n  default_region: XX\n",
			want: []where{{3, "tokenizer.default_region"}},
		},
		{
			name: "duplicate key",
			file: "version: 1\nlog:\n  level: info\n  level: debug\n",
			want: []where{{4, "log.level"}},
			msg:  "duplicate key (first at line 3)",
		},
		{
			name: "merge key",
			file: "version: 1\nbase: &b {level: info}\nlog:\n  <<: *b\n",
			want: []where{{2, "base"}, {4, `log."<<"`}},
		},
		{
			name: "top level is a list",
			file: "- version: 1\n",
			want: []where{{1, ""}},
			msg:  "want a mapping of keys at the top level",
		},
		{
			name: "syntax error",
			file: "version: 1\nlog:\n  level: info\n format: text\n",
			want: []where{{3, ""}}, // yaml.v3 names the line of the enclosing context
			msg:  "YAML syntax",
		},
		{
			name: "two documents",
			file: "version: 1\n---\nversion: 1\n",
			want: []where{{2, ""}}, // the second "---"
			msg:  "more than one YAML document",
		},
		{
			name: "non-string key",
			file: "version: 1\n[a, b]: c\n",
			want: []where{{2, ""}},
		},
		{
			name: "odd key quoted in path",
			file: "version: 1\n\"a.b\\nc\": 1\n",
			want: []where{{2, `"a.b\nc"`}},
		},
		{
			name: "vault selected without address or token",
			file: "version: 1\nkeys:\n  provider: vault\n",
			want: []where{{2, "keys.vault.address"}, {2, "keys.vault.token_file"}},
		},
		{
			name: "approle without files",
			file: "version: 1\nkeys:\n  provider: vault\n  vault:\n    address: https://vault.example:8200\n    auth: approle\n",
			want: []where{{4, "keys.vault.role_id_file"}, {4, "keys.vault.secret_id_file"}},
		},
		{
			name: "half a TLS pair",
			file: "version: 1\nadmin:\n  tls:\n    cert_file: /etc/kordon/admin.crt\n",
			want: []where{{3, "admin.tls"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, es := parse([]byte(tt.file), "kordon.yaml", noEnv)
			if diff := cmp.Diff(tt.want, positions(es)); diff != "" {
				t.Fatalf("problems differ (-want +got):\n%s\nfull:\n%v", diff, es)
			}
			if tt.msg != "" && !strings.Contains(es[0].Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", es[0].Msg, tt.msg)
			}
			if diff := cmp.Diff(Config{}, c); diff != "" {
				t.Errorf("a failed parse returned a non-zero Config:\n%s", diff)
			}
			for _, e := range es {
				if e.File != "kordon.yaml" {
					t.Errorf("problem %v has File %q", e, e.File)
				}
				if strings.Contains(e.Error(), "SECRETVALUE") || strings.Contains(e.Error(), "hunter2") {
					t.Errorf("problem echoes an inline secret: %v", e)
				}
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want func(*Config)
	}{
		{
			name: "version only",
			file: "version: 1\n",
			want: func(*Config) {},
		},
		{
			name: "region upper-cased",
			file: "version: 1\ntokenizer:\n  default_region: kz\n",
			want: func(c *Config) { c.Tokenizer.DefaultRegion = "KZ" },
		},
		{
			name: "cache 0 means default",
			file: "version: 1\ntokenizer:\n  cache_entries: 0\n",
			want: func(*Config) {},
		},
		{
			name: "empty section keeps defaults",
			file: "version: 1\nadmin:\n  tls:\n    # cert_file: x\n",
			want: func(*Config) {},
		},
		{
			name: "yaml integer forms",
			file: "version: 1\nadmin:\n  max_body_bytes: 0x100000\n  resolve_rate: +7\n",
			want: func(c *Config) { c.Admin.MaxBodyBytes = 1 << 20; c.Admin.ResolveRate = 7 },
		},
		{
			name: "alias",
			file: "version: 1\nstore:\n  busy_timeout: &t 30s\naudit:\n  checkpoint_interval: *t\n",
			want: func(c *Config) { c.Store.BusyTimeout = 30e9; c.Audit.CheckpointInterval = 30e9 },
		},
		{
			name: "vault with token from the environment",
			file: "version: 1\nkeys:\n  provider: vault\n  vault:\n    address: https://vault.example:8200\n",
			env:  map[string]string{"VAULT_TOKEN": "x"},
			want: func(c *Config) {
				c.Keys.Provider = "vault"
				c.Keys.Vault.Address = "https://vault.example:8200"
			},
		},
		{
			name: "vault approle",
			file: "version: 1\nkeys:\n  provider: vault\n  vault:\n    address: http://127.0.0.1:8200\n    auth: approle\n    role_id_file: /run/kordon/role-id\n    secret_id_file: secret-id\n    timeout: 2s\n",
			want: func(c *Config) {
				c.Keys.Provider = "vault"
				c.Keys.Vault.Address = "http://127.0.0.1:8200"
				c.Keys.Vault.Auth = "approle"
				c.Keys.Vault.RoleIDFile = "/run/kordon/role-id"
				c.Keys.Vault.SecretIDFile = "secret-id"
				c.Keys.Vault.Timeout = 2e9
			},
		},
		{
			name: "listen on every interface",
			file: "version: 1\nadmin:\n  listen: \":443\"\n",
			want: func(c *Config) { c.Admin.Listen = ":443" },
		},
		{
			name: "numeric-looking strings",
			file: "version: 1\nkeys:\n  vault:\n    key: 2024\n",
			want: func(c *Config) { c.Keys.Vault.Key = "2024" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, es := parse([]byte(tt.file), "kordon.yaml", env)
			if len(es) > 0 {
				t.Fatalf("parse: %v", es)
			}
			want := Default()
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseAllAtOnce checks that unrelated problems are all reported, with
// their keys and lines, in file order.
func TestParseAllAtOnce(t *testing.T) {
	const file = `version: 1
log:
  level: loud
admin:
  listen: localhost:99999
  lisen: 127.0.0.1:8443
keys:
  provider: vault
  vault:
    address: foo
    token_file: /run/kordon/vault-token
store:
  max_batch: abc
`
	_, err := Parse([]byte(file), "kordon.yaml")
	es := problemsOf(t, err)
	want := []FieldError{
		{File: "kordon.yaml", Line: 3, Key: "log.level", Msg: `want one of debug, info, warn, error, got "loud"`},
		{File: "kordon.yaml", Line: 5, Key: "admin.listen", Msg: `want a port from 1 to 65535, got "99999"`},
		{File: "kordon.yaml", Line: 6, Key: "admin.lisen", Msg: `unknown key; did you mean "listen"?`},
		{File: "kordon.yaml", Line: 10, Key: "keys.vault.address", Msg: `want an https:// or http:// URL, got "foo"`},
		{File: "kordon.yaml", Line: 13, Key: "store.max_batch", Msg: `want an integer, got "abc"`},
	}
	if diff := cmp.Diff(want, []FieldError(es)); diff != "" {
		t.Errorf("problems differ (-want +got):\n%s", diff)
	}
	msg := err.Error()
	if got := strings.Count(msg, "\n"); got != 5 {
		t.Errorf("message has %d line breaks, want 5 (a count line, then one line per problem):\n%s", got, msg)
	}
	for _, e := range want {
		if !strings.Contains(msg, e.Error()) {
			t.Errorf("message lacks %q:\n%s", e.Error(), msg)
		}
	}
}

// TestGolden pins the full error text for the files in testdata/: each
// NAME.yaml has NAME.golden holding Parse's message ("" for a valid file).
// Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, es := parse(data, filepath.ToSlash(path), noEnv)
			got := ""
			if len(es) > 0 {
				got = es.Error() + "\n"
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("message differs from %s (-want +got):\n%s", golden, diff)
			}
			// The inline secrets in secrets_inline.yaml must not be echoed.
			for _, secret := range []string{"c2VjcmV0", "s3cret", "hvs.CAESIJ", "1234", "hunter2"} {
				if strings.Contains(got, secret) {
					t.Errorf("message echoes %q", secret)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	big := filepath.Join(dir, "big.yaml")
	for path, data := range map[string]string{
		good: "version: 1\nlog:\n  level: debug\n",
		bad:  "version: 1\nlog:\n  level: loud\n",
		big:  "version: 1\n" + strings.Repeat("# padding\n", maxFileSize/10+1),
	} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		path string
		kind fault.Kind
		key  string
	}{
		{"good", good, fault.Other, ""},
		{"missing", filepath.Join(dir, "nope.yaml"), fault.NotFound, ""},
		{"invalid", bad, fault.Invalid, "log.level"},
		{"too big", big, fault.Invalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path)
			if got := fault.KindOf(err); got != tt.kind || (err == nil) != (tt.kind == fault.Other) {
				t.Fatalf("Load = %v (kind %v), want kind %v", err, got, tt.kind)
			}
			if err == nil {
				if c.Log.Level != "debug" {
					t.Errorf("log.level = %q, want debug", c.Log.Level)
				}
				return
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.kind == fault.Invalid {
				es := problemsOf(t, err)
				if es[0].Key != tt.key {
					t.Errorf("key = %q, want %q", es[0].Key, tt.key)
				}
			}
			if diff := cmp.Diff(Config{}, c, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("failed Load returned a Config:\n%s", diff)
			}
		})
	}
}
