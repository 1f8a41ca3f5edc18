package sql

import (
	"fmt"
	"strings"

	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/plan"
)

// expr writes a boolean expression. ctx is the precedence of the
// surrounding operator: an Or inside an And is parenthesized, nothing else
// needs parentheses (NOT always wraps its operand).
func (e *emitter) expr(x plan.Expr, ctx int) {
	if e.depth++; e.depth > maxNesting {
		e.fail(diag.MalformedPlan, "plan nested deeper than %d levels", maxNesting)
		e.depth--
		return
	}
	if d := e.depth + e.check.chain; d > e.check.deepest {
		e.check.deepest, e.check.deepestAt = d, e.n
	}
	start := e.n
	e.exprNode(x, ctx)
	if e.probe.at >= 0 {
		e.leave(start, spanOf(x))
	}
	e.depth--
}

// maxNesting bounds the recursion over expressions and joins, so that a
// cyclic or absurdly deep plan is an error, not a stack overflow.
const maxNesting = 500

func (e *emitter) nilNode() { e.fail(diag.MalformedPlan, "nil expression node") }

func (e *emitter) exprNode(x plan.Expr, ctx int) {
	switch x := x.(type) {
	case nil:
		e.raw("1=1")
	case *plan.And:
		if x == nil {
			e.nilNode()
			return
		}
		e.junction(x.Terms, " AND ", "1=1", precAnd, ctx)
	case *plan.Or:
		if x == nil {
			e.nilNode()
			return
		}
		if faults.NeWithoutNull && len(x.Terms) == 2 {
			if n, ok := x.Terms[1].(*plan.IsNull); ok && !n.Not {
				e.expr(x.Terms[0], ctx) // injected bug: the IS NULL branch is lost
				return
			}
		}
		e.junction(x.Terms, " OR ", "1=0", precOr, ctx)
	case *plan.Not:
		if x == nil {
			e.nilNode()
			return
		}
		e.raw("NOT (")
		e.expr(x.X, precNone)
		e.byte1(')')
	case *plan.NotTrue:
		if x == nil {
			e.nilNode()
			return
		}
		if e.has(IsTrue) {
			e.byte1('(')
			e.expr(x.X, precNone)
			e.raw(") IS NOT TRUE")
		} else {
			// No boolean values (T-SQL): unknown and false both take the
			// ELSE branch.
			e.raw("CASE WHEN ")
			e.expr(x.X, precNone)
			e.raw(" THEN 1 ELSE 0 END = 0")
		}
	case *plan.Const:
		if x == nil {
			e.nilNode()
			return
		}
		if x.Value {
			e.raw("1=1")
		} else {
			e.raw("1=0")
		}
	case *plan.Compare:
		if x == nil {
			e.nilNode()
			return
		}
		e.compare(x)
	case *plan.IsNull:
		if x == nil {
			e.nilNode()
			return
		}
		if c := refColumn(x.Col); isKeyMap(c) {
			e.keyNull(x)
			return
		}
		e.col(x.Col)
		if x.Not {
			e.raw(" IS NOT NULL")
		} else {
			e.raw(" IS NULL")
		}
	case *plan.InList:
		if x == nil {
			e.nilNode()
			return
		}
		e.inList(x)
	case *plan.Like:
		if x == nil {
			e.nilNode()
			return
		}
		e.like(x)
	case *plan.Exists:
		if x == nil {
			e.nilNode()
			return
		}
		if x.Source == nil {
			e.fail(diag.MalformedPlan, "EXISTS without a source")
			return
		}
		if x.Not {
			e.raw("NOT ")
		}
		e.raw("EXISTS (SELECT 1")
		e.subquery(x.Source, true)
		e.byte1(')')
	case *plan.InSubquery:
		if x == nil {
			e.nilNode()
			return
		}
		s := x.Source
		if s == nil || s.Parent == nil || s.Child == nil {
			e.fail(diag.MalformedPlan, "IN subquery without its columns")
			return
		}
		if isKeyMap(s.Parent.Column) || isKeyMap(s.Child) {
			e.fail(diag.KeyMapUnsupported, "an in link over %q, an id computed from a string or composite key, is not supported: use an exists link", s.Child.LogicalName)
			return
		}
		cp, cc := e.guidPair(s.Parent.Column, s.Child)
		e.conv(cp, func() { e.col(s.Parent) })
		e.raw(" IN (SELECT ")
		e.conv(cc, func() { e.qcol(s.Name, s.Child) })
		e.subquery(s, false)
		e.byte1(')')
	case *plan.MultiContains:
		if x == nil {
			e.nilNode()
			return
		}
		e.multiContains(x, ctx)
	case *plan.PartIn:
		if x == nil {
			e.nilNode()
			return
		}
		e.partIn(x)
	case *plan.Hierarchy:
		if x == nil {
			e.nilNode()
			return
		}
		e.hierarchy(x)
	case *plan.ScalarCompare:
		if x == nil {
			e.nilNode()
			return
		}
		e.scalarCompare(x)
	case *plan.ScalarNull:
		if x == nil {
			e.nilNode()
			return
		}
		e.scalarNull(x)
	case *plan.ScalarFind:
		if x == nil {
			e.nilNode()
			return
		}
		e.scalarFind(x)
	default:
		e.fail(diag.DialectUnsupported, "expression %T is not supported by the SQL emitter", x)
	}
}

// junction writes an And / Or. Empty is its identity constant; one term is
// the term itself.
func (e *emitter) junction(terms []plan.Expr, op, empty string, prec, ctx int) {
	switch len(terms) {
	case 0:
		e.raw(empty)
		return
	case 1:
		e.expr(terms[0], ctx)
		return
	}
	paren := ctx > prec
	if paren {
		e.byte1('(')
	}
	// A chain of n terms is n-1 operators deep in the engine's tree.
	e.check.chain += len(terms) - 1
	for i, t := range terms {
		if i > 0 {
			e.raw(op)
		}
		e.expr(t, prec)
	}
	e.check.chain -= len(terms) - 1
	if paren {
		e.byte1(')')
	}
}

// fold reports whether a case-insensitive comparison needs LOWER().
func (e *emitter) fold(f bool) bool {
	if faults.CaseSensitiveEq {
		return false // injected bug
	}
	return f && !e.has(CaseInsensitive)
}

func (e *emitter) lowerCol(r *plan.ColumnRef, lower bool) {
	if lower {
		e.foldInto(func() { e.col(r) }, func() { e.col(r) })
		return
	}
	e.col(r)
	e.collate(refColumn(r))
}

// foldInto writes the folding of the expression w writes. With a guard (a
// repeatable expression: a column, not a subquery) a fold by translate or
// a REPLACE chain is guarded: an ASCII string (as many bytes as
// characters) has no letter to unaccent, and LOWER alone is several times
// cheaper,
//
//	CASE WHEN OCTET_LENGTH(x) = CHAR_LENGTH(x) THEN LOWER(RTRIM(x)) ELSE translate(LOWER(RTRIM(x)), …) END
//
// guard writes the operand the test measures: w's before its trailing
// spaces are trimmed (spaces are ASCII, so the test's answer is the same
// and the row pays no RTRIM for it). Where folded strings are pinned to
// the "C" collation (FoldCollateC) the ASCII branch lowers under it, a
// byte map (a locale's LOWER converts every string to wide characters and
// back). The fold runs for every row a scan returns (the ORDER BY's
// hidden sort key), so its price is the price of a page.
func (e *emitter) foldInto(w, guard func()) {
	if guard != nil && e.accents && e.caps.Fold != FoldFunction {
		e.raw("CASE WHEN OCTET_LENGTH(")
		guard()
		e.raw(") = CHAR_LENGTH(")
		guard()
		e.raw(") THEN LOWER(")
		w()
		if e.has(FoldCollateC) {
			e.raw(collateC)
		}
		e.byte1(')')
		e.raw(" ELSE ")
		e.foldOpen()
		w()
		e.foldClose()
		e.raw(" END")
		return
	}
	e.foldOpen()
	w()
	e.foldClose()
}

// foldOpen and foldClose surround an expression with its folding:
// LOWER(x), and when accents fold too the dialect's FoldStyle over the
// internal/collate table.
func (e *emitter) foldOpen() {
	if e.has(FoldCollateC) {
		e.byte1('(')
	}
	if !e.accents {
		e.raw("LOWER(")
		return
	}
	switch e.caps.Fold {
	case FoldTranslate:
		e.raw("translate(LOWER(")
	case FoldFunction:
		e.raw(FoldFunctionName + "(")
	default:
		e.raw(replaceOpen)
	}
}

func (e *emitter) foldClose() {
	if e.has(FoldCollateC) {
		defer e.raw(collateC + ")")
	}
	if !e.accents {
		e.byte1(')')
		return
	}
	switch e.caps.Fold {
	case FoldTranslate:
		// The table is written as two literals (emitter constants, not
		// values), so that the fold is one immutable expression: an
		// expression index on it matches the query's (a bound table would
		// be a parameter, which no index expression equals).
		e.raw(translateClose)
	case FoldFunction:
		e.byte1(')')
	default:
		e.raw(replaceClose)
	}
}

// collateC pins a folded string to the "C" collation (FoldCollateC).
const collateC = ` COLLATE "C"`

// translateTable is FoldTranslate's two arguments: the internal/collate
// table as SQL string literals (no letter of it is a quote), after the
// commonest ASCII characters mapped to themselves. PostgreSQL's translate
// looks each character of the string up in the first list from its
// start, so a character of neither list costs a scan of all 122 letters:
// found among the first few, the ASCII text around the accents costs a
// few comparisons (an accented name 2–2.7× faster, measured with psql;
// docs/performance.md).
const translateTable = "'" + translateFrom + "', '" + translateTo + "'"

// translateClose ends FoldTranslate's call (a constant: no concatenation
// per fold).
const translateClose = "), " + translateTable + ")"

const (
	translateFrom = asciiFirst + collate.From
	translateTo   = asciiFirst + collate.To
)

// TranslateLists are the two strings PostgreSQL's fold passes translate
// (FoldTranslate), the only string literals of the SQL besides the
// emitter's fixed keywords: for checks of the SQL text, and for indexes
// written by hand.
func TranslateLists() (from, to string) { return translateFrom, translateTo }

// asciiFirst are ASCII characters by their frequency in names and text,
// which translate maps to themselves.
const asciiFirst = " etaoinsrhldcumfpgwybvkxjqz0123456789"

// replaceOpen and replaceClose are FoldReplace's nested REPLACE chain, one
// REPLACE per table letter (the letters are emitter constants, not values).
var replaceOpen, replaceClose = func() (string, string) {
	var open, close strings.Builder
	close.WriteByte(')')
	collate.Pairs(func(from rune, to byte) {
		open.WriteString("REPLACE(")
		fmt.Fprintf(&close, ", '%c', '%c')", from, to)
	})
	open.WriteString("LOWER(")
	return open.String(), close.String()
}()

// foldCost estimates the text one fold adds beyond LOWER(…), for the
// buffer's first size.
func (e *emitter) foldCost() int {
	if !e.accents {
		return 0
	}
	switch e.caps.Fold {
	case FoldTranslate:
		// The table, the ASCII guard (foldInto) naming the column four
		// times, and the "C" collations.
		return len(translateClose) + 160
	case FoldFunction:
		return len(FoldFunctionName)
	}
	return len(replaceOpen) + len(replaceClose) + 120
}

// foldedArg binds a value compared with a folded column. With accents
// folding, a string with letters to unaccent is folded in Go and bound
// folded (shorter SQL than folding the parameter in SQL); one that only
// needs lower-casing is LOWER()ed in SQL as before, and one already
// folded is bound as it is, neither allocating.
func (e *emitter) foldedArg(v *plan.Value) {
	if e.accents && v != nil {
		if a, ok := e.arg(v).(string); ok {
			switch {
			case collate.NeedsUnaccent(a):
				e.bind(collate.Fold(a))
				return
			case collate.Folded(a):
				e.bind(a)
				return
			}
		}
	}
	e.raw("LOWER(")
	e.param(v)
	e.byte1(')')
}

func (e *emitter) compare(x *plan.Compare) {
	if e.sortOrderCompare(x) {
		// A comparison in sort order (keyset paging): the operands' sort
		// keys, as ORDER BY writes them (foldedKey, trimmed): folded and
		// without trailing spaces, so that "equal" is "tied in the order".
		folded := plan.Compare{Op: x.Op, Left: x.Left, Right: x.Right, Fold: true}
		e.compareOnce(&folded, true)
		return
	}
	// Every string comparison is padded, as SQL Server's: 'Paris ' is not
	// greater than 'paris' (and the order's index on the trimmed sort key
	// serves a range filter too).
	e.compareOnce(x, true)
}

// sortOrderCompare reports whether x compares strings in sort order (Fold
// unset) on an engine whose collation is binary: such a comparison must
// agree with ORDER BY, which sorts strings by their folding without
// trailing spaces.
func (e *emitter) sortOrderCompare(x *plan.Compare) bool {
	return !x.Fold && !e.has(CaseInsensitive) && x.Left != nil && x.Left.Column != nil && x.Left.Column.Type.Kind() == plan.KString
}

// compareOnce writes one comparison; pad compares strings padded with
// spaces (pad.go).
func (e *emitter) compareOnce(x *plan.Compare, pad bool) {
	if int(x.Op) >= len(cmpOps) {
		e.fail(diag.MalformedPlan, "unknown comparison operator %d", x.Op)
		return
	}
	if isKeyMap(refColumn(x.Left)) {
		e.keyCompare(x)
		return
	}
	if _, ok := guidColumn(refColumn(x.Left)); ok {
		e.guidCompare(x)
		return
	}
	lower := e.fold(x.Fold)
	pad = pad && x.Left != nil && e.pads(x.Left.Column)
	if pad {
		e.eqCol(x.Left, lower)
	} else {
		e.lowerCol(x.Left, lower)
	}
	e.byte1(' ')
	e.raw(cmpOps[x.Op])
	e.byte1(' ')
	switch r := x.Right.(type) {
	case *plan.ColumnRef:
		if pad {
			e.eqCol(r, lower)
		} else {
			e.lowerCol(r, lower)
		}
	case *plan.Value:
		if pad {
			r = e.padValue(r, x.Left.Column)
		}
		if lower {
			e.foldedArg(r)
		} else {
			e.paramFor(r, refColumn(x.Left))
		}
	default:
		e.fail(diag.MalformedPlan, "comparison without a right operand")
	}
}

// guidCompare writes a comparison whose left side is a GUID column (see
// guid.go): the value bound in the column's storage form, or two columns
// brought to a common form.
func (e *emitter) guidCompare(x *plan.Compare) {
	var ca, cb guidConv
	right, isCol := x.Right.(*plan.ColumnRef)
	if isCol {
		ca, cb = e.guidPair(refColumn(x.Left), refColumn(right))
	} else {
		ca = e.valueConv(refColumn(x.Left))
	}
	e.conv(ca, func() { e.col(x.Left) })
	e.byte1(' ')
	e.raw(cmpOps[x.Op])
	e.byte1(' ')
	switch r := x.Right.(type) {
	case *plan.ColumnRef:
		e.conv(cb, func() { e.col(r) })
	case *plan.Value:
		e.paramFor(r, refColumn(x.Left))
	default:
		e.fail(diag.MalformedPlan, "comparison without a right operand")
	}
}

var cmpOps = [...]string{plan.Eq: "=", plan.Ne: "<>", plan.Lt: "<", plan.Le: "<=", plan.Gt: ">", plan.Ge: ">="}

func (e *emitter) inList(x *plan.InList) {
	if len(x.Values) == 0 {
		// x IN () is FALSE, x NOT IN () is TRUE (even for NULL x).
		if x.Not {
			e.raw("1=1")
		} else {
			e.raw("1=0")
		}
		return
	}
	if c := refColumn(x.Col); isKeyMap(c) {
		e.keyMapIn(x.Col.Source.Name, x.Col.Source, c, x.Values, x.Not)
		return
	}
	lower := e.fold(x.Fold)
	if e.boundList(x, lower) {
		return
	}
	if e.guidLowered(refColumn(x.Col)) {
		e.conv(convLower, func() { e.col(x.Col) })
	} else {
		e.eqCol(x.Col, lower)
	}
	if x.Not {
		e.raw(" NOT IN (")
	} else {
		e.raw(" IN (")
	}
	for i, v := range x.Values {
		if i > 0 {
			e.raw(", ")
		}
		v = e.padValue(v, refColumn(x.Col))
		if lower {
			e.foldedArg(v)
		} else {
			e.paramFor(v, refColumn(x.Col))
		}
	}
	e.byte1(')')
}

func refColumn(r *plan.ColumnRef) *plan.Column {
	if r == nil {
		return nil
	}
	return r.Column
}

// multiContains tests a multi-select column (option values joined by ",")
// for any of the values: (',' || col || ',') LIKE '%,5,%'. The pattern is a
// parameter built here; it holds digits, commas and % only.
func (e *emitter) multiContains(x *plan.MultiContains, ctx int) {
	if len(x.Values) == 0 {
		if x.Not {
			e.raw("1=1")
		} else {
			e.raw("1=0")
		}
		return
	}
	if x.Not {
		e.raw("NOT (")
		ctx = precNone
	}
	paren := !x.Not && len(x.Values) > 1 && ctx > precOr
	if paren {
		e.byte1('(')
	}
	for i, v := range x.Values {
		if i > 0 {
			e.raw(" OR ")
		}
		e.concatComma(x.Col)
		e.raw(" LIKE ")
		var tmp [24]byte
		buf := append(tmp[:0], "%,"...)
		buf = appendInt(buf, v)
		buf = append(buf, ",%"...)
		e.bind(string(buf))
	}
	if paren || x.Not {
		e.byte1(')')
	}
}

// concatComma writes ',' || col || ',' in the dialect's spelling.
func (e *emitter) concatComma(r *plan.ColumnRef) {
	switch e.caps.Concat {
	case ConcatFunc:
		e.raw("CONCAT(',', ")
		e.col(r)
		e.raw(", ',')")
	case ConcatPlus:
		e.raw("(',' + ")
		e.col(r)
		e.raw(" + ',')")
	default:
		e.raw("(',' || ")
		e.col(r)
		e.raw(" || ',')")
	}
}

func (e *emitter) partIn(x *plan.PartIn) {
	if x.Part == nil {
		e.fail(diag.MalformedPlan, "date-part test without its part")
		return
	}
	if len(x.Values) == 0 {
		e.raw("1=0")
		return
	}
	if x.Part.Part == plan.PartFiscalPeriod {
		if w := e.newFiscal(x.Part.Fiscal, x.Part.Col, x.Part.Zone); w != nil {
			w.periodIn(x.Values)
		}
		return
	}
	e.datePart(x.Part.Part, x.Part.Col, x.Part.Zone)
	e.raw(" IN (")
	for i, v := range x.Values {
		if i > 0 {
			e.raw(", ")
		}
		e.bind(v)
	}
	e.byte1(')')
}

// hierarchyKey is the primary key a hierarchy CTE lists (its "id"), nil
// when the test is malformed (cte reports it).
func hierarchyKey(x *plan.Hierarchy) *plan.Column {
	t := x.Table
	if t == nil && x.Col != nil && x.Col.Source != nil {
		t = x.Col.Source.Table
	}
	if t == nil || x.Rel == nil {
		return nil
	}
	pk, _ := t.Column(x.Rel.ReferencedColumn)
	return pk
}

// hierarchy writes col [NOT] IN (SELECT id FROM vhN [WHERE depth > 0]);
// the CTE was hoisted by with().
func (e *emitter) hierarchy(x *plan.Hierarchy) {
	idx := -1
	for i, h := range e.hier {
		if h == x {
			idx = i
		}
	}
	if idx < 0 {
		e.fail(diag.MalformedPlan, "hierarchy test was not hoisted")
		return
	}
	cc, ci := e.guidPair(refColumn(x.Col), hierarchyKey(x))
	e.conv(cc, func() { e.col(x.Col) })
	if x.Not {
		e.raw(" NOT IN (SELECT ")
	} else {
		e.raw(" IN (SELECT ")
	}
	e.conv(ci, func() { e.ident("id") })
	e.raw(" FROM ")
	e.cteName(idx)
	if !x.OrEqual {
		e.raw(" WHERE ")
		e.ident("depth")
		e.raw(" > 0")
	}
	e.byte1(')')
}
