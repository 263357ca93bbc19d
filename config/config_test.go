package config

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kordon/types/fault"
)

// noEnv is an environment without VAULT_TOKEN.
func noEnv(string) (string, bool) { return "", false }

// problemsOf extracts the Errors from an error returned by the package.
func problemsOf(t *testing.T, err error) Errors {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) holds no config.Errors", err, err)
	}
	if !fault.Is(err, fault.Invalid) {
		t.Errorf("kind = %v, want invalid", fault.KindOf(err))
	}
	return es
}

func TestDefault(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	c, err := Load("")
	if err != nil {
		t.Fatalf(`Load("") = %v`, err)
	}
	if diff := cmp.Diff(d, c); diff != "" {
		t.Errorf(`Load("") differs from Default() (-want +got):\n%s`, diff)
	}
	want := Config{
		Version:   1,
		DataDir:   "./kordon-data",
		Log:       Log{Level: "info", Format: "text"},
		Admin:     Admin{Listen: "127.0.0.1:8443", MaxBodyBytes: 1048576, ResolveRate: 50, ResolveBurst: 100},
		Tokenizer: Tokenizer{DefaultRegion: "RU", CacheEntries: 262144},
		Keys: Keys{
			Provider:    "local",
			Vault:       Vault{Mount: "transit", Key: "kordon", Auth: "token", AppRoleMount: "approle", Timeout: 10 * time.Second},
			RewrapBatch: 500,
		},
		Audit: Audit{CheckpointEvery: 1000, CheckpointInterval: 10 * time.Second},
		Store: Store{BusyTimeout: 10 * time.Second, MaxBatch: 4096},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Default() differs from the documented defaults (-want +got):\n%s", diff)
	}
}

// TestSample keeps the annotated sample file equal to Default and complete.
func TestSample(t *testing.T) {
	const path = "../kordon.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, es := parse(data, path, noEnv)
	if len(es) > 0 {
		t.Fatalf("sample does not parse:\n%v", es)
	}
	if diff := cmp.Diff(Default(), c); diff != "" {
		t.Errorf("sample differs from Default() (-want +got):\n%s", diff)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s) = %v", path, err)
	}
	if diff := cmp.Diff(Default(), loaded); diff != "" {
		t.Errorf("Load(sample) differs from Default() (-want +got):\n%s", diff)
	}

	t.Run("every key present", func(t *testing.T) {
		root, _ := document(data)
		d := decoder{lines: map[string]int{}}
		var got Config
		d.walk(root, &got, "")
		var present []string
		for k := range d.lines {
			present = append(present, k)
		}
		slices.Sort(present)
		want := schemaKeys(reflect.TypeFor[Config](), "")
		slices.Sort(want)
		if diff := cmp.Diff(want, present); diff != "" {
			t.Errorf("sample keys differ from the schema (-schema +sample):\n%s", diff)
		}
	})
	t.Run("every key commented", func(t *testing.T) {
		lines := strings.Split(string(data), "\n")
		root, _ := document(data)
		d := decoder{lines: map[string]int{}}
		var got Config
		d.walk(root, &got, "")
		for k, l := range d.lines {
			if l < 2 || !strings.HasPrefix(strings.TrimSpace(lines[l-2]), "#") {
				t.Errorf("%s (line %d) has no comment above it", k, l)
			}
		}
	})
}

// schemaKeys lists every key path of struct type t, sections included.
func schemaKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i, k := range keys(t) {
		p := join(prefix, k)
		out = append(out, p)
		if f := t.Field(i).Type; f.Kind() == reflect.Struct {
			out = append(out, schemaKeys(f, p)...)
		}
	}
	return out
}

// TestFieldDocs enforces STYLE rule 4 on this package: every field of every
// struct in config.go documents its default (sections excepted: their
// fields do).
func TestFieldDocs(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fld := range st.Fields.List {
			name := fld.Names[0].Name
			if _, section := fld.Type.(*ast.Ident); section && ast.IsExported(fld.Type.(*ast.Ident).Name) {
				continue // a section type, documented field by field
			}
			checked++
			doc := fld.Doc.Text()
			if !strings.HasPrefix(doc, name+" ") {
				t.Errorf("%s.%s: doc comment must start with %q", ts.Name.Name, name, name)
			}
			if !strings.Contains(doc, "Default ") {
				t.Errorf("%s.%s: doc comment does not state the default", ts.Name.Name, name)
			}
		}
		return false
	})
	if want := len(schemaKeys(reflect.TypeFor[Config](), "")) - 9; checked != want {
		t.Errorf("checked %d fields, want %d (every leaf key)", checked, want)
	}
}
