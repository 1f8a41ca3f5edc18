package refeval

import (
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// interval is a half-open range of instants [lo, hi); a missing bound is
// unbounded.
type interval struct {
	lo, hi       time.Time
	hasLo, hasHi bool
}

func (iv interval) contains(t time.Time) bool {
	return (!iv.hasLo || !t.Before(iv.lo)) && (!iv.hasHi || t.Before(iv.hi))
}

func span(lo, hi time.Time) interval { return interval{lo: lo, hi: hi, hasLo: true, hasHi: true} }

// dateInterval recomputes a date operator's interval from the clock and
// the zone, straight from the operator's definition (fetchxml.md §2,
// README "Date operators are half-open intervals in the caller's time
// zone"). Days start at local midnight, obtained with time.Date; the
// generator only uses zones whose DST changes happen away from midnight,
// where time.Date is exact.
func (ev *evaluator) dateInterval(c *ast.Condition) (interval, bool) {
	zone := ev.env.Zone
	now := ev.env.Now
	local := now.In(zone)
	y, m, d := local.Date()
	// midnight of the local date (y, m, d+k); time.Date normalizes days.
	mid := func(yy int, mm time.Month, dd int) time.Time { return time.Date(yy, mm, dd, 0, 0, 0, 0, zone) }
	today := func(k int) time.Time { return mid(y, m, d+k) }
	x := func() int {
		if len(c.Values) != 1 {
			fail("%s takes one integer", c.Operator)
		}
		n, err := strconv.Atoi(strings.TrimSpace(c.Values[0].Text))
		if err != nil {
			fail("%s: %v", c.Operator, err)
		}
		return n
	}
	// months adds n months to today's date, clamping the day to the
	// month's length (T-SQL DATEADD, .NET AddMonths).
	months := func(dd, n int) time.Time {
		first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return mid(first.Year(), first.Month(), min(dd, last))
	}
	// The hour now is in, on the local clock (zones with half-hour
	// offsets start hours at :30 UTC).
	hourStart := now.Add(-time.Duration(local.Minute())*time.Minute - time.Duration(local.Second())*time.Second)
	weekStart := func() int { return -((int(local.Weekday()) - int(ev.env.WeekStart) + 7) % 7) }
	switch c.Operator {
	case ast.OpToday:
		return span(today(0), today(1)), true
	case ast.OpYesterday:
		return span(today(-1), today(0)), true
	case ast.OpTomorrow:
		return span(today(1), today(2)), true
	case ast.OpLastSevenDays:
		return span(today(-7), now), true
	case ast.OpNextSevenDays:
		return span(now, today(8)), true
	case ast.OpLastWeek, ast.OpThisWeek, ast.OpNextWeek:
		k := map[ast.Operator]int{ast.OpLastWeek: -7, ast.OpThisWeek: 0, ast.OpNextWeek: 7}[c.Operator]
		w := weekStart() + k
		return span(today(w), today(w+7)), true
	case ast.OpLastMonth, ast.OpThisMonth, ast.OpNextMonth:
		k := map[ast.Operator]int{ast.OpLastMonth: -1, ast.OpThisMonth: 0, ast.OpNextMonth: 1}[c.Operator]
		return span(mid(y, m+time.Month(k), 1), mid(y, m+time.Month(k+1), 1)), true
	case ast.OpLastYear, ast.OpThisYear, ast.OpNextYear:
		k := map[ast.Operator]int{ast.OpLastYear: -1, ast.OpThisYear: 0, ast.OpNextYear: 1}[c.Operator]
		return span(mid(y+k, time.January, 1), mid(y+k+1, time.January, 1)), true
	case ast.OpLastXHours:
		return span(hourStart.Add(-time.Duration(x())*time.Hour), now), true
	case ast.OpNextXHours:
		return span(now, hourStart.Add(time.Duration(x()+1)*time.Hour)), true
	case ast.OpLastXDays:
		return span(today(-x()), now), true
	case ast.OpNextXDays:
		return span(now, today(x()+1)), true
	case ast.OpLastXWeeks:
		return span(today(-7*x()), now), true
	case ast.OpNextXWeeks:
		return span(now, today(7*x()+1)), true
	case ast.OpLastXMonths:
		return span(months(d, -x()), now), true
	case ast.OpNextXMonths:
		// (T + 1 day) + X months.
		t1 := today(1)
		ty, tm, td := t1.Date()
		first := time.Date(ty, tm+time.Month(x()), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return span(now, mid(first.Year(), first.Month(), min(td, last))), true
	case ast.OpLastXYears:
		return span(months(d, -12*x()), now), true
	case ast.OpNextXYears:
		// (T + 1 day) + X years.
		t1 := today(1)
		ty, tm, td := t1.Date()
		first := time.Date(ty+x(), tm, 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return span(now, mid(first.Year(), first.Month(), min(td, last))), true
	case ast.OpOlderThanXYears:
		return interval{hi: months(d, -12*x()), hasHi: true}, true
	case ast.OpOlderThanXMinutes:
		minuteStart := now.Add(-time.Duration(local.Second()) * time.Second)
		return interval{hi: minuteStart.Add(-time.Duration(x()) * time.Minute), hasHi: true}, true
	case ast.OpOlderThanXDays:
		return interval{hi: today(-x()), hasHi: true}, true
	case ast.OpOlderThanXWeeks:
		return interval{hi: today(-7 * x()), hasHi: true}, true
	case ast.OpOlderThanXMonths:
		return interval{hi: months(d, -x()), hasHi: true}, true
	case ast.OpOlderThanXHours:
		return interval{hi: hourStart.Add(-time.Duration(x()) * time.Hour), hasHi: true}, true
	case ast.OpOn, ast.OpOnOrBefore, ast.OpOnOrAfter:
		if len(c.Values) != 1 {
			fail("%s takes one date", c.Operator)
		}
		t, err := ev.parseTime(c.Values[0].Text) // on the wall clock's evaluator for wall-clock columns
		if err != nil {
			fail("%s: %v", c.Operator, err)
		}
		ly, lm, ld := t.In(zone).Date()
		lo, hi := mid(ly, lm, ld), mid(ly, lm, ld+1)
		switch c.Operator {
		case ast.OpOn:
			return span(lo, hi), true
		case ast.OpOnOrBefore:
			return interval{hi: hi, hasHi: true}, true
		}
		return interval{lo: lo, hasLo: true}, true
	}
	return interval{}, false
}
