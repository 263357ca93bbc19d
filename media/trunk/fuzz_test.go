package trunk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kordon/types/pii"
)

// FuzzDecodeValidate runs arbitrary documents through the API's path:
// Decode, then Validate. Neither may panic; no error may hold a run of
// seven digits or the password the document carries; a trunk that
// validates must survive its JSON round trip unchanged, without its
// passwords.
func FuzzDecodeValidate(f *testing.F) {
	good, _ := json.Marshal(valid())
	f.Add(string(good))
	f.Add(`{"id":"pbx","host":"192.0.2.1","inbound_auth":{"username":"u","password":"p4ssw0rd-xyz"}}`)
	f.Add(`{"id":"pbx","host":"pbx.example.com","transport":"UDP","insecure":true,"codecs":["pcma","PCMA"]}`)
	f.Add(`{"id":"pbx","host":"sip://89123456789","routes":{"89123456789":"Sales","*":"x"},"caller_id":"a b"}`)
	f.Add(`{"id":"pbx","host":"h","allow_from":["10.0.0.1/8","0.0.0.0/0"],"limits":{"ring_timeout":"-5s","max_cps":-1}}`)
	f.Add(`{"id":"pbx","host":"h","tls":{"ca":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","require_client_cert":true}}`)
	f.Add(`{"id":"pbx","description":"８９１２３４５６７８９"}`)
	f.Fuzz(func(t *testing.T, doc string) {
		tr, err := Decode([]byte(doc))
		if err != nil {
			checkMessage(t, err.Error(), nil)
			return
		}
		var pws []string
		for _, c := range []*Credentials{tr.Inbound, tr.Outbound} {
			if c != nil && len(c.Password.Reveal()) >= 4 {
				pws = append(pws, c.Password.Reveal())
			}
		}
		if err := tr.Validate(); err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Validate error without field errors: %v", err)
			}
			checkMessage(t, err.Error(), pws)
			return
		}
		out, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("marshal a valid trunk: %v", err)
		}
		for _, pw := range pws {
			if strings.Contains(string(out), pw) {
				t.Fatalf("JSON holds the password: %s", out)
			}
		}
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("decode the JSON of a valid trunk: %v\n%s", err, out)
		}
		if diff := cmp.Diff(tr.withoutPasswords(), back, cmpOpts...); diff != "" {
			t.Fatalf("round trip (-before +after):\n%s", diff)
		}
	})
}

// checkMessage fails when an error message could leak a number or a
// password.
func checkMessage(t *testing.T, msg string, passwords []string) {
	t.Helper()
	if pii.DigitRun(msg) >= pii.PhoneDigits {
		t.Fatalf("message holds %d digits in a row: %q", pii.DigitRun(msg), msg)
	}
	for _, pw := range passwords {
		if strings.Contains(msg, pw) {
			t.Fatalf("message holds the password: %q", msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Fatalf("message is not one line: %q", msg)
	}
}
