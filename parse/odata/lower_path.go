package odata

import (
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Property paths in $filter: navigation hops become links, column
// comparisons become valueof conditions, lists become in.

type hop struct {
	name string
	nav  Navigation
	sp   diag.Span
}

func (l *lowerer) resolve(sc *scope, p *Path) (hops []hop, table string, last *Segment, ok bool) {
	segs := p.Segs
	table = sc.table
	first := segs[0].Name
	switch {
	case first == "$it" || first == "$this":
		if sc.lambda {
			l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "%s inside a lambda (a condition on the outer row from inside a link filter)", first)
			return nil, "", nil, false
		}
		segs = segs[1:]
	case first == "$root":
		l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "$root (a subquery on another entity set)")
		return nil, "", nil, false
	case sc.vars != nil && sc.vars[first] != "" && len(segs) > 1:
		table = sc.vars[first]
		if sc.vars[first] != sc.table {
			l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "variable %s of an outer lambda (a correlated condition)", first)
			return nil, "", nil, false
		}
		segs = segs[1:]
	case sc.lambda:
		l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "%s inside a lambda without its variable (the outer row's column)", first)
		return nil, "", nil, false
	}
	if len(segs) == 0 {
		l.unsupported(l.span(p.Pos, p.EndPos), "a path without a property")
		return nil, "", nil, false
	}
	for _, s := range segs[:len(segs)-1] {
		sp := l.span(s.Pos, s.EndPos)
		if s.Open || !isName(s.Name) {
			l.unsupported(sp, "path segment %s", s.Name)
			return nil, "", nil, false
		}
		nav, found := l.s.Navigation(table, s.Name)
		if !found {
			if hint := l.navigationHint(table, s.Name); hint != "" {
				l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q: %s", table, s.Name, hint)
			} else {
				l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q (complex properties such as …/Value are not supported)", table, s.Name)
			}
			return nil, "", nil, false
		}
		if nav.Collection {
			l.unsupported(sp, "collection %s in a path (use %s/any(x: …))", s.Name, s.Name)
			return nil, "", nil, false
		}
		hops = append(hops, hop{name: s.Name, nav: nav, sp: sp})
		table = nav.Table
	}
	return hops, table, segs[len(segs)-1], true
}

// onPath places a column leaf: at the end of N:1 hops it becomes an any
// link (the related row exists and matches) or, for a predicate true on
// null, a not-any link on its complement (no related row fails it), which
// is what an absent related row means in OData: every property null.
func (l *lowerer) onPath(sc *scope, p *Path, sp diag.Span, mk leaf, neg bool) ast.FilterItem {
	hops, _, last, ok := l.resolve(sc, p)
	if !ok {
		return nil
	}
	if !isName(last.Name) {
		l.unsupported(l.span(last.Pos, last.EndPos), "%s as a property", last.Name)
		return nil
	}
	col := ast.Name{Span: l.span(last.Pos, last.EndPos), Text: property(last.Name)}
	return l.wrap(hops, func(n bool) (ast.FilterItem, bool) {
		it, nt := mk(n)
		setAttr(it, col)
		return it, nt
	}, neg)
}

func (l *lowerer) wrap(hops []hop, mk leaf, neg bool) ast.FilterItem {
	if len(hops) == 0 {
		it, _ := mk(neg)
		return it
	}
	h := hops[0]
	inner := func(n bool) (ast.FilterItem, bool) {
		if len(hops) == 1 {
			return mk(n)
		}
		// Deeper hops: the inner path's truth when its first row is
		// missing is that of a null column.
		_, nt := mk(n)
		return l.wrap(hops[1:], mk, n), nt
	}
	it, nullTrue := inner(neg)
	link := l.link(h, ast.Any)
	if nullTrue {
		it, _ = inner(!neg)
		link.LinkType = ast.NotAny
	}
	link.Filters = []*ast.Filter{asFilter(it)}
	return link
}

func (l *lowerer) link(h hop, t ast.LinkType) *ast.LinkEntity {
	return &ast.LinkEntity{
		Span: h.sp, Name: ast.Name{Span: h.sp, Text: h.nav.Table},
		From: ast.Name{Span: h.sp, Text: h.nav.From}, To: ast.Name{Span: h.sp, Text: h.nav.To},
		LinkType: t, TypeSpan: h.sp,
	}
}

// setAttr names the column of every condition in it (a leaf may be a
// filter "c or c null").
func setAttr(it ast.FilterItem, col ast.Name) {
	switch x := it.(type) {
	case *ast.Condition:
		if !x.Attribute.IsSet() {
			x.Attribute = col
		}
	case *ast.Filter:
		for _, c := range x.Items {
			setAttr(c, col)
		}
	}
}

func (l *lowerer) columnCompare(sc *scope, left, right *Path, op string, sp diag.Span, neg bool) ast.FilterItem {
	lh, lt, lseg, ok1 := l.resolve(sc, left)
	rh, rt, rseg, ok2 := l.resolve(sc, right)
	if !ok1 || !ok2 {
		return nil
	}
	if len(lh) > 0 || len(rh) > 0 || lt != rt || lseg.Open || rseg.Open {
		l.unsupported(sp, "a comparison of two properties across tables or of function results")
		return nil
	}
	a := ast.Name{Span: l.span(lseg.Pos, lseg.EndPos), Text: property(lseg.Name)}
	b := ast.Name{Span: l.span(rseg.Pos, rseg.EndPos), Text: property(rseg.Name)}
	if op == "eq" || op == "ne" {
		return columnEquality(sp, a, b, (op == "eq") != neg)
	}
	comp := map[string]string{"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}
	ops := map[string]ast.Operator{"gt": ast.OpGt, "ge": ast.OpGe, "lt": ast.OpLt, "le": ast.OpLe}
	if !neg {
		return &ast.Condition{Span: sp, Attribute: a, Operator: ops[op], OpSpan: sp, ValueOf: b}
	}
	return &ast.Filter{Span: sp, Type: ast.Or, Items: []ast.FilterItem{
		&ast.Condition{Span: sp, Attribute: a, Operator: ops[comp[op]], OpSpan: sp, ValueOf: b},
		&ast.Condition{Span: sp, Attribute: a, Operator: ast.OpNull, OpSpan: sp},
		&ast.Condition{Span: sp, Attribute: b, Operator: ast.OpNull, OpSpan: sp},
	}}
}

// columnEquality is OData's a eq b (or a ne b) of two properties in
// FetchXML. OData's equality is null-aware (null eq null is true, null ne
// 'x' is true); FetchXML's valueof eq is SQL's a = b and its ne is
// a <> b or a null, so the null cases are spelled out:
//
//	a eq b:  a eq valueof b, or a null and b null
//	a ne b:  a ne valueof b and b not-null, or a not-null and b null
func columnEquality(sp diag.Span, a, b ast.Name, eq bool) ast.FilterItem {
	cond := func(at ast.Name, op ast.Operator, valueOf ast.Name) *ast.Condition {
		return &ast.Condition{Span: sp, Attribute: at, Operator: op, OpSpan: sp, ValueOf: valueOf}
	}
	and := func(items ...ast.FilterItem) *ast.Filter { return &ast.Filter{Span: sp, Type: ast.And, Items: items} }
	or := func(items ...ast.FilterItem) *ast.Filter { return &ast.Filter{Span: sp, Type: ast.Or, Items: items} }
	none := ast.Name{}
	if eq {
		return or(cond(a, ast.OpEq, b), and(cond(a, ast.OpNull, none), cond(b, ast.OpNull, none)))
	}
	return or(and(cond(a, ast.OpNe, b), cond(b, ast.OpNotNull, none)), and(cond(a, ast.OpNotNull, none), cond(b, ast.OpNull, none)))
}

func (l *lowerer) in(sc *scope, c *Comparison, neg bool) ast.FilterItem {
	sp := l.span(c.Pos, c.EndPos)
	lp, rp := additivePrimary(c.Left), additivePrimary(c.Ops[0].Right)
	if lp == nil || lp.Path == nil || rp == nil || (rp.Paren == nil && rp.Array == nil) {
		l.unsupported(sp, "in without a property on the left and a list of literals on the right")
		return nil
	}
	target, fold := l.unfold(lp.Path)
	if target == nil {
		l.unsupported(sp, "a function result in in")
		return nil
	}
	list := rp.Paren
	if list == nil {
		list = rp.Array
	}
	vals := l.values(list, fold)
	if vals == nil {
		if len(list.Items) == 0 {
			l.unsupported(sp, "in with an empty list")
		}
		return nil
	}
	return l.onPath(sc, target, sp, func(n bool) (ast.FilterItem, bool) {
		if !n {
			return l.cond(sp, ast.OpIn, vals, false)
		}
		return l.cond(sp, ast.OpNotIn, vals, true)
	}, neg)
}

// values lowers a list of literals; nil on any error.
func (l *lowerer) values(list *List, fold byte) []*ast.Value {
	if len(list.Items) == 0 {
		return nil
	}
	vals := make([]*ast.Value, 0, len(list.Items))
	ok := true
	for _, it := range list.Items {
		p := primaryOf(it)
		if p == nil {
			l.unsupported(l.span(it.Pos, it.EndPos), "a list item that is not a literal")
			ok = false
			continue
		}
		v, isNull := l.literal(p, fold)
		if isNull {
			l.unsupported(l.span(it.Pos, it.EndPos), "null in a list")
			ok = false
		}
		if v == nil {
			ok = false
			continue
		}
		vals = append(vals, v)
	}
	if !ok {
		return nil
	}
	return vals
}

// boolPath lowers a path used as a condition: a lambda, a string
// function, a Microsoft.Dynamics.CRM query function, or a Boolean
// property (x means x eq true).
func (l *lowerer) boolPath(sc *scope, p *Path, neg bool) ast.FilterItem {
	sp := l.span(p.Pos, p.EndPos)
	last := p.Segs[len(p.Segs)-1]
	if !last.Open {
		return l.onPath(sc, p, sp, l.compareLeaf(sp, "eq", &ast.Value{Span: sp, Text: "true", Kind: ast.KindBool}), neg)
	}
	if last.Call == nil {
		last.Call = &Call{} // f()
	}
	switch name := last.Name; {
	case name == "any" || name == "all":
		return l.lambda(sc, p, neg)
	case name == "contains" || name == "startswith" || name == "endswith":
		if len(p.Segs) > 1 {
			break
		}
		return l.like(sc, last, neg)
	case strings.HasPrefix(name, "Microsoft.Dynamics.CRM."):
		return l.crmFunction(sc, p, neg)
	}
	l.unsupported(l.span(last.Pos, last.EndPos), "function %s (no FetchXML condition operator)", last.Name)
	return nil
}

// noNavigation reports that table has no navigation property name, with
// the schema's hint when it has one.
func (l *lowerer) noNavigation(sp diag.Span, table, name string) {
	if hint := l.navigationHint(table, name); hint != "" {
		l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q: %s", table, name, hint)
		return
	}
	l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q", table, name)
}

func (l *lowerer) navigationHint(table, name string) string {
	if h, ok := l.s.(NavigationHinter); ok {
		return h.NavigationHint(table, name)
	}
	return ""
}
