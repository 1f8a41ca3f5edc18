package prove

import (
	"math/rand"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/gen"
)

// metamorphicCase draws a query fit for TLP (no top, page or distinct;
// aggregates only when they recombine) and a predicate on its root.
func metamorphicCase(r *rand.Rand, ds *gen.Dataset) (*ast.Query, *ast.Filter) {
	for {
		q := gen.NewQuery(r, ds)
		q.Top, q.Count, q.Page, q.Distinct = ast.Int{}, ast.Int{}, ast.Int{}, ast.Bool{}
		if q.Aggregate.Value && !TLPAggregateOK(q) {
			continue
		}
		return q, gen.NewPredicate(r, ds, q.Entity.Name.Text)
	}
}

// predicateText prints p as the filter of a query on q's root.
func predicateText(q *ast.Query, p *ast.Filter) string {
	pq := &ast.Query{Entity: &ast.Entity{Name: q.Entity.Name}}
	pq.Entity.Filters = []*ast.Filter{p}
	return FetchXML(pq)
}
