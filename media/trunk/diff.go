package trunk

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// nested lists the fields whose own fields an audit entry names one by
// one ("tls.ca"). Lists and maps (routes, codecs, allow_from) are named
// whole: their keys are numbers, and an audit entry holds no number.
var nested = []string{"tls", "inbound_auth", "outbound_auth", "limits"}

// changedFields returns the JSON paths of the fields that differ between
// old and new, sorted, plus "<direction>.password" for a direction whose
// password is set anew or dropped (passwords are compared by whether they
// change, never by value).
func changedFields(old, new Trunk, oldPw, newPw passwords) []string {
	a, b := flatten(old), flatten(new)
	var out []string
	for k, v := range b {
		if w, ok := a[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	if newPw.inbound || oldPw.inbound && new.Inbound == nil {
		out = append(out, "inbound_auth.password")
	}
	if newPw.outbound || oldPw.outbound && new.Outbound == nil {
		out = append(out, "outbound_auth.password")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// passwords says which directions have a password: for the old state,
// stored; for the new one, given in the request.
type passwords struct{ inbound, outbound bool }

// flatten returns t's JSON fields by path, one level into the nested
// objects. The JSON never holds a password.
func flatten(t Trunk) map[string]any {
	b, err := json.Marshal(t)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{}
	}
	out := map[string]any{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && slices.Contains(nested, k) {
			for sk, sv := range sub {
				out[k+"."+sk] = sv
			}
			if len(sub) == 0 {
				out[k] = sub
			}
			continue
		}
		out[k] = v
	}
	return out
}

// joinFields is the audit form of a field list.
func joinFields(fields []string) string { return strings.Join(fields, ",") }
