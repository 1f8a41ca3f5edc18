package plan

import (
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Options is everything Build resolves a query against.
type Options struct {
	Catalog   Catalog
	Now       time.Time      // the clock; relative dates resolve against it
	Zone      *time.Location // the caller's time zone (nil: UTC)
	WeekStart time.Weekday   // first day of the week (default Sunday)
	Fiscal    *Fiscal        // nil: fiscal operators are an error
	Caller    *Caller        // nil: identity operators are an error
	// Security injects row filters per data source; nil means security is
	// off, which the plan records and `vecompile plan` prints.
	Security SecurityProvider
}

// SecurityProvider returns the row filter for one data source, expressed
// as an ast filter over the source's own columns, which Build resolves like
// a user filter. Returning a nil filter and nil error means "no rows".
type SecurityProvider interface {
	RowFilter(table *Table) (*ast.Filter, []string, error)
}

// Build compiles q into a plan.
func Build(q *ast.Query, opt Options) (*Plan, error) {
	return nil, diag.ErrorList{diag.Errorf(q.Source, q.Span, diag.UnsupportedFeature, "planner not yet implemented")}.Err()
}
