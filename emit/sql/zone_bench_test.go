package sql

import (
	"fmt"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// zoneGroupingPlan is Microsoft Learn's date-grouping example (year,
// quarter, month, week, day of createdon) in America/New_York.
func zoneGroupingPlan(t *plan.Table) *plan.Plan {
	ny, _ := time.LoadLocation("America/New_York")
	a := root("account", t)
	cols := []*plan.OutputColumn{{Name: "n", Source: a, Aggregate: ast.Count}}
	for _, g := range []ast.DateGrouping{ast.Year, ast.Quarter, ast.Month, ast.Week, ast.Day} {
		cols = append(cols, &plan.OutputColumn{Name: fmt.Sprint(g), Source: a, Column: column(t, "createdon"), GroupBy: true, DateGrouping: g, Zone: ny})
	}
	return &plan.Plan{Root: a, Aggregate: true, Columns: cols}
}

// BenchmarkZoneGrouping compares SQLite's native zone conversion
// (vecompile_local) with the offset CASE over the zone's transitions: the
// statement's size and parameters, the time to emit it, and the time to
// run it over 5,000 rows; and SQL Server's AT TIME ZONE with its offset
// CASE (size, parameters and time to emit).
func BenchmarkZoneGrouping(b *testing.B) {
	caseCaps := SQLite.Caps()
	caseCaps.Flags &^= ZoneFunction
	db := openSQLite(b)
	prefix := uniquePrefix()
	f := newFixture(prefix)
	if _, err := db.Exec("CREATE TABLE " + q(SQLite, prefix+"account") + " (accountid TEXT PRIMARY KEY, createdon TEXT)"); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tx, _ := db.Begin()
	for i := 0; i < 5000; i++ {
		at := start.Add(time.Duration(i) * 7 * time.Hour).Format(sqliteTime)
		if _, err := tx.Exec("INSERT INTO "+q(SQLite, prefix+"account")+" VALUES (?, ?)", id(i), at); err != nil {
			b.Fatal(err)
		}
	}
	tx.Commit()
	cols := []*plan.Column{{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "createdon", Type: plan.TDateTime}}
	tbl := plan.NewTable(plan.Table{LogicalName: "account", PhysicalName: f.account.PhysicalName, PrimaryKey: "accountid", Columns: cols})
	p := zoneGroupingPlan(tbl)
	// SQL Server runs nowhere here: its statement is only emitted, with
	// AT TIME ZONE and with the offset CASE.
	tsqlCase := SQLServer.Caps()
	tsqlCase.Flags &^= ZoneWindows
	for _, d := range []Dialect{SQLServer, &DialectSpec{"sqlserver-case", tsqlCase}} {
		benchEmit(b, p, d)
	}
	for _, d := range []Dialect{SQLite, &DialectSpec{"sqlite-case", caseCaps}} {
		st := benchEmit(b, p, d)
		b.Run(d.Name()+"/run", func(b *testing.B) {
			for b.Loop() {
				rows, err := db.Query(st.SQL, st.Args...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
	}
}

// benchEmit emits p once for its size and parameters, then times emitting
// it in a sub-benchmark that reports them.
func benchEmit(b *testing.B, p *plan.Plan, d Dialect) *Statement {
	st, err := Emit(p, d)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(d.Name()+"/emit", func(b *testing.B) {
		for b.Loop() {
			if _, err := Emit(p, d); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(st.SQL)), "sql-bytes")
		b.ReportMetric(float64(len(st.Args)), "params")
	})
	return st
}
