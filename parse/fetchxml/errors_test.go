package fetchxml

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// emittedCodes is every code Parse can report; each needs a fixture.
var emittedCodes = []diag.Code{
	diag.SyntaxError, diag.UnknownElement, diag.UnknownAttribute, diag.MissingAttribute,
	diag.BadAttributeValue, diag.UnknownOperator, diag.OperandCount, diag.DuplicateElement,
	diag.ConflictingOptions, diag.LimitExceeded, diag.BadLiteral, diag.MisplacedLinkType,
	diag.TooDeep, diag.UnsupportedFeature, diag.DuplicateAlias, diag.MissingEntity,
}

var errorMarker = regexp.MustCompile(`<!-- ERROR (VE\d{4}) -->`)

type lineCode struct {
	line int
	code diag.Code
}

// TestErrorFixtures parses testdata/errors/*.xml. Each expected error is a
// comment <!-- ERROR VEnnnn --> on the line where it must be reported (as
// go/parser's tests do); the reported errors must match them exactly.
func TestErrorFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error fixtures: %v", err)
	}
	covered := map[diag.Code]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := map[lineCode]int{}
			for _, m := range errorMarker.FindAllSubmatchIndex(text, -1) {
				line := 1 + strings.Count(string(text[:m[0]]), "\n")
				want[lineCode{line, diag.Code(text[m[2]:m[3]])}]++
			}
			if len(want) == 0 {
				t.Fatal("fixture has no ERROR marker")
			}
			q, err := Parse(diag.NewSource(f, text))
			var list diag.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse returned %v (query %v), want errors", err, q != nil)
			}
			if q != nil {
				t.Error("Parse returned a query along with errors")
			}
			got := map[lineCode]int{}
			for _, e := range list {
				got[lineCode{e.Position().Line, e.Code}]++
				covered[e.Code] = true
				if !strings.HasPrefix(e.Error(), f+":") {
					t.Errorf("error %q does not start with file:line:col", e.Error())
				}
			}
			if !maps(got, want) {
				t.Errorf("errors:\n%s\nwant (line code):\n%s", list.Error(), format(want))
			}
		})
	}
	for _, c := range emittedCodes {
		if !covered[c] {
			t.Errorf("no fixture reports %s", c)
		}
	}
}

func maps(a, b map[lineCode]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func format(m map[lineCode]int) string {
	var lines []string
	for k, n := range m {
		for range n {
			lines = append(lines, fmt.Sprintf("%4d %s", k.line, k.code))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
