package sql

import (
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Computed values (plan.Call): OData's canonical functions and arithmetic.
// Strings compare under Dataverse's collation as columns do (folded on
// binary engines, COLLATE on SQL Server, padded for = and <>); division
// and mod by zero are NULL on every engine (NULLIF), integer division
// truncates, round is half away from zero, lengths count characters.

func (e *emitter) scalarCompare(x *plan.ScalarCompare) {
	if int(x.Op) >= len(cmpOps) {
		e.fail(diag.MalformedPlan, "unknown comparison operator %d", x.Op)
		return
	}
	pad := x.Fold && !e.has(PadSpace)
	e.textOperand(x.Left, x.Fold, pad)
	e.collateText(x.Fold)
	e.byte1(' ')
	e.raw(cmpOps[x.Op])
	e.byte1(' ')
	e.textOperand(x.Right, x.Fold, pad)
}

// textOperand writes an operand of a comparison: folded when fold (on
// binary engines), trimmed of trailing spaces when pad.
func (e *emitter) textOperand(s plan.Scalar, fold, pad bool) {
	if v, ok := s.(*plan.Value); ok {
		if pad {
			if str, ok := v.V.(string); ok {
				v = &plan.Value{Kind: v.Kind, V: trimRightSpaces(str)}
			}
		}
		if e.fold(fold) {
			e.foldedArg(v)
			return
		}
		e.numParam(v)
		return
	}
	w := func() {
		if pad {
			e.raw("RTRIM(")
			e.scalar(s)
			e.byte1(')')
			return
		}
		e.scalar(s)
	}
	if e.fold(fold) {
		e.foldInto(w, nil)
		return
	}
	w()
}

func trimRightSpaces(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// collateText pins the plan's collation after a computed string where the
// dialect names one (SQL Server).
func (e *emitter) collateText(fold bool) {
	if !fold || e.caps.Collation == "" {
		return
	}
	e.raw(" COLLATE ")
	if e.p.AccentSensitive && e.caps.CollationAccents != "" {
		e.raw(e.caps.CollationAccents)
	} else {
		e.raw(e.caps.Collation)
	}
}

func (e *emitter) scalarNull(x *plan.ScalarNull) {
	e.scalar(x.X)
	if x.Not {
		e.raw(" IS NOT NULL")
	} else {
		e.raw(" IS NULL")
	}
}

// scalarFind writes contains / startswith / endswith of a literal text:
// the position of the (folded) text is > 0, or 1; endswith is startswith
// of both reversed (SQLite, without REVERSE: the last characters equal).
// Positions, not LIKE and not =, so that neither wildcards nor padding
// apply.
func (e *emitter) scalarFind(x *plan.ScalarFind) {
	if x.Text == nil {
		e.fail(diag.MalformedPlan, "string test without its text")
		return
	}
	text, _ := x.Text.V.(string)
	if text == "" {
		e.raw("1=1") // every string contains, starts and ends with ""
		return
	}
	fold := e.fold(true)
	subject := func(reverse bool) {
		w := func() { e.scalar(x.X) }
		if reverse {
			w = func() { e.raw("REVERSE("); e.scalar(x.X); e.byte1(')') }
		}
		if fold {
			e.foldInto(w, nil)
		} else {
			w()
		}
		e.collateText(true)
	}
	needle := func(s string) {
		v := &plan.Value{Kind: plan.KString, V: s}
		if fold {
			e.foldedArg(v)
		} else {
			e.param(v)
		}
	}
	if x.Where == plan.FindEnd && e.caps.Dates == DateStrftime {
		e.raw("SUBSTR(")
		subject(false)
		e.raw(", -")
		e.int(plan.RuneLen(text))
		e.raw(") = ")
		needle(text)
		return
	}
	reverse := x.Where == plan.FindEnd
	if reverse {
		r := []rune(text)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		text = string(r)
	}
	e.position(func() { subject(reverse) }, func() { needle(text) })
	if x.Where == plan.FindContains {
		e.raw(" > 0")
	} else {
		e.raw(" = 1")
	}
}

// position writes the 1-based position of needle in hay (0: absent).
func (e *emitter) position(hay, needle func()) {
	switch {
	case e.caps.Quote == QuoteBracket:
		e.raw("CHARINDEX(")
		needle()
		e.raw(", ")
		hay()
	case e.caps.Concat == ConcatFunc:
		e.raw("LOCATE(")
		needle()
		e.raw(", ")
		hay()
	case e.caps.Dates == DateStrftime:
		e.raw("INSTR(")
		hay()
		e.raw(", ")
		needle()
	default:
		e.raw("STRPOS(")
		hay()
		e.raw(", ")
		needle()
	}
	e.byte1(')')
}

// numParam binds a literal; decimals are cast so that arithmetic stays
// exact (a bare text parameter would be read as a float or a narrow
// decimal).
func (e *emitter) numParam(v *plan.Value) {
	if e.has(TypedParams) && (v.Kind == plan.KInt || v.Kind == plan.KFloat) {
		// Two parameters side by side have no type (PostgreSQL).
		e.raw("CAST(")
		e.param(v)
		if v.Kind == plan.KInt {
			e.raw(" AS bigint)")
		} else {
			e.raw(" AS double precision)")
		}
		return
	}
	if v.Kind != plan.KDecimal || e.has(DecimalFloat) {
		e.param(v)
		return
	}
	e.raw("CAST(")
	e.param(v)
	switch e.caps.Quote {
	case QuoteDouble:
		e.raw(" AS NUMERIC)")
	default:
		e.raw(" AS DECIMAL(38, 10))")
	}
}

// scalar writes a computed value.
func (e *emitter) scalar(s plan.Scalar) {
	if e.depth++; e.depth > maxNesting {
		e.fail(diag.MalformedPlan, "computed value nested deeper than %d levels", maxNesting)
		e.depth--
		return
	}
	defer func() { e.depth-- }()
	switch s := s.(type) {
	case *plan.ColumnRef:
		if s == nil {
			e.nilNode()
			return
		}
		e.col(s)
	case *plan.Value:
		if s == nil {
			e.nilNode()
			return
		}
		e.numParam(s)
	case *plan.Call:
		if s == nil {
			e.nilNode()
			return
		}
		e.call(s)
	default:
		e.fail(diag.MalformedPlan, "computed value %T", s)
	}
}

func (e *emitter) call(c *plan.Call) {
	lo, hi := c.Func.Arity()
	if len(c.Args) < lo || len(c.Args) > hi {
		e.fail(diag.MalformedPlan, "%s with %d arguments", c.Func, len(c.Args))
		return
	}
	arg := func(i int) func() { return func() { e.scalar(c.Args[i]) } }
	fn := func(name string, args ...func()) {
		e.raw(name)
		e.byte1('(')
		for i, a := range args {
			if i > 0 {
				e.raw(", ")
			}
			a()
		}
		e.byte1(')')
	}
	infix := func(op string) {
		e.byte1('(')
		e.scalar(c.Args[0])
		e.raw(op)
		e.scalar(c.Args[1])
		e.byte1(')')
	}
	switch c.Func {
	case ast.FnToLower:
		fn("LOWER", arg(0))
	case ast.FnToUpper:
		fn("UPPER", arg(0))
	case ast.FnTrim:
		// Spaces only, on every engine.
		if e.caps.Quote == QuoteBracket {
			e.raw("LTRIM(RTRIM(")
			e.scalar(c.Args[0])
			e.raw("))")
			return
		}
		fn("TRIM", arg(0))
	case ast.FnLength:
		switch {
		case e.caps.Quote == QuoteBracket:
			// LEN ignores trailing spaces: count them with a sentinel.
			e.raw("(LEN(")
			e.scalar(c.Args[0])
			e.raw(" + N'!') - 1)")
		case e.caps.Dates == DateStrftime:
			fn("LENGTH", arg(0))
		default:
			fn("CHAR_LENGTH", arg(0))
		}
	case ast.FnConcat:
		switch e.caps.Concat {
		case ConcatFunc:
			fn("CONCAT", arg(0), arg(1)) // NULL when either is (MySQL)
		case ConcatPlus:
			infix(" + ")
		default:
			infix(" || ")
		}
	case ast.FnSubstring:
		e.substring(c)
	case ast.FnIndexOf:
		e.indexOf(c)
	case ast.FnYear, ast.FnMonth, ast.FnDay, ast.FnHour, ast.FnMinute, ast.FnSecond, ast.FnDate, ast.FnTime:
		col, ok := c.Args[0].(*plan.ColumnRef)
		if !ok {
			e.fail(diag.MalformedPlan, "%s of a computed value", c.Func)
			return
		}
		part := map[ast.Func]plan.DatePartKind{ast.FnYear: plan.PartYear, ast.FnMonth: plan.PartMonth, ast.FnDay: plan.PartDay,
			ast.FnHour: plan.PartHour, ast.FnMinute: plan.PartMinute, ast.FnSecond: plan.PartSecond,
			ast.FnDate: plan.PartDate, ast.FnTime: plan.PartTime}[c.Func]
		e.datePart(part, col, c.Zone)
	case ast.FnFloor, ast.FnCeiling, ast.FnRound:
		if plan.ScalarKind(c.Args[0]) == plan.KInt {
			e.scalar(c.Args[0])
			return
		}
		e.rounding(c)
	case ast.FnAdd:
		infix(" + ")
	case ast.FnSub:
		infix(" - ")
	case ast.FnMul:
		infix(" * ")
	case ast.FnNeg:
		e.raw("(-")
		if c.Kind == plan.KInt && (e.has(TypedParams) || e.caps.Quote == QuoteBracket) {
			// In 64 bits, as MySQL and SQLite compute: -(-2^31) fits.
			e.raw("CAST(")
			e.scalar(c.Args[0])
			e.raw(" AS bigint)")
		} else {
			e.scalar(c.Args[0])
		}
		e.byte1(')')
	case ast.FnDiv, ast.FnDivBy, ast.FnMod:
		e.divide(c)
	default:
		e.fail(diag.MalformedPlan, "function %s", c.Func)
	}
}

// substring: OData counts from 0, SQL from 1; the planner took only
// literal positions and lengths ≥ 0.
func (e *emitter) substring(c *plan.Call) {
	start, _ := c.Args[1].(*plan.Value)
	var n *plan.Value
	if len(c.Args) == 3 {
		n, _ = c.Args[2].(*plan.Value)
	}
	var i int64
	ok := start != nil
	if ok {
		i, ok = start.V.(int64)
	}
	if !ok || len(c.Args) == 3 && n == nil {
		e.fail(diag.MalformedPlan, "substring without literal bounds")
		return
	}
	if e.caps.Quote == QuoteDouble && e.caps.Dates == DateExtract {
		e.raw("SUBSTRING(")
		e.scalar(c.Args[0])
		e.raw(" FROM CAST(")
		e.bind(i + 1)
		e.raw(" AS integer)")
		if n != nil {
			e.raw(" FOR CAST(")
			e.bind(n.V)
			e.raw(" AS integer)")
		}
		e.byte1(')')
		return
	}
	if e.caps.Dates == DateStrftime {
		e.raw("SUBSTR(")
	} else {
		e.raw("SUBSTRING(")
	}
	e.scalar(c.Args[0])
	e.raw(", ")
	e.bind(i + 1)
	switch {
	case n != nil:
		e.raw(", ")
		e.bind(n.V)
	case e.caps.Quote == QuoteBracket:
		e.raw(", 2147483647") // SQL Server's SUBSTRING needs a length
	}
	e.byte1(')')
}

// indexOf is the 0-based position of the (folded) second string in the
// first, -1 when absent; 0 for "" (SQL Server's CHARINDEX says 0).
func (e *emitter) indexOf(c *plan.Call) {
	fold := e.fold(true)
	side := func(i int) func() {
		return func() {
			if fold {
				e.foldInto(func() { e.scalar(c.Args[i]) }, nil)
			} else {
				e.scalar(c.Args[i])
			}
			e.collateText(true)
		}
	}
	if e.caps.Quote == QuoteBracket {
		e.raw("CASE WHEN DATALENGTH(")
		e.scalar(c.Args[1])
		e.raw(") = 0 THEN LEN(")
		e.scalar(c.Args[0])
		e.raw(") * 0 ELSE ")
		e.position(side(0), side(1))
		e.raw(" - 1 END")
		return
	}
	e.byte1('(')
	e.position(side(0), side(1))
	e.raw(" - 1)")
}

// rounding writes floor, ceiling and round (half away from zero) of a
// decimal or float.
func (e *emitter) rounding(c *plan.Call) {
	ceil := "CEILING"
	if e.caps.Quote == QuoteDouble {
		ceil = "CEIL"
	}
	x := func() { e.scalar(c.Args[0]) }
	switch c.Func {
	case ast.FnFloor:
		e.raw("FLOOR(")
		x()
		e.byte1(')')
	case ast.FnCeiling:
		e.raw(ceil)
		e.byte1('(')
		x()
		e.byte1(')')
	default:
		e.raw("CASE WHEN ")
		x()
		e.raw(" < 0 THEN -FLOOR(0.5 - ")
		x()
		e.raw(") ELSE FLOOR(")
		x()
		e.raw(" + 0.5) END")
	}
}

// divide writes div, divby and mod with a NULL divisor for zero.
func (e *emitter) divide(c *plan.Call) {
	operand := func(i int) {
		if c.Kind != plan.KFloat {
			e.scalar(c.Args[i])
			return
		}
		e.toFloat(func() { e.scalar(c.Args[i]) })
	}
	e.byte1('(')
	operand(0)
	switch {
	case c.Func == ast.FnMod:
		e.raw(" % ")
	case c.Kind == plan.KInt && e.caps.Concat == ConcatFunc:
		e.raw(" DIV ") // MySQL's / on integers is decimal
	default:
		e.raw(" / ")
	}
	e.raw("NULLIF(")
	operand(1)
	e.raw(", 0))")
}

// toFloat converts a number to double precision.
func (e *emitter) toFloat(w func()) {
	switch {
	case e.caps.Concat == ConcatFunc:
		e.byte1('(')
		w()
		e.raw(" * 1E0)")
		return
	case e.caps.Quote == QuoteBracket:
		e.raw("CAST(")
		w()
		e.raw(" AS FLOAT)")
	case e.caps.Dates == DateStrftime:
		e.raw("CAST(")
		w()
		e.raw(" AS REAL)")
	default:
		e.raw("CAST(")
		w()
		e.raw(" AS DOUBLE PRECISION)")
	}
}
