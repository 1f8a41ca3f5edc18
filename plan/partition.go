package plan

import (
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// PartitionLimit keeps, of the rows sharing a value of By (a root column
// the plan returns as Columns[At]), those numbered Skip+1 to Skip+Top in
// the plan's order. The rows come back ordered by By, then by that
// number. Filters, security included, apply before the numbering.
type PartitionLimit struct {
	By        *ColumnRef
	At        int
	Skip, Top int64
}

// LimitPerPartition is p with a PartitionLimit on its root column col: a
// new Plan sharing p's nodes. It refuses plans whose rows a window cannot
// number as they are: aggregates, DISTINCT, paging, sort keys naming
// output columns, and a column the plan does not return.
func LimitPerPartition(p *Plan, col string, skip, top int64) (*Plan, error) {
	switch {
	case p == nil || p.Root == nil:
		return nil, partitionErr("per-partition limit of an empty plan")
	case p.Aggregate || p.Distinct || p.PageSize > 0 || p.Top > 0:
		return nil, partitionErr("per-partition limit of an aggregate, distinct or paged plan")
	case skip < 0 || top <= 0:
		return nil, partitionErr("per-partition limit %d after %d", top, skip)
	}
	for _, k := range p.Orders {
		if k == nil || k.Output != nil {
			return nil, partitionErr("per-partition limit of a plan sorted by an output column")
		}
	}
	at := -1
	for i, c := range p.Columns {
		if c != nil && !c.All && c.Source == p.Root && c.Column != nil && c.Aggregate == ast.NoAggregate &&
			c.DateGrouping == ast.NoDateGrouping && c.RowAggregate == nil &&
			strings.EqualFold(c.Column.LogicalName, col) {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, partitionErr("per-partition limit: the plan does not return %s", col)
	}
	cp := *p
	cp.Partition = &PartitionLimit{By: &ColumnRef{Source: p.Root, Column: p.Columns[at].Column}, At: at, Skip: skip, Top: top}
	return &cp, nil
}

func partitionErr(format string, args ...any) error {
	return diag.Errorf(nil, diag.Span{}, diag.MalformedPlan, format, args...)
}
