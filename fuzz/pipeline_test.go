package fuzz

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
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
	inputs, err := testkit.Inputs("../testdata/pipeline/*.ddt")
	if err != nil {
		f.Fatal(err)
	}
	for _, text := range inputs {
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
				checkNoLiterals(t, st.SQL)
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

// emitterLiterals are the only string literals the SQL emitter writes
// itself: time zone and interval words, the LIKE escape character, the
// multi-select separator, the date formats of date() and time()
// (strftime's and DATE_FORMAT's %-letters, PostgreSQL's to_char
// patterns), the JSON paths of
// lists bound as one parameter ('$' in OPENJSON, '$[*]' in JSON_TABLE),
// and the accent-folding table (foldLetter): its letters one by one in
// MySQL's REPLACE chain, its two strings whole in PostgreSQL's translate.
// Every
// value of a query is a bind parameter, so any other literal in the text
// is a leak.
var emitterLiterals = regexp.MustCompile(`^(UTC|1 minute| minutes|,|!|(%[A-Za-z])+|YYYYMMDD|HH24MISS|\$|\$\[\*\])$`)

// useHint reports whether lit is a SQL Server USE HINT name of the
// planner's closed list (plan.QueryHints, from fetch/@options), which
// T-SQL writes only as a string: OPTION (USE HINT ('…')).
func useHint(lit string) bool {
	for _, h := range plan.QueryHints {
		if h.UseHint && h.TSQL == lit {
			return true
		}
	}
	return false
}

// foldLetter reports whether lit is one letter of internal/collate's
// table, as REPLACE(…, 'é', 'e') writes them, or one of its two strings,
// as translate(…, 'à…', 'a…') writes them.
func foldLetter(lit string) bool {
	from, to := sql.TranslateLists()
	return utf8.RuneCountInString(lit) == 1 && strings.Contains(collate.From+collate.To, lit) || lit == from || lit == to
}

// checkNoLiterals fails when the SQL text holds a string literal the
// emitter did not write itself, or a statement separator, outside quoted
// identifiers (names in untyped mode come from the query as written and
// are quoted, so they may hold anything).
func checkNoLiterals(t *testing.T, sqlText string) {
	t.Helper()
	for i := 0; i < len(sqlText); i++ {
		switch c := sqlText[i]; c {
		case '"', '`', '[':
			closing := c
			if c == '[' {
				closing = ']'
			}
			i = skipQuoted(sqlText, i+1, closing)
		case '\'':
			end := skipQuoted(sqlText, i+1, '\'')
			lit := strings.ReplaceAll(sqlText[i+1:min(end, len(sqlText))], "''", "'")
			if !emitterLiterals.MatchString(lit) && !foldLetter(lit) && !useHint(lit) {
				t.Fatalf("string literal %q in the SQL text:\n%s", lit, sqlText)
			}
			i = end
		case ';':
			t.Fatalf("statement separator in the SQL text:\n%s", sqlText)
		}
	}
}

// skipQuoted returns the index of the quote closing a quoted run that
// starts at i, where a doubled quote stands for itself.
func skipQuoted(s string, i int, quote byte) int {
	for ; i < len(s); i++ {
		if s[i] == quote {
			if i+1 < len(s) && s[i+1] == quote {
				i++
				continue
			}
			return i
		}
	}
	return len(s)
}
