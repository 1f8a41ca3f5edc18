// Command testreport reads `go test -json` on standard input and prints
// what a person needs from a long run: each package's result, the output
// of every failed test, every skipped test with its reason, and a closing
// line "N passed, N failed, N skipped". With -allow FILE, a skip that no
// line of FILE allows fails the run, so CI says what it did not test and
// cannot quietly stop testing it.
//
//	go test -json ./... | go run ./internal/tools/testreport -allow .ci/skips-allowed
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of test2json output.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string // build events
}

type testKey struct{ pkg, test string }

// allowRule is one line of the allow-list: a package and test pattern
// (regular expressions, anchored) and the reason, which must be given.
type allowRule struct {
	pkg, test *regexp.Regexp
	line      string
}

func main() {
	allowFile := flag.String("allow", "", "file of allowed skips: lines 'PACKAGE-REGEXP TEST-REGEXP # reason'")
	flag.Parse()
	var rules []allowRule
	if *allowFile != "" {
		var err error
		if rules, err = readAllow(*allowFile); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
	}
	os.Exit(report(os.Stdin, os.Stdout, rules, *allowFile != ""))
}

func readAllow(path string) ([]allowRule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []allowRule
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, reason, ok := strings.Cut(line, "#")
		f := strings.Fields(spec)
		if !ok || strings.TrimSpace(reason) == "" || len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want 'PACKAGE-REGEXP TEST-REGEXP # reason'", path, i+1)
		}
		p, err := regexp.Compile("^(?:" + f[0] + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		t, err := regexp.Compile("^(?:" + f[1] + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, allowRule{p, t, line})
	}
	return out, nil
}

// report prints the summary and returns the exit code: 1 when a test or
// build failed, or when enforce is set and a skip is not allowed.
func report(r io.Reader, w io.Writer, rules []allowRule, enforce bool) int {
	output := map[testKey][]string{}
	var passed, failed, skipped []testKey
	var pkgFailed []string
	buildOutput := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(w, sc.Text()) // not test2json: pass it through
			continue
		}
		k := testKey{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			buildOutput[e.ImportPath] = append(buildOutput[e.ImportPath], e.Output)
		case "build-fail":
			fmt.Fprintf(w, "BUILD FAIL %s\n%s", e.ImportPath, strings.Join(buildOutput[e.ImportPath], ""))
		case "output":
			if e.Test == "" {
				if strings.HasPrefix(e.Output, "ok ") || strings.HasPrefix(e.Output, "FAIL") || strings.HasPrefix(e.Output, "ok\t") {
					fmt.Fprint(w, e.Output)
				}
			}
			output[k] = append(output[k], e.Output)
		case "pass":
			if e.Test != "" {
				passed = append(passed, k)
			}
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, k)
			}
		case "fail":
			if e.Test != "" {
				failed = append(failed, k)
			} else {
				pkgFailed = append(pkgFailed, e.Package)
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testreport: reading the test output:", err)
		return 1
	}
	code := 0
	if len(failed) > 0 || len(pkgFailed) > 0 {
		code = 1
		fmt.Fprintln(w, "\n== failed tests")
		for _, k := range leaves(failed) {
			fmt.Fprintf(w, "--- FAIL %s %s\n%s", k.pkg, k.test, strings.Join(output[k], ""))
		}
		for _, p := range pkgFailed {
			if out := output[testKey{p, ""}]; len(out) > 0 && !hasTest(failed, p) {
				fmt.Fprintf(w, "--- FAIL %s (package)\n%s", p, strings.Join(out, ""))
			}
		}
	}
	leafSkips := leaves(skipped)
	if len(leafSkips) > 0 {
		fmt.Fprintln(w, "\n== skipped tests (not tested in this run)")
		var refused int
		for _, k := range leafSkips {
			reason := skipReason(output[k])
			mark := ""
			if enforce && !allowed(rules, k) {
				mark = "  [NOT ALLOWED]"
				refused++
			}
			fmt.Fprintf(w, "SKIP %s %s: %s%s\n", k.pkg, k.test, reason, mark)
		}
		if refused > 0 {
			fmt.Fprintf(w, "%d skipped tests are not in the allow-list: test them, or allow them with a reason\n", refused)
			code = 1
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", len(passed), len(failed), len(skipped))
	return code
}

// leaves drops a test whose subtest is also listed, so a skipped subtest
// is reported once, under its own name.
func leaves(keys []testKey) []testKey {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].pkg != keys[j].pkg {
			return keys[i].pkg < keys[j].pkg
		}
		return keys[i].test < keys[j].test
	})
	var out []testKey
	for i, k := range keys {
		if i+1 < len(keys) && keys[i+1].pkg == k.pkg && strings.HasPrefix(keys[i+1].test, k.test+"/") {
			continue
		}
		out = append(out, k)
	}
	return out
}

func hasTest(keys []testKey, pkg string) bool {
	for _, k := range keys {
		if k.pkg == pkg {
			return true
		}
	}
	return false
}

// skipReason is the test's own last message before its SKIP line.
func skipReason(lines []string) string {
	reason := "(no reason given)"
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		reason = t
	}
	return reason
}

func allowed(rules []allowRule, k testKey) bool {
	for _, r := range rules {
		if r.pkg.MatchString(k.pkg) && r.test.MatchString(k.test) {
			return true
		}
	}
	return false
}
