package prove

import (
	"context"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/refeval"
)

// TestTLPNeedsPlanLevelPartitions shows why TLP's partitions are built on
// the plan: with FetchXML's own operators (eq, ne, null) the partitions
// overlap, because ne includes NULLs, so the naive identity fails on a
// correct implementation; the plan-level partitions (TLP) hold.
func TestTLPNeedsPlanLevelPartitions(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)
	ds := &gen.Dataset{
		Env: refeval.Env{Now: time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC), Zone: time.UTC},
		DB: &refeval.Database{Tables: []*refeval.Table{{
			Name: "ta", PrimaryKey: "taid", PrimaryName: "name",
			Columns: []*refeval.Column{{Name: "taid", Kind: refeval.Guid}, {Name: "name", Kind: refeval.String}},
			Rows: []refeval.Row{
				{"taid": "00000000-0000-4000-8000-000000000001", "name": "abc"},
				{"taid": "00000000-0000-4000-8000-000000000002", "name": "ABC"},
				{"taid": "00000000-0000-4000-8000-000000000003", "name": "xyz"},
				{"taid": "00000000-0000-4000-8000-000000000004", "name": nil},
			},
		}}},
	}
	if err := LoadAll(ctx, tg, ds); err != nil {
		t.Fatal(err)
	}
	defer DropAll(ctx, tg, ds)
	cond := func(op ast.Operator, v ...string) *ast.Filter {
		c := &ast.Condition{Attribute: ast.Name{Text: "name"}, Operator: op}
		for _, s := range v {
			c.Values = append(c.Values, &ast.Value{Text: s})
		}
		return &ast.Filter{Items: []ast.FilterItem{c}}
	}
	query := func(f *ast.Filter) *ast.Query {
		q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: "ta"}}}
		q.Entity.Attributes = []*ast.Attribute{{Name: ast.Name{Text: "name"}}}
		if f != nil {
			q.Entity.Filters = []*ast.Filter{f}
		}
		return q
	}
	for _, target := range tg {
		count := func(f *ast.Filter) int {
			p, err := Compile(query(f), ds, target)
			if err != nil {
				t.Fatal(err)
			}
			res, err := target.DB.Exec(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return len(res.Rows)
		}
		whole := count(nil)
		naive := count(cond(ast.OpEq, "abc")) + count(cond(ast.OpNe, "abc")) + count(cond(ast.OpNull))
		if whole != 4 || naive != 5 {
			t.Errorf("%s: whole %d rows, naive FetchXML partitions %d: want 4 and 5 (the NULL row counted by ne and by null)", target.Name, whole, naive)
		}
		if err := TLP(ctx, target, ds, query(nil), cond(ast.OpNe, "abc")); err != nil {
			t.Errorf("%s: plan-level TLP: %v", target.Name, err)
		}
	}
}
