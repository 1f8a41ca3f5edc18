package queryexpression_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vecompile/vecompile/ast"
	fxemit "github.com/vecompile/vecompile/emit/fetchxml"
	qeemit "github.com/vecompile/vecompile/emit/queryexpression"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/parse/queryexpression"
	"github.com/vecompile/vecompile/plan"
)

var ignoreSpans = cmp.Options{
	cmpopts.IgnoreTypes(diag.Span{}),
	cmpopts.IgnoreFields(ast.Query{}, "Source"),
}

// normalize rewrites what the conversion canonicalises: neq is ne, a
// filter's conditions come before its filters and its any/all link.
func normalize(q *ast.Query) *ast.Query {
	rank := func(it ast.FilterItem) int {
		switch it.(type) {
		case *ast.Condition:
			return 0
		case *ast.Filter:
			return 1
		}
		return 2
	}
	ast.Inspect(q, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Condition:
			if x.Operator == ast.OpNeq {
				x.Operator = ast.OpNe
			}
		case *ast.Filter:
			sort.SliceStable(x.Items, func(i, j int) bool { return rank(x.Items[i]) < rank(x.Items[j]) })
		}
		return true
	})
	if e := q.Entity; e != nil && e.AllAttributes.Value {
		// An entity without attributes selects every column: QueryExpression
		// says so explicitly (ColumnSet.AllColumns).
		e.AllAttributes.Set = true
	}
	return q
}

func documents(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	add := func(pattern string) {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs[filepath.Base(f)] = b
		}
	}
	add("../../parse/fetchxml/testdata/*.xml")
	add("../../examples/*.xml")
	inputs, err := testkit.Inputs("../../testdata/pipeline/*.ddt")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		docs[fmt.Sprintf("pipeline#%d", i)] = []byte(in)
	}
	return docs
}

// convert parses FetchXML and converts it to QueryExpression JSON and back
// to a tree. ok is false when the document is not convertible (every
// error must then be UnsupportedFeature).
func convert(t *testing.T, name string, doc []byte) (fx, qe *ast.Query, js []byte, ok bool) {
	t.Helper()
	fx, err := fetchxml.Parse(diag.NewSource(name, doc))
	if err != nil {
		return nil, nil, nil, false
	}
	js, err = qeemit.Print(fx)
	if err != nil {
		for _, c := range diag.Codes(err) {
			if c != diag.UnsupportedFeature {
				t.Errorf("%s: conversion failed with %s: %v", name, c, err)
			}
		}
		return fx, nil, nil, false
	}
	qe, err = queryexpression.Parse(diag.NewSource(name+".json", js))
	if err != nil {
		t.Errorf("%s: printed QueryExpression does not parse: %v\n%s", name, err, js)
		return fx, nil, nil, false
	}
	return fx, qe, js, true
}

// TestRoundTrip: FetchXML → QueryExpression → FetchXML gives the same tree
// (spans aside, after normalize) for every convertible document; the
// QueryExpression tree itself equals it but for literal kinds.
func TestRoundTrip(t *testing.T) {
	n, skipped := 0, 0
	for name, doc := range documents(t) {
		fx, qe, js, ok := convert(t, name, doc)
		if !ok {
			if fx != nil {
				skipped++
			}
			continue
		}
		n++
		want := normalize(fx)
		if d := cmp.Diff(want, qe, ignoreSpans, cmpopts.IgnoreFields(ast.Value{}, "Kind")); d != "" {
			t.Errorf("%s: QueryExpression tree differs (-fetchxml +qe):\n%s\n%s", name, d, js)
			continue
		}
		out, err := fxemit.Print(qe)
		if err != nil {
			t.Errorf("%s: FetchXML print: %v", name, err)
			continue
		}
		back, err := fetchxml.Parse(diag.NewSource(name+".back.xml", out))
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
			continue
		}
		if d := cmp.Diff(want, back, ignoreSpans); d != "" {
			t.Errorf("%s: FetchXML → QE → FetchXML differs:\n%s\n%s", name, d, out)
		}
		// Printing the QueryExpression tree gives the same JSON.
		js2, err := qeemit.Print(qe)
		if err != nil || string(js2) != string(js) {
			t.Errorf("%s: QE print not stable: %v\n%s\n%s", name, err, js, js2)
		}
	}
	t.Logf("%d documents round-tripped, %d not convertible", n, skipped)
	if n < 50 {
		t.Errorf("only %d documents round-tripped", n)
	}
}

// TestSameSQL: the QueryExpression form plans to the same SQL as the
// FetchXML it came from, in every dialect, against the sample metadata.
func TestSameSQL(t *testing.T) {
	cat, err := engine.LoadMetadataFile("../../engine/sampledata/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	opt := plan.Options{
		Catalog: cat,
		Now:     time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC),
		Caller:  &plan.Caller{UserID: "aa000000-0000-4000-8000-000000000002", BusinessUnitID: "bb000000-0000-4000-8000-000000000001", LanguageID: 1033},
		Fiscal:  &plan.Fiscal{Start: time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2002},
	}
	n := 0
	for name, doc := range documents(t) {
		fx, qe, _, ok := convert(t, name, doc)
		if !ok {
			continue
		}
		// The conversion lists a filter's conditions before its nested
		// filters and any/all link (QueryExpression keeps them apart), so
		// compare with the FetchXML in that order.
		p1, err1 := plan.Build(normalize(fx), opt)
		p2, err2 := plan.Build(qe, opt)
		if err1 != nil {
			if diag.CodeOf(err1) != diag.CodeOf(err2) {
				t.Errorf("%s: FetchXML fails with %v, QueryExpression with %v", name, err1, err2)
			}
			continue
		}
		if err2 != nil {
			t.Errorf("%s: QueryExpression does not plan: %v", name, err2)
			continue
		}
		for _, dn := range []string{"postgres", "sqlite", "mysql", "sqlserver"} {
			d, _ := sql.DialectByName(dn)
			s1, err1 := sql.Emit(p1, d)
			s2, err2 := sql.Emit(p2, d)
			if (err1 == nil) != (err2 == nil) {
				t.Errorf("%s %s: %v / %v", name, dn, err1, err2)
				continue
			}
			if err1 != nil {
				continue
			}
			if s1.SQL != s2.SQL || fmt.Sprint(s1.Args) != fmt.Sprint(s2.Args) {
				t.Errorf("%s %s: SQL differs\n%s %v\n%s %v", name, dn, s1.SQL, s1.Args, s2.SQL, s2.Args)
			}
		}
		n++
	}
	t.Logf("%d documents compared", n)
	if n < 40 {
		t.Errorf("only %d documents planned", n)
	}
}

// TestGolden prints the parser's testdata documents as QueryExpression
// JSON (or the UnsupportedFeature errors with their FetchXML positions)
// into testdata/NAME.golden; -update rewrites.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("../../parse/fetchxml/testdata/*.xml")
	files = append(files, "../../examples/open-opportunities.xml", "testdata/unsupported.xml")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			q, err := fetchxml.Parse(diag.NewSource(filepath.Base(f), b))
			if err != nil {
				t.Fatal(err)
			}
			out, err := qeemit.Print(q)
			if err != nil {
				out = []byte(err.Error() + "\n")
			}
			testkit.Golden(t, filepath.Join("testdata", name+".golden"), out)
		})
	}
}

// TestUnsupported: every FetchXML-only feature is an error naming it at its
// position, never dropped.
func TestUnsupported(t *testing.T) {
	b, err := os.ReadFile("testdata/unsupported.xml")
	if err != nil {
		t.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("unsupported.xml", b))
	if err != nil {
		t.Fatal(err)
	}
	_, err = qeemit.Print(q)
	codes := diag.Codes(err)
	if len(codes) < 10 {
		t.Fatalf("want an error per feature, got %v", err)
	}
	for _, c := range codes {
		if c != diag.UnsupportedFeature {
			t.Errorf("code %s, want %s", c, diag.UnsupportedFeature)
		}
	}
	for _, feature := range []string{"useraworderby", "latematerialize", "aggregatelimit", "usertimezone", "countcolumn distinct", "rowaggregate", "cross-table valueof", "intersect", "directly under <fetch>", "second <filter>", "second any/all"} {
		if !strings.Contains(err.Error(), feature) {
			t.Errorf("no error names %q:\n%v", feature, err)
		}
	}
	list := err.(diag.ErrorList)
	for _, e := range list {
		if e.Position().Line == 0 {
			t.Errorf("error without a position: %v", e)
		}
	}
}
