package sdp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// reasons lists every fixed refusal; TestWarnings checks the list is
// complete against errors.go.
var reasons = map[string]*Error{
	"errTooLarge":       errTooLarge,
	"errTooManyMedia":   errTooManyMedia,
	"errTooManyCrypto":  errTooManyCrypto,
	"errNoAudio":        errNoAudio,
	"errAudioRejected":  errAudioRejected,
	"errTransport":      errTransport,
	"errSRTPRequired":   errSRTPRequired,
	"errNoCrypto":       errNoCrypto,
	"errNoSuite":        errNoSuite,
	"errNoCodec":        errNoCodec,
	"errConnAddr":       errConnAddr,
	"errUnknownSuite":   errUnknownSuite,
	"errWeakSuite":      errWeakSuite,
	"errRefusedSuite":   errRefusedSuite,
	"errMKI":            errMKI,
	"errMultipleKeys":   errMultipleKeys,
	"errKeyLength":      errKeyLength,
	"errCryptoSyntax":   errCryptoSyntax,
	"errKeyMethod":      errKeyMethod,
	"errLifetime":       errLifetime,
	"errUnencrypted":    errUnencrypted,
	"errKDR":            errKDR,
	"errFECKey":         errFECKey,
	"errSessionParam":   errSessionParam,
	"errAnswerMedia":    errAnswerMedia,
	"errAnswerProto":    errAnswerProto,
	"errAnswerCrypto":   errAnswerCrypto,
	"errAnswerTag":      errAnswerTag,
	"errAnswerNoCrypto": errAnswerNoCrypto,
}

// TestWarnings checks that every fixed reason can go into a SIP Warning
// header as it is: printable ASCII, no quotes or backslashes, short.
func TestWarnings(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok {
			for _, id := range v.Names {
				if strings.HasPrefix(id.Name, "err") && reasons[id.Name] == nil {
					t.Errorf("%s is missing from reasons in errors_test.go", id.Name)
				}
			}
		}
		return true
	})
	for name, e := range reasons {
		w := e.Warning()
		if w == "" || len(w) > 80 || strings.ContainsAny(w, "\"\\") || e.sentinel == nil {
			t.Errorf("%s: Warning %q", name, w)
		}
		for _, r := range w {
			if r < ' ' || r > '~' {
				t.Errorf("%s: Warning %q has a non-printable character", name, w)
			}
		}
	}
}
