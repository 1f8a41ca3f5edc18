package sql

import (
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The statement structure: SELECT, its output columns, DISTINCT, GROUP BY.

// query writes the SELECT of p. For a count statement (modeCount) it
// writes the inner query: no ORDER BY, no paging, limited to CountLimit
// rows; for an aggregate input check (modeAggInput) the rows before
// grouping, limited to AggregateLimit+1.
func (e *emitter) query(p *plan.Plan, mode queryMode) {
	if p.Partition != nil {
		e.partitioned(p, mode)
		return
	}
	if mode == modeRows && e.rootFirst(p) {
		e.rootFirstQuery(p)
		return
	}
	top := p.Top
	switch mode {
	case modeCount:
		top = CountLimit
	case modeAggInput:
		top = p.AggregateLimit + 1
	case modeQuickFind:
		top = p.QuickFindLimit + 1
	}
	count := mode != modeRows
	topFetch := e.has(TopFetch)
	writeTop := topFetch && top > 0 && (count || p.PageSize <= 0)
	// A distinct or aggregate query sorted by a lookup's name or a choice's
	// label is wrapped, so the sort expressions read its output columns:
	// DISTINCT forbids ORDER BY expressions outside the select list
	// (PostgreSQL, MySQL), and outside it every dialect's GROUP BY rules
	// hold trivially.
	wrap := !count && (p.Distinct || p.Aggregate) && e.exprOrder(p)
	if wrap {
		e.raw("SELECT ")
		if writeTop {
			e.top(top)
		}
		e.raw("* FROM (")
		e.selectCore(p, mode, false, 0)
		e.raw(") AS ")
		e.ident(wrapAlias)
	} else {
		e.selectCore(p, mode, writeTop, top)
	}
	if count {
		if !topFetch {
			e.raw(" LIMIT ")
			e.bind(top)
		}
		return
	}
	e.orderBy(p, wrap)
	e.rowLimit(p, topFetch)
}

// rowLimit writes the plan's page (one row more than its size, to tell
// whether more records exist) or its top, where the dialect takes them at
// the statement's end; TOP-style dialects wrote top at the SELECT.
func (e *emitter) rowLimit(p *plan.Plan, topFetch bool) {
	switch {
	case p.PageSize > 0:
		page := max(p.PageNumber, 1)
		if topFetch {
			e.raw(" OFFSET ")
			e.bind((page - 1) * p.PageSize)
			e.raw(" ROWS FETCH NEXT ")
			e.bind(p.PageSize + 1)
			e.raw(" ROWS ONLY")
		} else {
			e.raw(" LIMIT ")
			e.bind(p.PageSize + 1)
			e.raw(" OFFSET ")
			e.bind((page - 1) * p.PageSize)
		}
	case p.Top > 0 && !topFetch:
		e.raw(" LIMIT ")
		e.bind(p.Top)
	}
}

// wrapAlias names the derived table of a wrapped distinct or aggregate
// query (see query); only its output columns c0, c1 … are in scope.
const wrapAlias = "v"

// exprOrder reports whether a sort key compares an expression (a lookup's
// name, a choice's label, a string's case folding) rather than a stored
// value or an output column.
func (e *emitter) exprOrder(p *plan.Plan) bool {
	for _, k := range p.Orders {
		if k != nil && (k.By != plan.SortValue || e.foldedKey(k)) {
			return true
		}
	}
	return false
}

// foldedKey reports whether key k sorts strings, which Dataverse's
// collation orders case- (and accent-) insensitively: the key then sorts
// by the folding of the string without trailing spaces (foldInto,
// trimmed), as comparisons fold (SQL Server: its collation does), and by
// nothing else: strings that tie under the collation go to the next key.
// A lookup's name key is a string too.
func (e *emitter) foldedKey(k *plan.SortKey) bool {
	return !e.has(CaseInsensitive) && e.stringKey(k)
}

// stringKey reports whether key k sorts strings: a lookup's name, or a
// string column or the min or max of one.
func (e *emitter) stringKey(k *plan.SortKey) bool {
	switch k.By {
	case plan.SortName:
		return true
	case plan.SortLabel:
		return false // ranked in Go, case-insensitively
	}
	if oc := k.Output; oc != nil {
		if oc.DateGrouping != ast.NoDateGrouping || oc.RowAggregate != nil {
			return false
		}
		if oc.Aggregate != ast.NoAggregate && oc.Aggregate != ast.Min && oc.Aggregate != ast.Max {
			return false // counts, sums and averages are numbers
		}
	}
	c := k.SortColumn()
	return e.foldsAsString(c)
}

func (e *emitter) top(n int64) {
	e.raw("TOP (")
	e.bind(n)
	e.raw(") ")
}

// selectCore writes SELECT [DISTINCT] [TOP (n)] <columns> FROM … WHERE …
// [GROUP BY …] of the query (for modeAggInput: SELECT 1 over the rows
// before grouping).
func (e *emitter) selectCore(p *plan.Plan, mode queryMode, writeTop bool, top int64) {
	count := mode != modeRows
	grouped := p.Aggregate && mode != modeAggInput
	distinct := p.Distinct && mode != modeAggInput
	if distinct && !grouped && e.foldsDistinct(p) {
		e.foldedDistinct(p, mode == modeRows, writeTop, top)
		return
	}
	e.raw("SELECT ")
	if distinct {
		e.raw("DISTINCT ")
	}
	if writeTop {
		e.top(top)
	}
	// spans of the select-list expressions that contain parameters, for
	// GROUP BY (see groupBy).
	var spanBuf [8]span
	spans := spanBuf[:0]
	if count && !distinct && !grouped {
		e.raw("1 AS ")
		e.alias(0)
	} else {
		if len(p.Columns) == 0 {
			e.fail(diag.MalformedPlan, "plan selects no columns")
		}
		for i, c := range p.Columns {
			if i > 0 {
				e.raw(", ")
			}
			if c != nil && c.All {
				e.star(c)
				continue
			}
			start, nargs := e.n, len(e.args)
			e.output(p, c)
			if p.Aggregate && len(e.args) > nargs {
				spans = append(spans, span{i, start, e.n})
			}
			if e.probe.at >= 0 && c != nil {
				e.leave(start, c.Span)
			}
			e.raw(" AS ")
			e.alias(i)
		}
		if mode == modeRows && !grouped {
			e.lookupNameColumns(p)
		}
	}
	if e.windowed {
		e.rowNumber(p)
	}
	e.raw(" FROM ")
	if e.keys != nil {
		// RootFirst: the root's rows, filtered, ordered and limited.
		e.rootRows(p)
		e.joins(p.Root)
		return
	}
	e.table(p.Root)
	e.joins(p.Root)
	e.where(p.Root)
	if e.seeking != nil {
		e.seekKey()
	}
	if mode == modeRows {
		// A count is the query's, whichever page asks (Dataverse's
		// total record count): not the rows after a keyset cookie.
		e.afterWhere(p)
	}
	if grouped {
		e.groupBy(p, spans)
	}
}

// afterWhere writes the keyset continuation (if any) after the root's
// WHERE, or as the WHERE where there is none.
func (e *emitter) afterWhere(p *plan.Plan) {
	if p.After == nil {
		return
	}
	if security(p.Root) == nil && p.Root.Filter == nil && e.seeking == nil {
		e.raw(" WHERE ")
	} else {
		e.raw(" AND ")
	}
	e.after(p)
}

type span struct{ col, start, end int }

// foldsGroup reports whether output column c is a plain string that
// Dataverse's case-insensitive collation groups by its case folding: as a
// groupby column of an aggregate, or a column of a distinct query. Such a
// group shows one of its spellings; we show the least (MIN: 'Foo' for
// 'Foo' and 'foo' under a binary collation) so every engine agrees. SQL
// Server's CI collation groups so by itself.
func (e *emitter) foldsGroup(c *plan.OutputColumn) bool {
	return c != nil && !e.has(CaseInsensitive) && c.Aggregate == ast.NoAggregate &&
		c.DateGrouping == ast.NoDateGrouping && c.RowAggregate == nil &&
		e.foldsAsString(c.Column)
}

// foldsDistinct reports whether a distinct query has a string column to
// fold (see foldedDistinct).
func (e *emitter) foldsDistinct(p *plan.Plan) bool {
	for _, c := range p.Columns {
		if e.foldsGroup(c) {
			return true
		}
	}
	return false
}

// distinctAlias names the derived table of a folded distinct query.
const distinctAlias = "d"

// foldedDistinct writes a distinct query whose string columns merge case
// variants, as DISTINCT does under Dataverse's collation: the exact
// DISTINCT rows are grouped again by the case folding of their strings,
//
//	SELECT MIN("d"."c0") AS "c0", "d"."c1" AS "c1"
//	FROM (SELECT DISTINCT … AS "c0", … AS "c1" FROM … WHERE …) AS "d"
//	GROUP BY LOWER("d"."c0"), "d"."c1"
//
// Its output columns keep their names, so ORDER BY, the wrapped sort and
// the count statements read it as they read a plain DISTINCT.
func (e *emitter) foldedDistinct(p *plan.Plan, names, writeTop bool, top int64) {
	for _, c := range p.Columns {
		if c != nil && c.All {
			e.fail(diag.DialectUnsupported, "all-attributes without metadata in a distinct query that folds strings")
		}
	}
	e.raw("SELECT ")
	if writeTop {
		e.top(top)
	}
	e.distinctColumns(p, true)
	if names {
		// A lookup's name and target follow its value, which is grouped.
		for i := len(p.Columns); i < len(p.Columns)+LookupNameColumns(p.LookupNames); i++ {
			e.raw(", MIN(")
			e.ident(distinctAlias)
			e.byte1('.')
			e.alias(i)
			e.raw(") AS ")
			e.alias(i)
		}
	}
	e.raw(" FROM (SELECT DISTINCT ")
	for i, c := range p.Columns {
		if i > 0 {
			e.raw(", ")
		}
		e.output(p, c)
		e.raw(" AS ")
		e.alias(i)
	}
	if names {
		e.lookupNameColumns(p)
	}
	e.raw(" FROM ")
	e.table(p.Root)
	e.joins(p.Root)
	e.where(p.Root)
	e.raw(") AS ")
	e.ident(distinctAlias)
	e.raw(" GROUP BY ")
	e.distinctColumns(p, false)
}

// distinctColumns lists the derived table's columns d.c0, d.c1 … of a
// folded distinct query, the folded string ones as MIN(d.c<i>) named c<i>
// for the select list (named), folded (foldOpen) for GROUP BY.
func (e *emitter) distinctColumns(p *plan.Plan, named bool) {
	for i, c := range p.Columns {
		if i > 0 {
			e.raw(", ")
		}
		pad := !named && c != nil && e.pads(c.Column) // the group, not the spelling shown
		col := func() {
			if pad {
				e.raw("RTRIM(")
			}
			e.ident(distinctAlias)
			e.byte1('.')
			e.alias(i)
			if pad {
				e.byte1(')')
			}
		}
		switch {
		case !e.foldsGroup(c):
			col()
		case named:
			e.raw("MIN(")
			col()
			e.byte1(')')
		default:
			e.foldInto(col, col)
		}
		if named {
			e.raw(" AS ")
			e.alias(i)
		}
	}
}

// output writes one select-list expression.
func (e *emitter) output(p *plan.Plan, c *plan.OutputColumn) {
	if c == nil {
		e.fail(diag.MalformedPlan, "nil output column")
		return
	}
	if p.Aggregate && c.Aggregate == ast.Count {
		e.raw("COUNT(*)")
		return
	}
	if c.RowAggregate != nil {
		if p.Aggregate {
			e.fail(diag.MalformedPlan, "rowaggregate column %q in an aggregate plan", c.Name)
			return
		}
		e.countChildren(c)
		return
	}
	ref := plan.ColumnRef{Source: c.Source, Column: c.Column}
	if !p.Aggregate {
		e.col(&ref)
		if p.Distinct {
			e.collate(c.Column) // DISTINCT compares as Dataverse
		}
		return
	}
	switch c.Aggregate {
	case ast.CountColumn:
		e.raw("COUNT(")
		if c.Distinct {
			// Distinct strings are counted by their case folding, as
			// Dataverse's collation compares them.
			e.raw("DISTINCT ")
			if !e.has(CaseInsensitive) && e.foldsAsString(c.Column) {
				e.eqCol(&ref, true)
				e.byte1(')')
				return
			}
		}
		e.col(&ref)
		if c.Distinct {
			e.collate(c.Column)
		}
		e.byte1(')')
	case ast.Sum:
		e.raw("SUM(")
		e.col(&ref)
		e.byte1(')')
	case ast.Avg:
		e.raw("AVG(")
		if e.has(AvgIntTruncates) && c.Column != nil && c.Column.Type.Kind() == plan.KInt {
			e.raw("CAST(")
			e.col(&ref)
			e.raw(" AS DECIMAL(38, 10))")
		} else {
			e.col(&ref)
		}
		e.byte1(')')
	case ast.Min, ast.Max:
		e.minMax(c, &ref)
	case ast.NoAggregate:
		if e.foldsGroup(c) {
			// Grouped by its folding (groupBy); one spelling shows.
			e.raw("MIN(")
			e.col(&ref)
			e.byte1(')')
			return
		}
		e.groupKey(c, &ref)
	default:
		e.fail(diag.UnsupportedFeature, "aggregate %q is not supported", c.Aggregate)
	}
}

// minMax writes MIN(col) or MAX(col). Dataverse takes min and max of a
// Boolean (false < true); SQL Server has no MIN or MAX over bit (error
// 8117), so the bit is aggregated as an integer and cast back,
// CAST(MAX(CAST(col AS INT)) AS BIT), and PostgreSQL none over boolean,
// where they are BOOL_AND and BOOL_OR.
func (e *emitter) minMax(c *plan.OutputColumn, ref *plan.ColumnRef) {
	max := c.Aggregate == ast.Max
	boolean := c.Column != nil && c.Column.Type.Kind() == plan.KBool
	switch {
	case boolean && e.has(BoolAndOr):
		if max {
			e.raw("BOOL_OR(")
		} else {
			e.raw("BOOL_AND(")
		}
	case boolean && e.has(BitMinMaxCast):
		if max {
			e.raw("CAST(MAX(CAST(")
		} else {
			e.raw("CAST(MIN(CAST(")
		}
		e.col(ref)
		e.raw(" AS INT)) AS BIT)")
		return
	case max:
		e.raw("MAX(")
	default:
		e.raw("MIN(")
	}
	e.col(ref)
	e.collate(c.Column)
	e.byte1(')')
}

// countChildren writes rowaggregate="CountChildren": the number of direct
// children of the row in its table's hierarchical relationship,
//
//	(SELECT COUNT(*) FROM "account" AS "vs" WHERE "vs"."parentaccountid" = "account"."accountid")
//
// Dataverse counts the children the caller cannot read too, so the
// subquery deliberately carries no security filter.
func (e *emitter) countChildren(c *plan.OutputColumn) {
	rel, ds := c.RowAggregate, c.Source
	if ds == nil || ds.Table == nil {
		e.fail(diag.MalformedPlan, "rowaggregate column %q without a data source", c.Name)
		return
	}
	pk, ok1 := ds.Table.Column(rel.ReferencedColumn)
	parent, ok2 := ds.Table.Column(rel.ReferencingColumn)
	if !ok1 || !ok2 {
		e.fail(diag.MalformedPlan, "hierarchical relationship %q names columns %q / %q that table %q lacks", rel.SchemaName, rel.ReferencedColumn, rel.ReferencingColumn, ds.Table.LogicalName)
		return
	}
	// An outer link without a matching row has no children to count: its
	// columns, this one included, are null.
	outer := ds.Join == plan.JoinOuter
	if outer {
		e.raw("CASE WHEN ")
		e.qcol(ds.Name, pk)
		e.raw(" IS NULL THEN NULL ELSE ")
	}
	a := e.subAlias()
	e.raw("(SELECT COUNT(*) FROM ")
	e.ident(ds.Table.PhysicalName)
	e.raw(" AS ")
	e.ident(a)
	e.hint()
	e.raw(" WHERE ")
	e.colEq(parent, func() { e.qcol(a, parent) }, pk, func() { e.qcol(ds.Name, pk) })
	e.byte1(')')
	if outer {
		e.raw(" END")
	}
}

// subAlias is the table alias of the scalar subqueries the emitter adds
// (rowaggregate counts, lookup-name sort keys): "vs", or "vs1", "vs2" …
// when a data source of the plan is already named so. Each subquery is its
// own scope, so they all share it; it only has to differ from the names
// of the outer query's sources, which the subquery reads.
func (e *emitter) subAlias() string {
	if e.sub != "" {
		return e.sub
	}
	e.sub = "vs"
	for i := 1; e.p != nil && sourceNamed(e.p.Root, e.sub, 0); i++ {
		e.sub = "vs" + strconv.Itoa(i)
	}
	return e.sub
}

// sourceNamed reports whether ds or a source joined below it is named name
// (case-insensitively: MySQL compares aliases so).
func sourceNamed(ds *plan.DataSource, name string, depth int) bool {
	if ds == nil || depth > maxNesting {
		return false
	}
	if strings.EqualFold(ds.Name, name) {
		return true
	}
	for _, j := range ds.Joins {
		if sourceNamed(j, name, depth+1) {
			return true
		}
	}
	return false
}

// groupKey writes a grouping column, or its date part.
func (e *emitter) groupKey(c *plan.OutputColumn, ref *plan.ColumnRef) {
	var part plan.DatePartKind
	switch c.DateGrouping {
	case ast.NoDateGrouping:
		e.col(ref)
		e.collate(c.Column) // the same text in the select list and GROUP BY
		return
	case ast.Day:
		part = plan.PartDay
	case ast.Week:
		part = plan.PartWeek
	case ast.Month:
		part = plan.PartMonth
	case ast.Quarter:
		part = plan.PartQuarter
	case ast.Year:
		part = plan.PartYear
	case ast.FiscalYear, ast.FiscalPeriod:
		e.fiscalKey(c, ref)
		return
	default:
		e.fail(diag.UnsupportedFeature, "dategrouping %q is not supported by the SQL emitter (column %q)", c.DateGrouping, c.Name)
		return
	}
	e.datePart(part, ref, c.Zone)
}

// fiscalKey writes an integer key for fiscal grouping, which the executor
// turns into Dataverse's label: the fiscal year (named after the calendar
// year it starts in) for fiscal-year, year*100 + period for fiscal-period.
// When every period starts on the 1st of a month, periods are found with a
// CASE over calendar months; other calendars (four-weekly, or a fiscal
// year starting on another day) use the arithmetic of fiscalSQL.
func (e *emitter) fiscalKey(c *plan.OutputColumn, ref *plan.ColumnRef) {
	f := c.Fiscal
	if f == nil {
		e.fail(diag.MalformedPlan, "fiscal date grouping without fiscal settings (column %q)", c.Name)
		return
	}
	periods := map[int]int{2000: 1, 2001: 2, 2002: 4, 2003: 12}[f.PeriodType]
	if periods == 0 || f.Start.Day() != 1 {
		w := e.newFiscal(f, ref, c.Zone)
		switch {
		case w == nil:
		case c.DateGrouping == ast.FiscalYear:
			w.year()
		default:
			w.key()
		}
		return
	}
	sm := int64(f.Start.Month())
	month := func() { e.datePart(plan.PartMonth, ref, c.Zone) }
	e.byte1('(')
	e.datePart(plan.PartYear, ref, c.Zone)
	if sm != 1 {
		e.raw(" - CASE WHEN ")
		month()
		e.raw(" < ")
		e.int(sm)
		e.raw(" THEN 1 ELSE 0 END")
	}
	e.byte1(')')
	if c.DateGrouping == ast.FiscalYear {
		return
	}
	e.raw(" * 100 + CASE")
	per := 12 / periods
	for p := 0; p < periods; p++ {
		e.raw(" WHEN ")
		month()
		e.raw(" IN (")
		for i := 0; i < per; i++ {
			if i > 0 {
				e.raw(", ")
			}
			e.int((sm-1+int64(p*per+i))%12 + 1)
		}
		e.raw(") THEN ")
		e.int(int64(p + 1))
	}
	e.raw(" END")
}

// groupBy writes GROUP BY over the grouping columns. A key whose
// expression holds parameters (a date part in a zone) must match the
// select list exactly: with numbered placeholders the select-list text is
// repeated (same $n / @pN); with "?" placeholders the key is the select
// list position.
func (e *emitter) groupBy(p *plan.Plan, spans []span) {
	first := true
	for i, c := range p.Columns {
		if c == nil || c.Aggregate != ast.NoAggregate {
			continue
		}
		if first {
			e.raw(" GROUP BY ")
			first = false
		} else {
			e.raw(", ")
		}
		if e.check.groupTerms++; e.check.groupTerms > e.limits.GroupTerms && e.limits.GroupTerms > 0 && e.check.groupOver == nil {
			e.check.groupOver = c
		}
		sp := -1
		for k := range spans {
			if spans[k].col == i {
				sp = k
			}
		}
		switch {
		case e.foldsGroup(c):
			e.eqCol(&plan.ColumnRef{Source: c.Source, Column: c.Column}, true)
		case sp < 0:
			e.output(p, c)
		case e.caps.Params.Numbered():
			e.again(spans[sp].start, spans[sp].end)
		case e.has(GroupByOrdinal):
			e.int(int64(i + 1))
		default:
			e.fail(diag.DialectUnsupported, "dialect cannot group by a parameterized expression (column %q)", c.Name)
		}
	}
}

// star writes "alias".*: all-attributes in untyped mode, every column the
// table holds, under the database's names.
func (e *emitter) star(c *plan.OutputColumn) {
	if c.Source == nil {
		e.fail(diag.MalformedPlan, "all-attributes column without a source")
		return
	}
	e.ident(c.Source.Name)
	e.raw(".*")
}

// foldsAsString reports whether sorting, grouping and DISTINCT fold column
// c's case: a string, or GUIDs stored in both cases.
func (e *emitter) foldsAsString(c *plan.Column) bool {
	return c != nil && (c.Type.Kind() == plan.KString || e.guidFolds(c))
}
