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
//
// Keys, when set, is the root filter's conjunct "By IN (…)" listing
// every partition value the plan can return: a dialect with a per-row
// subquery (LATERAL, CROSS APPLY) then reads each value's rows by a seek
// of its own, limited there, instead of numbering every row (emit/sql).
// The subquery keeps the plan's whole WHERE, security and Keys included,
// so the seek returns no row the window would not.
type PartitionLimit struct {
	By        *ColumnRef
	At        int
	Skip, Top int64
	Keys      *InList
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
	by := &ColumnRef{Source: p.Root, Column: p.Columns[at].Column}
	cp.Partition = &PartitionLimit{By: by, At: at, Skip: skip, Top: top, Keys: partitionKeys(p.Root.Filter, by)}
	return &cp, nil
}

// partitionKeys is the conjunct of filter f that lists the values of by
// (a plain, unfolded IN of non-null values), or nil.
func partitionKeys(f Expr, by *ColumnRef) *InList {
	switch x := f.(type) {
	case *And:
		for _, t := range x.Terms {
			if k := partitionKeys(t, by); k != nil {
				return k
			}
		}
	case *InList:
		if isPartitionKeys(x, by) {
			return x
		}
	}
	return nil
}

func isPartitionKeys(x *InList, by *ColumnRef) bool {
	if x == nil || x.Not || x.Fold || len(x.Values) == 0 || x.Col == nil || by == nil ||
		x.Col.Source != by.Source || x.Col.Column != by.Column {
		return false
	}
	for _, v := range x.Values {
		if v == nil {
			return false
		}
	}
	return true
}

// conjunct reports whether x is f or one of f's conjuncts (nested ANDs):
// a row f keeps satisfies x.
func conjunct(f Expr, x Expr) bool {
	if f == x {
		return true
	}
	if a, ok := f.(*And); ok {
		for _, t := range a.Terms {
			if conjunct(t, x) {
				return true
			}
		}
	}
	return false
}

func partitionErr(format string, args ...any) error {
	return diag.Errorf(nil, diag.Span{}, diag.MalformedPlan, format, args...)
}
