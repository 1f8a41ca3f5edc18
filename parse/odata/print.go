package odata

import (
	"strconv"
	"strings"
)

// Normalized printing of the syntax tree: one space around binary
// operators, none after commas, parentheses only where precedence needs
// them, options in a fixed order. Two requests that say the same thing in
// different spellings print the same (the corpus test compares these).

// Precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp
	precAdd
	precMul
	precUnary
	precPrimary
)

// String is the normalized request: entity set, then the options.
func (r *Request) String() string {
	var parts []string
	add := func(name, v string) { parts = append(parts, name+"="+v) }
	if r.Select != nil {
		add("$select", r.Select.String())
	}
	if r.Expand != nil {
		add("$expand", r.Expand.String())
	}
	if r.Filter != nil {
		add("$filter", r.Filter.String())
	}
	if r.Apply != nil {
		add("$apply", r.Apply.String())
	}
	if r.OrderBy != nil {
		add("$orderby", r.OrderBy.String())
	}
	if r.Top != nil {
		add("$top", strconv.FormatInt(r.Top.Value, 10))
	}
	if r.Skip != nil {
		add("$skip", strconv.FormatInt(r.Skip.Value, 10))
	}
	if r.Count != nil {
		add("$count", strconv.FormatBool(r.Count.Value))
	}
	if r.Search != nil {
		add("$search", r.Search.Value)
	}
	for _, o := range r.Other {
		add(o.Name, o.Value)
	}
	s := r.EntitySet
	if len(parts) > 0 {
		s += "?" + strings.Join(parts, "&")
	}
	return s
}

func (x *OrExpr) String() string { return fmtOr(x, 0) }

func wrap(s string, prec, ctx int) string {
	if prec < ctx {
		return "(" + s + ")"
	}
	return s
}

func fmtOr(x *OrExpr, ctx int) string {
	if len(x.Terms) == 1 {
		return fmtAnd(x.Terms[0], ctx)
	}
	parts := make([]string, len(x.Terms))
	for i, t := range x.Terms {
		parts[i] = fmtAnd(t, precAnd)
	}
	return wrap(strings.Join(parts, " or "), precOr, ctx)
}

func fmtAnd(x *AndExpr, ctx int) string {
	if len(x.Terms) == 1 {
		return fmtNot(x.Terms[0], ctx)
	}
	parts := make([]string, len(x.Terms))
	for i, t := range x.Terms {
		parts[i] = fmtNot(t, precNot)
	}
	return wrap(strings.Join(parts, " and "), precAnd, ctx)
}

func fmtNot(x *NotExpr, ctx int) string {
	if x.Not != nil {
		return wrap("not "+fmtNot(x.Not, precNot+1), precNot, ctx)
	}
	c := x.Cmp
	if len(c.Ops) == 0 {
		return fmtAdd(c.Left, ctx)
	}
	s := fmtAdd(c.Left, precCmp+1)
	for _, o := range c.Ops {
		s += " " + o.Op + " " + fmtAdd(o.Right, precCmp+1)
	}
	return wrap(s, precCmp, ctx)
}

func fmtAdd(x *Additive, ctx int) string {
	if len(x.Ops) == 0 {
		return fmtMul(x.Left, ctx)
	}
	s := fmtMul(x.Left, precAdd)
	for _, o := range x.Ops {
		s += " " + o.Op + " " + fmtMul(o.Right, precAdd+1)
	}
	return wrap(s, precAdd, ctx)
}

func fmtMul(x *Multiplicative, ctx int) string {
	if len(x.Ops) == 0 {
		return fmtUnary(x.Left, ctx)
	}
	s := fmtUnary(x.Left, precMul)
	for _, o := range x.Ops {
		s += " " + o.Op + " " + fmtUnary(o.Right, precMul+1)
	}
	return wrap(s, precMul, ctx)
}

func fmtUnary(x *Unary, ctx int) string {
	if x.Neg != nil {
		return wrap("-"+fmtUnary(x.Neg, precUnary), precUnary, ctx)
	}
	return fmtPrimary(x.Primary, ctx)
}

func fmtPrimary(p *Primary, ctx int) string {
	switch {
	case p.Literal != nil:
		t := p.Literal.Value
		switch t.Type {
		case tNull, tBool:
			return strings.ToLower(t.Value)
		case tGUID:
			return strings.ToLower(t.Value)
		}
		return t.Value
	case p.Paren != nil && len(p.Paren.Items) == 1:
		// Grouping: the parentheses the context needs, no more.
		return fmtOr(p.Paren.Items[0], ctx)
	case p.Paren != nil:
		return "(" + fmtList(p.Paren) + ")"
	case p.Array != nil:
		return "[" + fmtList(p.Array) + "]"
	case p.Object != nil:
		parts := make([]string, len(p.Object.Members))
		for i, m := range p.Object.Members {
			parts[i] = m.Name + ":" + fmtOr(m.Value, 0)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return p.Path.String()
}

func fmtList(l *List) string {
	parts := make([]string, len(l.Items))
	for i, it := range l.Items {
		parts[i] = fmtOr(it, 0)
	}
	return strings.Join(parts, ",")
}

func (p *Path) String() string {
	parts := make([]string, len(p.Segs))
	for i, s := range p.Segs {
		parts[i] = s.String()
	}
	return strings.Join(parts, "/")
}

func (s *Segment) String() string {
	if !s.Open {
		return s.Name
	}
	if s.Call == nil {
		return s.Name + "()"
	}
	c := s.Call
	var inner string
	switch {
	case c.Lambda != nil:
		inner = c.Lambda.Var + ":" + fmtOr(c.Lambda.Body, 0)
	case len(c.Named) > 0:
		parts := make([]string, len(c.Named))
		for i, a := range c.Named {
			parts[i] = a.Name + "=" + fmtOr(a.Value, 0)
		}
		inner = strings.Join(parts, ",")
	default:
		parts := make([]string, len(c.Args))
		for i, a := range c.Args {
			parts[i] = a.String()
			if p := primaryOf(a.Expr); i == 0 && s.Name == "groupby" && p != nil && p.Paren != nil && a.bare() {
				parts[i] = "(" + fmtList(p.Paren) + ")"
			}
		}
		inner = strings.Join(parts, ",")
	}
	return s.Name + "(" + inner + ")"
}

func (a *Arg) String() string {
	if a.Keep {
		return "keep start"
	}
	s := fmtOr(a.Expr, 0)
	for _, x := range a.Suffixes {
		switch {
		case x.With != "":
			s += " with " + x.With
		case x.From != nil:
			s += " from " + x.From.String()
		case x.Dir != "":
			s += " " + x.Dir
		}
	}
	if a.As != "" {
		s += " as " + a.As
	}
	return s
}

func (o *OrderBy) String() string {
	parts := make([]string, len(o.Items))
	for i, it := range o.Items {
		d := it.Dir
		if d == "" {
			d = "asc"
		}
		parts[i] = fmtOr(it.Expr, 0) + " " + d
	}
	return strings.Join(parts, ",")
}

func (s *Select) String() string {
	parts := make([]string, len(s.Items))
	for i, it := range s.Items {
		parts[i] = strings.Join(it.Path, "/") + fmtOptions(it.Options)
		if len(it.Params) > 0 {
			parts[i] += "(" + strings.Join(it.Params, ",") + ")"
		}
	}
	return strings.Join(parts, ",")
}

func (s *Search) String() string {
	var b []string
	for _, t := range s.Terms {
		if t.Group != nil {
			b = append(b, "("+t.Group.String()+")")
		} else {
			b = append(b, t.Word.Value)
		}
	}
	return strings.Join(b, " ")
}

func (e *Expand) String() string {
	parts := make([]string, len(e.Items))
	for i, it := range e.Items {
		parts[i] = strings.Join(it.Path, "/") + fmtOptions(it.Options)
	}
	return strings.Join(parts, ",")
}

func fmtOptions(opts []*Option) string {
	if len(opts) == 0 {
		return ""
	}
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = o.String()
	}
	return "(" + strings.Join(parts, ";") + ")"
}

func (o *Option) String() string {
	switch {
	case o.Select != nil:
		return "$select=" + o.Select.String()
	case o.Expand != nil:
		return "$expand=" + o.Expand.String()
	case o.Filter != nil:
		return "$filter=" + o.Filter.String()
	case o.OrderBy != nil:
		return "$orderby=" + o.OrderBy.String()
	case o.Top != "":
		return "$top=" + o.Top
	case o.Skip != "":
		return "$skip=" + o.Skip
	case o.Count != "":
		return "$count=" + strings.ToLower(o.Count)
	case o.Levels != "":
		return "$levels=" + o.Levels
	case o.Search != nil:
		return "$search=" + o.Search.String()
	case o.Apply != nil:
		return "$apply=" + o.Apply.String()
	case o.Compute != nil:
		return "$compute=" + o.Compute.String()
	case o.Alias != "":
		return o.Alias + "=" + fmtOr(o.AliasV, 0)
	}
	return ""
}

func (a *Apply) String() string {
	parts := make([]string, len(a.Steps))
	for i, s := range a.Steps {
		parts[i] = s.String()
	}
	return strings.Join(parts, "/")
}
