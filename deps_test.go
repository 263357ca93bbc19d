package kordon_test

// This test encodes the architecture of DESIGN.md §4: dependencies point
// one way (types → store → audit → tokenizer → egress → tunnel, media →
// robot → crm → admin → cmd/appliance), peers on one layer do not import
// each other, the leaf types import only the standard library, and only
// egress makes outbound requests.

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "kordon"

// layer of each top-level folder; a package may import kordon packages on
// lower layers and inside its own folder only.
var layers = map[string]int{
	"types":     0,
	"store":     1,
	"config":    1,
	"audit":     2,
	"tokenizer": 3,
	"egress":    4,
	"tunnel":    5,
	"media":     5,
	"robot":     6,
	"crm":       7,
	"admin":     8,
	"cmd":       9,
}

// outbound lists the packages allowed to open outbound connections, and
// why. Everything else that leaves the box goes through egress.
var outbound = map[string]string{
	"egress": "the one door out",
	"tunnel": "carries egress's traffic to the cloud",
	// The Vault provider talks to the customer's own Vault inside the
	// customer network, carries key material only (never a personal value)
	// and sits below egress in the layering.
	"tokenizer/keys": "Vault Transit key provider",
	// The SIP edge connects to the customer's own PBXs (through sipgo) and
	// sends RTP to them: telephony inside the customer network, where the
	// callee's number must go. Nothing it sends reaches the vendor cloud.
	"media": "SIP and RTP to the customer's PBX trunks",
	// Test peers on loopback, imported only by tests.
	"media/mediatest": "test harness for real SIP peers on 127.0.0.1",
}

type pkg struct {
	path    string // relative to the module, "" for the root
	imports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		p := pkg{path: strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")}
		p.imports = f[1:]
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func top(rel string) string {
	first, _, _ := strings.Cut(rel, "/")
	return first
}

func TestDependencies(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.path == "" {
			continue
		}
		l, ok := layers[top(p.path)]
		if !ok {
			t.Errorf("%s: top-level folder %q has no layer in deps_test.go; add it", p.path, top(p.path))
			continue
		}
		for _, imp := range p.imports {
			if !strings.HasPrefix(imp, module+"/") {
				if top(p.path) == "types" && strings.Contains(strings.Split(imp, "/")[0], ".") {
					t.Errorf("%s imports %s: types/* import only the standard library", p.path, imp)
				}
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if top(dep) == top(p.path) {
				continue // inside one subsystem
			}
			if dl := layers[top(dep)]; dl >= l {
				t.Errorf("%s (layer %d) imports %s (layer %d): dependencies point down the layers of DESIGN.md §4", p.path, l, dep, dl)
			}
		}
	}
}

// dialing matches code that opens a connection or builds an HTTP client.
var dialing = regexp.MustCompile(`\bnet\.Dial|\btls\.Dial|\bhttp\.(Get|Post|PostForm|Head|DefaultClient|DefaultTransport|NewRequest)\b|&?http\.Client\{|&?http\.Transport\{|websocket\.Dial`)

func TestOnlyEgressDialsOut(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "scripts") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for allowed := range outbound {
			if dir == allowed || strings.HasPrefix(dir, allowed+"/") {
				return nil
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if dialing.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d: outbound connection outside egress: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVaultClientOnlyInKeys keeps the Vault client library inside the key
// provider.
func TestVaultClientOnlyInKeys(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.imports {
			if strings.HasPrefix(imp, "github.com/hashicorp/vault/") && !strings.HasPrefix(p.path, "tokenizer/keys") {
				t.Errorf("%s imports %s; only tokenizer/keys talks to Vault", p.path, imp)
			}
		}
	}
}
