package calendar

import "time"

// date is a proleptic Gregorian calendar date, always normalized.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date { return date{t.Year(), t.Month(), t.Day()} }

// addDays is calendar-day arithmetic (time.Date normalization).
func (d date) addDays(n int) date {
	return dateOf(time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC))
}

// addMonths adds n months, clamping the day to the target month's last
// day like .NET DateTime.AddMonths and T-SQL DATEADD(month): 31 Mar − 1
// month = 28/29 Feb.
func (d date) addMonths(n int) date {
	idx := d.y*12 + int(d.m-1) + n
	y, m := floorDiv(idx, 12), time.Month(floorMod(idx, 12)+1)
	return date{y, m, min(d.d, daysIn(y, m))}
}

// addYears adds n years with the same clamping: 29 Feb + 1 year = 28 Feb.
func (d date) addYears(n int) date { return d.addMonths(12 * n) }

func (d date) before(o date) bool {
	if d.y != o.y {
		return d.y < o.y
	}
	if d.m != o.m {
		return d.m < o.m
	}
	return d.d < o.d
}

// daysSince is the number of calendar days from o to d.
func (d date) daysSince(o date) int {
	a := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC)
	b := time.Date(o.y, o.m, o.d, 0, 0, 0, 0, time.UTC)
	return int((a.Unix() - b.Unix()) / 86400)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
