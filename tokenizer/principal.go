package tokenizer

import (
	"fmt"
	"slices"
	"strings"

	"kordon/audit"
	"kordon/types/pii"
)

// Scope is a permission an API key or a user holds.
type Scope string

// The scopes of the core API.
const (
	ScopeTokenize Scope = "tokenize"
	ScopeResolve  Scope = "resolve"
	ScopeErase    Scope = "erase"
	ScopeAudit    Scope = "audit"
	ScopeConfig   Scope = "config" // manage trunks and other runtime configuration; grantable to API keys
	ScopeKeys     Scope = "keys"   // rotate keys; never granted to API keys
)

// Scopes lists every scope in a stable order.
func Scopes() []Scope {
	return []Scope{ScopeTokenize, ScopeResolve, ScopeErase, ScopeAudit, ScopeConfig, ScopeKeys}
}

// ParseScope checks a scope name.
func ParseScope(s string) (Scope, error) {
	for _, x := range Scopes() {
		if strings.EqualFold(s, string(x)) {
			return x, nil
		}
	}
	return "", fmt.Errorf("unknown scope %q (want tokenize, resolve, erase, audit, config or keys)", s)
}

// Principal is who is asking, as established by the caller (the HTTP
// layer's API-key check, or the operating-system user of the command line).
type Principal struct {
	Actor     audit.Actor
	Scopes    []Scope
	Remote    string // client address, for the audit log
	RequestID string
}

// Has reports whether p holds scope s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

// Purpose says why a code is resolved. Every resolve names one, and the
// audit log records it with the caller's reference.
type Purpose string

// The purposes a resolve may name.
const (
	PurposeDial     Purpose = "dial"     // the dialer places a call
	PurposeSpeak    Purpose = "speak"    // local TTS says a name
	PurposeCRM      Purpose = "crm"      // a CRM shows the person to an employee
	PurposeTransfer Purpose = "transfer" // an operator receives a transferred call
	PurposeSupport  Purpose = "support"  // a support case about the person
	PurposeLegal    Purpose = "legal"    // a data-subject request or a legal obligation
)

// Purposes lists every purpose.
func Purposes() []Purpose {
	return []Purpose{PurposeDial, PurposeSpeak, PurposeCRM, PurposeTransfer, PurposeSupport, PurposeLegal}
}

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool { return slices.Contains(Purposes(), p) }

// checkReference accepts a caller's reference (ticket, case, deal id): 1 to
// 128 printable ASCII characters without spaces, and never phone-shaped (no
// run of 7 or more digits), since references land in the audit log.
func checkReference(ref string) error {
	if ref == "" {
		return fmt.Errorf("a reference (ticket, case or deal id) is required")
	}
	if len(ref) > 128 {
		return fmt.Errorf("reference longer than 128 characters")
	}
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("reference must be printable ASCII without spaces")
		}
	}
	if pii.DigitRun(ref) >= pii.PhoneDigits {
		return fmt.Errorf("reference must not contain %d or more digits in a row (it could be a phone number)", pii.PhoneDigits)
	}
	return nil
}

// Reason says why codes are erased. It is an enumeration rather than free
// text because free text in an audit log attracts names.
type Reason string

// The reasons an erasure may give.
const (
	ReasonSubjectRequest   Reason = "subject-request"   // the person asked (GDPR Art. 17, 152-FZ Art. 21)
	ReasonConsentWithdrawn Reason = "consent-withdrawn" // the person withdrew consent
	ReasonRetention        Reason = "retention"         // the retention period ended
	ReasonLegalOrder       Reason = "legal-order"       // a regulator or court ordered it
	ReasonError            Reason = "error"             // the value was tokenized by mistake
)

// Reasons lists every erasure reason.
func Reasons() []Reason {
	return []Reason{ReasonSubjectRequest, ReasonConsentWithdrawn, ReasonRetention, ReasonLegalOrder, ReasonError}
}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool { return slices.Contains(Reasons(), r) }
