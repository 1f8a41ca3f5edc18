package sql

import (
	"strconv"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/plan"
)

// FROM and WHERE: joins, subqueries, the hierarchy CTEs, query hints.

// where writes the root's WHERE: security first, then the user filter.
func (e *emitter) where(ds *plan.DataSource) {
	sec := security(ds)
	if sec == nil && ds.Filter == nil {
		return
	}
	e.raw(" WHERE ")
	e.conj(sec, ds.Filter)
}

func security(ds *plan.DataSource) plan.Expr {
	if ds.Security == nil {
		return nil
	}
	if ds.Security.Expr == nil {
		// A security filter without an expression grants nothing.
		return &plan.Const{Value: false}
	}
	return ds.Security.Expr
}

// conj writes "a AND b" of the non-nil terms (TRUE when both are nil).
func (e *emitter) conj(terms ...plan.Expr) {
	n := 0
	for _, t := range terms {
		if t != nil {
			n++
		}
	}
	if n == 0 {
		e.raw("1=1")
		return
	}
	ctx := precNone
	if n > 1 {
		ctx = precAnd
	}
	first := true
	for _, t := range terms {
		if t == nil {
			continue
		}
		if !first {
			e.raw(" AND ")
		}
		first = false
		e.expr(t, ctx)
	}
}

// joins writes the joined children of ds.
func (e *emitter) joins(ds *plan.DataSource) {
	for _, j := range ds.Joins {
		if j == nil {
			e.fail(diag.MalformedPlan, "nil join under %q", ds.Name)
			continue
		}
		e.join(j)
	}
}

// join writes one joined source and its subtree. An outer join whose
// children include a non-outer join is written as a parenthesized join
// group, LEFT JOIN (b JOIN c ON …) ON …, so the inner child restricts only
// b's rows and never drops the outer parent's rows.
func (e *emitter) join(j *plan.DataSource) {
	if e.depth > maxNesting {
		e.fail(diag.MalformedPlan, "plan nested deeper than %d levels", maxNesting)
		return
	}
	e.depth++
	start := e.n
	e.joinNode(j)
	if e.probe.at >= 0 {
		e.leave(start, j.Span)
	}
	e.depth--
}

func (e *emitter) joinNode(j *plan.DataSource) {
	kind := j.Join
	if faults.OuterAsInner && kind == plan.JoinOuter {
		kind = plan.JoinInner // injected bug
	}
	switch kind {
	case plan.JoinInner:
		e.raw(" JOIN ")
		e.table(j)
		e.raw(" ON ")
		e.on(j)
		e.joins(j)
	case plan.JoinOuter:
		group := false
		for _, c := range j.Joins {
			if c != nil && c.Join != plan.JoinOuter {
				group = true
			}
		}
		e.raw(" LEFT JOIN ")
		if group {
			e.byte1('(')
			e.table(j)
			e.joins(j)
			e.raw(") ON ")
			e.on(j)
		} else {
			e.table(j)
			e.raw(" ON ")
			e.on(j)
			e.joins(j)
		}
	case plan.JoinFirstRow:
		e.firstRow(j)
		e.joins(j)
	default:
		e.fail(diag.MalformedPlan, "data source %q of kind %d cannot be joined", j.Name, j.Join)
	}
}

// on writes a join condition: child = parent, security, filter.
func (e *emitter) on(j *plan.DataSource) {
	if j.Parent != nil {
		if isKeyMap(j.Child) || isKeyMap(j.Parent.Column) {
			e.keyJoin(j.Name, nil, j.Child, j.Parent.Source.Name, j.Parent.Source, j.Parent.Column)
		} else {
			e.colEq(j.Child, func() { e.qcol(j.Name, j.Child) }, j.Parent.Column, func() { e.col(j.Parent) })
		}
		if sec := security(j); sec != nil {
			e.raw(" AND ")
			e.expr(sec, precAnd)
		}
		if j.Filter != nil && !faults.DropLinkFilter {
			e.raw(" AND ")
			e.expr(j.Filter, precAnd)
		}
		return
	}
	e.conj(security(j), j.Filter)
}

// firstRow writes a matchfirstrowusingcrossapply link: at most one
// matching row (the one with the lowest primary key), parent dropped when
// there is none.
func (e *emitter) firstRow(j *plan.DataSource) {
	var pk *plan.Column
	if j.Table != nil && j.Table.PrimaryKey != "" {
		pk, _ = j.Table.Column(j.Table.PrimaryKey)
	}
	switch {
	case e.has(CrossApply), e.has(Lateral):
		if e.has(CrossApply) {
			e.raw(" CROSS APPLY (SELECT ")
		} else {
			e.raw(" JOIN LATERAL (SELECT ")
		}
		e.firstRowBody(j, pk, true)
		e.raw(") AS ")
		e.ident(j.Name)
		if !e.has(CrossApply) {
			e.raw(" ON TRUE")
		}
	default:
		if pk == nil {
			e.fail(diag.DialectUnsupported, "first-row link %q needs its table's primary key on a dialect without LATERAL or CROSS APPLY", j.Name)
			return
		}
		e.raw(" JOIN ")
		e.table(j)
		e.raw(" ON ")
		e.qcol(j.Name, pk)
		e.raw(" = (SELECT ")
		e.firstRowBody(j, pk, false)
		e.byte1(')')
	}
}

// firstRowBody writes the inside of a first-row subquery after SELECT: the
// row (all columns) or the primary key, from the table under the link's own
// alias (it shadows the outer one), restricted to the parent's match,
// ordered by primary key, one row.
func (e *emitter) firstRowBody(j *plan.DataSource, pk *plan.Column, all bool) {
	topFetch := e.has(TopFetch)
	if topFetch {
		e.raw("TOP (1) ")
	}
	if all {
		e.raw("*")
	} else {
		e.qcol(j.Name, pk)
	}
	e.raw(" FROM ")
	e.table(j)
	e.raw(" WHERE ")
	e.on(j)
	if pk != nil {
		e.raw(" ORDER BY ")
		e.qcol(j.Name, pk)
	}
	if !topFetch {
		e.raw(" LIMIT 1")
	}
}

// subquery writes FROM … WHERE … of an Exists / InSubquery source; corr
// adds the correlation child = parent.
func (e *emitter) subquery(ds *plan.DataSource, corr bool) {
	e.raw(" FROM ")
	e.table(ds)
	e.joins(ds)
	sec := security(ds)
	if corr && ds.Parent != nil {
		e.raw(" WHERE ")
		if isKeyMap(ds.Child) || isKeyMap(ds.Parent.Column) {
			e.keyJoin(ds.Name, nil, ds.Child, ds.Parent.Source.Name, ds.Parent.Source, ds.Parent.Column)
		} else {
			e.colEq(ds.Child, func() { e.qcol(ds.Name, ds.Child) }, ds.Parent.Column, func() { e.col(ds.Parent) })
		}
		if sec != nil {
			e.raw(" AND ")
			e.expr(sec, precAnd)
		}
		if ds.Filter != nil {
			e.raw(" AND ")
			e.expr(ds.Filter, precAnd)
		}
		return
	}
	if sec != nil || ds.Filter != nil {
		e.raw(" WHERE ")
		e.conj(sec, ds.Filter)
	}
}

// with writes the hoisted recursive CTEs of the hierarchy tests.
func (e *emitter) with() {
	if len(e.hier) == 0 {
		return
	}
	if e.has(RecursiveKeyword) {
		e.raw("WITH RECURSIVE ")
	} else {
		e.raw("WITH ")
	}
	for i, h := range e.hier {
		if i > 0 {
			e.raw(", ")
		}
		e.cte(i, h)
	}
	e.byte1(' ')
}

func (e *emitter) cteName(i int) {
	var tmp [24]byte
	buf := append(tmp[:0], "vh"...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	e.ident(string(buf))
}

// cte writes one hierarchy CTE: the anchor row (depth 0) and its
// descendants (Under) or ancestors (Above), at most MaxDepth levels away.
//
//	"vh0" ("id", "parent", "depth") AS (
//	  SELECT "t"."pk", "t"."parentid", 0 FROM "tbl" AS "t" WHERE "t"."pk" = ?
//	  UNION ALL
//	  SELECT "t"."pk", "t"."parentid", "h"."depth" + 1 FROM "tbl" AS "t"
//	    JOIN "vh0" AS "h" ON "t"."parentid" = "h"."id"   -- Under
//	                       ON "t"."pk" = "h"."parent"     -- Above
//	    WHERE "h"."depth" < ?)
func (e *emitter) cte(i int, h *plan.Hierarchy) {
	t := h.Table
	if t == nil && h.Col != nil && h.Col.Source != nil {
		t = h.Col.Source.Table
	}
	if t == nil || h.Rel == nil || h.Anchor == nil {
		e.fail(diag.MalformedPlan, "hierarchy test without table, relationship or anchor")
		return
	}
	pk, ok1 := t.Column(h.Rel.ReferencedColumn)
	parent, ok2 := t.Column(h.Rel.ReferencingColumn)
	if !ok1 || !ok2 {
		e.fail(diag.MalformedPlan, "hierarchical relationship %q names columns %q / %q that table %q lacks", h.Rel.SchemaName, h.Rel.ReferencedColumn, h.Rel.ReferencingColumn, t.LogicalName)
		return
	}
	depth := h.MaxDepth
	if depth <= 0 {
		depth = plan.HierarchyMaxDepth
	}
	if depth > e.maxDepth {
		e.maxDepth = depth
	}
	// With security on, the walked table is the walk's secured instance
	// (its alias and row filter): the recursion reads only rows the caller
	// may read.
	alias, sec := "t", plan.Expr(nil)
	if h.Walk != nil {
		alias, sec = h.Walk.Name, security(h.Walk)
	}
	e.cteName(i)
	e.raw(" (")
	e.ident("id")
	e.raw(", ")
	e.ident("parent")
	e.raw(", ")
	e.ident("depth")
	e.raw(") AS (SELECT ")
	e.qcol(alias, pk)
	e.raw(", ")
	e.qcol(alias, parent)
	e.raw(", 0 FROM ")
	e.ident(t.PhysicalName)
	e.raw(" AS ")
	e.ident(alias)
	e.hint()
	e.raw(" WHERE ")
	if isKeyMap(pk) {
		e.keyMapIn(alias, nil, pk, []*plan.Value{h.Anchor}, false)
	} else {
		e.conv(e.valueConv(pk), func() { e.qcol(alias, pk) })
		e.raw(" = ")
		e.paramFor(h.Anchor, pk)
	}
	if sec != nil {
		e.raw(" AND ")
		e.expr(sec, precAnd)
	}
	e.raw(" UNION ALL SELECT ")
	e.qcol(alias, pk)
	e.raw(", ")
	e.qcol(alias, parent)
	e.raw(", ")
	e.ident("h")
	e.byte1('.')
	e.ident("depth")
	e.raw(" + 1 FROM ")
	e.ident(t.PhysicalName)
	e.raw(" AS ")
	e.ident(alias)
	e.hint()
	e.raw(" JOIN ")
	e.cteName(i)
	e.raw(" AS ")
	e.ident("h")
	e.raw(" ON ")
	if h.Above {
		e.colEq(pk, func() { e.qcol(alias, pk) }, parent, func() {
			e.ident("h")
			e.byte1('.')
			e.ident("parent")
		})
	} else {
		e.colEq(parent, func() { e.qcol(alias, parent) }, pk, func() {
			e.ident("h")
			e.byte1('.')
			e.ident("id")
		})
	}
	e.raw(" WHERE ")
	e.ident("h")
	e.byte1('.')
	e.ident("depth")
	e.raw(" < ")
	e.bind(int64(depth))
	if sec != nil {
		e.raw(" AND ")
		e.expr(sec, precAnd)
	}
	e.byte1(')')
}

// options writes T-SQL query hints (spec §1.10) and MAXRECURSION.
func (e *emitter) options(p *plan.Plan) {
	if !e.has(TableHints) || (len(p.Options) == 0 && len(e.hier) == 0) {
		return
	}
	e.raw(" OPTION (")
	n := 0
	sep := func() {
		if n > 0 {
			e.raw(", ")
		}
		n++
	}
	var useHints [4]string
	hints := useHints[:0]
	for _, o := range p.Options {
		qh, ok := plan.QueryHints[o]
		if !ok {
			e.fail(diag.DialectUnsupported, "unknown query hint %q", o)
			continue
		}
		h := qh.TSQL
		if qh.UseHint {
			hints = append(hints, h)
			continue
		}
		sep()
		e.raw(h)
	}
	if len(hints) > 0 {
		sep()
		e.raw("USE HINT (")
		for i, h := range hints {
			if i > 0 {
				e.raw(", ")
			}
			e.byte1('\'')
			e.raw(h)
			e.byte1('\'')
		}
		e.byte1(')')
	}
	if len(e.hier) > 0 {
		sep()
		e.raw("MAXRECURSION ")
		e.int(int64(e.maxDepth + 1))
	}
	e.byte1(')')
}
