package refeval

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile/ast"
)

// Computed conditions (OData's canonical functions and arithmetic), from
// OData's definitions and the README's choices: two-valued logic (eq true
// on two nulls, ne its complement, lt/gt false on null, le/ge true on two
// nulls); strings compared by Fold, padded for eq and ne; 0-based
// positions counted in characters; integer div truncating toward zero,
// div and divby of non-integers in float64, division and mod by zero
// null; round half away from zero; trim removes spaces; date parts of
// User Local columns in the caller's zone, of the others on the wall
// clock. date() and time() are the text of the date (yyyy-mm-dd) and of
// the time of day in whole seconds (hh:mm:ss), seen as the date parts
// are; now() is the environment's clock, compared as the caller's wall
// clock with a column that is not User Local.

func (ev *evaluator) computed(s *source, r Row, c *ast.Computed) Tri {
	res := ev.computedTest(s, r, c)
	if c.Not {
		res = !res
	}
	return tri(res)
}

func (ev *evaluator) computedTest(s *source, r Row, c *ast.Computed) bool {
	a := ev.scalar(s, r, c.Left)
	if lit, ok := c.Right.(*ast.Value); ok && lit.Kind == ast.KindNull {
		if c.Op == ast.CEq {
			return a == nil
		}
		return a != nil
	}
	b := ev.scalar(s, r, c.Right)
	a, b = ev.nowAgainst(s, c.Left, a, c.Right), ev.nowAgainst(s, c.Right, b, c.Left)
	switch c.Op {
	case ast.CContains, ast.CStartsWith, ast.CEndsWith:
		if a == nil || b == nil {
			return false
		}
		x, y := Fold(a.(string)), Fold(b.(string))
		switch c.Op {
		case ast.CContains:
			return strings.Contains(x, y)
		case ast.CStartsWith:
			return strings.HasPrefix(x, y)
		}
		return strings.HasSuffix(x, y)
	}
	if a == nil || b == nil {
		both := a == nil && b == nil
		switch c.Op {
		case ast.CEq, ast.CLe, ast.CGe:
			return both
		case ast.CNe:
			return !both
		}
		return false
	}
	// A Date Only column against date(): its date's text.
	if x, ok := a.(time.Time); ok {
		if _, str := b.(string); str {
			a = x.Format("2006-01-02")
		}
	}
	if y, ok := b.(time.Time); ok {
		if _, str := a.(string); str {
			b = y.Format("2006-01-02")
		}
	}
	var d int
	if x, ok := a.(time.Time); ok {
		d = x.Compare(b.(time.Time))
	} else if x, ok := a.(string); ok {
		y := b.(string)
		// Padded, as SQL Server compares: trailing spaces never count.
		d = strings.Compare(padKey(x), padKey(y))
	} else {
		d = compareNumbers(a, b)
	}
	switch c.Op {
	case ast.CEq:
		return d == 0
	case ast.CNe:
		return d != 0
	case ast.CLt:
		return d < 0
	case ast.CLe:
		return d <= 0
	case ast.CGt:
		return d > 0
	}
	return d >= 0
}

// scalar evaluates an operand: nil, string, int64, *big.Rat or float64.
func (ev *evaluator) scalar(s *source, r Row, x ast.Scalar) any {
	switch x := x.(type) {
	case *ast.ColumnOperand:
		col := s.table.Column(x.Attribute.Text)
		if col == nil {
			fail("no column %s.%s", s.table.Name, x.Attribute.Text)
		}
		return r[col.Name]
	case *ast.Value:
		switch x.Kind {
		case ast.KindString:
			return x.Text
		case ast.KindNumber:
			if n, err := strconv.ParseInt(x.Text, 10, 64); err == nil {
				return n
			}
			if q, ok := new(big.Rat).SetString(x.Text); ok {
				return q
			}
		case ast.KindDateTime:
			if _, err := time.Parse("2006-01-02", x.Text); err == nil {
				return x.Text // compared with date()
			}
		case ast.KindTime:
			for _, layout := range []string{"15:04:05", "15:04"} {
				if t, err := time.Parse(layout, x.Text); err == nil {
					return t.Format("15:04:05") // compared with time()
				}
			}
		}
		fail("literal %q of kind %d in a computed value", x.Text, x.Kind)
	case *ast.Call:
		return ev.call(s, r, x)
	}
	fail("computed operand %T", x)
	return nil
}

func (ev *evaluator) call(s *source, r Row, c *ast.Call) any {
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		if args[i] = ev.scalar(s, r, a); args[i] == nil {
			return nil
		}
	}
	str := func(i int) string { return args[i].(string) }
	switch c.Func {
	case ast.FnToLower:
		return strings.ToLower(str(0))
	case ast.FnToUpper:
		return strings.ToUpper(str(0))
	case ast.FnTrim:
		return strings.Trim(str(0), " ")
	case ast.FnLength:
		return int64(utf8.RuneCountInString(str(0)))
	case ast.FnConcat:
		return str(0) + str(1)
	case ast.FnSubstring:
		rs := []rune(str(0))
		from := min(int(args[1].(int64)), len(rs))
		to := len(rs)
		if len(args) == 3 {
			to = min(from+int(args[2].(int64)), len(rs))
		}
		return string(rs[from:to])
	case ast.FnIndexOf:
		h, n := Fold(str(0)), Fold(str(1))
		i := strings.Index(h, n)
		if i < 0 {
			return int64(-1)
		}
		return int64(utf8.RuneCountInString(h[:i]))
	case ast.FnYear, ast.FnMonth, ast.FnDay, ast.FnHour, ast.FnMinute, ast.FnSecond:
		t := args[0].(time.Time)
		if col := s.table.Column(c.Args[0].(*ast.ColumnOperand).Attribute.Text); col.Kind == DateTime && ev.env.Zone != nil {
			t = t.In(ev.env.Zone)
		}
		return int64(map[ast.Func]int{ast.FnYear: t.Year(), ast.FnMonth: int(t.Month()), ast.FnDay: t.Day(),
			ast.FnHour: t.Hour(), ast.FnMinute: t.Minute(), ast.FnSecond: t.Second()}[c.Func])
	case ast.FnNow:
		return ev.env.Now
	case ast.FnDate, ast.FnTime:
		t := args[0].(time.Time)
		if op, ok := c.Args[0].(*ast.ColumnOperand); !ok || s.table.Column(op.Attribute.Text).Kind == DateTime {
			t = t.In(ev.env.Zone) // now() or a User Local column
		}
		if c.Func == ast.FnDate {
			return t.Format("2006-01-02")
		}
		return t.Format("15:04:05")
	case ast.FnNeg:
		switch v := args[0].(type) {
		case int64:
			return -v
		case *big.Rat:
			return new(big.Rat).Neg(v)
		case float64:
			return -v
		}
	case ast.FnFloor, ast.FnCeiling, ast.FnRound:
		return rounded(c.Func, args[0])
	case ast.FnAdd, ast.FnSub, ast.FnMul, ast.FnDiv, ast.FnDivBy, ast.FnMod:
		return arith(c.Func, args[0], args[1])
	}
	fail("function %s", c.Func)
	return nil
}

func rounded(f ast.Func, v any) any {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		switch f {
		case ast.FnFloor:
			return math.Floor(v)
		case ast.FnCeiling:
			return math.Ceil(v)
		}
		return math.Round(v)
	case *big.Rat:
		num, den := v.Num(), v.Denom()
		q, m := new(big.Int).DivMod(num, den, new(big.Int)) // floor (Euclidean, den > 0)
		switch f {
		case ast.FnCeiling:
			if m.Sign() != 0 {
				q.Add(q, big.NewInt(1))
			}
		case ast.FnRound:
			// half away from zero: floor(|v| + 1/2) with v's sign
			abs := new(big.Rat).Abs(v)
			abs.Add(abs, big.NewRat(1, 2))
			q = new(big.Int).Quo(abs.Num(), abs.Denom())
			if v.Sign() < 0 {
				q.Neg(q)
			}
		}
		return new(big.Rat).SetInt(q)
	}
	fail("rounding %T", v)
	return nil
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case *big.Rat:
		f, _ := v.Float64()
		return f
	}
	return v.(float64)
}

func arith(f ast.Func, a, b any) any {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	_, aF := a.(float64)
	_, bF := b.(float64)
	switch {
	case f == ast.FnDiv && aInt && bInt, f == ast.FnMod:
		if !aInt || !bInt {
			fail("mod of non-integers")
		}
		if bi == 0 {
			return nil
		}
		if f == ast.FnMod {
			return ai % bi
		}
		return ai / bi
	case f == ast.FnDiv || f == ast.FnDivBy:
		if toFloat(b) == 0 {
			return nil
		}
		return toFloat(a) / toFloat(b)
	case aF || bF:
		x, y := toFloat(a), toFloat(b)
		return map[ast.Func]float64{ast.FnAdd: x + y, ast.FnSub: x - y, ast.FnMul: x * y}[f]
	case aInt && bInt:
		return map[ast.Func]int64{ast.FnAdd: ai + bi, ast.FnSub: ai - bi, ast.FnMul: ai * bi}[f]
	}
	x, y := toRat(a), toRat(b)
	switch f {
	case ast.FnAdd:
		return new(big.Rat).Add(x, y)
	case ast.FnSub:
		return new(big.Rat).Sub(x, y)
	}
	return new(big.Rat).Mul(x, y)
}

// compareNumbers orders two numbers of any numeric kind.
// nowAgainst is v, the value of operand x, unless x is now() and the
// other operand a column that is not User Local: then the caller's wall
// clock, as those columns hold it.
func (ev *evaluator) nowAgainst(s *source, x ast.Scalar, v any, other ast.Scalar) any {
	c, ok := x.(*ast.Call)
	op, isCol := other.(*ast.ColumnOperand)
	if !ok || c.Func != ast.FnNow || !isCol {
		return v
	}
	if col := s.table.Column(op.Attribute.Text); col != nil && col.Kind != DateTime {
		return wall(ev.env.Now.In(ev.env.Zone))
	}
	return v
}

func compareNumbers(a, b any) int {
	_, aF := a.(float64)
	_, bF := b.(float64)
	if aF || bF {
		x, y := toFloat(a), toFloat(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return toRat(a).Cmp(toRat(b))
}
