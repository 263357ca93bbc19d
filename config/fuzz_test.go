package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every problem it reports
// names a line inside the file, and that whatever it accepts is valid.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"version: 1\n",
		"version: 2\n",
		"version: 1\nlog: {level: debug, format: json}\n",
		"version: 1\nkeys:\n  provider: vault\n  vault: {address: 'https://v:8200', token_file: t}\n",
		"version: 1\na: &a [*a]\n",
		"version: 1\n<<: {data_dir: x}\n",
		"version: 1\n? [a]\n: b\n",
		"!!binary aGVsbG8=\n",
		"version: !!str 1\n",
		"version: 1\nadmin: {max_body_bytes: 0x7fffffffffffffff}\n",
		"version: 1\nstore: {busy_timeout: 9999999h}\n",
		"{version: 1, tokenizer: {default_region: 'ру'}}",
	}
	if data, err := os.ReadFile("../kordon.yaml"); err == nil {
		seeds = append(seeds, string(data))
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, path := range files {
		if data, err := os.ReadFile(path); err == nil {
			seeds = append(seeds, string(data))
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, es := parse(data, "fuzz.yaml", noEnv)
		// YAML breaks lines at \n, \r, NEL, LS and PS; counting each
		// bounds the lines it can name.
		lines := 1
		for _, b := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += strings.Count(string(data), b)
		}
		for _, e := range es {
			if e.Msg == "" || e.File != "fuzz.yaml" {
				t.Errorf("malformed problem %#v", e)
			}
			if e.Line < 0 || e.Line > lines {
				t.Errorf("problem %v points past the end (%d lines)", e, lines)
			}
		}
		if len(es) == 0 {
			if bad := c.check(noEnv); len(bad) > 0 {
				t.Errorf("accepted an invalid config: %v", bad)
			}
		}
	})
}
