package plan_test

// Red-team tests of the injected security (README.md, Security, "Red-team
// checks"). The main oracle is non-interference: an attacker's query, run
// as a low-privilege user, gives the same rows, counts and errors before
// and after every value the user may not read is changed (the unreadable
// rows' columns and the hidden columns of readable rows). Readability comes
// from canRead, the reference written from the model's data.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	vecompile "github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/parse/queryexpression"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

const (
	priya = "aa000000-0000-4000-8000-000000000004" // Salesperson: User depth, no column profile
	bjorn = "aa000000-0000-4000-8000-000000000005" // Salesperson + Regional Reader in Contoso Sales
)

// redTeamUsers: Salespeople (one with a share, one managing nobody), a
// Salesperson with a Regional Reader role in another unit who manages two
// users, the Sales Manager (reads revenue), and a user whose only role
// comes from an owner team, and the portal user (organization-wide account
// reads: the hidden revenue is the secret).
var redTeamUsers = []string{priya, bjorn,
	"aa000000-0000-4000-8000-000000000009", // Sam
	"aa000000-0000-4000-8000-000000000002", // John
	"aa000000-0000-4000-8000-000000000006", // Kenji
	"aa000000-0000-4000-8000-000000000008", // Liam: the portal contact's and the anonymous user
}

// attack is one query in one of the three languages the compiler accepts.
type attack struct {
	name, lang, src string
}

// lookupNameOrder: these attacks order by a lookup, which sorts by the
// target's primary name whether or not the target is readable (Dataverse
// shows lookup names); only the set of rows must not move.
var lookupNameOrder = map[string]bool{"top distinct": true}

func (a attack) parse(cat plan.Catalog) (*ast.Query, error) {
	src := diag.NewSource(a.name, []byte(a.src))
	var q *ast.Query
	var err error
	switch a.lang {
	case "qe":
		q, err = queryexpression.Parse(src)
	case "odata":
		q, err = odataparse.Parse(src, vecompile.ODataSchema(cat), odataparse.Options{NullInclusive: plan.NullInclusive})
	default:
		q, err = fetchxml.Parse(src)
	}
	return q, err
}

// outcome runs a as user and renders everything the caller gets back:
// rows, paging and count flags, or the error's code and message.
func outcome(t *testing.T, tg secTarget, m *security.Model, user string, a attack) string {
	t.Helper()
	opt := plan.Options{Catalog: tg.cat, Now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC),
		Caller: &plan.Caller{UserID: user, BusinessUnitID: findUser(m, user).BusinessUnitID}}
	if m != nil {
		c, err := security.Compile(cloneModel(t, m))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Session(security.Principal{UserID: user})
		if err != nil {
			t.Fatal(err)
		}
		opt.Security = plan.ModelSecurity{Session: s}
	}
	q, err := a.parse(tg.cat)
	if err != nil {
		return "parse error " + string(diag.CodeOf(err)) + ": " + err.Error()
	}
	p, err := plan.Build(q, opt)
	if err != nil {
		return "plan error " + string(diag.CodeOf(err)) + ": " + err.Error()
	}
	res, err := tg.db.Exec(context.Background(), p)
	if err != nil {
		return "exec error " + string(diag.CodeOf(err)) + ": " + err.Error()
	}
	rows := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = fmt.Sprint(r)
	}
	if lookupNameOrder[a.name] {
		sorted(rows)
	}
	return fmt.Sprintf("%v %v more=%v count=%v/%d/%v", res.Columns, rows, res.MoreRecords,
		res.CountRequested, res.TotalRecordCount, res.TotalRecordCountLimitExceeded)
}

// redTeamAttacks are the queries of the non-interference test.
var redTeamAttacks = []attack{
	// Links of every type and position.
	{"outer link", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/><attribute name="birthdate"/></link-entity><order attribute="accountid"/></entity></fetch>`},
	{"inner link filtered", "fx", `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a"><filter><condition attribute="name" operator="like" value="%a%"/></filter></link-entity><order attribute="contactid"/></entity></fetch>`},
	{"nested links", "fx", `<fetch><entity name="opportunity"><attribute name="opportunityid"/><link-entity name="account" from="accountid" to="customerid" alias="a" link-type="outer"><attribute name="name"/><link-entity name="contact" from="contactid" to="primarycontactid" alias="c" link-type="outer"><attribute name="fullname"/></link-entity></link-entity><order attribute="opportunityid"/></entity></fetch>`},
	{"exists on link name", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="opportunity" from="customerid" to="accountid" link-type="exists"><filter><condition attribute="estimatedvalue" operator="gt" value="1000"/></filter></link-entity><order attribute="accountid"/></entity></fetch>`},
	{"in link", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="opportunity" from="customerid" to="accountid" link-type="in"><filter><condition attribute="name" operator="like" value="%e%"/></filter></link-entity><order attribute="accountid"/></entity></fetch>`},
	{"any", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="any"><filter><condition attribute="fullname" operator="like" value="%a%"/></filter></link-entity></filter><order attribute="accountid"/></entity></fetch>`},
	{"not any", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="not any"><filter><condition attribute="fullname" operator="like" value="%a%"/></filter></link-entity></filter><order attribute="accountid"/></entity></fetch>`},
	{"all", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="all"><filter><condition attribute="fullname" operator="like" value="%a%"/></filter></link-entity></filter><order attribute="accountid"/></entity></fetch>`},
	{"not all", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="not all"><filter><condition attribute="fullname" operator="like" value="%a%"/></filter></link-entity></filter><order attribute="accountid"/></entity></fetch>`},
	{"cross apply", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="contact" from="parentcustomerid" to="accountid" alias="c" link-type="matchfirstrowusingcrossapply"><attribute name="fullname"/></link-entity><order attribute="accountid"/></entity></fetch>`},
	{"link in filter of link", "fx", `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"><attribute name="name"/><filter><link-entity name="opportunity" from="customerid" to="accountid" link-type="any"><filter><condition attribute="name" operator="like" value="%a%"/></filter></link-entity></filter></link-entity><order attribute="contactid"/></entity></fetch>`},
	// valueof and entityname.
	{"valueof link column", "fx", `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"/><filter><condition attribute="fullname" operator="ne" valueof="a.name"/></filter><order attribute="contactid"/></entity></fetch>`},
	{"valueof hidden", "fx", `<fetch><entity name="opportunity"><attribute name="opportunityid"/><link-entity name="account" from="accountid" to="customerid" alias="a"/><filter><condition attribute="estimatedvalue" operator="lt" valueof="a.revenue"/></filter></entity></fetch>`},
	{"valueof unreadable row", "fx", `<fetch><entity name="opportunity"><attribute name="opportunityid"/><link-entity name="account" from="accountid" to="customerid" alias="a" link-type="outer"/><filter type="or"><condition attribute="name" operator="ne" valueof="a.name"/><condition entityname="a" attribute="numberofemployees" operator="null"/></filter><order attribute="opportunityid"/></entity></fetch>`},
	{"entityname outer", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"/><filter type="or"><condition entityname="pc" attribute="fullname" operator="like" value="%a%"/><condition entityname="pc" attribute="contactid" operator="null"/></filter><order attribute="accountid"/></entity></fetch>`},
	{"entityname hidden", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"/><filter><condition entityname="pc" attribute="birthdate" operator="lt" value="1990-01-01"/></filter></entity></fetch>`},
	{"valueof between links", "fx", `<fetch><entity name="opportunity"><attribute name="opportunityid"/><link-entity name="account" from="accountid" to="customerid" alias="a" link-type="outer"><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"/></link-entity><filter><condition entityname="a" attribute="name" operator="ne" valueof="pc.fullname"/></filter><order attribute="opportunityid"/></entity></fetch>`},
	{"root order on link hidden", "fx", `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"/><order entityname="pc" attribute="birthdate" descending="true"/><order attribute="accountid"/></entity></fetch>`},
	// Orders.
	{"order link column", "fx", `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"><order attribute="name"/></link-entity><order attribute="contactid"/></entity></fetch>`},
	{"order hidden", "fx", `<fetch><entity name="account"><attribute name="accountid"/><order attribute="revenue" descending="true"/><order attribute="accountid"/></entity></fetch>`},
	// Aggregates.
	{"count", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`},
	{"min max avg hidden", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="mn" aggregate="min"/><attribute name="revenue" alias="mx" aggregate="max"/><attribute name="revenue" alias="av" aggregate="avg"/><attribute name="revenue" alias="cc" aggregate="countcolumn"/></entity></fetch>`},
	{"countcolumn distinct hidden", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="d" aggregate="countcolumn" distinct="true"/></entity></fetch>`},
	{"groupby hidden", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="r" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`},
	{"date grouping hidden", "fx", `<fetch aggregate="true"><entity name="contact"><attribute name="birthdate" alias="y" groupby="true" dategrouping="year"/><attribute name="contactid" alias="n" aggregate="count"/></entity></fetch>`},
	{"aggregate over link", "fx", `<fetch aggregate="true"><entity name="contact"><link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"><attribute name="name" alias="an" groupby="true"/><attribute name="numberofemployees" alias="s" aggregate="sum"/></link-entity><attribute name="contactid" alias="n" aggregate="count"/></entity></fetch>`},
	{"aggregate limit", "fx", `<fetch aggregate="true" aggregatelimit="10"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`},
	{"aggregate limit on link", "fx", `<fetch aggregate="true" aggregatelimit="40"><entity name="contact"><attribute name="contactid" alias="n" aggregate="count"/><link-entity name="opportunity" from="customerid" to="parentcustomerid" alias="o" link-type="outer"/></entity></fetch>`},
	{"aggregate hidden on link", "fx", `<fetch aggregate="true"><entity name="opportunity"><attribute name="opportunityid" alias="n" aggregate="count"/><link-entity name="account" from="accountid" to="customerid" alias="a" link-type="outer"><attribute name="revenue" alias="m" aggregate="max"/><attribute name="revenue" alias="g" groupby="true"/></link-entity></entity></fetch>`},
	{"ne hidden", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="revenue" operator="ne" value="5"/></filter><order attribute="accountid"/></entity></fetch>`},
	{"between hidden", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter type="or"><condition attribute="revenue" operator="between"><value>0</value><value>1000000000</value></condition><condition attribute="revenue" operator="null"/></filter><order attribute="accountid"/></entity></fetch>`},
	{"distinct order hidden", "fx", `<fetch distinct="true"><entity name="account"><attribute name="revenue"/><attribute name="numberofemployees"/><order attribute="revenue"/><order attribute="numberofemployees"/></entity></fetch>`},
	{"big in list", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="name" operator="in">` + bigInList() + `</condition></filter><order attribute="accountid"/></entity></fetch>`},
	{"all attributes", "fx", `<fetch><entity name="account"><all-attributes/><link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><all-attributes/></link-entity><order attribute="accountid"/></entity></fetch>`},
	{"order by alias of hidden", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="r" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/><order alias="r"/></entity></fetch>`},
	// Paging and counts.
	{"total count", "fx", `<fetch returntotalrecordcount="true" count="1"><entity name="account"><attribute name="accountid"/><order attribute="accountid"/></entity></fetch>`},
	{"page beyond", "fx", `<fetch count="2" page="50" returntotalrecordcount="true"><entity name="account"><attribute name="accountid"/><order attribute="accountid"/></entity></fetch>`},
	{"top distinct", "fx", `<fetch top="50" distinct="true"><entity name="contact"><attribute name="parentcustomerid"/><order attribute="parentcustomerid"/></entity></fetch>`},
	{"distinct over link", "fx", `<fetch distinct="true"><entity name="contact"><link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"><attribute name="name"/></link-entity></entity></fetch>`},
	// Patterns and lists.
	{"hidden not-null", "fx", `<fetch><entity name="contact"><attribute name="contactid"/><filter><condition attribute="birthdate" operator="not-null"/></filter></entity></fetch>`},
	{"like class", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="name" operator="like" value="[A-M]%"/></filter><order attribute="accountid"/></entity></fetch>`},
	{"identity", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter type="or"><condition attribute="ownerid" operator="eq-useroruserteams"/><condition attribute="ownerid" operator="eq-useroruserhierarchy"/><condition attribute="owningbusinessunit" operator="eq-businessid"/></filter><order attribute="accountid"/></entity></fetch>`},
	// Hierarchy (values of unreadable rows; their parent links are left as they are).
	{"under", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="accountid" operator="under" value="acc00000-0000-4000-8000-000000000005"/></filter><order attribute="accountid"/></entity></fetch>`},
	{"eq-or-above", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="accountid" operator="eq-or-above" value="acc00000-0000-4000-8000-000000000004"/></filter><order attribute="accountid"/></entity></fetch>`},
	// QueryExpression.
	{"qe compare columns", "qe", `{"EntityName":"contact","ColumnSet":{"Columns":["contactid"]},"Criteria":{"Conditions":[{"AttributeName":"birthdate","Operator":"GreaterThan","Values":["createdon"],"CompareColumns":true}]}}`},
	{"qe paging count", "qe", `{"EntityName":"account","ColumnSet":{"Columns":["accountid"]},"Distinct":true,"PageInfo":{"Count":3,"PageNumber":2,"ReturnTotalRecordCount":true},"Orders":[{"AttributeName":"accountid"}]}`},
	{"qe all columns", "qe", `{"EntityName":"contact","ColumnSet":{"AllColumns":true},"Orders":[{"AttributeName":"contactid"}]}`},
	{"qe link", "qe", `{"EntityName":"contact","ColumnSet":{"Columns":["contactid"]},"LinkEntities":[{"LinkToEntityName":"account","LinkFromAttributeName":"parentcustomerid","LinkToAttributeName":"accountid","JoinOperator":"LeftOuter","EntityAlias":"a","Columns":{"Columns":["name","revenue"]}}],"Orders":[{"AttributeName":"contactid"}]}`},
	// OData.
	{"odata expand", "odata", `contacts?$select=contactid&$expand=parentcustomerid_account($select=name,revenue)&$orderby=contactid`},
	{"odata any", "odata", `accounts?$select=accountid&$filter=contact_customer_accounts/any(c:contains(c/fullname,'a'))&$orderby=accountid`},
	{"odata all", "odata", `accounts?$select=accountid&$filter=contact_customer_accounts/all(c:contains(c/fullname,'a'))&$orderby=accountid`},
	{"odata apply", "odata", `accounts?$apply=groupby((revenue),aggregate($count as n))`},
	{"odata aggregate", "odata", `accounts?$apply=aggregate(revenue with max as m)`},
	{"odata count", "odata", `accounts?$count=true&$top=1&$select=accountid&$orderby=accountid`},
	{"odata orderby nav", "odata", `contacts?$select=contactid&$orderby=parentcustomerid_account/name,contactid`},
	{"odata collection expand", "odata", `accounts?$select=accountid&$expand=contact_customer_accounts($select=fullname,birthdate)&$orderby=accountid`},
	{"odata lambda on hidden", "odata", `accounts?$select=accountid&$filter=contact_customer_accounts/any(c:c/birthdate lt 1990-01-01)&$orderby=accountid`},
	{"odata apply filter hidden", "odata", `accounts?$apply=filter(revenue gt 0)/aggregate($count as n)`},
	{"odata groupby nav", "odata", `contacts?$apply=groupby((parentcustomerid_account/name),aggregate($count as n))`},
	{"odata count filter hidden", "odata", `accounts?$count=true&$filter=revenue gt 100000&$select=accountid&$top=1`},
	{"odata count lambda", "odata", `accounts?$select=accountid&$filter=contact_customer_accounts/$count gt 0&$orderby=accountid`},
	{"odata functions on hidden", "odata", `contacts?$select=contactid&$filter=birthdate ge 1990-01-01 or contains(fullname,'a') and birthdate ne null&$orderby=contactid`},
	{"odata orderby hidden", "odata", `accounts?$select=accountid,revenue&$orderby=revenue desc,accountid`},
	{"odata search", "odata", `accounts?$select=accountid&$search=contoso&$orderby=accountid`},
	{"odata nav function", "odata", `contacts?$select=contactid&$filter=startswith(parentcustomerid_account/name,'C')&$orderby=contactid`},
	{"odata filter nav", "odata", `contacts?$select=contactid&$filter=parentcustomerid_account/name ne null&$orderby=contactid`},
}

// scramble changes every value user may not read: all non-key columns of
// unreadable account, contact and opportunity rows (and, with lookups,
// their lookups too), and the hidden columns of every row. Owner, owning
// business unit and keys stay, so readability does not move.
func scramble(t *testing.T, tg secTarget, m *security.Model, user string, mode string) {
	t.Helper()
	ctx := context.Background()
	q := func(s string) string {
		if tg.db.Dialect == engine.MySQL {
			return "`" + s + "`"
		}
		return `"` + s + `"`
	}
	mark := func(n int) string {
		if tg.db.Dialect == engine.Postgres {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	exec := func(s string, args ...any) {
		if _, err := tg.db.SQL.ExecContext(ctx, s, args...); err != nil {
			t.Fatalf("%s: %s: %v", tg.name, s, err)
		}
	}
	sets := map[string][]string{
		"account": {"name = 'Zz hidden'", "accountnumber = 'X-0'", "address1_city = 'Nowhere'", "revenue = 987654321",
			"numberofemployees = 777777", "statecode = 1 - statecode", "new_contractend = createdon", "description = 'secret'"},
		"contact": {"fullname = 'Aa hidden'", "firstname = 'A'", "emailaddress1 = 'x@y'", "birthdate = createdon"},
		"opportunity": {"name = 'Ea hidden'", "estimatedvalue = 5000000", "closeprobability = 99",
			"estimatedclosedate = createdon"},
	}
	if mode == "lookups" {
		sets["account"] = append(sets["account"], "primarycontactid = NULL")
		sets["contact"] = append(sets["contact"], "parentcustomerid = 'acc00000-0000-4000-8000-000000000001'")
		sets["opportunity"] = append(sets["opportunity"], "customerid = 'acc00000-0000-4000-8000-000000000001'")
	}
	hidden := map[string][]string{"account": {"revenue = 123123123"}, "contact": {"birthdate = createdon"}}
	for _, table := range []string{"account", "contact", "opportunity"} {
		tab, _ := tg.cat.Table(table)
		rows, err := run(t, tg, nil, security.Principal{}, `<fetch><entity name="`+table+`"><attribute name="`+table+`id"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/></entity></fetch>`)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range hidden[table] {
			if !canReadColumn(m, user, table, strings.Fields(col)[0]) {
				exec("UPDATE " + q(tab.PhysicalName) + " SET " + col)
			}
		}
		for _, r := range rows {
			key := str(r, table+"id")
			if ok, _ := canRead(m, user, table, key, str(r, "ownerid"), str(r, "owningbusinessunit")); ok {
				continue
			}
			if mode == "delete" {
				exec("DELETE FROM "+q(tab.PhysicalName)+" WHERE "+q(table+"id")+" = "+mark(1), key)
				continue
			}
			exec("UPDATE "+q(tab.PhysicalName)+" SET "+strings.Join(sets[table], ", ")+" WHERE "+q(table+"id")+" = "+mark(1), key)
		}
	}
}

// TestRedTeamNonInterference: no attack's outcome moves when the values a
// low-privilege user may not read change.
func TestRedTeamNonInterference(t *testing.T) {
	m := sampleModel(t)
	for _, mode := range []string{"values", "lookups", "delete"} {
		for _, user := range redTeamUsers {
			for _, tg := range secTargets(t) {
				if mode == "delete" && tg.name != "sqlite" {
					continue // the fixtures' foreign keys keep referenced rows; SQLite's sample has none
				}
				before := make([]string, len(redTeamAttacks))
				for i, a := range redTeamAttacks {
					before[i] = outcome(t, tg, m, user, a)
				}
				scramble(t, tg, m, user, mode)
				for i, a := range redTeamAttacks {

					if got := outcome(t, tg, m, user, a); got != before[i] {
						t.Errorf("%s, %s, %s, %s: changing unreadable values changed the outcome:\nbefore %s\nafter  %s", tg.name, user, mode, a.name, before[i], got)
					}
				}
			}
		}
	}
}

// TestRedTeamVerifier: plans built as a low-privilege user, then damaged as
// a builder bug would damage them; Verify rejects every one.
func TestRedTeamVerifier(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	s := sampleSession(t, priya)
	const src = `<fetch><entity name="account"><attribute name="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/></link-entity>
<filter><link-entity name="opportunity" from="customerid" to="accountid" link-type="any" alias="o"/></filter></entity></fetch>`
	fresh := func() *plan.Plan {
		p, err := buildAs(t, cat, s, src)
		if err != nil {
			t.Fatal(err)
		}
		if err := plan.Verify(p); err != nil {
			t.Fatalf("a built plan fails verification: %v", err)
		}
		return p
	}
	subquery := func(p *plan.Plan) *plan.DataSource {
		var found *plan.DataSource
		var walk func(plan.Expr)
		walk = func(e plan.Expr) {
			switch e := e.(type) {
			case *plan.And:
				for _, x := range e.Terms {
					walk(x)
				}
			case *plan.Or:
				for _, x := range e.Terms {
					walk(x)
				}
			case *plan.Exists:
				found = e.Source
			}
		}
		walk(p.Root.Filter)
		if found == nil {
			t.Fatalf("no any subquery in %s", plan.Format(p))
		}
		return found
	}
	other := fresh()
	for _, c := range []struct {
		name, mentions string
		damage         func(p *plan.Plan)
	}{
		{"root without filter", "no security filter", func(p *plan.Plan) { p.Root.Security = nil }},
		{"outer link without filter", "no security filter", func(p *plan.Plan) { p.Root.Joins[0].Security = nil }},
		{"subquery source without filter", "no security filter", func(p *plan.Plan) { subquery(p).Security = nil }},
		{"filter without predicate", "without a predicate", func(p *plan.Plan) { p.Root.Security.Expr = nil }},
		{"security filter of another source", "another source", func(p *plan.Plan) {
			pc := p.Root.Joins[0]
			name, _ := p.Root.Table.Column("name")
			pc.Security.Expr = &plan.IsNull{Col: &plan.ColumnRef{Source: p.Root, Column: name}}
		}},
		{"policy-query source used by the caller", "outside a security filter", func(p *plan.Plan) { subquery(p).Security.Internal = true }},
		{"hidden join key not denied", "joined on a hidden column", func(p *plan.Plan) {
			pc := p.Root.Joins[0]
			pc.Security.Hidden = append(pc.Security.Hidden, pc.Child)
		}},
		{"output from another plan's source", "outside the plan", func(p *plan.Plan) { p.Columns[0].Source = other.Root }},
		{"order on another plan's source", "outside the plan", func(p *plan.Plan) {
			name, _ := other.Root.Table.Column("name")
			p.Orders = append(p.Orders, &plan.SortKey{Column: &plan.ColumnRef{Source: other.Root, Column: name}})
		}},
		{"security switched off with filters left", "security off", func(p *plan.Plan) { p.Security = plan.SecurityOff }},
		{"under walking the table unsecured", "without a security filter", func(p *plan.Plan) {
			id, _ := p.Root.Table.Column("accountid")
			p.Root.Filter = &plan.Hierarchy{Col: &plan.ColumnRef{Source: p.Root, Column: id}, Rel: p.Root.Table.Hierarchy(), Table: p.Root.Table,
				Anchor: &plan.Value{Kind: plan.KGuid, V: "acc00000-0000-4000-8000-000000000001"}}
		}},
		{"under walking another table", "walks table", func(p *plan.Plan) {
			id, _ := p.Root.Table.Column("accountid")
			contact, _ := cat.Table("contact")
			p.Root.Filter = &plan.Hierarchy{Col: &plan.ColumnRef{Source: p.Root, Column: id}, Rel: p.Root.Table.Hierarchy(), Table: contact,
				Anchor: &plan.Value{Kind: plan.KGuid, V: "acc00000-0000-4000-8000-000000000001"}}
			p.Root.Security.Expr = &plan.Const{Value: true}
		}},
	} {
		p := fresh()
		c.damage(p)
		if err := plan.Verify(p); err == nil || !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: Verify gave %v, want an error mentioning %q", c.name, err, c.mentions)
		}
	}
}

// bigInList is 2,500 values: the names of every sample account among
// generated ones, well over one security list's 2,000.
func bigInList() string {
	var b strings.Builder
	for i := range 2500 {
		fmt.Fprintf(&b, "<value>Account %d</value>", i)
	}
	for _, n := range []string{"Contoso Ltd", "Fabrikam, Inc.", "Zz hidden", "Adventure Works", "Litware, Inc."} {
		fmt.Fprintf(&b, "<value>%s</value>", n)
	}
	return b.String()
}

// TestRedTeamCountChildrenAccepted pins an accepted disclosure:
// rowaggregate="CountChildren" counts children the caller cannot read, as
// Dataverse documents (spec fetchxml.md §1.3). Priya reads Contoso Ltd but
// neither of its two children.
func TestRedTeamCountChildrenAccepted(t *testing.T) {
	m := sampleModel(t)
	tg := secTargets(t)[0]
	got := outcome(t, tg, m, priya, attack{"count children", "fx", `<fetch><entity name="account"><attribute name="accountid"/><attribute name="accountid" alias="kids" rowaggregate="CountChildren"/><filter><condition attribute="accountid" operator="eq" value="acc00000-0000-4000-8000-000000000001"/></filter></entity></fetch>`})
	if !strings.Contains(got, "{kids 2}") {
		t.Errorf("CountChildren of Contoso Ltd as Priya: %s, want 2 (both children unreadable)", got)
	}
	for _, child := range []string{"acc00000-0000-4000-8000-000000000002", "acc00000-0000-4000-8000-000000000003"} {
		if out := outcome(t, tg, m, priya, attack{"child", "fx", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="accountid" operator="eq" value="` + child + `"/></filter></entity></fetch>`}); !strings.Contains(out, "[accountid] []") {
			t.Errorf("Priya reads child %s: %s", child, out)
		}
	}
}

// TestRedTeamNilSession: security asked for without a session refuses the
// query (VE3001) rather than panic or run unsecured.
func TestRedTeamNilSession(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat, Security: plan.ModelSecurity{}})
	if p != nil || diag.CodeOf(err) != diag.SecurityDenied {
		t.Errorf("nil session: plan %v, error %v; want %s", p != nil, err, diag.SecurityDenied)
	}
}

// TestRedTeamHierarchyWalksReadableRows: under / above walk their own
// secured instance of the table, in a link's filter as on the root, so an
// unreadable row never links two readable ones. Priya reads Contoso Ltd
// but neither of its children: under Contoso finds nothing for her, and
// both children for the organization-wide account reader.
func TestRedTeamHierarchyWalksReadableRows(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	const inLink = `<fetch><entity name="contact"><attribute name="contactid"/><filter><link-entity name="account" from="accountid" to="parentcustomerid" link-type="any"><filter><condition attribute="accountid" operator="under" value="acc00000-0000-4000-8000-000000000001"/></filter></link-entity></filter></entity></fetch>`
	const reader = "aa000000-0000-4000-8000-000000000008"
	for _, user := range []string{priya, reader} {
		p, err := buildAs(t, cat, sampleSession(t, user), inLink)
		if err != nil {
			t.Fatalf("under in an any link as %s: %v", user, err)
		}
		if !strings.Contains(plan.Format(p), "walking xds_walk1") {
			t.Errorf("under in an any link as %s: the plan shows no secured walk:\n%s", user, plan.Format(p))
		}
	}
	m := sampleModel(t)
	tg := secTargets(t)[0]
	const under = `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="accountid" operator="under" value="acc00000-0000-4000-8000-000000000001"/></filter><order attribute="accountid"/></entity></fetch>`
	if got := outcome(t, tg, m, priya, attack{"under", "fx", under}); !strings.Contains(got, "[accountid] []") {
		t.Errorf("under Contoso as Priya (children unreadable): %s, want no rows", got)
	}
	got := outcome(t, tg, m, reader, attack{"under", "fx", under})
	for _, child := range []string{"acc00000-0000-4000-8000-000000000002", "acc00000-0000-4000-8000-000000000003"} {
		if !strings.Contains(got, child) {
			t.Errorf("under Contoso as the organization-wide reader: %s, want child %s", got, child)
		}
	}
}
