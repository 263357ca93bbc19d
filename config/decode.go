package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder overlays a YAML node tree onto a Config, field by field through
// the yaml tags, collecting every problem instead of stopping at the first
// (which is all yaml.v3's own strict mode can do with useful key paths).
type decoder struct {
	p     problems
	lines map[string]int // key path → line of the key, for later messages
}

var durationType = reflect.TypeFor[time.Duration]()

// walk decodes n into the value dst points to, reporting problems under
// the dotted key path.
func (d *decoder) walk(n *yaml.Node, dst any, path string) {
	d.value(n, reflect.ValueOf(dst).Elem(), path)
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if n == nil {
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.String:
		d.string(n, v, path)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		d.int(n, v, path)
	default:
		// A field type the decoder does not know: a bug caught by the tests.
		panic(fmt.Sprintf("config: field %s has unsupported type %s", path, v.Type()))
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return // a section with every key commented out keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		d.p.add(n.Line, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.p.add(k.Line, path, "want a plain key name, got %s", describe(k))
			continue
		}
		keyPath := join(path, k.Value)
		if k.ShortTag() == "!!merge" {
			d.p.add(k.Line, keyPath, "merge keys are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.p.add(k.Line, keyPath, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		f, ok := field(v.Type(), k.Value)
		if !ok {
			// Never echo the value: an unknown key may be an inline secret.
			d.p.add(k.Line, keyPath, "unknown key%s", hint(v.Type(), k.Value))
			continue
		}
		d.lines[keyPath] = k.Line
		d.value(n.Content[i+1], v.Field(f), keyPath)
	}
}

func (d *decoder) string(n *yaml.Node, v reflect.Value, path string) {
	if !scalar(n) {
		d.p.add(n.Line, path, "want a string, got %s", describe(n))
		return
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
		v.SetString(n.Value)
	default:
		d.p.add(n.Line, path, "want a string, got a value tagged %s", n.ShortTag())
	}
}

func (d *decoder) int(n *yaml.Node, v reflect.Value, path string) {
	var i int64
	if !scalar(n) || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		d.p.add(n.Line, path, "want an integer, got %s", describe(n))
		return
	}
	if v.OverflowInt(i) {
		d.p.add(n.Line, path, "integer %d out of range", i)
		return
	}
	v.SetInt(i)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if !scalar(n) {
		d.p.add(n.Line, path, "want a duration such as \"10s\", got %s", describe(n))
		return
	}
	t, err := time.ParseDuration(n.Value)
	if err != nil {
		d.p.add(n.Line, path, "want a duration such as \"10s\" or \"1m30s\", got %s", describe(n))
		return
	}
	v.SetInt(int64(t))
}

// scalar reports whether n is a scalar with a value (not null).
func scalar(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && !isNull(n) }

// line returns the line of key, or of its nearest ancestor in the file
// (a missing required key is reported at its section), or 0.
func (d *decoder) line(key string) int {
	for {
		if l, ok := d.lines[key]; ok {
			return l
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
}

// join appends a key from the file to a path, quoting names that are not
// plain identifiers so that a stray newline or dot cannot garble messages.
func join(path, key string) string {
	if !plainKey(key) {
		key = quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// keys lists the yaml keys of struct type t in declaration order.
func keys(t reflect.Type) []string {
	ks := make([]string, t.NumField())
	for i := range ks {
		ks[i], _, _ = strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
	}
	return ks
}

// field returns the index of the field of t whose yaml key is name.
func field(t reflect.Type, name string) (int, bool) {
	i := slices.Index(keys(t), name)
	return i, i >= 0
}

// hint suggests what an unknown key was meant to be: the file form of an
// inline secret, or a known key within two edits.
func hint(t reflect.Type, name string) string {
	known := keys(t)
	if slices.Contains(known, name+"_file") {
		return fmt.Sprintf("; secrets are never written in this file: put it in a file and set %q", name+"_file")
	}
	if secretName(name) {
		return "; secrets are never written in this file, only paths to files holding them"
	}
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(name), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(known, ", "))
}

func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "passwd", "secret", "token", "api_key", "apikey", "private_key"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance between a and b, in bytes; keys
// are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
