package sql

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/plan"
)

// CountLimit is how many rows EmitCount counts at most: one more than
// Dataverse's 5,000 total-record-count cap, so the executor can tell "5,000"
// from "more than 5,000".
const CountLimit = plan.TotalRecordCountLimit + 1

// Emit compiles p into one SELECT statement for dialect d.
func Emit(p *plan.Plan, d Dialect) (*Statement, error) {
	return run(p, d, modeRows)
}

// run renders the statement of mode (modeRows: Emit; the others the count
// statements), then checks it against the dialect's limits (limits.go).
func run(p *plan.Plan, d Dialect, mode queryMode) (*Statement, error) {
	var e emitter
	if err := e.init(p, d); err != nil {
		return nil, err
	}
	e.write(p, mode)
	if e.err != nil {
		return nil, e.err
	}
	if v, over := e.overLimit(p); over {
		return nil, e.limitError(p, d, v, mode)
	}
	cols := countColumn
	if mode == modeRows {
		cols = p.Columns
	}
	return &Statement{SQL: e.text(), Args: e.args, Columns: cols}, nil
}

// write renders the statement of mode.
func (e *emitter) write(p *plan.Plan, mode queryMode) {
	switch mode {
	case modeRows:
		e.with()
		e.query(p, modeRows)
		e.options(p)
	case modeQuickFind:
		e.quickFindCount(p)
	default:
		e.countOf(p, mode)
	}
}

// countColumn is the one output column of a count statement.
var countColumn = []*plan.OutputColumn{{Name: "count", Aggregate: ast.Count}}

// EmitCount compiles the total-record-count statement of p: the number of
// rows p returns without Top and paging, counted up to CountLimit rows:
//
//	SELECT COUNT(*) FROM (SELECT … LIMIT 5001) AS "t"
func EmitCount(p *plan.Plan, d Dialect) (*Statement, error) {
	return run(p, d, modeCount)
}

// EmitAggregateInput compiles the input-size check of an aggregate plan:
// the number of rows the aggregate reads (the joined, filtered rows before
// grouping), counted up to p.AggregateLimit+1 rows, so that the executor
// can refuse a query over the limit as Dataverse does (spec §1.9, §5.9):
//
//	SELECT COUNT(*) FROM (SELECT 1 AS "c0" FROM … WHERE … LIMIT 50001) AS "t"
//
// (TOP (50001) on SQL Server). p must be an aggregate plan with a positive
// AggregateLimit.
func EmitAggregateInput(p *plan.Plan, d Dialect) (*Statement, error) {
	if p != nil && p.Root != nil && d != nil && (!p.Aggregate || p.AggregateLimit <= 0) {
		return nil, errList(diag.MalformedPlan, "EmitAggregateInput needs an aggregate plan with a positive AggregateLimit")
	}
	return run(p, d, modeAggInput)
}

// EmitQuickFindCount writes the statement that counts, up to one more than
// p.QuickFindLimit, the rows of the root the quick-find filter matches with
// the caller's security: Dataverse evaluates that filter before the
// others. A quick-find filter that reads a joined source's columns is
// counted over the whole query instead (all filters applied).
func EmitQuickFindCount(p *plan.Plan, d Dialect) (*Statement, error) {
	if p != nil && p.Root != nil && d != nil && (p.QuickFind == nil || p.QuickFindLimit <= 0) {
		return nil, errList(diag.MalformedPlan, "EmitQuickFindCount needs a plan with a quick-find filter and a positive QuickFindLimit")
	}
	return run(p, d, modeQuickFind)
}

// quickFindCount writes EmitQuickFindCount's statement.
func (e *emitter) quickFindCount(p *plan.Plan) {
	if !readsOnly(p.QuickFind, p.Root) {
		e.countOf(p, modeQuickFind)
	} else {
		e.with()
		e.raw("SELECT COUNT(*) FROM (SELECT ")
		topFetch := e.has(TopFetch)
		if topFetch {
			e.top(p.QuickFindLimit + 1)
		}
		e.raw("1 AS ")
		e.alias(0)
		e.raw(" FROM ")
		e.table(p.Root)
		e.raw(" WHERE ")
		e.conj(security(p.Root), p.QuickFind)
		if !topFetch {
			e.raw(" LIMIT ")
			e.bind(p.QuickFindLimit + 1)
		}
		e.raw(") AS ")
		e.ident("t")
		e.options(p)
	}
}

// readsOnly reports whether x reads only columns of ds (subqueries of ds,
// such as any/all links, are self-contained).
func readsOnly(x plan.Expr, ds *plan.DataSource) bool {
	ok := true
	ref := func(r *plan.ColumnRef) {
		if r != nil && r.Source != ds {
			ok = false
		}
	}
	plan.Inspect(x, func(x plan.Expr) bool {
		switch x := x.(type) {
		case *plan.And, *plan.Or, *plan.Not, *plan.NotTrue:
		case *plan.Compare:
			ref(x.Left)
			if r, isRef := x.Right.(*plan.ColumnRef); isRef {
				ref(r)
			}
		case *plan.IsNull:
			ref(x.Col)
		case *plan.InList:
			ref(x.Col)
		case *plan.Like:
			ref(x.Col)
		case *plan.MultiContains:
			ref(x.Col)
		case *plan.Hierarchy:
			ref(x.Col)
		case *plan.PartIn:
			if x.Part != nil {
				ref(x.Part.Col)
			}
		case *plan.Exists, *plan.InSubquery, *plan.Const:
		default:
			ok = false // an expression this walk does not know: count the whole query
		}
		return ok
	})
	return ok
}

// countOf writes SELECT COUNT(*) FROM (<inner query>) AS "t".
func (e *emitter) countOf(p *plan.Plan, mode queryMode) {
	e.with()
	e.raw("SELECT COUNT(*) FROM (")
	e.query(p, mode)
	e.raw(") AS ")
	e.ident("t")
	e.options(p)
}

// queryMode is what query writes.
type queryMode uint8

const (
	modeRows      queryMode = iota // the statement: ORDER BY, Top and paging
	modeCount                      // EmitCount's inner query: no order, at most CountLimit rows
	modeAggInput                   // EmitAggregateInput's inner query: the rows before grouping, at most AggregateLimit+1
	modeQuickFind                  // EmitQuickFindCount's inner query over the whole query: at most QuickFindLimit+1 rows
)

// Operator precedence levels for parenthesization.
const (
	precNone = iota
	precOr
	precAnd
	precNot
)

// emitter renders one statement. It lives on the caller's stack; the only
// allocations of a typical Emit are the text buffer (grown once from
// an estimate), the argument slice and the Statement.
type emitter struct {
	buf    []byte // len == cap; the first n bytes are written
	n      int
	args   []any
	caps   Caps
	flags  Flag
	err    error
	nolock bool
	// hier lists the hoisted hierarchy CTEs; the CTE of hier[i] is named
	// vh<i>.
	hier []*plan.Hierarchy
	// maxDepth is the deepest hierarchy recursion, for T-SQL MAXRECURSION.
	maxDepth int
	// depth is the current expression / join nesting (see maxNesting).
	depth int
	// open and close are the identifier quotes.
	open, close byte
	// p is the plan being written; sub the alias of added scalar
	// subqueries (subAlias), chosen on first use.
	p   *plan.Plan
	sub string
	// accents: folds strip accents too (accent-insensitive plan on an
	// engine compared with LOWER()); foldArg is the argument number of the
	// bound translate table (FoldTranslate), 0 until first bound.
	accents bool
	foldArg int
	// limits are the dialect's; check records what overLimit checks,
	// probe what a probing rendering looks for (limits.go).
	limits Limits
	check  limitCheck
	probe  probe
	// offsets are the zone offset CASEs written so far (datepart.go).
	offsets []writtenOffset
}

func (e *emitter) init(p *plan.Plan, d Dialect) error {
	if d == nil {
		return errList(diag.DialectUnsupported, "no dialect")
	}
	if p == nil || p.Root == nil {
		return errList(diag.MalformedPlan, "plan has no root data source")
	}
	e.p = p
	e.caps = d.Caps()
	e.limits = e.caps.Limits
	e.check.reset()
	e.probe.at = -1
	e.flags = e.caps.Flags
	e.open, e.close = '"', '"'
	switch e.caps.Quote {
	case QuoteBacktick:
		e.open, e.close = '`', '`'
	case QuoteBracket:
		e.open, e.close = '[', ']'
	}
	e.nolock = p.NoLock && e.has(TableHints)
	e.accents = !p.AccentSensitive && !e.has(CaseInsensitive)
	var sz sizer
	sz.source(p.Root, e)
	sz.bytes += 32 + 48*len(p.Columns) + (40+e.foldCost())*len(p.Orders) + 64
	for _, k := range p.Orders {
		if k == nil {
			continue
		}
		switch k.By {
		case plan.SortName:
			sz.bytes += 48 + 112*len(k.Targets)
			for _, n := range k.Names {
				sz.bytes += 40 + 8*len(n.Shared)
			}
		case plan.SortLabel:
			if c := k.SortColumn(); c != nil {
				sz.bytes += 32 + 20*len(c.Options)
			}
		}
	}
	sz.args += 2
	if e.accents && e.caps.Fold == FoldTranslate {
		sz.args += 2 // the translate table
	}
	e.buf = make([]byte, sz.bytes)
	e.args = make([]any, 0, sz.args)
	return nil
}

func (e *emitter) has(f Flag) bool { return e.flags&f != 0 }

func errList(code diag.Code, format string, args ...any) error {
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, code, format, args...)}
}

// fail records the first error; emission goes on (output is discarded), so
// that no path needs an early return to stay safe.
func (e *emitter) fail(code diag.Code, format string, args ...any) {
	if e.err == nil {
		e.err = errList(code, format, args...)
	}
}

// sizer estimates the statement's length and argument count, and collects
// the hierarchy tests to hoist, in one walk that allocates nothing (unless
// there are hierarchy tests).
type sizer struct{ bytes, args, depth int }

func (s *sizer) source(ds *plan.DataSource, e *emitter) {
	if ds == nil || s.depth > maxNesting {
		return
	}
	s.depth++
	s.bytes += 96
	s.expr(ds.Filter, e)
	if ds.Security != nil {
		s.expr(ds.Security.Expr, e)
	}
	for _, j := range ds.Joins {
		s.source(j, e)
	}
	s.depth--
}

func (s *sizer) expr(x plan.Expr, e *emitter) {
	if s.depth > maxNesting {
		return
	}
	s.depth++
	s.exprNode(x, e)
	s.depth--
}

func (s *sizer) exprNode(x plan.Expr, e *emitter) {
	switch x := x.(type) {
	case *plan.And:
		if x == nil {
			return
		}
		s.bytes += 7 * len(x.Terms)
		for _, t := range x.Terms {
			s.expr(t, e)
		}
	case *plan.Or:
		if x == nil {
			return
		}
		s.bytes += 6 * len(x.Terms)
		for _, t := range x.Terms {
			s.expr(t, e)
		}
	case *plan.Not:
		if x == nil {
			return
		}
		s.bytes += 8
		s.expr(x.X, e)
	case *plan.NotTrue:
		if x == nil {
			return
		}
		s.bytes += 40
		s.expr(x.X, e)
	case *plan.Compare:
		if x == nil {
			return
		}
		s.bytes += 48
		s.args++
		if x.Fold {
			s.bytes += 2 * e.foldCost()
		}
	case *plan.InList:
		if x == nil {
			return
		}
		s.bytes += 40 + 5*len(x.Values)
		s.args += len(x.Values)
		if x.Fold {
			s.bytes += e.foldCost()
		}
	case *plan.Like:
		if x == nil {
			return
		}
		s.bytes += 56 + e.foldCost()
		s.args++
	case *plan.Exists:
		if x == nil {
			return
		}
		s.bytes += 64
		s.source(x.Source, e)
	case *plan.InSubquery:
		if x == nil {
			return
		}
		s.bytes += 64
		s.source(x.Source, e)
	case *plan.MultiContains:
		if x == nil {
			return
		}
		s.bytes += 40 * len(x.Values)
		s.args += len(x.Values)
	case *plan.PartIn:
		if x == nil {
			return
		}
		s.bytes += 96 + 5*len(x.Values)
		s.args += len(x.Values) + 2
		if x.Part != nil && x.Part.Part == plan.PartFiscalPeriod {
			s.bytes += 640 * len(x.Values) // year, month, day and leap-year arithmetic
			s.args += 6 * len(x.Values)
		}
	case *plan.Hierarchy:
		if x == nil {
			return
		}
		s.bytes += 400
		s.args += 2
		for _, h := range e.hier {
			if h == x {
				return
			}
		}
		e.hier = append(e.hier, x)
	default:
		s.bytes += 16
	}
}

// ---- low-level writers ----

// raw appends s. The buffer is written by index (len == cap, fill level
// e.n) so that appending stores no pointer: no GC write barrier per write.
func (e *emitter) raw(s string) {
	if len(s) > len(e.buf)-e.n {
		e.grow(len(s))
	}
	e.n += copy(e.buf[e.n:], s)
}

func (e *emitter) grow(need int) {
	nb := make([]byte, 2*len(e.buf)+need)
	copy(nb, e.buf[:e.n])
	e.buf = nb
}

// again appends a copy of the text at [start, end).
func (e *emitter) again(start, end int) {
	old := e.buf // grow keeps the old array intact
	if end-start > len(e.buf)-e.n {
		e.grow(end - start)
	}
	e.n += copy(e.buf[e.n:], old[start:end])
}

// text returns the statement; the buffer is never written again.
func (e *emitter) text() string { return unsafe.String(unsafe.SliceData(e.buf), e.n) }

func (e *emitter) byte1(c byte) {
	if e.n >= len(e.buf) {
		e.grow(1)
	}
	e.buf[e.n] = c
	e.n++
}

func (e *emitter) int(n int64) {
	var tmp [24]byte
	e.rawBytes(strconv.AppendInt(tmp[:0], n, 10))
}

// ident writes a quoted identifier, doubling the closing quote inside.
func (e *emitter) ident(name string) {
	if len(name) > e.limits.Ident && e.limits.Ident > 0 {
		e.longIdent(name)
	}
	open, close := e.open, e.close
	if strings.IndexByte(name, close) < 0 {
		// One capacity check and one copy for the usual identifier.
		if len(name)+2 > len(e.buf)-e.n {
			e.grow(len(name) + 2)
		}
		b := e.buf[e.n : e.n+len(name)+2]
		b[0] = open
		copy(b[1:], name)
		b[len(b)-1] = close
		e.n += len(b)
		return
	}
	e.byte1(open)
	for {
		i := strings.IndexByte(name, close)
		if i < 0 {
			break
		}
		e.raw(name[:i+1])
		e.byte1(close)
		name = name[i+1:]
	}
	e.raw(name)
	e.byte1(close)
}

// alias writes the positional output alias c<i>.
func (e *emitter) alias(i int) {
	var tmp [24]byte
	buf := append(tmp[:0], 'c')
	buf = strconv.AppendInt(buf, int64(i), 10)
	e.ident(string(buf)) // does not escape: ident only reads it
}

// bind appends an argument and writes its placeholder.
func (e *emitter) bind(a any) {
	e.args = append(e.args, a)
	if len(e.args) == e.limits.Params+1 && e.limits.Params > 0 {
		e.check.paramAt = e.n
	}
	e.placeholder(len(e.args))
}

func (e *emitter) placeholder(n int) {
	switch e.caps.Params {
	case ParamDollar:
		e.byte1('$')
		e.int(int64(n))
	case ParamAtP:
		e.raw("@p")
		e.int(int64(n))
	case ParamQuestionNumbered:
		e.byte1('?')
		e.int(int64(n))
	default:
		e.byte1('?')
	}
}

// col writes "source"."column".
func (e *emitter) col(r *plan.ColumnRef) {
	if r == nil || r.Source == nil || r.Column == nil {
		e.fail(diag.MalformedPlan, "column reference without a source or column")
		return
	}
	e.securedCol(r.Source.Name, r.Source.Table, r.Column, r.Source.Security.Hides(r.Column), r.Source.Security.SharedKeys(r.Column))
}

// securedCol writes alias.column as column security lets the caller read
// it: the column; or, hidden, NULL of its own type (the value is never
// evaluated); or, hidden but field-shared on the records keys, the column
// on those records and NULL on the others.
func (e *emitter) securedCol(alias string, t *plan.Table, c *plan.Column, hidden bool, keys []*plan.Value) {
	switch {
	case hidden && len(keys) > 0: // none: NULL below, never IN ()
		pk, ok := t.Column(t.PrimaryKey)
		if !ok {
			e.fail(diag.MalformedPlan, "shared column %s of a table without a primary key", c.LogicalName)
			return
		}
		e.raw("CASE WHEN ")
		e.conv(e.valueConv(pk), func() { e.qcol(alias, pk) })
		e.raw(" IN (")
		for i, k := range keys {
			if i > 0 {
				e.raw(", ")
			}
			e.paramFor(k, pk)
		}
		e.raw(") THEN ")
		e.qcol(alias, c)
		e.raw(" END")
	case hidden:
		e.raw("CASE WHEN 1=0 THEN ")
		e.qcol(alias, c)
		e.raw(" END")
	default:
		e.qcol(alias, c)
	}
}

// qcol writes alias.column for a column of a data source.
func (e *emitter) qcol(alias string, c *plan.Column) {
	if c == nil {
		e.fail(diag.MalformedPlan, "data source %q without its join column", alias)
		return
	}
	e.ident(alias)
	e.byte1('.')
	e.ident(c.PhysicalName)
}

// table writes "physical" AS "alias" and the NOLOCK hint.
func (e *emitter) table(ds *plan.DataSource) {
	if ds.Table == nil {
		e.fail(diag.MalformedPlan, "data source %q has no table", ds.Name)
		return
	}
	if len(ds.Name) > e.limits.Ident && e.limits.Ident > 0 && e.check.aliasOver == nil && e.tooLong(ds.Name) {
		e.check.aliasOver = ds
	}
	e.ident(ds.Table.PhysicalName)
	e.raw(" AS ")
	e.ident(ds.Name)
	e.hint()
}

func (e *emitter) hint() {
	if e.nolock {
		e.raw(" WITH (NOLOCK)")
	}
}

// ---- statement structure ----

// query writes the SELECT of p. For a count statement (modeCount) it
// writes the inner query: no ORDER BY, no paging, limited to CountLimit
// rows; for an aggregate input check (modeAggInput) the rows before
// grouping, limited to AggregateLimit+1.
func (e *emitter) query(p *plan.Plan, mode queryMode) {
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
	switch {
	case p.PageSize > 0:
		page := p.PageNumber
		if page < 1 {
			page = 1
		}
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
// by the folding of the string first (foldInto), as comparisons fold (SQL
// Server: its collation does), and by the string itself to break ties the same on every engine.
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
	return c != nil && (c.Type.Kind() == plan.KString || e.guidFolds(c))
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
		e.foldedDistinct(p, writeTop, top)
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
	}
	e.raw(" FROM ")
	e.table(p.Root)
	e.joins(p.Root)
	e.where(p.Root)
	if grouped {
		e.groupBy(p, spans)
	}
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
		c.Column != nil && (c.Column.Type.Kind() == plan.KString || e.guidFolds(c.Column))
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
func (e *emitter) foldedDistinct(p *plan.Plan, writeTop bool, top int64) {
	e.raw("SELECT ")
	if writeTop {
		e.top(top)
	}
	e.distinctColumns(p, true)
	e.raw(" FROM (SELECT DISTINCT ")
	for i, c := range p.Columns {
		if i > 0 {
			e.raw(", ")
		}
		e.output(p, c)
		e.raw(" AS ")
		e.alias(i)
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
			e.foldInto(col, true)
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
			if !e.has(CaseInsensitive) && c.Column != nil && (c.Column.Type.Kind() == plan.KString || e.guidFolds(c.Column)) {
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
		e.colEq(j.Child, func() { e.qcol(j.Name, j.Child) }, j.Parent.Column, func() { e.col(j.Parent) })
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
		e.colEq(ds.Child, func() { e.qcol(ds.Name, ds.Child) }, ds.Parent.Column, func() { e.col(ds.Parent) })
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
	e.conv(e.valueConv(pk), func() { e.qcol(alias, pk) })
	e.raw(" = ")
	e.paramFor(h.Anchor, pk)
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

// String renders a statement for golden files and debugging: the SQL, then
// one line per argument with its Go type.
func (s *Statement) String() string {
	var b strings.Builder
	b.WriteString(s.SQL)
	b.WriteByte('\n')
	for i, a := range s.Args {
		fmt.Fprintf(&b, "-- %d: %T %v\n", i+1, a, formatArg(a))
	}
	return b.String()
}

func (e *emitter) rawBytes(s []byte) {
	if len(s) > len(e.buf)-e.n {
		e.grow(len(s))
	}
	e.n += copy(e.buf[e.n:], s)
}
