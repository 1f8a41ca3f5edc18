package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/plan/calendar"
)

// fiscalCalendars are the calendars the per-row fiscal tests run: starts
// mid-month, on the 29th–31st (month-end clamping), in January and
// February (the previous year's 29 February counts), on 31 December, and
// four-weekly ones (period 13 holds the 1–2 leftover days); one day-1
// calendar checks the month-CASE path alike.
var fiscalCalendars = []plan.Fiscal{
	{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodQuarterly},
	{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodMonthly},
	{Start: time.Date(2000, 1, 31, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodMonthly},
	{Start: time.Date(2000, 3, 30, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodMonthly},
	{Start: time.Date(2000, 5, 29, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodMonthly},
	{Start: time.Date(2000, 8, 31, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodSemiAnnual},
	{Start: time.Date(2000, 2, 28, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodQuarterly},
	{Start: time.Date(2000, 7, 15, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodAnnual},
	{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 4, 6, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 2, 15, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 1, 20, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 3, 1, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 12, 31, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodFourWeekly},
	{Start: time.Date(2000, 10, 1, 0, 0, 0, 0, time.UTC), PeriodType: calendar.PeriodQuarterly},
}

// fiscalInstants are stored (UTC) values: every day of 2023–2025 (2024 is
// a leap year) and of late February 2000 (a leap year) and 2100 (not), at
// 00:30 and 23:30 UTC, so that in zones east and west of UTC the local
// date differs from the UTC one on either side of every boundary.
func fiscalInstants() []time.Time {
	var ts []time.Time
	days := func(from, to time.Time) {
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			ts = append(ts, d.Add(30*time.Minute), d.Add(23*time.Hour+30*time.Minute))
		}
	}
	days(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
	days(time.Date(2000, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2000, 3, 10, 0, 0, 0, 0, time.UTC))
	days(time.Date(2100, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2100, 3, 10, 0, 0, 0, 0, time.UTC))
	return ts
}

// loadFiscal creates the table "fday" (id, ts) holding fiscalInstants and
// a NULL.
func loadFiscal(t *testing.T, tdb *testDB) (*plan.Table, []time.Time) {
	ty := tdb.types()
	name := tdb.prefix + "fday"
	if _, err := tdb.db.Exec("CREATE TABLE " + q(tdb.d, name) + " (id " + ty.int + " PRIMARY KEY, ts " + ty.dt + ")" + ty.tableSuffix); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = tdb.db.Exec("DROP TABLE IF EXISTS " + q(tdb.d, name)) })
	ts := fiscalInstants()
	rows := []string{"(0, NULL)"}
	for i, x := range ts {
		rows = append(rows, fmt.Sprintf("(%d, '%s')", i+1, x.Format("2006-01-02 15:04:05")))
	}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		if _, err := tdb.db.Exec("INSERT INTO " + q(tdb.d, name) + " VALUES " + strings.Join(rows[:n], ", ")); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
	tbl := plan.NewTable(plan.Table{LogicalName: "fday", PhysicalName: name, PrimaryKey: "id",
		Columns: []*plan.Column{{LogicalName: "id", Type: plan.TInteger}, {LogicalName: "ts", Type: plan.TDateTime}}})
	return tbl, ts
}

// TestExecuteFiscal compares, per row, the fiscal period and year each
// engine computes (grouping keys, in-fiscal-period filters) with
// calendar.FiscalPeriodOf, for every calendar in three zones.
func TestExecuteFiscal(t *testing.T) {
	zones := []*time.Location{time.UTC, zone("America/New_York"), zone("Australia/Lord_Howe")}
	engines(t, func(t *testing.T, tdb *testDB) {
		tbl, ts := loadFiscal(t, tdb)
		for _, f := range fiscalCalendars {
			for _, z := range zones {
				t.Run(fmt.Sprintf("%s-%d/%s", f.Start.Format("01-02"), f.PeriodType, z), func(t *testing.T) {
					fiscalRows(t, tdb, tbl, ts, f, z)
				})
			}
		}
	})
}

func fiscalRows(t *testing.T, tdb *testDB, tbl *plan.Table, ts []time.Time, f plan.Fiscal, z *time.Location) {
	cf := calendar.Fiscal{StartMonth: f.Start.Month(), StartDay: f.Start.Day(), PeriodType: f.PeriodType}
	s := calendar.Settings{Zone: z, Fiscal: &cf}
	// Expected: per id, the key year*100+period and the year; per period,
	// the ids in it.
	want := [][]string{{"0", "NULL", "NULL"}}
	byPeriod := map[int64][]string{}
	for i, x := range ts {
		p, y, err := calendar.FiscalPeriodOf(x, s)
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.Itoa(i + 1)
		want = append(want, []string{id, strconv.FormatInt(y*100+p, 10), strconv.FormatInt(y, 10)})
		byPeriod[p] = append(byPeriod[p], id)
	}

	a := root("fday", tbl)
	fc := f
	idc := &plan.OutputColumn{Name: "id", Source: a, Column: column(tbl, "id"), GroupBy: true}
	key := &plan.OutputColumn{Name: "fp", Source: a, Column: column(tbl, "ts"), GroupBy: true, DateGrouping: ast.FiscalPeriod, Zone: z, Fiscal: &fc}
	year := &plan.OutputColumn{Name: "fy", Source: a, Column: column(tbl, "ts"), GroupBy: true, DateGrouping: ast.FiscalYear, Zone: z, Fiscal: &fc}
	n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
	p := &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{idc, key, year, n}}
	st, err := Emit(p, tdb.d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tdb.query(st)
	if err != nil {
		t.Fatalf("%v\n%.2000s", err, st.SQL)
	}
	for i := range got {
		got[i] = got[i][:3] // drop the count (1 per id)
	}
	if !sameRows(want, got, false) {
		t.Errorf("grouping keys differ:\n%s\n%.2000s", diffRows(want, got), st.SQL)
	}

	// in-fiscal-period P, for every period and one past the last.
	for period := int64(1); period <= int64(cf.Periods()); period++ {
		r := root("fday", tbl)
		part := &plan.DatePart{Part: plan.PartFiscalPeriod, Col: ref(r, "ts"), Zone: z, Fiscal: &fc}
		r.Filter = &plan.PartIn{Part: part, Values: []int64{period}}
		st, err := Emit(&plan.Plan{Root: r, Columns: outs(r, "id")}, tdb.d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tdb.query(st)
		if err != nil {
			t.Fatalf("%v\n%.2000s", err, st.SQL)
		}
		w := col1(byPeriod[period]...)
		if !sameRows(w, got, false) {
			t.Errorf("in-fiscal-period %d: got %d rows, want %d\n%s", period, len(got), len(w), diffRows(w, got))
		}
	}
}

// diffRows lists up to 10 rows present on one side only.
func diffRows(want, got [][]string) string {
	key := func(r []string) string { return strings.Join(r, " ") }
	w, g := map[string]bool{}, map[string]bool{}
	for _, r := range want {
		w[key(r)] = true
	}
	for _, r := range got {
		g[key(r)] = true
	}
	var out []string
	for k := range w {
		if !g[k] {
			out = append(out, "missing "+k)
		}
	}
	for k := range g {
		if !w[k] {
			out = append(out, "unexpected "+k)
		}
	}
	slices.Sort(out)
	if len(out) > 10 {
		out = append(out[:10], "…")
	}
	return strings.Join(out, "\n")
}
