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
