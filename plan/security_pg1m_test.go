package plan_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// TestSecurityPostgres1M measures, on PostgreSQL with 1M accounts (20
// business units, 400 owners, indexes on ownerid and owningbusinessunit),
// a business-unit-scoped user's queries against the same queries without
// security (issue 5: within 2×). Opt-in: VECOMPILE_SECURITY_1M=1.
func TestSecurityPostgres1M(t *testing.T) {
	dsn := testkit.ScaleDSN(t, "VECOMPILE_SECURITY_1M", "the 1M-row PostgreSQL measurement")
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the table is dropped (testkit.ScaleTable)
	table, exec := testkit.ScaleTable(t, db.SQL, "sec1m", "account")
	bu := func(n string) string { return "'bb000000-0000-4000-8000-' || lpad(to_hex(" + n + "), 12, '0')" }
	exec(`CREATE TABLE "` + table + `" (accountid uuid PRIMARY KEY, name varchar(160), statecode integer, revenue numeric(19,4), ownerid uuid, owningbusinessunit uuid)`)
	exec(`INSERT INTO "` + table + `" SELECT
  ('acc00000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
  'Account ' || md5(i::text), i % 2, (i % 1000) * 10.5,
  ('aa000000-0000-4000-8000-' || lpad(to_hex(i % 400), 12, '0'))::uuid,
  (` + bu("i % 20") + `)::uuid
FROM generate_series(1, 1000000) AS i`)
	exec(`CREATE INDEX ON "` + table + `" (ownerid)`)
	exec(`CREATE INDEX ON "` + table + `" (owningbusinessunit)`)
	exec(`CREATE INDEX ON "` + table + `" (name)`)
	exec(`ANALYZE "` + table + `"`)

	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PhysicalName: table, PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "name", Type: plan.TString},
		{LogicalName: "statecode", Type: plan.TInteger}, {LogicalName: "revenue", Type: plan.TMoney},
		{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}},
		{LogicalName: "owningbusinessunit", Type: plan.TLookup, Targets: []string{"businessunit"}},
	}}))
	const user = "aa000000-0000-4000-8000-000000000007"
	m := &security.Model{Roles: []security.RoleDef{{ID: "f1000000-0000-4000-8000-000000000001", Name: "BU reader", Privileges: []security.PrivilegeDef{{Table: "account", Privilege: "Read", Depth: "BusinessUnit"}}}}}
	for i := 0; i < 20; i++ {
		b := security.BusinessUnitDef{ID: fmt.Sprintf("bb000000-0000-4000-8000-%012x", i)}
		if i > 0 {
			b.ParentID = m.BusinessUnits[0].ID
		}
		m.BusinessUnits = append(m.BusinessUnits, b)
	}
	// user reads one business unit of 20; deep reads the whole tree through
	// Parent: Child depth at the root (a 20-value IN list that keeps every row:
	// the predicate's worst case).
	const deep = "aa000000-0000-4000-8000-000000000008"
	m.Roles = append(m.Roles, security.RoleDef{ID: "f1000000-0000-4000-8000-000000000002", Name: "Deep reader", Privileges: []security.PrivilegeDef{{Table: "account", Privilege: "Read", Depth: "ParentChild"}}})
	m.Users = []security.UserDef{
		{ID: user, BusinessUnitID: m.BusinessUnits[3].ID, Roles: []security.RoleAssignment{{RoleID: m.Roles[0].ID}}},
		{ID: deep, BusinessUnitID: m.BusinessUnits[0].ID, Roles: []security.RoleAssignment{{RoleID: m.Roles[1].ID}}},
	}
	c, err := security.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(security.Principal{UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	sDeep, err := c.Session(security.Principal{UserID: deep})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ name, src string }{
		{"first page by name", `<fetch count="50"><entity name="account"><attribute name="name"/><attribute name="revenue"/><filter><condition attribute="statecode" operator="eq" value="1"/></filter><order attribute="name"/></entity></fetch>`},
		{"count and sum", `<fetch aggregate="true" aggregatelimit="50000"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/><attribute name="revenue" alias="r" aggregate="sum"/><filter><condition attribute="revenue" operator="gt" value="10400"/></filter></entity></fetch>`},
	} {
		parsed, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(q.src)))
		if err != nil {
			t.Fatal(err)
		}
		timeIt := func(sec plan.SecurityProvider) (time.Duration, int) {
			p, err := plan.Build(parsed, plan.Options{Catalog: cat, Now: time.Now(), Security: sec})
			if err != nil {
				t.Fatal(err)
			}
			var runs []time.Duration
			n := 0
			for i := 0; i < 7; i++ {
				start := time.Now()
				res, err := db.Exec(ctx, p)
				runs = append(runs, time.Since(start))
				if err != nil {
					return 0, -1 // the aggregate limit refuses the unsecured input: reported as such
				}
				n = len(res.Rows)
			}
			slices.Sort(runs)
			return runs[len(runs)/2], n
		}
		off, nOff := timeIt(nil)
		on, nOn := timeIt(plan.ModelSecurity{Session: s})
		all, nAll := timeIt(plan.ModelSecurity{Session: sDeep})
		t.Logf("%s: without security %v (%d rows); one business unit of 20 %v (%d rows, ratio %.2f); every unit through Parent: Child %v (%d rows, ratio %.2f)",
			q.name, off, nOff, on, nOn, float64(on)/float64(off), all, nAll, float64(all)/float64(off))
	}
}
