package calendar

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // hermetic zone data

	"github.com/vecompile/vecompile/ast"
)

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func span(lo, hi time.Time) Interval { return Interval{Lo: lo, Hi: hi, HasLo: true, HasHi: true} }
func upTo(hi time.Time) Interval     { return Interval{Hi: hi, HasHi: true} }
func onwards(lo time.Time) Interval  { return Interval{Lo: lo, HasLo: true} }

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// same compares intervals exactly, including that bounds are in UTC.
func same(a, b Interval) bool {
	return a.HasLo == b.HasLo && a.HasHi == b.HasHi &&
		(!a.HasLo || a.Lo.Equal(b.Lo) && a.Lo.Location() == time.UTC) &&
		(!a.HasHi || a.Hi.Equal(b.Hi) && a.Hi.Location() == time.UTC)
}

type relCase struct {
	op   ast.Operator
	x    int64
	want Interval
}

func runRelative(t *testing.T, s Settings, cases []relCase) {
	t.Helper()
	for _, c := range cases {
		got, err := Relative(c.op, c.x, s)
		if err != nil {
			t.Errorf("%s %d: %v", c.op, c.x, err)
			continue
		}
		if !same(got, c.want) {
			t.Errorf("%s %d at %s in %s:\n got  %s\n want %s", c.op, c.x, s.Now.Format(time.RFC3339), s.Zone, got, c.want)
		}
	}
}

// The worked examples of spec §2.3, evaluated Mon 17 Aug 2020 13:20 UTC.
func TestSpecWorkedExamples(t *testing.T) {
	N := utc(2020, 8, 17, 13, 20)
	s := Settings{Now: N, Zone: time.UTC}
	d := func(m time.Month, day int) time.Time { return utc(2020, m, day, 0, 0) }
	runRelative(t, s, []relCase{
		{ast.OpToday, 0, span(d(8, 17), d(8, 18))},
		{ast.OpYesterday, 0, span(d(8, 16), d(8, 17))},
		{ast.OpTomorrow, 0, span(d(8, 18), d(8, 19))},
		{ast.OpLastSevenDays, 0, span(d(8, 10), N)},
		{ast.OpNextSevenDays, 0, span(N, d(8, 25))},
		{ast.OpThisWeek, 0, span(d(8, 16), d(8, 23))},
		{ast.OpLastWeek, 0, span(d(8, 9), d(8, 16))},
		{ast.OpNextWeek, 0, span(d(8, 23), d(8, 30))},
		{ast.OpThisMonth, 0, span(d(8, 1), d(9, 1))},
		{ast.OpLastMonth, 0, span(d(7, 1), d(8, 1))},
		{ast.OpNextMonth, 0, span(d(9, 1), d(10, 1))},
		{ast.OpThisYear, 0, span(d(1, 1), utc(2021, 1, 1, 0, 0))},
		{ast.OpLastYear, 0, span(utc(2019, 1, 1, 0, 0), d(1, 1))},
		{ast.OpNextYear, 0, span(utc(2021, 1, 1, 0, 0), utc(2022, 1, 1, 0, 0))},
		{ast.OpLastXHours, 2, span(utc(2020, 8, 17, 11, 0), N)},
		{ast.OpNextXHours, 2, span(N, utc(2020, 8, 17, 16, 0))},
		{ast.OpLastXDays, 4, span(d(8, 13), N)},
		{ast.OpNextXDays, 4, span(N, d(8, 22))},
		{ast.OpLastXWeeks, 2, span(d(8, 3), N)},
		{ast.OpNextXWeeks, 2, span(N, d(9, 1))},
		{ast.OpLastXMonths, 3, span(d(5, 17), N)},
		{ast.OpNextXMonths, 3, span(N, d(11, 18))},
		{ast.OpLastXYears, 2, span(utc(2018, 8, 17, 0, 0), N)},
		{ast.OpNextXYears, 2, span(N, utc(2022, 8, 18, 0, 0))},
		{ast.OpOlderThanXMinutes, 15, upTo(utc(2020, 8, 17, 13, 5))},
		{ast.OpOlderThanXHours, 2, upTo(utc(2020, 8, 17, 11, 0))},
		{ast.OpOlderThanXDays, 3, upTo(d(8, 14))},
		{ast.OpOlderThanXWeeks, 1, upTo(d(8, 10))},
		{ast.OpOlderThanXMonths, 1, upTo(d(7, 17))},
		{ast.OpOlderThanXYears, 1, upTo(utc(2019, 8, 17, 0, 0))},
	})

	// on / on-or-before / on-or-after ignore the literal's time part.
	lit := time.Date(2020, 8, 17, 22, 45, 0, 0, time.UTC)
	for _, c := range []struct {
		op   ast.Operator
		want Interval
	}{
		{ast.OpOn, span(d(8, 17), d(8, 18))},
		{ast.OpOnOrBefore, upTo(d(8, 18))},
		{ast.OpOnOrAfter, onwards(d(8, 17))},
	} {
		got, err := Day(c.op, lit, s)
		if err != nil || !same(got, c.want) {
			t.Errorf("%s %s: got %s, %v; want %s", c.op, lit, got, err, c.want)
		}
	}
}

// Every relative date operator must be handled (no "not a relative date
// operator" fall-through) and reject X < 1 when it takes X.
func TestEveryDateOperatorHandled(t *testing.T) {
	s := Settings{Now: utc(2020, 8, 17, 13, 20)}
	for _, op := range ast.Operators() {
		if op.Info().Cat != ast.CatDate {
			continue
		}
		switch op {
		case ast.OpOn, ast.OpOnOrBefore, ast.OpOnOrAfter:
			if _, err := Relative(op, 0, s); err == nil || !strings.Contains(err.Error(), "calendar.Day") {
				t.Errorf("Relative(%s) = %v, want a pointer to Day", op, err)
			}
			continue
		}
		if op.Info().Shape == ast.OneInt {
			for _, x := range []int64{0, -1} {
				if _, err := Relative(op, x, s); err == nil || !strings.Contains(err.Error(), "positive integer") {
					t.Errorf("Relative(%s, %d) error = %v, want positive-integer error", op, x, err)
				}
			}
			if _, err := Relative(op, 1, s); err != nil {
				t.Errorf("Relative(%s, 1): %v", op, err)
			}
			if _, err := Relative(op, xLimit(op)+1, s); err == nil {
				t.Errorf("Relative(%s, %d): no error for an absurd X", op, xLimit(op)+1)
			}
		} else if _, err := Relative(op, 0, s); err != nil {
			t.Errorf("Relative(%s): %v", op, err)
		}
	}
}

func TestErrors(t *testing.T) {
	now := utc(2020, 8, 17, 13, 20)
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"no clock", func() error { _, err := Relative(ast.OpToday, 0, Settings{}); return err }, "Now is not set"},
		{"bad week start", func() error { _, err := Relative(ast.OpThisWeek, 0, Settings{Now: now, WeekStart: 7}); return err }, "week start"},
		{"not a date op", func() error { _, err := Relative(ast.OpEq, 0, Settings{Now: now}); return err }, "not a date operator"},
		{"invalid op", func() error { _, err := Relative(ast.Operator(250), 0, Settings{Now: now}); return err }, "invalid operator"},
		{"day with today", func() error { _, err := Day(ast.OpToday, now, Settings{}); return err }, "not on"},
		{"out of range", func() error { _, err := Relative(ast.OpLastXYears, 2021, Settings{Now: now}); return err }, "outside the supported date range"},
		{"out of range high", func() error {
			_, err := Relative(ast.OpNextXYears, 8000, Settings{Now: now})
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

func TestIsTimeOfDayOperator(t *testing.T) {
	want := map[ast.Operator]bool{ast.OpLastXHours: true, ast.OpNextXHours: true, ast.OpOlderThanXHours: true, ast.OpOlderThanXMinutes: true}
	for _, op := range ast.Operators() {
		if IsTimeOfDayOperator(op) != want[op] {
			t.Errorf("IsTimeOfDayOperator(%s) = %v", op, !want[op])
		}
	}
}

func TestWeekStart(t *testing.T) {
	// 2020-08-16 is a Sunday, 2020-08-17 a Monday.
	cases := []struct {
		now   time.Time
		start time.Weekday
		w     time.Time
	}{
		{utc(2020, 8, 17, 13, 20), time.Sunday, utc(2020, 8, 16, 0, 0)},
		{utc(2020, 8, 17, 13, 20), time.Monday, utc(2020, 8, 17, 0, 0)},
		{utc(2020, 8, 16, 9, 0), time.Sunday, utc(2020, 8, 16, 0, 0)},
		{utc(2020, 8, 16, 9, 0), time.Monday, utc(2020, 8, 10, 0, 0)},
		{utc(2020, 8, 22, 23, 59), time.Sunday, utc(2020, 8, 16, 0, 0)},   // Saturday
		{utc(2020, 8, 22, 23, 59), time.Saturday, utc(2020, 8, 22, 0, 0)}, // Saturday
		{utc(2020, 8, 21, 0, 0), time.Saturday, utc(2020, 8, 15, 0, 0)},   // Friday
		{utc(2021, 1, 1, 12, 0), time.Monday, utc(2020, 12, 28, 0, 0)},    // across a year
	}
	for _, c := range cases {
		s := Settings{Now: c.now, WeekStart: c.start}
		w := c.w
		runRelative(t, s, []relCase{
			{ast.OpThisWeek, 0, span(w, w.AddDate(0, 0, 7))},
			{ast.OpLastWeek, 0, span(w.AddDate(0, 0, -7), w)},
			{ast.OpNextWeek, 0, span(w.AddDate(0, 0, 7), w.AddDate(0, 0, 14))},
		})
	}
}

// Month and year arithmetic clamps to the end of the month like .NET
// AddMonths; leap days follow.
func TestMonthEndClamping(t *testing.T) {
	cases := []struct {
		now  time.Time
		rows []relCase
	}{
		{utc(2021, 3, 31, 10, 0), []relCase{
			{ast.OpLastXMonths, 1, span(utc(2021, 2, 28, 0, 0), utc(2021, 3, 31, 10, 0))},
			{ast.OpOlderThanXMonths, 1, upTo(utc(2021, 2, 28, 0, 0))},
			{ast.OpLastXMonths, 13, span(utc(2020, 2, 29, 0, 0), utc(2021, 3, 31, 10, 0))},
			{ast.OpLastMonth, 0, span(utc(2021, 2, 1, 0, 0), utc(2021, 3, 1, 0, 0))},
		}},
		{utc(2020, 3, 31, 10, 0), []relCase{
			{ast.OpOlderThanXMonths, 1, upTo(utc(2020, 2, 29, 0, 0))},
			{ast.OpLastXMonths, 4, span(utc(2019, 11, 30, 0, 0), utc(2020, 3, 31, 10, 0))},
		}},
		// next-x-months is (T+1d) + X months: 31 Jan + 1 month = 28 Feb.
		{utc(2021, 1, 30, 10, 0), []relCase{
			{ast.OpNextXMonths, 1, span(utc(2021, 1, 30, 10, 0), utc(2021, 2, 28, 0, 0))},
		}},
		{utc(2021, 1, 31, 10, 0), []relCase{
			{ast.OpNextXMonths, 1, span(utc(2021, 1, 31, 10, 0), utc(2021, 3, 1, 0, 0))},
			{ast.OpNextXDays, 1, span(utc(2021, 1, 31, 10, 0), utc(2021, 2, 2, 0, 0))},
		}},
		{utc(2020, 12, 31, 10, 0), []relCase{
			{ast.OpNextXMonths, 2, span(utc(2020, 12, 31, 10, 0), utc(2021, 3, 1, 0, 0))},
			{ast.OpNextMonth, 0, span(utc(2021, 1, 1, 0, 0), utc(2021, 2, 1, 0, 0))},
			{ast.OpTomorrow, 0, span(utc(2021, 1, 1, 0, 0), utc(2021, 1, 2, 0, 0))},
		}},
		// Leap years.
		{utc(2020, 2, 29, 8, 0), []relCase{
			{ast.OpLastXYears, 1, span(utc(2019, 2, 28, 0, 0), utc(2020, 2, 29, 8, 0))},
			{ast.OpLastXYears, 4, span(utc(2016, 2, 29, 0, 0), utc(2020, 2, 29, 8, 0))},
			{ast.OpOlderThanXYears, 1, upTo(utc(2019, 2, 28, 0, 0))},
			{ast.OpLastXMonths, 12, span(utc(2019, 2, 28, 0, 0), utc(2020, 2, 29, 8, 0))},
			{ast.OpThisMonth, 0, span(utc(2020, 2, 1, 0, 0), utc(2020, 3, 1, 0, 0))},
			{ast.OpLastSevenDays, 0, span(utc(2020, 2, 22, 0, 0), utc(2020, 2, 29, 8, 0))},
		}},
		{utc(2020, 2, 28, 8, 0), []relCase{
			// (28 Feb + 1d) = 29 Feb 2020; + 1 year = 28 Feb 2021.
			{ast.OpNextXYears, 1, span(utc(2020, 2, 28, 8, 0), utc(2021, 2, 28, 0, 0))},
			{ast.OpNextXYears, 4, span(utc(2020, 2, 28, 8, 0), utc(2024, 2, 29, 0, 0))},
			{ast.OpTomorrow, 0, span(utc(2020, 2, 29, 0, 0), utc(2020, 3, 1, 0, 0))},
		}},
		{utc(2100, 2, 28, 8, 0), []relCase{ // 2100 is not a leap year
			{ast.OpTomorrow, 0, span(utc(2100, 3, 1, 0, 0), utc(2100, 3, 2, 0, 0))},
		}},
	}
	for _, c := range cases {
		runRelative(t, Settings{Now: c.now}, c.rows)
	}
}

func TestSecondsAndFractions(t *testing.T) {
	N := time.Date(2020, 8, 17, 13, 20, 45, 500, time.UTC)
	runRelative(t, Settings{Now: N}, []relCase{
		{ast.OpOlderThanXMinutes, 1, upTo(utc(2020, 8, 17, 13, 19))},
		{ast.OpOlderThanXHours, 1, upTo(utc(2020, 8, 17, 12, 0))},
		{ast.OpLastXHours, 1, span(utc(2020, 8, 17, 12, 0), N)},
		{ast.OpNextXHours, 1, span(N, utc(2020, 8, 17, 15, 0))},
		{ast.OpLastSevenDays, 0, span(utc(2020, 8, 10, 0, 0), N)},
	})
}

// The caller's zone: boundaries are local midnights, returned in UTC.
func TestZones(t *testing.T) {
	ny, london := zone(t, "America/New_York"), zone(t, "Europe/London")
	kiri, pago := zone(t, "Pacific/Kiritimati"), zone(t, "Pacific/Pago_Pago")
	kolkata := zone(t, "Asia/Kolkata")

	// Plain offset shift: EDT is UTC-4.
	runRelative(t, Settings{Now: utc(2020, 8, 17, 13, 20), Zone: ny}, []relCase{
		{ast.OpToday, 0, span(utc(2020, 8, 17, 4, 0), utc(2020, 8, 18, 4, 0))},
		{ast.OpThisMonth, 0, span(utc(2020, 8, 1, 4, 0), utc(2020, 9, 1, 4, 0))},
		{ast.OpNextMonth, 0, span(utc(2020, 9, 1, 4, 0), utc(2020, 10, 1, 4, 0))},
		{ast.OpThisYear, 0, span(utc(2020, 1, 1, 5, 0), utc(2021, 1, 1, 5, 0))},
		{ast.OpLastXHours, 2, span(utc(2020, 8, 17, 11, 0), utc(2020, 8, 17, 13, 20))},
	})

	// Kiritimati (+14): 13:20 UTC on 17 Aug is 03:20 on 18 Aug locally.
	runRelative(t, Settings{Now: utc(2020, 8, 17, 13, 20), Zone: kiri}, []relCase{
		{ast.OpToday, 0, span(utc(2020, 8, 17, 10, 0), utc(2020, 8, 18, 10, 0))},
		{ast.OpYesterday, 0, span(utc(2020, 8, 16, 10, 0), utc(2020, 8, 17, 10, 0))},
		// 18 Aug is a Tuesday there, so the week began on Sunday 16 Aug local.
		{ast.OpThisWeek, 0, span(utc(2020, 8, 15, 10, 0), utc(2020, 8, 22, 10, 0))},
		{ast.OpOlderThanXDays, 1, upTo(utc(2020, 8, 16, 10, 0))},
	})
	// Pago Pago (−11): 05:00 UTC on 17 Aug is 18:00 on 16 Aug (a Sunday).
	runRelative(t, Settings{Now: utc(2020, 8, 17, 5, 0), Zone: pago}, []relCase{
		{ast.OpToday, 0, span(utc(2020, 8, 16, 11, 0), utc(2020, 8, 17, 11, 0))},
		{ast.OpThisWeek, 0, span(utc(2020, 8, 16, 11, 0), utc(2020, 8, 23, 11, 0))},
		{ast.OpTomorrow, 0, span(utc(2020, 8, 17, 11, 0), utc(2020, 8, 18, 11, 0))},
	})
	// New Year's Eve in UTC is already New Year's Day in Kiritimati.
	runRelative(t, Settings{Now: utc(2020, 12, 31, 12, 0), Zone: kiri}, []relCase{
		{ast.OpThisYear, 0, span(utc(2020, 12, 31, 10, 0), utc(2021, 12, 31, 10, 0))},
	})

	// Kolkata (+05:30): the current hour starts at a local full hour,
	// which is hh:30 in UTC.
	runRelative(t, Settings{Now: utc(2020, 8, 17, 13, 20), Zone: kolkata}, []relCase{
		// 13:20Z = 18:50 IST; H = 18:00 IST = 12:30Z.
		{ast.OpLastXHours, 1, span(utc(2020, 8, 17, 11, 30), utc(2020, 8, 17, 13, 20))},
		{ast.OpNextXHours, 1, span(utc(2020, 8, 17, 13, 20), utc(2020, 8, 17, 14, 30))},
		{ast.OpToday, 0, span(utc(2020, 8, 16, 18, 30), utc(2020, 8, 17, 18, 30))},
	})

	// Day literals are midnights in the zone.
	got, err := Day(ast.OpOn, time.Date(2020, 8, 17, 0, 0, 0, 0, time.UTC), Settings{Zone: london})
	if want := span(utc(2020, 8, 16, 23, 0), utc(2020, 8, 17, 23, 0)); err != nil || !same(got, want) {
		t.Errorf("on 2020-08-17 in London: %s, %v; want %s", got, err, want)
	}
	// The literal's own calendar date counts, not its instant in Zone.
	lit := time.Date(2020, 8, 17, 23, 30, 0, 0, zone(t, "Asia/Tokyo")) // 14:30Z on 17 Aug
	got, err = Day(ast.OpOnOrAfter, lit, Settings{Zone: ny})
	if want := onwards(utc(2020, 8, 17, 4, 0)); err != nil || !same(got, want) {
		t.Errorf("on-or-after %s in New York: %s, %v; want %s", lit, got, err, want)
	}
}

// DST: a calendar day is 23 or 25 hours long; hour operators count
// elapsed hours.
func TestDST(t *testing.T) {
	ny, london := zone(t, "America/New_York"), zone(t, "Europe/London")

	// New York spring forward, Sun 8 Mar 2020 02:00 EST → 03:00 EDT.
	s := Settings{Now: utc(2020, 3, 8, 16, 0), Zone: ny} // 12:00 EDT
	runRelative(t, s, []relCase{
		{ast.OpToday, 0, span(utc(2020, 3, 8, 5, 0), utc(2020, 3, 9, 4, 0))},
		{ast.OpYesterday, 0, span(utc(2020, 3, 7, 5, 0), utc(2020, 3, 8, 5, 0))},
		{ast.OpThisWeek, 0, span(utc(2020, 3, 8, 5, 0), utc(2020, 3, 15, 4, 0))},
		{ast.OpLastXDays, 1, span(utc(2020, 3, 7, 5, 0), utc(2020, 3, 8, 16, 0))},
		{ast.OpNextXDays, 1, span(utc(2020, 3, 8, 16, 0), utc(2020, 3, 10, 4, 0))},
	})
	if iv, _ := Relative(ast.OpToday, 0, s); iv.Hi.Sub(iv.Lo) != 23*time.Hour {
		t.Errorf("New York spring-forward day lasts %s, want 23h", iv.Hi.Sub(iv.Lo))
	}
	// 03:30 EDT: two elapsed hours back from 03:00 EDT is 00:00 EST.
	runRelative(t, Settings{Now: utc(2020, 3, 8, 7, 30), Zone: ny}, []relCase{
		{ast.OpLastXHours, 2, span(utc(2020, 3, 8, 5, 0), utc(2020, 3, 8, 7, 30))},
		{ast.OpOlderThanXHours, 1, upTo(utc(2020, 3, 8, 6, 0))},
	})

	// New York fall back, Sun 1 Nov 2020 02:00 EDT → 01:00 EST.
	s = Settings{Now: utc(2020, 11, 1, 17, 0), Zone: ny}
	runRelative(t, s, []relCase{
		{ast.OpToday, 0, span(utc(2020, 11, 1, 4, 0), utc(2020, 11, 2, 5, 0))},
	})
	if iv, _ := Relative(ast.OpToday, 0, s); iv.Hi.Sub(iv.Lo) != 25*time.Hour {
		t.Errorf("New York fall-back day lasts %s, want 25h", iv.Hi.Sub(iv.Lo))
	}
	// A month across the change: 1 Nov 00:00 EDT to 1 Dec 00:00 EST.
	runRelative(t, Settings{Now: utc(2020, 10, 15, 12, 0), Zone: ny}, []relCase{
		{ast.OpNextMonth, 0, span(utc(2020, 11, 1, 4, 0), utc(2020, 12, 1, 5, 0))},
	})

	// London spring forward, Sun 29 Mar 2020 01:00 GMT → 02:00 BST.
	s = Settings{Now: utc(2020, 3, 29, 12, 0), Zone: london}
	runRelative(t, s, []relCase{
		{ast.OpToday, 0, span(utc(2020, 3, 29, 0, 0), utc(2020, 3, 29, 23, 0))},
		{ast.OpTomorrow, 0, span(utc(2020, 3, 29, 23, 0), utc(2020, 3, 30, 23, 0))},
		{ast.OpThisMonth, 0, span(utc(2020, 3, 1, 0, 0), utc(2020, 3, 31, 23, 0))},
	})
	// London fall back, Sun 25 Oct 2020 02:00 BST → 01:00 GMT.
	s = Settings{Now: utc(2020, 10, 25, 12, 0), Zone: london}
	runRelative(t, s, []relCase{
		{ast.OpToday, 0, span(utc(2020, 10, 24, 23, 0), utc(2020, 10, 26, 0, 0))},
	})
	if iv, _ := Relative(ast.OpToday, 0, s); iv.Hi.Sub(iv.Lo) != 25*time.Hour {
		t.Errorf("London fall-back day lasts %s, want 25h", iv.Hi.Sub(iv.Lo))
	}
	// 01:30 GMT, the second pass through 01:xx: the current hour began at
	// 01:00 GMT, not at the first 01:00 (BST) an hour earlier.
	runRelative(t, Settings{Now: utc(2020, 10, 25, 1, 30), Zone: london}, []relCase{
		{ast.OpLastXHours, 1, span(utc(2020, 10, 25, 0, 0), utc(2020, 10, 25, 1, 30))},
		{ast.OpOlderThanXMinutes, 30, upTo(utc(2020, 10, 25, 1, 0))},
	})
}

// Zones where midnight or a whole day does not exist.
func TestMissingMidnight(t *testing.T) {
	santiago := zone(t, "America/Santiago")
	// Chile moved clocks from 00:00 −04 to 01:00 −03 on Sun 11 Sep 2022:
	// that day starts at 01:00 local (04:00Z) and lasts 23 hours.
	runRelative(t, Settings{Now: utc(2022, 9, 11, 15, 0), Zone: santiago}, []relCase{
		{ast.OpToday, 0, span(utc(2022, 9, 11, 4, 0), utc(2022, 9, 12, 3, 0))},
		{ast.OpYesterday, 0, span(utc(2022, 9, 10, 4, 0), utc(2022, 9, 11, 4, 0))},
		{ast.OpThisWeek, 0, span(utc(2022, 9, 11, 4, 0), utc(2022, 9, 18, 3, 0))},
	})
	// 23:30 on Sat 10 Sep is still "today" on the 10th.
	now := utc(2022, 9, 11, 3, 30)
	iv, err := Relative(ast.OpToday, 0, Settings{Now: now, Zone: santiago})
	if err != nil || !iv.Contains(now) {
		t.Errorf("today at 23:30 before a missing midnight = %s, %v; does not contain now", iv, err)
	}

	// Kiribati skipped 31 Dec 1994 entirely: "on" that date is empty, and
	// the neighbouring days touch.
	kiri := zone(t, "Pacific/Kiritimati")
	on := func(y int, m time.Month, d int) Interval {
		iv, err := Day(ast.OpOn, time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Settings{Zone: kiri})
		if err != nil {
			t.Fatal(err)
		}
		return iv
	}
	skipped, before, after := on(1994, 12, 31), on(1994, 12, 30), on(1995, 1, 1)
	if !skipped.Empty() || skipped.Lo != before.Hi || after.Lo != before.Hi {
		t.Errorf("Kiritimati 1994-12-30/31, 1995-01-01: %s %s %s", before, skipped, after)
	}
	if before.Hi.Sub(before.Lo) != 24*time.Hour || !after.Lo.Equal(utc(1994, 12, 31, 10, 0)) {
		t.Errorf("Kiritimati days around the skipped date: %s %s", before, after)
	}
}

func TestWall(t *testing.T) {
	cases := []struct {
		zone string
		d    date
		h    int
		want time.Time
	}{
		// Gaps resolve to the transition, whichever side time.Date picks.
		{"America/New_York", date{2020, 3, 8}, 2, utc(2020, 3, 8, 7, 0)},
		{"Europe/London", date{2020, 3, 29}, 1, utc(2020, 3, 29, 1, 0)},
		{"America/Santiago", date{2022, 9, 11}, 0, utc(2022, 9, 11, 4, 0)},
		{"Asia/Beirut", date{2020, 3, 29}, 0, utc(2020, 3, 28, 22, 0)},
		{"America/Havana", date{2020, 3, 8}, 0, utc(2020, 3, 8, 5, 0)},
		// Repeated times resolve to the first instance…
		{"America/New_York", date{2020, 11, 1}, 1, utc(2020, 11, 1, 5, 0)},
		{"Europe/London", date{2020, 10, 25}, 1, utc(2020, 10, 25, 0, 0)},
		{"America/Havana", date{2020, 11, 1}, 0, utc(2020, 11, 1, 4, 0)},
		// …unless the clock went back to before them in between: St.
		// John's went from 00:01 NDT back to 23:01 NST on 31 Oct 1999, so
		// the date is 31 Oct for good only from 00:00 NST.
		{"America/St_Johns", date{1999, 10, 31}, 0, time.Date(1999, 10, 31, 3, 30, 0, 0, time.UTC)},
		{"America/St_Johns", date{1999, 10, 30}, 0, time.Date(1999, 10, 30, 2, 30, 0, 0, time.UTC)},
		// Ordinary.
		{"UTC", date{2020, 8, 17}, 0, utc(2020, 8, 17, 0, 0)},
	}
	for _, c := range cases {
		got := wall(zone(t, c.zone), c.d, c.h, 0)
		if !got.Equal(c.want) {
			t.Errorf("wall(%s, %v, %02d:00) = %s, want %s", c.zone, c.d, c.h, got.UTC(), c.want)
		}
	}
	// 01:30 on the New York fall-back day: after the first 01:30 EDT the
	// clock shows 01:00 EST again, so 01:30 is reached for good at 01:30 EST.
	if got, want := wall(zone(t, "America/New_York"), date{2020, 11, 1}, 1, 30), utc(2020, 11, 1, 6, 30); !got.Equal(want) {
		t.Errorf("wall(New York, 2020-11-01 01:30) = %s, want %s", got.UTC(), want)
	}
	// St. John's: the late-evening hour after the 00:01 fall-back is still
	// "today" on 30 Oct, and 30 Oct lasts 25 hours.
	stj := zone(t, "America/St_Johns")
	now := time.Date(1999, 10, 31, 2, 51, 0, 0, time.UTC) // 23:21 NST on 30 Oct
	iv, err := Relative(ast.OpToday, 0, Settings{Now: now, Zone: stj})
	if want := span(time.Date(1999, 10, 30, 2, 30, 0, 0, time.UTC), time.Date(1999, 10, 31, 3, 30, 0, 0, time.UTC)); err != nil || !same(iv, want) {
		t.Errorf("St. John's today at 23:21 NST = %s, %v; want %s", iv, err, want)
	}
}

func TestIntervalMethods(t *testing.T) {
	a, b := utc(2020, 1, 1, 0, 0), utc(2020, 1, 2, 0, 0)
	iv := span(a, b)
	if !iv.Contains(a) || iv.Contains(b) || iv.Contains(a.Add(-1)) || !iv.Contains(b.Add(-1)) {
		t.Error("Contains is not half-open")
	}
	if !upTo(b).Contains(a) || upTo(b).Contains(b) || !onwards(a).Contains(b) || onwards(b).Contains(a) {
		t.Error("Contains with a missing bound")
	}
	if iv.Empty() || !span(a, a).Empty() || upTo(a).Empty() {
		t.Error("Empty")
	}
	if got := upTo(b).String(); got != "[-inf, 2020-01-02T00:00:00Z)" {
		t.Errorf("String = %q", got)
	}
	if got := onwards(a).String(); got != "[2020-01-01T00:00:00Z, +inf)" {
		t.Errorf("String = %q", got)
	}
}
