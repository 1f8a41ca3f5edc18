package odata

import (
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Computed conditions: comparisons and string tests whose operands are
// canonical function calls or arithmetic, lowered to ast.Computed over the
// columns of the scope's table (the planner types and checks them).
// tolower()/toupper() around a property keep their FetchXML form
// (Dataverse compares case-insensitively already).

// computes reports whether an operand needs computing: arithmetic, a
// negation, or a canonical function other than tolower/toupper around a
// property.
func (l *lowerer) computes(x *Additive) bool {
	p := additivePrimary(x)
	switch {
	case p == nil:
		return true
	case p.Paren != nil && len(p.Paren.Items) == 1:
		if a := additiveOf(p.Paren.Items[0]); a != nil {
			return l.computes(a)
		}
	case p.Path != nil:
		last := p.Path.Segs[len(p.Path.Segs)-1]
		if !last.Open || !canonicalFunctions[last.Name] {
			return false
		}
		target, _ := l.unfold(p.Path)
		return target == nil
	}
	return false
}

// additiveOf returns x when it is nothing but an arithmetic expression.
func additiveOf(x *OrExpr) *Additive {
	if x == nil || len(x.Terms) != 1 || len(x.Terms[0].Terms) != 1 {
		return nil
	}
	n := x.Terms[0].Terms[0]
	if n.Cmp == nil || len(n.Cmp.Ops) > 0 {
		return nil
	}
	return n.Cmp.Left
}

// computedCompare lowers "left op right" where an operand is computed.
func (l *lowerer) computedCompare(sc *scope, c *Comparison, neg bool) ast.FilterItem {
	sp := l.span(c.Pos, c.EndPos)
	op := c.Ops[0]
	cop, ok := ast.ComputedOpByName(op.Op)
	if !ok {
		l.unsupported(sp, "%s on a computed value", op.Op)
		return nil
	}
	left, right := l.scalar(sc, c.Left), l.scalar(sc, op.Right)
	if left == nil || right == nil {
		return nil
	}
	return &ast.Computed{Span: sp, Op: cop, OpSpan: l.span(op.Pos, op.Pos), Left: left, Right: right, Not: neg}
}

// computedFind lowers contains / startswith / endswith over a computed
// first argument; the text is matched literally (no wildcards).
func (l *lowerer) computedFind(sc *scope, seg *Segment, neg bool) ast.FilterItem {
	sp := l.span(seg.Pos, seg.EndPos)
	cop, _ := ast.ComputedOpByName(seg.Name)
	x, text := l.scalarArg(sc, seg.Call.Args[0]), l.scalarArg(sc, seg.Call.Args[1])
	if x == nil || text == nil {
		return nil
	}
	return &ast.Computed{Span: sp, Op: cop, OpSpan: sp, Left: x, Right: text, Not: neg}
}

func (l *lowerer) scalarArg(sc *scope, a *Arg) ast.Scalar {
	if a == nil || !a.bare() {
		l.errorf(l.span(a.Pos, a.EndPos), diag.SyntaxError, "a function argument with a suffix")
		return nil
	}
	x := additiveOf(a.Expr)
	if x == nil {
		l.unsupported(l.span(a.Pos, a.EndPos), "a Boolean expression as a function argument")
		return nil
	}
	return l.scalar(sc, x)
}

var arithmetic = map[string]ast.Func{"add": ast.FnAdd, "sub": ast.FnSub, "mul": ast.FnMul, "div": ast.FnDiv, "divby": ast.FnDivBy, "mod": ast.FnMod}

// scalar lowers an arithmetic expression.
func (l *lowerer) scalar(sc *scope, x *Additive) ast.Scalar {
	acc := l.mulScalar(sc, x.Left)
	for _, op := range x.Ops {
		right := l.mulScalar(sc, op.Right)
		if acc == nil || right == nil {
			return nil
		}
		acc = &ast.Call{Span: l.span(op.Pos, op.Pos), Func: arithmetic[op.Op], Args: []ast.Scalar{acc, right}}
	}
	return acc
}

func (l *lowerer) mulScalar(sc *scope, x *Multiplicative) ast.Scalar {
	acc := l.unaryScalar(sc, x.Left)
	for _, op := range x.Ops {
		right := l.unaryScalar(sc, op.Right)
		if acc == nil || right == nil {
			return nil
		}
		acc = &ast.Call{Span: l.span(op.Pos, op.Pos), Func: arithmetic[op.Op], Args: []ast.Scalar{acc, right}}
	}
	return acc
}

func (l *lowerer) unaryScalar(sc *scope, u *Unary) ast.Scalar {
	if u.Neg != nil {
		x := l.unaryScalar(sc, u.Neg)
		if x == nil {
			return nil
		}
		return &ast.Call{Span: x.Extent(), Func: ast.FnNeg, Args: []ast.Scalar{x}}
	}
	return l.primaryScalar(sc, u.Primary)
}

func (l *lowerer) primaryScalar(sc *scope, p *Primary) ast.Scalar {
	sp := l.span(p.Pos, p.EndPos)
	switch {
	case p.Literal != nil && p.Literal.Value.Type == tTime:
		// A time of day: compared with time() only (the planner checks).
		return &ast.Value{Span: sp, Text: p.Literal.Value.Value, Kind: ast.KindTime}
	case p.Literal != nil || isAlias(p):
		v, isNull := l.literal(p, 0)
		if isNull {
			return &ast.Value{Span: sp, Text: "null", Kind: ast.KindNull}
		}
		if v == nil {
			return nil
		}
		return v
	case p.Paren != nil && len(p.Paren.Items) == 1:
		x := additiveOf(p.Paren.Items[0])
		if x == nil {
			l.unsupported(sp, "a Boolean expression as an operand")
			return nil
		}
		return l.scalar(sc, x)
	case p.Path != nil:
		return l.pathScalar(sc, p.Path)
	}
	l.unsupported(sp, "this operand in a computed value")
	return nil
}

// pathScalar lowers a property of the scope's table or a canonical
// function call.
func (l *lowerer) pathScalar(sc *scope, p *Path) ast.Scalar {
	sp := l.span(p.Pos, p.EndPos)
	last := p.Segs[len(p.Segs)-1]
	if last.Open {
		if len(p.Segs) > 1 {
			l.unsupported(sp, "a function bound to a path")
			return nil
		}
		fn, ok := ast.FuncByName(last.Name)
		if !ok || fn.Operator() {
			if canonicalFunctions[last.Name] {
				l.errorf(sp, diag.UnsupportedFunction, "canonical function %s() is not computed by vecompile", last.Name)
			} else {
				l.unsupported(sp, "function %s in a computed value", last.Name)
			}
			return nil
		}
		var args []ast.Scalar
		if last.Call != nil {
			if last.Call.Lambda != nil || len(last.Call.Named) > 0 {
				l.errorf(sp, diag.SyntaxError, "%s takes positional arguments", last.Name)
				return nil
			}
			for _, a := range last.Call.Args {
				x := l.scalarArg(sc, a)
				if x == nil {
					return nil
				}
				args = append(args, x)
			}
		}
		return &ast.Call{Span: sp, Func: fn, Args: args}
	}
	hops, _, seg, ok := l.resolve(sc, p)
	if !ok {
		return nil
	}
	if len(hops) > 0 {
		l.unsupported(sp, "a navigation path inside a computed value (only the columns of the filtered table)")
		return nil
	}
	return &ast.ColumnOperand{Span: l.span(seg.Pos, seg.EndPos), Attribute: ast.Name{Span: l.span(seg.Pos, seg.EndPos), Text: property(seg.Name)}}
}
