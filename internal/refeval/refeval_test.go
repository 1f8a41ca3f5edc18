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
		// Accent-insensitive (Dataverse's default collation).
		{"Álvarez", "[a-c]%", true},
		{"São Paulo", "sao%", true},
		{"Ølstykke", "o%", false},
		{"Straße", "strasse", false},
		{"über", "[t-v]%", true},
	} {
		if got := Like(c.s, c.p); got != c.want {
			t.Errorf("Like(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"José ÁLVAREZ": "jose alvarez", "Zürich": "zurich", "Ølstykke ß Ærø": "ølstykke ß ærø", "ȘȚǍ": "sta", "ǅ": "ǆ"} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
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

// TestFiscalCalendars pins periods of calendars that do not start on the
// 1st, by hand: month-end clamping of a 31 January start, and four-weekly
// years whose 13th period keeps the 1–2 leftover days.
func TestFiscalCalendars(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	jan31 := &Fiscal{StartMonth: time.January, StartDay: 31, PeriodType: 2003}
	apr6 := &Fiscal{StartMonth: time.April, StartDay: 6, PeriodType: 2004}
	feb15 := &Fiscal{StartMonth: time.February, StartDay: 15, PeriodType: 2004}
	aug31 := &Fiscal{StartMonth: time.August, StartDay: 31, PeriodType: 2001}
	for _, c := range []struct {
		f            *Fiscal
		at           time.Time
		period, year int
	}{
		{jan31, day(2024, 1, 30), 12, 2023}, // period 12 of FY2023 started 31 Dec 2023
		{jan31, day(2024, 1, 31), 1, 2024},
		{jan31, day(2024, 2, 28), 1, 2024},
		{jan31, day(2024, 2, 29), 2, 2024}, // February's period starts on its last day
		{jan31, day(2025, 2, 27), 1, 2025},
		{jan31, day(2025, 2, 28), 2, 2025},
		{jan31, day(2024, 4, 29), 3, 2024},
		{jan31, day(2024, 4, 30), 4, 2024},
		{jan31, day(2024, 12, 30), 11, 2024},
		{jan31, day(2024, 12, 31), 12, 2024},
		{aug31, day(2025, 2, 27), 1, 2024},
		{aug31, day(2025, 2, 28), 2, 2024}, // six months after 31 August: 28 February
		{aug31, day(2025, 8, 30), 2, 2024},
		{aug31, day(2025, 8, 31), 1, 2025},
		{apr6, day(2024, 4, 5), 13, 2023},
		{apr6, day(2024, 4, 6), 1, 2024},
		{apr6, day(2024, 5, 3), 1, 2024},
		{apr6, day(2024, 5, 4), 2, 2024},    // 28 days on
		{apr6, day(2025, 3, 7), 12, 2024},   // 335 days on
		{apr6, day(2025, 3, 8), 13, 2024},   // 336 days on
		{apr6, day(2025, 4, 5), 13, 2024},   // 364 days on: the leftover day
		{feb15, day(2024, 2, 14), 13, 2023}, // 364 days on
		{feb15, day(2025, 2, 13), 13, 2024}, // 364 days on (29 Feb 2024 between)
		{feb15, day(2025, 2, 14), 13, 2024}, // 365 days on
		{feb15, day(2025, 2, 15), 1, 2025},
	} {
		if p, y := c.f.PeriodOf(c.at, time.UTC); p != c.period || y != c.year {
			t.Errorf("%+v %s: period %d of FY%d, want %d of FY%d", *c.f, c.at.Format("2006-01-02"), p, y, c.period, c.year)
		}
	}
	ev := &evaluator{env: Env{Now: day(2024, 3, 10), Zone: time.UTC, Fiscal: jan31}}
	if got := ev.fiscalLabel(ast.FiscalPeriod, day(2024, 2, 29), time.UTC); got != "February FY2024" {
		t.Errorf("label %q, want February FY2024", got)
	}
	iv, _ := ev.fiscalInterval(&ast.Condition{Operator: ast.OpThisFiscalPeriod})
	if !iv.lo.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) || !iv.hi.Equal(time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("this-fiscal-period [%s, %s), want [2024-02-29, 2024-03-31)", iv.lo, iv.hi)
	}
}
