package sql

import (
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// A keyset continuation (plan.Plan.After): the rows strictly after the
// last row of the page before, in the plan's order. Where every key
// ascends and has a value, and the dialect compares row values, it is one
// comparison of the ORDER BY terms with the same terms of the values,
//
//	(fold(RTRIM("name")), "id") > (fold(RTRIM($1)), $2)
//
// which an index on those terms seeks, with no filter left: a deep page
// reads what page 1 reads. NULLs sort first ascending, so a row whose
// term is NULL sorts before any value and the comparison (NULL) rightly
// drops it. Otherwise (a descending key, whose NULLs sort last; a NULL
// value; no row values) it is the OR-expansion, preceded by the bound it
// implies on the first key where there is one:
//
//	k1 >= v1 AND (k1 > v1 OR k1 = v1 AND (k2 > v2 OR …))
//
// (strings compared by their sort keys, = meaning tied in the order).
//
// After a NULL first value the rows that follow are, descending, the rest
// of the NULLs; ascending, the rest of the NULLs and then every row with a
// value. The first is one range of an index on the terms,
//
//	fold(RTRIM("name")) IS NULL AND ("id") > ($1)
//
// (IS NULL on the ORDER BY term, not the column, for an index on the
// term), and so is the second, fold(RTRIM("name")) IS NOT NULL, but not
// their OR, which reads every NULL before the value: the server asks for
// them one at a time (plan.Plan.AfterPart). The whole ascending
// continuation stays the OR-expansion. A NULL after values (a later key:
// (statecode, name) after (0, NULL)) splits the same way among the rows
// tied with those values, then the rows after them:
//
//	"statecode" = $1 AND fold(RTRIM("name")) IS NULL AND ("id") > ($2)
//	"statecode" = $1 AND fold(RTRIM("name")) IS NOT NULL
//	("statecode") > ($1)

// after writes the continuation's condition.
func (e *emitter) after(p *plan.Plan) {
	if len(p.After) != len(p.Orders) || len(p.Orders) == 0 {
		e.fail(diag.MalformedPlan, "a keyset continuation has %d values for %d sort keys", len(p.After), len(p.Orders))
		return
	}
	for _, k := range p.Orders {
		if k == nil || k.Column == nil || k.Column.Column == nil {
			e.fail(diag.MalformedPlan, "a keyset continuation on a sort key without a column")
			return
		}
	}
	part, at := p.AfterPart, p.AfterAt
	switch {
	case part != plan.AfterWhole && !plan.AfterSplits(p):
		e.fail(diag.MalformedPlan, "a part of a keyset continuation that does not follow its first NULL value")
		return
	case part == plan.AfterWhole && p.Orders[0].Desc && p.After[0] == nil:
		// Descending, NULLs sort last: only the rest of them follow one.
		part, at = plan.AfterNullRange, 0
	}
	switch part {
	case plan.AfterRest:
		e.afterKeys(p, p.Orders[:at], p.After[:at])
	case plan.AfterValueRange:
		e.tied(p.Orders[:at], p.After[:at])
		e.termNull(p, p.Orders[at], true)
	case plan.AfterNullRange:
		e.tied(p.Orders[:at], p.After[:at])
		e.termNull(p, p.Orders[at], false)
		e.raw(" AND ")
		e.afterKeys(p, p.Orders[at+1:], p.After[at+1:])
	default:
		e.afterKeys(p, p.Orders, p.After)
	}
}

// tied writes "each key tied with its value, AND" over orders (a prefix
// of the plan's, every value present): an index on the terms seeks the
// equalities before the range that follows.
func (e *emitter) tied(orders []*plan.SortKey, vals []*plan.Value) {
	for i, k := range orders {
		e.expr(keyEq(k, vals[i]), precAnd)
		e.raw(" AND ")
	}
}

// afterKeys writes "strictly after vals" over the keys orders (a suffix
// of p's, with vals): the row-value form or the bound and OR-expansion.
// With no keys nothing is after (ties are not).
func (e *emitter) afterKeys(p *plan.Plan, orders []*plan.SortKey, vals []*plan.Value) {
	if len(orders) == 0 {
		e.expr(&plan.Const{Value: false}, precAnd)
		return
	}
	if e.afterRow(p, orders, vals) {
		return
	}
	var or plan.Or
	for i, k := range orders {
		var and plan.And
		for j := 0; j < i; j++ {
			and.Terms = append(and.Terms, keyEq(orders[j], vals[j]))
		}
		and.Terms = append(and.Terms, keyAfter(k, vals[i]))
		or.Terms = append(or.Terms, &and)
	}
	cond := &plan.And{Terms: []plan.Expr{&or}}
	if b := leadingBound(orders[0], vals[0]); b != nil {
		cond.Terms = []plan.Expr{b, &or}
	}
	e.expr(cond, precAnd)
}

// termNull writes "<k's ORDER BY term> IS [NOT] NULL" (the term is NULL
// exactly when the column is): an index on the term seeks it, where one
// on a string's sort key cannot use the column's test. A key of more
// than one term (a string identity) gets the column's test.
func (e *emitter) termNull(p *plan.Plan, k *plan.SortKey, not bool) {
	n, args := e.n, len(e.args)
	e.rowTerms = true
	var terms orderTerms
	e.sortKey(p, k, false, &terms)
	e.rowTerms = false
	if terms.n != 1 || len(e.args) != args {
		e.erase(n, args)
		e.expr(&plan.IsNull{Col: k.Column, Not: not}, precAnd)
		return
	}
	if not {
		e.raw(" IS NOT NULL")
	} else {
		e.raw(" IS NULL")
	}
}

// erase takes back what was written since e.n was n and e.args had args
// elements (a repeated term, a form that could not be written): text,
// arguments, and what points into the erased text (the placeholder past
// the limit, the offsets of repeated text).
func (e *emitter) erase(n, args int) {
	e.n, e.args = n, e.args[:args]
	if e.check.paramAt >= e.n {
		e.check.paramAt = -1
	}
	for len(e.offsets) > 0 && e.offsets[len(e.offsets)-1].end > e.n {
		e.offsets = e.offsets[:len(e.offsets)-1]
	}
}

// afterRow writes the row-value form over orders and vals and reports
// whether it could: every key ascending with a value, each key's value
// terms as many as its ORDER BY terms (none dropped as a repeat), none of
// the latter binding a value. Otherwise it writes nothing.
func (e *emitter) afterRow(p *plan.Plan, orders []*plan.SortKey, vals []*plan.Value) bool {
	if !e.has(RowValues) {
		return false
	}
	for i, k := range orders {
		if k == nil || k.Desc || k.Column == nil || k.By != plan.SortValue || k.Output != nil || k.Expr != nil || vals[i] == nil {
			return false
		}
	}
	n, args := e.n, len(e.args)
	rollback := func() bool {
		e.erase(n, args)
		e.rowTerms, e.subst = false, nil
		return false
	}
	e.rowTerms = true
	e.byte1('(')
	var terms orderTerms
	counts := make([]int, len(orders))
	for i, k := range orders {
		before := terms.n
		e.sortKey(p, k, false, &terms)
		counts[i] = terms.n - before
	}
	if len(e.args) != args {
		return rollback()
	}
	e.raw(") > (")
	for i, k := range orders {
		if i > 0 {
			e.raw(", ")
		}
		e.subst = &keyValue{ref: k.Column, v: vals[i]}
		var vt orderTerms
		e.sortKey(p, k, false, &vt)
		if vt.n != counts[i] {
			return rollback()
		}
	}
	e.byte1(')')
	e.rowTerms, e.subst = false, nil
	if e.err != nil {
		return rollback()
	}
	return true
}

// keyValue stands for a sort key's column while afterRow writes the
// key's terms of a value: operand writes v where it would write ref.
type keyValue struct {
	ref *plan.ColumnRef
	v   *plan.Value
}

// leadingBound is a condition implied by "strictly after" that an index on
// the first key can seek to: on an ascending key with a value, NULLs sort
// first, so every later row has key >= v (a string compares by its sort
// key, the expression ORDER BY writes: the index on it starts there). A
// descending key's later rows include the NULLs (sorted last), and a NULL
// value bounds nothing: no bound then (nil).
func leadingBound(k *plan.SortKey, v *plan.Value) plan.Expr {
	if k.Desc || v == nil {
		return nil
	}
	return &plan.Compare{Op: plan.Ge, Left: k.Column, Right: v}
}

func keyEq(k *plan.SortKey, v *plan.Value) plan.Expr {
	if v == nil {
		return &plan.IsNull{Col: k.Column}
	}
	return &plan.Compare{Op: plan.Eq, Left: k.Column, Right: v}
}

// keyAfter is "strictly after v" in the key's direction, NULLs first
// ascending and last descending as the emitted ORDER BY sorts them.
func keyAfter(k *plan.SortKey, v *plan.Value) plan.Expr {
	switch {
	case !k.Desc && v == nil:
		return &plan.IsNull{Col: k.Column, Not: true}
	case !k.Desc:
		return &plan.Compare{Op: plan.Gt, Left: k.Column, Right: v}
	case v == nil:
		return &plan.Const{Value: false}
	default:
		return &plan.Or{Terms: []plan.Expr{&plan.Compare{Op: plan.Lt, Left: k.Column, Right: v}, &plan.IsNull{Col: k.Column}}}
	}
}
