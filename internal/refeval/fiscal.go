package refeval

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// Fiscal is the organization's fiscal calendar, for fiscal years that
// start on the first of StartMonth (spec §2.4). PeriodType: 2000 annual,
// 2001 semi-annual, 2002 quarterly, 2003 monthly.
type Fiscal struct {
	StartMonth time.Month
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
	}
	fail("fiscal period type %d is not generated", f.PeriodType)
	return 0
}

// The arithmetic counts months: month index m = 12·year + month − 1. A
// fiscal year is named after the calendar year it starts in (README
// choices table); period k (0-based, absolute) of a calendar with n
// periods of 12/n months starts at month index 12·(k div n) + (k mod n)·12/n
// + StartMonth − 1.

// periodIndex is the absolute 0-based period of a local date.
func (f *Fiscal) periodIndex(t time.Time) int {
	m := t.Year()*12 + int(t.Month()) - 1 - int(f.StartMonth-1)
	fy := floorDiv(m, 12)
	n := f.periods()
	return fy*n + (m-fy*12)/(12/n)
}

// periodStart is local midnight at the start of absolute period k.
func (f *Fiscal) periodStart(k int, zone *time.Location) time.Time {
	n := f.periods()
	fy := floorDiv(k, n)
	m := fy*12 + (k-fy*n)*(12/n) + int(f.StartMonth-1)
	return time.Date(floorDiv(m, 12), time.Month(m-floorDiv(m, 12)*12+1), 1, 0, 0, 0, 0, zone)
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
// FY2023" (the month the period starts in), "P1 FY2023" (annual).
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
