package sql

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestExecuteRootFirst runs RootFirst plans (the root ordered and limited
// in a derived table before its outer to-one joins) and the same plans
// unpushed on every engine, and compares the rows in order: tops, every
// page of a paged read, a keyset continuation, folded string keys, a
// lookup's name key, NULLs sorted both ways, security on the root and on
// the joins, a semi-join on the root.
func TestExecuteRootFirst(t *testing.T) {
	type rcase struct {
		name  string
		build func(f *fixture) *plan.Plan
		pages int64 // page through PageSize pages, one more than there are
		after int   // a keyset continuation after this row of the unpushed rows (0: none)
	}
	// contact → its account (N:1) → that account's parent (N:1), and the
	// parent's primary contact (N:1).
	chain := func(f *fixture) (*plan.DataSource, *plan.DataSource, *plan.DataSource) {
		c := root("contact", f.contact)
		a := link(c, plan.JoinOuter, "a", f.account, "accountid", "parentcustomerid")
		pa := link(a, plan.JoinOuter, "pa", f.account, "accountid", "parentaccountid")
		link(pa, plan.JoinOuter, "pc", f.contact, "contactid", "primarycontactid")
		return c, a, pa
	}
	cols := func(c, a, pa *plan.DataSource) []*plan.OutputColumn {
		return append(outs(c, "contactid", "fullname", "rank"), out(a, "name"), out(a, "employees"), out(pa, "name"))
	}
	cases := []rcase{
		{name: "top_by_folded_name", build: func(f *fixture) *plan.Plan {
			c, a, pa := chain(f)
			return &plan.Plan{Root: c, Columns: cols(c, a, pa), Top: 3,
				Orders: []*plan.SortKey{{Column: ref(c, "fullname")}, {Column: ref(c, "contactid")}}}
		}},
		{name: "pages_by_lastname_desc", pages: 2, build: func(f *fixture) *plan.Plan {
			c, a, pa := chain(f)
			return &plan.Plan{Root: c, Columns: cols(c, a, pa),
				Orders: []*plan.SortKey{{Column: ref(c, "lastname"), Desc: true}, {Column: ref(c, "contactid")}}}
		}},
		{name: "accounts_by_employees_pages", pages: 3, build: func(f *fixture) *plan.Plan {
			acc := root("account", f.account)
			pc := link(acc, plan.JoinOuter, "pc", f.contact, "contactid", "primarycontactid")
			par := link(acc, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
			return &plan.Plan{Root: acc, Columns: append(outs(acc, "accountid", "name", "employees"), out(pc, "fullname"), out(par, "name")),
				Orders: []*plan.SortKey{{Column: ref(acc, "employees")}, {Column: ref(acc, "accountid")}}}
		}},
		{name: "name_key_top", build: func(f *fixture) *plan.Plan {
			acc := root("account", f.account)
			par := link(acc, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
			return &plan.Plan{Root: acc, Columns: append(outs(acc, "accountid", "name"), out(par, "name")), Top: 6,
				Orders: []*plan.SortKey{{Column: ref(acc, "primarycontactid"), By: plan.SortName, Targets: []*plan.Table{f.contact}}, {Column: ref(acc, "accountid")}}}
		}},
		{name: "keyset_after", after: 2, build: func(f *fixture) *plan.Plan {
			acc := root("account", f.account)
			par := link(acc, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
			return &plan.Plan{Root: acc, Columns: append(outs(acc, "city", "accountid", "name"), out(par, "name")), PageSize: 3, PageNumber: 1,
				Orders: []*plan.SortKey{{Column: ref(acc, "city")}, {Column: ref(acc, "accountid")}}}
		}},
		{name: "secured_with_semijoin", build: func(f *fixture) *plan.Plan {
			c, a, pa := chain(f)
			c.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(c, "rank"), num(5)), Policies: []string{"role:reader"}}
			a.Security = &plan.SecurityFilter{Expr: cmp(plan.Gt, ref(a, "employees"), num(12)), Policies: []string{"role:reader"}}
			pa.Security = &plan.SecurityFilter{Expr: &plan.Const{Value: true}, Policies: []string{"role:reader"}}
			pa.Joins[0].Security = &plan.SecurityFilter{Expr: &plan.Const{Value: true}, Policies: []string{"role:reader"}}
			n := &plan.DataSource{Name: "n", Table: f.note, Join: plan.JoinSubquery, Parent: ref(c, "contactid"), Child: column(f.note, "contactid")}
			n.Security = &plan.SecurityFilter{Expr: &plan.Const{Value: true}, Policies: []string{"role:reader"}}
			c.Filter = &plan.Not{X: &plan.Exists{Source: n}}
			return &plan.Plan{Root: c, Columns: cols(c, a, pa), Top: 2, Security: plan.SecurityOn,
				Orders: []*plan.SortKey{{Column: ref(c, "rank"), Desc: true}, {Column: ref(c, "contactid")}}}
		}},
	}
	engines(t, func(t *testing.T, tdb *testDB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := c.build(tdb.f)
				p.RootFirst = true
				if err := plan.Verify(p); err != nil {
					t.Fatal(err)
				}
				run := func(p *plan.Plan) ([][]string, [][]string, string) {
					t.Helper()
					off := *p
					off.RootFirst = false
					pushed, err := Emit(p, tdb.d)
					if err != nil {
						t.Fatal(err)
					}
					checkRootListed(t, pushed.SQL, q(tdb.d, p.Root.Name))
					plain, err := Emit(&off, tdb.d)
					if err != nil {
						t.Fatal(err)
					}
					got, err := tdb.query(pushed)
					if err != nil {
						t.Fatalf("%v\n%s", err, pushed.SQL)
					}
					want, err := tdb.query(plain)
					if err != nil {
						t.Fatalf("%v\n%s", err, plain.SQL)
					}
					return got, want, pushed.SQL
				}
				switch {
				case c.pages > 0:
					total := 0
					for page := int64(1); ; page++ {
						pp := *p
						pp.PageSize, pp.PageNumber = c.pages, page
						got, want, sql := run(&pp)
						if !sameRows(want, got, true) {
							t.Errorf("page %d:\n got %q\nwant %q\n%s", page, got, want, sql)
						}
						total += len(want)
						if int64(len(want)) <= c.pages {
							break
						}
					}
					if total <= int(c.pages) {
						t.Fatalf("%d rows: the paging proves nothing", total)
					}
				case c.after > 0:
					all := *p
					all.PageSize, all.Top = 0, 100
					_, rows, _ := run(&all)
					if len(rows) <= c.after+1 {
						t.Fatalf("%d rows: the continuation proves nothing", len(rows))
					}
					// The keys' columns are the first two outputs.
					last := rows[c.after-1]
					cp := *p
					cp.After = []*plan.Value{str(last[0]), guid(last[1])}
					if last[0] == "NULL" {
						cp.After[0] = nil
					}
					got, want, sql := run(&cp)
					if len(want) == 0 || !sameRows(want, got, true) || !sameRows(rows[c.after:min(len(rows), c.after+len(want))], want, true) {
						t.Errorf("after row %d:\n got %q\nwant %q\n all %q\n%s", c.after, got, want, rows, sql)
					}
				default:
					got, want, sql := run(p)
					if len(want) == 0 {
						t.Fatalf("no rows: the comparison proves nothing\n%s", sql)
					}
					if !sameRows(want, got, true) {
						t.Errorf("rows:\n got %q\nwant %q\n%s", got, want, sql)
					}
				}
			})
		}
	})
}

// checkRootListed: sql is written root first, its derived table listing
// root columns one by one (not root.*), each of them read outside it.
func checkRootListed(t *testing.T, sql, root string) {
	t.Helper()
	_, inner, ok := strings.Cut(sql, "FROM (SELECT ")
	list, _, ok2 := strings.Cut(inner, " FROM ")
	end := strings.Index(inner, ") AS "+root)
	if !ok || !ok2 || end < 0 || strings.Contains(list, root+".*") {
		t.Fatalf("not written root first with its columns listed:\n%s", sql)
	}
	outside := strings.Replace(sql, inner[:end], "", 1)
	for _, item := range strings.Split(list, ", ") {
		if !strings.HasPrefix(item, root+".") || strings.ContainsAny(item[len(root)+1:], " (),") {
			break // the sort terms, after the columns
		}
		if !strings.Contains(outside, item) {
			t.Errorf("%s is listed but not read outside the derived table:\n%s", item, sql)
		}
	}
}
