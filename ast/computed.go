package ast

// Computed values: OData's canonical functions and arithmetic operators
// (OData URL conventions §5.1.1.4–5.1.1.7), which FetchXML and
// QueryExpression cannot say. Only the OData front end produces them; the
// FetchXML and QueryExpression printers refuse them (UnsupportedFeature).

// Scalar is an operand of a computed condition or order: *ColumnOperand,
// *Value (a literal) or *Call. Sealed.
type Scalar interface {
	Node
	scalar()
}

// ColumnOperand is a column of the condition's table (EntityName names a
// link-entity, as a Condition's does).
type ColumnOperand struct {
	Span
	EntityName Name
	Attribute  Name
}

// Call applies a canonical function or an arithmetic operator to its
// arguments.
type Call struct {
	Span
	Func Func
	Args []Scalar
}

// Computed is a condition on computed operands with OData's two-valued
// semantics (never unknown): eq is true when both sides are null, false
// when one is; ne is not eq; lt, le, gt and ge are false when either side
// is null except le and ge on two nulls (true); contains, startswith and
// endswith are false on null. Not negates the result exactly.
type Computed struct {
	Span
	Op          ComputedOp
	OpSpan      Span
	Left, Right Scalar
	Not         bool
}

func (*ColumnOperand) node() {}
func (*Call) node()          {}
func (*Computed) node()      {}

func (*ColumnOperand) scalar() {}
func (*Call) scalar()          {}
func (*Value) scalar()         {}

func (*Computed) filterItem() {}

// ComputedOp is a computed condition's operator.
type ComputedOp uint8

const (
	CEq ComputedOp = iota
	CNe
	CLt
	CLe
	CGt
	CGe
	CContains
	CStartsWith
	CEndsWith
)

var computedOpNames = [...]string{"eq", "ne", "lt", "le", "gt", "ge", "contains", "startswith", "endswith"}

// String is the OData spelling.
func (o ComputedOp) String() string {
	if int(o) < len(computedOpNames) {
		return computedOpNames[o]
	}
	return "invalid"
}

// ComputedOpByName looks up an OData comparison operator or string test.
func ComputedOpByName(s string) (ComputedOp, bool) {
	for i, n := range computedOpNames {
		if n == s {
			return ComputedOp(i), true
		}
	}
	return 0, false
}

// Func is a canonical function or an arithmetic operator.
type Func uint8

const (
	FnToLower Func = iota
	FnToUpper
	FnTrim
	FnLength
	FnConcat
	FnSubstring
	FnIndexOf
	FnYear
	FnMonth
	FnDay
	FnHour
	FnMinute
	FnSecond
	FnRound
	FnFloor
	FnCeiling
	FnAdd
	FnSub
	FnMul
	FnDiv
	FnDivBy
	FnMod
	FnNeg
	// FnDate and FnTime are a date-time's calendar date (Edm.Date) and
	// time of day (Edm.TimeOfDay, whole seconds); FnNow is the plan's
	// clock (an Edm.DateTimeOffset).
	FnDate
	FnTime
	FnNow
)

var funcNames = [...]string{"tolower", "toupper", "trim", "length", "concat", "substring", "indexof",
	"year", "month", "day", "hour", "minute", "second", "round", "floor", "ceiling",
	"add", "sub", "mul", "div", "divby", "mod", "-", "date", "time", "now"}

// String is the OData spelling ("-" for negation).
func (f Func) String() string {
	if int(f) < len(funcNames) {
		return funcNames[f]
	}
	return "invalid"
}

// FuncByName looks up a canonical function or arithmetic operator by its
// OData name.
func FuncByName(s string) (Func, bool) {
	for i, n := range funcNames {
		if n == s {
			return Func(i), true
		}
	}
	return 0, false
}

// Operator reports whether f is an arithmetic operator (add … mod and
// negation), written between or before its operands, not called by name.
func (f Func) Operator() bool { return f >= FnAdd && f <= FnNeg }

// Arity is the number of arguments f takes: min and max.
func (f Func) Arity() (int, int) {
	switch f {
	case FnNow:
		return 0, 0
	case FnConcat, FnIndexOf, FnAdd, FnSub, FnMul, FnDiv, FnDivBy, FnMod:
		return 2, 2
	case FnSubstring:
		return 2, 3
	}
	return 1, 1
}
