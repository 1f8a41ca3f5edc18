package sql

import (
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// A plan's per-partition limit (plan.PartitionLimit): the rows numbered
// per value of the partition column in the plan's order, inside a derived
// table whose WHERE (security included) is the plan's, and kept by number:
//
//	SELECT "w"."c0", … FROM (SELECT … AS "c0", …,
//	  ROW_NUMBER() OVER (PARTITION BY <by> ORDER BY <the plan's order>) AS "rn"
//	  FROM … WHERE …) AS "w"
//	WHERE "w"."rn" > ? AND "w"."rn" <= ? ORDER BY "w"."c<by>", "w"."rn"
//
// Window functions: SQLite 3.25, PostgreSQL, MariaDB 10.2, SQL Server.

// Names of the derived table and of its row number column; the plan's own
// columns are c0, c1 … so neither can clash.
const (
	partitionAlias = "w"
	rowNumberAlias = "rn"
)

// partitioned writes the statement of a plan with a per-partition limit.
func (e *emitter) partitioned(p *plan.Plan, mode queryMode) {
	pl := p.Partition
	switch {
	case mode != modeRows:
		e.fail(diag.MalformedPlan, "a per-partition limit is not counted")
		return
	case p.Aggregate || p.Distinct:
		e.fail(diag.MalformedPlan, "a per-partition limit of an aggregate or distinct plan")
		return
	case pl.By == nil || pl.At < 0 || pl.At >= len(p.Columns):
		e.fail(diag.MalformedPlan, "a per-partition limit without its column")
		return
	}
	topFetch := e.has(TopFetch)
	e.raw("SELECT ")
	if topFetch && p.Top > 0 && p.PageSize <= 0 {
		e.top(p.Top)
	}
	n := len(p.Columns) + LookupNameColumns(p.LookupNames)
	for i := 0; i < n; i++ {
		if i > 0 {
			e.raw(", ")
		}
		e.ident(partitionAlias)
		e.raw(".")
		e.alias(i)
	}
	e.raw(" FROM (")
	e.windowed = true
	e.selectCore(p, modeRows, false, 0)
	e.windowed = false
	e.raw(") AS ")
	e.ident(partitionAlias)
	e.raw(" WHERE ")
	e.ident(partitionAlias)
	e.raw(".")
	e.ident(rowNumberAlias)
	e.raw(" > ")
	e.bind(pl.Skip)
	e.raw(" AND ")
	e.ident(partitionAlias)
	e.raw(".")
	e.ident(rowNumberAlias)
	e.raw(" <= ")
	e.bind(pl.Skip + pl.Top)
	e.raw(" ORDER BY ")
	e.ident(partitionAlias)
	e.raw(".")
	e.alias(pl.At)
	e.raw(", ")
	e.ident(partitionAlias)
	e.raw(".")
	e.ident(rowNumberAlias)
	e.rowLimit(p, topFetch)
}

// rowNumber writes the select list's row number column: numbered per
// partition value in the plan's order (its last key is the root's primary
// key where there is one, so the numbering is total).
func (e *emitter) rowNumber(p *plan.Plan) {
	e.raw(", ROW_NUMBER() OVER (PARTITION BY ")
	e.col(p.Partition.By)
	if len(p.Orders) == 0 {
		e.raw(" ORDER BY (SELECT NULL)")
	} else {
		e.orderBy(p, false)
	}
	e.raw(") AS ")
	e.ident(rowNumberAlias)
}
