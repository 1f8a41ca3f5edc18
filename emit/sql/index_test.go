package sql

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestRootKeyNullsClause: on PostgreSQL the root's primary key sorts
// without a NULLS clause (never NULL: its primary-key index serves it),
// also when the plan's root was copied with another filter (the server's
// keyset continuation) and the sort key still points at the original; a
// joined source's key keeps NULLS FIRST (an outer join reads NULL).
func TestRootKeyNullsClause(t *testing.T) {
	f := newFixture("")
	acc := root("account", f.account)
	c := link(acc, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
	p := &plan.Plan{Root: acc, Columns: outs(acc, "name"), Orders: []*plan.SortKey{{Column: ref(acc, "employees")}, {Column: ref(c, "contactid")}, {Column: ref(acc, "accountid")}}}
	cp := *acc
	cp.Filter = &plan.IsNull{Col: ref(acc, "name"), Not: true}
	copied := *p
	copied.Root = &cp
	for _, q := range []*plan.Plan{p, &copied} {
		st, err := Emit(q, Postgres)
		if err != nil {
			t.Fatal(err)
		}
		_, order, _ := strings.Cut(st.SQL, "ORDER BY ")
		if want := `"account"."employees" NULLS FIRST, "c"."contactid" NULLS FIRST, "account"."accountid"`; order != want {
			t.Errorf("ORDER BY %s\nwant      %s", order, want)
		}
	}
}

// TestNoIndexAdvisedForAKeyRead: a read of the root by its primary key
// (alone or with other conditions, ordered or not) is answered by the
// key's own index, so no index is advised for the root; its joins keep
// theirs, and a read by another column keeps its advice.
func TestNoIndexAdvisedForAKeyRead(t *testing.T) {
	f := newFixture("")
	id := &plan.Value{Kind: plan.KGuid, V: "acc00000-0000-4000-8000-000000000001"}
	for _, d := range []Dialect{Postgres, SQLite, MySQL, SQLServer} {
		acc := root("account", f.account)
		acc.Filter = &plan.And{Terms: []plan.Expr{eq(ref(acc, "accountid"), id), eq(ref(acc, "name"), str("Contoso"))}}
		link(acc, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
		p := &plan.Plan{Root: acc, Columns: outs(acc, "name"), Orders: []*plan.SortKey{{Column: ref(acc, "name")}}}
		ixs, err := Indexes(p, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ixs) != 1 || ixs[0].For != "join" {
			t.Errorf("%s: %v, want the join's index alone", d.Name(), ixs)
		}
		acc.Filter = eq(ref(acc, "name"), str("Contoso"))
		if ixs, err := Indexes(p, d); err != nil || len(ixs) != 2 || ixs[0].For != "filter and order" {
			t.Errorf("%s, by name: %v %v, want the root's index and the join's", d.Name(), ixs, err)
		}
	}
}
