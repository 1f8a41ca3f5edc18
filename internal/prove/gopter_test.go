package prove

import (
	"context"
	"math/rand"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/internal/gen"
)

// TestGopterProperty runs the differential oracle as a gopter property
// on SQLite: gen.QueryGen draws the queries and gopter shrinks a failure
// with gen.ShrinkQuery (the larger runs above drive the same generators
// from their own loop, to load a dataset once per many queries).
func TestGopterProperty(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)[:1]
	ds := gen.NewDataset(rand.New(rand.NewSource(FixedSeed)))
	if err := LoadAll(ctx, tg, ds); err != nil {
		t.Fatal(err)
	}
	defer DropAll(ctx, tg, ds)
	params := gopter.DefaultTestParametersWithSeed(FixedSeed)
	params.MinSuccessfulTests = 150
	props := gopter.NewProperties(params)
	props.Property("refeval rows = SQLite rows", prop.ForAll(func(q *ast.Query) bool {
		return Differential(ctx, tg, ds, q) == nil
	}, gen.QueryGen(ds)))
	props.TestingRun(t)
}

// TestGopterShrinks shows gopter's shrinking with an injected bug: the
// counterexample it reports is smaller than the query that failed first.
func TestGopterShrinks(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)[:1]
	ds := gen.NewDataset(rand.New(rand.NewSource(FixedSeed)))
	if err := LoadAll(ctx, tg, ds); err != nil {
		t.Fatal(err)
	}
	defer DropAll(ctx, tg, ds)
	faults.OuterAsInner = true
	defer faults.Off()
	params := gopter.DefaultTestParametersWithSeed(FixedSeed)
	params.MinSuccessfulTests = 300
	res := prop.ForAll(func(q *ast.Query) bool {
		return Differential(ctx, tg, ds, q) == nil
	}, gen.QueryGen(ds)).Check(params)
	if res.Passed() {
		t.Fatal("an outer join made inner was not caught")
	}
	orig, shrunk := res.Args[0].OrigArg.(*ast.Query), res.Args[0].Arg.(*ast.Query)
	if res.Args[0].Shrinks == 0 || size(shrunk) >= size(orig) {
		t.Errorf("no shrinking: %d shrinks, %d → %d nodes", res.Args[0].Shrinks, size(orig), size(shrunk))
	}
	t.Logf("caught; %d shrinks took the query from %d to %d nodes:\n%s", res.Args[0].Shrinks, size(orig), size(shrunk), FetchXML(shrunk))
}

// size counts a query's removable parts (gen.QueryVariants).
func size(q *ast.Query) int { return len(gen.QueryVariants(q)) }
