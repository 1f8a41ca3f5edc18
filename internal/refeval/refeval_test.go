package refeval

import (
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

func TestNullInclusiveMatchesPlan(t *testing.T) {
	for op := ast.OpEq; op <= ast.OpNotContainValues; op++ {
		if got, want := NullInclusive(op), plan.NullInclusive[op]; got != want {
			t.Errorf("%s: refeval null-inclusive %v, plan.NullInclusive %v: the choice changed; change both", op, got, want)
		}
	}
}

func TestLike(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"abc", "a%", true},
		{"ABC", "a_c", true},
		{"a_c", "a[_]c", true},
		{"abc", "a[_]c", false},
		{"a%c", "%[%]%", true},
		{"abc", "%[%]%", false},
		{"bcd", "[ab]%", true},
		{"cde", "[ab]%", false},
		{"cde", "[^ab]%", true},
		{"Über", "ü%", true},
		{"x", "[a-c]", false},
		{"B", "[a-c]", true},
		{"[x", "[[]%", true},
		{"[x", "[x", true}, // an unclosed [ is literal
		{"", "%", true},
		{"", "_", false},
		{"ab", "%b_", false},
		{"abc", "%b_", true},
	} {
		if got := Like(c.s, c.p); got != c.want {
			t.Errorf("Like(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

// TestDateIntervals pins a few intervals by hand, in a zone with DST.
func TestDateIntervals(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	// Sunday 30 March 2025 03:30 CEST, the day clocks went forward.
	now := time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)
	ev := &evaluator{env: Env{Now: now, Zone: paris, WeekStart: time.Monday}}
	cond := func(op ast.Operator, v ...string) *ast.Condition {
		c := &ast.Condition{Operator: op}
		for _, s := range v {
			c.Values = append(c.Values, &ast.Value{Text: s})
		}
		return c
	}
	utc := func(s string) time.Time { x, _ := time.Parse(time.RFC3339, s); return x }
	for _, c := range []struct {
		c      *ast.Condition
		lo, hi string
	}{
		{cond(ast.OpToday), "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z"},
		{cond(ast.OpYesterday), "2025-03-28T23:00:00Z", "2025-03-29T23:00:00Z"},
		{cond(ast.OpThisWeek), "2025-03-23T23:00:00Z", "2025-03-30T22:00:00Z"},
		{cond(ast.OpLastXDays, "2"), "2025-03-27T23:00:00Z", "2025-03-30T01:30:00Z"},
		{cond(ast.OpThisMonth), "2025-02-28T23:00:00Z", "2025-03-31T22:00:00Z"},
		{cond(ast.OpLastXMonths, "1"), "2025-02-27T23:00:00Z", "2025-03-30T01:30:00Z"},
		{cond(ast.OpOn, "2025-03-30"), "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z"},
	} {
		iv, ok := ev.dateInterval(c.c)
		if !ok || !iv.lo.Equal(utc(c.lo)) || !iv.hi.Equal(utc(c.hi)) {
			t.Errorf("%s %v: [%s, %s), want [%s, %s)", c.c.Operator, c.c.Values, iv.lo.UTC(), iv.hi.UTC(), c.lo, c.hi)
		}
	}
}

// TestFiscalIntervals pins fiscal intervals by hand: a quarterly calendar
// starting on 1 April, in Paris.
func TestFiscalIntervals(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	now := time.Date(2025, 5, 10, 12, 0, 0, 0, time.UTC) // FY2025 Q1 (Apr–Jun 2025)
	ev := &evaluator{env: Env{Now: now, Zone: paris, Fiscal: &Fiscal{StartMonth: time.April, PeriodType: 2002}}}
	cond := func(op ast.Operator, v ...string) *ast.Condition {
		c := &ast.Condition{Operator: op}
		for _, s := range v {
			c.Values = append(c.Values, &ast.Value{Text: s})
		}
		return c
	}
	local := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	for _, c := range []struct {
		c      *ast.Condition
		lo, hi time.Time
	}{
		{cond(ast.OpThisFiscalYear), local(2025, 4, 1), local(2026, 4, 1)},
		{cond(ast.OpLastFiscalPeriod), local(2025, 1, 1), local(2025, 4, 1)},
		{cond(ast.OpNextFiscalPeriod), local(2025, 7, 1), local(2025, 10, 1)},
		{cond(ast.OpInFiscalYear, "2024"), local(2024, 4, 1), local(2025, 4, 1)},
		{cond(ast.OpInFiscalPeriodAndYear, "4", "2024"), local(2025, 1, 1), local(2025, 4, 1)},
		{cond(ast.OpLastXFiscalPeriods, "2"), local(2024, 10, 1), now},
		{cond(ast.OpNextXFiscalYears, "1"), now, local(2027, 4, 1)},
	} {
		iv, ok := ev.fiscalInterval(c.c)
		if !ok || !iv.lo.Equal(c.lo) || !iv.hi.Equal(c.hi) {
			t.Errorf("%s %v: [%s, %s), want [%s, %s)", c.c.Operator, c.c.Values, iv.lo, iv.hi, c.lo, c.hi)
		}
	}
	if got := ev.fiscalLabel(ast.FiscalPeriod, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), paris); got != "Quarter 4 FY2024" {
		t.Errorf("label %q, want Quarter 4 FY2024", got)
	}
}
