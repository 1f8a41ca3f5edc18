package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Limits are the hard limits an engine puts on one statement. The emitter
// checks the statement it wrote against them, so that a query that cannot
// fit is a diag.EngineLimit error at the construct's position in the query
// text, before anything reaches the database. Zero means no limit.
type Limits struct {
	// Engine names the engine in messages ("SQL Server").
	Engine string
	// Params is the most bind parameters in one statement.
	Params int
	// Columns is the most select-list entries.
	Columns int
	// TargetList is the most select-list entries plus the ORDER BY terms
	// that are not output columns (PostgreSQL adds those to its target
	// list; a term that repeats a select-list expression is counted too).
	TargetList int
	// OrderTerms and GroupTerms are the most ORDER BY and GROUP BY terms.
	OrderTerms, GroupTerms int
	// Ident is the longest identifier, in bytes when IdentBytes is set,
	// else in characters.
	Ident      int
	IdentBytes bool
	// ExprDepth is the deepest expression tree (SQLite counts a chain of n
	// ANDs as n levels).
	ExprDepth int
	// CaseDepth is the deepest nesting of CASE expressions.
	CaseDepth int
	// SelectDepth is the deepest nesting of SELECTs (subqueries and
	// derived tables inside the statement's SELECT).
	SelectDepth int
}

// The built-in dialects' limits, as documented and as measured on the
// engines (PostgreSQL 15, MariaDB 10.11, modernc.org/sqlite):
//   - PostgreSQL: 65,535 parameters (the wire protocol's 16-bit count),
//     1,664 target-list entries (MaxTupleAttributeNumber; sort and group
//     expressions outside the select list count too), identifiers of 63
//     bytes (NAMEDATALEN-1; longer ones are cut, so two aliases could
//     become one).
//   - SQLite: 32,766 parameters (SQLITE_MAX_VARIABLE_NUMBER), 2,000
//     result columns, ORDER BY and GROUP BY terms each (SQLITE_MAX_COLUMN),
//     expression trees 1,000 deep (SQLITE_MAX_EXPR_DEPTH).
//   - MySQL and MariaDB: 65,535 placeholders in a prepared statement, 4,096
//     columns, aliases of 256 characters, 63 nested SELECTs
//     (MAX_SELECT_NESTING; error 1473 beyond).
//   - SQL Server: 2,100 parameters per request, two of which
//     sp_executesql takes for the statement and its parameter list (2,098
//     for the query), 4,096 columns per SELECT, identifiers of 128
//     characters, CASE nested 10 deep (error 125), 32 nested subqueries.
var (
	postgresLimits  = Limits{Engine: "PostgreSQL", Params: 65535, Columns: 1664, TargetList: 1664, Ident: 63, IdentBytes: true}
	sqliteLimits    = Limits{Engine: "SQLite", Params: 32766, Columns: 2000, OrderTerms: 2000, GroupTerms: 2000, ExprDepth: 1000}
	mysqlLimits     = Limits{Engine: "MySQL/MariaDB", Params: 65535, Columns: 4096, Ident: 256, SelectDepth: 63}
	sqlserverLimits = Limits{Engine: "SQL Server", Params: 2098, Columns: 4096, Ident: 128, CaseDepth: 10, SelectDepth: 32}
)

// exprDepthSlack is what one plan leaf costs in SQLite's expression tree
// beyond the plan's own nesting: the comparison, its column, the folding
// functions and the guard CASE around a folded column.
const exprDepthSlack = 8

// limitCheck is what a rendering records for the checks after it.
type limitCheck struct {
	// paramAt is the text offset of the first placeholder past
	// Limits.Params (-1: none).
	paramAt int
	// chain is the extra depth of the enclosing AND / OR chains; deepest
	// the greatest plan nesting plus chain seen, written at deepestAt.
	chain, deepest, deepestAt int
	// identAt is the text offset of the first identifier over Limits.Ident,
	// ident its text.
	identAt int
	ident   string
	// aliasOver is the first data source whose alias is over Limits.Ident.
	aliasOver *plan.DataSource
	// orderTerms and groupTerms count the terms written; orderOver and
	// groupOver are the sort key and the column that passed the limit,
	// targetOver the sort key that passed Limits.TargetList.
	orderTerms, groupTerms int
	orderOver, targetOver  *plan.SortKey
	groupOver              *plan.OutputColumn
}

func (c *limitCheck) reset() { *c = limitCheck{paramAt: -1, identAt: -1, deepestAt: -1} }

// probe finds the construct that wrote a text offset: a rendering with
// probe.at >= 0 records the innermost construct with a known span whose
// text holds the offset.
type probe struct {
	at    int
	found bool
	span  diag.Span
}

// leave is called when a construct written from start ends: in a probing
// rendering, the first construct left that holds the offset is the
// innermost one.
func (e *emitter) leave(start int, sp diag.Span) {
	if e.probe.at >= 0 && !e.probe.found && start <= e.probe.at && e.probe.at < e.n && plan.Known(sp) {
		e.probe.found, e.probe.span = true, sp
	}
}

// spanOf is the query-text span of a plan expression (zero: none).
func spanOf(x plan.Expr) diag.Span {
	switch x := x.(type) {
	case *plan.Compare:
		return x.Span
	case *plan.InList:
		return x.Span
	case *plan.Like:
		return x.Span
	case *plan.MultiContains:
		return x.Span
	case *plan.PartIn:
		return x.Span
	case *plan.Hierarchy:
		return x.Span
	case *plan.ScalarCompare:
		return x.Span
	case *plan.ScalarFind:
		return x.Span
	case *plan.Exists:
		if x.Source != nil {
			return x.Source.Span
		}
	case *plan.InSubquery:
		if x.Source != nil {
			return x.Source.Span
		}
	}
	return diag.Span{}
}

// longIdent records an identifier over the limit (called by ident for
// names longer in bytes than Limits.Ident).
func (e *emitter) longIdent(name string) {
	if e.check.identAt < 0 && e.tooLong(name) {
		// A copy: ident's argument must not escape (alias passes a
		// stack buffer).
		e.check.identAt, e.check.ident = e.n, strings.Clone(name)
	}
}

// tooLong reports whether a name longer in bytes than Limits.Ident is
// longer in the limit's unit.
func (e *emitter) tooLong(name string) bool {
	return e.limits.IdentBytes || utf8.RuneCountInString(name) > e.limits.Ident
}

// violation is one limit the statement passes: the message, and either
// the span of the construct or a text offset to find it by probing.
type violation struct {
	msg    string
	span   diag.Span
	offset int
}

// overLimit checks the written statement against the dialect's limits. It
// returns the first violation, if any.
func (e *emitter) overLimit(p *plan.Plan) (violation, bool) {
	l := &e.limits
	if l.Params > 0 && e.check.paramAt >= 0 {
		return violation{msg: fmt.Sprintf("the statement needs %d bind parameters; %s takes at most %d (the limit is passed here)", len(e.args), l.Engine, l.Params), offset: e.check.paramAt}, true
	}
	if l.Columns > 0 && len(p.Columns) > l.Columns {
		return violation{msg: fmt.Sprintf("the query returns %d columns; %s returns at most %d", len(p.Columns), l.Engine, l.Columns), span: columnSpan(p, l.Columns), offset: -1}, true
	}
	if e.check.targetOver != nil {
		return violation{msg: fmt.Sprintf("the query returns %d columns and sorts by %d more expressions; %s takes at most %d of both", len(p.Columns), e.check.orderTerms, l.Engine, l.TargetList), span: e.check.targetOver.Span, offset: -1}, true
	}
	if e.check.orderOver != nil {
		return violation{msg: fmt.Sprintf("the query sorts by %d expressions; %s takes at most %d", e.check.orderTerms, l.Engine, l.OrderTerms), span: e.check.orderOver.Span, offset: -1}, true
	}
	if e.check.groupOver != nil {
		return violation{msg: fmt.Sprintf("the query groups by %d expressions; %s takes at most %d", e.check.groupTerms, l.Engine, l.GroupTerms), span: e.check.groupOver.Span, offset: -1}, true
	}
	if ds := e.check.aliasOver; ds != nil {
		return violation{msg: fmt.Sprintf("the alias %q is longer than %s's %d %s", ds.Name, l.Engine, l.Ident, identUnit(l)), span: ds.Span, offset: -1}, true
	}
	if e.check.identAt >= 0 {
		return violation{msg: fmt.Sprintf("the name %q is longer than %s's %d %s", e.check.ident, l.Engine, l.Ident, identUnit(l)), offset: e.check.identAt}, true
	}
	if l.ExprDepth > 0 && e.check.deepest+exprDepthSlack > l.ExprDepth {
		return violation{msg: fmt.Sprintf("the filter nests about %d levels deep; %s takes at most %d", e.check.deepest+exprDepthSlack, l.Engine, l.ExprDepth), offset: e.check.deepestAt}, true
	}
	if l.CaseDepth > 0 || l.SelectDepth > 0 {
		cases, caseAt, selects, selectAt := e.nesting()
		if l.CaseDepth > 0 && cases > l.CaseDepth {
			return violation{msg: fmt.Sprintf("the statement nests CASE %d deep; %s takes at most %d", cases, l.Engine, l.CaseDepth), offset: caseAt}, true
		}
		if l.SelectDepth > 0 && selects > l.SelectDepth {
			return violation{msg: fmt.Sprintf("the statement nests subqueries %d deep; %s takes at most %d", selects, l.Engine, l.SelectDepth), offset: selectAt}, true
		}
	}
	return violation{}, false
}

func identUnit(l *Limits) string {
	if l.IdentBytes {
		return "bytes"
	}
	return "characters"
}

func columnSpan(p *plan.Plan, i int) diag.Span {
	if i < len(p.Columns) && p.Columns[i] != nil {
		return p.Columns[i].Span
	}
	return diag.Span{}
}

// nesting scans the statement for its deepest CASE nesting and SELECT
// nesting, and where each first reached its depth. Quoted identifiers and
// string literals are skipped; the emitter writes keywords in capitals.
func (e *emitter) nesting() (cases, caseAt, selects, selectAt int) {
	s := e.buf[:e.n]
	var caseDepth int
	// parens holds, per open parenthesis, whether it opened a SELECT.
	var parenBuf [64]bool
	parens := parenBuf[:0]
	selectDepth := 0
	word := func(i int, w string) bool {
		if i+len(w) > len(s) || string(s[i:i+len(w)]) != w {
			return false
		}
		if i > 0 && isWordByte(s[i-1]) {
			return false
		}
		return i+len(w) == len(s) || !isWordByte(s[i+len(w)])
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			for i++; i < len(s) && !(s[i] == '\'' && (i+1 >= len(s) || s[i+1] != '\'')); i++ {
				if s[i] == '\'' {
					i++
				}
			}
		case c == e.open:
			for i++; i < len(s) && !(s[i] == e.close && (i+1 >= len(s) || s[i+1] != e.close)); i++ {
				if s[i] == e.close {
					i++
				}
			}
		case c == '(':
			sel := word(i+1, "SELECT")
			parens = append(parens, sel)
			if sel {
				if selectDepth++; selectDepth > selects {
					selects, selectAt = selectDepth, i
				}
			}
		case c == ')':
			if n := len(parens); n > 0 {
				if parens[n-1] {
					selectDepth--
				}
				parens = parens[:n-1]
			}
		case c == 'C' && word(i, "CASE"):
			if caseDepth++; caseDepth > cases {
				cases, caseAt = caseDepth, i
			}
			i += 3
		case c == 'E' && word(i, "END"):
			caseDepth--
			i += 2
		}
	}
	return cases, caseAt, selects, selectAt
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// limitError places a violation: at its construct's span, or at the
// construct a second, probing rendering finds at its text offset, or at
// the query's entity.
func (e *emitter) limitError(p *plan.Plan, d Dialect, v violation, mode queryMode) error {
	sp := v.span
	if !plan.Known(sp) && v.offset >= 0 {
		var pe emitter
		if pe.init(p, d) == nil {
			pe.probe.at = v.offset
			pe.write(p, mode)
			if pe.probe.found {
				sp = pe.probe.span
			}
		}
	}
	if !plan.Known(sp) {
		sp = p.Span
	}
	if !plan.Known(sp) {
		sp = diag.NoSpan
	}
	return diag.ErrorList{diag.Errorf(p.Source, sp, diag.EngineLimit, "%s", v.msg)}
}
