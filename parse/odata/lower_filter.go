package odata

import (
	"encoding/json"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// $filter: boolean structure, comparisons and literals. OData's two-valued
// logic is lowered with exact complements (see boolean).

// boolean lowers a Boolean expression; neg asks for its negation. OData's
// logic is two-valued (a comparison with null is false, not unknown), so
// not is pushed down to the leaves by De Morgan and each leaf is replaced
// by its exact complement, adding "or null" where the complement must
// include the rows whose column is null (spec §3.2: FetchXML's ne already
// includes them, its gt/lt/le/ge and not-in do not).
func (l *lowerer) boolean(sc *scope, x *OrExpr, neg bool) ast.FilterItem {
	sp := l.span(x.Pos, x.EndPos)
	if len(x.Terms) == 1 {
		return l.conj(sc, x.Terms[0], neg)
	}
	f := &ast.Filter{Span: sp, Type: ast.Or}
	if neg {
		f.Type = ast.And
	}
	for _, t := range x.Terms {
		if it := l.conj(sc, t, neg); it != nil {
			f.Items = append(f.Items, it)
		}
	}
	return f
}

func (l *lowerer) conj(sc *scope, x *AndExpr, neg bool) ast.FilterItem {
	if len(x.Terms) == 1 {
		return l.not(sc, x.Terms[0], neg)
	}
	f := &ast.Filter{Span: l.span(x.Pos, x.EndPos), Type: ast.And}
	if neg {
		f.Type = ast.Or
	}
	for _, t := range x.Terms {
		if it := l.not(sc, t, neg); it != nil {
			f.Items = append(f.Items, it)
		}
	}
	return f
}

func (l *lowerer) not(sc *scope, x *NotExpr, neg bool) ast.FilterItem {
	if x.Not != nil {
		return l.not(sc, x.Not, !neg)
	}
	return l.comparison(sc, x.Cmp, neg)
}

// leaf builds one predicate for a polarity, and says whether that
// predicate is true when its column is null (needed to carry it through
// an N:1 path, where a missing related row reads as null).
type leaf func(neg bool) (it ast.FilterItem, nullTrue bool)

func (l *lowerer) comparison(sc *scope, c *Comparison, neg bool) ast.FilterItem {
	sp := l.span(c.Pos, c.EndPos)
	if len(c.Ops) > 1 {
		l.unsupported(sp, "chained comparison (a comparison of a Boolean result)")
		return nil
	}
	if len(c.Ops) == 0 {
		p := additivePrimary(c.Left)
		if p == nil {
			l.unsupported(sp, "arithmetic where a Boolean is expected")
			return nil
		}
		switch {
		case p.Paren != nil && len(p.Paren.Items) == 1:
			return l.boolean(sc, p.Paren.Items[0], neg)
		case p.Path != nil:
			return l.boolPath(sc, p.Path, neg)
		case p.Literal != nil:
			// FetchXML has no constant condition; the primary key, never
			// null, says true (not-null) or false (null) exactly.
			v := strings.ToLower(p.Literal.Value.Value)
			pk := l.s.PrimaryKey(sc.table)
			if (v != "true" && v != "false") || pk == "" {
				l.unsupported(sp, "a constant %s as a condition", p.Literal.Value.Value)
				return nil
			}
			op := ast.OpNotNull
			if (v == "true") == neg {
				op = ast.OpNull
			}
			return &ast.Condition{Span: sp, Attribute: ast.Name{Span: sp, Text: pk}, Operator: op, OpSpan: sp}
		}
		l.unsupported(sp, "this expression as a condition")
		return nil
	}
	op := c.Ops[0]
	switch op.Op {
	case "has":
		l.unsupported(sp, "has (enumeration flags; Dataverse choices are integers)")
		return nil
	case "in":
		return l.in(sc, c, neg)
	}
	left, right := c.Left, op.Right
	if l.computes(left) || l.computes(right) {
		return l.computedCompare(sc, c, neg)
	}
	opName := op.Op
	lp, rp := additivePrimary(left), additivePrimary(right)
	if lp == nil || rp == nil {
		l.errorf(sp, diag.UnsupportedFunction, "arithmetic operator %s in a comparison: vecompile does not compute expressions (FetchXML has no form for them)", arithmeticOp(left, right))
		return nil
	}
	// Literal on the left: swap.
	if isLiteral(lp) && !isLiteral(rp) {
		lp, rp = rp, lp
		opName = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}[opName]
	}
	if lp.Path == nil {
		l.unsupported(sp, "a comparison without a property")
		return nil
	}
	target, fold := l.unfold(lp.Path)
	if target == nil {
		if l.refuseFunction(l.span(lp.Pos, lp.EndPos), lp.Path, "in a comparison") {
			return nil
		}
		l.unsupported(l.span(lp.Pos, lp.EndPos), "function %s in a comparison (FetchXML compares columns)", lp.Path.Segs[len(lp.Path.Segs)-1].Name)
		return nil
	}
	if rp.Path != nil && !isAlias(rp) {
		return l.columnCompare(sc, target, rp.Path, opName, sp, neg)
	}
	val, isNull := l.literal(rp, fold)
	if val == nil && !isNull {
		return nil
	}
	var mk leaf
	switch {
	case isNull && opName == "eq", isNull && opName == "ne":
		positive := ast.OpNull
		if opName == "ne" {
			positive = ast.OpNotNull
		}
		mk = func(n bool) (ast.FilterItem, bool) {
			o := positive
			if n {
				o = map[ast.Operator]ast.Operator{ast.OpNull: ast.OpNotNull, ast.OpNotNull: ast.OpNull}[o]
			}
			return &ast.Condition{Span: sp, Operator: o, OpSpan: sp}, o == ast.OpNull
		}
	case isNull:
		l.unsupported(sp, "%s null (always false in OData)", opName)
		return nil
	default:
		mk = l.compareLeaf(sp, opName, val)
	}
	return l.onPath(sc, target, sp, mk, neg)
}

// compareLeaf is a comparison with a literal and its complements:
// not eq = ne, not ne = eq, not gt = le, …; OData's eq, gt, ge, lt and le
// are false on null and ne is true on null (two-valued logic), and cond
// fits the FetchXML operator to that.
func (l *lowerer) compareLeaf(sp diag.Span, op string, val *ast.Value) leaf {
	ops := map[string]ast.Operator{"eq": ast.OpEq, "ne": ast.OpNe, "gt": ast.OpGt, "ge": ast.OpGe, "lt": ast.OpLt, "le": ast.OpLe}
	comp := map[string]string{"eq": "ne", "ne": "eq", "gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}
	return func(n bool) (ast.FilterItem, bool) {
		o := op
		if n {
			o = comp[op]
		}
		return l.cond(sp, ops[o], []*ast.Value{val}, (op == "ne") != n)
	}
}

// cond is a condition that must be true on null exactly when nullTrue:
// the operator's own null inclusion, corrected with "or null" or "and
// not-null" where it differs.
func (l *lowerer) cond(sp diag.Span, op ast.Operator, vals []*ast.Value, nullTrue bool) (ast.FilterItem, bool) {
	c := &ast.Condition{Span: sp, Operator: op, OpSpan: sp, Values: vals}
	switch incl := l.incl[op] || op == ast.OpNull; {
	case incl == nullTrue:
		return c, nullTrue
	case nullTrue:
		return &ast.Filter{Span: sp, Type: ast.Or, Items: []ast.FilterItem{c, &ast.Condition{Span: sp, Operator: ast.OpNull, OpSpan: sp}}}, true
	default:
		return &ast.Filter{Span: sp, Type: ast.And, Items: []ast.FilterItem{c, &ast.Condition{Span: sp, Operator: ast.OpNotNull, OpSpan: sp}}}, false
	}
}

func isLiteral(p *Primary) bool { return p.Literal != nil || isAlias(p) }

// isAlias reports a parameter alias (@p), whose value is a literal.
func isAlias(p *Primary) bool {
	return p.Path != nil && len(p.Path.Segs) == 1 && !p.Path.Segs[0].Open && strings.HasPrefix(p.Path.Segs[0].Name, "@")
}

// unfold strips tolower()/toupper() around a property path: Dataverse
// compares strings case-insensitively, so they change nothing as long as
// the literal is already in that case (checked by literal). It returns
// the property path and the folding (0, 'l', 'u').
func (l *lowerer) unfold(p *Path) (*Path, byte) {
	last := p.Segs[len(p.Segs)-1]
	if len(p.Segs) == 1 && last.Call != nil && (last.Name == "tolower" || last.Name == "toupper") && len(last.Call.Args) == 1 && last.Call.Args[0].bare() {
		if inner := simplePath(last.Call.Args[0].Expr); inner != nil && !inner.Segs[len(inner.Segs)-1].Open {
			return inner, last.Name[2]
		}
		return nil, 0
	}
	if last.Open {
		return nil, 0
	}
	return p, 0
}

func (a *Arg) bare() bool { return len(a.Suffixes) == 0 && a.As == "" && a.Expr != nil }

// with is the aggregation method of "x with m as a" ("" if none or if
// from is used).
func (a *Arg) with() (string, bool) {
	if len(a.Suffixes) != 1 || a.Suffixes[0].With == "" {
		return "", len(a.Suffixes) == 0
	}
	return a.Suffixes[0].With, true
}

// literal lowers a literal operand; fold requires the text to be in that
// case already. It reports null separately.
func (l *lowerer) literal(p *Primary, fold byte) (*ast.Value, bool) {
	sp := l.span(p.Pos, p.EndPos)
	if p.Literal == nil {
		if p.Paren != nil && len(p.Paren.Items) == 1 {
			if inner := primaryOf(p.Paren.Items[0]); inner != nil {
				return l.literal(inner, fold)
			}
		}
		if p.Path != nil && len(p.Path.Segs) == 1 && !p.Path.Segs[0].Open && strings.HasPrefix(p.Path.Segs[0].Name, "@") {
			return l.aliasLiteral(p.Path.Segs[0], fold)
		}
		l.unsupported(sp, "this operand (FetchXML compares a column with literals)")
		return nil, false
	}
	return l.token(p.Literal.Value, sp, fold)
}

func (l *lowerer) aliasLiteral(seg *Segment, fold byte) (*ast.Value, bool) {
	sp := l.span(seg.Pos, seg.EndPos)
	a, ok := l.r.aliases[seg.Name]
	if !ok {
		l.errorf(sp, diag.SyntaxError, "parameter alias %s has no value", seg.Name)
		return nil, false
	}
	p := primaryOf(a.expr)
	if p == nil || p.Literal == nil {
		l.unsupported(sp, "parameter alias %s: only literal values", seg.Name)
		return nil, false
	}
	saved := l.off
	l.off = a.off
	defer func() { l.off = saved }()
	return l.literal(p, fold)
}

func (l *lowerer) token(t lexer.Token, sp diag.Span, fold byte) (*ast.Value, bool) {
	v := &ast.Value{Span: sp, Text: t.Value}
	switch t.Type {
	case tNull:
		return nil, true
	case tString:
		v.Text, v.Kind = strings.ReplaceAll(t.Value[1:len(t.Value)-1], "''", "'"), ast.KindString
	case tDQString:
		var s string
		if err := json.Unmarshal([]byte(t.Value), &s); err != nil {
			l.errorf(sp, diag.BadLiteral, "bad string %s", t.Value)
			return nil, false
		}
		v.Text, v.Kind = s, ast.KindString
	case tNumber:
		if t.Value == "INF" || t.Value == "-INF" || t.Value == "NaN" {
			l.unsupported(sp, "%s (no Dataverse number is infinite or NaN)", t.Value)
			return nil, false
		}
		v.Kind = ast.KindNumber
	case tBool:
		v.Text, v.Kind = strings.ToLower(t.Value), ast.KindBool
	case tGUID:
		v.Kind = ast.KindGuid
	case tDate, tDateTime:
		v.Kind = ast.KindDateTime
	case tTime:
		l.unsupported(sp, "time-of-day literal %s (Dataverse has no time-of-day column)", t.Value)
		return nil, false
	case tTyped:
		prefix := t.Value[:strings.IndexByte(t.Value, '\'')]
		l.unsupported(sp, "%s literal (no Dataverse column type holds it)", prefix)
		return nil, false
	default:
		l.errorf(sp, diag.BadLiteral, "not a literal: %s", t.Value)
		return nil, false
	}
	switch {
	case fold == 'l' && strings.ToLower(v.Text) != v.Text, fold == 'u' && strings.ToUpper(v.Text) != v.Text:
		l.unsupported(sp, "a case-folded column compared with %q, which is not in that case (never true in OData; Dataverse compares without case)", v.Text)
		return nil, false
	}
	return v, false
}

// resolve walks a path's navigation segments from scope sc. It returns the
// N:1 navigations crossed (outermost first), the table the last segment
// belongs to and that segment.
