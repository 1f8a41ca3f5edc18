package sql

import (
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// computedPlan builds, through the planner, a filter using every canonical
// function and arithmetic operator (OData's computed conditions), the
// dates in the caller's zone.
func computedPlan(f *fixture) *plan.Plan {
	col := func(n string) ast.Scalar { return &ast.ColumnOperand{Attribute: ast.Name{Text: n}} }
	s := func(t string) ast.Scalar { return &ast.Value{Text: t, Kind: ast.KindString} }
	n := func(t string) ast.Scalar { return &ast.Value{Text: t, Kind: ast.KindNumber} }
	call := func(fn ast.Func, args ...ast.Scalar) ast.Scalar { return &ast.Call{Func: fn, Args: args} }
	cmp := func(op ast.ComputedOp, l, r ast.Scalar, not bool) ast.FilterItem {
		return &ast.Computed{Op: op, Left: l, Right: r, Not: not}
	}
	items := []ast.FilterItem{
		cmp(ast.CEq, call(ast.FnToLower, call(ast.FnTrim, col("name"))), s("contoso "), false),
		cmp(ast.CNe, call(ast.FnToUpper, col("city")), col("name"), false),
		cmp(ast.CGt, call(ast.FnLength, call(ast.FnConcat, col("name"), s("é"))), n("3"), true),
		cmp(ast.CGe, call(ast.FnIndexOf, col("name"), s("co")), n("0"), false),
		cmp(ast.CEq, call(ast.FnIndexOf, col("name"), col("city")), n("-1"), false),
		cmp(ast.CLt, call(ast.FnSubstring, col("name"), n("1")), s("b"), false),
		cmp(ast.CEq, call(ast.FnSubstring, col("name"), n("0"), n("2")), s("co"), false),
		cmp(ast.CContains, call(ast.FnTrim, col("name")), s("Ltd"), false),
		cmp(ast.CStartsWith, call(ast.FnTrim, col("name")), s("Con"), true),
		cmp(ast.CEndsWith, call(ast.FnTrim, col("name")), s("Ltd"), false),
		cmp(ast.CContains, call(ast.FnTrim, col("name")), s(""), false),
		cmp(ast.CEq, call(ast.FnYear, col("createdon")), n("2024"), false),
		cmp(ast.CLe, call(ast.FnMonth, col("createdon")), call(ast.FnDay, col("createdon")), false),
		cmp(ast.CGt, call(ast.FnAdd, call(ast.FnHour, col("createdon")), call(ast.FnMinute, col("createdon"))), call(ast.FnSecond, col("createdon")), false),
		cmp(ast.CGt, call(ast.FnAdd, col("employees"), call(ast.FnMul, n("2"), n("3"))), n("10"), false),
		cmp(ast.CEq, call(ast.FnDiv, col("employees"), n("7")), n("-1"), false),
		cmp(ast.CEq, call(ast.FnMod, call(ast.FnNeg, col("employees")), n("7")), n("-1"), false),
		cmp(ast.CLt, call(ast.FnDiv, col("revenue"), n("3")), n("2.5"), false),
		cmp(ast.CLt, call(ast.FnDivBy, col("employees"), n("4")), n("2.5"), false),
		cmp(ast.CEq, call(ast.FnRound, col("revenue")), call(ast.FnFloor, call(ast.FnSub, col("revenue"), n("0.5"))), false),
		cmp(ast.CEq, call(ast.FnCeiling, col("revenue")), n("2"), false),
		cmp(ast.CEq, call(ast.FnRound, col("employees")), n("2"), false),
		cmp(ast.CEq, call(ast.FnLength, col("city")), &ast.Value{Text: "null", Kind: ast.KindNull}, true),
	}
	q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: "account"}, Body: ast.Body{
		Attributes: []*ast.Attribute{{Name: ast.Name{Text: "accountid"}}},
		Filters:    []*ast.Filter{{Items: items}},
	}}}
	p, err := plan.Build(q, plan.Options{Catalog: plan.MapCatalog{"account": f.account}, Zone: paris, Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	return p
}

// paris is loaded once: the emitter caches a zone's offsets per
// *time.Location.
var paris, _ = time.LoadLocation("Europe/Paris")

func init() {
	goldenCases = append(goldenCases,
		goldenCase{name: "computed", build: computedPlan},
		goldenCase{name: "computed_sensitive", accentSensitive: true, build: computedPlan},
	)
}

// computedDatesPlan builds, through the planner, OData's date(), time()
// and now() in a filter and an order, in the caller's zone (Paris), the
// clock at 2024-01-01T00:30Z.
func computedDatesPlan(f *fixture) *plan.Plan {
	col := func(n string) ast.Scalar { return &ast.ColumnOperand{Attribute: ast.Name{Text: n}} }
	call := func(fn ast.Func, args ...ast.Scalar) ast.Scalar { return &ast.Call{Func: fn, Args: args} }
	cmp := func(op ast.ComputedOp, l, r ast.Scalar) ast.FilterItem {
		return &ast.Computed{Op: op, Left: l, Right: r}
	}
	items := []ast.FilterItem{
		cmp(ast.CEq, call(ast.FnDate, col("createdon")), &ast.Value{Text: "2024-01-10", Kind: ast.KindDateTime}),
		cmp(ast.CGe, call(ast.FnTime, col("createdon")), &ast.Value{Text: "08:30", Kind: ast.KindTime}),
		cmp(ast.CLt, call(ast.FnDate, col("createdon")), call(ast.FnDate, call(ast.FnNow))),
		cmp(ast.CLe, col("createdon"), call(ast.FnNow)),
	}
	q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: "account"}, Body: ast.Body{
		Attributes: []*ast.Attribute{{Name: ast.Name{Text: "accountid"}}},
		Filters:    []*ast.Filter{{Items: items}},
		Orders: []*ast.Order{{Expr: call(ast.FnDate, col("createdon")), Descending: ast.Bool{Value: true, Set: true}},
			{Expr: call(ast.FnTime, col("createdon"))}},
	}}}
	p, err := plan.Build(q, plan.Options{Catalog: plan.MapCatalog{"account": f.account}, Zone: paris, Now: time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	return p
}

func init() {
	goldenCases = append(goldenCases, goldenCase{name: "computed_dates", build: computedDatesPlan})
}
