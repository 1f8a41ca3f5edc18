package odata

import (
	"bufio"
	"errors"
	"fmt"
	goscanner "go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vecompile/vecompile/internal/diag"
)

// The hand-written parsers (expr.go, options.go) against the participle
// grammar (grammar.go, built in grammar_ref_test.go): for every input,
// both accept with the same tree (positions included) or both reject
// with the same code at the same position. The messages may differ:
// participle's name grammar nodes, ours say what was expected.

// treeOptions compare two parsed requests; maps is keyed by the trees'
// own pointers.
var treeOptions = []cmp.Option{
	cmp.AllowUnexported(Request{}, aliasValue{}, offsets{}),
	cmpopts.IgnoreFields(Request{}, "maps", "Source"),
	cmpopts.EquateEmpty(),
}

// disagreement returns "" when both parsers read req alike, else what
// differs; onlyAt is true when both reject it with the same code and
// differ only in the position.
func disagreement(req string) (what string, onlyAt bool) {
	src := diag.NewSource("q", []byte(req))
	got, gerr := parseRequest(src, handWritten)
	want, werr := parseRequest(src, reference)
	switch {
	case (gerr == nil) != (werr == nil):
		return fmt.Sprintf("participle error %v, hand-written error %v", werr, gerr), false
	case gerr == nil:
		// reflect.DeepEqual first: go-cmp is slow on large trees.
		gm, wm := got.maps, want.maps
		got.maps, want.maps = nil, nil
		same := reflect.DeepEqual(got, want)
		got.maps, want.maps = gm, wm
		if same {
			return "", false
		}
		if d := cmp.Diff(want, got, treeOptions...); d != "" {
			return "trees differ (-participle +hand-written):\n" + d, false
		}
		return "", false
	}
	var g, w diag.ErrorList
	if !errors.As(gerr, &g) || !errors.As(werr, &w) || len(g) == 0 || len(w) == 0 {
		return fmt.Sprintf("errors are not diagnostics: participle %v, hand-written %v", werr, gerr), false
	}
	if g[0].Code != w[0].Code || g[0].Span != w[0].Span {
		return fmt.Sprintf("participle %s at %v, hand-written %s at %v (%v | %v)", w[0].Code, w[0].Span, g[0].Code, g[0].Span, w[0].Msg, g[0].Msg), g[0].Code == w[0].Code
	}
	return "", false
}

// checkAgree runs disagreement over inputs and reports each one;
// atAllowed is how many may differ in an error's position only (see the
// table in docs/odata.md).
func checkAgree(t *testing.T, what string, inputs []string, atAllowed int) {
	t.Helper()
	bad, accepted, at := 0, 0, 0
	for _, in := range inputs {
		if d, onlyAt := disagreement(in); d != "" {
			if onlyAt && at < atAllowed {
				at++
				t.Logf("%s %q: %s", what, in, d)
				continue
			}
			bad++
			if bad <= 40 {
				t.Errorf("%s %q: %s", what, in, d)
			}
		} else if _, err := ParseRequest(diag.NewSource("q", []byte(in))); err == nil {
			accepted++
		}
	}
	if bad > 40 {
		t.Errorf("%s: %d disagreements in all", what, bad)
	}
	t.Logf("%s: %d inputs (%d accepted), %d disagree, %d only in an error's position", what, len(inputs), accepted, bad, at)
}

// asOptions puts a value under every option that holds an expression.
func asOptions(v string) []string {
	v = escapeAmp(v)
	return []string{"x?$filter=" + v, "x?$orderby=" + v, "x?$select=" + v, "x?$expand=" + v, "x?$apply=" + v, "x?$compute=" + v, "x?@p=" + v}
}

// TestParsersAgreeOASIS: every OASIS ABNF case, as written and with its
// value under each expression option.
func TestParsersAgreeOASIS(t *testing.T) {
	var cases []abnfCase
	for _, f := range []string{"odata-abnf-testcases.yaml", "odata-aggregation-testcases.yaml"} {
		cases = append(cases, readCases(t, filepath.Join(abnfDir, f))...)
	}
	var inputs []string
	for _, c := range cases {
		switch applicable(c) {
		case "options":
			inputs = append(inputs, "x?"+c.Input)
		case "uri":
			inputs = append(inputs, c.Input)
		}
		if strings.Contains(c.Input, "=") && !strings.Contains(c.Input, "?") {
			inputs = append(inputs, "x?"+c.Input)
		}
		if in, _, err := decode(c.Input); err == nil {
			if c.Rule == "anyExpr" {
				in = "coll/" + in
			}
			inputs = append(inputs, asOptions(in)...)
		}
	}
	checkAgree(t, "OASIS", inputs, 0)
}

// optionInText finds where an OData option starts in a line of text.
var optionInText = regexp.MustCompile(`(?i)[\w./-]*\?*\$(filter|select|expand|orderby|apply|compute|search|top|skip|count|levels)=`)

// repoInputs collects the OData requests the repository's tests and
// goldens hold: Go string literals and lines of testdata files that name
// a query option.
func repoInputs(t *testing.T) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && optionInText.MatchString(s) {
			seen[s] = true
			out = append(out, s)
		}
	}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".go"):
			var sc goscanner.Scanner
			fset := token.NewFileSet()
			sc.Init(fset.AddFile(path, -1, len(data)), data, nil, 0)
			for {
				_, tok, lit := sc.Scan()
				if tok == token.EOF {
					break
				}
				if tok == token.STRING {
					if s, err := strconv.Unquote(lit); err == nil {
						add(s)
					}
				}
			}
		case strings.Contains(path, "testdata"):
			lines := bufio.NewScanner(strings.NewReader(string(data)))
			lines.Buffer(make([]byte, 1<<20), 1<<20)
			for lines.Scan() {
				line := lines.Text()
				if strings.HasPrefix(line, "string(") { // a fuzz corpus entry
					if s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "string("), ")")); err == nil {
						add(s)
					}
					continue
				}
				if loc := optionInText.FindStringIndex(line); loc != nil {
					add(strings.TrimRight(line[loc[0]:], `",`))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 300 {
		t.Fatalf("found only %d OData inputs in the repository: the scan is out of step", len(out))
	}
	return out
}

// TestParsersAgreeRepository: every OData request of the repository's
// tests (server, parse, emit, fuzz corpora) and goldens.
func TestParsersAgreeRepository(t *testing.T) {
	checkAgree(t, "repository", repoInputs(t), 0)
}

// TestParsersAgreeSmall: hand-picked corners of the grammar.
func TestParsersAgreeSmall(t *testing.T) {
	var inputs []string
	for _, v := range []string{
		benchFilter[len("accounts?$filter="):], "not not a", "a in ()", "f()", "x/any()", "-a sub -1 mul 2", "{\"a\":[1,{}]}", "a eq",
		"name desc,address1_city", "name asc", "a/b desc, c", "contains(name,'x') desc", "name desc desc", "name,", "",
		"name,address1_city", "*", "a/b,c", "Model.*,@Core.Messages", "a,,b", "a b", "a/", "a/(b)", "a(b,c)", "a(b,c eq 1)", "a()",
		"a($select=b;$expand=c($top=1;$skip=2;$count=true;$levels=max))", "a($filter=b eq 1;$orderby=c desc;$search=x OR (y -z))",
		"a($apply=groupby((b));$compute=c mul 2 as d;@p=1)", "a($top=x)", "a($count=1)", "a($levels=-1)", "a($select=)", "a(;)",
		"a($search=)", "a($search=(b)", "a/$ref($filter=x eq 1)", "a/$count($top=1)", "a($select=b))", "a,b(c($expand=d))",
	} {
		inputs = append(inputs, asOptions(v)...)
	}
	checkAgree(t, "small", inputs, 0)
}
