package queryexpression

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
)

// TestParse runs testdata/parse.ddt: each "parse" case is a JSON document;
// the expected output is the tree (ast.Dump) or, on failure, one line per
// error: "PATH CODE" (the message is not asserted).
func TestParse(t *testing.T) {
	testkit.RunFile(t, "testdata/parse.ddt", runCase)
}

// TestErrors runs testdata/errors.ddt, the error fixtures: code and JSON path.
func TestErrors(t *testing.T) {
	testkit.RunFile(t, "testdata/errors.ddt", runCase)
}

func runCase(t *testing.T, d *testkit.Directive) string {
	if d.Cmd != "parse" {
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	}
	q, err := Parse(diag.NewSource("q.json", []byte(d.Input)))
	if err != nil {
		if q != nil {
			t.Errorf("%s: error with a non-nil query", d.Pos)
		}
		return formatErrors(t, err)
	}
	return ast.Dump(q)
}

func formatErrors(t *testing.T, err error) string {
	list, ok := err.(diag.ErrorList)
	if !ok {
		t.Fatalf("not a diag.ErrorList: %T %v", err, err)
	}
	var b strings.Builder
	for _, e := range list {
		if e.Source == nil {
			t.Errorf("error without Source: %v", e)
		}
		where := e.Path
		if where == "" {
			where = e.Source.Position(e.Span.Start).String()
		}
		fmt.Fprintf(&b, "%s %s\n", where, e.Code)
	}
	return b.String()
}

// TestErrorMessage checks the rendered form: file, JSON path, code.
func TestErrorMessage(t *testing.T) {
	_, err := Parse(diag.NewSource("q.json", []byte(`{"EntityName":"account","Criteria":{"Conditions":[{"AttributeName":"name","Operator":"Equals","Values":["x"]}]}}`)))
	want := `q.json:$.Criteria.Conditions[0].Operator: VE1015 "Equals" is not a ConditionOperator member`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	_, err = Parse(diag.NewSource("q.json", []byte("{\n  \"EntityName\": \"account\",\n  \"TopCount\": 5,,\n}")))
	if err == nil || !strings.HasPrefix(err.Error(), "q.json:3:17: VE1001 ") {
		t.Fatalf("syntax error position: %v", err)
	}
}

// TestHierarchyNumbers pins the compiled SDK's numbers (spec §2.1 (*)).
func TestHierarchyNumbers(t *testing.T) {
	want := map[int]ast.Operator{75: ast.OpUnder, 76: ast.OpNotUnder, 77: ast.OpEqOrUnder, 78: ast.OpAbove, 79: ast.OpEqOrAbove}
	for n, op := range want {
		src := fmt.Sprintf(`{"EntityName":"account","Criteria":{"Conditions":[{"AttributeName":"accountid","Operator":%d,"Values":[{"Type":"System.Guid","Value":"acc00000-0000-4000-8000-000000000001"}]}]}}`, n)
		q, err := Parse(diag.NewSource("q.json", []byte(src)))
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Entity.Filters[0].Items[0].(*ast.Condition).Operator; got != op {
			t.Errorf("%d: got %s, want %s", n, got, op)
		}
	}
}

// TestSpans: nodes and names carry their byte ranges in the JSON, so that
// later stages (the planner) report line:col in the QueryExpression.
func TestSpans(t *testing.T) {
	text := "{\"EntityName\": \"account\",\n \"Criteria\": {\"Conditions\": [{\"AttributeName\": \"name\", \"Operator\": \"Equal\", \"Values\": [\"x\"]}]}}"
	q, err := Parse(diag.NewSource("q.json", []byte(text)))
	if err != nil {
		t.Fatal(err)
	}
	at := func(sp diag.Span) string { return text[sp.Start:sp.End] }
	if got := at(q.Entity.Name.Span); got != `"account"` {
		t.Errorf("entity name span %q", got)
	}
	c := q.Entity.Filters[0].Items[0].(*ast.Condition)
	if got := at(c.Attribute.Span); got != `"name"` {
		t.Errorf("attribute span %q", got)
	}
	if got := at(c.OpSpan); got != `"Equal"` {
		t.Errorf("operator span %q", got)
	}
	if got := at(c.Span); !strings.HasPrefix(got, `{"AttributeName"`) || !strings.HasSuffix(got, `]}`) {
		t.Errorf("condition span %q", got)
	}
	if pos := q.Source.Position(c.Values[0].Span.Start); pos.Line != 2 {
		t.Errorf("value position %v", pos)
	}
}

// TestDuplicateProperty: a property given twice is an error, not last-wins.
func TestDuplicateProperty(t *testing.T) {
	_, err := Parse(diag.NewSource("q.json", []byte(`{"EntityName": "account", "TopCount": 1, "TopCount": 2}`)))
	if diag.CodeOf(err) != diag.DuplicateElement || !strings.Contains(err.Error(), "$.TopCount") {
		t.Fatalf("got %v", err)
	}
}
