package fetchxml_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vecompile/vecompile/ast"
	emit "github.com/vecompile/vecompile/emit/fetchxml"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
)

// ignoreSpans compares trees without positions or sources.
var ignoreSpans = cmp.Options{
	cmpopts.IgnoreTypes(diag.Span{}),
	cmpopts.IgnoreFields(ast.Query{}, "Source"),
}

// normalize rewrites what Print canonicalises: neq is printed as ne.
func normalize(q *ast.Query) *ast.Query {
	ast.Inspect(q, func(n ast.Node) bool {
		if c, ok := n.(*ast.Condition); ok && c.Operator == ast.OpNeq {
			c.Operator = ast.OpNe
		}
		return true
	})
	if e := q.Entity; e != nil && !q.Aggregate.Value && !e.AllAttributes.Value && len(e.Attributes) == 0 {
		// The parser reads an entity without attributes as every column.
		e.AllAttributes = ast.Bool{Value: true}
	}
	return q
}

// documents returns every FetchXML document of the parser's testdata and
// of the pipeline cases that parses, by name.
func documents(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	files, _ := filepath.Glob("../../parse/fetchxml/testdata/*.xml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	inputs, err := testkit.Inputs("../../testdata/pipeline/*.ddt")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		docs[fmt.Sprintf("pipeline#%d", i)] = []byte(in)
	}
	examples, _ := filepath.Glob("../../examples/*.xml")
	for _, f := range examples {
		b, _ := os.ReadFile(f)
		docs[filepath.Base(f)] = b
	}
	if len(docs) < 20 {
		t.Fatalf("only %d documents found", len(docs))
	}
	return docs
}

// TestRoundTrip: parse(Print(q)) equals q, spans aside, for every document
// that parses.
func TestRoundTrip(t *testing.T) {
	n := 0
	for name, doc := range documents(t) {
		q, err := fetchxml.Parse(diag.NewSource(name, doc))
		if err != nil {
			continue
		}
		n++
		out, err := emit.Print(q)
		if err != nil {
			t.Errorf("%s: Print: %v", name, err)
			continue
		}
		q2, err := fetchxml.Parse(diag.NewSource(name+".printed", out))
		if err != nil {
			t.Errorf("%s: printed FetchXML does not parse: %v\n%s", name, err, out)
			continue
		}
		if d := cmp.Diff(normalize(q), q2, ignoreSpans); d != "" {
			t.Errorf("%s: round trip differs (-parsed +reparsed):\n%s\n%s", name, d, out)
		}
		// Printing is idempotent.
		out2, err := emit.Print(q2)
		if err != nil || string(out2) != string(out) {
			t.Errorf("%s: second print differs: %v\n%s\n%s", name, err, out, out2)
		}
	}
	if n < 50 {
		t.Errorf("only %d documents round-tripped", n)
	}
}

// TestGolden prints the parser's testdata documents; the output is
// compared with testdata/NAME.golden (-update rewrites).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("../../parse/fetchxml/testdata/*.xml")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			q, err := fetchxml.Parse(diag.NewSource(f, b))
			if err != nil {
				t.Fatal(err)
			}
			out, err := emit.Print(q)
			if err != nil {
				t.Fatal(err)
			}
			testkit.Golden(t, filepath.Join("testdata", name+".golden"), out)
		})
	}
}

// TestEscaping: markup, quotes and line breaks in values survive.
func TestEscaping(t *testing.T) {
	q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: "account"}, Body: ast.Body{
		Filters: []*ast.Filter{{Items: []ast.FilterItem{
			&ast.Condition{Attribute: ast.Name{Text: "name"}, Operator: ast.OpEq, Values: []*ast.Value{{Text: "a<b & \"c\"\n\td"}}},
			&ast.Condition{Attribute: ast.Name{Text: "name"}, Operator: ast.OpIn, Values: []*ast.Value{{Text: "x&y"}, {Text: "]]>"}}},
			&ast.Condition{Attribute: ast.Name{Text: "name"}, Operator: ast.OpNeq, Values: []*ast.Value{{Text: "z"}}},
		}}},
	}}}
	out, err := emit.Print(q)
	if err != nil {
		t.Fatal(err)
	}
	want := `<fetch>
  <entity name="account">
    <filter>
      <condition attribute="name" operator="eq" value="a&lt;b &amp; &quot;c&quot;&#10;&#9;d"/>
      <condition attribute="name" operator="in">
        <value>x&amp;y</value>
        <value>]]&gt;</value>
      </condition>
      <condition attribute="name" operator="ne" value="z"/>
    </filter>
  </entity>
</fetch>
`
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	q2, err := fetchxml.Parse(diag.NewSource("x", out))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(normalize(q), q2, ignoreSpans); d != "" {
		t.Error(d)
	}
}

// TestNullValue: a null literal cannot be written.
func TestNullValue(t *testing.T) {
	q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: "account"}, Body: ast.Body{
		Filters: []*ast.Filter{{Items: []ast.FilterItem{
			&ast.Condition{Attribute: ast.Name{Text: "name"}, Operator: ast.OpEq, Values: []*ast.Value{{Kind: ast.KindNull}}},
		}}},
	}}}
	if _, err := emit.Print(q); diag.CodeOf(err) != diag.UnsupportedFeature {
		t.Fatalf("got %v", err)
	}
}
