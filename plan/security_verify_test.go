package plan_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

func buildAs(t *testing.T, cat plan.Catalog, s *security.Session, src string) (*plan.Plan, error) {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	opt := plan.Options{Catalog: cat, Now: time.Now()}
	if s != nil {
		opt.Security = plan.ModelSecurity{Session: s}
	}
	return plan.Build(q, opt)
}

func sampleSession(t *testing.T, user string) *security.Session {
	t.Helper()
	c, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(security.Principal{UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifier: Build's verifier accepts secured plans and rejects a
// source without its filter and a security filter reading a hidden column.
func TestVerifier(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	s := sampleSession(t, "aa000000-0000-4000-8000-000000000004")
	p, err := buildAs(t, cat, s, `<fetch><entity name="account"><attribute name="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/></link-entity>
<filter><link-entity name="opportunity" from="customerid" to="accountid" link-type="any"/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Verify(p); err != nil {
		t.Fatalf("a built plan fails verification: %v", err)
	}
	// Drop the outer link's filter: the verifier names it.
	saved := p.Root.Joins[0].Security
	p.Root.Joins[0].Security = nil
	if err := plan.Verify(p); err == nil || !strings.Contains(err.Error(), "pc") {
		t.Errorf("missing filter on pc: got %v", err)
	}
	p.Root.Joins[0].Security = saved
	// A security filter that reads a hidden column would leak it.
	acc := p.Root
	revenue, _ := acc.Table.Column("revenue")
	acc.Security.Hidden = append(acc.Security.Hidden, revenue)
	acc.Security.Expr = &plan.IsNull{Col: &plan.ColumnRef{Source: acc, Column: revenue}}
	if err := plan.Verify(p); err == nil || !strings.Contains(err.Error(), "hidden") {
		t.Errorf("security filter on a hidden column: got %v", err)
	}
}

// TestColumnRedactionEverywhere: a hidden column is NULL in the select
// list, filters, orders, grouping and aggregates, and a link joined on it
// matches nothing; the value is never evaluated.
func TestColumnRedactionEverywhere(t *testing.T) {
	db, cat, err := engine.OpenSample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	priya := sampleSession(t, "aa000000-0000-4000-8000-000000000004") // no Finance profile
	john := sampleSession(t, "aa000000-0000-4000-8000-000000000002")  // Finance: reads revenue
	for _, c := range []struct{ name, src string }{
		{"filter", `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="revenue" operator="gt" value="0"/></filter></entity></fetch>`},
		{"null test", `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="revenue" operator="not-null"/></filter></entity></fetch>`},
		{"group", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="r" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`},
		{"aggregate", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="m" aggregate="max"/></entity></fetch>`},
	} {
		p, err := buildAs(t, cat, priya, c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res, err := db.Exec(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pj, _ := buildAs(t, cat, john, c.src)
		resj, _ := db.Exec(context.Background(), pj)
		switch c.name {
		case "filter", "null test":
			if len(res.Rows) != 0 || len(resj.Rows) == 0 {
				t.Errorf("%s: a hidden revenue filtered %d rows in (profile holder: %d)", c.name, len(res.Rows), len(resj.Rows))
			}
		case "group":
			if len(res.Rows) != 1 || res.Rows[0][0].Value != nil {
				t.Errorf("group: grouping on a hidden column gives %v, want one NULL group", res.Rows)
			}
		case "aggregate":
			if len(res.Rows) != 1 || res.Rows[0][0].Value != nil || resj.Rows[0][0].Value == nil {
				t.Errorf("aggregate: max of hidden revenue %v (profile holder %v)", res.Rows, resj.Rows)
			}
		}
		st, _ := sql.Emit(p, sqliteDialect(t))
		if strings.Contains(strings.ReplaceAll(st.SQL, `CASE WHEN 1=0 THEN "account"."revenue" END`, ""), `"revenue"`) {
			t.Errorf("%s: revenue read outside its redaction: %s", c.name, st.SQL)
		}
	}
	// Order by a hidden column: same rows as without the order key.
	p, _ := buildAs(t, cat, priya, `<fetch><entity name="account"><attribute name="accountid"/><order attribute="revenue" descending="true"/></entity></fetch>`)
	res, _ := db.Exec(context.Background(), p)
	p2, _ := buildAs(t, cat, priya, `<fetch><entity name="account"><attribute name="accountid"/></entity></fetch>`)
	res2, _ := db.Exec(context.Background(), p2)
	if fmt.Sprint(res.Rows) != fmt.Sprint(res2.Rows) {
		t.Errorf("ordering by a hidden column changed the order:\n%v\n%v", res.Rows, res2.Rows)
	}
	// Plan shows the hidden columns.
	if out := plan.Format(p); !strings.Contains(out, "hidden columns (read as NULL): revenue") {
		t.Errorf("plan does not show the hidden column:\n%s", out)
	}
}

// TestCompanyAndXDSRows runs F&O-shaped tables on SQLite: company scoping,
// cross-company, and two XDS policies that AND together.
func TestCompanyAndXDSRows(t *testing.T) {
	for name, dsn := range testkit.Engines(t) {
		t.Run(name, func(t *testing.T) { companyAndXDSRows(t, dsn) })
	}
}

func companyAndXDSRows(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	prefix := fmt.Sprintf("xds%d_%d_", os.Getpid(), time.Now().UnixNano()%100000)
	q := func(name string) string {
		if db.Dialect == engine.MySQL {
			return "`" + prefix + name + "`"
		}
		return `"` + prefix + name + `"`
	}
	defer db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+q("custtable"))
	defer db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+q("custtrans"))
	defer db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+q("custnote"))
	for _, stmt := range []string{
		`CREATE TABLE ` + q("custtable") + ` (custtableid CHAR(36) PRIMARY KEY, accountnum VARCHAR(20), custgroup VARCHAR(10), blocked INTEGER, dataareaid VARCHAR(4))`,
		`CREATE TABLE ` + q("custtrans") + ` (custtransid CHAR(36) PRIMARY KEY, accountnum VARCHAR(20), amount INTEGER, dataareaid VARCHAR(4))`,
		`INSERT INTO ` + q("custtable") + ` VALUES ('10000000-0000-4000-8000-000000000006','C4','10',0,'usmf'),('10000000-0000-4000-8000-000000000005','C2','30',0,'demf'),('10000000-0000-4000-8000-000000000001','C1','10',0,'usmf'),('10000000-0000-4000-8000-000000000002','C2','20',0,'usmf'),('10000000-0000-4000-8000-000000000003','C3','10',1,'usmf'),('10000000-0000-4000-8000-000000000004','C1','10',0,'demf')`,
		`INSERT INTO ` + q("custtrans") + ` VALUES ('20000000-0000-4000-8000-000000000001','C1',1,'usmf'),('20000000-0000-4000-8000-000000000002','C2',2,'usmf'),('20000000-0000-4000-8000-000000000003','C3',4,'usmf'),('20000000-0000-4000-8000-000000000004','C1',8,'demf'),('20000000-0000-4000-8000-000000000005','C9',16,'usmf'),('20000000-0000-4000-8000-000000000006','C2',32,'demf'),('20000000-0000-4000-8000-000000000007','C4',64,'demf')`,
		// custnote: constrained by the policies, not per company itself.
		`CREATE TABLE ` + q("custnote") + ` (custnoteid CHAR(36) PRIMARY KEY, accountnum VARCHAR(20), amount INTEGER)`,
		`INSERT INTO ` + q("custnote") + ` VALUES ('30000000-0000-4000-8000-000000000001','C1',1),('30000000-0000-4000-8000-000000000002','C2',2),('30000000-0000-4000-8000-000000000003','C3',4)`,
	} {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	cat := plan.MapCatalog{}
	col := func(name string, typ plan.Type) *plan.Column { return &plan.Column{LogicalName: name, Type: typ} }
	cat.Add(plan.NewTable(plan.Table{LogicalName: "custtable", PhysicalName: prefix + "custtable", PrimaryKey: "custtableid", Columns: []*plan.Column{
		col("custtableid", plan.TUniqueidentifier), col("accountnum", plan.TString), col("custgroup", plan.TString), col("blocked", plan.TInteger), col("dataareaid", plan.TString)}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "custtrans", PhysicalName: prefix + "custtrans", PrimaryKey: "custtransid", Columns: []*plan.Column{
		col("custtransid", plan.TUniqueidentifier), col("accountnum", plan.TString), col("amount", plan.TInteger), col("dataareaid", plan.TString)}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "custnote", PhysicalName: prefix + "custnote", PrimaryKey: "custnoteid", Columns: []*plan.Column{
		col("custnoteid", plan.TUniqueidentifier), col("accountnum", plan.TString), col("amount", plan.TInteger)}}))
	const bu, user, nobody = "b0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002"
	model := func(policies ...security.XDSPolicy) *security.Compiled {
		c, err := security.Compile(&security.Model{
			BusinessUnits: []security.BusinessUnitDef{{ID: bu}},
			Roles: []security.RoleDef{{ID: "d0000000-0000-4000-8000-000000000001", Name: "Clerk", Privileges: []security.PrivilegeDef{
				{Table: "custtrans", Privilege: "Read", Depth: "Organization"}, {Table: "custtable", Privilege: "Read", Depth: "Organization"}, {Table: "custnote", Privilege: "Read", Depth: "Organization"}}}},
			Users: []security.UserDef{
				{ID: user, BusinessUnitID: bu, Roles: []security.RoleAssignment{{RoleID: "d0000000-0000-4000-8000-000000000001"}}, Companies: []string{"usmf", "demf"}},
				{ID: nobody, BusinessUnitID: bu, Roles: []security.RoleAssignment{{RoleID: "d0000000-0000-4000-8000-000000000001"}}}, // no company
			},
			Tables:   []security.TableDef{{Name: "custtrans", Company: true, Ownership: security.OrganizationOwned}, {Name: "custtable", Company: true, Ownership: security.OrganizationOwned}, {Name: "custnote", Ownership: security.OrganizationOwned}},
			Policies: policies,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	group10 := security.XDSPolicy{Name: "Group 10", PrimaryTable: "custtable", PrimaryKey: "accountnum", Constrained: []security.Constraint{{Table: "custtrans", Column: "accountnum"}, {Table: "custnote", Column: "accountnum"}},
		Ranges: []security.Range{{Column: "custgroup", Operator: "eq", Values: []string{"10"}}}}
	notBlocked := security.XDSPolicy{Name: "Not blocked", PrimaryTable: "custtable", PrimaryKey: "accountnum", Constrained: []security.Constraint{{Table: "custtrans", Column: "accountnum"}},
		Ranges: []security.Range{{Column: "blocked", Operator: "eq", Values: []string{"0"}}}, Roles: []string{"Clerk"}}
	sum := func(c *security.Compiled, p security.Principal, table string) int64 {
		s, err := c.Session(p)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := buildAs(t, cat, s, `<fetch><entity name="`+table+`"><attribute name="amount"/></entity></fetch>`)
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Exec(ctx, pl)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range res.Rows {
			v, _ := r.Get("amount")
			n += v.(int64)
		}
		return n
	}
	me := security.Principal{UserID: user}
	for _, c := range []struct {
		name  string
		c     *security.Compiled
		p     security.Principal
		table string
		want  int64
	}{
		{"default company (the first allowed)", model(), me, "custtrans", 1 + 2 + 4 + 16},
		{"cross-company", model(), security.Principal{UserID: user, CrossCompany: true}, "custtrans", 127},
		{"cross-company, one company named", model(), security.Principal{UserID: user, CrossCompany: true, Companies: []string{"DEMF"}}, "custtrans", 8 + 32 + 64},
		{"one policy", model(group10), me, "custtrans", 1 + 4},
		{"two policies AND", model(group10, notBlocked), me, "custtrans", 1},
		{"cross-company policy correlates companies", model(group10, notBlocked), security.Principal{UserID: user, CrossCompany: true}, "custtrans", 1 + 8},
		// A table without companies, constrained by a per-company policy:
		// the policy's customers in the caller's companies (C1 in usmf).
		{"policy over a table without companies", model(group10), me, "custnote", 1 + 4},
		// No company: no rows, not an error (fail closed, not loudly).
		{"no company, company table", model(group10), security.Principal{UserID: nobody}, "custtrans", 0},
		{"no company, policy over a table without companies", model(group10), security.Principal{UserID: nobody}, "custnote", 0},
		{"no company, cross-company, policy over a table without companies", model(group10), security.Principal{UserID: nobody, CrossCompany: true}, "custnote", 0},
		{"no company, no policy", model(), security.Principal{UserID: nobody}, "custnote", 1 + 2 + 4},
	} {
		if got := sum(c.c, c.p, c.table); got != c.want {
			t.Errorf("%s: sum %d, want %d", c.name, got, c.want)
		}
	}
	s, _ := model(group10, notBlocked).Session(me)
	pl, _ := buildAs(t, cat, s, `<fetch><entity name="custtrans"><attribute name="amount"/></entity></fetch>`)
	out := plan.Format(pl)
	for _, want := range []string{"xds:Group 10", "xds:Not blocked", "company:usmf", "policy query"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if !slices.Contains(s.Companies(), "usmf") {
		t.Errorf("companies %v", s.Companies())
	}
}

func sqliteDialect(t *testing.T) sql.Dialect {
	d, ok := sql.DialectByName("sqlite")
	if !ok {
		t.Fatal("no sqlite dialect")
	}
	return d
}

// TestHiddenJoinKey: a link joined on a hidden column matches nothing (its
// key reads NULL), so an outer link keeps its parents with NULLs and an
// inner one drops them; the plan says why.
func TestHiddenJoinKey(t *testing.T) {
	db, cat, err := engine.OpenSample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sample, _ := engine.SampleSecurity()
	m := sample.Model()
	for i := range m.Tables {
		if m.Tables[i].Name == "contact" {
			m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "emailaddress1")
		}
	}
	c, err := security.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Session(security.Principal{UserID: "aa000000-0000-4000-8000-000000000001"}) // administrator: reads every column
	priya, _ := c.Session(security.Principal{UserID: "aa000000-0000-4000-8000-000000000004"})
	src := func(kind string) string {
		return `<fetch><entity name="contact"><attribute name="contactid"/>
<link-entity name="contact" from="emailaddress1" to="emailaddress1" alias="twin" link-type="` + kind + `"><attribute name="fullname"/></link-entity></entity></fetch>`
	}
	count := func(s *security.Session, kind string) (int, int) {
		p, err := buildAs(t, cat, s, src(kind))
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Exec(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		linked := 0
		for _, r := range res.Rows {
			if v, _ := r.Get("twin.fullname"); v != nil {
				linked++
			}
		}
		if s == priya && !strings.Contains(plan.Format(p), "hidden join key]: FALSE") {
			t.Errorf("plan does not deny the link joined on a hidden key:\n%s", plan.Format(p))
		}
		return len(res.Rows), linked
	}
	if _, linked := count(s, "outer"); linked == 0 {
		t.Fatal("the administrator's self-join on e-mail links nothing: the test proves nothing")
	}
	if rows, linked := count(priya, "outer"); rows == 0 || linked != 0 {
		t.Errorf("outer link on a hidden key: %d rows, %d linked; want rows kept, none linked", rows, linked)
	}
	if rows, _ := count(priya, "inner"); rows != 0 {
		t.Errorf("inner link on a hidden key: %d rows, want none", rows)
	}
}

// TestHiddenHierarchyLookup: CountChildren and under/above read the
// hierarchical lookup outside the redaction, so a hidden lookup refuses the
// plan (VE3002) rather than leak the hierarchy.
func TestHiddenHierarchyLookup(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	sample, _ := engine.SampleSecurity()
	m := sample.Model()
	for i := range m.Tables {
		if m.Tables[i].Name == "account" {
			m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "parentaccountid")
		}
	}
	c, err := security.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	priya, _ := c.Session(security.Principal{UserID: "aa000000-0000-4000-8000-000000000004"})
	for _, src := range []string{
		`<fetch><entity name="account"><attribute name="name"/><attribute name="accountid" alias="children" rowaggregate="CountChildren"/></entity></fetch>`,
		`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="under" value="acc00000-0000-4000-8000-000000000001"/></filter></entity></fetch>`,
	} {
		// under/above also needs every row readable (redteam_test.go), so a
		// Salesperson's under is refused either way (VE3001 first).
		if _, err := buildAs(t, cat, priya, src); diag.CodeOf(err) != diag.SecurityUnverified && !(strings.Contains(src, "under") && diag.CodeOf(err) == diag.SecurityDenied) {
			t.Errorf("%s: got %v, want %s", src, err, diag.SecurityUnverified)
		}
		if _, err := buildAs(t, cat, sampleSession(t, "aa000000-0000-4000-8000-000000000001"), src); err != nil {
			t.Errorf("%s as an administrator (every row, every column): %v", src, err)
		}
	}
}
