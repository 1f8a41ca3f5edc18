package sql

import (
	"fmt"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
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
	if cols := e.rootRead(p); len(cols) > 0 {
		// Written again, its derived root table listing only those.
		e = emitter{}
		if err := e.init(p, d); err != nil {
			return nil, err
		}
		e.root.cols = cols
		e.write(p, mode)
		if e.err != nil {
			return nil, e.err
		}
	}
	if v, over := e.overLimit(p); over {
		return nil, e.limitError(p, d, v, mode)
	}
	if mode == modeRows {
		return &Statement{SQL: e.text(), Args: e.args, Columns: p.Columns, LookupNames: p.LookupNames, KeyMaps: e.keyMaps}, nil
	}
	return &Statement{SQL: e.text(), Args: e.args, Columns: countColumn, KeyMaps: e.keyMaps}, nil
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
		case *plan.ScalarCompare:
			plan.ScalarColumns(x.Left, ref)
			plan.ScalarColumns(x.Right, ref)
		case *plan.ScalarNull:
			plan.ScalarColumns(x.X, ref)
		case *plan.ScalarFind:
			plan.ScalarColumns(x.X, ref)
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
	// windowed: selectCore adds the row number of p.Partition (partition.go).
	windowed bool
	// seeking: selectCore writes p.Partition's per-value subquery
	// (partition.go): its row number unpartitioned, its WHERE correlated.
	seeking *plan.PartitionLimit
	// rowTerms: sort keys are written without direction, as the terms of
	// a row value; subst: the key column written as a value (keyset.go).
	rowTerms bool
	subst    *keyValue
	// keys, while a RootFirst plan's derived table lists its sort terms
	// (rootfirst.go), collects each term's direction: termEnd names the
	// term instead of writing it.
	keys *rootKeys
	// root is what a RootFirst statement's derived table lists: the root
	// columns the statement reads outside it (rootfirst.go).
	root   rootColumns
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
	// engine compared with LOWER()).
	accents bool
	// bare is the data source whose columns are written unqualified and
	// unsecured: the table of an index being written (index.go).
	bare *plan.DataSource
	// limits are the dialect's; check records what overLimit checks,
	// probe what a probing rendering looks for (limits.go).
	limits Limits
	check  limitCheck
	probe  probe
	// offsets are the zone offset CASEs written so far (datepart.go).
	offsets []writtenOffset
	// keyMaps are the key maps the statement reads (keymap.go).
	keyMaps []*plan.KeyMap
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
