package fuzz

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	fxemit "github.com/vecompile/vecompile/emit/fetchxml"
	qeemit "github.com/vecompile/vecompile/emit/queryexpression"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/queryexpression"
	"github.com/vecompile/vecompile/plan"
)

// queryExpressionSeeds are the inputs of the QueryExpression parser's
// datadriven files (and the example), besides the committed corpus under
// testdata/fuzz/FuzzQueryExpression.
var queryExpressionSeeds = []string{
	"../parse/queryexpression/testdata/parse.ddt",
	"../parse/queryexpression/testdata/errors.ddt",
}

// qeInputs returns the input blocks of a datadriven file.
func qeInputs(text string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "parse":
			in, cur = true, nil
		case line == "----" && in:
			out = append(out, strings.Join(cur, "\n"))
			in = false
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

func FuzzQueryExpression(f *testing.F) {
	for _, file := range queryExpressionSeeds {
		if text, err := os.ReadFile(file); err == nil {
			for _, in := range qeInputs(string(text)) {
				f.Add([]byte(in))
			}
		}
	}
	if text, err := os.ReadFile("../examples/open-opportunities.json"); err == nil {
		f.Add(text)
	}
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	f.Fuzz(func(t *testing.T, text []byte) {
		q, err := queryexpression.Parse(diag.NewSource("fuzz.json", text))
		if err != nil {
			if q != nil {
				t.Fatal("Parse returned a query along with errors")
			}
			var list diag.ErrorList
			if !errors.As(err, &list) || len(list) == 0 || len(list) > diag.MaxErrors {
				t.Fatalf("error is not a non-empty, capped ErrorList: %#v", err)
			}
			for _, e := range list {
				if e.Code == "" || e.Source == nil || (e.Path == "" && !e.Span.Start.IsValid()) {
					t.Fatalf("error without code, source, path or position: %#v", e)
				}
				if e.Path != "" && !strings.HasPrefix(e.Path, "$") {
					t.Fatalf("path %q does not start at $", e.Path)
				}
			}
			return
		}
		if q == nil || q.Entity == nil || !q.Entity.Name.IsSet() {
			t.Fatal("Parse succeeded without a query or an entity")
		}
		checkJSONSpans(t, reflect.ValueOf(q), len(text))
		dump := ast.Dump(q)
		q2, err := queryexpression.Parse(diag.NewSource("fuzz.json", text))
		if err != nil || ast.Dump(q2) != dump {
			t.Fatalf("second parse differs: %v", err)
		}
		roundTrip(t, q)
		// Planned against the sample: SQL with no literal in its text, which
		// SQLite runs.
		p, err := plan.Build(q, plan.Options{Catalog: cat})
		if err != nil {
			requireCodes(t, "plan", err)
			return
		}
		runPlan(ctx, t, db, p, string(text))
	})
}

// roundTrip: an accepted QueryExpression prints back as QueryExpression
// that parses to the same tree, and prints as FetchXML (or fails with
// UnsupportedFeature only, for null literals) without panicking.
func roundTrip(t *testing.T, q *ast.Query) {
	dump := ast.Dump(q)
	js, err := qeemit.Print(q)
	if err != nil {
		t.Fatalf("an accepted QueryExpression does not print: %v", err)
	}
	q2, err := queryexpression.Parse(diag.NewSource("printed.json", js))
	if err != nil {
		t.Fatalf("printed QueryExpression does not parse: %v\n%s", err, js)
	}
	if d2 := ast.Dump(q2); d2 != dump {
		t.Fatalf("QueryExpression round trip differs:\n%s\n%s\n%s", dump, d2, js)
	}
	if _, err := fxemit.Print(q); err != nil {
		for _, c := range diag.Codes(err) {
			if c != diag.UnsupportedFeature {
				t.Fatalf("FetchXML print fails with %s: %v", c, err)
			}
		}
	}
}

// checkJSONSpans is checkSpans allowing diag.NoSpan (nodes QueryExpression
// synthesises, such as QueryByAttribute's filter).
func checkJSONSpans(t *testing.T, v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() && v.Type() != reflect.TypeFor[*diag.Source]() {
			checkJSONSpans(t, v.Elem(), n)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkJSONSpans(t, v.Index(i), n)
		}
	case reflect.Struct:
		if v.Type() == spanType {
			sp := v.Interface().(diag.Span)
			if sp != diag.NoSpan && (sp.Start < 0 || sp.Start > sp.End || int(sp.End) > n) {
				t.Fatalf("span %v outside the %d-byte input", sp, n)
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			checkJSONSpans(t, v.Field(i), n)
		}
	}
}
