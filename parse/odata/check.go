package odata

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// The checks the grammar leaves to code: rules that depend on where a
// construct stands (a list only right of in, $apply's "with … as" only in
// $apply, any/all after a path) rather than on what it is.

type syntaxErr struct {
	at  lexer.Position
	msg string
}

type checker struct {
	apply bool // inside $apply (or $compute): aggregate suffixes allowed
	err   *syntaxErr
}

// argContext says how a call's arguments may be written.
type argContext uint8

const (
	plainArgs    argContext = iota
	aggTransform            // aggregate(…) as a transformation: "x with m as a"
	aggFunction             // nav/aggregate(…) in an expression: "x with m", no alias needed
)

func (c *checker) fail(at lexer.Position, msg string) {
	if c.err == nil {
		c.err = &syntaxErr{at: at, msg: msg}
	}
}

func (c *checker) or(x *OrExpr) {
	for _, a := range x.Terms {
		for _, n := range a.Terms {
			c.not(n)
		}
	}
}

func (c *checker) not(n *NotExpr) {
	for n.Not != nil {
		n = n.Not
	}
	c.additive(n.Cmp.Left, false)
	for _, o := range n.Cmp.Ops {
		c.additive(o.Right, o.Op == "in" || strings.EqualFold(o.Op, "in"))
	}
}

func (c *checker) additive(a *Additive, listOK bool) {
	lone := len(a.Ops) == 0 && len(a.Left.Ops) == 0
	c.unary(a.Left.Left, listOK && lone)
	for _, o := range a.Left.Ops {
		c.unary(o.Right, false)
	}
	for _, o := range a.Ops {
		c.unary(o.Right.Left, false)
		for _, m := range o.Right.Ops {
			c.unary(m.Right, false)
		}
	}
}

func (c *checker) unary(u *Unary, listOK bool) {
	for u.Neg != nil {
		u = u.Neg
	}
	c.primary(u.Primary, listOK)
}

func (c *checker) primary(p *Primary, listOK bool) {
	switch {
	case p.Paren != nil && len(p.Paren.Items) != 1:
		if !listOK {
			c.fail(p.Pos, "a parenthesized list is only allowed right of in")
		}
		for _, it := range p.Paren.Items {
			if q := primaryOf(it); q == nil || q.Literal == nil {
				c.fail(it.Pos, "a list holds literals only")
			}
		}
	case p.Paren != nil:
		c.or(p.Paren.Items[0])
	case p.Array != nil:
		for _, it := range p.Array.Items {
			c.or(it)
		}
	case p.Object != nil:
		for _, m := range p.Object.Members {
			c.or(m.Value)
		}
	case p.Path != nil:
		c.path(p.Path)
	}
}

func (c *checker) path(p *Path) {
	for i, s := range p.Segs {
		lambda := s.Name == "any" || s.Name == "all"
		if lambda && i == 0 && s.Open {
			c.fail(s.Pos, s.Name+" needs a collection before it: coll/"+s.Name+"(…)")
		}
		if s.Name == "all" && s.Open && (s.Call == nil || s.Call.Lambda == nil) {
			c.fail(s.Pos, "all needs a lambda: all(x: …)")
		}
		if s.Call == nil {
			if s.Open && s.Name == "aggregate" && c.apply {
				c.fail(s.Pos, "aggregate needs at least one aggregate expression")
			}
			continue
		}
		if s.Call.Lambda != nil {
			c.or(s.Call.Lambda.Body)
		}
		for _, a := range s.Call.Named {
			c.or(a.Value)
		}
		ctx := plainArgs
		if s.Name == "aggregate" {
			ctx = aggTransform
			if i > 0 && !p.Segs[i-1].Open {
				ctx = aggFunction
			}
		}
		for _, a := range s.Call.Args {
			c.arg(a, ctx)
		}
	}
}

func (c *checker) arg(a *Arg, ctx argContext) {
	if a.Expr == nil {
		return // keep start
	}
	if p := primaryOf(a.Expr); p != nil && p.Paren != nil && len(p.Paren.Items) != 1 && c.apply {
		// groupby((a,b), …): a list of grouping paths.
		for _, it := range p.Paren.Items {
			c.or(it)
		}
	} else {
		c.or(a.Expr)
	}
	if len(a.Suffixes) == 0 && a.As == "" {
		return
	}
	if !c.apply && ctx != aggFunction {
		c.fail(a.Pos, "with / from / as belong to $apply")
		return
	}
	count := false
	if p := simplePath(a.Expr); p != nil && p.Segs[len(p.Segs)-1].Name == "$count" {
		count = true
	}
	if s := a.Suffixes; len(s) > 0 && s[0].With != "" {
		if count {
			c.fail(s[0].Pos, "$count takes no with")
		}
		if a.As == "" && ctx != aggFunction {
			c.fail(a.Pos, "an aggregate expression with a method needs an alias: … as name")
		}
		for i, x := range s {
			if x.From != nil && (i+1 >= len(s) || s[i+1].With == "") {
				c.fail(x.Pos, "from after a method needs its own with")
			}
		}
	}
	for _, x := range a.Suffixes {
		if x.From != nil {
			c.path(x.From)
		}
	}
}

func (c *checker) expand(e *Expand) {
	for _, it := range e.Items {
		last := it.Path[len(it.Path)-1]
		for _, o := range it.Options {
			switch {
			case last == "$ref" && (o.Select != nil || o.Expand != nil || o.Levels != "" || o.Compute != nil || o.Apply != nil):
				c.fail(o.Pos, "$ref takes $filter, $search, $orderby, $skip, $top and $count only")
			case last == "$count" && o.Filter == nil && o.Search == nil:
				c.fail(o.Pos, "$count takes $filter and $search only")
			case o.Levels != "" && o.Levels != "max" && (strings.HasPrefix(o.Levels, "0") || strings.ContainsAny(o.Levels, ".eE-+")):
				c.fail(o.Pos, "$levels is a positive integer without leading zeros or max")
			}
			c.option(o)
		}
	}
}

func (c *checker) option(o *Option) {
	switch {
	case o.Filter != nil:
		c.or(o.Filter)
	case o.OrderBy != nil:
		for _, it := range o.OrderBy.Items {
			c.or(it.Expr)
		}
	case o.Expand != nil:
		c.expand(o.Expand)
	case o.Select != nil:
		c.selectList(o.Select)
	case o.Apply != nil || o.Compute != nil:
		a := o.Apply
		if a == nil {
			a = o.Compute
		}
		saved := c.apply
		c.apply = true
		for _, st := range a.Steps {
			c.arg(st, plainArgs)
		}
		c.apply = saved
	case o.AliasV != nil:
		c.or(o.AliasV)
	}
}

func (c *checker) selectList(s *Select) {
	for _, it := range s.Items {
		for _, o := range it.Options {
			c.option(o)
		}
	}
}

// check runs the checks on a parsed option value.
func check(x any) *syntaxErr {
	c := &checker{}
	switch x := x.(type) {
	case *OrExpr:
		c.or(x)
	case *OrderBy:
		for _, it := range x.Items {
			c.or(it.Expr)
		}
	case *Select:
		c.selectList(x)
	case *Expand:
		c.expand(x)
	case *Apply:
		c.apply = true
		for _, st := range x.Steps {
			c.arg(st, plainArgs)
		}
	}
	return c.err
}
