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

// after writes the continuation's condition.
func (e *emitter) after(p *plan.Plan) {
	if len(p.After) != len(p.Orders) {
		e.fail(diag.MalformedPlan, "a keyset continuation has %d values for %d sort keys", len(p.After), len(p.Orders))
		return
	}
	for _, k := range p.Orders {
		if k == nil || k.Column == nil || k.Column.Column == nil {
			e.fail(diag.MalformedPlan, "a keyset continuation on a sort key without a column")
			return
		}
	}
	if e.afterRow(p) {
		return
	}
	var or plan.Or
	for i, k := range p.Orders {
		var and plan.And
		for j := 0; j < i; j++ {
			and.Terms = append(and.Terms, keyEq(p.Orders[j], p.After[j]))
		}
		and.Terms = append(and.Terms, keyAfter(k, p.After[i]))
		or.Terms = append(or.Terms, &and)
	}
	cond := &plan.And{Terms: []plan.Expr{&or}}
	if b := leadingBound(p.Orders[0], p.After[0]); b != nil {
		cond.Terms = []plan.Expr{b, &or}
	}
	e.expr(cond, precAnd)
}

// afterRow writes the row-value form and reports whether it could: every
// key ascending with a value, each key's value terms as many as its
// ORDER BY terms (none dropped as a repeat), none of the latter binding a
// value. Otherwise it writes nothing.
func (e *emitter) afterRow(p *plan.Plan) bool {
	if !e.has(RowValues) {
		return false
	}
	for i, k := range p.Orders {
		if k == nil || k.Desc || k.Column == nil || k.By != plan.SortValue || k.Output != nil || k.Expr != nil || p.After[i] == nil {
			return false
		}
	}
	n, args := e.n, len(e.args)
	rollback := func() bool {
		// As termEnd erases a repeated term: text, arguments, and what
		// points into the erased text.
		e.n, e.args = n, e.args[:args]
		if e.check.paramAt >= e.n {
			e.check.paramAt = -1
		}
		for len(e.offsets) > 0 && e.offsets[len(e.offsets)-1].end > e.n {
			e.offsets = e.offsets[:len(e.offsets)-1]
		}
		e.rowTerms, e.subst = false, nil
		return false
	}
	e.rowTerms = true
	e.byte1('(')
	var terms orderTerms
	counts := make([]int, len(p.Orders))
	for i, k := range p.Orders {
		before := terms.n
		e.sortKey(p, k, false, &terms)
		counts[i] = terms.n - before
	}
	if len(e.args) != args {
		return rollback()
	}
	e.raw(") > (")
	for i, k := range p.Orders {
		if i > 0 {
			e.raw(", ")
		}
		e.subst = &keyValue{ref: k.Column, v: p.After[i]}
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
