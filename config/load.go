package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"kordon/types/fault"
)

// maxFileSize bounds the boot file; the full sample is a few kilobytes.
const maxFileSize = 1 << 20

// Load reads and parses the boot file at path. An empty path means no file:
// Load returns Default(). A path that does not exist is an error of kind
// NotFound, never a silent fallback to the defaults.
func Load(path string) (Config, error) {
	const op = "config.Load"
	if path == "" {
		return Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		kind := fault.Unavailable
		if errors.Is(err, fs.ErrNotExist) {
			kind = fault.NotFound
		}
		return Config{}, fault.E(op, kind, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return Config{}, fault.E(op, fault.Unavailable, fmt.Errorf("read %s: %w", path, err))
	}
	c, es := parse(data, path, os.LookupEnv)
	if len(es) > 0 {
		return Config{}, fault.E(op, fault.Invalid, es)
	}
	return c, nil
}

// Parse decodes and validates a boot file's contents; name is used in
// messages (usually the file's path). Keys missing from the file keep their
// defaults. On failure it returns the zero Config and an Errors (wrapped in
// a fault.Error of kind Invalid) listing every problem: unknown and
// duplicate keys, values of the wrong type, and everything Validate
// checks, each with its key path and line. Two kinds of problem stop the
// check early, because nothing after them can be read reliably: a YAML
// syntax error, and a version other than 1.
func Parse(data []byte, name string) (Config, error) {
	c, es := parse(data, name, os.LookupEnv)
	if len(es) > 0 {
		return Config{}, fault.E("config.Parse", fault.Invalid, es)
	}
	return c, nil
}

func parse(data []byte, name string, env lookupEnv) (Config, Errors) {
	c, es := decodeFile(data, env)
	for i := range es {
		es[i].File = name
	}
	es.sort()
	if len(es) > 0 {
		return Config{}, es
	}
	return c, nil
}

func decodeFile(data []byte, env lookupEnv) (Config, Errors) {
	c := Default()
	if len(data) > maxFileSize {
		return c, Errors{{Msg: fmt.Sprintf("file is larger than %d bytes", maxFileSize)}}
	}
	root, es := document(data)
	if len(es) > 0 {
		return c, es
	}
	if es := checkVersion(root); len(es) > 0 {
		return c, es
	}

	d := decoder{lines: map[string]int{}}
	if root == nil {
		d.p.add(0, "version", "required; the only accepted value is %d (the file is empty)", Version)
	} else {
		if lookup(root, "version") == nil {
			d.p.add(0, "version", "required; the only accepted value is %d", Version)
		}
		d.walk(root, &c, "")
	}

	// Normalize what the file may write loosely.
	// An invalid region is left as written, so the message shows it.
	if up := strings.ToUpper(c.Tokenizer.DefaultRegion); validRegion(up) {
		c.Tokenizer.DefaultRegion = up
	}
	if c.Tokenizer.CacheEntries == 0 {
		c.Tokenizer.CacheEntries = defaultCacheEntries
	}

	for _, e := range c.check(env) {
		e.Line = d.line(e.Key)
		d.p.list = append(d.p.list, e)
	}
	return c, d.p.list
}

// document parses data as exactly one YAML document and returns its top
// mapping, or nil for a document with no content (empty, only comments, or
// null).
func document(data []byte) (*yaml.Node, Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case err == io.EOF:
		return nil, nil
	case err != nil:
		return nil, Errors{syntaxError(err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, Errors{{Line: next.Line, Msg: "more than one YAML document; the boot file is one document"}}
	case err != io.EOF:
		return nil, Errors{syntaxError(err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	switch {
	case root == nil || isNull(root):
		return nil, nil
	case root.Kind != yaml.MappingNode:
		return nil, Errors{{Line: root.Line, Msg: "want a mapping of keys at the top level, got " + describe(root)}}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into a FieldError with its line.
func syntaxError(err error) FieldError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return FieldError{Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return FieldError{Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

// checkVersion reports a version that is present but not 1. Such a file
// is stopped at its version: its other keys follow another schema, and
// reporting them against this one would only mislead.
func checkVersion(root *yaml.Node) Errors {
	n := resolve(lookup(root, "version"))
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var v int64
		if err := n.Decode(&v); err == nil {
			if v == Version {
				return nil
			}
			return Errors{{Line: n.Line, Key: "version", Msg: fmt.Sprintf("unsupported version %d; this build of kordon reads version %d", v, Version)}}
		}
	}
	return Errors{{Line: n.Line, Key: "version", Msg: fmt.Sprintf("want %d, got %s", Version, describe(n))}}
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// resolve follows an alias to its anchored node. Anchors cannot be set on
// aliases, so one step is enough.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe shows a node in a message: a scalar's text, quoted and
// shortened, or the node's shape.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "no value"
	case n.Kind == yaml.ScalarNode:
		return quote(n.Value)
	}
	return "an unreadable node"
}
