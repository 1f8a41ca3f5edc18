package fuzz

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// pipelineSeeds add the shipped examples and the pipeline cases' inputs.
var pipelineSeeds = append([]string{"../examples/*.xml"}, fetchXMLSeeds...)

// FuzzPipeline compiles FetchXML against the sample metadata and in
// untyped mode, emits SQL for every dialect and runs the SQLite SQL on the
// sample database. It checks that nothing panics, that every error carries
// a stable code, that no literal that could change a statement's meaning
// appears in SQL text (values are bind parameters), and that SQL the
// emitter accepts, SQLite runs.
func FuzzPipeline(f *testing.F) {
	for _, pattern := range pipelineSeeds {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if text, err := os.ReadFile(file); err == nil {
				f.Add(text)
			}
		}
	}
	for _, text := range ddtInputs(f, "../testdata/pipeline/*.ddt") {
		f.Add([]byte(text))
	}
	ctx := context.Background()
	db, sample, err := engine.OpenSample(ctx)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	caller := &plan.Caller{
		UserID:         "aa000000-0000-4000-8000-000000000002",
		BusinessUnitID: "bb000000-0000-4000-8000-000000000001",
		TeamIDs:        []string{"ee000000-0000-4000-8000-000000000002"},
		Reports:        []string{"aa000000-0000-4000-8000-000000000004"},
		LanguageID:     1033,
	}
	fiscal := &plan.Fiscal{Start: time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2002}
	now := time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, text []byte) {
		q, err := fetchxml.Parse(diag.NewSource("fuzz.xml", text))
		if err != nil {
			requireCodes(t, "parse", err)
			return
		}
		for i, cat := range []plan.Catalog{sample, plan.Untyped{}} {
			p, err := plan.Build(q, plan.Options{Catalog: cat, Now: now, Caller: caller, Fiscal: fiscal})
			if err != nil {
				requireCodes(t, "plan", err)
				continue
			}
			_ = plan.Format(p)
			for _, d := range sql.Dialects() {
				st, err := sql.Emit(p, d)
				if err != nil {
					requireCodes(t, "emit "+d.Name(), err)
					continue
				}
				checkNoLiterals(t, q, st.SQL)
			}
			if i == 0 { // the sample metadata: run it
				// An aggregate over its aggregatelimit is refused before
				// it runs (VE5007), as Dataverse refuses it.
				if _, err := db.Exec(ctx, p); err != nil && !slices.Contains(diag.Codes(err), diag.AggregateLimit) {
					t.Fatalf("SQLite rejects the SQL of an accepted query: %v\nquery:\n%s", err, text)
				}
			}
		}
	})
}

// requireCodes fails unless err carries at least one diag code.
func requireCodes(t *testing.T, stage string, err error) {
	t.Helper()
	if len(diag.Codes(err)) == 0 {
		t.Fatalf("%s: error without a code: %v", stage, err)
	}
}

// checkNoLiterals fails when a condition value that could alter a
// statement (it holds a quote, a semicolon, a comment or a space) appears
// in the SQL text.
func checkNoLiterals(t *testing.T, q *ast.Query, sqlText string) {
	t.Helper()
	ast.Inspect(q, func(n ast.Node) bool {
		if v, ok := n.(*ast.Value); ok && len(v.Text) >= 2 && strings.ContainsAny(v.Text, "'\";-/ ") {
			if strings.Contains(sqlText, v.Text) {
				t.Fatalf("literal %q appears in the SQL text:\n%s", v.Text, sqlText)
			}
		}
		return true
	})
}

// ddtInputs returns the FetchXML inputs of datadriven files.
func ddtInputs(f *testing.F, pattern string) []string {
	files, _ := filepath.Glob(pattern)
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, block := range strings.Split(string(data), "\n----") {
			if i := strings.Index(block, "<fetch"); i >= 0 {
				out = append(out, block[i:])
			}
		}
	}
	return out
}
