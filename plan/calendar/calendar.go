package calendar

import (
	"errors"
	"fmt"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/faults"
)

// Interval is a half-open range [Lo, Hi) of instants. A bound whose Has
// flag is false is unbounded. Lo and Hi are always in UTC.
type Interval struct {
	Lo, Hi       time.Time
	HasLo, HasHi bool
}

// Contains reports whether t lies in the interval.
func (iv Interval) Contains(t time.Time) bool {
	return (!iv.HasLo || !t.Before(iv.Lo)) && (!iv.HasHi || t.Before(iv.Hi))
}

// Empty reports whether no instant lies in the interval (both bounds set
// and Lo >= Hi). This happens only for a calendar day a time zone skipped
// entirely (see the package documentation).
func (iv Interval) Empty() bool {
	return iv.HasLo && iv.HasHi && !iv.Lo.Before(iv.Hi)
}

// String formats the interval as "[lo, hi)" in RFC 3339, with -inf/+inf for
// missing bounds.
func (iv Interval) String() string {
	lo, hi := "-inf", "+inf"
	if iv.HasLo {
		lo = iv.Lo.Format(time.RFC3339Nano)
	}
	if iv.HasHi {
		hi = iv.Hi.Format(time.RFC3339Nano)
	}
	return "[" + lo + ", " + hi + ")"
}

// Settings is what relative operators resolve against.
type Settings struct {
	// Now is the clock. Required.
	Now time.Time
	// Zone is the caller's time zone; day, week, month, year and fiscal
	// boundaries are wall-clock midnights in Zone. nil means UTC.
	Zone *time.Location
	// WeekStart is the first day of the week (Organization.WeekStartDayCode;
	// the zero value is Sunday).
	WeekStart time.Weekday
	// Fiscal is the organization's fiscal calendar; nil makes every fiscal
	// operator an error.
	Fiscal *Fiscal
}

// IsTimeOfDayOperator reports whether op is an hour or minute operator
// (last-x-hours, next-x-hours, olderthan-x-hours, olderthan-x-minutes),
// which Dataverse rejects on Date Only columns (spec §2.3). The check
// itself belongs to the caller, which knows the column.
func IsTimeOfDayOperator(op ast.Operator) bool {
	switch op {
	case ast.OpLastXHours, ast.OpNextXHours, ast.OpOlderThanXHours, ast.OpOlderThanXMinutes:
		return true
	}
	return false
}

// Bounds of every returned instant: datetime2's range, and the range of
// every SQL dialect we emit for, except SQL Server's legacy datetime.
var (
	minInstant = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxInstant = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Largest X accepted per unit: anything larger is certain to leave
// [minInstant, maxInstant] and could overflow the arithmetic.
const (
	maxXYears   = 10_000
	maxXMonths  = 12 * maxXYears
	maxXWeeks   = 53 * maxXYears
	maxXDays    = 366 * maxXYears
	maxXHours   = 24 * maxXDays
	maxXMinutes = 60 * maxXHours
)

// clock is Settings resolved once per call.
type clock struct {
	now   time.Time // Now in UTC
	local time.Time // Now in loc
	loc   *time.Location
	today date
	week  time.Weekday
}

// newClock resolves s. It fills a caller's clock rather than returning a
// pointer, so the clock stays on the caller's stack.
func newClock(c *clock, s Settings) error {
	if s.Now.IsZero() {
		return errors.New("calendar: Settings.Now is not set")
	}
	if s.WeekStart < time.Sunday || s.WeekStart > time.Saturday {
		return fmt.Errorf("calendar: invalid week start %d (want 0 = Sunday … 6 = Saturday)", int(s.WeekStart))
	}
	loc := s.Zone
	if loc == nil {
		loc = time.UTC
	}
	local := s.Now.In(loc)
	*c = clock{now: s.Now.UTC(), local: local, loc: loc, today: dateOf(local), week: s.WeekStart}
	return nil
}

// midnight is 00:00 of d in the zone (see wall for gaps and overlaps).
func (c *clock) midnight(d date) time.Time { return wall(c.loc, d, 0, 0) }

// hourStart is H, the start of the current wall-clock hour: Now minus its
// minutes, seconds and nanoseconds. Subtracting a duration (rather than
// rebuilding the wall time) keeps H <= Now in a repeated hour and in zones
// with fractional offsets.
func (c *clock) hourStart() time.Time {
	l := c.local
	return c.now.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
}

// minuteStart is M, the start of the current minute.
func (c *clock) minuteStart() time.Time {
	l := c.local
	return c.now.Add(-time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
}

// weekStart is W, 00:00 of the most recent WeekStart day on or before today.
func (c *clock) weekStart() date {
	back := (int(c.local.Weekday()) - int(c.week) + 7) % 7
	return c.today.addDays(-back)
}

// wall returns the instant at which the wall clock in loc reaches d h:m
// for good: the earliest instant from which on the wall clock never again
// shows an earlier time. time.Date leaves gaps and overlaps unspecified
// (and resolves them differently east and west of UTC); this resolves them
// deterministically:
//
//   - a time in a gap (spring forward, a skipped midnight or a skipped
//     day) resolves to the transition, the first instant after the gap;
//   - a repeated time (fall back) resolves to its first instance, unless
//     the clocks went back to before it in between (St. John's until 2011
//     went back at 00:01 to 23:01 of the previous day): then to the second.
//
// With wall(d, 0, 0) as the start of day d, consecutive days tile the time
// line and each day starts at an instant whose local date is d.
func wall(loc *time.Location, d date, h, m int) time.Time {
	req := time.Date(d.y, d.m, d.d, h, m, 0, 0, time.UTC)
	t := time.Date(d.y, d.m, d.d, h, m, 0, 0, loc)
	if wallClock(t).Before(req) {
		// In a gap, and time.Date placed t before it.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
		return t
	}
	if wallClock(t).After(req) {
		// In a gap, and time.Date placed t after it.
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			return start
		}
		return t
	}
	// t exists. Look for a second instance across a backward transition
	// at either end of t's zone period.
	first, second := t, time.Time{}
	if alt, ok := repeat(t, req, -1); ok {
		first, second = alt, t
	} else if alt, ok := repeat(t, req, +1); ok {
		second = alt
	}
	if second.IsZero() {
		return first
	}
	// Clocks went back at the start of second's zone period; if they went
	// back to before req, req is not reached for good until second.
	if tr, _ := second.ZoneBounds(); wallClock(tr.In(loc)).Before(req) {
		return second
	}
	return first
}

// repeat finds the other instance of t's wall time req in the zone period
// before (dir < 0) or after (dir > 0) t's, if clocks went back between them.
func repeat(t, req time.Time, dir int) (time.Time, bool) {
	start, end := t.ZoneBounds()
	edge := end
	if dir < 0 {
		edge = start.Add(-time.Nanosecond)
	}
	if edge.IsZero() || start.IsZero() && dir < 0 {
		return time.Time{}, false
	}
	_, offT := t.Zone()
	_, offOther := edge.In(t.Location()).Zone()
	// Same wall time at another offset: instant shifts by the difference.
	alt := t.Add(time.Duration(offT-offOther) * time.Second)
	if dir < 0 && (offOther <= offT || !alt.Before(start)) || dir > 0 && (offOther >= offT || alt.Before(end)) {
		return time.Time{}, false
	}
	if !wallClock(alt.In(t.Location())).Equal(req) {
		return time.Time{}, false
	}
	return alt, true
}

// wallClock is t's wall-clock reading as a UTC time, for comparisons.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// between is [lo, hi).
func between(lo, hi time.Time) Interval {
	return Interval{Lo: lo.UTC(), Hi: hi.UTC(), HasLo: true, HasHi: true}
}

// before is (-inf, hi).
func before(hi time.Time) Interval { return Interval{Hi: hi.UTC(), HasHi: true} }

// from is [lo, +inf).
func from(lo time.Time) Interval { return Interval{Lo: lo.UTC(), HasLo: true} }

// inRange rejects intervals with a bound outside years 1–9999.
func inRange(op ast.Operator, iv Interval) (Interval, error) {
	for _, b := range []struct {
		t   time.Time
		has bool
	}{{iv.Lo, iv.HasLo}, {iv.Hi, iv.HasHi}} {
		if b.has && (b.t.Before(minInstant) || b.t.After(maxInstant)) {
			return Interval{}, fmt.Errorf("%s: interval boundary %s is outside the supported date range (years 1–9999)", op, b.t.Format(time.RFC3339))
		}
	}
	return iv, nil
}

// checkX validates the integer operand of an x-operator.
func checkX(op ast.Operator, x, max int64) error {
	if x < 1 {
		return fmt.Errorf("%s: X must be a positive integer, got %d", op, x)
	}
	if x > max {
		return fmt.Errorf("%s: X = %d is too large (at most %d)", op, x, max)
	}
	return nil
}

// xLimit is the largest X accepted by an x-operator.
func xLimit(op ast.Operator) int64 {
	switch op {
	case ast.OpLastXHours, ast.OpNextXHours, ast.OpOlderThanXHours:
		return maxXHours
	case ast.OpOlderThanXMinutes:
		return maxXMinutes
	case ast.OpLastXDays, ast.OpNextXDays, ast.OpOlderThanXDays:
		return maxXDays
	case ast.OpLastXWeeks, ast.OpNextXWeeks, ast.OpOlderThanXWeeks:
		return maxXWeeks
	case ast.OpLastXMonths, ast.OpNextXMonths, ast.OpOlderThanXMonths:
		return maxXMonths
	}
	return maxXYears
}

// shift adds n units (time.Hour or time.Minute) of elapsed time to t,
// without overflowing time.Duration for large n.
func shift(t time.Time, n int, unit time.Duration) time.Time {
	secs := int64(n) * int64(unit/time.Second)
	return time.Unix(t.Unix()+secs, int64(t.Nanosecond())).UTC()
}

func validOperator(op ast.Operator) bool { return op.String() != "invalid" }

// Relative resolves an operator that takes no operand, or one integer
// operand x, to an interval: every relative date operator of spec §2.3
// (x is ignored by those without an operand) and the fiscal operators of
// §2.4 except in-fiscal-period (see FiscalPeriodMonths) and the
// period-and-year family (see FiscalPeriodAndYear). For in-fiscal-year, x
// is the fiscal year. The returned error is plain; the caller adds the
// source position.
func Relative(op ast.Operator, x int64, s Settings) (Interval, error) {
	if !validOperator(op) {
		return Interval{}, fmt.Errorf("calendar: invalid operator %d", op)
	}
	var clk clock
	if err := newClock(&clk, s); err != nil {
		return Interval{}, err
	}
	c := &clk
	var iv Interval
	var err error
	switch op.Info().Cat {
	case ast.CatDate:
		iv, err = relativeDate(op, x, c)
	case ast.CatFiscal:
		iv, err = relativeFiscal(op, x, s.Fiscal, c)
	default:
		err = fmt.Errorf("%s is not a date operator", op)
	}
	if err != nil {
		return Interval{}, err
	}
	return inRange(op, iv)
}

func relativeDate(op ast.Operator, x int64, c *clock) (Interval, error) {
	T, N, day := c.today, c.now, c.midnight
	if op.Info().Shape == ast.OneInt {
		if err := checkX(op, x, xLimit(op)); err != nil {
			return Interval{}, err
		}
	}
	n := int(x)
	switch op {
	case ast.OpToday:
		return between(day(T), day(T.addDays(1))), nil
	case ast.OpYesterday:
		return between(day(T.addDays(-1)), day(T)), nil
	case ast.OpTomorrow:
		return between(day(T.addDays(1)), day(T.addDays(2))), nil
	case ast.OpLastSevenDays:
		return between(day(T.addDays(-7)), N), nil
	case ast.OpNextSevenDays:
		return between(N, day(T.addDays(8))), nil

	case ast.OpThisWeek, ast.OpLastWeek, ast.OpNextWeek:
		W := c.weekStart()
		k := map[ast.Operator]int{ast.OpLastWeek: -1, ast.OpThisWeek: 0, ast.OpNextWeek: 1}[op]
		return between(day(W.addDays(7*k)), day(W.addDays(7*k+7))), nil
	case ast.OpThisMonth, ast.OpLastMonth, ast.OpNextMonth:
		MS := date{T.y, T.m, 1}
		k := map[ast.Operator]int{ast.OpLastMonth: -1, ast.OpThisMonth: 0, ast.OpNextMonth: 1}[op]
		return between(day(MS.addMonths(k)), day(MS.addMonths(k+1))), nil
	case ast.OpThisYear, ast.OpLastYear, ast.OpNextYear:
		YS := date{T.y, time.January, 1}
		k := map[ast.Operator]int{ast.OpLastYear: -1, ast.OpThisYear: 0, ast.OpNextYear: 1}[op]
		return between(day(YS.addYears(k)), day(YS.addYears(k+1))), nil

	case ast.OpLastXHours:
		return between(shift(c.hourStart(), -n, time.Hour), N), nil
	case ast.OpNextXHours:
		return between(N, shift(c.hourStart(), n+1, time.Hour)), nil
	case ast.OpLastXDays:
		if faults.LastXDaysOffByOne {
			n-- // injected bug: the interval starts a day late
		}
		return between(day(T.addDays(-n)), N), nil
	case ast.OpNextXDays:
		return between(N, day(T.addDays(n+1))), nil
	case ast.OpLastXWeeks:
		return between(day(T.addDays(-7*n)), N), nil
	case ast.OpNextXWeeks:
		return between(N, day(T.addDays(7*n+1))), nil
	case ast.OpLastXMonths:
		return between(day(T.addMonths(-n)), N), nil
	case ast.OpNextXMonths:
		return between(N, day(T.addDays(1).addMonths(n))), nil
	case ast.OpLastXYears:
		return between(day(T.addYears(-n)), N), nil
	case ast.OpNextXYears:
		return between(N, day(T.addDays(1).addYears(n))), nil

	case ast.OpOlderThanXMinutes:
		return before(shift(c.minuteStart(), -n, time.Minute)), nil
	case ast.OpOlderThanXHours:
		return before(shift(c.hourStart(), -n, time.Hour)), nil
	case ast.OpOlderThanXDays:
		return before(day(T.addDays(-n))), nil
	case ast.OpOlderThanXWeeks:
		return before(day(T.addDays(-7 * n))), nil
	case ast.OpOlderThanXMonths:
		return before(day(T.addMonths(-n))), nil
	case ast.OpOlderThanXYears:
		return before(day(T.addYears(-n))), nil

	case ast.OpOn, ast.OpOnOrBefore, ast.OpOnOrAfter:
		return Interval{}, fmt.Errorf("%s takes a date operand: use calendar.Day", op)
	}
	return Interval{}, fmt.Errorf("%s is not a relative date operator", op)
}

// Day resolves on, on-or-before and on-or-after for the literal date d.
// Only d's calendar date (Year, Month, Day in d's own Location) is used;
// its time of day and offset are ignored, as Dataverse ignores the time
// part. The boundaries are midnights of that date in Settings.Zone:
//
//	on            [D, D+1d)
//	on-or-before  (-inf, D+1d)
//	on-or-after   [D, +inf)
//
// Settings.Now is not used. For a date the zone skipped entirely the on
// interval is empty (Lo == Hi).
func Day(op ast.Operator, d time.Time, s Settings) (Interval, error) {
	if !validOperator(op) {
		return Interval{}, fmt.Errorf("calendar: invalid operator %d", op)
	}
	loc := s.Zone
	if loc == nil {
		loc = time.UTC
	}
	D := dateOf(d)
	var iv Interval
	switch op {
	case ast.OpOn:
		iv = between(wall(loc, D, 0, 0), wall(loc, D.addDays(1), 0, 0))
	case ast.OpOnOrBefore:
		iv = before(wall(loc, D.addDays(1), 0, 0))
	case ast.OpOnOrAfter:
		iv = from(wall(loc, D, 0, 0))
	default:
		return Interval{}, fmt.Errorf("%s is not on, on-or-before or on-or-after", op)
	}
	return inRange(op, iv)
}
