package audit

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"kordon/types/code"
	"kordon/types/pii"
)

// Entry is one audit record. It never holds a personal value: values
// appear only as keyed hashes computed by the caller.
type Entry struct {
	Seq         int64             `json:"seq"`                    // leaf index, set by Append
	Time        time.Time         `json:"time"`                   // UTC, milliseconds; Append sets it when zero
	Actor       Actor             `json:"actor"`                  // who acted
	Remote      string            `json:"remote,omitempty"`       // client address
	Action      string            `json:"action"`                 // what was done: "tokenize", "resolve", "erase", "key.rotate", …
	Purpose     string            `json:"purpose,omitempty"`      // why (resolve)
	Reference   string            `json:"reference,omitempty"`    // the caller's ticket, case or deal id
	Kind        string            `json:"kind,omitempty"`         // kind of value: "phone", "name", …
	Codes       []string          `json:"codes,omitempty"`        // codes concerned, canonical form
	ValueHashes []string          `json:"value_hashes,omitempty"` // hex keyed hashes of the values concerned
	Result      string            `json:"result"`                 // one of the Result constants
	Reason      string            `json:"reason,omitempty"`       // why it was refused or failed
	RequestID   string            `json:"request_id,omitempty"`   // correlates with logs
	Detail      map[string]string `json:"detail,omitempty"`       // Kordon's own counts, versions, filters; keys are identifiers
}

// Actor is who performed an action.
type Actor struct {
	Type string `json:"type"` // one of the Actor constants, or empty when nobody authenticated
	ID   string `json:"id"`   // API key id, user name, or subsystem
}

// Actor types.
const (
	ActorAPIKey = "apikey" // a CRM or integration with an API key
	ActorCLI    = "cli"    // the kordon command line, as an operating-system user
	ActorUser   = "user"   // a console user
	ActorSystem = "system" // Kordon itself (re-wrapping, retention)
)

// Results.
const (
	ResultOK       = "ok"
	ResultDenied   = "denied"    // authenticated but not allowed, or not authenticated
	ResultInvalid  = "invalid"   // the request was malformed
	ResultErased   = "erased"    // the code was erased
	ResultNotFound = "not_found" // the code does not exist
	ResultError    = "error"     // the operation failed
)

// Actions the core records. Others may be added; an action is a short
// lower-case identifier.
const (
	ActionTokenize     = "tokenize"
	ActionResolve      = "resolve"
	ActionErase        = "erase"
	ActionKeyRotate    = "key.rotate"
	ActionKeyRewrap    = "key.rewrap"
	ActionAPIKeyCreate = "apikey.create"
	ActionAPIKeyRevoke = "apikey.revoke"
	ActionAuthFail     = "auth.fail"
	ActionAuditRead    = "audit.read"
	ActionAuditExport  = "audit.export"
	ActionAuditVerify  = "audit.verify"

	ActionRecordingRead   = "recording.read"   // a call recording was played or downloaded
	ActionRecordingDelete = "recording.delete" // a call recording was deleted (by a person or by retention)
)

// Actions of the media edge's trunk configuration (media/trunk). Reads
// are audited only when refused.
const (
	ActionTrunkCreate = "trunk.create"
	ActionTrunkUpdate = "trunk.update"
	ActionTrunkDelete = "trunk.delete"
	ActionTrunkRead   = "trunk.read"
)

var (
	actorTypes = []string{ActorAPIKey, ActorCLI, ActorUser, ActorSystem}
	results    = []string{ResultOK, ResultDenied, ResultInvalid, ResultErased, ResultNotFound, ResultError}
)

// maxDigitRun is the longest run of digits kept in a free-text field. A
// longer run could be a telephone number (the tokenizer applies the same
// rule to references).
const maxDigitRun = pii.PhoneDigits - 1

// maxDetailKey bounds detail keys so that "d." plus the key is a valid
// RFC 5424 structured-data parameter name (at most 32 characters).
const maxDetailKey = 30

// Value hashes are hex, between 128 and 256 bits: far longer than any
// telephone number, so a raw number passed by mistake is refused.
const (
	minValueHash = 32
	maxValueHash = 64
)

// errEntry reports an entry Append refuses; messages name the field, never
// its content.
var errEntry = errors.New("invalid audit entry")

// normalize checks e and brings it into canonical form: time in UTC
// milliseconds, codes in canonical spelling. It copies Codes before
// changing them, so the caller's slice is never modified.
func normalize(e *Entry, now func() time.Time) error {
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	if y := e.Time.Year(); y < 1970 || y > 9999 {
		return fmt.Errorf("%w: time year %d out of range", errEntry, y)
	}
	if !isIdent(e.Action, 32) {
		return fmt.Errorf("%w: action must be 1-32 characters of a-z, 0-9, '.', '_' or '-'", errEntry)
	}
	if !slices.Contains(results, e.Result) {
		return fmt.Errorf("%w: result %q is not one of %v", errEntry, clip(e.Result), results)
	}
	if e.Actor.Type != "" && !slices.Contains(actorTypes, e.Actor.Type) {
		return fmt.Errorf("%w: actor type %q is not one of %v", errEntry, clip(e.Actor.Type), actorTypes)
	}
	if pii.DigitRun(e.Action) > maxDigitRun {
		return fmt.Errorf("%w: action holds %d or more digits in a row", errEntry, maxDigitRun+1)
	}
	for _, s := range []*string{&e.Remote, &e.Purpose, &e.Reference, &e.Kind, &e.Reason} {
		*s = pii.MaskDigitRuns(*s, maxDigitRun)
	}
	for k := range e.Detail {
		if !isIdent(k, maxDetailKey) || pii.DigitRun(k) > maxDigitRun {
			return fmt.Errorf("%w: detail key %q must be 1-30 characters of a-z, 0-9, '.', '_' or '-', with at most %d digits in a row", errEntry, clip(k), maxDigitRun)
		}
	}
	for i, h := range e.ValueHashes {
		if !isHex(h) || len(h) < minValueHash || len(h) > maxValueHash {
			return fmt.Errorf("%w: value hash %d is not %d-%d lower-case hex digits", errEntry, i, minValueHash, maxValueHash)
		}
	}
	copied := false
	for i, s := range e.Codes {
		c, err := code.Parse(s)
		if err != nil {
			return fmt.Errorf("%w: code %d: %w", errEntry, i, err)
		}
		if !isCanonical(s) {
			if !copied {
				e.Codes = slices.Clone(e.Codes)
				copied = true
			}
			e.Codes[i] = c.String()
		}
	}
	return nil
}

// isCanonical reports whether s, a code that code.Parse accepted, is
// already in canonical spelling (lower-case prefix, upper-case body, none
// of Crockford's substitutions), which saves formatting it again on the
// hot path.
func isCanonical(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i < 2 && !('a' <= c && c <= 'z') || i >= 3 && ('a' <= c && c <= 'z' || c == 'I' || c == 'L' || c == 'O') {
			return false
		}
	}
	return true
}

// isIdent reports whether s is 1 to max characters of [a-z0-9._-].
func isIdent(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isHex reports whether s is lower-case hexadecimal.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clip shortens a caller-supplied enumeration value for an error message;
// those fields are checked for digit runs only after this point, so clip
// also drops digits.
func clip(s string) string {
	b := make([]byte, 0, 16)
	for i := 0; i < len(s) && len(b) < 16; i++ {
		if c := s[i]; c > ' ' && c <= '~' && !('0' <= c && c <= '9') {
			b = append(b, c)
		}
	}
	return string(b)
}
