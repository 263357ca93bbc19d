package tokenizer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/types/code"
	"kordon/types/fault"
	"kordon/types/pii"
)

// phoneForms are one Russian mobile number written 14 ways.
var phoneForms = []string{
	"+7 (912) 345-67-89", "8 912 345 67 89", "89123456789", "+79123456789",
	"8 (912) 345-67-89", "8-912-345-67-89", "+7 912 345 67 89", "+7-912-345-67-89",
	"8.912.345.67.89", "+7.912.345.67.89", "(912) 345-67-89", "9123456789",
	"+7(912)3456789", " 8 (912) 345 - 67 - 89 ", "tel:+7-912-345-6789",
}

func TestSameValueSameCode(t *testing.T) {
	forEachProvider(t, func(t *testing.T, np providerFactory) {
		e := newEnv(t, np)
		out := e.tokenize(t, code.Phone, phoneForms...)
		for i, o := range out {
			if o.Err != nil {
				t.Fatalf("form %d: %v", i, o.Err)
			}
			if o.Code != out[0].Code {
				t.Fatalf("form %d got %s, form 0 got %s", i, o.Code, out[0].Code)
			}
		}
		if !out[0].Created || out[1].Created {
			t.Fatalf("Created flags: first %v, second %v", out[0].Created, out[1].Created)
		}
		// Again, through the cache and as separate calls.
		for _, f := range phoneForms {
			if c := e.code(t, code.Phone, f); c != out[0].Code {
				t.Fatalf("second pass: %s", c)
			}
		}
		names := []string{"Иванов Пётр Сергеевич", "иванов пётр сергеевич", "ИВАНОВ ПЕТР СЕРГЕЕВИЧ",
			"  Иванов   Петр\tСергеевич ", "Иванов Пётр Сергеевич"}
		nm := e.code(t, code.Name, names[0])
		if r := e.resolve(t, nm); r[0].Value.Reveal() != "Иванов Пётр Сергеевич" {
			t.Fatal("resolve does not return the name as first written")
		}
		for _, n := range names {
			if c := e.code(t, code.Name, n); c != nm {
				t.Fatalf("name variant got %s, want %s", c, nm)
			}
		}
		distinct := map[code.Code]string{
			out[0].Code: "phone",
			nm:          "name",
			e.code(t, code.Phone, "+7 912 345 67 88"):       "other phone",
			e.code(t, code.Phone, "+7 495 123 45 67"):       "landline",
			e.code(t, code.Name, "Иванова Пётр Сергеевич"):  "other name",
			e.code(t, code.Email, "Ivan.Petrov@Example.RU"): "email",
			e.code(t, code.ID, "CRM-LEAD-1"):                "id",
			e.code(t, code.ID, "crm-lead-1"):                "id, case differs",
		}
		if len(distinct) != 8 {
			t.Fatalf("different values share codes: %v", distinct)
		}
		if c := e.code(t, code.Email, "ivan.petrov@example.ru"); distinct[c] != "email" {
			t.Fatal("e-mail case variant got another code")
		}
		e.verify(t)
	})
}

func TestInvalidValuesRejectedNotStored(t *testing.T) {
	e := newEnv(t, localProvider)
	tests := []struct {
		kind code.Kind
		raw  string
	}{
		{code.Phone, ""}, {code.Phone, "123"}, {code.Phone, "+7 (912) 345-67"}, {code.Phone, "not a number"},
		{code.Phone, "+7 999 000 00 00 00 00"}, {code.Phone, strings.Repeat("9", 600)},
		{code.Name, ""}, {code.Name, "   "}, {code.Name, "R2D2"}, {code.Name, "Иван\x00"}, {code.Name, "\xff\xfe"},
		{code.Email, "ivan"}, {code.Email, "Ivan <ivan@example.ru>"}, {code.Email, "@example.ru"},
		{code.ID, ""}, {code.ID, "a\x07b"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q", tt.kind, tt.raw), func(t *testing.T) {
			out := e.tokenize(t, tt.kind, tt.raw, validFor(tt.kind))
			if !fault.Is(out[0].Err, fault.Invalid) {
				t.Fatalf("err = %v, want Invalid", out[0].Err)
			}
			if out[1].Err != nil {
				t.Fatalf("the valid value in the same batch failed: %v", out[1].Err)
			}
			if tt.raw != "" && len(tt.raw) > 3 && strings.Contains(out[0].Err.Error(), tt.raw) {
				t.Fatalf("error repeats the value: %v", out[0].Err)
			}
		})
	}
	var rows int
	e.db.Read().QueryRow("SELECT count(*) FROM tokens").Scan(&rows)
	if rows != 4 {
		t.Fatalf("%d token rows, want 4 (one valid value per kind)", rows)
	}
}

func validFor(k code.Kind) string {
	return map[code.Kind]string{code.Phone: "+7 912 000 11 22", code.Name: "Анна", code.Email: "a@example.ru", code.ID: "X-1"}[k]
}

func TestResolveRefusalsAreAudited(t *testing.T) {
	forEachProvider(t, func(t *testing.T, np providerFactory) {
		e := newEnv(t, np)
		c := e.code(t, code.Phone, "+7 912 345 67 89")
		ctx := context.Background()
		tests := []struct {
			name    string
			p       Principal
			purpose Purpose
			ref     string
			want    fault.Kind
			result  string
		}{
			{"no principal", Principal{}, PurposeCRM, "T-1", fault.Unauthorized, audit.ResultDenied},
			{"no scope", tokenizeOnly, PurposeCRM, "T-1", fault.Denied, audit.ResultDenied},
			{"no purpose", admin, "", "T-1", fault.Invalid, audit.ResultInvalid},
			{"unknown purpose", admin, "curiosity", "T-1", fault.Invalid, audit.ResultInvalid},
			{"no reference", admin, PurposeCRM, "", fault.Invalid, audit.ResultInvalid},
			{"phone-shaped reference", admin, PurposeCRM, "89123456789", fault.Invalid, audit.ResultInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(e.entries(t))
				out, err := e.tk.Resolve(ctx, tt.p, tt.purpose, tt.ref, []code.Code{c})
				if out != nil || !fault.Is(err, tt.want) {
					t.Fatalf("Resolve = %v, %v; want nothing and %v", out, err, tt.want)
				}
				all := e.entries(t)
				if len(all) != before+1 {
					t.Fatalf("refusal wrote %d audit entries, want 1", len(all)-before)
				}
				last := all[len(all)-1]
				if last.Action != audit.ActionResolve || last.Result != tt.result || last.Reason == "" {
					t.Fatalf("audit entry %+v", last)
				}
				if strings.Contains(last.Reference, "9123456") {
					t.Fatalf("phone-shaped reference reached the audit log: %+v", last)
				}
			})
		}
		got := e.resolve(t, c)
		if got[0].Err != nil || got[0].Value.Reveal() != "+79123456789" {
			t.Fatalf("resolve: %v", got[0].Err)
		}
		all := e.entries(t)
		last := all[len(all)-1]
		if last.Purpose != "crm" || last.Reference != "TICKET-42" || last.Actor.ID != "root" || last.Codes[0] != c.String() {
			t.Fatalf("resolve entry %+v", last)
		}
		e.verify(t)
	})
}

func TestEraseIsForever(t *testing.T) {
	forEachProvider(t, func(t *testing.T, np providerFactory) {
		e := newEnv(t, np)
		ctx := context.Background()
		c := e.code(t, code.Phone, "+7 912 345 67 89")
		keep := e.code(t, code.Name, "Мария")
		out, err := e.tk.Erase(ctx, admin, ReasonSubjectRequest, "DSR-7", []code.Code{c})
		if err != nil || out[0].Err != nil {
			t.Fatalf("Erase: %v %v", err, out)
		}
		got := e.resolve(t, c, keep)
		if !fault.Is(got[0].Err, fault.Erased) || got[1].Err != nil {
			t.Fatalf("after erase: %v, %v", got[0].Err, got[1].Err)
		}
		again, _ := e.tk.Erase(ctx, admin, ReasonSubjectRequest, "DSR-7", []code.Code{c})
		if !fault.Is(again[0].Err, fault.Erased) {
			t.Fatalf("second erase: %v", again[0].Err)
		}
		for _, f := range phoneForms {
			if n := e.code(t, code.Phone, f); n == c {
				t.Fatalf("form %q got the erased code back", f)
			}
		}
		fresh := e.code(t, code.Phone, "89123456789")
		if got := e.resolve(t, fresh); got[0].Value.Reveal() != "+79123456789" {
			t.Fatal("new code does not resolve")
		}
		if got := e.resolve(t, c); !fault.Is(got[0].Err, fault.Erased) {
			t.Fatal("erased code came back")
		}
		var ct []byte
		e.db.Read().QueryRow("SELECT ciphertext FROM tokens WHERE code = ?", c.String()).Scan(&ct)
		if ct != nil {
			t.Fatal("erased row keeps its ciphertext")
		}
		// Erasure needs its scope, a known reason and a reference.
		for _, bad := range []struct {
			p      Principal
			reason Reason
			ref    string
		}{{tokenizeOnly, ReasonRetention, "R-1"}, {admin, "because", "R-1"}, {admin, ReasonRetention, ""}} {
			if _, err := e.tk.Erase(ctx, bad.p, bad.reason, bad.ref, []code.Code{keep}); err == nil {
				t.Fatalf("erase accepted %+v", bad)
			}
		}
		e.verify(t)
	})
}

func TestRotationKeepsCodes(t *testing.T) {
	forEachProvider(t, func(t *testing.T, np providerFactory) {
		e := newEnv(t, np)
		ctx := context.Background()
		var before []code.Code
		for i := 0; i < 40; i++ {
			before = append(before, e.code(t, code.Phone, fmt.Sprintf("+7 912 100 %02d %02d", i/10, i)))
		}
		erased := before[0]
		if _, err := e.tk.Erase(ctx, admin, ReasonError, "E-1", []code.Code{erased}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tk.RotateKeys(ctx, tokenizeOnly); !fault.Is(err, fault.Denied) {
			t.Fatalf("rotation without the keys scope: %v", err)
		}
		rot, err := e.tk.RotateKeys(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if rot.KEKVersion != 2 || rot.VaultVersion != 2 || rot.IndexVersion != 2 {
			t.Fatalf("rotation %+v", rot)
		}
		// Before re-encryption: old codes resolve and dedupe, new rows use v2.
		for i, c := range before[1:] {
			if got := e.code(t, code.Phone, fmt.Sprintf("8912100%02d%02d", (i+1)/10, i+1)); got != c {
				t.Fatalf("value %d changed code after rotation", i+1)
			}
		}
		newer := e.code(t, code.Phone, "+7 912 999 00 00")
		st, err := e.tk.KeyStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending != 39 || st.Provider.Version != 2 || st.Erased != 1 {
			t.Fatalf("status before re-encryption %+v", st)
		}
		moved := 0
		for {
			n, done, err := e.tk.RewrapStep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			moved += n
			if done {
				break
			}
		}
		if moved != 39 {
			t.Fatalf("re-encryption moved %d rows, want 39 (40 on v1, one of them erased)", moved)
		}
		var old, oldKeys int
		e.db.Read().QueryRow("SELECT count(*) FROM tokens WHERE ciphertext IS NOT NULL AND (key_version < 2 OR index_version < 2)").Scan(&old)
		e.db.Read().QueryRow("SELECT count(*) FROM data_keys WHERE purpose IN ('vault', 'index') AND version < 2").Scan(&oldKeys)
		if old != 0 || oldKeys != 0 {
			t.Fatalf("after re-encryption: %d rows and %d data keys on version 1", old, oldKeys)
		}
		var wrappedOld int
		e.db.Read().QueryRow("SELECT count(*) FROM data_keys WHERE wrapped LIKE '%:v1:%'").Scan(&wrappedOld)
		if wrappedOld != 0 {
			t.Fatalf("%d data keys still wrapped by KEK v1", wrappedOld)
		}
		got := e.resolve(t, append(before, newer)...)
		for i, r := range got[1:] {
			if r.Err != nil {
				t.Fatalf("code %d after re-encryption: %v", i+1, r.Err)
			}
		}
		if !fault.Is(got[0].Err, fault.Erased) {
			t.Fatal("erased code resolves after rotation")
		}
		// A second process opening the data dir sees the same thing.
		e2 := openEnv(t, e.dir, np(t, e.dir))
		if r := e2.resolve(t, before[5]); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		e.verify(t)
	})
}

// TestTwoProcesses runs a daemon-like and a CLI-like tokenizer on one data
// directory: erasures and rotations by one are seen by the other.
func TestTwoProcesses(t *testing.T) {
	e := newEnv(t, localProvider)
	cli := openEnv(t, e.dir, localProvider(t, e.dir))
	ctx := context.Background()
	c := e.code(t, code.Phone, "+7 912 345 67 89")
	if got := cli.code(t, code.Phone, "89123456789"); got != c {
		t.Fatal("second process got another code")
	}
	if _, err := cli.tk.Erase(ctx, admin, ReasonSubjectRequest, "DSR-1", []code.Code{c}); err != nil {
		t.Fatal(err)
	}
	if got := e.code(t, code.Phone, "+7 (912) 345-67-89"); got == c {
		t.Fatal("daemon's cache handed out a code the CLI erased")
	}
	if _, err := cli.tk.RotateKeys(ctx, admin); err != nil {
		t.Fatal(err)
	}
	d := e.code(t, code.Name, "Ольга") // written by the daemon under the new keys
	if r := cli.resolve(t, d); r[0].Err != nil || r[0].Value.Reveal() != "Ольга" {
		t.Fatalf("CLI resolve of a daemon row after rotation: %v", r[0].Err)
	}
	var wg sync.WaitGroup
	for _, x := range []*env{e, cli} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				x.code(t, code.ID, fmt.Sprintf("LEAD-%d", i))
			}
		}()
	}
	wg.Wait()
	e.verify(t)
	cli.verify(t)
}

// failingAuditor fails every write, as a full disk would.
type failingAuditor struct{ *audit.Log }

func (failingAuditor) Append(*store.Tx, audit.Entry) (int64, error) {
	return 0, errors.New("disk full")
}

func (failingAuditor) Record(context.Context, audit.Entry) (int64, error) {
	return 0, errors.New("disk full")
}

func TestFailsClosedWithoutAudit(t *testing.T) {
	e := newEnv(t, localProvider)
	c := e.code(t, code.Phone, "+7 912 345 67 89")
	broken, err := New(Config{DB: e.db, Ring: e.ring, Audit: failingAuditor{e.log}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if out, err := broken.Resolve(ctx, admin, PurposeCRM, "T-1", []code.Code{c}); out != nil || !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Resolve without audit = %v, %v", out, err)
	}
	if out, err := broken.Tokenize(ctx, admin, code.Name, []pii.Value{pii.New("Новое Имя")}); out != nil || err == nil {
		t.Fatalf("Tokenize without audit = %v, %v", out, err)
	}
	if _, err := broken.Erase(ctx, admin, ReasonError, "E-1", []code.Code{c}); err == nil {
		t.Fatal("Erase without audit succeeded")
	}
	if _, err := broken.Resolve(ctx, tokenizeOnly, PurposeCRM, "T-1", []code.Code{c}); !fault.Is(err, fault.Unavailable) {
		t.Fatalf("unaudited refusal: %v", err)
	}
	var n int
	e.db.Read().QueryRow("SELECT count(*) FROM tokens").Scan(&n)
	if n != 1 {
		t.Fatalf("%d token rows, want 1: a value was stored without its audit entry", n)
	}
	if r := e.resolve(t, c); r[0].Err != nil {
		t.Fatal("code erased without an audit entry")
	}
}

// TestNoRawValuesAtRest scans every file in the data directory for the raw
// values and their digits.
func TestNoRawValuesAtRest(t *testing.T) {
	e := newEnv(t, localProvider)
	ctx := context.Background()
	raws := map[code.Kind][]string{
		code.Phone: {"+7 912 345 67 89", "+7 495 765 43 21"},
		code.Name:  {"Евдокия Лукьяновна Прохорова", "Zebulon Quixote"},
		code.Email: {"zebulon.quixote@example.org"},
	}
	var codes []code.Code
	for k, rs := range raws {
		for _, r := range rs {
			codes = append(codes, e.code(t, k, r))
		}
	}
	e.resolve(t, codes...)
	if _, err := e.tk.RotateKeys(ctx, admin); err != nil {
		t.Fatal(err)
	}
	for {
		if _, done, err := e.tk.RewrapStep(ctx); err != nil || done {
			break
		}
	}
	e.tk.Erase(ctx, admin, ReasonRetention, "R-1", codes[:1])
	e.verify(t)
	needles := [][]byte{[]byte("9123456789"), []byte("4957654321"), []byte("912 345"), []byte("Прохоров"), []byte("прохоров"),
		[]byte("Zebulon"), []byte("zebulon"), []byte("quixote")}
	filepath.Walk(e.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s holds %q", filepath.Base(path), n)
			}
		}
		return nil
	})
}

func TestBatchDuplicatesShareOneRow(t *testing.T) {
	e := newEnv(t, localProvider)
	out := e.tokenize(t, code.Phone, "+79123456789", "89123456789", "+7 912 345-67-89")
	if out[0].Code != out[1].Code || out[1].Code != out[2].Code || !out[0].Created || out[1].Created {
		t.Fatalf("%+v", out)
	}
	var n int
	e.db.Read().QueryRow("SELECT count(*) FROM tokens").Scan(&n)
	if n != 1 {
		t.Fatalf("%d rows", n)
	}
	all := e.entries(t)
	last := all[len(all)-1]
	if len(last.Codes) != 3 || len(last.ValueHashes) != 3 || last.ValueHashes[0] != last.ValueHashes[2] || last.Detail["created"] != "1" {
		t.Fatalf("entry %+v", last)
	}
	vh, err := e.tk.ValueHash(code.Phone, pii.New("8 (912) 345 67 89"))
	if err != nil || vh != last.ValueHashes[0] {
		t.Fatalf("ValueHash = %s, %v; the entry holds %s", vh, err, last.ValueHashes[0])
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range append(phoneForms, "Иванов Пётр", "a@b.ru", "\xff", "+0", "8 800 555 35 35") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range code.Kinds() {
			n, err := Normalize(k, pii.New(s), "RU")
			if err != nil {
				if len(s) >= 7 && strings.Contains(err.Error(), s) {
					t.Fatalf("error repeats the input")
				}
				continue
			}
			again, err := Normalize(k, n, "RU")
			if err != nil || again.Reveal() != n.Reveal() {
				t.Fatalf("%s: normalization not idempotent: %q → %q → %q (%v)", k, s, n.Reveal(), again.Reveal(), err)
			}
			// Re-encryption re-normalizes the stored display form.
			d := Display(k, pii.New(s), n)
			if fromDisplay, err := Normalize(k, d, "RU"); err != nil || fromDisplay.Reveal() != n.Reveal() {
				t.Fatalf("%s: display form %q normalizes to %q, want %q (%v)", k, d.Reveal(), fromDisplay.Reveal(), n.Reveal(), err)
			}
			if f, ok := cacheForm(k, pii.New(s)); ok {
				if n2, err := Normalize(k, pii.New(f), "RU"); err == nil && n2.Reveal() != n.Reveal() {
					t.Fatalf("cache form %q normalizes to %q, the input to %q", f, n2.Reveal(), n.Reveal())
				}
			}
		}
	})
}

// TestRunReencryptsInBackground runs the daemon's loop: a rotation wakes
// it, it moves every row, and it returns when its context ends.
func TestRunReencryptsInBackground(t *testing.T) {
	e := newEnv(t, localProvider)
	for i := 0; i < 30; i++ {
		e.code(t, code.ID, fmt.Sprintf("CASE-%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.tk.Run(ctx) }()
	if _, err := e.tk.RotateKeys(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		st, err := e.tk.KeyStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 {
			break
		}
		if i == 600 {
			t.Fatalf("Run left %d rows on the old keys after 60s", st.Pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	var rewrap int
	for _, en := range e.entries(t) {
		if en.Action == audit.ActionKeyRewrap {
			rewrap++
		}
	}
	if rewrap != 1 {
		t.Fatalf("%d key.rewrap entries, want 1", rewrap)
	}
}

// rotateFailsAudit fails only the key.rotate entry, after the operation
// has written its new keys.
type rotateFailsAudit struct{ *audit.Log }

func (a rotateFailsAudit) Append(tx *store.Tx, e audit.Entry) (int64, error) {
	if e.Action == audit.ActionKeyRotate {
		return 0, errors.New("disk full")
	}
	return a.Log.Append(tx, e)
}

// TestFailedRotationLeavesKeysAlone: a rotation whose audit entry cannot
// be written rolls back, and nothing is sealed under the rolled-back keys.
func TestFailedRotationLeavesKeysAlone(t *testing.T) {
	e := newEnv(t, localProvider)
	ctx := context.Background()
	tk, err := New(Config{DB: e.db, Ring: e.ring, Audit: rotateFailsAudit{e.log}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.RotateKeys(ctx, admin); err == nil {
		t.Fatal("rotation succeeded without its audit entry")
	}
	c := e.code(t, code.Name, "Пост Ротации")
	reopened := openEnv(t, e.dir, localProvider(t, e.dir))
	if r := reopened.resolve(t, c); r[0].Err != nil {
		t.Fatalf("a value tokenized after the failed rotation does not resolve after a restart: %v", r[0].Err)
	}
	var versions int
	e.db.Read().QueryRow("SELECT count(*) FROM data_keys WHERE version > 1").Scan(&versions)
	if versions != 0 {
		t.Fatalf("%d data keys of the failed rotation were stored", versions)
	}
}
