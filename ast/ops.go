package ast

// Operator is a condition operator. Its identity is the table row below;
// FetchXML spellings, QueryExpression member names and numbers and the
// Web API function names all come from that one table.
type Operator uint8

// Shape says how many operands an operator takes.
type Shape uint8

const (
	NoOperand  Shape = iota // null, today, eq-userid, …
	OneValue                // eq, like, on, under, …
	OneInt                  // last-x-days, in-fiscal-year, … (a positive integer, or a year/period)
	TwoValues               // between, in-fiscal-period-and-year, … (exactly two <value>)
	ManyValues              // in, not-in, contain-values (one or more)
)

// Category groups operators for the planner.
type Category uint8

const (
	CatCompare   Category = iota // eq ne gt ge lt le
	CatString                    // like family
	CatList                      // in not-in
	CatRange                     // between not-between
	CatNull                      // null not-null
	CatDate                      // relative and absolute date operators
	CatFiscal                    // fiscal operators
	CatIdentity                  // caller-dependent operators
	CatHierarchy                 // under / above family
	CatMulti                     // multi-select choice
)

// The operators, in the order of the spec's master table (§2.1).
const (
	OpInvalid Operator = iota
	OpEq
	OpNe
	OpNeq
	OpGt
	OpGe
	OpLt
	OpLe
	OpLike
	OpNotLike
	OpBeginsWith
	OpNotBeginWith
	OpEndsWith
	OpNotEndWith
	OpIn
	OpNotIn
	OpBetween
	OpNotBetween
	OpNull
	OpNotNull
	OpYesterday
	OpToday
	OpTomorrow
	OpLastSevenDays
	OpNextSevenDays
	OpLastWeek
	OpThisWeek
	OpNextWeek
	OpLastMonth
	OpThisMonth
	OpNextMonth
	OpOn
	OpOnOrBefore
	OpOnOrAfter
	OpLastYear
	OpThisYear
	OpNextYear
	OpLastXHours
	OpNextXHours
	OpLastXDays
	OpNextXDays
	OpLastXWeeks
	OpNextXWeeks
	OpLastXMonths
	OpNextXMonths
	OpLastXYears
	OpNextXYears
	OpOlderThanXMonths
	OpOlderThanXYears
	OpOlderThanXWeeks
	OpOlderThanXDays
	OpOlderThanXHours
	OpOlderThanXMinutes
	OpThisFiscalYear
	OpThisFiscalPeriod
	OpNextFiscalYear
	OpNextFiscalPeriod
	OpLastFiscalYear
	OpLastFiscalPeriod
	OpLastXFiscalYears
	OpLastXFiscalPeriods
	OpNextXFiscalYears
	OpNextXFiscalPeriods
	OpInFiscalYear
	OpInFiscalPeriod
	OpInFiscalPeriodAndYear
	OpInOrBeforeFiscalPeriodAndYear
	OpInOrAfterFiscalPeriodAndYear
	OpEqUserID
	OpNeUserID
	OpEqBusinessID
	OpNeBusinessID
	OpEqUserLanguage
	OpEqUserTeams
	OpEqUserOrUserTeams
	OpEqUserOrUserHierarchy
	OpEqUserOrUserHierarchyAndTeams
	OpUnder
	OpNotUnder
	OpEqOrUnder
	OpAbove
	OpEqOrAbove
	OpContainValues
	OpNotContainValues
	numOperators
)

// OpInfo is one row of the operator table.
type OpInfo struct {
	Fetch    string // FetchXML spelling
	QE       string // ConditionOperator member name (= Web API function name)
	QENumber int    // ConditionOperator numeric value (compiled SDK values)
	Shape    Shape
	Cat      Category
	// ValueOf reports whether valueof (column comparison) is allowed.
	ValueOf bool
}

var opTable = [numOperators]OpInfo{
	OpEq:           {"eq", "Equal", 0, OneValue, CatCompare, true},
	OpNe:           {"ne", "NotEqual", 1, OneValue, CatCompare, true},
	OpNeq:          {"neq", "NotEqual", 1, OneValue, CatCompare, false},
	OpGt:           {"gt", "GreaterThan", 2, OneValue, CatCompare, true},
	OpGe:           {"ge", "GreaterEqual", 4, OneValue, CatCompare, true},
	OpLt:           {"lt", "LessThan", 3, OneValue, CatCompare, true},
	OpLe:           {"le", "LessEqual", 5, OneValue, CatCompare, true},
	OpLike:         {"like", "Like", 6, OneValue, CatString, false},
	OpNotLike:      {"not-like", "NotLike", 7, OneValue, CatString, false},
	OpBeginsWith:   {"begins-with", "BeginsWith", 54, OneValue, CatString, false},
	OpNotBeginWith: {"not-begin-with", "DoesNotBeginWith", 55, OneValue, CatString, false},
	OpEndsWith:     {"ends-with", "EndsWith", 56, OneValue, CatString, false},
	OpNotEndWith:   {"not-end-with", "DoesNotEndWith", 57, OneValue, CatString, false},
	OpIn:           {"in", "In", 8, ManyValues, CatList, false},
	OpNotIn:        {"not-in", "NotIn", 9, ManyValues, CatList, false},
	OpBetween:      {"between", "Between", 10, TwoValues, CatRange, false},
	OpNotBetween:   {"not-between", "NotBetween", 11, TwoValues, CatRange, false},
	OpNull:         {"null", "Null", 12, NoOperand, CatNull, false},
	OpNotNull:      {"not-null", "NotNull", 13, NoOperand, CatNull, false},

	OpYesterday:         {"yesterday", "Yesterday", 14, NoOperand, CatDate, false},
	OpToday:             {"today", "Today", 15, NoOperand, CatDate, false},
	OpTomorrow:          {"tomorrow", "Tomorrow", 16, NoOperand, CatDate, false},
	OpLastSevenDays:     {"last-seven-days", "Last7Days", 17, NoOperand, CatDate, false},
	OpNextSevenDays:     {"next-seven-days", "Next7Days", 18, NoOperand, CatDate, false},
	OpLastWeek:          {"last-week", "LastWeek", 19, NoOperand, CatDate, false},
	OpThisWeek:          {"this-week", "ThisWeek", 20, NoOperand, CatDate, false},
	OpNextWeek:          {"next-week", "NextWeek", 21, NoOperand, CatDate, false},
	OpLastMonth:         {"last-month", "LastMonth", 22, NoOperand, CatDate, false},
	OpThisMonth:         {"this-month", "ThisMonth", 23, NoOperand, CatDate, false},
	OpNextMonth:         {"next-month", "NextMonth", 24, NoOperand, CatDate, false},
	OpOn:                {"on", "On", 25, OneValue, CatDate, false},
	OpOnOrBefore:        {"on-or-before", "OnOrBefore", 26, OneValue, CatDate, false},
	OpOnOrAfter:         {"on-or-after", "OnOrAfter", 27, OneValue, CatDate, false},
	OpLastYear:          {"last-year", "LastYear", 28, NoOperand, CatDate, false},
	OpThisYear:          {"this-year", "ThisYear", 29, NoOperand, CatDate, false},
	OpNextYear:          {"next-year", "NextYear", 30, NoOperand, CatDate, false},
	OpLastXHours:        {"last-x-hours", "LastXHours", 31, OneInt, CatDate, false},
	OpNextXHours:        {"next-x-hours", "NextXHours", 32, OneInt, CatDate, false},
	OpLastXDays:         {"last-x-days", "LastXDays", 33, OneInt, CatDate, false},
	OpNextXDays:         {"next-x-days", "NextXDays", 34, OneInt, CatDate, false},
	OpLastXWeeks:        {"last-x-weeks", "LastXWeeks", 35, OneInt, CatDate, false},
	OpNextXWeeks:        {"next-x-weeks", "NextXWeeks", 36, OneInt, CatDate, false},
	OpLastXMonths:       {"last-x-months", "LastXMonths", 37, OneInt, CatDate, false},
	OpNextXMonths:       {"next-x-months", "NextXMonths", 38, OneInt, CatDate, false},
	OpLastXYears:        {"last-x-years", "LastXYears", 39, OneInt, CatDate, false},
	OpNextXYears:        {"next-x-years", "NextXYears", 40, OneInt, CatDate, false},
	OpOlderThanXMonths:  {"olderthan-x-months", "OlderThanXMonths", 53, OneInt, CatDate, false},
	OpOlderThanXYears:   {"olderthan-x-years", "OlderThanXYears", 82, OneInt, CatDate, false},
	OpOlderThanXWeeks:   {"olderthan-x-weeks", "OlderThanXWeeks", 83, OneInt, CatDate, false},
	OpOlderThanXDays:    {"olderthan-x-days", "OlderThanXDays", 84, OneInt, CatDate, false},
	OpOlderThanXHours:   {"olderthan-x-hours", "OlderThanXHours", 85, OneInt, CatDate, false},
	OpOlderThanXMinutes: {"olderthan-x-minutes", "OlderThanXMinutes", 86, OneInt, CatDate, false},

	OpThisFiscalYear:                {"this-fiscal-year", "ThisFiscalYear", 58, NoOperand, CatFiscal, false},
	OpThisFiscalPeriod:              {"this-fiscal-period", "ThisFiscalPeriod", 59, NoOperand, CatFiscal, false},
	OpNextFiscalYear:                {"next-fiscal-year", "NextFiscalYear", 60, NoOperand, CatFiscal, false},
	OpNextFiscalPeriod:              {"next-fiscal-period", "NextFiscalPeriod", 61, NoOperand, CatFiscal, false},
	OpLastFiscalYear:                {"last-fiscal-year", "LastFiscalYear", 62, NoOperand, CatFiscal, false},
	OpLastFiscalPeriod:              {"last-fiscal-period", "LastFiscalPeriod", 63, NoOperand, CatFiscal, false},
	OpLastXFiscalYears:              {"last-x-fiscal-years", "LastXFiscalYears", 64, OneInt, CatFiscal, false},
	OpLastXFiscalPeriods:            {"last-x-fiscal-periods", "LastXFiscalPeriods", 65, OneInt, CatFiscal, false},
	OpNextXFiscalYears:              {"next-x-fiscal-years", "NextXFiscalYears", 66, OneInt, CatFiscal, false},
	OpNextXFiscalPeriods:            {"next-x-fiscal-periods", "NextXFiscalPeriods", 67, OneInt, CatFiscal, false},
	OpInFiscalYear:                  {"in-fiscal-year", "InFiscalYear", 68, OneInt, CatFiscal, false},
	OpInFiscalPeriod:                {"in-fiscal-period", "InFiscalPeriod", 69, OneInt, CatFiscal, false},
	OpInFiscalPeriodAndYear:         {"in-fiscal-period-and-year", "InFiscalPeriodAndYear", 70, TwoValues, CatFiscal, false},
	OpInOrBeforeFiscalPeriodAndYear: {"in-or-before-fiscal-period-and-year", "InOrBeforeFiscalPeriodAndYear", 71, TwoValues, CatFiscal, false},
	OpInOrAfterFiscalPeriodAndYear:  {"in-or-after-fiscal-period-and-year", "InOrAfterFiscalPeriodAndYear", 72, TwoValues, CatFiscal, false},

	OpEqUserID:                      {"eq-userid", "EqualUserId", 41, NoOperand, CatIdentity, false},
	OpNeUserID:                      {"ne-userid", "NotEqualUserId", 42, NoOperand, CatIdentity, false},
	OpEqBusinessID:                  {"eq-businessid", "EqualBusinessId", 43, NoOperand, CatIdentity, false},
	OpNeBusinessID:                  {"ne-businessid", "NotEqualBusinessId", 44, NoOperand, CatIdentity, false},
	OpEqUserLanguage:                {"eq-userlanguage", "EqualUserLanguage", 51, NoOperand, CatIdentity, false},
	OpEqUserTeams:                   {"eq-userteams", "EqualUserTeams", 73, NoOperand, CatIdentity, false},
	OpEqUserOrUserTeams:             {"eq-useroruserteams", "EqualUserOrUserTeams", 74, NoOperand, CatIdentity, false},
	OpEqUserOrUserHierarchy:         {"eq-useroruserhierarchy", "EqualUserOrUserHierarchy", 80, NoOperand, CatIdentity, false},
	OpEqUserOrUserHierarchyAndTeams: {"eq-useroruserhierarchyandteams", "EqualUserOrUserHierarchyAndTeams", 81, NoOperand, CatIdentity, false},

	// Hierarchy numbers are the compiled SDK's (spec §2.1 note (*)); names
	// are authoritative everywhere they can be used.
	OpUnder:     {"under", "Under", 75, OneValue, CatHierarchy, false},
	OpNotUnder:  {"not-under", "NotUnder", 76, OneValue, CatHierarchy, false},
	OpEqOrUnder: {"eq-or-under", "UnderOrEqual", 77, OneValue, CatHierarchy, false},
	OpAbove:     {"above", "Above", 78, OneValue, CatHierarchy, false},
	OpEqOrAbove: {"eq-or-above", "AboveOrEqual", 79, OneValue, CatHierarchy, false},

	OpContainValues:    {"contain-values", "ContainValues", 87, ManyValues, CatMulti, false},
	OpNotContainValues: {"not-contain-values", "DoesNotContainValues", 88, ManyValues, CatMulti, false},
}

// Info returns the operator's table row.
func (o Operator) Info() *OpInfo { return &opTable[o] }

// String is the FetchXML spelling.
func (o Operator) String() string {
	if o == OpInvalid || o >= numOperators {
		return "invalid"
	}
	return opTable[o].Fetch
}

// Operators lists every valid operator in table order.
func Operators() []Operator {
	out := make([]Operator, 0, numOperators-1)
	for o := OpEq; o < numOperators; o++ {
		out = append(out, o)
	}
	return out
}

var byFetch = func() map[string]Operator {
	m := make(map[string]Operator, numOperators)
	for o := OpEq; o < numOperators; o++ {
		m[opTable[o].Fetch] = o
	}
	return m
}()

// OperatorByFetchName looks up a FetchXML operator spelling (exact, lower case).
func OperatorByFetchName(s string) (Operator, bool) {
	o, ok := byFetch[s]
	return o, ok
}

// OperatorByQEName looks up a ConditionOperator member name. NotEqual maps
// to OpNe (never the deprecated neq).
func OperatorByQEName(s string) (Operator, bool) {
	for o := OpEq; o < numOperators; o++ {
		if o != OpNeq && opTable[o].QE == s {
			return o, true
		}
	}
	return 0, false
}

// OperatorByQENumber looks up a ConditionOperator number (compiled values).
func OperatorByQENumber(n int) (Operator, bool) {
	for o := OpEq; o < numOperators; o++ {
		if o != OpNeq && opTable[o].QENumber == n {
			return o, true
		}
	}
	return 0, false
}
