package trunk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestPasswordsNeverPrint formats a trunk holding both passwords every way
// a program might: JSON, every fmt verb, slog's text and JSON handlers,
// errors. None may contain a password.
func TestPasswordsNeverPrint(t *testing.T) {
	tr := valid()
	sec := tr.Inbound.Password
	outs := map[string]string{}
	j, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	outs["json"] = string(j)
	ji, _ := json.MarshalIndent(&tr, "", "  ")
	outs["json indent pointer"] = string(ji)
	sj, _ := json.Marshal(sec)
	outs["json secret"] = string(sj)
	st, _ := sec.MarshalText()
	outs["text secret"] = string(st)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outs[verb+" trunk"] = fmt.Sprintf(verb, tr)
		outs[verb+" pointer"] = fmt.Sprintf(verb, &tr)
		outs[verb+" credentials"] = fmt.Sprintf(verb, *tr.Inbound)
		outs[verb+" credentials pointer"] = fmt.Sprintf(verb, tr.Outbound)
		outs[verb+" secret"] = fmt.Sprintf(verb, sec)
	}
	set := newSet([]*Trunk{&tr}, [32]byte{})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs[verb+" set"] = fmt.Sprintf(verb, set)
		outs[verb+" set value"] = fmt.Sprintf(verb, *set)
		outs[verb+" trunk list"] = fmt.Sprintf(verb, set.All())
		outs[verb+" wrapper"] = fmt.Sprintf(verb, struct {
			T *Trunk
			C Credentials
		}{&tr, *tr.Inbound})
	}
	outs["sprint"] = fmt.Sprint(tr, sec, tr.Inbound, *tr.Outbound)
	outs["string"] = sec.String() + sec.GoString()
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("trunk", "trunk", tr, "ptr", &tr, "secret", sec, "cred", tr.Inbound)
	}
	outs["slog"] = buf.String()
	outs["error"] = fmt.Errorf("wrapped: %v %v", tr, sec).Error() + errors.Join(fmt.Errorf("%s", sec)).Error()

	for name, o := range outs {
		for _, pw := range []string{inPassword, outPassword, "s3cret"} {
			if strings.Contains(o, pw) {
				t.Errorf("%s holds a password: %s", name, o)
			}
		}
	}
	if strings.Contains(outs["json"], "password") {
		t.Errorf("JSON names a password field: %s", outs["json"])
	}
	if !strings.Contains(outs["json"], `"inbound_auth":{"username":"pbx"}`) {
		t.Errorf("JSON lost the username: %s", outs["json"])
	}
}

func TestSecretDecodes(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string
		err       bool
	}{
		{"plaintext", `{"username":"u","password":"` + inPassword + `"}`, inPassword, false},
		{"omitted", `{"username":"u"}`, "", false},
		{"null", `{"username":"u","password":null}`, "", false},
		{"number", `{"username":"u","password":12345678}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Credentials
			err := json.Unmarshal([]byte(tt.doc), &c)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				if strings.Contains(err.Error(), "12345678") {
					t.Fatalf("error repeats the input: %v", err)
				}
				return
			}
			if c.Password.Reveal() != tt.want || c.Password.IsZero() != (tt.want == "") {
				t.Fatalf("password %q, want %q", c.Password.Reveal(), tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // substring of the error; "" for success
	}{
		{"valid", `{"id":"pbx","host":"PBX.example.com","transport":"TLS","codecs":["pcmu"],"limits":{"ring_timeout":"15s"}}`, ""},
		{"unknown field", `{"id":"pbx","hots":"x"}`, `unknown field "hots"`},
		{"unknown nested field", `{"id":"pbx","tls":{"cafile":"x"}}`, `unknown field "cafile"`},
		{"unknown field shaped like a number", `{"id":"pbx","89123456789":"x"}`, "has an unknown field"},
		{"wrong type", `{"id":"pbx","port":"5061"}`, "port: wrong type (want a number)"},
		{"bad prefix", `{"id":"pbx","allow_from":["89123456789/8"]}`, "allow_from: want networks"},
		{"prefix not a string", `{"id":"pbx","allow_from":[1]}`, "allow_from: wrong type (want a string)"},
		{"numeric duration", `{"id":"pbx","limits":{"ring_timeout":30}}`, "durations are strings"},
		{"bad duration", `{"id":"pbx","limits":{"max_duration":"89123456789 parsecs"}}`, "durations are strings"},
		{"password not a string", `{"id":"pbx","inbound_auth":{"username":"u","password":89123456789}}`, "password: want a JSON string"},
		{"not an object", `[1]`, "must be a JSON object"},
		{"empty", ``, "is empty"},
		{"truncated", `{"id":"pbx"`, "ends inside"},
		{"syntax", `{"id":"pbx",}`, "not valid JSON (at byte 13)"},
		{"trailing data", `{"id":"pbx"} {}`, "data after"},
		{"too large", `{"description":"` + strings.Repeat("x", MaxDocument) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Decode([]byte(tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tr.Host != "pbx.example.com" || tr.Transport != "tls" || tr.Codecs[0] != "PCMU" {
					t.Fatalf("not normalized: %+v", tr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "9123456") {
				t.Fatalf("error repeats the document: %v", err)
			}
		})
	}
}
