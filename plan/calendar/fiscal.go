package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// Fiscal period types (Organization.FiscalPeriodType).
const (
	PeriodAnnual     = 2000 // 1 period
	PeriodSemiAnnual = 2001 // 2 periods of 6 months
	PeriodQuarterly  = 2002 // 4 periods of 3 months
	PeriodMonthly    = 2003 // 12 periods of 1 month
	PeriodFourWeekly = 2004 // 13 periods of 28 days
)

// Fiscal is the organization's fiscal calendar (spec §2.4).
type Fiscal struct {
	// StartMonth and StartDay are the month and day on which every fiscal
	// year starts (Organization.FiscalCalendarStart without its year).
	// StartDay must exist in a non-leap year: Dataverse refuses 29 Feb.
	StartMonth time.Month
	StartDay   int
	// PeriodType is one of the Period* constants.
	PeriodType int
	// PeriodFormat is Organization.FiscalPeriodFormatPeriod, used only by
	// FiscalPeriodLabel; 0 selects the default for PeriodType.
	PeriodFormat int
}

// Periods is the number of fiscal periods in a year for the period type,
// or 0 for an unknown type.
func (f Fiscal) Periods() int {
	switch f.PeriodType {
	case PeriodAnnual:
		return 1
	case PeriodSemiAnnual:
		return 2
	case PeriodQuarterly:
		return 4
	case PeriodMonthly:
		return 12
	case PeriodFourWeekly:
		return 13
	}
	return 0
}

// periodName names the period type in error messages.
func (f Fiscal) periodName() string {
	return map[int]string{
		PeriodAnnual: "annual", PeriodSemiAnnual: "semi-annual", PeriodQuarterly: "quarterly",
		PeriodMonthly: "monthly", PeriodFourWeekly: "four-weekly",
	}[f.PeriodType]
}

// Validate reports whether the settings describe a fiscal calendar.
func (f Fiscal) Validate() error {
	if f.Periods() == 0 {
		return fmt.Errorf("calendar: unknown fiscal period type %d (want 2000 annual … 2004 four-weekly)", f.PeriodType)
	}
	if f.StartMonth < time.January || f.StartMonth > time.December {
		return fmt.Errorf("calendar: invalid fiscal start month %d", int(f.StartMonth))
	}
	if max := daysIn(2001, f.StartMonth); f.StartDay < 1 || f.StartDay > max {
		return fmt.Errorf("calendar: invalid fiscal start day %d for %s (want 1–%d)", f.StartDay, f.StartMonth, max)
	}
	return nil
}

// Fiscal year naming. Dataverse stores the choice in
// Organization.FiscalYearDisplayCode (1: the year is named after the
// calendar year in which it starts, 2: after the one in which it ends).
// We implement the start-year convention, as SQL 4 CDS does (spec §2.4,
// open question 4, U). These two functions are the only place the
// convention lives.

// fiscalYearName names the fiscal year that starts in calendar year y.
func fiscalYearName(startYear int) int { return startYear }

// fiscalYearStartYear is the calendar year in which fiscal year name starts.
func fiscalYearStartYear(name int) int { return name }

// fiscalCal is a validated Fiscal.
type fiscalCal struct {
	Fiscal
	n int // periods per year
}

func newFiscalCal(op ast.Operator, f *Fiscal) (*fiscalCal, error) {
	if f == nil {
		return nil, fmt.Errorf("%s: no fiscal calendar is configured", op)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &fiscalCal{Fiscal: *f, n: f.Periods()}, nil
}

// yearStart is the first day of fiscal year y.
func (f *fiscalCal) yearStart(y int) date {
	return date{fiscalYearStartYear(y), f.StartMonth, f.StartDay}
}

// yearOf is the fiscal year containing d.
func (f *fiscalCal) yearOf(d date) int {
	start := d.y
	if d.before(date{d.y, f.StartMonth, f.StartDay}) {
		start--
	}
	return fiscalYearName(start)
}

// periodStart is the first day of period p (1-based) of fiscal year y.
// Month-based periods are counted from the fiscal-year start each time, so
// a 31 Jan start gives monthly periods starting 31 Jan, 28/29 Feb, 31 Mar.
// Four-weekly periods start every 28 days from the fiscal-year start.
func (f *fiscalCal) periodStart(p, y int) date {
	fys := f.yearStart(y)
	if f.PeriodType == PeriodFourWeekly {
		return fys.addDays(28 * (p - 1))
	}
	return fys.addMonths((p - 1) * (12 / f.n))
}

// periodEnd is the first day after period p of fiscal year y. The last
// period ends where the next fiscal year starts; for four-weekly calendars
// period 13 therefore also holds the 1–2 days 13 × 28 leaves over.
func (f *fiscalCal) periodEnd(p, y int) date {
	if p == f.n {
		return f.yearStart(y + 1)
	}
	return f.periodStart(p+1, y)
}

// periodOf is the fiscal period and year containing d.
func (f *fiscalCal) periodOf(d date) (p, y int) {
	y = f.yearOf(d)
	if f.PeriodType == PeriodFourWeekly {
		return min(d.daysSince(f.yearStart(y))/28+1, f.n), y
	}
	for p = f.n; p > 1 && d.before(f.periodStart(p, y)); p-- {
	}
	return p, y
}

// step moves k periods from (p, y), crossing fiscal years as needed.
func (f *fiscalCal) step(p, y, k int) (int, int) {
	idx := y*f.n + p - 1 + k
	return floorMod(idx, f.n) + 1, floorDiv(idx, f.n)
}

func (f *fiscalCal) checkPeriod(op ast.Operator, p int64) error {
	if p < 1 || p > int64(f.n) {
		return fmt.Errorf("%s: fiscal period %d is out of range for %s fiscal periods (valid: 1–%d)", op, p, f.periodName(), f.n)
	}
	return nil
}

func checkFiscalYear(op ast.Operator, y int64) error {
	if y < 1 || y > 9999 {
		return fmt.Errorf("%s: fiscal year %d is out of range (valid: 1–9999)", op, y)
	}
	return nil
}

func relativeFiscal(op ast.Operator, x int64, fs *Fiscal, c *clock) (Interval, error) {
	f, err := newFiscalCal(op, fs)
	if err != nil {
		return Interval{}, err
	}
	day, N := c.midnight, c.now
	year := func(y int) Interval { return between(day(f.yearStart(y)), day(f.yearStart(y+1))) }
	period := func(p, y int) Interval { return between(day(f.periodStart(p, y)), day(f.periodEnd(p, y))) }
	p, y := f.periodOf(c.today)
	n := int(x)
	switch op {
	case ast.OpLastXFiscalYears, ast.OpNextXFiscalYears:
		if err := checkX(op, x, maxXYears); err != nil {
			return Interval{}, err
		}
	case ast.OpLastXFiscalPeriods, ast.OpNextXFiscalPeriods:
		if err := checkX(op, x, 13*maxXYears); err != nil {
			return Interval{}, err
		}
	}
	switch op {
	case ast.OpThisFiscalYear:
		return year(y), nil
	case ast.OpLastFiscalYear:
		return year(y - 1), nil
	case ast.OpNextFiscalYear:
		return year(y + 1), nil
	case ast.OpThisFiscalPeriod:
		return period(p, y), nil
	case ast.OpLastFiscalPeriod:
		return period(f.step(p, y, -1)), nil
	case ast.OpNextFiscalPeriod:
		return period(f.step(p, y, 1)), nil
	case ast.OpLastXFiscalYears:
		return between(day(f.yearStart(y-n)), N), nil
	case ast.OpNextXFiscalYears:
		return between(N, day(f.yearStart(y+n+1))), nil
	case ast.OpLastXFiscalPeriods:
		lp, ly := f.step(p, y, -n)
		return between(day(f.periodStart(lp, ly)), N), nil
	case ast.OpNextXFiscalPeriods:
		np, ny := f.step(p, y, n)
		return between(N, day(f.periodEnd(np, ny))), nil
	case ast.OpInFiscalYear:
		if err := checkFiscalYear(op, x); err != nil {
			return Interval{}, err
		}
		return year(n), nil
	case ast.OpInFiscalPeriod:
		return Interval{}, fmt.Errorf("%s matches a period of every fiscal year, not one interval: use calendar.FiscalPeriodMonths", op)
	case ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear, ast.OpInOrAfterFiscalPeriodAndYear:
		return Interval{}, fmt.Errorf("%s takes a period and a year: use calendar.FiscalPeriodAndYear", op)
	}
	return Interval{}, fmt.Errorf("%s is not a relative fiscal operator", op)
}

// FiscalPeriodAndYear resolves in-fiscal-period-and-year (period P of
// fiscal year Y), in-or-before-fiscal-period-and-year (Hi only: before the
// end of (P, Y)) and in-or-after-fiscal-period-and-year (Lo only: from the
// start of (P, Y)). A period outside the period type's range is an error
// naming the valid range. Settings.Now is not used.
func FiscalPeriodAndYear(op ast.Operator, period, year int64, s Settings) (Interval, error) {
	switch op {
	case ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear, ast.OpInOrAfterFiscalPeriodAndYear:
	default:
		if !validOperator(op) {
			return Interval{}, fmt.Errorf("calendar: invalid operator %d", op)
		}
		return Interval{}, fmt.Errorf("%s is not a fiscal period-and-year operator", op)
	}
	f, err := newFiscalCal(op, s.Fiscal)
	if err != nil {
		return Interval{}, err
	}
	if err := f.checkPeriod(op, period); err != nil {
		return Interval{}, err
	}
	if err := checkFiscalYear(op, year); err != nil {
		return Interval{}, err
	}
	loc := s.Zone
	if loc == nil {
		loc = time.UTC
	}
	p, y := int(period), int(year)
	lo, hi := wall(loc, f.periodStart(p, y), 0, 0), wall(loc, f.periodEnd(p, y), 0, 0)
	var iv Interval
	switch op {
	case ast.OpInFiscalPeriodAndYear:
		iv = between(lo, hi)
	case ast.OpInOrBeforeFiscalPeriodAndYear:
		iv = before(hi)
	default:
		iv = from(lo)
	}
	return inRange(op, iv)
}

// FiscalPeriodMonths serves in-fiscal-period P, which matches period P of
// every fiscal year. When period boundaries fall on month starts (annual,
// semi-annual, quarterly or monthly periods with StartDay 1), it returns
// the calendar months (1–12, ascending) whose days make up period P, with
// ok = true; the caller then tests the month of the column's local date.
// For four-weekly periods or StartDay ≠ 1 no month set exists: it returns
// ok = false, and the caller computes each row's period as FiscalPeriodOf
// does (the planner's plan.PartFiscalPeriod). A period above the period type's
// range matches no rows (spec §2.4, D): the result is empty with ok =
// true. A period below 1 is an error, as for every integer operand.
func FiscalPeriodMonths(period int64, f Fiscal) (months []int64, ok bool, err error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	if period < 1 {
		return nil, false, fmt.Errorf("%s: fiscal period must be a positive integer, got %d", ast.OpInFiscalPeriod, period)
	}
	n := f.Periods()
	if period > int64(n) {
		return []int64{}, true, nil
	}
	if f.PeriodType == PeriodFourWeekly || f.StartDay != 1 {
		return nil, false, nil
	}
	k := 12 / n
	first := int(f.StartMonth) - 1 + (int(period)-1)*k
	for i := range k {
		months = append(months, int64((first+i)%12+1))
	}
	slices.Sort(months)
	return months, true, nil
}

// FiscalPeriodOf returns the fiscal period and fiscal year containing t,
// judged by t's calendar date in Settings.Zone. Settings.Now is not used.
func FiscalPeriodOf(t time.Time, s Settings) (period, year int64, err error) {
	if s.Fiscal == nil {
		return 0, 0, errors.New("calendar: no fiscal calendar is configured")
	}
	f, err := newFiscalCal(ast.OpInvalid, s.Fiscal)
	if err != nil {
		return 0, 0, err
	}
	loc := s.Zone
	if loc == nil {
		loc = time.UTC
	}
	p, y := f.periodOf(dateOf(t.In(loc)))
	return int64(p), int64(y), nil
}
