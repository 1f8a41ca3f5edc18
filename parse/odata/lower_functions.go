package odata

import (
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// String, Dataverse query and lambda functions in $filter.

func (l *lowerer) like(sc *scope, seg *Segment, neg bool) ast.FilterItem {
	sp := l.span(seg.Pos, seg.EndPos)
	args := seg.Call.Args
	if len(args) != 2 || !args[0].bare() || !args[1].bare() {
		l.errorf(sp, diag.OperandCount, "%s takes two arguments", seg.Name)
		return nil
	}
	if a := additiveOf(args[0].Expr); a != nil && l.computes(a) {
		return l.computedFind(sc, seg, neg)
	}
	col, lit := simplePath(args[0].Expr), primaryOf(args[1].Expr)
	if col == nil || lit == nil {
		l.unsupported(sp, "%s without a property and a string literal", seg.Name)
		return nil
	}
	target, fold := l.unfold(col)
	if target == nil {
		if l.refuseFunction(sp, col, "in "+seg.Name) {
			return nil
		}
		l.unsupported(sp, "a function result in %s", seg.Name)
		return nil
	}
	v, isNull := l.literal(lit, fold)
	if v == nil || isNull {
		if isNull {
			l.unsupported(sp, "%s with null", seg.Name)
		}
		return nil
	}
	if v.Kind != ast.KindString {
		l.unsupported(sp, "%s with a non-string literal", seg.Name)
		return nil
	}
	text := v.Text
	if l.v4 {
		text = strings.NewReplacer("[", "[[]", "%", "[%]", "_", "[_]").Replace(text)
	}
	pattern := map[string]string{"contains": "%" + text + "%", "startswith": text + "%", "endswith": "%" + text}[seg.Name]
	val := &ast.Value{Span: v.Span, Text: pattern, Kind: ast.KindString}
	return l.onPath(sc, target, sp, func(n bool) (ast.FilterItem, bool) {
		if n {
			return l.cond(sp, ast.OpNotLike, []*ast.Value{val}, true)
		}
		return l.cond(sp, ast.OpLike, []*ast.Value{val}, false)
	}, neg)
}

// negations pairs Dataverse query functions with their complements where
// FetchXML has both (the negative ones include nulls, as OData's not does).
var negations = map[ast.Operator]ast.Operator{}

func init() {
	pairs := [][2]string{{"In", "NotIn"}, {"Between", "NotBetween"}, {"Under", "NotUnder"}, {"ContainValues", "DoesNotContainValues"},
		{"EqualUserId", "NotEqualUserId"}, {"EqualBusinessId", "NotEqualBusinessId"}, {"Like", "NotLike"},
		{"BeginsWith", "DoesNotBeginWith"}, {"EndsWith", "DoesNotEndWith"}, {"Null", "NotNull"}}
	for _, p := range pairs {
		a, ok1 := ast.OperatorByQEName(p[0])
		b, ok2 := ast.OperatorByQEName(p[1])
		if ok1 && ok2 {
			negations[a], negations[b] = b, a
		}
	}
}

// crmFunction lowers Microsoft.Dynamics.CRM.<ConditionOperator>(PropertyName='col',
// PropertyValue=v | PropertyValues=[…] | PropertyValue1=a,PropertyValue2=b),
// the reverse of emit/odata.
func (l *lowerer) crmFunction(sc *scope, p *Path, neg bool) ast.FilterItem {
	last := p.Segs[len(p.Segs)-1]
	sp := l.span(last.Pos, last.EndPos)
	fname := strings.TrimPrefix(last.Name, "Microsoft.Dynamics.CRM.")
	op, ok := ast.OperatorByQEName(fname)
	if !ok {
		l.errorf(sp, diag.UnknownOperator, "unknown query function Microsoft.Dynamics.CRM.%s", fname)
		return nil
	}
	if last.Call == nil {
		last.Call = &Call{}
	}
	if len(last.Call.Args) > 0 || last.Call.Lambda != nil {
		l.errorf(sp, diag.SyntaxError, "Microsoft.Dynamics.CRM.%s takes named parameters (PropertyName='col', …)", fname)
		return nil
	}
	var column string
	var vals []*ast.Value
	var v1, v2 *ast.Value
	for _, a := range last.Call.Named {
		asp := l.span(a.Pos, a.Value.EndPos)
		pr := primaryOf(a.Value)
		if pr == nil {
			l.unsupported(asp, "parameter %s: not a literal", a.Name)
			return nil
		}
		switch a.Name {
		case "PropertyName":
			v, _ := l.literal(pr, 0)
			if v == nil || v.Kind != ast.KindString {
				l.errorf(asp, diag.BadLiteral, "PropertyName takes a quoted column name")
				return nil
			}
			column = property(v.Text)
		case "PropertyValue", "PropertyValue1", "PropertyValue2":
			v, isNull := l.literal(pr, 0)
			if v == nil || isNull {
				if isNull {
					l.unsupported(asp, "%s=null", a.Name)
				}
				return nil
			}
			v.Kind = ast.KindText // typed by the column, as FetchXML's values are
			switch a.Name {
			case "PropertyValue":
				vals = append(vals, v)
			case "PropertyValue1":
				v1 = v
			default:
				v2 = v
			}
		case "PropertyValues":
			list := pr.Array
			if list == nil {
				l.errorf(asp, diag.BadLiteral, "PropertyValues takes an array [\"a\",\"b\"]")
				return nil
			}
			vs := l.values(list, 0)
			if vs == nil {
				return nil
			}
			for _, v := range vs {
				v.Kind = ast.KindText
			}
			vals = append(vals, vs...)
		default:
			l.errorf(asp, diag.UnknownAttribute, "unknown parameter %s of Microsoft.Dynamics.CRM.%s", a.Name, fname)
			return nil
		}
	}
	if v1 != nil || v2 != nil {
		if v1 == nil || v2 == nil {
			l.errorf(sp, diag.OperandCount, "Microsoft.Dynamics.CRM.%s takes PropertyValue1 and PropertyValue2", fname)
			return nil
		}
		vals = append(vals, v1, v2)
	}
	if column == "" {
		l.errorf(sp, diag.MissingAttribute, "Microsoft.Dynamics.CRM.%s without PropertyName", fname)
		return nil
	}
	if neg {
		if _, ok := negations[op]; !ok {
			l.unsupported(sp, "not Microsoft.Dynamics.CRM.%s (FetchXML has no complement of %s)", fname, op)
			return nil
		}
	}
	// The column path: the function's own prefix (nav/…/Function) plus
	// PropertyName.
	segs := append(append([]*Segment(nil), p.Segs[:len(p.Segs)-1]...), &Segment{Pos: last.Pos, EndPos: last.EndPos, Name: column})
	path := &Path{Pos: p.Pos, EndPos: p.EndPos, Segs: segs}
	return l.onPath(sc, path, sp, func(n bool) (ast.FilterItem, bool) {
		// The function means what its FetchXML operator means; its
		// complement is true on null exactly when it is not.
		positive := op == ast.OpNull || l.incl[op]
		if n {
			return l.cond(sp, negations[op], vals, !positive)
		}
		return l.cond(sp, op, vals, positive)
	}, neg)
}

// lambda lowers nav/any(x: …) and nav/all(x: …) to an any / all link
// inside the filter; not flips them to not any / not all.
func (l *lowerer) lambda(sc *scope, p *Path, neg bool) ast.FilterItem {
	last := p.Segs[len(p.Segs)-1]
	sp := l.span(p.Pos, p.EndPos)
	if len(p.Segs) < 2 {
		l.unsupported(sp, "%s without a collection", last.Name)
		return nil
	}
	if last.Call == nil {
		last.Call = &Call{}
	}
	if len(last.Call.Args) > 0 || len(last.Call.Named) > 0 {
		l.errorf(sp, diag.SyntaxError, "%s takes a lambda: %s(x: …)", last.Name, last.Name)
		return nil
	}
	collPath := &Path{Pos: p.Pos, EndPos: p.EndPos, Segs: p.Segs[:len(p.Segs)-1]}
	hops, table, coll, ok := l.resolve(sc, collPath)
	if !ok {
		return nil
	}
	if len(hops) > 0 {
		l.unsupported(sp, "a lambda under a lookup path (spec §3.3)")
		return nil
	}
	csp := l.span(coll.Pos, coll.EndPos)
	nav, found := l.s.Navigation(table, coll.Name)
	if !found {
		l.noNavigation(csp, table, coll.Name)
		return nil
	}
	if !nav.Collection {
		l.unsupported(csp, "%s/%s on single-valued %s (filter through the path instead)", coll.Name, last.Name, coll.Name)
		return nil
	}
	t := ast.Any
	if last.Name == "all" {
		t = ast.All
	}
	if neg {
		t = map[ast.LinkType]ast.LinkType{ast.Any: ast.NotAny, ast.All: ast.NotAll}[t]
	}
	link := l.link(hop{name: coll.Name, nav: nav, sp: sp}, t)
	lam := last.Call.Lambda
	if lam == nil {
		if last.Name == "all" {
			l.errorf(sp, diag.SyntaxError, "all needs a lambda: all(x: …)")
			return nil
		}
		return link
	}
	inner := &scope{table: nav.Table, vars: map[string]string{lam.Var: nav.Table}, lambda: true}
	if it := l.boolean(inner, lam.Body, false); it != nil {
		link.Filters = []*ast.Filter{asFilter(it)}
	}
	return link
}
