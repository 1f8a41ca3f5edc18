package prove

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/refeval"
	"github.com/vecompile/vecompile/plan"
)

// TestComputedDifferential draws random filters and orders on OData's
// canonical functions and arithmetic (ast.Computed, ast.Order.Expr) over
// random datasets and compares every engine's rows, in order when sorted,
// with refeval's, which computes them from OData's definitions.
func TestComputedDifferential(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)
	for _, seed := range seeds(t) {
		r := rand.New(rand.NewSource(seed))
		for round := 0; round < 3; round++ {
			ds := gen.NewDataset(r)
			if err := LoadAll(ctx, tg, ds); err != nil {
				t.Fatal(err)
			}
			nonEmpty := 0
			for i := 0; i < 60; i++ {
				q := computedQuery(r, ds)
				want, err := refeval.Eval(ds.DB, q, ds.Env)
				if err != nil {
					t.Fatalf("seed %d: reference: %v\n%s", seed, err, ast.Dump(q))
				}
				if len(want.Rows) > 0 {
					nonEmpty++
				}
				for _, target := range tg {
					p, err := plan.Build(q, Options(ds, target))
					if err != nil {
						t.Fatalf("seed %d %s: plan: %v\n%s", seed, target.Name, err, ast.Dump(q))
					}
					res, err := target.DB.Exec(ctx, p)
					if err != nil {
						t.Fatalf("seed %d %s: exec: %v\n%s", seed, target.Name, err, ast.Dump(q))
					}
					// Computed orders, then the key: one order on every engine.
					if d := diffRows(want.Rows, Rows(res), len(q.Entity.Orders) > 0); d != "" {
						t.Fatalf("seed %d: %s returns other rows than the reference (-reference +%s):\n%s\n%s", seed, target.Name, target.Name, d, ast.Dump(q))
					}
				}
			}
			DropAll(ctx, tg, ds)
			if nonEmpty == 0 {
				t.Errorf("seed %d: every computed filter matched nothing", seed)
			}
		}
	}
}

// computedQuery selects the root's key under one to three random computed
// conditions, and-ed or or-ed.
func computedQuery(r *rand.Rand, ds *gen.Dataset) *ast.Query {
	tbl := ds.DB.Tables[r.Intn(len(ds.DB.Tables))]
	g := &computedGen{r: r, t: tbl, env: ds.Env}
	f := &ast.Filter{}
	if r.Intn(2) == 0 {
		f.Type = ast.Or
	}
	for n := 1 + r.Intn(3); n > 0; n-- {
		f.Items = append(f.Items, g.condition())
	}
	var orders []*ast.Order
	for n := r.Intn(3); n > 0; n-- {
		var x ast.Scalar
		switch r.Intn(4) {
		case 0:
			x = g.str(2)
		case 1:
			x = g.integer(2)
		case 2:
			if d, fn, ok := g.dateFunc(); ok {
				x = call(fn, col(d))
				break
			}
			x = g.integer(1)
		default:
			if a := g.cols(refeval.Decimal); a != nil {
				x = call(ast.FnFloor, col(g.pick(a)))
			} else {
				x = g.integer(1)
			}
		}
		orders = append(orders, &ast.Order{Expr: x, Descending: ast.Bool{Value: r.Intn(2) == 0, Set: true}})
	}
	return &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: tbl.Name}, Body: ast.Body{
		Attributes: []*ast.Attribute{{Name: ast.Name{Text: tbl.PrimaryKey}}},
		Filters:    []*ast.Filter{f},
		Orders:     orders,
	}}}
}

type computedGen struct {
	r   *rand.Rand
	t   *refeval.Table
	env refeval.Env
}

// dateFunc picks a date column of the table and date() or time() of it
// (date() only of a Date Only column); ok false when it has none.
func (g *computedGen) dateFunc() (string, ast.Func, bool) {
	dates := g.cols(refeval.DateTime, refeval.DateOnly, refeval.WallDateTime)
	if dates == nil {
		return "", 0, false
	}
	d := g.pick(dates)
	if g.t.Column(d).Kind == refeval.DateOnly || g.r.Intn(2) == 0 {
		return d, ast.FnDate, true
	}
	return d, ast.FnTime, true
}

// dateCondition compares date() or time() of a column with a literal
// near the clock, with itself of now() or of another column, or a column
// with now().
func (g *computedGen) dateCondition(c *ast.Computed) {
	d, fn, _ := g.dateFunc()
	c.Op = ast.ComputedOp(g.r.Intn(6))
	c.Left = call(fn, col(d))
	local := g.env.Now.In(g.env.Zone)
	switch g.r.Intn(4) {
	case 0:
		c.Right = call(fn, call(ast.FnNow))
	case 1:
		if fn == ast.FnDate {
			c.Right = &ast.Value{Text: local.AddDate(0, 0, g.r.Intn(7)-3).Format("2006-01-02"), Kind: ast.KindDateTime}
		} else {
			c.Right = &ast.Value{Text: g.pick([]string{"00:00:00", "12:00", "23:59:59", local.Format("15:04:05"), local.Add(-time.Hour).Format("15:04")}), Kind: ast.KindTime}
		}
	case 2:
		others := g.cols(refeval.DateTime, refeval.WallDateTime)
		if fn == ast.FnDate {
			others = g.cols(refeval.DateTime, refeval.DateOnly, refeval.WallDateTime)
		}
		c.Right = call(fn, col(g.pick(others)))
		if g.t.Column(d).Kind == refeval.DateOnly && g.r.Intn(2) == 0 {
			c.Left = col(d) // a Date Only column is compared as its date
		}
	default:
		// now() against a date and time (a Date Only column is refused).
		if ds := g.cols(refeval.DateTime, refeval.WallDateTime); ds != nil {
			c.Left, c.Right = col(g.pick(ds)), call(ast.FnNow)
			if g.r.Intn(2) == 0 {
				c.Left, c.Right = c.Right, c.Left
			}
		} else {
			c.Right = call(fn, call(ast.FnNow))
		}
	}
}

func (g *computedGen) cols(kinds ...refeval.Kind) []string {
	var out []string
	for _, c := range g.t.Columns {
		for _, k := range kinds {
			if c.Kind == k {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

func col(name string) ast.Scalar {
	return &ast.ColumnOperand{Attribute: ast.Name{Text: name}}
}
func strLit(s string) ast.Scalar { return &ast.Value{Text: s, Kind: ast.KindString} }
func numLit(s string) ast.Scalar { return &ast.Value{Text: s, Kind: ast.KindNumber} }
func intLit(n int64) ast.Scalar  { return numLit(strconv.FormatInt(n, 10)) }
func call(f ast.Func, args ...ast.Scalar) ast.Scalar {
	return &ast.Call{Func: f, Args: args}
}

func (g *computedGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *computedGen) str(depth int) ast.Scalar {
	if depth <= 0 || g.r.Intn(3) == 0 {
		return col(g.pick(g.cols(refeval.String)))
	}
	switch g.r.Intn(6) {
	case 0:
		return call(ast.FnToLower, g.str(depth-1))
	case 1:
		return call(ast.FnToUpper, g.str(depth-1))
	case 2:
		return call(ast.FnTrim, g.str(depth-1))
	case 3:
		if g.r.Intn(2) == 0 {
			return call(ast.FnConcat, g.str(depth-1), strLit(g.pick(gen.Strings)))
		}
		return call(ast.FnConcat, g.str(depth-1), g.str(depth-1))
	case 4:
		return call(ast.FnSubstring, g.str(depth-1), intLit(int64(g.r.Intn(4))))
	}
	return call(ast.FnSubstring, g.str(depth-1), intLit(int64(g.r.Intn(3))), intLit(int64(g.r.Intn(4))))
}

func (g *computedGen) integer(depth int) ast.Scalar {
	ints := g.cols(refeval.Int)
	dates := g.cols(refeval.DateTime, refeval.DateOnly, refeval.WallDateTime)
	if depth <= 0 {
		return col(g.pick(ints))
	}
	small := func() ast.Scalar { return intLit(int64(g.r.Intn(7) - 3)) }
	switch g.r.Intn(10) {
	case 0:
		return call(ast.FnLength, g.str(depth-1))
	case 1:
		return call(ast.FnIndexOf, g.str(depth-1), strLit(g.pick([]string{"a", "b", "", "É", "c", " "})))
	case 2:
		parts := []ast.Func{ast.FnYear, ast.FnMonth, ast.FnDay, ast.FnHour, ast.FnMinute, ast.FnSecond}
		d := g.pick(dates)
		if g.t.Column(d).Kind == refeval.DateOnly {
			parts = parts[:3] // a date has no time of day
		}
		return call(parts[g.r.Intn(len(parts))], col(d))
	case 3:
		return call(ast.FnAdd, g.integer(depth-1), small())
	case 4:
		return call(ast.FnSub, g.integer(depth-1), small())
	case 5:
		return call(ast.FnMul, g.integer(depth-1), small())
	case 6:
		return call(ast.FnDiv, g.integer(depth-1), small())
	case 7:
		return call(ast.FnMod, g.integer(depth-1), small())
	case 8:
		return call(ast.FnNeg, g.integer(depth-1))
	}
	return col(g.pick(ints))
}

func (g *computedGen) condition() ast.FilterItem {
	c := &ast.Computed{Not: g.r.Intn(4) == 0}
	switch k := g.r.Intn(11); {
	case k == 10 && g.cols(refeval.DateTime, refeval.DateOnly, refeval.WallDateTime) != nil:
		g.dateCondition(c)
	case k < 3:
		c.Left = g.str(3)
		switch g.r.Intn(4) {
		case 0:
			c.Op = []ast.ComputedOp{ast.CContains, ast.CStartsWith, ast.CEndsWith}[g.r.Intn(3)]
			c.Right = strLit(g.pick([]string{"a", "b", "É", "c ", "ab", ""}))
		case 1:
			c.Op = []ast.ComputedOp{ast.CEq, ast.CNe}[g.r.Intn(2)]
			c.Right = g.str(2)
		default:
			c.Op = []ast.ComputedOp{ast.CEq, ast.CNe}[g.r.Intn(2)]
			c.Right = strLit(g.pick(gen.Strings))
		}
	case k < 7:
		c.Left = g.integer(3)
		c.Op = ast.ComputedOp(g.r.Intn(6))
		if g.r.Intn(3) == 0 {
			c.Right = g.integer(2)
		} else {
			c.Right = intLit(int64(g.r.Intn(9) - 2))
		}
	case k < 8 && g.cols(refeval.Decimal) != nil:
		// Decimals: order comparisons with a threshold no value meets
		// exactly (SQLite holds decimals as floats).
		a := col(g.pick(g.cols(refeval.Decimal)))
		fns := []ast.Scalar{a, call(ast.FnMul, a, intLit(3)), call(ast.FnFloor, a), call(ast.FnCeiling, a), call(ast.FnRound, a), call(ast.FnDiv, a, intLit(7)), call(ast.FnNeg, a)}
		c.Left = fns[g.r.Intn(len(fns))]
		c.Op = []ast.ComputedOp{ast.CLt, ast.CGt}[g.r.Intn(2)]
		c.Right = numLit(fmt.Sprintf("%d.3337", g.r.Intn(21)-10))
	case k < 9 && g.cols(refeval.Float) != nil:
		a := col(g.pick(g.cols(refeval.Float)))
		fns := []ast.Scalar{call(ast.FnDivBy, a, intLit(3)), call(ast.FnFloor, a), call(ast.FnRound, a), call(ast.FnAdd, a, numLit("0.5"))}
		c.Left = fns[g.r.Intn(len(fns))]
		c.Op = []ast.ComputedOp{ast.CLt, ast.CGt}[g.r.Intn(2)]
		c.Right = numLit(fmt.Sprintf("%d.3337", g.r.Intn(21)-10))
	default:
		c.Left = g.integer(2)
		c.Op = []ast.ComputedOp{ast.CEq, ast.CNe}[g.r.Intn(2)]
		c.Right = &ast.Value{Text: "null", Kind: ast.KindNull}
	}
	return c
}
