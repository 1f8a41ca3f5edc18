package plan

import (
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Computed values: OData's canonical functions and arithmetic, typed
// against the catalog. A computed condition (ast.Computed) becomes plain
// And / Or / Not over ScalarCompare, ScalarNull and ScalarFind, built so
// that the result is never unknown (OData's logic is two-valued): each
// comparison is ANDed with its operands being non-null.

// Scalar is a value a computed condition compares or a computed sort key
// sorts: *ColumnRef, *Value or *Call. Sealed.
type Scalar interface{ scalar() }

// Call is a canonical function or arithmetic operator over its arguments.
// Kind is the result's kind. Integer div truncates toward zero; div and
// divby on decimals or floats compute in double precision; div, divby and
// mod by zero are NULL; round is half away from zero; length and indexof
// count characters; indexof, contains, startswith and endswith compare
// under the plan's collation (case-insensitive, accents per
// AccentSensitive).
type Call struct {
	Func ast.Func
	Args []Scalar
	Kind Kind
	// Zone is the zone a date part reads its column in: the caller's for
	// User Local columns, UTC (the stored wall clock) for the others.
	Zone *time.Location
}

// ScalarCompare is Left op Right under SQL's three-valued logic. Fold
// compares strings case-insensitively (and accent-insensitively unless
// the plan is accent-sensitive), padded with spaces for eq and ne as
// Dataverse's SQL Server does.
type ScalarCompare struct {
	Op          CmpOp
	Left, Right Scalar
	Fold        bool
	Span        diag.Span
}

// ScalarNull is "X IS [NOT] NULL".
type ScalarNull struct {
	X   Scalar
	Not bool
}

// ScalarFind tests whether the string Text occurs in X (folded as
// ScalarCompare's Fold does): anywhere (FindContains), at its start or at
// its end. NULL when X is.
type ScalarFind struct {
	Where FindWhere
	X     Scalar
	Text  *Value // KString
	Span  diag.Span
}

// FindWhere is where ScalarFind looks.
type FindWhere uint8

const (
	FindContains FindWhere = iota
	FindStart
	FindEnd
)

func (*Call) scalar()      {}
func (*ColumnRef) scalar() {}
func (*Value) scalar()     {}

func (*ScalarCompare) expr() {}
func (*ScalarNull) expr()    {}
func (*ScalarFind) expr()    {}

// ScalarKind is the kind of a scalar (KUnknown for an untyped column).
func ScalarKind(s Scalar) Kind {
	switch s := s.(type) {
	case *Call:
		return s.Kind
	case *ColumnRef:
		if s.Column != nil {
			return s.Column.Type.Kind()
		}
	case *Value:
		return s.Kind
	}
	return KUnknown
}

// ScalarColumns calls f for every column a scalar reads.
func ScalarColumns(s Scalar, f func(*ColumnRef)) {
	switch s := s.(type) {
	case *ColumnRef:
		f(s)
	case *Call:
		for _, a := range s.Args {
			ScalarColumns(a, f)
		}
	}
}

// MayFail returns the first function of s that can raise an error on
// some row's values (arithmetic overflow: engines report it as an error,
// SQLite excepted), and whether there is one. Division by zero is NULL
// (the emitter guards it), so only overflow remains.
func MayFail(s Scalar) (ast.Func, bool) {
	c, ok := s.(*Call)
	if !ok {
		return 0, false
	}
	switch c.Func {
	case ast.FnAdd, ast.FnSub, ast.FnMul, ast.FnDiv, ast.FnDivBy, ast.FnMod, ast.FnNeg, ast.FnRound:
		if c.Func != ast.FnRound || c.Kind != KInt {
			return c.Func, true
		}
	}
	for _, a := range c.Args {
		if f, ok := MayFail(a); ok {
			return f, true
		}
	}
	return 0, false
}

// sortExpr resolves a computed sort key: a call over the source's
// columns (a constant orders nothing).
func (b *builder) sortExpr(ds *DataSource, x ast.Scalar) Scalar {
	s := b.scalar(ds, x, KUnknown)
	if s == nil {
		return nil
	}
	reads := false
	ScalarColumns(s, func(*ColumnRef) { reads = true })
	if !reads {
		b.errorf(x.Extent(), diag.UnsupportedFeature, "an order on a constant")
		return nil
	}
	switch ScalarKind(s) {
	case KString, KInt, KDecimal, KFloat, KDateTime, KDate, KTime:
	default:
		b.errorf(x.Extent(), diag.OperatorType, "an order on %s", kindText(ScalarKind(s)))
		return nil
	}
	return s
}

// computed resolves a computed condition in the context of data source ds.
func (b *builder) computed(ds *DataSource, c *ast.Computed) Expr {
	l, r := c.Left, c.Right
	lv, lLit := l.(*ast.Value)
	rv, rLit := r.(*ast.Value)
	if lLit && rLit {
		b.errorf(c.Span, diag.UnsupportedFeature, "a comparison of two literals (a constant condition)")
		return nil
	}
	if lLit && !rLit {
		l, r, lv, rv, rLit = r, l, nil, lv, true
		c = &ast.Computed{Span: c.Span, Op: swapOp(c.Op), OpSpan: c.OpSpan, Left: l, Right: r, Not: c.Not}
	}
	left := b.scalar(ds, l, KUnknown)
	if left == nil {
		return nil
	}
	lk := ScalarKind(left)
	var pos Expr
	switch c.Op {
	case ast.CContains, ast.CStartsWith, ast.CEndsWith:
		pos = b.find(c, left, rv)
	default:
		if rLit && rv.Kind == ast.KindNull {
			switch c.Op {
			case ast.CEq:
				pos = &ScalarNull{X: left}
			case ast.CNe:
				pos = &ScalarNull{X: left, Not: true}
			default:
				b.errorf(c.OpSpan, diag.OperatorType, "%s null is always false in OData", c.Op)
				return nil
			}
			break
		}
		right := b.scalar(ds, r, lk)
		if right == nil {
			return nil
		}
		left, right = b.nowAgainst(l, left, right), b.nowAgainst(r, right, left)
		if left == nil || right == nil {
			return nil
		}
		op := c.Op
		if _, lc := left.(*Value); lc {
			// A constant on the left (now()): the column side first, as
			// a literal is swapped above, so no bare parameter is tested
			// for null.
			if _, rc := right.(*Value); !rc {
				left, right, op = right, left, swapOp(op)
			}
		}
		left, right = b.dateOnlyAsDate(left, right), b.dateOnlyAsDate(right, left)
		lk = ScalarKind(left)
		rk := ScalarKind(right)
		if constant(left) && constant(right) {
			b.errorf(c.Span, diag.UnsupportedFeature, "a comparison of two constants (a constant condition)")
			return nil
		}
		if !comparable(lk, rk) {
			b.errorf(c.OpSpan, diag.OperatorType, "%s compares %s with %s", c.Op, kindText(lk), kindText(rk))
			return nil
		}
		if lk == KMulti || lk == KGuid && c.Op != ast.CEq && c.Op != ast.CNe {
			b.errorf(c.OpSpan, diag.OperatorType, "%s is not defined on %s values", c.Op, kindText(lk))
			return nil
		}
		pos = b.twoValued(op, left, right, c.Span)
	}
	if pos == nil {
		return nil
	}
	if c.Not {
		return &Not{X: pos}
	}
	return pos
}

// twoValued is "left op right" with OData's null rules, never unknown.
func (b *builder) twoValued(op ast.ComputedOp, left, right Scalar, sp diag.Span) Expr {
	fold := ScalarKind(left) == KString || ScalarKind(right) == KString
	cmp := func(o CmpOp) Expr {
		return b.a.and(append(nonNull(left, right), &ScalarCompare{Op: o, Left: left, Right: right, Fold: fold, Span: sp}))
	}
	bothNull := func() Expr {
		if _, lit := right.(*Value); lit {
			return nil
		}
		return b.a.and([]Expr{&ScalarNull{X: left}, &ScalarNull{X: right}})
	}
	orBothNull := func(e Expr) Expr {
		if n := bothNull(); n != nil {
			return b.a.or([]Expr{e, n})
		}
		return e
	}
	switch op {
	case ast.CEq:
		return orBothNull(cmp(Eq))
	case ast.CNe:
		return &Not{X: orBothNull(cmp(Eq))}
	case ast.CLt:
		return cmp(Lt)
	case ast.CGt:
		return cmp(Gt)
	case ast.CLe:
		return orBothNull(cmp(Le))
	default:
		return orBothNull(cmp(Ge))
	}
}

// nonNull lists "X IS NOT NULL" for the operands that are not literals.
func nonNull(xs ...Scalar) []Expr {
	var out []Expr
	for _, x := range xs {
		if _, lit := x.(*Value); !lit {
			out = append(out, &ScalarNull{X: x, Not: true})
		}
	}
	return out
}

// find resolves contains / startswith / endswith over a computed string
// with a string literal.
func (b *builder) find(c *ast.Computed, left Scalar, lit *ast.Value) Expr {
	if lit == nil || lit.Kind == ast.KindNull {
		b.errorf(c.OpSpan, diag.UnsupportedFeature, "%s over a computed value takes a string literal as its second argument", c.Op)
		return nil
	}
	if k := ScalarKind(left); k != KString && k != KUnknown {
		b.errorf(c.OpSpan, diag.OperatorType, "%s takes a string; its first argument is %s", c.Op, kindText(k))
		return nil
	}
	v := b.a.value(KString, lit.Text)
	where := map[ast.ComputedOp]FindWhere{ast.CContains: FindContains, ast.CStartsWith: FindStart, ast.CEndsWith: FindEnd}[c.Op]
	return b.a.and(append(nonNull(left), &ScalarFind{Where: where, X: left, Text: v, Span: c.Span}))
}

func swapOp(op ast.ComputedOp) ast.ComputedOp {
	switch op {
	case ast.CLt:
		return ast.CGt
	case ast.CGt:
		return ast.CLt
	case ast.CLe:
		return ast.CGe
	case ast.CGe:
		return ast.CLe
	}
	return op
}

func numeric(k Kind) bool { return k == KInt || k == KDecimal || k == KFloat }

// constant reports whether a scalar reads no column (now(), date(now())).
func constant(s Scalar) bool {
	reads := false
	ScalarColumns(s, func(*ColumnRef) { reads = true })
	return !reads
}

func comparable(a, b Kind) bool {
	return a == b || a == KUnknown || b == KUnknown || numeric(a) && numeric(b)
}

func kindText(k Kind) string {
	return [...]string{KUnknown: "untyped", KString: "a string", KInt: "an integer", KDecimal: "a decimal", KFloat: "a float",
		KBool: "a Boolean", KDateTime: "a date-time", KGuid: "a GUID", KMulti: "a multi-select choice",
		KDate: "a date", KTime: "a time of day"}[k]
}

// scalar resolves an operand; want types a literal (KUnknown: by its
// form).
func (b *builder) scalar(ds *DataSource, s ast.Scalar, want Kind) Scalar {
	switch s := s.(type) {
	case *ast.ColumnOperand:
		src := ds
		if s.EntityName.IsSet() {
			if src = b.source(s.EntityName); src == nil {
				return nil
			}
			if !b.visible(src, ds) {
				b.errorf(s.EntityName.Span, diag.UnknownAlias, "entityname %q names a link-entity whose columns do not exist where this condition is", s.EntityName.Text)
				return nil
			}
		}
		// A nil *ColumnRef in the Scalar interface would not be nil.
		if r := b.ref(src, s.Attribute); r != nil {
			return r
		}
		return nil
	case *ast.Value:
		if s.Kind == ast.KindNull {
			b.errorf(s.Span, diag.UnsupportedFeature, "null as a function argument")
			return nil
		}
		if want == KDate || want == KTime || s.Kind == ast.KindTime {
			return b.dateOrTimeLiteral(s, want)
		}
		k := want
		if k == KUnknown || numeric(k) && s.Kind == ast.KindNumber {
			k = inferKind(s)
			if numeric(want) && k == KDecimal && want == KFloat {
				k = KFloat
			}
		}
		v, msg := b.literal(s, k, UserLocal)
		if msg != "" {
			b.errorf(s.Span, diag.TypeMismatch, "%q is not %s", s.Text, msg)
			return nil
		}
		return v
	case *ast.Call:
		return b.call(ds, s)
	}
	b.errorf(b.plan.Span, diag.MalformedPlan, "unknown computed operand %T", s)
	return nil
}

// call resolves and type-checks a function call.
func (b *builder) call(ds *DataSource, c *ast.Call) Scalar {
	lo, hi := c.Func.Arity()
	if len(c.Args) < lo || len(c.Args) > hi {
		b.errorf(c.Span, diag.OperandCount, "%s takes %s", c.Func, arityText(lo, hi))
		return nil
	}
	var want []Kind
	switch c.Func {
	case ast.FnToLower, ast.FnToUpper, ast.FnTrim, ast.FnLength:
		want = []Kind{KString}
	case ast.FnConcat, ast.FnIndexOf:
		want = []Kind{KString, KString}
	case ast.FnSubstring:
		want = []Kind{KString, KInt, KInt}
	case ast.FnYear, ast.FnMonth, ast.FnDay, ast.FnHour, ast.FnMinute, ast.FnSecond, ast.FnDate, ast.FnTime:
		want = []Kind{KDateTime}
	case ast.FnNow:
		return b.now()
	}
	args := make([]Scalar, len(c.Args))
	for i, a := range c.Args {
		w := KUnknown
		if i < len(want) {
			w = want[i]
		} else if i == 1 {
			w = ScalarKind(args[0]) // the other operand types an arithmetic literal
		}
		if args[i] = b.scalar(ds, a, w); args[i] == nil {
			return nil
		}
		k := ScalarKind(args[i])
		if i < len(want) && k != want[i] && k != KUnknown {
			b.errorf(a.Extent(), diag.OperatorType, "argument %d of %s is %s; it takes %s", i+1, c.Func, kindText(k), kindText(want[i]))
			return nil
		}
		if want == nil && !numeric(k) && k != KUnknown {
			b.errorf(a.Extent(), diag.OperatorType, "%s takes numbers; argument %d is %s", c.Func, i+1, kindText(k))
			return nil
		}
	}
	switch c.Func {
	case ast.FnDiv, ast.FnDivBy, ast.FnMod, ast.FnRound, ast.FnFloor, ast.FnCeiling:
		for i, a := range args {
			if ScalarKind(a) == KUnknown {
				b.errorf(c.Args[i].Extent(), diag.MissingMetadata, "%s needs the type of its operands (integer, decimal or float): give metadata for the column", c.Func)
				return nil
			}
		}
	}
	out := &Call{Func: c.Func, Args: args}
	switch c.Func {
	case ast.FnToLower, ast.FnToUpper, ast.FnTrim, ast.FnConcat:
		out.Kind = KString
	case ast.FnLength, ast.FnIndexOf:
		out.Kind = KInt
	case ast.FnSubstring:
		// Negative positions and lengths mean different things on each
		// engine (and are errors in .NET): only literals ≥ 0 are taken.
		for i, a := range args[1:] {
			v, ok := a.(*Value)
			if !ok || v.V.(int64) < 0 {
				b.errorf(c.Args[i+1].Extent(), diag.UnsupportedFunction, "substring takes a position and a length that are integer literals ≥ 0")
				return nil
			}
		}
		out.Kind = KString
	case ast.FnYear, ast.FnMonth, ast.FnDay, ast.FnHour, ast.FnMinute, ast.FnSecond:
		col, ok := args[0].(*ColumnRef)
		if !ok {
			b.errorf(c.Args[0].Extent(), diag.UnsupportedFunction, "%s takes a date-time column", c.Func)
			return nil
		}
		if col.Column.DateBehavior == DateOnly && (c.Func == ast.FnHour || c.Func == ast.FnMinute || c.Func == ast.FnSecond) {
			b.errorf(c.Span, diag.OperatorType, "%s of %q: a Date Only column has no time of day (Edm.Date)", c.Func, col.Column.LogicalName)
			return nil
		}
		out.Zone = time.UTC
		if col.Column.DateBehavior == UserLocal {
			out.Zone = b.opt.Zone
		}
		out.Kind = KInt
	case ast.FnDate, ast.FnTime:
		return b.dateOrTime(c, args[0])
	case ast.FnRound, ast.FnFloor, ast.FnCeiling, ast.FnNeg:
		out.Kind = ScalarKind(args[0])
	case ast.FnDiv, ast.FnDivBy:
		k := promote(ScalarKind(args[0]), ScalarKind(args[1]))
		if k != KInt || c.Func == ast.FnDivBy {
			k = KFloat
		}
		out.Kind = k
	case ast.FnMod:
		out.Kind = promote(ScalarKind(args[0]), ScalarKind(args[1]))
		if out.Kind != KInt {
			b.errorf(c.Span, diag.UnsupportedFunction, "mod on %s: engines disagree on the remainder of non-integers; vecompile takes mod on integers only", kindText(out.Kind))
			return nil
		}
	default: // add, sub, mul
		out.Kind = promote(ScalarKind(args[0]), ScalarKind(args[1]))
	}
	if f, bad := MayFail(out); bad && b.opt.Security != nil && f == c.Func {
		b.errorf(c.Span, diag.ComputedMayFail, "%s can overflow, and an engine reports an overflow as an error, also on a row the caller cannot read (which would reveal it): arithmetic is refused on a secured query", c.Func)
		return nil
	}
	return out
}

// promote is the kind of arithmetic on a and b.
func promote(a, b Kind) Kind {
	switch {
	case a == KFloat || b == KFloat:
		return KFloat
	case a == KDecimal || b == KDecimal:
		return KDecimal
	case a == KUnknown:
		return b
	}
	return a
}

func arityText(lo, hi int) string {
	if lo == hi {
		return [...]string{"no argument", "one argument", "two arguments", "three arguments"}[lo]
	}
	return "two or three arguments"
}

// RuneLen is the length of s in characters, as length() counts.
func RuneLen(s string) int64 { return int64(utf8.RuneCountInString(s)) }
