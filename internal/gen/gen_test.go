package gen

import (
	"math/rand"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/refeval"
)

// TestCoverage checks that a fixed-seed run of the size internal/prove
// uses (12 datasets × 60 queries) draws every operator, link type,
// aggregate and date grouping the harness claims to test.
func TestCoverage(t *testing.T) {
	ops := map[ast.Operator]int{}
	links := map[ast.LinkType]int{}
	aggs := map[ast.AggregateFunc]int{}
	groupings := map[ast.DateGrouping]int{}
	var walkFilter func(f *ast.Filter)
	var walkBody func(b *ast.Body)
	walkFilter = func(f *ast.Filter) {
		for _, it := range f.Items {
			switch it := it.(type) {
			case *ast.Condition:
				ops[it.Operator]++
			case *ast.Filter:
				walkFilter(it)
			case *ast.LinkEntity:
				links[it.LinkType]++
				walkBody(&it.Body)
			}
		}
	}
	walkBody = func(b *ast.Body) {
		for _, a := range b.Attributes {
			aggs[a.Aggregate]++
			groupings[a.DateGrouping]++
		}
		for _, f := range b.Filters {
			walkFilter(f)
		}
		for _, l := range b.Links {
			links[l.LinkType]++
			walkBody(&l.Body)
		}
	}
	// Fiscal calendars whose datasets' queries test periods per row
	// (in-fiscal-period, fiscal-period grouping), by kind.
	calendars := map[string]int{}
	r := rand.New(rand.NewSource(20261122))
	for d := 0; d < 32; d++ {
		ds := NewDataset(r)
		before := ops[ast.OpInFiscalPeriod] + groupings[ast.FiscalPeriod]
		for i := 0; i < 60; i++ {
			walkBody(&NewQuery(r, ds).Entity.Body)
		}
		if ops[ast.OpInFiscalPeriod]+groupings[ast.FiscalPeriod] > before {
			calendars[calendarKind(ds.Env.Fiscal)]++
		}
	}
	for _, k := range []string{"day 1", "mid-month", "29th-31st", "four-weekly"} {
		if calendars[k] == 0 {
			t.Errorf("no dataset with a %s fiscal calendar tests fiscal periods per row (%v)", k, calendars)
		}
	}
	for op := ast.OpEq; op <= ast.OpNotContainValues; op++ {
		if ops[op] == 0 {
			t.Errorf("operator %s is never generated", op)
		}
	}
	for _, lt := range []ast.LinkType{ast.Inner, ast.Outer, ast.MatchFirstRowUsingCrossApply, ast.In, ast.Exists, ast.Any, ast.NotAny, ast.All, ast.NotAll} {
		if links[lt] == 0 {
			t.Errorf("link type %s is never generated", lt)
		}
	}
	for _, a := range []ast.AggregateFunc{ast.Count, ast.CountColumn, ast.Sum, ast.Avg, ast.Min, ast.Max} {
		if aggs[a] == 0 {
			t.Errorf("aggregate %s is never generated", a)
		}
	}
	for _, g := range []ast.DateGrouping{ast.Day, ast.Week, ast.Month, ast.Quarter, ast.Year, ast.FiscalPeriod, ast.FiscalYear} {
		if groupings[g] == 0 {
			t.Errorf("date grouping %s is never generated", g)
		}
	}
}

func calendarKind(f *refeval.Fiscal) string {
	switch {
	case f.PeriodType == 2004:
		return "four-weekly"
	case f.StartDay >= 29:
		return "29th-31st"
	case f.StartDay > 1:
		return "mid-month"
	}
	return "day 1"
}
