package sql

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// windowOnly is d without a per-row subquery: the statement numbers the
// rows of every partition with the window.
func windowOnly(d Dialect) Dialect {
	c := d.Caps()
	c.Flags &^= Lateral | CrossApply
	return &DialectSpec{DialectName: d.Name(), Capabilities: c}
}

// TestExecutePartitionSeek runs per-parent limits both ways on every
// engine: the dialect's own form (a LATERAL seek on PostgreSQL, the window
// elsewhere) and the window, and compares the rows, ordered; one case's
// rows are also spelled out, so a form returning nothing fails.
func TestExecutePartitionSeek(t *testing.T) {
	type pcase struct {
		name      string
		skip, top int64
		secured   bool
		orders    func(c *plan.DataSource) []*plan.SortKey
		want      [][]string // when set, the rows expected
	}
	byName := func(c *plan.DataSource) []*plan.SortKey {
		return []*plan.SortKey{{Column: ref(c, "fullname")}, {Column: ref(c, "contactid")}}
	}
	byRankDesc := func(c *plan.DataSource) []*plan.SortKey {
		return []*plan.SortKey{{Column: ref(c, "rank"), Desc: true}, {Column: ref(c, "contactid")}}
	}
	cases := []pcase{
		{name: "top1_by_name", top: 1, orders: byName, want: [][]string{
			{id(101), "Ann Lee", id(1)}, {id(105), "Ed Null", id(2)}, {id(103), "Cy Smith", id(3)}}},
		{name: "skip1_top1_by_name", skip: 1, top: 1, orders: byName, want: [][]string{{id(102), "Bob Ray", id(1)}}},
		{name: "top5_rank_desc", top: 5, orders: byRankDesc},
		{name: "skip1_top2_rank_desc", skip: 1, top: 2, orders: byRankDesc},
		// The security filter (rank < 5) removes A2's only contact, inside
		// each parent's subquery.
		{name: "secured_top2", top: 2, secured: true, orders: byName, want: [][]string{
			{id(101), "Ann Lee", id(1)}, {id(102), "Bob Ray", id(1)}, {id(103), "Cy Smith", id(3)}}},
		{name: "secured_skip1_rank_desc", skip: 1, top: 1, secured: true, orders: byRankDesc, want: [][]string{{id(101), "Ann Lee", id(1)}}},
	}
	engines(t, func(t *testing.T, tdb *testDB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				con := root("contact", tdb.f.contact)
				con.Filter = in(ref(con, "parentcustomerid"), false, guid(id(1)), guid(id(2)), guid(id(3)), guid(id(5)))
				p := &plan.Plan{Root: con, Columns: outs(con, "contactid", "fullname", "parentcustomerid"), Orders: c.orders(con)}
				if c.secured {
					con.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(con, "rank"), num(5)), Policies: []string{"role:reader"}}
					p.Security = plan.SecurityOn
				}
				wp, err := plan.LimitPerPartition(p, "parentcustomerid", c.skip, c.top)
				if err != nil {
					t.Fatal(err)
				}
				if err := plan.Verify(wp); err != nil {
					t.Fatal(err)
				}
				own, err := Emit(wp, tdb.d)
				if err != nil {
					t.Fatal(err)
				}
				if seeks := tdb.d.Caps().Has(Lateral); seeks != strings.Contains(own.SQL, "LATERAL") {
					t.Errorf("%s: LATERAL seek %v, want %v:\n%s", tdb.d.Name(), !seeks, seeks, own.SQL)
				}
				win, err := Emit(wp, windowOnly(tdb.d))
				if err != nil {
					t.Fatal(err)
				}
				got, err := tdb.query(own)
				if err != nil {
					t.Fatalf("%v\n%s", err, own)
				}
				want, err := tdb.query(win)
				if err != nil {
					t.Fatalf("%v\n%s", err, win)
				}
				if len(want) == 0 {
					t.Fatalf("the window returns no rows: the comparison proves nothing\n%s", win)
				}
				if !sameRows(want, got, true) {
					t.Errorf("rows:\n got %q\nwant %q (the window)\n%s", got, want, own)
				}
				if c.want != nil && !sameRows(c.want, got, true) {
					t.Errorf("rows:\n got %q\nwant %q\n%s", got, c.want, own)
				}
			})
		}
	})
}
