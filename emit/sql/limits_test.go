package sql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// limitSource is a stand-in query text: spans in the limit tests are
// offsets into it, so errors print a line:col.
var limitSource = diag.NewSource("q.xml", []byte(strings.Repeat("x", 1<<20)))

// at is the span of construct i (10 bytes each).
func at(i int) diag.Span { return diag.Span{Start: diag.Pos(10 * i), End: diag.Pos(10*i + 5)} }

// placeholders is d with every list bound value by value, so a test can
// reach the parameter limit with one list.
func placeholders(d Dialect) Dialect {
	c := d.Caps()
	c.List = ListPlaceholders
	return &DialectSpec{d.Name(), c}
}

// wide is a table with n integer columns k0 … k<n-1> (each a choice with
// one option, for label keys) and a key.
func wide(n int) *plan.Table {
	cols := []*plan.Column{{LogicalName: "id", Type: plan.TUniqueidentifier}}
	for i := 0; i < n; i++ {
		cols = append(cols, &plan.Column{LogicalName: fmt.Sprintf("k%d", i), Type: plan.TPicklist, Options: []plan.Option{{Value: 1, Label: "one"}}})
	}
	return plan.NewTable(plan.Table{LogicalName: "wide", PhysicalName: "wide", PrimaryKey: "id", Columns: cols})
}

func limitPlan(p *plan.Plan) *plan.Plan {
	p.Source, p.Span = limitSource, diag.Span{Start: 1, End: 2}
	return p
}

// wantLimit checks that err is one EngineLimit error at span sp.
func wantLimit(t *testing.T, err error, sp diag.Span, msg string) {
	t.Helper()
	var list diag.ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Code != diag.EngineLimit {
		t.Fatalf("got %v, want one %s", err, diag.EngineLimit)
	}
	if list[0].Span != sp || !strings.Contains(list[0].Msg, msg) {
		t.Fatalf("got %v at %v, want %q at %v", list[0], list[0].Span, msg, sp)
	}
}

// paramsPlan: one IN list of n integers (span at(1)) after m small lists.
func paramsPlan(f *fixture, m, n int) *plan.Plan {
	a := root("account", f.account)
	var terms []plan.Expr
	for i := 0; i < m; i++ {
		terms = append(terms, &plan.InList{Col: ref(a, "employees"), Values: []*plan.Value{num(int64(i))}, Span: at(100 + i)})
	}
	vals := make([]*plan.Value, n)
	for i := range vals {
		vals[i] = num(int64(i))
	}
	terms = append(terms, &plan.InList{Col: ref(a, "employees"), Values: vals, Span: at(1)})
	a.Filter = or(terms...)
	return limitPlan(&plan.Plan{Root: a, Columns: outs(a, "accountid")})
}

func TestLimitParams(t *testing.T) {
	f := newFixture("")
	for _, d := range Dialects() {
		t.Run(d.Name(), func(t *testing.T) {
			pd := placeholders(d)
			max := d.Caps().Limits.Params
			if _, err := Emit(paramsPlan(f, 0, max), pd); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			_, err := Emit(paramsPlan(f, 0, max+1), pd)
			wantLimit(t, err, at(1), fmt.Sprintf("takes at most %d", max))
			// The small lists before it fit; the long one passes the limit.
			_, err = Emit(paramsPlan(f, 3, max-2), pd)
			wantLimit(t, err, at(1), "bind parameters")
			// Bound as one parameter where the dialect can, the list fits.
			if d.Caps().List != ListPlaceholders {
				if _, err := Emit(paramsPlan(f, 0, 2*max), d); err != nil {
					t.Fatalf("one-parameter list: %v", err)
				}
			}
		})
	}
}

func TestLimitColumns(t *testing.T) {
	f := newFixture("")
	build := func(n int) *plan.Plan {
		a := root("account", f.account)
		cols := make([]*plan.OutputColumn, n)
		for i := range cols {
			cols[i] = &plan.OutputColumn{Name: fmt.Sprint(i), Source: a, Column: column(f.account, "name"), Span: at(i)}
		}
		return limitPlan(&plan.Plan{Root: a, Columns: cols})
	}
	for _, d := range Dialects() {
		t.Run(d.Name(), func(t *testing.T) {
			max := d.Caps().Limits.Columns
			if _, err := Emit(build(max), d); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			_, err := Emit(build(max+1), d)
			wantLimit(t, err, at(max), "columns")
		})
	}
}

// TestLimitOrderTerms: a label key is one term (its rank: values without a
// label tie, as Dataverse's do); SQLite takes 2,000 ORDER BY terms,
// PostgreSQL 1,664 select-list entries and sort expressions together.
func TestLimitOrderTerms(t *testing.T) {
	w := wide(2001)
	build := func(keys int, label bool) *plan.Plan {
		a := root("wide", w)
		p := limitPlan(&plan.Plan{Root: a, Columns: outs(a, "id")})
		for i := 0; i < keys; i++ {
			k := &plan.SortKey{Column: ref(a, fmt.Sprintf("k%d", i)), Span: at(i)}
			if label {
				k.By = plan.SortLabel
			}
			p.Orders = append(p.Orders, k)
		}
		return p
	}
	if _, err := Emit(build(2000, true), SQLite); err != nil {
		t.Fatalf("2,000 terms: %v", err)
	}
	_, err := Emit(build(2001, true), SQLite)
	wantLimit(t, err, at(2000), "sorts by 2001 expressions; SQLite takes at most 2000")
	if _, err := Emit(build(1663, false), Postgres); err != nil {
		t.Fatalf("1 column and 1,663 sort terms: %v", err)
	}
	_, err = Emit(build(1664, false), Postgres)
	wantLimit(t, err, at(1663), "takes at most 1664 of both")
	// A sort by an output column adds no entry.
	agg := func(n int) *plan.Plan {
		a := root("wide", w)
		p := limitPlan(&plan.Plan{Root: a, Aggregate: true})
		for i := 0; i < n; i++ {
			c := &plan.OutputColumn{Name: fmt.Sprint(i), Source: a, Column: column(w, fmt.Sprintf("k%d", i)), Aggregate: ast.Max}
			p.Columns = append(p.Columns, c)
			p.Orders = append(p.Orders, &plan.SortKey{Output: c, Span: at(i)})
		}
		return p
	}
	if _, err := Emit(agg(1664), Postgres); err != nil {
		t.Fatalf("1,664 columns sorted by: %v", err)
	}
	_, err = Emit(build(1664, true), Postgres)
	wantLimit(t, err, at(1663), "takes at most 1664 of both")
	// Repeated terms are dropped before they are counted.
	p := build(2000, true)
	p.Orders = append(p.Orders, p.Orders...)
	if _, err := Emit(p, SQLite); err != nil {
		t.Fatalf("repeated terms: %v", err)
	}
}

func TestLimitGroupTerms(t *testing.T) {
	w := wide(10)
	d := &DialectSpec{"narrow", SQLite.Caps()}
	d.Capabilities.Limits.GroupTerms = 3
	a := root("wide", w)
	var cols []*plan.OutputColumn
	for i := 0; i < 4; i++ {
		cols = append(cols, &plan.OutputColumn{Name: fmt.Sprint(i), Source: a, Column: column(w, fmt.Sprintf("k%d", i)), GroupBy: true, Span: at(i)})
	}
	cols = append(cols, &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count})
	_, err := Emit(limitPlan(&plan.Plan{Root: a, Aggregate: true, Columns: cols}), d)
	wantLimit(t, err, at(3), "groups by 4 expressions")
	cols = append(cols[:3], cols[4])
	if _, err := Emit(limitPlan(&plan.Plan{Root: a, Aggregate: true, Columns: cols}), d); err != nil {
		t.Fatal(err)
	}
}

func TestLimitIdentifiers(t *testing.T) {
	f := newFixture("")
	build := func(alias string) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinInner, alias, f.contact, "parentcustomerid", "accountid")
		c.Span = at(7)
		return limitPlan(&plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"))})
	}
	for _, c := range []struct {
		d       Dialect
		ok, bad string
	}{
		{Postgres, strings.Repeat("é", 31) + "x", strings.Repeat("é", 32)}, // 63 and 64 bytes
		{SQLServer, strings.Repeat("é", 128), strings.Repeat("é", 129)},    // characters
		{MySQL, strings.Repeat("a", 256), strings.Repeat("a", 257)},
	} {
		if _, err := Emit(build(c.ok), c.d); err != nil {
			t.Fatalf("%s: %v", c.d.Name(), err)
		}
		_, err := Emit(build(c.bad), c.d)
		wantLimit(t, err, at(7), "is longer than")
	}
	if _, err := Emit(build(strings.Repeat("a", 1000)), SQLite); err != nil {
		t.Fatal(err)
	}
}

// andChain is n comparisons ANDed, comparison i at(i).
func andChain(f *fixture, n int) *plan.Plan {
	a := root("account", f.account)
	terms := make([]plan.Expr, n)
	for i := range terms {
		terms[i] = &plan.Compare{Op: plan.Eq, Left: ref(a, "employees"), Right: num(int64(i)), Span: at(i)}
	}
	a.Filter = and(terms...)
	return limitPlan(&plan.Plan{Root: a, Columns: outs(a, "accountid")})
}

func TestLimitExprDepth(t *testing.T) {
	f := newFixture("")
	if _, err := Emit(andChain(f, 980), SQLite); err != nil {
		t.Fatal(err)
	}
	_, err := Emit(andChain(f, 1000), SQLite)
	wantLimit(t, err, at(0), "nests about")
	for _, d := range []Dialect{Postgres, MySQL, SQLServer} {
		if _, err := Emit(andChain(f, 2000), d); err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
	}
}

func TestLimitCaseDepth(t *testing.T) {
	f := newFixture("")
	build := func(n int) *plan.Plan {
		a := root("account", f.account)
		var x plan.Expr = &plan.Compare{Op: plan.Eq, Left: ref(a, "employees"), Right: num(1), Span: at(3)}
		for i := 0; i < n; i++ {
			x = notTrue(x)
		}
		a.Filter = x
		return limitPlan(&plan.Plan{Root: a, Columns: outs(a, "accountid")})
	}
	if _, err := Emit(build(10), SQLServer); err != nil {
		t.Fatal(err)
	}
	_, err := Emit(build(11), SQLServer)
	wantLimit(t, err, diag.Span{Start: 1, End: 2}, "nests CASE 11 deep; SQL Server takes at most 10")
	if _, err := Emit(build(40), Postgres); err != nil {
		t.Fatal(err)
	}
}

func TestLimitSelectDepth(t *testing.T) {
	f := newFixture("")
	build := func(n int) *plan.Plan {
		a := root("account", f.account)
		parent := a
		var outer plan.Expr
		var hold *plan.DataSource
		for i := 0; i < n; i++ {
			s := &plan.DataSource{Name: fmt.Sprintf("s%d", i), Table: f.account, Join: plan.JoinSubquery, Span: at(i),
				Parent: &plan.ColumnRef{Source: parent, Column: column(f.account, "accountid")}, Child: column(f.account, "parentaccountid")}
			x := &plan.Exists{Source: s}
			if hold == nil {
				outer = x
			} else {
				hold.Filter = x
			}
			hold, parent = s, s
		}
		a.Filter = outer
		return limitPlan(&plan.Plan{Root: a, Columns: outs(a, "accountid")})
	}
	for _, d := range []Dialect{SQLServer, MySQL} {
		max := d.Caps().Limits.SelectDepth
		if _, err := Emit(build(max), d); err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		_, err := Emit(build(max+1), d)
		wantLimit(t, err, at(max), fmt.Sprintf("nests subqueries %d deep", max+1))
	}
}

// TestNestingScan: quoted identifiers and literals do not count.
func TestNestingScan(t *testing.T) {
	var e emitter
	if err := e.init(&plan.Plan{Root: &plan.DataSource{}}, SQLServer); err != nil {
		t.Fatal(err)
	}
	e.raw("SELECT [CASE (SELECT] FROM (SELECT CASE WHEN 'CASE (SELECT' = 1 THEN CASE WHEN x THEN 1 END END FROM t) AS [END]")
	cases, _, selects, _ := e.nesting()
	if cases != 2 || selects != 1 {
		t.Fatalf("cases %d, selects %d; want 2, 1", cases, selects)
	}
}

// TestLimitsOnEngines: the statements at each limit run on the engines, so
// the limits are the engines' (the next one past each is refused above).
func TestLimitsOnEngines(t *testing.T) {
	engines(t, func(t *testing.T, tdb *testDB) {
		l := tdb.d.Caps().Limits
		run := func(name string, p *plan.Plan, d Dialect) {
			t.Helper()
			st, err := Emit(p, d)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := tdb.query(st); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		run("parameters", paramsPlan(tdb.f, 0, l.Params), placeholders(tdb.d))
		a := root("account", tdb.f.account)
		cols := make([]*plan.OutputColumn, l.Columns)
		for i := range cols {
			cols[i] = &plan.OutputColumn{Name: fmt.Sprint(i), Source: a, Column: column(tdb.f.account, "name")}
		}
		run("columns", &plan.Plan{Root: a, Columns: cols}, tdb.d)
		// The longest AND chain the depth check lets through.
		lo, hi := 1, 2000 // Emit takes lo ANDs; on SQLite it refuses hi
		for lo < hi-1 {
			mid := (lo + hi) / 2
			if _, err := Emit(andChain(tdb.f, mid), tdb.d); err == nil {
				lo = mid
			} else {
				hi = mid
			}
		}
		n := lo
		run(fmt.Sprintf("%d ANDs", n), andChain(tdb.f, n), tdb.d)
	})
}
