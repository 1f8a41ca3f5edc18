package refeval

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// Fiscal is the organization's fiscal calendar (spec §2.4): the fiscal
// year starts on StartMonth/StartDay (0 means 1). PeriodType: 2000
// annual, 2001 semi-annual, 2002 quarterly, 2003 monthly, 2004
// four-weekly.
type Fiscal struct {
	StartMonth time.Month
	StartDay   int
	PeriodType int
}

// periods is the number of periods per fiscal year.
func (f *Fiscal) periods() int {
	switch f.PeriodType {
	case 2000:
		return 1
	case 2001:
		return 2
	case 2002:
		return 4
	case 2003:
		return 12
	case 2004:
		return 13
	}
	fail("fiscal period type %d is not generated", f.PeriodType)
	return 0
}

func (f *Fiscal) startDay() int { return max(f.StartDay, 1) }

// Periods are numbered absolutely: period k (0-based) is period k mod n of
// fiscal year k div n, a fiscal year being named after the calendar year
// it starts in (README choices table). Dates are calendar dates held as
// UTC midnights, normalized by time.Date.

// startDate is the first day of period p (0-based; p = n is the next
// fiscal year's first day) of fiscal year fy. Month-based periods start
// p·12/n months after the year start on the start day, or on the month's
// last day when it is shorter (a 31 January start: 31 January, 28/29
// February, 31 March …). Four-weekly periods start every 28 days; the
// 13th runs to the next year's start and so keeps the 1–2 days left over.
func (f *Fiscal) startDate(fy, p int) time.Time {
	n := f.periods()
	if p == n {
		fy, p = fy+1, 0
	}
	if f.PeriodType == 2004 {
		return time.Date(fy, f.StartMonth, f.startDay()+28*p, 0, 0, 0, 0, time.UTC)
	}
	m := f.StartMonth + time.Month(p*(12/n))
	last := time.Date(fy, m+1, 0, 0, 0, 0, 0, time.UTC).Day() // day 0: the last of month m
	return time.Date(fy, m, min(f.startDay(), last), 0, 0, 0, 0, time.UTC)
}

// periodIndex is the absolute 0-based period of a local date: the last
// period whose first day is on or before it.
func (f *Fiscal) periodIndex(t time.Time) int {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	fy := d.Year()
	if d.Before(f.startDate(fy, 0)) {
		fy--
	}
	n := f.periods()
	p := n - 1
	for p > 0 && d.Before(f.startDate(fy, p)) {
		p--
	}
	return fy*n + p
}

// PeriodOf is the fiscal period (1-based) and fiscal year of t's calendar
// date in zone.
func (f *Fiscal) PeriodOf(t time.Time, zone *time.Location) (period, year int) {
	n := f.periods()
	k := f.periodIndex(t.In(zone))
	year = floorDiv(k, n)
	return k - year*n + 1, year
}

// periodStart is local midnight at the start of absolute period k.
func (f *Fiscal) periodStart(k int, zone *time.Location) time.Time {
	n := f.periods()
	fy := floorDiv(k, n)
	d := f.startDate(fy, k-fy*n)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fiscalInterval recomputes a fiscal operator's interval; ok is false for
// other operators. in-fiscal-period is per row (fiscalPeriodMatch).
func (ev *evaluator) fiscalInterval(c *ast.Condition) (interval, bool) {
	if c.Operator.Info().Cat != ast.CatFiscal {
		return interval{}, false
	}
	f := ev.env.Fiscal
	if f == nil {
		fail("%s without fiscal settings", c.Operator)
	}
	zone, now := ev.env.Zone, ev.env.Now
	n := f.periods()
	cur := f.periodIndex(now.In(zone))
	fy := floorDiv(cur, n)
	year := func(y int) interval { return span(f.periodStart(y*n, zone), f.periodStart((y+1)*n, zone)) }
	period := func(k int) interval { return span(f.periodStart(k, zone), f.periodStart(k+1, zone)) }
	arg := func(i int) int {
		if i >= len(c.Values) {
			fail("%s: missing operand", c.Operator)
		}
		v, err := strconv.Atoi(strings.TrimSpace(c.Values[i].Text))
		if err != nil {
			fail("%s: %v", c.Operator, err)
		}
		return v
	}
	switch c.Operator {
	case ast.OpThisFiscalYear:
		return year(fy), true
	case ast.OpLastFiscalYear:
		return year(fy - 1), true
	case ast.OpNextFiscalYear:
		return year(fy + 1), true
	case ast.OpThisFiscalPeriod:
		return period(cur), true
	case ast.OpLastFiscalPeriod:
		return period(cur - 1), true
	case ast.OpNextFiscalPeriod:
		return period(cur + 1), true
	case ast.OpLastXFiscalYears:
		return span(f.periodStart((fy-arg(0))*n, zone), now), true
	case ast.OpNextXFiscalYears:
		return span(now, f.periodStart((fy+arg(0)+1)*n, zone)), true
	case ast.OpLastXFiscalPeriods:
		return span(f.periodStart(cur-arg(0), zone), now), true
	case ast.OpNextXFiscalPeriods:
		return span(now, f.periodStart(cur+arg(0)+1, zone)), true
	case ast.OpInFiscalYear:
		return year(arg(0)), true
	case ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear, ast.OpInOrAfterFiscalPeriodAndYear:
		p, y := arg(0), arg(1)
		if p < 1 || p > n {
			fail("%s: period %d out of range", c.Operator, p)
		}
		k := y*n + p - 1
		switch c.Operator {
		case ast.OpInFiscalPeriodAndYear:
			return period(k), true
		case ast.OpInOrBeforeFiscalPeriodAndYear:
			return interval{hi: f.periodStart(k+1, zone), hasHi: true}, true
		}
		return interval{lo: f.periodStart(k, zone), hasLo: true}, true
	}
	return interval{}, false
}

// fiscalPeriodMatch is in-fiscal-period P: the row's local date is in
// period P of its fiscal year.
func (ev *evaluator) fiscalPeriodMatch(c *ast.Condition, t time.Time) bool {
	f := ev.env.Fiscal
	if f == nil {
		fail("%s without fiscal settings", c.Operator)
	}
	p, err := strconv.Atoi(strings.TrimSpace(c.Values[0].Text))
	if err != nil {
		fail("%s: %v", c.Operator, err)
	}
	k := f.periodIndex(t.In(ev.env.Zone))
	return k-floorDiv(k, f.periods())*f.periods()+1 == p
}

// fiscalLabel is a fiscal date grouping's label, as Dataverse formats it by
// default: "FY2023"; "Quarter 1 FY2023", "Semester 1 FY2023", "April
// FY2023" (the month the period starts in), "P1 FY2023" (annual,
// four-weekly).
func (ev *evaluator) fiscalLabel(g ast.DateGrouping, t time.Time, zone *time.Location) string {
	f := ev.env.Fiscal
	if f == nil {
		fail("fiscal grouping without fiscal settings")
	}
	n := f.periods()
	k := f.periodIndex(t.In(zone))
	fy := floorDiv(k, n)
	year := fmt.Sprintf("FY%d", fy)
	if g == ast.FiscalYear {
		return year
	}
	p := k - fy*n + 1
	switch f.PeriodType {
	case 2001:
		return fmt.Sprintf("Semester %d %s", p, year)
	case 2002:
		return fmt.Sprintf("Quarter %d %s", p, year)
	case 2003:
		return f.periodStart(k, time.UTC).Month().String() + " " + year
	}
	return fmt.Sprintf("P%d %s", p, year)
}
