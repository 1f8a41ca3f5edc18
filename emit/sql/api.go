package sql

import "github.com/vecompile/vecompile/plan"

// Statement is emitted SQL with its bind parameters, in the dialect's
// placeholder style, and the plan's output columns in SELECT order.
type Statement struct {
	SQL     string
	Args    []any
	Columns []*plan.OutputColumn
}
