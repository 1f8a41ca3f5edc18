package sql

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// goldenCase is one hand-built plan; count selects EmitCount, aggInput
// EmitAggregateInput.
type goldenCase struct {
	name     string
	count    bool
	aggInput bool
	// accentSensitive emits the plan with accents significant
	// (plan.Plan.AccentSensitive).
	accentSensitive bool
	build           func(f *fixture) *plan.Plan
}

var goldenCases = []goldenCase{
	{name: "medium", build: func(*fixture) *plan.Plan { return mediumPlan() }},
	{name: "medium_count", count: true, build: func(*fixture) *plan.Plan { return mediumPlan() }},
	{name: "top_order", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = foldEq(ref(a, "name"), "Contoso")
		return &plan.Plan{Root: a, Columns: outs(a, "accountid", "name"), Top: 10,
			Orders: []*plan.SortKey{{Column: ref(a, "employees")}, {Column: ref(a, "revenue"), Desc: true}}}
	}},
	// The root ordered and limited before its outer to-one joins
	// (plan.Plan.RootFirst): its WHERE (security first), a folded string
	// key and a lookup's name key listed in the derived table, sorted
	// again outside by the listed terms.
	{name: "root_first_top", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Security = &plan.SecurityFilter{Expr: cmp(plan.Gt, ref(a, "employees"), num(5)), Policies: []string{"role:reader"}}
		a.Filter = foldEq(ref(a, "city"), "Paris")
		pc := link(a, plan.JoinOuter, "pc", f.contact, "contactid", "primarycontactid")
		pc.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(pc, "rank"), num(5)), Policies: []string{"role:reader"}}
		return &plan.Plan{Root: a, Columns: append(outs(a, "accountid", "name"), out(pc, "fullname")), Top: 10, Security: plan.SecurityOn, RootFirst: true,
			Orders: []*plan.SortKey{{Column: ref(a, "name"), Desc: true}, {Column: ref(a, "primarycontactid"), By: plan.SortName, Targets: []*plan.Table{f.contact}, Names: []plan.NameAccess{{}}}, {Column: ref(a, "accountid")}}}
	}},
	// A page of a keyset continuation root first: the continuation and
	// the page inside the derived table.
	{name: "root_first_page_after", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		par := link(a, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "employees", "accountid"), out(par, "name")), PageSize: 50, PageNumber: 1, RootFirst: true,
			Orders: []*plan.SortKey{{Column: ref(a, "employees")}, {Column: ref(a, "accountid")}}, After: []*plan.Value{num(7), guid("aaaaaaaa-0000-0000-0000-000000000004")}}
	}},
	{name: "root_first_page2", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		par := link(a, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "employees", "accountid"), out(par, "name")), PageSize: 50, PageNumber: 2, RootFirst: true,
			Orders: []*plan.SortKey{{Column: ref(a, "employees"), Desc: true}, {Column: ref(a, "accountid")}}}
	}},
	// A collection-valued $expand's per-parent $skip/$top: a window per
	// foreign key, the filter (security's place) inside it.
	{name: "partition_limit", build: func(f *fixture) *plan.Plan {
		c := root("contact", f.contact)
		c.Filter = in(ref(c, "parentcustomerid"), false, guid("0A0B0C0D-0000-0000-0000-000000000001"), guid("0A0B0C0D-0000-0000-0000-000000000002"))
		p := &plan.Plan{Root: c, Columns: outs(c, "contactid", "fullname", "parentcustomerid"),
			Orders: []*plan.SortKey{{Column: ref(c, "rank"), Desc: true}, {Column: ref(c, "contactid")}}}
		wp, err := plan.LimitPerPartition(p, "parentcustomerid", 1, 2)
		if err != nil {
			panic(err)
		}
		wp.Top = 50001
		return wp
	}},
	// Without the parents' keys listed, the window on every dialect.
	{name: "partition_limit_window", build: func(f *fixture) *plan.Plan {
		c := root("contact", f.contact)
		c.Filter = cmp(plan.Lt, ref(c, "rank"), num(10))
		p := &plan.Plan{Root: c, Columns: outs(c, "contactid", "parentcustomerid"), Orders: []*plan.SortKey{{Column: ref(c, "contactid")}}}
		wp, err := plan.LimitPerPartition(p, "parentcustomerid", 0, 5)
		if err != nil {
			panic(err)
		}
		return wp
	}},
	// Secured, ordered by a folded string: the security filter stays inside
	// the per-parent subquery (or the window's derived table).
	{name: "partition_limit_secured", build: func(f *fixture) *plan.Plan {
		c := root("contact", f.contact)
		c.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(c, "rank"), num(10)), Policies: []string{"role:reader"}}
		c.Filter = and(foldEq(ref(c, "fullname"), "Ann"), in(ref(c, "parentcustomerid"), false, guid("0A0B0C0D-0000-0000-0000-000000000001")))
		p := &plan.Plan{Root: c, Columns: outs(c, "contactid", "parentcustomerid"), Security: plan.SecurityOn,
			Orders: []*plan.SortKey{{Column: ref(c, "fullname")}, {Column: ref(c, "contactid")}}}
		wp, err := plan.LimitPerPartition(p, "parentcustomerid", 0, 5)
		if err != nil {
			panic(err)
		}
		if err := plan.Verify(wp); err != nil {
			panic(err)
		}
		return wp
	}},
	// A keyset page's continuation: a row-value comparison of the ORDER
	// BY terms where every key ascends with a value and the dialect has row
	// values; otherwise (here: MySQL, SQL Server) the bound and the OR.
	{name: "keyset_after", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = cmp(plan.Gt, ref(a, "employees"), num(1))
		return &plan.Plan{Root: a, Columns: outs(a, "accountid", "name"), PageSize: 50, PageNumber: 1,
			Orders: []*plan.SortKey{{Column: ref(a, "name")}, {Column: ref(a, "employees")}, {Column: ref(a, "accountid")}},
			After:  []*plan.Value{str("Émile"), num(7), guid("0A0B0C0D-0000-0000-0000-000000000001")}}
	}},
	// A key repeated (its ORDER BY term dropped, its value kept): the OR.
	{name: "keyset_after_repeated", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid"), PageSize: 50, PageNumber: 1,
			Orders: []*plan.SortKey{{Column: ref(a, "employees")}, {Column: ref(a, "employees")}, {Column: ref(a, "accountid")}},
			After:  []*plan.Value{num(7), num(7), guid("0A0B0C0D-0000-0000-0000-000000000001")}}
	}},
	// A descending key and a NULL value: the OR on every dialect.
	{name: "keyset_after_desc_null", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid"), PageSize: 50, PageNumber: 1,
			Orders: []*plan.SortKey{{Column: ref(a, "city"), Desc: true}, {Column: ref(a, "name")}, {Column: ref(a, "accountid")}},
			After:  []*plan.Value{str("Paris"), nil, guid("0A0B0C0D-0000-0000-0000-000000000001")}}
	}},
	// After a NULL first value ascending: the whole continuation is the
	// OR, which no index seeks; its two parts (plan.Plan.AfterPart) are
	// each one range of the index on the ORDER BY terms, tested on the
	// first term (a string's sort key), security and filter kept.
	{name: "keyset_after_null_whole", build: func(f *fixture) *plan.Plan { return nullAfterPlan(f, plan.AfterWhole, false) }},
	{name: "keyset_after_null_range", build: func(f *fixture) *plan.Plan { return nullAfterPlan(f, plan.AfterNullRange, false) }},
	{name: "keyset_after_value_range", build: func(f *fixture) *plan.Plan { return nullAfterPlan(f, plan.AfterValueRange, false) }},
	{name: "keyset_after_null_range_root_first", build: func(f *fixture) *plan.Plan { return nullAfterPlan(f, plan.AfterNullRange, true) }},
	// A NULL after a value: (employees, name, id) after (7, NULL, id).
	{name: "keyset_after_later_null_range", build: func(f *fixture) *plan.Plan { return laterNullPlan(f, plan.AfterNullRange) }},
	{name: "keyset_after_later_value_range", build: func(f *fixture) *plan.Plan { return laterNullPlan(f, plan.AfterValueRange) }},
	{name: "keyset_after_later_rest", build: func(f *fixture) *plan.Plan { return laterNullPlan(f, plan.AfterRest) }},
	// Descending, a NULL sorts last: only the rest of the NULLs follow.
	{name: "keyset_after_null_desc", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid"), PageSize: 50, PageNumber: 1,
			Orders: []*plan.SortKey{{Column: ref(a, "name"), Desc: true}, {Column: ref(a, "employees")}, {Column: ref(a, "accountid")}},
			After:  []*plan.Value{nil, num(7), guid("0A0B0C0D-0000-0000-0000-000000000001")}}
	}},
	{name: "paging_no_order", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid"), PageSize: 25, PageNumber: 3}
	}},
	{name: "expressions", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = and(
			or(eq(ref(a, "employees"), num(1)), and(cmp(plan.Le, ref(a, "employees"), num(2)), cmp(plan.Ge, ref(a, "employees"), num(-3)))),
			not(or(cmp(plan.Lt, ref(a, "revenue"), dec("1.50")), cmp(plan.Gt, ref(a, "revenue"), ref(a, "employees")))),
			notTrue(foldEq(ref(a, "city"), "Seattle")),
			&plan.Const{Value: true}, &plan.Const{Value: false},
			and(), or(),
			&plan.Compare{Op: plan.Ne, Left: ref(a, "name"), Right: ref(a, "city"), Fold: true},
			&plan.IsNull{Col: ref(a, "city")}, &plan.IsNull{Col: ref(a, "city"), Not: true},
			in(ref(a, "city"), true, str("Paris"), str("London")),
			&plan.InList{Col: ref(a, "employees"), Values: []*plan.Value{num(1), num(2)}, Not: true},
			&plan.InList{Col: ref(a, "employees")}, &plan.InList{Col: ref(a, "employees"), Not: true},
			eq(ref(a, "isactive"), boolean(true)),
			eq(ref(a, "accountid"), guid("0A0B0C0D-0000-0000-0000-00000000000F")),
			cmp(plan.Ge, ref(a, "createdon"), dt(time.Date(2024, 3, 10, 4, 30, 0, 500000000, time.UTC))),
			cmp(plan.Lt, ref(a, "createdon"), dt(time.Date(2024, 3, 10, 4, 30, 0, 0, zone("Europe/Paris")))),
			&plan.Compare{Op: plan.Gt, Left: ref(a, "revenue"), Right: &plan.Value{Kind: plan.KFloat, V: 2.5}},
		)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	// Unfolded order comparisons of strings (keyset paging) follow ORDER
	// BY's order: case folding, then as stored.
	{name: "string_sort_order_compare", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = or(cmp(plan.Gt, ref(a, "name"), str("Contoso")), and(eq(ref(a, "name"), str("Contoso")), cmp(plan.Le, ref(a, "city"), str("b"))))
		return &plan.Plan{Root: a, Columns: outs(a, "accountid"), Orders: []*plan.SortKey{{Column: ref(a, "name")}, {Column: ref(a, "city"), Desc: true}}}
	}},
	{name: "accent_folds", build: accentFoldsPlan},
	{name: "accent_folds_sensitive", accentSensitive: true, build: accentFoldsPlan},
	{name: "accent_groups", build: accentGroupsPlan},
	{name: "accent_groups_sensitive", accentSensitive: true, build: accentGroupsPlan},
	{name: "accent_distinct", build: accentDistinctPlan},
	{name: "date_only", build: func(f *fixture) *plan.Plan {
		c := root("contact", f.contact)
		c.Filter = and(cmp(plan.Ge, ref(c, "birthdate"), dt(utc("1985-07-04 00:00:00"))), cmp(plan.Lt, ref(c, "birthdate"), dt(utc("1985-07-05 00:00:00"))),
			cmp(plan.Ne, ref(c, "birthdate"), dt(utc("1985-07-04 12:00:00"))), in(ref(c, "birthdate"), false, dt(utc("2000-02-29 00:00:00"))))
		return &plan.Plan{Root: c, Columns: outs(c, "fullname")}
	}},
	{name: "like", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = and(
			like(ref(a, "name"), "%Contoso%"),
			like(ref(a, "name"), "100[%] _ 50!"),
			like(ref(a, "name"), "[a-c]%"),
			like(ref(a, "name"), "[^a-cX]_[[]%"),
			&plan.Like{Col: ref(a, "name"), Pattern: parsePattern("Pipe|Plus+(x).*?{1}$^\\%"), Not: true},
			like(ref(a, "name"), "É[*?|.\\-]%"),
		)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	{name: "multi_contains", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = or(
			&plan.MultiContains{Col: ref(a, "tags"), Values: []int64{1, 10}},
			and(&plan.MultiContains{Col: ref(a, "tags"), Values: []int64{3}, Not: true}, &plan.MultiContains{Col: ref(a, "tags"), Values: []int64{4, 5}}),
			&plan.MultiContains{Col: ref(a, "tags")},
		)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	{name: "part_in", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		ny := zone("America/New_York")
		part := func(k plan.DatePartKind, z *time.Location, v ...int64) plan.Expr {
			return &plan.PartIn{Part: &plan.DatePart{Part: k, Col: ref(a, "createdon"), Zone: z}, Values: v}
		}
		a.Filter = and(
			part(plan.PartMonth, nil, 1, 2, 3),
			part(plan.PartYear, time.UTC, 2024),
			part(plan.PartQuarter, zone("Asia/Tokyo"), 2),
			part(plan.PartDayOfYear, time.FixedZone("X", -150*60), 60),
			part(plan.PartWeek, zone("Asia/Kolkata"), 1),
			part(plan.PartDay, zone("Europe/Moscow"), 9),
			part(plan.PartMonth, ny),
			part(plan.PartDay, zone("Asia/Kathmandu"), 1),
		)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	{name: "part_in_dst_shanghai", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = &plan.PartIn{Part: &plan.DatePart{Part: plan.PartWeek, Col: ref(a, "createdon"), Zone: zone("Asia/Shanghai")}, Values: []int64{10}}
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	{name: "joins", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinInner, "c", f.contact, "parentcustomerid", "accountid")
		c.Filter = foldEq(ref(c, "lastname"), "Lee")
		n := link(c, plan.JoinOuter, "n", f.note, "contactid", "contactid")
		n.Filter = like(ref(n, "subject"), "call%")
		pc := link(a, plan.JoinOuter, "pc", f.contact, "contactid", "primarycontactid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"), out(n, "subject"), out(pc, "fullname"))}
	}},
	{name: "outer_inner_nested", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
		c.Filter = &plan.IsNull{Col: ref(c, "lastname"), Not: true}
		n := link(c, plan.JoinInner, "n", f.note, "contactid", "contactid")
		n.Filter = foldEq(ref(n, "subject"), "Call")
		n2 := link(n, plan.JoinOuter, "n2", f.note, "noteid", "noteid")
		_ = n2
		o := link(a, plan.JoinOuter, "o", f.contact, "contactid", "primarycontactid")
		link(o, plan.JoinOuter, "on", f.note, "contactid", "contactid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"), out(n, "subject"), out(o, "fullname"))}
	}},
	{name: "first_row", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinFirstRow, "c", f.contact, "parentcustomerid", "accountid")
		c.Filter = cmp(plan.Gt, ref(c, "rank"), num(1))
		link(c, plan.JoinInner, "n", f.note, "contactid", "contactid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"))}
	}},
	{name: "first_row_under_outer", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
		link(c, plan.JoinFirstRow, "n", f.note, "contactid", "contactid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"))}
	}},
	{name: "subqueries", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		ex := link(a, plan.JoinSubquery, "ex", f.contact, "parentcustomerid", "accountid")
		ex.Filter = foldEq(ref(ex, "lastname"), "Lee")
		exn := link(ex, plan.JoinInner, "exn", f.note, "contactid", "contactid")
		exn.Filter = &plan.IsNull{Col: ref(exn, "subject"), Not: true}
		nx := link(a, plan.JoinSubquery, "nx", f.contact, "parentcustomerid", "accountid")
		nx.Filter = notTrue(eq(ref(nx, "rank"), num(1)))
		insub := link(a, plan.JoinSubquery, "insub", f.contact, "contactid", "primarycontactid")
		insub.LinkType = ast.In
		insub.Filter = cmp(plan.Gt, ref(insub, "rank"), num(2))
		a.Filter = and(&plan.Exists{Source: ex}, &plan.Exists{Source: nx, Not: true}, &plan.InSubquery{Source: insub})
		return &plan.Plan{Root: a, Columns: outs(a, "name")}
	}},
	{name: "security", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Security = &plan.SecurityFilter{Expr: or(eq(ref(a, "isactive"), boolean(true)), &plan.IsNull{Col: ref(a, "isactive")}), Policies: []string{"role:reader"}}
		a.Filter = or(foldEq(ref(a, "city"), "Paris"), foldEq(ref(a, "city"), "London"))
		c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
		c.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(c, "rank"), num(10))}
		c.Filter = foldEq(ref(c, "lastname"), "Lee")
		ex := link(a, plan.JoinSubquery, "ex", f.note, "contactid", "primarycontactid")
		ex.Security = &plan.SecurityFilter{} // no expression: no rows
		a.Filter = and(a.Filter, &plan.Exists{Source: ex})
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname")), Security: plan.SecurityOn}
	}},
	{name: "hierarchy", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		rel := f.account.Hierarchy()
		h := func(ds *plan.DataSource, above, orEqual, neg bool, id string) *plan.Hierarchy {
			return &plan.Hierarchy{Col: ref(ds, "accountid"), Rel: rel, Table: f.account, Anchor: guid(id), Above: above, OrEqual: orEqual, Not: neg, MaxDepth: plan.HierarchyMaxDepth}
		}
		ex := link(a, plan.JoinSubquery, "ex", f.account, "parentaccountid", "accountid")
		ex.Filter = h(ex, false, true, false, "00000000-0000-0000-0000-000000000003")
		a.Filter = and(h(a, false, false, false, "00000000-0000-0000-0000-000000000001"), h(a, true, true, true, "00000000-0000-0000-0000-000000000002"), &plan.Exists{Source: ex})
		return &plan.Plan{Root: a, Columns: outs(a, "name"), Orders: []*plan.SortKey{{Column: ref(a, "name")}}}
	}},
	{name: "hierarchy_count", count: true, build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = &plan.Hierarchy{Col: ref(a, "accountid"), Rel: f.account.Hierarchy(), Table: f.account, Anchor: guid("00000000-0000-0000-0000-000000000001"), MaxDepth: 5}
		return &plan.Plan{Root: a, Columns: outs(a, "name"), Top: 3, Options: []string{"Recompile"}}
	}},
	{name: "aggregate", build: func(f *fixture) *plan.Plan { return aggregatePlan(f) }},
	{name: "aggregate_count", count: true, build: func(f *fixture) *plan.Plan { return aggregatePlan(f) }},
	{name: "aggregate_input", aggInput: true, build: func(f *fixture) *plan.Plan {
		p := aggregatePlan(f)
		p.AggregateLimit = 10
		p.Root.Filter = foldEq(ref(p.Root, "city"), "Paris")
		return p
	}},
	{name: "aggregate_input_hierarchy", aggInput: true, build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, zone("Europe/Paris"), ast.Year)
		p.AggregateLimit = plan.AggregateRecordLimit
		p.NoLock = true
		p.Root.Filter = &plan.Hierarchy{Col: ref(p.Root, "accountid"), Rel: f.account.Hierarchy(), Table: f.account, Anchor: guid("00000000-0000-0000-0000-000000000001"), MaxDepth: 5}
		return p
	}},
	{name: "aggregate_input_not_aggregate", aggInput: true, build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "name"), AggregateLimit: 10}
	}},
	{name: "date_grouping", build: func(f *fixture) *plan.Plan {
		return dateGroupingPlan(f, zone("Asia/Kathmandu"), ast.Year, ast.Week, ast.Month, ast.Quarter, ast.Day)
	}},
	{name: "date_grouping_utc", build: func(f *fixture) *plan.Plan {
		return dateGroupingPlan(f, nil, ast.Year, ast.Week)
	}},
	{name: "date_grouping_fiscal", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, zone("America/New_York"), ast.FiscalYear, ast.FiscalPeriod)
		for _, oc := range p.Columns[:2] {
			oc.Fiscal = &plan.Fiscal{Start: time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2002}
		}
		return p
	}},
	{name: "date_grouping_fiscal_fourweekly", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, nil, ast.FiscalPeriod)
		p.Columns[0].Fiscal = &plan.Fiscal{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2004}
		return p
	}},
	{name: "date_grouping_fiscal_midmonth", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, zone("Asia/Kolkata"), ast.FiscalYear, ast.FiscalPeriod)
		for _, oc := range p.Columns[:2] {
			oc.Fiscal = &plan.Fiscal{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: 2002}
		}
		return p
	}},
	{name: "date_grouping_fiscal_midmonth_monthly", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, nil, ast.FiscalPeriod)
		p.Columns[0].Fiscal = &plan.Fiscal{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: 2003}
		return p
	}},
	{name: "date_grouping_fiscal_31st", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, nil, ast.FiscalYear, ast.FiscalPeriod)
		for _, oc := range p.Columns[:2] {
			oc.Fiscal = &plan.Fiscal{Start: time.Date(2000, 1, 31, 0, 0, 0, 0, time.UTC), PeriodType: 2003}
		}
		return p
	}},
	{name: "date_grouping_fiscal_fourweekly_midmonth", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, zone("Asia/Kolkata"), ast.FiscalYear, ast.FiscalPeriod)
		for _, oc := range p.Columns[:2] {
			oc.Fiscal = &plan.Fiscal{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: 2004}
		}
		return p
	}},
	{name: "date_grouping_fiscal_fourweekly_february", build: func(f *fixture) *plan.Plan {
		p := dateGroupingPlan(f, nil, ast.FiscalPeriod)
		p.Columns[0].Fiscal = &plan.Fiscal{Start: time.Date(2000, 2, 15, 0, 0, 0, 0, time.UTC), PeriodType: 2004}
		return p
	}},
	{name: "fiscal_period_in_midmonth_quarterly", build: fiscalPeriodIn(time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), 2002, zone("Asia/Kolkata"), 2)},
	{name: "fiscal_period_in_midmonth_monthly", build: fiscalPeriodIn(time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), 2003, nil, 11)},
	{name: "fiscal_period_in_31st", build: fiscalPeriodIn(time.Date(2000, 8, 31, 0, 0, 0, 0, time.UTC), 2003, nil, 7)},
	{name: "fiscal_period_in_fourweekly", build: fiscalPeriodIn(time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), 2004, time.FixedZone("X", -150*60), 13)},
	{name: "fiscal_period_in_fourweekly_january", build: fiscalPeriodIn(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 2004, nil, 1, 13)},
	{name: "date_grouping_fiscal_unset", build: func(f *fixture) *plan.Plan {
		return dateGroupingPlan(f, nil, ast.FiscalYear)
	}},
	{name: "distinct", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city", "isactive"), PageSize: 10, PageNumber: 1,
			Orders: []*plan.SortKey{{Column: ref(a, "city"), Desc: true}, {Column: ref(a, "isactive")}}}
	}},
	{name: "distinct_count", count: true, build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city"), Orders: []*plan.SortKey{{Column: ref(a, "city")}}}
	}},
	{name: "distinct_order_unselected", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city"), Orders: []*plan.SortKey{{Column: ref(a, "name")}}}
	}},
	{name: "hints", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		c := link(a, plan.JoinInner, "c", f.contact, "parentcustomerid", "accountid")
		ex := link(a, plan.JoinSubquery, "ex", f.note, "contactid", "primarycontactid")
		a.Filter = &plan.Exists{Source: ex}
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname")), NoLock: true,
			Options: []string{"OptimizeForUnknown", "ForceOrder", "DisableRowGoal", "HashJoin", "ENABLE_HIST_AMENDMENT_FOR_ASC_KEYS", "EnableOptimizerHotfixes", "LoopJoin", "MergeJoin", "NO_PERFORMANCE_SPOOL"}}
	}},
	{name: "hint_unknown", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "name"), Options: []string{"Bogus"}}
	}},
	{name: "quoting", build: func(*fixture) *plan.Plan {
		t := plan.NewTable(plan.Table{LogicalName: "weird", PhysicalName: "we\"ird`tab]le", PrimaryKey: "id", Columns: []*plan.Column{
			{LogicalName: "id", PhysicalName: "i\"d", Type: plan.TInteger},
			{LogicalName: "col", PhysicalName: "co`l]]", Type: plan.TString},
			{LogicalName: "x", PhysicalName: "[x]", Type: plan.TString},
		}})
		w := root("a\"l`i]as", t)
		w.Filter = eq(ref(w, "col"), str("it's; DROP TABLE x; --"))
		return &plan.Plan{Root: w, Columns: outs(w, "id", "col", "x"), Orders: []*plan.SortKey{{Column: ref(w, "x")}}}
	}},
	{name: "row_aggregate", build: func(f *fixture) *plan.Plan {
		// Sources named like the subquery alias push it to vs2.
		a := root("VS", f.account)
		c := link(a, plan.JoinOuter, "vs1", f.account, "accountid", "parentaccountid")
		rel := f.account.Hierarchy()
		cols := append(outs(a, "name"),
			&plan.OutputColumn{Name: "children", Source: a, Column: column(f.account, "accountid"), RowAggregate: rel},
			&plan.OutputColumn{Name: "vs1.children", Source: c, Column: column(f.account, "accountid"), RowAggregate: rel})
		return &plan.Plan{Root: a, Columns: cols, NoLock: true, Orders: []*plan.SortKey{{Output: cols[1], Desc: true}}}
	}},
	{name: "row_aggregate_in_aggregate", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{{Name: "n", Source: a, Column: column(f.account, "accountid"), RowAggregate: f.account.Hierarchy()}}}
	}},
	{name: "sort_name_label", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		pc := link(a, plan.JoinOuter, "vs", f.contact, "contactid", "primarycontactid")
		t := choiceTable()
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(pc, "fullname")), PageSize: 10, PageNumber: 2, NoLock: true,
			Orders: []*plan.SortKey{
				{Column: ref(a, "primarycontactid"), By: plan.SortName, Targets: []*plan.Table{f.contact}},
				{Column: ref(a, "parentaccountid"), Desc: true, By: plan.SortName, Targets: []*plan.Table{f.account, f.contact}},
				{Column: &plan.ColumnRef{Source: a, Column: column(t, "state")}, By: plan.SortLabel},
				{Column: ref(a, "accountid")},
			}}
	}},
	// Lookup names for formatted values (plan.LookupNames): after the
	// output columns, the name as a name sort key reads it, and for a
	// lookup with several targets the index of the target holding it.
	{name: "lookup_names", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		cols := outs(a, "name", "primarycontactid", "parentaccountid")
		return &plan.Plan{Root: a, Columns: cols, Top: 5,
			Orders: []*plan.SortKey{{Column: ref(a, "primarycontactid"), By: plan.SortName, Targets: []*plan.Table{f.contact}}},
			LookupNames: []*plan.LookupName{
				{Column: cols[1], Targets: []*plan.Table{f.contact}},
				{Column: cols[2], Targets: []*plan.Table{f.account, f.contact}},
			}}
	}},
	// Lookup names of a distinct query that folds strings: the names of
	// each group's lookup value, MIN over the exact DISTINCT rows.
	{name: "lookup_names_distinct", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		cols := outs(a, "name", "parentaccountid")
		return &plan.Plan{Root: a, Columns: cols, Distinct: true, Top: 5,
			Orders:      []*plan.SortKey{{Column: ref(a, "name")}},
			LookupNames: []*plan.LookupName{{Column: cols[1], Targets: []*plan.Table{f.account, f.contact}}}}
	}},
	// A repeated sort expression is dropped, whatever its direction: the
	// name twice (SQL Server error 169 otherwise). A lookup by its name
	// and then by its value, or a choice by its label and then by its
	// value, are two keys: outside grouped orders the name or label alone
	// is the first (its ties go to the next key).
	{name: "sort_repeated", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		t := choiceTable()
		return &plan.Plan{Root: a, Columns: outs(a, "name"),
			Orders: []*plan.SortKey{
				{Column: ref(a, "name")},
				{Column: ref(a, "primarycontactid"), By: plan.SortName, Targets: []*plan.Table{f.contact}},
				{Column: ref(a, "name"), Desc: true},
				{Column: ref(a, "primarycontactid"), Desc: true},
				{Column: &plan.ColumnRef{Source: a, Column: column(t, "state")}, By: plan.SortLabel},
				{Column: &plan.ColumnRef{Source: a, Column: column(t, "state")}, Desc: true},
				{Column: ref(a, "city")},
			}}
	}},
	// A string primary key, the order's identity, sorts by its sort key
	// and then as stored (a case-sensitive engine may hold two spellings
	// of one key); another string key by its sort key alone.
	{name: "sort_string_primary_key", build: func(*fixture) *plan.Plan {
		t := plan.NewTable(plan.Table{LogicalName: "code", PhysicalName: "code", PrimaryKey: "code", Columns: []*plan.Column{
			{LogicalName: "code", Type: plan.TString}, {LogicalName: "label", Type: plan.TString},
		}})
		c := root("code", t)
		return &plan.Plan{Root: c, Columns: outs(c, "label"), Orders: []*plan.SortKey{{Column: ref(c, "label")}, {Column: ref(c, "code")}}}
	}},
	{name: "sort_repeated_distinct", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city", "parentaccountid"), Top: 5,
			Orders: []*plan.SortKey{{Column: ref(a, "city")}, {Column: ref(a, "city"), Desc: true},
				{Column: ref(a, "parentaccountid"), By: plan.SortName, Targets: []*plan.Table{f.account}}, {Column: ref(a, "parentaccountid")}}}
	}},
	// min and max of a Boolean: SQL Server aggregates the bit as an integer.
	{name: "aggregate_bool_minmax", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		cols := []*plan.OutputColumn{
			{Name: "city", Source: a, Column: column(f.account, "city"), GroupBy: true},
			{Name: "lo", Source: a, Column: column(f.account, "isactive"), Aggregate: ast.Min},
			{Name: "hi", Source: a, Column: column(f.account, "isactive"), Aggregate: ast.Max},
		}
		return &plan.Plan{Root: a, Aggregate: true, Columns: cols}
	}},
	// Lists of ListParamMin values or more are one parameter where the
	// dialect can bind one (inlist.go); MySQL and SQL Server keep
	// placeholders for the kinds they do not read from JSON.
	{name: "in_list_long", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		vals := func(mk func(i int) *plan.Value) []*plan.Value {
			out := make([]*plan.Value, ListParamMin)
			for i := range out {
				out[i] = mk(i)
			}
			return out
		}
		a.Filter = and(
			in(ref(a, "city"), true, vals(func(i int) *plan.Value { return str(fmt.Sprintf("Été %d", i)) })...),
			&plan.InList{Col: ref(a, "employees"), Values: vals(func(i int) *plan.Value { return num(int64(i)) }), Not: true},
			in(ref(a, "accountid"), false, vals(func(i int) *plan.Value { return guid(fmt.Sprintf("0A0B0C0D-0000-0000-0000-%012d", i)) })...),
			in(ref(a, "createdon"), false, vals(func(i int) *plan.Value {
				return dt(utc("2024-01-01 00:00:00").Add(time.Duration(i)*time.Minute + 123456789*time.Nanosecond)) // 7 digits in DATETIME2, 6 in DATETIME(6)
			})...),
			in(ref(a, "revenue"), false, vals(func(i int) *plan.Value { return dec(fmt.Sprintf("%d.5", i)) })...),
			in(ref(a, "employees"), false, vals(func(i int) *plan.Value { return num(int64(i)) })[:ListParamMin-1]...),
		)
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}},
	{name: "sort_distinct_wrapped", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		cols := outs(a, "city", "parentaccountid")
		return &plan.Plan{Root: a, Distinct: true, Columns: cols, Top: 5,
			Orders: []*plan.SortKey{{Column: ref(a, "city")}, {Column: ref(a, "parentaccountid"), Desc: true, By: plan.SortName, Targets: []*plan.Table{f.account}}}}
	}},
	{name: "sort_aggregate_wrapped", build: func(f *fixture) *plan.Plan {
		t := choiceTable()
		a := root("account", t)
		key := &plan.OutputColumn{Name: "state", Source: a, Column: column(t, "state"), GroupBy: true}
		n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
		a.Filter = foldEq(ref(a, "name"), "x")
		return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{n, key}, PageSize: 5, PageNumber: 1,
			Orders: []*plan.SortKey{{Output: n, Desc: true}, {Output: key, By: plan.SortLabel}}}
	}},
	{name: "sort_name_without_targets", build: func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		return &plan.Plan{Root: a, Columns: outs(a, "name"), Orders: []*plan.SortKey{{Column: ref(a, "primarycontactid"), By: plan.SortName}}}
	}},
	{name: "first_row_no_pk", build: func(f *fixture) *plan.Plan {
		t := plan.NewTable(plan.Table{LogicalName: "log", Columns: []*plan.Column{{LogicalName: "accountid", Type: plan.TLookup}, {LogicalName: "msg", Type: plan.TString}}})
		a := root("account", f.account)
		l := link(a, plan.JoinFirstRow, "l", t, "accountid", "accountid")
		return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(l, "msg"))}
	}},
}

// choiceTable is a table with a choice column "state" whose labels sort
// Open (1), closed (3), Won (2), with 4 unlabelled.
// accentFoldsPlan folds in every place a string comparison or sort key
// does: eq, in, like (literal and class), column-to-column, a keyset
// comparison, a string sort key and a label sort whose labels order
// differently with and without accents.
func accentFoldsPlan(f *fixture) *plan.Plan {
	a := root("account", f.account)
	a.Filter = and(
		foldEq(ref(a, "name"), "José"),
		in(ref(a, "city"), true, str("São Paulo"), str("ZÜRICH"), str("Zagreb"), str("ølstykke")),
		like(ref(a, "name"), "[á-c]%"),
		like(ref(a, "city"), "Kraków%"),
		&plan.Compare{Op: plan.Ne, Left: ref(a, "name"), Right: ref(a, "city"), Fold: true},
		cmp(plan.Gt, ref(a, "name"), str("Malmö")),
	)
	t := plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "state", Type: plan.TState, Options: []plan.Option{{Value: 1, Label: "Éa"}, {Value: 2, Label: "Eb"}, {Value: 3, Label: "ec"}}},
	}})
	return &plan.Plan{Root: a, Columns: outs(a, "accountid"), Orders: []*plan.SortKey{
		{Column: ref(a, "name")},
		{Column: &plan.ColumnRef{Source: a, Column: column(t, "state")}, By: plan.SortLabel},
		{Column: ref(a, "accountid")},
	}}
}

// accentGroupsPlan groups a string and counts distinct strings.
func accentGroupsPlan(f *fixture) *plan.Plan {
	a := root("account", f.account)
	key := &plan.OutputColumn{Name: "city", Source: a, Column: column(f.account, "city"), GroupBy: true}
	return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{
		key,
		{Name: "names", Source: a, Column: column(f.account, "name"), Aggregate: ast.CountColumn, Distinct: true},
	}, Orders: []*plan.SortKey{{Output: key}}}
}

// accentDistinctPlan is a distinct string column, sorted.
func accentDistinctPlan(f *fixture) *plan.Plan {
	a := root("account", f.account)
	return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city"), Orders: []*plan.SortKey{{Column: ref(a, "city")}}}
}

func choiceTable() *plan.Table {
	return plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "state", Type: plan.TState, Options: []plan.Option{{Value: 2, Label: "Won"}, {Value: 1, Label: "Open"}, {Value: 3, Label: "closed"}}},
	}})
}

func aggregatePlan(f *fixture) *plan.Plan {
	a := root("account", f.account)
	c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
	key := &plan.OutputColumn{Name: "active", Source: a, Column: column(f.account, "isactive"), GroupBy: true}
	agg := func(name string, fn ast.AggregateFunc, ds *plan.DataSource, col string, distinct bool) *plan.OutputColumn {
		return &plan.OutputColumn{Name: name, Source: ds, Column: column(ds.Table, col), Aggregate: fn, Distinct: distinct}
	}
	cols := []*plan.OutputColumn{
		key,
		{Name: "n", Source: a, Aggregate: ast.Count},
		agg("ne", ast.CountColumn, a, "employees", false),
		agg("nd", ast.CountColumn, a, "employees", true),
		agg("avg", ast.Avg, a, "employees", false),
		agg("min", ast.Min, a, "employees", false),
		agg("max", ast.Max, a, "employees", false),
		agg("sum", ast.Sum, a, "revenue", false),
		agg("avgrev", ast.Avg, a, "revenue", false),
		agg("contacts", ast.CountColumn, c, "contactid", false),
	}
	return &plan.Plan{Root: a, Aggregate: true, Columns: cols,
		Orders: []*plan.SortKey{{Output: key}, {Output: cols[1], Desc: true}}}
}

// fiscalPeriodIn selects accounts whose createdon is in one of the fiscal
// periods, computed per row (in-fiscal-period).
func fiscalPeriodIn(start time.Time, periodType int, z *time.Location, periods ...int64) func(f *fixture) *plan.Plan {
	return func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		part := &plan.DatePart{Part: plan.PartFiscalPeriod, Col: ref(a, "createdon"), Zone: z, Fiscal: &plan.Fiscal{Start: start, PeriodType: periodType}}
		a.Filter = &plan.PartIn{Part: part, Values: periods}
		return &plan.Plan{Root: a, Columns: outs(a, "accountid")}
	}
}

func dateGroupingPlan(f *fixture, z *time.Location, gs ...ast.DateGrouping) *plan.Plan {
	a := root("account", f.account)
	var cols []*plan.OutputColumn
	var orders []*plan.SortKey
	for _, g := range gs {
		oc := &plan.OutputColumn{Name: g.String(), Source: a, Column: column(f.account, "createdon"), GroupBy: true, DateGrouping: g, Zone: z}
		cols = append(cols, oc)
		orders = append(orders, &plan.SortKey{Output: oc})
	}
	cols = append(cols, &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count})
	return &plan.Plan{Root: a, Aggregate: true, Columns: cols, Orders: orders}
}

func render(c goldenCase, d Dialect) string {
	p := c.build(newFixture(""))
	if c.accentSensitive {
		p.AccentSensitive = true
	}
	emit := Emit
	switch {
	case c.count:
		emit = EmitCount
	case c.aggInput:
		emit = EmitAggregateInput
	}
	st, err := emit(p, d)
	if err != nil {
		return "error: " + strings.Join(codes(err), ",") + "\n"
	}
	return st.String()
}

func codes(err error) []string {
	var r []string
	for _, c := range diag.Codes(err) {
		r = append(r, string(c))
	}
	if len(r) == 0 {
		r = append(r, err.Error())
	}
	return r
}

// TestGolden compares each case's SQL and arguments with
// testdata/<dialect>/<case>.golden; -update rewrites the files.
func TestGolden(t *testing.T) {
	for _, d := range Dialects() {
		for _, c := range goldenCases {
			t.Run(d.Name()+"/"+c.name, func(t *testing.T) {
				got := render(c, d)
				path := filepath.Join("testdata", d.Name(), c.name+".golden")
				if *testkit.Update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if diff := gocmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
				}
			})
		}
	}
}

// TestDeterministic: the same plan emits the same statement twice.
func TestDeterministic(t *testing.T) {
	for _, d := range Dialects() {
		for _, c := range goldenCases {
			if a, b := render(c, d), render(c, d); a != b {
				t.Errorf("%s/%s: not deterministic", d.Name(), c.name)
			}
		}
	}
}

// nullAfterPlan is a secured, filtered page of accounts by name after a
// NULL name, kept whole or in one part, root first (with a to-one outer
// join) or not.
// laterNullPlan is a page of accounts by (employees, name, id) after (7,
// NULL, id), keeping part.
func laterNullPlan(f *fixture, part plan.AfterPart) *plan.Plan {
	a := root("account", f.account)
	p := &plan.Plan{Root: a, Columns: outs(a, "accountid", "name"), PageSize: 50, PageNumber: 1,
		Orders:    []*plan.SortKey{{Column: ref(a, "employees")}, {Column: ref(a, "name")}, {Column: ref(a, "accountid")}},
		After:     []*plan.Value{num(7), nil, guid("0A0B0C0D-0000-0000-0000-000000000001")},
		AfterPart: part, AfterAt: 1}
	if err := plan.Verify(p); err != nil {
		panic(err)
	}
	return p
}

func nullAfterPlan(f *fixture, part plan.AfterPart, rootFirst bool) *plan.Plan {
	a := root("account", f.account)
	a.Security = &plan.SecurityFilter{Expr: cmp(plan.Gt, ref(a, "employees"), num(5)), Policies: []string{"role:reader"}}
	a.Filter = cmp(plan.Lt, ref(a, "employees"), num(100))
	p := &plan.Plan{Root: a, Columns: outs(a, "accountid", "name"), PageSize: 50, PageNumber: 1, Security: plan.SecurityOn,
		Orders:    []*plan.SortKey{{Column: ref(a, "name")}, {Column: ref(a, "employees")}, {Column: ref(a, "accountid")}},
		After:     []*plan.Value{nil, num(7), guid("0A0B0C0D-0000-0000-0000-000000000001")},
		AfterPart: part}
	if rootFirst {
		par := link(a, plan.JoinOuter, "par", f.account, "accountid", "parentaccountid")
		par.Security = &plan.SecurityFilter{Expr: cmp(plan.Gt, ref(par, "employees"), num(5)), Policies: []string{"role:reader"}}
		p.Columns = append(p.Columns, out(par, "name"))
		p.RootFirst = true
	}
	if err := plan.Verify(p); err != nil {
		panic(err)
	}
	return p
}
