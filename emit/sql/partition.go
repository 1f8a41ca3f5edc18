package sql

import (
	"encoding/json"

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
//
// The window numbers every row of every partition before keeping a few.
// Where the plan lists the partition values (PartitionLimit.Keys) and the
// dialect has a per-row subquery (Lateral, CrossApply), each value's rows
// are read by a subquery of their own instead, limited inside it, so an
// index on (partition column, order keys) seeks Skip+Top rows per value:
//
//	SELECT "w"."c0", … FROM (SELECT DISTINCT … AS "v" FROM <the keys>) AS "k"
//	CROSS JOIN LATERAL (SELECT … AS "c0", …,
//	  ROW_NUMBER() OVER (ORDER BY <the plan's order>) AS "rn"
//	  FROM … WHERE <security> AND <filter> AND <by> = "k"."v"
//	  ORDER BY <the plan's order> LIMIT ? OFFSET ?) AS "w"
//	ORDER BY "w"."c<by>", "w"."rn"
//
// The subquery keeps the plan's whole WHERE (security included, and the
// keys' IN), so it returns a subset of the window's rows for the same
// values, in the same order and numbering.

// Names of the derived table, of its row number column, of the keys'
// derived table and of its column; the plan's own columns are c0, c1 …
// so none can clash.
const (
	partitionAlias = "w"
	rowNumberAlias = "rn"
	keysAlias      = "k"
	keyAlias       = "v"
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
	keys := e.seekKeys(p)
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
	e.raw(" FROM ")
	if keys != nil {
		e.seek(p, keys)
		e.partitionOrder(p, pl, topFetch)
		return
	}
	e.byte1('(')
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
	e.partitionOrder(p, pl, topFetch)
}

// partitionOrder ends a per-parent statement: its rows by parent, then
// by their number within the parent, and the page's own limit.
func (e *emitter) partitionOrder(p *plan.Plan, pl *plan.PartitionLimit, topFetch bool) {
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
	e.raw(", ROW_NUMBER() OVER (")
	if e.seeking == nil {
		// A seek's subquery holds one partition value.
		e.raw("PARTITION BY ")
		e.col(p.Partition.By)
		e.byte1(' ')
	}
	e.raw("ORDER BY ")
	if len(p.Orders) == 0 {
		e.raw("(SELECT NULL)")
	} else {
		e.orderTerms(p, false)
	}
	e.raw(") AS ")
	e.ident(rowNumberAlias)
}

// seekKeys is the keys argument of p's per-value seek (a Go slice for
// ListArray, JSON text otherwise), or nil where the statement numbers
// rows with the window: a dialect without a per-row subquery, no key
// list, or a partition column compared through a conversion (a GUID in
// mixed case or in binary, an integer key), which the seek's equality
// would not reproduce.
func (e *emitter) seekKeys(p *plan.Plan) any {
	pl := p.Partition
	if pl.Keys == nil || len(pl.Keys.Values) == 0 || pl.Keys.Values[0] == nil || p.Root.Table == nil || !(e.has(Lateral) || e.has(CrossApply)) {
		return nil
	}
	col := refColumn(pl.By)
	if col == nil {
		return nil
	}
	if g, isGUID := guidColumn(col); isGUID && (g == plan.GuidAnyCase || g == plan.GuidBinary || g == plan.GuidInteger) {
		return nil
	}
	// GUIDs and integers compare exactly; a string's IN ignores trailing
	// spaces (pad.go), which the seek's "=" would not.
	kind := pl.Keys.Values[0].Kind
	if kind != plan.KGuid && kind != plan.KInt {
		return nil
	}
	var rows []any
	for _, v := range pl.Keys.Values {
		if v == nil || v.Kind != kind {
			return nil
		}
		a, ok := e.listArg(v, col, false)
		if !ok {
			return nil
		}
		if e.caps.List == ListArray {
			// jsonb_populate_recordset: one object per key, named as the
			// column, typed by the table's row type.
			a = map[string]any{col.PhysicalName: a}
		}
		rows = append(rows, a)
	}
	switch e.caps.List {
	case ListArray, ListOpenJSON:
		if _, ok := listType(e.caps.List, kind); !ok {
			return nil
		}
	default:
		return nil // no typed key table written for this dialect yet
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil
	}
	return string(b)
}

// seek writes the keys' derived table and the per-value subquery (see
// the comment at the top): "(SELECT DISTINCT … AS "v" FROM …) AS "k"
// CROSS JOIN LATERAL (…) AS "w"", or CROSS APPLY.
func (e *emitter) seek(p *plan.Plan, keys any) {
	pl := p.Partition
	col := refColumn(pl.By)
	e.raw("(SELECT DISTINCT ")
	switch e.caps.List {
	case ListArray:
		// The table's row type gives the key the column's own type (uuid,
		// text, integer), which a bound array or VALUES list would not.
		e.ident(col.PhysicalName)
		e.raw(" AS ")
		e.ident(keyAlias)
		e.raw(" FROM jsonb_populate_recordset(NULL::")
		e.ident(p.Root.Table.PhysicalName)
		e.raw(", ")
		e.bind(keys)
		e.raw(") AS ")
		e.ident("r")
	case ListOpenJSON:
		typ, _ := listType(ListOpenJSON, pl.Keys.Values[0].Kind)
		e.ident(keyAlias)
		e.raw(" FROM OPENJSON(")
		e.bind(keys)
		e.raw(") WITH (")
		e.ident(keyAlias)
		e.byte1(' ')
		e.raw(typ)
		e.raw(" '$')")
	}
	e.raw(") AS ")
	e.ident(keysAlias)
	if e.has(CrossApply) {
		e.raw(" CROSS APPLY (")
	} else {
		e.raw(" CROSS JOIN LATERAL (")
	}
	e.windowed, e.seeking = true, pl
	e.selectCore(p, modeRows, false, 0)
	e.windowed, e.seeking = false, nil
	e.orderBy(p, false)
	if len(p.Orders) == 0 && e.has(TopFetch) {
		e.raw(" ORDER BY (SELECT NULL)")
	}
	if e.has(TopFetch) {
		e.raw(" OFFSET ")
		e.bind(pl.Skip)
		e.raw(" ROWS FETCH NEXT ")
		e.bind(pl.Top)
		e.raw(" ROWS ONLY")
	} else {
		e.raw(" LIMIT ")
		e.bind(pl.Top)
		e.raw(" OFFSET ")
		e.bind(pl.Skip)
	}
	e.raw(") AS ")
	e.ident(partitionAlias)
}

// seekKey writes the subquery's correlation, after its WHERE: the
// partition column equals the outer key.
func (e *emitter) seekKey() {
	e.raw(" AND ")
	e.col(e.seeking.By)
	e.raw(" = ")
	e.ident(keysAlias)
	e.byte1('.')
	e.ident(keyAlias)
}
