package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// testPrefix keeps this package's tables apart from other packages' tests,
// and from another checkout's run of this package, in the shared PostgreSQL
// and MariaDB databases.
var testPrefix = fmt.Sprintf("eng%d_", os.Getpid())

// engineCase is one engine with the sample loaded under testPrefix.
type engineCase struct {
	name string
	dsn  func(testing.TB) string
}

var engineCases = []engineCase{
	{"sqlite", func(testing.TB) string { return "sqlite::memory:" }},
	{"postgres", testkit.PostgresDSN},
	{"mysql", testkit.MySQLDSN},
}

// forEachEngine runs fn in a subtest per engine, with the sample loaded.
func forEachEngine(t *testing.T, fn func(t *testing.T, db *DB, cat plan.Catalog)) {
	for _, ec := range engineCases {
		t.Run(ec.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, ec.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			cat, err := LoadFixture(ctx, db, testPrefix)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, db, cat)
		})
	}
}

// outputs makes plan output columns for table columns, named as root
// columns are, or "alias.column" with an alias.
func outputs(t testing.TB, cat plan.Catalog, table, alias string, cols ...string) []*plan.OutputColumn {
	t.Helper()
	tb, ok := cat.Table(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	if len(cols) == 0 {
		for _, c := range tb.Columns {
			cols = append(cols, c.LogicalName)
		}
	}
	var out []*plan.OutputColumn
	for _, c := range cols {
		col, ok := tb.Column(c)
		if !ok {
			t.Fatalf("no column %s.%s", table, c)
		}
		name := col.LogicalName
		if alias != "" {
			name = alias + "." + name
		}
		out = append(out, &plan.OutputColumn{Name: name, Column: col})
	}
	return out
}

func physical(t testing.TB, cat plan.Catalog, table string) string {
	tb, ok := cat.Table(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	return tb.PhysicalName
}

func selectList(ocs []*plan.OutputColumn, alias string) string {
	var cols []string
	for _, oc := range ocs {
		c := oc.Column.PhysicalName
		if alias != "" {
			c = alias + "." + c
		}
		cols = append(cols, c)
	}
	return strings.Join(cols, ", ")
}

var placeholderRE = regexp.MustCompile(`\{p(\d+)\}`)

// crossQuery is a hand-written statement: the SQL is the same on every
// engine (unquoted lower-case names), but for {pN} placeholders.
type crossQuery struct {
	name  string
	plan  *plan.Plan
	st    func(t testing.TB, cat plan.Catalog) *sqlemit.Statement
	count func(t testing.TB, cat plan.Catalog) *sqlemit.Statement // the total-record-count statement
}

func crossQueries() []crossQuery {
	all := func(table string) func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
		return func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			ocs := outputs(t, cat, table, "")
			pk := ocs[0].Column.PhysicalName
			return &sqlemit.Statement{
				SQL:     fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", selectList(ocs, ""), physical(t, cat, table), pk),
				Columns: ocs,
			}
		}
	}
	return []crossQuery{
		{name: "every account column", st: all("account")},
		{name: "every contact column", st: all("contact")},
		{name: "every opportunity column", st: all("opportunity")},
		{name: "every systemuser column", st: all("systemuser")},
		{name: "aggregates", st: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			opp, _ := cat.Table("opportunity")
			col := func(n string) *plan.Column { c, _ := opp.Column(n); return c }
			return &sqlemit.Statement{
				SQL: fmt.Sprintf(`SELECT statecode, COUNT(*), SUM(estimatedvalue), AVG(estimatedvalue), MIN(createdon), MAX(estimatedclosedate),
  AVG(closeprobability), COUNT(closeprobability), SUM(closeprobability)
FROM %s GROUP BY statecode ORDER BY statecode`, opp.PhysicalName),
				Columns: []*plan.OutputColumn{
					{Name: "state", Column: col("statecode"), GroupBy: true},
					{Name: "n", Aggregate: ast.Count},
					{Name: "total", Aggregate: ast.Sum, Column: col("estimatedvalue")},
					{Name: "average", Aggregate: ast.Avg, Column: col("estimatedvalue")},
					{Name: "first", Aggregate: ast.Min, Column: col("createdon")},
					{Name: "lastclose", Aggregate: ast.Max, Column: col("estimatedclosedate")},
					{Name: "avgprob", Aggregate: ast.Avg, Column: col("closeprobability")},
					{Name: "nprob", Aggregate: ast.CountColumn, Column: col("closeprobability")},
					{Name: "sumprob", Aggregate: ast.Sum, Column: col("closeprobability")},
				},
			}
		}},
		{name: "join with a folded parameter", st: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			ocs := append(outputs(t, cat, "account", "", "name", "address1_city"), outputs(t, cat, "contact", "c", "fullname", "emailaddress1", "birthdate")...)
			return &sqlemit.Statement{
				SQL: fmt.Sprintf("SELECT a.name, a.address1_city, c.fullname, c.emailaddress1, c.birthdate FROM %s a JOIN %s c ON c.parentcustomerid = a.accountid WHERE LOWER(a.address1_city) = LOWER({p1}) ORDER BY c.contactid",
					physical(t, cat, "account"), physical(t, cat, "contact")),
				Args:    []any{"SEATTLE"},
				Columns: ocs,
			}
		}},
		{name: "unicode lower", st: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			return &sqlemit.Statement{
				SQL:     fmt.Sprintf("SELECT accountid, name FROM %s WHERE LOWER(name) LIKE {p1} OR LOWER(address1_city) = {p2} ORDER BY accountid", physical(t, cat, "account")),
				Args:    []any{"%ünïcode%", "ølstykke"},
				Columns: outputs(t, cat, "account", "", "accountid", "name"),
			}
		}},
		{name: "typed parameters", st: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			return &sqlemit.Statement{
				SQL: fmt.Sprintf("SELECT opportunityid, estimatedvalue, estimatedclosedate FROM %s WHERE estimatedvalue >= {p1} AND closeprobability > {p2} AND customerid IN ({p3}, {p4}) ORDER BY opportunityid",
					physical(t, cat, "opportunity")),
				Args:    []any{"7500.5", int64(10), "acc00000-0000-4000-8000-00000000000c", "acc00000-0000-4000-8000-000000000026"},
				Columns: outputs(t, cat, "opportunity", "", "opportunityid", "estimatedvalue", "estimatedclosedate"),
			}
		}},
		{name: "paging and total count", plan: &plan.Plan{PageSize: 3, PageNumber: 1, ReturnTotalRecordCount: true}, st: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			return &sqlemit.Statement{
				SQL:     fmt.Sprintf("SELECT accountid, name FROM %s WHERE statecode = 0 ORDER BY name, accountid LIMIT 4", physical(t, cat, "account")),
				Columns: outputs(t, cat, "account", "", "accountid", "name"),
			}
		}, count: func(t testing.TB, cat plan.Catalog) *sqlemit.Statement {
			return &sqlemit.Statement{SQL: fmt.Sprintf("SELECT COUNT(*) FROM (SELECT accountid FROM %s WHERE statecode = 0 LIMIT 5001) t", physical(t, cat, "account"))}
		}},
	}
}

func (db *DB) bind(st *sqlemit.Statement) *sqlemit.Statement {
	out := *st
	out.SQL = placeholderRE.ReplaceAllStringFunc(st.SQL, func(m string) string {
		var n int
		fmt.Sscanf(m, "{p%d}", &n)
		return db.placeholder(n)
	})
	return &out
}

// TestCrossEngine runs the same statements on every engine: each must
// return exactly the golden JSON, so SQLite, PostgreSQL and MariaDB agree
// value for value.
func TestCrossEngine(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, cat plan.Catalog) {
		ctx := context.Background()
		var out bytes.Buffer
		for _, q := range crossQueries() {
			r, err := db.Run(ctx, q.plan, db.bind(q.st(t, cat)))
			if err != nil {
				t.Fatalf("%s: %v", q.name, err)
			}
			if q.count != nil {
				n, err := db.Count(ctx, db.bind(q.count(t, cat)))
				if err != nil {
					t.Fatalf("%s: count: %v", q.name, err)
				}
				r.SetTotal(n)
			}
			fmt.Fprintf(&out, "# %s\n", q.name)
			if err := Write(&out, r, "json"); err != nil {
				t.Fatal(err)
			}
		}
		if db.Dialect == SQLite || !*testkit.Update {
			golden(t, "crossengine.json", out.Bytes())
		}
	})
}

func TestQueryErrors(t *testing.T) {
	ctx := context.Background()
	db, cat, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Query(ctx, &sqlemit.Statement{SQL: "SELECT nope FROM account"}); err == nil || !strings.Contains(err.Error(), "VE5002") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad column: %v", err)
	}
	st := &sqlemit.Statement{SQL: "SELECT accountid, name FROM account", Columns: outputs(t, cat, "account", "", "accountid")}
	if _, err := db.Query(ctx, st); err == nil || !strings.Contains(err.Error(), "VE5002") {
		t.Errorf("column count mismatch: %v", err)
	}
	// Without Columns: untyped values named by the driver.
	r, err := db.Query(ctx, &sqlemit.Statement{SQL: "SELECT name AS n, donotemail FROM account WHERE accountid = ?", Args: []any{SampleParentAccountID}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Columns, ",") != "n,donotemail" || len(r.Rows) != 1 {
		t.Fatalf("untyped result: %+v", r)
	}
	if v, _ := r.Rows[0].Get("donotemail"); v != int64(1) {
		t.Errorf("untyped SQLite boolean = %#v, want int64(1)", v)
	}
}

func TestShape(t *testing.T) {
	mk := func(n int) *Result {
		r := &Result{Columns: []string{"x"}}
		for i := 0; i < n; i++ {
			r.Rows = append(r.Rows, Row{{Name: "x", Value: int64(i)}})
		}
		return r
	}
	r := mk(6)
	Shape(&plan.Plan{PageSize: 5}, r)
	if len(r.Rows) != 5 || !r.MoreRecords {
		t.Errorf("page of 5 from 6 rows: %d rows, more=%v", len(r.Rows), r.MoreRecords)
	}
	r = mk(5)
	Shape(&plan.Plan{PageSize: 5, ReturnTotalRecordCount: true}, r)
	if len(r.Rows) != 5 || r.MoreRecords || !r.CountRequested {
		t.Errorf("exact page: %d rows, more=%v, count=%v", len(r.Rows), r.MoreRecords, r.CountRequested)
	}
	r = mk(7)
	Shape(&plan.Plan{}, r)
	if len(r.Rows) != 7 || r.MoreRecords {
		t.Errorf("no paging: %d rows, more=%v", len(r.Rows), r.MoreRecords)
	}
	r.SetTotal(6000)
	if r.TotalRecordCount != plan.TotalRecordCountLimit || !r.TotalRecordCountLimitExceeded {
		t.Errorf("SetTotal(6000): %d %v", r.TotalRecordCount, r.TotalRecordCountLimitExceeded)
	}
}
