package sql

import (
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/plan/calendar"
)

// Per-row fiscal periods for calendars whose periods do not all start on
// the 1st of a month (a fiscal year starting on another day, or
// four-weekly periods): the SQL form of calendar.FiscalPeriodOf over the
// column's local date (Y, M, D, day of year J) in the zone. With the
// fiscal year starting on month sm, day sd:
//
//   - the date is before this calendar year's fiscal-year start when
//     M < sm OR (M = sm AND D < sd); the fiscal year is Y or Y − 1;
//   - month-based periods (k months each) start in every month on day
//     min(sd, days in that month), as periods counted from the year start
//     with month-end clamping do. A date before its month's start belongs
//     to the previous month, so r = (M − shift + 12 − sm) mod 12 is the
//     number of whole months since the year start and the period is
//     r div k + 1;
//   - four-weekly: with c0 the day of year of the start in a common year,
//     days since the year start are J − c0, less 1 from a 29 February
//     before the start (sm > 2, leap Y), or, before the start, plus the
//     length of the previous year from the start (365, or 366 when
//     sm ≤ 2 and Y − 1 is a leap year). The period is days div 28 + 1,
//     except that days 364 and 365 (13 × 28 leaves them over) stay in
//     period 13: days div 28 + 1 − days div 364.
//
// Every operand is a non-negative integer, so integer division truncates
// alike on every engine (MySQL: DIV). No CASE holds another CASE beside
// the zone's offset CASE: with a daylight-saving zone that one is nested 9
// deep, and T-SQL allows 10.
type fiscalSQL struct {
	e      *emitter
	col    *plan.ColumnRef
	loc    *time.Location
	sm, sd int64
	k      int64 // months per period; 0 for four-weekly
	// seen records, with numbered placeholders, where each date part was
	// first written, so that repeats reuse its text and arguments (a zone's
	// offset CASE binds one argument per transition).
	seen [plan.PartFiscalPeriod][2]int
}

// cumDays[m] is the number of days before month m+1 in a common year.
var cumDays = [12]int64{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// newFiscal validates the calendar; nil after e.fail.
func (e *emitter) newFiscal(f *plan.Fiscal, col *plan.ColumnRef, loc *time.Location) *fiscalSQL {
	if f == nil || col == nil {
		e.fail(diag.MalformedPlan, "fiscal period without its calendar or column")
		return nil
	}
	cf := calendar.Fiscal{StartMonth: f.Start.Month(), StartDay: f.Start.Day(), PeriodType: f.PeriodType}
	if err := cf.Validate(); err != nil {
		e.fail(diag.FiscalSettings, "%v", err)
		return nil
	}
	// The writer keeps its own copy of the reference: callers pass the
	// address of a stack value (emitter.output), which must not escape.
	ref := *col
	w := &fiscalSQL{e: e, col: &ref, loc: loc, sm: int64(cf.StartMonth), sd: int64(cf.StartDay)}
	if cf.PeriodType != calendar.PeriodFourWeekly {
		w.k = int64(12 / cf.Periods())
	}
	return w
}

// part writes a date part of the column's local date.
func (w *fiscalSQL) part(k plan.DatePartKind) {
	e := w.e
	if !e.caps.Params.Numbered() || int(k) >= len(w.seen) {
		e.datePart(k, w.col, w.loc)
		return
	}
	if s := w.seen[k]; s[1] > 0 {
		e.again(s[0], s[1])
		return
	}
	start := e.n
	e.datePart(k, w.col, w.loc)
	w.seen[k] = [2]int{start, e.n}
}

// before writes the condition "the date is before this calendar year's
// fiscal-year start"; false when the year starts on 1 January.
func (w *fiscalSQL) before() bool {
	e := w.e
	switch {
	case w.sm == 1 && w.sd == 1:
		return false
	case w.sd == 1:
		w.part(plan.PartMonth)
		e.raw(" < ")
		e.int(w.sm)
	case w.sm == 1:
		w.part(plan.PartMonth)
		e.raw(" = 1 AND ")
		w.part(plan.PartDay)
		e.raw(" < ")
		e.int(w.sd)
	default:
		e.byte1('(')
		w.part(plan.PartMonth)
		e.raw(" < ")
		e.int(w.sm)
		e.raw(" OR ")
		w.part(plan.PartMonth)
		e.raw(" = ")
		e.int(w.sm)
		e.raw(" AND ")
		w.part(plan.PartDay)
		e.raw(" < ")
		e.int(w.sd)
		e.byte1(')')
	}
	return true
}

// year writes the fiscal year, named after the calendar year it starts in.
func (w *fiscalSQL) year() {
	e := w.e
	e.byte1('(')
	w.part(plan.PartYear)
	if w.sm != 1 || w.sd != 1 {
		e.raw(" - CASE WHEN ")
		w.before()
		e.raw(" THEN 1 ELSE 0 END")
	}
	e.byte1(')')
}

// leap writes "Y (or Y − 1) is a leap year" (Gregorian).
func (w *fiscalSQL) leap(prev bool) {
	e := w.e
	y := func() {
		if prev {
			e.byte1('(')
			w.part(plan.PartYear)
			e.raw(" - 1)")
			return
		}
		w.part(plan.PartYear)
	}
	e.byte1('(')
	y()
	e.raw(" % 4 = 0 AND (")
	y()
	e.raw(" % 100 <> 0 OR ")
	y()
	e.raw(" % 400 = 0))")
}

// monthShift writes "the date is before its month's period boundary, day
// min(sd, days in the month)"; false when sd is 1. Since D never exceeds
// the month's length, that is D < sd unless D is the month's last day.
func (w *fiscalSQL) monthShift() bool {
	e := w.e
	if w.sd == 1 {
		return false
	}
	w.part(plan.PartDay)
	e.raw(" < ")
	e.int(w.sd)
	if w.sd < 29 {
		return true
	}
	// Last days below sd: 28 February of a common year (sd ≥ 29),
	// 29 February (sd ≥ 30), the 30th of a 30-day month (sd = 31).
	e.raw(" AND NOT (")
	w.part(plan.PartMonth)
	e.raw(" = 2 AND ")
	w.part(plan.PartDay)
	e.raw(" = 28 AND NOT ")
	w.leap(false)
	if w.sd >= 30 {
		e.raw(" OR ")
		w.part(plan.PartMonth)
		e.raw(" = 2 AND ")
		w.part(plan.PartDay)
		e.raw(" = 29")
	}
	if w.sd == 31 {
		e.raw(" OR ")
		w.part(plan.PartMonth)
		e.raw(" IN (4, 6, 9, 11) AND ")
		w.part(plan.PartDay)
		e.raw(" = 30")
	}
	e.byte1(')')
	return true
}

// months writes r, the whole months (0–11) from the fiscal-year start to
// the period boundary on or before the date.
func (w *fiscalSQL) months() {
	e := w.e
	e.raw("((")
	w.part(plan.PartMonth)
	if w.sm != 12 {
		e.raw(" + ")
		e.int(12 - w.sm)
	}
	if w.sd != 1 {
		e.raw(" - CASE WHEN ")
		w.monthShift()
		e.raw(" THEN 1 ELSE 0 END")
	}
	e.raw(") % 12)")
}

// days writes the days (0–365) from the fiscal-year start to the date.
func (w *fiscalSQL) days() {
	e := w.e
	c0 := cumDays[w.sm-1] + w.sd
	e.byte1('(')
	w.part(plan.PartDayOfYear)
	e.raw(" - ")
	e.int(c0)
	switch {
	case w.sm == 1 && w.sd == 1:
	case w.sm <= 2:
		e.raw(" + CASE WHEN ")
		w.before()
		e.raw(" AND ")
		w.leap(true)
		e.raw(" THEN 366 WHEN ")
		w.before()
		e.raw(" THEN 365 ELSE 0 END")
	default:
		e.raw(" + CASE WHEN ")
		w.before()
		e.raw(" THEN 365 WHEN ")
		w.leap(false)
		e.raw(" THEN -1 ELSE 0 END")
	}
	e.byte1(')')
}

// div writes x div n for non-negative integers.
func (w *fiscalSQL) div(x func(), n int64) {
	x()
	if w.e.caps.Dates == DateMySQL {
		w.e.raw(" DIV ") // "/" is decimal division on MySQL
	} else {
		w.e.raw(" / ")
	}
	w.e.int(n)
}

// period writes the fiscal period.
func (w *fiscalSQL) period() {
	e := w.e
	switch {
	case w.k == 0:
		e.byte1('(')
		w.div(w.days, 28)
		e.raw(" + 1 - ")
		w.div(w.days, 364)
		e.byte1(')')
	case w.k == 12:
		e.raw("1")
	case w.k == 1:
		e.byte1('(')
		w.months()
		e.raw(" + 1)")
	default:
		e.byte1('(')
		w.div(w.months, w.k)
		e.raw(" + 1)")
	}
}

// key writes a fiscal-period grouping key: year * 100 + period.
func (w *fiscalSQL) key() {
	w.year()
	w.e.raw(" * 100 + ")
	w.period()
}

// periodIn writes "the fiscal period is one of ps" as ranges of r or of
// days, so the period itself is never computed.
func (w *fiscalSQL) periodIn(ps []int64) {
	e := w.e
	if len(ps) > 1 {
		e.byte1('(')
	}
	for i, p := range ps {
		if i > 0 {
			e.raw(" OR ")
		}
		var lo, hi int64
		switch {
		case w.k == 0 && p >= 1 && p <= 13:
			lo, hi = 28*(p-1), 28*p-1
			if p == 13 {
				hi = 365
			}
			w.days()
		case w.k > 0 && p >= 1 && p <= 12/w.k:
			lo, hi = (p-1)*w.k, p*w.k-1
			w.months()
		default:
			e.raw("1=0") // no such period
			continue
		}
		e.raw(" BETWEEN ")
		e.bind(lo)
		e.raw(" AND ")
		e.bind(hi)
	}
	if len(ps) > 1 {
		e.byte1(')')
	}
}
