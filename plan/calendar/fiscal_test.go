package calendar

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
)

func day(y int, m time.Month, d int) time.Time { return utc(y, m, d, 0, 0) }

func fiscal(m time.Month, d, typ int) *Fiscal {
	return &Fiscal{StartMonth: m, StartDay: d, PeriodType: typ}
}

type pyCase struct {
	op        ast.Operator
	p, y      int64
	want      Interval
	wantError string
}

func runPeriodAndYear(t *testing.T, s Settings, cases []pyCase) {
	t.Helper()
	for _, c := range cases {
		got, err := FiscalPeriodAndYear(c.op, c.p, c.y, s)
		if c.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantError) {
				t.Errorf("%s %d %d: error %v, want %q", c.op, c.p, c.y, err, c.wantError)
			}
			continue
		}
		if err != nil || !same(got, c.want) {
			t.Errorf("%s %d %d with %+v:\n got  %s, %v\n want %s", c.op, c.p, c.y, *s.Fiscal, got, err, c.want)
		}
	}
}

func TestFiscalQuarterlyApril(t *testing.T) {
	N := utc(2020, 8, 17, 13, 20) // FY2020 (Apr 2020 – Mar 2021), quarter 2
	s := Settings{Now: N, Fiscal: fiscal(time.April, 1, PeriodQuarterly)}
	runRelative(t, s, []relCase{
		{ast.OpThisFiscalYear, 0, span(day(2020, 4, 1), day(2021, 4, 1))},
		{ast.OpLastFiscalYear, 0, span(day(2019, 4, 1), day(2020, 4, 1))},
		{ast.OpNextFiscalYear, 0, span(day(2021, 4, 1), day(2022, 4, 1))},
		{ast.OpThisFiscalPeriod, 0, span(day(2020, 7, 1), day(2020, 10, 1))},
		{ast.OpLastFiscalPeriod, 0, span(day(2020, 4, 1), day(2020, 7, 1))},
		{ast.OpNextFiscalPeriod, 0, span(day(2020, 10, 1), day(2021, 1, 1))},
		{ast.OpLastXFiscalYears, 1, span(day(2019, 4, 1), N)},
		{ast.OpLastXFiscalYears, 2, span(day(2018, 4, 1), N)},
		{ast.OpNextXFiscalYears, 1, span(N, day(2022, 4, 1))},
		{ast.OpLastXFiscalPeriods, 2, span(day(2020, 1, 1), N)}, // Q4 FY2019
		{ast.OpLastXFiscalPeriods, 5, span(day(2019, 4, 1), N)}, // Q1 FY2019
		{ast.OpNextXFiscalPeriods, 3, span(N, day(2021, 7, 1))}, // end of Q1 FY2021
		{ast.OpNextXFiscalPeriods, 1, span(N, day(2021, 1, 1))}, // end of Q3 FY2020
		{ast.OpInFiscalYear, 2023, span(day(2023, 4, 1), day(2024, 4, 1))},
	})
	runPeriodAndYear(t, s, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 4, 2020, span(day(2021, 1, 1), day(2021, 4, 1)), ""},
		{ast.OpInFiscalPeriodAndYear, 1, 2020, span(day(2020, 4, 1), day(2020, 7, 1)), ""},
		{ast.OpInOrBeforeFiscalPeriodAndYear, 4, 2020, upTo(day(2021, 4, 1)), ""},
		{ast.OpInOrAfterFiscalPeriodAndYear, 1, 2021, onwards(day(2021, 4, 1)), ""},
		{ast.OpInFiscalPeriodAndYear, 5, 2020, Interval{}, "out of range for quarterly fiscal periods (valid: 1–4)"},
		{ast.OpInOrAfterFiscalPeriodAndYear, 0, 2020, Interval{}, "valid: 1–4"},
		{ast.OpInFiscalPeriodAndYear, 1, 0, Interval{}, "fiscal year 0 is out of range"},
		{ast.OpInFiscalPeriodAndYear, 4, 9999, Interval{}, "outside the supported date range"},
		{ast.OpInFiscalYear, 1, 2020, Interval{}, "not a fiscal period-and-year operator"},
	})
}

// Boundaries at the fiscal-year edge, in UTC and in a zone.
func TestFiscalYearEdge(t *testing.T) {
	f := fiscal(time.April, 1, PeriodQuarterly)
	runRelative(t, Settings{Now: time.Date(2021, 3, 31, 23, 59, 59, 999, time.UTC), Fiscal: f}, []relCase{
		{ast.OpThisFiscalYear, 0, span(day(2020, 4, 1), day(2021, 4, 1))},
		{ast.OpThisFiscalPeriod, 0, span(day(2021, 1, 1), day(2021, 4, 1))},
		{ast.OpNextFiscalPeriod, 0, span(day(2021, 4, 1), day(2021, 7, 1))},
	})
	runRelative(t, Settings{Now: day(2021, 4, 1), Fiscal: f}, []relCase{
		{ast.OpThisFiscalYear, 0, span(day(2021, 4, 1), day(2022, 4, 1))},
		{ast.OpThisFiscalPeriod, 0, span(day(2021, 4, 1), day(2021, 7, 1))},
		{ast.OpLastFiscalPeriod, 0, span(day(2021, 1, 1), day(2021, 4, 1))},
	})
	// 23:30Z on 31 Mar is 00:30 BST on 1 Apr in London: already FY2021.
	london := zone(t, "Europe/London")
	runRelative(t, Settings{Now: utc(2021, 3, 31, 23, 30), Zone: london, Fiscal: f}, []relCase{
		{ast.OpThisFiscalYear, 0, span(utc(2021, 3, 31, 23, 0), utc(2022, 3, 31, 23, 0))},
		{ast.OpInFiscalYear, 2021, span(utc(2021, 3, 31, 23, 0), utc(2022, 3, 31, 23, 0))},
	})
	p, y, err := FiscalPeriodOf(utc(2021, 3, 31, 23, 30), Settings{Zone: london, Fiscal: f})
	if err != nil || p != 1 || y != 2021 {
		t.Errorf("FiscalPeriodOf in London = %d, %d, %v; want 1, 2021", p, y, err)
	}
	p, y, _ = FiscalPeriodOf(utc(2021, 3, 31, 23, 30), Settings{Fiscal: f})
	if p != 4 || y != 2020 {
		t.Errorf("FiscalPeriodOf in UTC = %d, %d; want 4, 2020", p, y)
	}
}

func TestFiscalMonthlyJuly(t *testing.T) {
	f := fiscal(time.July, 1, PeriodMonthly)
	N := utc(2020, 8, 17, 13, 20) // FY2020 period 2
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpThisFiscalPeriod, 0, span(day(2020, 8, 1), day(2020, 9, 1))},
		{ast.OpThisFiscalYear, 0, span(day(2020, 7, 1), day(2021, 7, 1))},
		{ast.OpLastXFiscalPeriods, 14, span(day(2019, 6, 1), N)},
	})
	N = utc(2020, 7, 15, 0, 0) // FY2020 period 1
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpLastFiscalPeriod, 0, span(day(2020, 6, 1), day(2020, 7, 1))}, // P12 FY2019
		{ast.OpNextXFiscalPeriods, 12, span(N, day(2021, 8, 1))},            // end of P1 FY2021
		{ast.OpLastXFiscalPeriods, 13, span(day(2019, 6, 1), N)},            // P12 FY2018
	})
	runPeriodAndYear(t, Settings{Fiscal: f}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 12, 2020, span(day(2021, 6, 1), day(2021, 7, 1)), ""},
		{ast.OpInFiscalPeriodAndYear, 7, 2020, span(day(2021, 1, 1), day(2021, 2, 1)), ""},
		{ast.OpInFiscalPeriodAndYear, 13, 2020, Interval{}, "monthly fiscal periods (valid: 1–12)"},
	})
}

func TestFiscalAnnualJanuary(t *testing.T) {
	f := fiscal(time.January, 1, PeriodAnnual)
	N := utc(2020, 8, 17, 13, 20)
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpThisFiscalYear, 0, span(day(2020, 1, 1), day(2021, 1, 1))},
		{ast.OpThisFiscalPeriod, 0, span(day(2020, 1, 1), day(2021, 1, 1))},
		{ast.OpLastFiscalPeriod, 0, span(day(2019, 1, 1), day(2020, 1, 1))},
		{ast.OpNextXFiscalPeriods, 2, span(N, day(2023, 1, 1))},
		{ast.OpInFiscalYear, 2020, span(day(2020, 1, 1), day(2021, 1, 1))},
	})
	runPeriodAndYear(t, Settings{Fiscal: f}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 1, 2019, span(day(2019, 1, 1), day(2020, 1, 1)), ""},
		{ast.OpInFiscalPeriodAndYear, 2, 2020, Interval{}, "annual fiscal periods (valid: 1–1)"},
	})
}

func TestFiscalSemiAnnualOctober(t *testing.T) {
	f := fiscal(time.October, 1, PeriodSemiAnnual)
	N := utc(2020, 8, 17, 13, 20) // FY2019 (Oct 2019 – Sep 2020), period 2
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpThisFiscalYear, 0, span(day(2019, 10, 1), day(2020, 10, 1))},
		{ast.OpThisFiscalPeriod, 0, span(day(2020, 4, 1), day(2020, 10, 1))},
		{ast.OpNextFiscalPeriod, 0, span(day(2020, 10, 1), day(2021, 4, 1))},
		{ast.OpLastFiscalPeriod, 0, span(day(2019, 10, 1), day(2020, 4, 1))},
		{ast.OpInFiscalYear, 2020, span(day(2020, 10, 1), day(2021, 10, 1))},
	})
	runPeriodAndYear(t, Settings{Fiscal: f}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 3, 2020, Interval{}, "semi-annual fiscal periods (valid: 1–2)"},
	})
}

// Four-weekly: 13 periods of 28 days from the fiscal-year start; period 13
// also takes the 1–2 days left over, and every year restarts on the start
// date.
func TestFiscalFourWeekly(t *testing.T) {
	f := fiscal(time.January, 1, PeriodFourWeekly)
	s := Settings{Fiscal: f}
	runPeriodAndYear(t, s, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 1, 2020, span(day(2020, 1, 1), day(2020, 1, 29)), ""},
		{ast.OpInFiscalPeriodAndYear, 2, 2020, span(day(2020, 1, 29), day(2020, 2, 26)), ""},
		{ast.OpInFiscalPeriodAndYear, 12, 2020, span(day(2020, 11, 4), day(2020, 12, 2)), ""},
		{ast.OpInFiscalPeriodAndYear, 13, 2020, span(day(2020, 12, 2), day(2021, 1, 1)), ""}, // 30 days (leap year)
		{ast.OpInFiscalPeriodAndYear, 13, 2021, span(day(2021, 12, 3), day(2022, 1, 1)), ""}, // 29 days
		{ast.OpInFiscalPeriodAndYear, 14, 2021, Interval{}, "four-weekly fiscal periods (valid: 1–13)"},
	})
	for _, c := range []struct {
		t    time.Time
		p, y int64
	}{
		{day(2020, 1, 1), 1, 2020},
		{day(2020, 1, 28), 1, 2020},
		{day(2020, 1, 29), 2, 2020},
		{day(2020, 12, 1), 12, 2020},
		{day(2020, 12, 2), 13, 2020},
		{day(2020, 12, 29), 13, 2020}, // day 364: 13 × 28 = 364 days
		{day(2020, 12, 30), 13, 2020}, // leftover
		{day(2020, 12, 31), 13, 2020}, // leftover
		{day(2021, 1, 1), 1, 2021},
	} {
		p, y, err := FiscalPeriodOf(c.t, s)
		if err != nil || p != c.p || y != c.y {
			t.Errorf("FiscalPeriodOf(%s) = %d, %d, %v; want %d, %d", c.t.Format(time.DateOnly), p, y, err, c.p, c.y)
		}
	}
	N := utc(2020, 12, 31, 12, 0)
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpThisFiscalPeriod, 0, span(day(2020, 12, 2), day(2021, 1, 1))},
		{ast.OpNextFiscalPeriod, 0, span(day(2021, 1, 1), day(2021, 1, 29))},
		{ast.OpLastFiscalPeriod, 0, span(day(2020, 11, 4), day(2020, 12, 2))},
		{ast.OpNextXFiscalPeriods, 13, span(N, day(2022, 1, 1))},
	})
	N = utc(2021, 1, 15, 0, 0)
	runRelative(t, Settings{Now: N, Fiscal: f}, []relCase{
		{ast.OpLastXFiscalPeriods, 13, span(day(2020, 1, 1), N)},
		{ast.OpLastXFiscalPeriods, 1, span(day(2020, 12, 2), N)},
	})
	// A mid-month start (UK tax-year style).
	runPeriodAndYear(t, Settings{Fiscal: fiscal(time.April, 6, PeriodFourWeekly)}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 1, 2024, span(day(2024, 4, 6), day(2024, 5, 4)), ""},
		{ast.OpInFiscalPeriodAndYear, 13, 2024, span(day(2025, 3, 8), day(2025, 4, 6)), ""},
	})
}

// Month-based periods are counted from the fiscal-year start with month-end
// clamping.
func TestFiscalMonthEndStart(t *testing.T) {
	f := fiscal(time.January, 31, PeriodMonthly)
	runPeriodAndYear(t, Settings{Fiscal: f}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 1, 2021, span(day(2021, 1, 31), day(2021, 2, 28)), ""},
		{ast.OpInFiscalPeriodAndYear, 2, 2021, span(day(2021, 2, 28), day(2021, 3, 31)), ""},
		{ast.OpInFiscalPeriodAndYear, 2, 2020, span(day(2020, 2, 29), day(2020, 3, 31)), ""},
		{ast.OpInFiscalPeriodAndYear, 3, 2021, span(day(2021, 3, 31), day(2021, 4, 30)), ""},
		{ast.OpInFiscalPeriodAndYear, 12, 2020, span(day(2020, 12, 31), day(2021, 1, 31)), ""},
	})
	for _, c := range []struct {
		t    time.Time
		p, y int64
	}{
		{day(2021, 1, 30), 12, 2020},
		{day(2021, 1, 31), 1, 2021},
		{day(2021, 2, 27), 1, 2021},
		{day(2021, 2, 28), 2, 2021},
		{day(2021, 4, 29), 3, 2021},
		{day(2021, 4, 30), 4, 2021},
	} {
		p, y, err := FiscalPeriodOf(c.t, Settings{Fiscal: f})
		if err != nil || p != c.p || y != c.y {
			t.Errorf("FiscalPeriodOf(%s) = %d, %d, %v; want %d, %d", c.t.Format(time.DateOnly), p, y, err, c.p, c.y)
		}
	}
}

func TestFiscalInZone(t *testing.T) {
	ny := zone(t, "America/New_York")
	// Quarter boundaries are local midnights: 1 Oct 00:00 EDT, 1 Jan 00:00 EST.
	runPeriodAndYear(t, Settings{Zone: ny, Fiscal: fiscal(time.April, 1, PeriodQuarterly)}, []pyCase{
		{ast.OpInFiscalPeriodAndYear, 3, 2020, span(utc(2020, 10, 1, 4, 0), utc(2021, 1, 1, 5, 0)), ""},
	})
}

func TestFiscalErrors(t *testing.T) {
	now := utc(2020, 8, 17, 13, 20)
	good := fiscal(time.April, 1, PeriodQuarterly)
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"nil fiscal", func() error { _, err := Relative(ast.OpThisFiscalYear, 0, Settings{Now: now}); return err }, "this-fiscal-year: no fiscal calendar"},
		{"nil fiscal, period and year", func() error {
			_, err := FiscalPeriodAndYear(ast.OpInFiscalPeriodAndYear, 1, 2020, Settings{})
			return err
		}, "no fiscal calendar"},
		{"nil fiscal, period of", func() error { _, _, err := FiscalPeriodOf(now, Settings{}); return err }, "no fiscal calendar"},
		{"bad type", func() error {
			_, err := Relative(ast.OpThisFiscalYear, 0, Settings{Now: now, Fiscal: fiscal(time.April, 1, 1999)})
			return err
		}, "unknown fiscal period type 1999"},
		{"29 Feb", func() error {
			_, err := Relative(ast.OpThisFiscalYear, 0, Settings{Now: now, Fiscal: fiscal(time.February, 29, PeriodMonthly)})
			return err
		}, "invalid fiscal start day 29 for February"},
		{"31 Apr", func() error { return fiscal(time.April, 31, PeriodMonthly).Validate() }, "invalid fiscal start day 31 for April (want 1–30)"},
		{"month 13", func() error { return fiscal(13, 1, PeriodMonthly).Validate() }, "invalid fiscal start month 13"},
		{"x = 0", func() error {
			_, err := Relative(ast.OpLastXFiscalPeriods, 0, Settings{Now: now, Fiscal: good})
			return err
		}, "positive integer"},
		{"in-fiscal-year 0", func() error {
			_, err := Relative(ast.OpInFiscalYear, 0, Settings{Now: now, Fiscal: good})
			return err
		}, "fiscal year 0 is out of range"},
		{"in-fiscal-period", func() error {
			_, err := Relative(ast.OpInFiscalPeriod, 3, Settings{Now: now, Fiscal: good})
			return err
		}, "FiscalPeriodMonths"},
		{"period and year via Relative", func() error {
			_, err := Relative(ast.OpInOrAfterFiscalPeriodAndYear, 3, Settings{Now: now, Fiscal: good})
			return err
		}, "FiscalPeriodAndYear"},
		{"huge X", func() error {
			_, err := Relative(ast.OpNextXFiscalYears, 9000, Settings{Now: now, Fiscal: good})
			return err
		}, "outside the supported date range"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// Every fiscal operator is either resolved by Relative or pointed
// elsewhere, and fails without a fiscal calendar.
func TestEveryFiscalOperatorHandled(t *testing.T) {
	s := Settings{Now: utc(2020, 8, 17, 13, 20), Fiscal: fiscal(time.April, 1, PeriodQuarterly)}
	for _, op := range ast.Operators() {
		if op.Info().Cat != ast.CatFiscal {
			continue
		}
		x := int64(1)
		if op == ast.OpInFiscalYear {
			x = 2020
		}
		_, err := Relative(op, x, s)
		switch op {
		case ast.OpInFiscalPeriod, ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear, ast.OpInOrAfterFiscalPeriodAndYear:
			if err == nil || !strings.Contains(err.Error(), "use calendar.") {
				t.Errorf("Relative(%s): %v, want a pointer to the right function", op, err)
			}
		default:
			if err != nil {
				t.Errorf("Relative(%s, %d): %v", op, x, err)
			}
		}
		if _, err := Relative(op, x, Settings{Now: s.Now}); err == nil {
			t.Errorf("Relative(%s) without fiscal settings: no error", op)
		}
	}
}

func TestFiscalPeriodMonths(t *testing.T) {
	cases := []struct {
		f      *Fiscal
		p      int64
		months []int64
		ok     bool
	}{
		{fiscal(time.April, 1, PeriodQuarterly), 1, []int64{4, 5, 6}, true},
		{fiscal(time.April, 1, PeriodQuarterly), 4, []int64{1, 2, 3}, true},
		{fiscal(time.November, 1, PeriodQuarterly), 1, []int64{1, 11, 12}, true},
		{fiscal(time.July, 1, PeriodMonthly), 7, []int64{1}, true},
		{fiscal(time.July, 1, PeriodMonthly), 6, []int64{12}, true},
		{fiscal(time.October, 1, PeriodSemiAnnual), 1, []int64{1, 2, 3, 10, 11, 12}, true},
		{fiscal(time.October, 1, PeriodSemiAnnual), 2, []int64{4, 5, 6, 7, 8, 9}, true},
		{fiscal(time.January, 1, PeriodAnnual), 1, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, true},
		// Out of range for the period type: no rows.
		{fiscal(time.April, 1, PeriodQuarterly), 5, []int64{}, true},
		{fiscal(time.October, 1, PeriodSemiAnnual), 3, []int64{}, true},
		{fiscal(time.January, 1, PeriodFourWeekly), 14, []int64{}, true},
		{fiscal(time.April, 15, PeriodQuarterly), 9, []int64{}, true},
		// Not expressible as months.
		{fiscal(time.January, 1, PeriodFourWeekly), 1, nil, false},
		{fiscal(time.April, 15, PeriodQuarterly), 1, nil, false},
		{fiscal(time.January, 31, PeriodMonthly), 2, nil, false},
	}
	for _, c := range cases {
		months, ok, err := FiscalPeriodMonths(c.p, *c.f)
		if err != nil || ok != c.ok || !slices.Equal(months, c.months) || (c.ok && months == nil) {
			t.Errorf("FiscalPeriodMonths(%d, %+v) = %v, %v, %v; want %v, %v", c.p, *c.f, months, ok, err, c.months, c.ok)
		}
	}
	if _, _, err := FiscalPeriodMonths(0, *fiscal(time.April, 1, PeriodQuarterly)); err == nil || !strings.Contains(err.Error(), "positive integer") {
		t.Errorf("period 0: %v", err)
	}
	if _, _, err := FiscalPeriodMonths(1, Fiscal{}); err == nil {
		t.Error("zero Fiscal: no error")
	}

	// The month sets agree with FiscalPeriodOf on every day of a few years.
	for _, f := range []*Fiscal{
		fiscal(time.April, 1, PeriodQuarterly), fiscal(time.July, 1, PeriodMonthly),
		fiscal(time.October, 1, PeriodSemiAnnual), fiscal(time.March, 1, PeriodAnnual),
	} {
		sets := map[int64][]int64{}
		for p := int64(1); p <= int64(f.Periods()); p++ {
			sets[p], _, _ = FiscalPeriodMonths(p, *f)
		}
		for d := day(2019, 1, 1); d.Before(day(2022, 1, 1)); d = d.AddDate(0, 0, 1) {
			p, _, _ := FiscalPeriodOf(d, Settings{Fiscal: f})
			if !slices.Contains(sets[p], int64(d.Month())) {
				t.Fatalf("%+v: %s is in period %d but month %d is not in %v", *f, d.Format(time.DateOnly), p, d.Month(), sets[p])
			}
		}
	}
}
