package vecompile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every fuzz target runs in CI: the targets of package fuzz through
// .ci/run's loop, every other one by name. A target added without a line
// in .ci/run would only ever replay its seeds.
func TestEveryFuzzTargetRunsInCI(t *testing.T) {
	script, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") || filepath.Dir(path) == "fuzz" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(src, -1) {
			// .ci/run's fuzz function: fuzz ./PKG/ TARGET TIME.
			call := regexp.MustCompile(`(?m)^\(?(export [^;]*; )?fuzz \./` + regexp.QuoteMeta(filepath.ToSlash(filepath.Dir(path))) + `/ ` + string(m[1]) + ` \d+s\)?$`)
			if !call.Match(script) {
				t.Errorf("%s: %s is not fuzzed by .ci/run (add: fuzz ./%s/ %s 10s)", path, m[1], filepath.Dir(path), m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
