package vecompile_test

// An independent check of the SQL Server output, which no engine here runs:
// every SQL Server golden, every pipeline case and the SQL 4 CDS corpus
// (typed and untyped) must parse under grammars-v4's TSqlParser (prebuilt
// by the npm package antlr4ts-sql; nobody here wrote it) and keep SQL
// Server's limits (parameters, CASE depth, no repeated ORDER BY
// expression, no LIMIT / NULLS FIRST / TRUE). testdata/tsql-check/check.js
// does both; .ci/run installs it with npm ci.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/plan"
)

type tsqlStatement struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// goldenTSQL reads the SQL Server goldens of emit/sql: the statement is the
// text before its argument lines; error goldens have none.
func goldenTSQL(t *testing.T) []tsqlStatement {
	files, _ := filepath.Glob(filepath.Join("emit", "sql", "testdata", "sqlserver", "*.golden"))
	if len(files) == 0 {
		t.Fatal("no SQL Server goldens")
	}
	var out []tsqlStatement
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.HasPrefix(s, "error:") {
			continue
		}
		if i := strings.Index(s, "\n-- "); i >= 0 {
			s = s[:i]
		}
		out = append(out, tsqlStatement{f, strings.TrimSpace(s)})
	}
	return out
}

// pipelineTSQL reads the SQL Server statements the pipeline cases record
// (TestPipeline keeps them equal to the emitter's).
func pipelineTSQL(t *testing.T) []tsqlStatement {
	files, _ := filepath.Glob(filepath.Join("testdata", "pipeline", "*.ddt"))
	var out []tsqlStatement
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if l == "-- sqlserver" && i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "error:") {
				out = append(out, tsqlStatement{f + ":" + strconv.Itoa(i+2), lines[i+1]})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no SQL Server statements in the pipeline cases")
	}
	return out
}

// corpusTSQL compiles the SQL 4 CDS corpus for SQL Server, with its schema
// and untyped (documents that do not compile are the corpus tests'
// business).
func corpusTSQL(t *testing.T) []tsqlStatement {
	dir, cases := sql4cdsCorpus(t)
	cats := sql4cdsCatalogs(t, dir)
	var out []tsqlStatement
	for _, c := range cases {
		for _, mode := range []string{"typed", "untyped"} {
			var cat plan.Catalog = plan.Untyped{}
			if mode == "typed" {
				cat = cats[c.schema()]
			}
			p, err := sql4cdsCompile(c, cat)
			if err != nil {
				continue
			}
			for _, emit := range []func(*plan.Plan, sqlemit.Dialect) (*sqlemit.Statement, error){sqlemit.Emit, sqlemit.EmitCount} {
				st, err := emit(p, sqlemit.SQLServer)
				if err != nil {
					continue
				}
				out = append(out, tsqlStatement{c.id + " " + mode, st.SQL})
			}
		}
	}
	return out
}

// runTSQLCheck runs check.js over stmts: its report, and whether every
// statement passed.
func runTSQLCheck(t *testing.T, stmts []tsqlStatement) (string, bool) {
	t.Helper()
	dir := filepath.Join("testdata", "tsql-check")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "antlr4ts-sql"))
	}
	if err != nil {
		msg := "node or the checker's packages are absent: run 'npm ci' in testdata/tsql-check (CI does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in, err := json.Marshal(stmts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.js")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the T-SQL check: %v\n%s", err, out.String())
	}
	return out.String(), err == nil
}

func TestTSQLIndependentCheck(t *testing.T) {
	stmts := append(goldenTSQL(t), pipelineTSQL(t)...)
	stmts = append(stmts, corpusTSQL(t)...)
	out, ok := runTSQLCheck(t, stmts)
	t.Logf("%d statements checked", len(stmts))
	if !ok {
		t.Fatalf("the T-SQL check failed:\n%s", out)
	}
}

// TestTSQLCheckCatches: the checker refuses what SQL Server refuses.
func TestTSQLCheckCatches(t *testing.T) {
	params := make([]string, 2099)
	for i := range params {
		params[i] = "@p" + strconv.Itoa(i+1)
	}
	deep := "1"
	for i := 0; i < 11; i++ {
		deep = "CASE WHEN [a].[x] = " + strconv.Itoa(i) + " THEN " + deep + " ELSE 0 END"
	}
	bad := []tsqlStatement{
		{"syntax", "SELECT [a].[x] FROM [t] AS [a] WHERE"},
		{"limit", "SELECT [a].[x] FROM [t] AS [a] LIMIT @p1"},
		{"nulls", "SELECT [a].[x] FROM [t] AS [a] ORDER BY [a].[x] NULLS FIRST"},
		{"true", "SELECT [a].[x] FROM [t] AS [a] WHERE TRUE"},
		{"order", "SELECT [a].[x] FROM [t] AS [a] ORDER BY [a].[x], [a].[y], [a].[x] DESC"},
		{"case", "SELECT " + deep + " AS [c0] FROM [t] AS [a]"},
		{"params", "SELECT [a].[x] FROM [t] AS [a] WHERE [a].[x] IN (" + strings.Join(params, ", ") + ")"},
	}
	good := tsqlStatement{"good", "SELECT TOP (@p1) [a].[x] COLLATE Latin1_General_CI_AI AS [c0] FROM [t] AS [a] WHERE [a].[y] IN (SELECT vl FROM OPENJSON(@p2) WITH (vl BIGINT '$')) ORDER BY [a].[x] COLLATE Latin1_General_CI_AI, [a].[y]"}
	out, ok := runTSQLCheck(t, append(bad, good))
	if ok {
		t.Fatalf("the check passed:\n%s", out)
	}
	for _, b := range bad {
		if !strings.Contains(out, b.Name+": ") {
			t.Errorf("%s not refused:\n%s", b.Name, out)
		}
	}
	if strings.Contains(out, "good: ") || !strings.Contains(out, "1 passed, 7 failed") {
		t.Errorf("good statement refused, or wrong count:\n%s", out)
	}
}
