package odata

import (
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// $apply: groupby, aggregate and filter steps.

func (l *lowerer) apply(q *ast.Query, sc *scope) {
	a := l.r.Apply
	l.off = l.r.maps[a]
	// Steps may be separate arguments or one path of calls; flatten.
	var steps []*Segment
	for _, st := range a.Steps {
		p := simplePath(st.Expr)
		if p == nil || !st.bare() {
			l.unsupported(l.span(st.Pos, st.EndPos), "$apply step")
			return
		}
		steps = append(steps, p.Segs...)
	}
	ent := q.Entity
	grouped := false
	for _, st := range steps {
		sp := l.span(st.Pos, st.EndPos)
		if grouped {
			l.unsupported(sp, "%s after groupby/aggregate (FetchXML has no HAVING or chained aggregation)", st.Name)
			return
		}
		switch st.Name {
		case "filter":
			if st.Call == nil || len(st.Call.Args) != 1 || !st.Call.Args[0].bare() {
				l.errorf(sp, diag.SyntaxError, "filter takes one Boolean expression")
				return
			}
			if it := l.boolean(sc, st.Call.Args[0].Expr, false); it != nil {
				ent.Filters = append(ent.Filters, asFilter(it))
			}
		case "groupby":
			grouped = true
			l.groupBy(q, st, sp)
		case "aggregate":
			grouped = true
			q.Aggregate = ast.Bool{Span: sp, Value: true, Set: true}
			l.aggregate(q, st, sp)
		default:
			l.unsupported(sp, "$apply transformation %s", st.Name)
			return
		}
	}
}

func (l *lowerer) groupBy(q *ast.Query, st *Segment, sp diag.Span) {
	if st.Call == nil || len(st.Call.Args) < 1 || len(st.Call.Args) > 2 {
		l.errorf(sp, diag.SyntaxError, "groupby takes ((properties)[, aggregate(…)])")
		return
	}
	first := primaryOf(st.Call.Args[0].Expr)
	if first == nil || first.Paren == nil {
		l.errorf(sp, diag.SyntaxError, "groupby's first argument is a parenthesized list of properties")
		return
	}
	if len(first.Paren.Items) == 0 {
		// The ABNF's groupby list holds at least one grouping property.
		l.errorf(l.span(st.Call.Args[0].Pos, st.Call.Args[0].EndPos), diag.SyntaxError, "groupby needs at least one property: groupby((name)) or groupby((name), aggregate(…))")
		return
	}
	var groups []*ast.Attribute
	for _, it := range first.Paren.Items {
		isp := l.span(it.Pos, it.EndPos)
		p := simplePath(it)
		if p == nil || len(p.Segs) != 1 || p.Segs[0].Open || !isName(p.Segs[0].Name) {
			l.unsupported(isp, "groupby on a path or an expression (the result would be renamed)")
			continue
		}
		name := property(p.Segs[0].Name)
		groups = append(groups, &ast.Attribute{Span: isp, Name: ast.Name{Span: isp, Text: name}})
	}
	if len(st.Call.Args) == 1 {
		q.Distinct = ast.Bool{Span: sp, Value: true, Set: true}
		q.Entity.Attributes = append(q.Entity.Attributes, groups...)
		return
	}
	q.Aggregate = ast.Bool{Span: sp, Value: true, Set: true}
	for _, g := range groups {
		g.GroupBy = ast.Bool{Span: g.Span, Value: true, Set: true}
		g.Alias = ast.Name{Span: g.Span, Text: g.Name.Text}
	}
	q.Entity.Attributes = append(q.Entity.Attributes, groups...)
	second := simplePath(st.Call.Args[1].Expr)
	if second == nil || len(second.Segs) != 1 || second.Segs[0].Name != "aggregate" || !st.Call.Args[1].bare() {
		l.unsupported(l.span(st.Call.Args[1].Pos, st.Call.Args[1].EndPos), "groupby's second argument other than aggregate(…)")
		return
	}
	l.aggregate(q, second.Segs[0], l.span(second.Pos, second.EndPos))
}

var aggregateWith = map[string]ast.AggregateFunc{"sum": ast.Sum, "min": ast.Min, "max": ast.Max, "average": ast.Avg, "countdistinct": ast.CountColumn}

func (l *lowerer) aggregate(q *ast.Query, st *Segment, sp diag.Span) {
	if st.Call == nil || len(st.Call.Args) == 0 {
		l.errorf(sp, diag.SyntaxError, "aggregate takes one or more \"x with f as alias\" or \"$count as alias\"")
		return
	}
	for _, a := range st.Call.Args {
		asp := l.span(a.Pos, a.EndPos)
		p := simplePath(a.Expr)
		with, simple := a.with()
		if p == nil || len(p.Segs) != 1 || p.Segs[0].Open || !simple {
			l.unsupported(asp, "aggregate of an expression, a path or with from")
			continue
		}
		if a.As == "" {
			l.unsupported(asp, "a custom aggregate (no alias)")
			continue
		}
		alias := ast.Name{Span: asp, Text: a.As}
		name := p.Segs[0].Name
		if name == "$count" {
			if with != "" {
				l.errorf(asp, diag.SyntaxError, "$count takes no with")
				continue
			}
			pk := l.s.PrimaryKey(q.Entity.Name.Text)
			if pk == "" {
				l.errorf(asp, diag.MissingMetadata, "$count needs the primary key of %s", q.Entity.Name.Text)
				continue
			}
			q.Entity.Attributes = append(q.Entity.Attributes, &ast.Attribute{Span: asp, Name: ast.Name{Span: asp, Text: pk}, Alias: alias, Aggregate: ast.Count})
			continue
		}
		fn, ok := aggregateWith[with]
		if !ok {
			l.unsupported(asp, "aggregate method %q (sum, min, max, average, countdistinct)", with)
			continue
		}
		at := &ast.Attribute{Span: asp, Name: ast.Name{Span: asp, Text: property(name)}, Alias: alias, Aggregate: fn}
		if with == "countdistinct" {
			at.Distinct = ast.Bool{Span: asp, Value: true, Set: true}
		}
		q.Entity.Attributes = append(q.Entity.Attributes, at)
	}
}
