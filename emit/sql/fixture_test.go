package sql

import (
	"fmt"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// fixture is the test catalog: account (hierarchical), contact, note.
// Physical table names carry a prefix so execution tests get their own
// tables in shared databases.
type fixture struct {
	account, contact, note *plan.Table
}

func newFixture(prefix string) *fixture {
	account := plan.NewTable(plan.Table{
		LogicalName: "account", PhysicalName: prefix + "account", PrimaryKey: "accountid", PrimaryName: "name",
		Columns: []*plan.Column{
			{LogicalName: "accountid", Type: plan.TUniqueidentifier},
			{LogicalName: "name", Type: plan.TString},
			{LogicalName: "city", Type: plan.TString},
			{LogicalName: "revenue", Type: plan.TMoney},
			{LogicalName: "employees", Type: plan.TInteger},
			{LogicalName: "createdon", Type: plan.TDateTime},
			{LogicalName: "parentaccountid", Type: plan.TLookup, Targets: []string{"account"}},
			{LogicalName: "tags", Type: plan.TMultiSelectPicklist},
			{LogicalName: "isactive", Type: plan.TBoolean},
			{LogicalName: "primarycontactid", Type: plan.TLookup, Targets: []string{"contact"}},
		},
		Relationships: []*plan.Relationship{{
			SchemaName: "account_parent_account", ReferencedTable: "account", ReferencedColumn: "accountid",
			ReferencingTable: "account", ReferencingColumn: "parentaccountid", Hierarchical: true,
		}},
	})
	contact := plan.NewTable(plan.Table{
		LogicalName: "contact", PhysicalName: prefix + "contact", PrimaryKey: "contactid", PrimaryName: "fullname",
		Columns: []*plan.Column{
			{LogicalName: "contactid", Type: plan.TUniqueidentifier},
			{LogicalName: "parentcustomerid", Type: plan.TCustomer},
			{LogicalName: "fullname", Type: plan.TString},
			{LogicalName: "lastname", Type: plan.TString},
			{LogicalName: "rank", Type: plan.TInteger},
			{LogicalName: "birthdate", Type: plan.TDateTime, DateBehavior: plan.DateOnly},
		},
	})
	note := plan.NewTable(plan.Table{
		LogicalName: "note", PhysicalName: prefix + "note", PrimaryKey: "noteid",
		Columns: []*plan.Column{
			{LogicalName: "noteid", Type: plan.TUniqueidentifier},
			{LogicalName: "contactid", Type: plan.TLookup},
			{LogicalName: "subject", Type: plan.TString},
		},
	})
	return &fixture{account: account, contact: contact, note: note}
}

func root(name string, t *plan.Table) *plan.DataSource {
	return &plan.DataSource{Name: name, Table: t, Join: plan.JoinRoot}
}

// link joins child under parent on parent.to = child.from.
func link(parent *plan.DataSource, kind plan.JoinKind, name string, t *plan.Table, from, to string) *plan.DataSource {
	ds := &plan.DataSource{Name: name, Table: t, Join: kind, Parent: ref(parent, to), Child: column(t, from)}
	switch kind {
	case plan.JoinOuter:
		ds.LinkType = ast.Outer
	case plan.JoinFirstRow:
		ds.LinkType = ast.MatchFirstRowUsingCrossApply
	case plan.JoinSubquery:
		ds.LinkType = ast.Exists
	}
	if kind != plan.JoinSubquery {
		parent.Joins = append(parent.Joins, ds)
	}
	return ds
}

func column(t *plan.Table, name string) *plan.Column {
	c, ok := t.Column(name)
	if !ok {
		panic(fmt.Sprintf("no column %s.%s", t.LogicalName, name))
	}
	return c
}

func ref(ds *plan.DataSource, col string) *plan.ColumnRef {
	return &plan.ColumnRef{Source: ds, Column: column(ds.Table, col)}
}

func out(ds *plan.DataSource, col string) *plan.OutputColumn {
	name := col
	if ds.Join != plan.JoinRoot {
		name = ds.Name + "." + col
	}
	return &plan.OutputColumn{Name: name, Source: ds, Column: column(ds.Table, col)}
}

func outs(ds *plan.DataSource, cols ...string) []*plan.OutputColumn {
	var r []*plan.OutputColumn
	for _, c := range cols {
		r = append(r, out(ds, c))
	}
	return r
}

func str(s string) *plan.Value      { return &plan.Value{Kind: plan.KString, V: s} }
func num(n int64) *plan.Value       { return &plan.Value{Kind: plan.KInt, V: n} }
func dec(s string) *plan.Value      { return &plan.Value{Kind: plan.KDecimal, V: s} }
func boolean(b bool) *plan.Value    { return &plan.Value{Kind: plan.KBool, V: b} }
func guid(s string) *plan.Value     { return &plan.Value{Kind: plan.KGuid, V: s} }
func dt(t time.Time) *plan.Value    { return &plan.Value{Kind: plan.KDateTime, V: t} }
func and(x ...plan.Expr) *plan.And  { return &plan.And{Terms: x} }
func or(x ...plan.Expr) *plan.Or    { return &plan.Or{Terms: x} }
func not(x plan.Expr) *plan.Not     { return &plan.Not{X: x} }
func notTrue(x plan.Expr) plan.Expr { return &plan.NotTrue{X: x} }

func eq(r *plan.ColumnRef, v plan.Operand) *plan.Compare {
	return &plan.Compare{Op: plan.Eq, Left: r, Right: v}
}

func cmp(op plan.CmpOp, r *plan.ColumnRef, v plan.Operand) *plan.Compare {
	return &plan.Compare{Op: op, Left: r, Right: v}
}

func foldEq(r *plan.ColumnRef, s string) *plan.Compare {
	return &plan.Compare{Op: plan.Eq, Left: r, Right: str(s), Fold: true}
}

func in(r *plan.ColumnRef, fold bool, vals ...*plan.Value) *plan.InList {
	return &plan.InList{Col: r, Values: vals, Fold: fold}
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func zone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// parsePattern parses a T-SQL LIKE pattern into a plan.Pattern (test-only
// stand-in for the planner's parser).
func parsePattern(s string) plan.Pattern {
	var p plan.Pattern
	lit := func(r rune) {
		if n := len(p); n > 0 && p[n-1].Kind == plan.PatLiteral {
			p[n-1].Lit += string(r)
			return
		}
		p = append(p, plan.PatternElem{Kind: plan.PatLiteral, Lit: string(r)})
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '%':
			p = append(p, plan.PatternElem{Kind: plan.PatAnyRun})
		case '_':
			p = append(p, plan.PatternElem{Kind: plan.PatAnyOne})
		case '[':
			j := i + 1
			neg := false
			if j < len(rs) && rs[j] == '^' {
				neg = true
				j++
			}
			k := j
			for k < len(rs) && (rs[k] != ']' || k == j) {
				k++
			}
			if k >= len(rs) {
				lit('[')
				continue
			}
			members := string(rs[j:k])
			if !neg && len([]rune(members)) == 1 {
				lit(rs[j]) // [%] [_] [[] are literals
			} else {
				p = append(p, plan.PatternElem{Kind: plan.PatClass, Lit: members, Negated: neg})
			}
			i = k
		default:
			lit(r)
		}
	}
	return p
}

func like(r *plan.ColumnRef, pattern string) *plan.Like {
	return &plan.Like{Col: r, Pattern: parsePattern(pattern)}
}

// mediumPlan is the plan of /work/shared/bench/medium.xml, built by hand:
// opportunity with an inner link to account (and its owner, inner) and an
// outer link to contact, 10 conditions, an order and paging.
func mediumPlan() *plan.Plan {
	opp := plan.NewTable(plan.Table{LogicalName: "opportunity", PrimaryKey: "opportunityid", Columns: []*plan.Column{
		{LogicalName: "opportunityid", Type: plan.TUniqueidentifier},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "estimatedvalue", Type: plan.TMoney},
		{LogicalName: "closeprobability", Type: plan.TInteger},
		{LogicalName: "statecode", Type: plan.TState},
		{LogicalName: "estimatedclosedate", Type: plan.TDateTime},
		{LogicalName: "customerid", Type: plan.TCustomer},
		{LogicalName: "primarycontactid", Type: plan.TLookup},
	}})
	acc := plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "address1_city", Type: plan.TString},
		{LogicalName: "revenue", Type: plan.TMoney},
		{LogicalName: "ownerid", Type: plan.TOwner},
		{LogicalName: "primarycontactid", Type: plan.TLookup},
	}})
	user := plan.NewTable(plan.Table{LogicalName: "systemuser", PrimaryKey: "systemuserid", Columns: []*plan.Column{
		{LogicalName: "systemuserid", Type: plan.TUniqueidentifier},
		{LogicalName: "fullname", Type: plan.TString},
		{LogicalName: "isdisabled", Type: plan.TBoolean},
	}})
	con := plan.NewTable(plan.Table{LogicalName: "contact", PrimaryKey: "contactid", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier},
		{LogicalName: "fullname", Type: plan.TString},
		{LogicalName: "lastname", Type: plan.TString},
	}})
	o := root("opportunity", opp)
	a := link(o, plan.JoinInner, "a", acc, "accountid", "customerid")
	u := link(a, plan.JoinInner, "o", user, "systemuserid", "ownerid")
	c := link(o, plan.JoinOuter, "c", con, "contactid", "primarycontactid")
	now := time.Date(2024, 8, 17, 13, 20, 0, 0, time.UTC)
	o.Filter = and(
		eq(ref(o, "statecode"), num(0)),
		cmp(plan.Gt, ref(o, "estimatedvalue"), dec("10000")),
		&plan.Like{Col: ref(o, "name"), Pattern: plan.Pattern{{Kind: plan.PatAnyRun}, {Kind: plan.PatLiteral, Lit: "deal"}, {Kind: plan.PatAnyRun}}},
		or(
			cmp(plan.Ge, ref(o, "closeprobability"), num(50)),
			and(cmp(plan.Ge, ref(o, "estimatedclosedate"), dt(now)), cmp(plan.Lt, ref(o, "estimatedclosedate"), dt(time.Date(2024, 9, 17, 0, 0, 0, 0, time.UTC)))),
		),
	)
	a.Filter = and(in(ref(a, "address1_city"), true, str("Seattle"), str("Paris")), &plan.IsNull{Col: ref(a, "revenue"), Not: true})
	u.Filter = and(eq(ref(u, "isdisabled"), boolean(false)), &plan.IsNull{Col: ref(u, "fullname"), Not: true})
	c.Filter = or(&plan.Compare{Op: plan.Ne, Left: ref(c, "lastname"), Right: str("Smith"), Fold: true}, &plan.IsNull{Col: ref(c, "lastname")})
	p := &plan.Plan{
		Root: o,
		Columns: []*plan.OutputColumn{
			out(o, "opportunityid"), out(o, "name"), out(o, "estimatedvalue"), out(o, "closeprobability"),
			out(a, "name"), out(u, "fullname"), out(c, "fullname"),
		},
		Orders: []*plan.SortKey{
			{Column: ref(o, "estimatedvalue"), Desc: true},
			{Column: ref(o, "opportunityid")},
		},
		PageSize: 50, PageNumber: 2,
	}
	return p
}
