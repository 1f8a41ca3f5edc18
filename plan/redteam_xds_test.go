package plan_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// TestRedTeamXDS attacks F&O company scoping and XDS policies: a user link
// named like a policy query, the policy alias in entityname, links and
// aggregates over the constrained table, and non-interference (changing the
// rows the policies remove changes no outcome).
func TestRedTeamXDS(t *testing.T) {
	for name, dsn := range testkit.Engines(t) {
		t.Run(name, func(t *testing.T) { redTeamXDS(t, dsn) })
	}
}

func redTeamXDS(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	prefix := fmt.Sprintf("rtx%d_%d_", os.Getpid(), time.Now().UnixNano()%100000)
	q := func(name string) string {
		if db.Dialect == engine.MySQL {
			return "`" + prefix + name + "`"
		}
		return `"` + prefix + name + `"`
	}
	exec := func(stmt string) {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	defer db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+q("custtable"))
	defer db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+q("custtrans"))
	exec(`CREATE TABLE ` + q("custtable") + ` (custtableid CHAR(36) PRIMARY KEY, accountnum VARCHAR(20), custgroup VARCHAR(10), blocked INTEGER, dataareaid VARCHAR(4))`)
	exec(`CREATE TABLE ` + q("custtrans") + ` (custtransid CHAR(36) PRIMARY KEY, accountnum VARCHAR(20), amount INTEGER, dataareaid VARCHAR(4))`)
	exec(`INSERT INTO ` + q("custtable") + ` VALUES ('10000000-0000-4000-8000-000000000006','C4','10',0,'usmf'),('10000000-0000-4000-8000-000000000005','C2','30',0,'demf'),('10000000-0000-4000-8000-000000000001','C1','10',0,'usmf'),('10000000-0000-4000-8000-000000000002','C2','20',0,'usmf'),('10000000-0000-4000-8000-000000000003','C3','10',1,'usmf'),('10000000-0000-4000-8000-000000000004','C1','10',0,'demf')`)
	exec(`INSERT INTO ` + q("custtrans") + ` VALUES ('20000000-0000-4000-8000-000000000001','C1',1,'usmf'),('20000000-0000-4000-8000-000000000002','C2',2,'usmf'),('20000000-0000-4000-8000-000000000003','C3',4,'usmf'),('20000000-0000-4000-8000-000000000004','C1',8,'demf'),('20000000-0000-4000-8000-000000000005','C9',16,'usmf'),('20000000-0000-4000-8000-000000000006','C2',32,'demf'),('20000000-0000-4000-8000-000000000007','C4',64,'demf')`)
	cat := plan.MapCatalog{}
	col := func(name string, typ plan.Type) *plan.Column { return &plan.Column{LogicalName: name, Type: typ} }
	cat.Add(plan.NewTable(plan.Table{LogicalName: "custtable", PhysicalName: prefix + "custtable", PrimaryKey: "custtableid", Columns: []*plan.Column{
		col("custtableid", plan.TUniqueidentifier), col("accountnum", plan.TString), col("custgroup", plan.TString), col("blocked", plan.TInteger), col("dataareaid", plan.TString)}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "custtrans", PhysicalName: prefix + "custtrans", PrimaryKey: "custtransid", Columns: []*plan.Column{
		col("custtransid", plan.TUniqueidentifier), col("accountnum", plan.TString), col("amount", plan.TInteger), col("dataareaid", plan.TString)}}))
	const bu, user = "b0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001"
	c, err := security.Compile(&security.Model{
		BusinessUnits: []security.BusinessUnitDef{{ID: bu}},
		Roles: []security.RoleDef{{ID: "d0000000-0000-4000-8000-000000000001", Name: "Clerk", Privileges: []security.PrivilegeDef{
			{Table: "custtrans", Privilege: "Read", Depth: "Organization"}, {Table: "custtable", Privilege: "Read", Depth: "Organization"}}}},
		Users:  []security.UserDef{{ID: user, BusinessUnitID: bu, Roles: []security.RoleAssignment{{RoleID: "d0000000-0000-4000-8000-000000000001"}}, Companies: []string{"usmf", "demf"}, DefaultCompany: "usmf"}},
		Tables: []security.TableDef{{Name: "custtrans", Company: true, Ownership: security.OrganizationOwned}, {Name: "custtable", Company: true, Ownership: security.OrganizationOwned}},
		Policies: []security.XDSPolicy{{Name: "Group 10", PrimaryTable: "custtable", PrimaryKey: "accountnum", Constrained: []security.Constraint{{Table: "custtrans", Column: "accountnum"}},
			Ranges: []security.Range{{Column: "custgroup", Operator: "eq", Values: []string{"10"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(security.Principal{UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	run := func(src string) string {
		qq, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Build(qq, plan.Options{Catalog: cat, Now: time.Now(), Security: plan.ModelSecurity{Session: s}})
		if err != nil {
			return "error " + string(diag.CodeOf(err))
		}
		res, err := db.Exec(ctx, p)
		if err != nil {
			return "exec error " + err.Error()
		}
		return fmt.Sprint(res.Rows)
	}
	// usmf, custgroup 10: C1 (1) and C4 has no usmf transactions; C3 is
	// group 10 too (4). Readable amounts: 1 and 4.
	attacks := map[string]string{
		"colliding alias":            `<fetch><entity name="custtrans"><attribute name="amount"/><link-entity name="custtable" from="accountnum" to="accountnum" alias="xds_group_10_custtrans" link-type="outer"><attribute name="custgroup"/></link-entity><order attribute="amount"/></entity></fetch>`,
		"reserved alias":             `<fetch><entity name="custtrans"><attribute name="amount"/><link-entity name="custtable" from="accountnum" to="accountnum" alias="xds_no_such_policy" link-type="outer"/></entity></fetch>`,
		"policy alias in entityname": `<fetch><entity name="custtrans"><attribute name="amount"/><filter><condition entityname="xds_group_10_custtrans" attribute="custgroup" operator="eq" value="20"/></filter></entity></fetch>`,
		"sum":                        `<fetch aggregate="true"><entity name="custtrans"><attribute name="amount" alias="s" aggregate="sum"/><attribute name="custtransid" alias="n" aggregate="count"/></entity></fetch>`,
		"link to constrained":        `<fetch><entity name="custtable"><attribute name="accountnum"/><attribute name="custgroup"/><link-entity name="custtrans" from="accountnum" to="accountnum" alias="t" link-type="outer"><attribute name="amount"/></link-entity><order attribute="accountnum"/><order attribute="custgroup"/></entity></fetch>`,
		"any constrained":            `<fetch><entity name="custtable"><attribute name="accountnum"/><filter><link-entity name="custtrans" from="accountnum" to="accountnum" link-type="any"><filter><condition attribute="amount" operator="gt" value="1"/></filter></link-entity></filter><order attribute="accountnum"/></entity></fetch>`,
		"other company":              `<fetch><entity name="custtrans"><attribute name="amount"/><filter><condition attribute="dataareaid" operator="eq" value="demf"/></filter></entity></fetch>`,
	}
	before := map[string]string{}
	for name, src := range attacks {
		before[name] = run(src)
	}
	if got := before["sum"]; got != "[[{s 5} {n 2}]]" {
		t.Errorf("sum over the constrained table: %s, want amounts 1+4 over 2 rows", got)
	}
	if got := before["other company"]; got != "[]" {
		t.Errorf("another company's rows: %s", got)
	}
	// Policy queries' aliases are reserved: a user link taking one is
	// refused whether or not a policy of that name applies (a duplicate
	// alias error would say which do), and conditions cannot name them.
	for _, name := range []string{"colliding alias", "reserved alias"} {
		if got := before[name]; got != "error "+string(diag.SecurityDenied) {
			t.Errorf("%s: %s, want %s", name, got, diag.SecurityDenied)
		}
	}
	if got := before["policy alias in entityname"]; !strings.HasPrefix(got, "error VE2") {
		t.Errorf("entityname naming the policy query: %s", got)
	}
	// Change every transaction the user may not read (not its policy key,
	// which decides readability), and every customer of another company.
	exec(`UPDATE ` + q("custtrans") + ` SET amount = amount * 1000 + 7 WHERE NOT (dataareaid = 'usmf' AND accountnum IN ('C1', 'C3', 'C4'))`)
	exec(`UPDATE ` + q("custtable") + ` SET custgroup = '99', blocked = 5 WHERE dataareaid <> 'usmf'`)
	for name, src := range attacks {
		if got := run(src); got != before[name] {
			t.Errorf("%s, %s: changing rows the policies remove changed the outcome:\nbefore %s\nafter  %s", dsn[:5], name, before[name], got)
		}
	}
}
