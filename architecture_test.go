package vecompile_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers is the dependency direction of docs/architecture.md as a rule per
// package: the vecompile packages its non-test files may import. Data
// flows one way (parse → ast → plan → emit → engine → server / cmd);
// security speaks ast and never imports plan; the proof harness's
// reference interpreter and generators stay independent of the planner
// and the emitters they check.
var layers = map[string][]string{
	"internal/diag":         nil,
	"internal/collate":      nil,
	"internal/faults":       nil,
	"internal/textcheck":    nil,
	"internal/jsonw":        nil,
	"internal/testkit":      nil,
	"ast":                   {"internal/diag"},
	"parse/fetchxml":        {"ast", "internal/diag", "internal/textcheck"},
	"parse/odata":           {"ast", "internal/diag", "internal/textcheck"},
	"parse/queryexpression": {"ast", "internal/diag", "internal/textcheck"},
	"security":              {"ast", "internal/diag"},
	"plan/calendar":         {"ast", "internal/diag", "internal/faults"},
	"plan":                  {"ast", "internal/diag", "internal/collate", "plan/calendar", "security"},
	"emit/fetchxml":         {"ast", "internal/diag"},
	"emit/queryexpression":  {"ast", "internal/diag"},
	"emit/odata":            {"ast", "internal/diag", "internal/collate", "plan", "plan/calendar"},
	"emit/sql":              {"ast", "internal/diag", "internal/collate", "internal/faults", "plan", "plan/calendar"},
	"engine":                {"ast", "internal/diag", "internal/collate", "internal/textcheck", "plan", "plan/calendar", "security", "emit/sql"},
	"internal/refeval":      {"ast", "internal/diag", "internal/collate"},
	"internal/gen":          {"ast", "internal/diag", "internal/refeval"},
}

// notImported lists, for the packages without a full rule, what they must
// never import.
var notImported = map[string][]string{
	"":       {"server", "cmd/"},
	"server": {"cmd/"},
}

func TestArchitectureLayers(t *testing.T) {
	const module = "github.com/vecompile/vecompile"
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel := filepath.ToSlash(path)
		if rel == "." {
			rel = ""
		}
		seen[rel] = true
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if allowed, ok := layers[rel]; ok && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s: not allowed by the layer rules (docs/architecture.md)", pkgName(rel), pkgName(dep))
			}
			for _, bad := range notImported[rel] {
				if dep == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad) {
					t.Errorf("%s imports %s: not allowed by the layer rules (docs/architecture.md)", pkgName(rel), pkgName(dep))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range layers {
		if !seen[p] {
			t.Errorf("the layer rules name %s, which is not a package any more", pkgName(p))
		}
	}
}

func pkgName(rel string) string {
	if rel == "" {
		return "vecompile (root)"
	}
	return rel
}
