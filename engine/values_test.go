package engine

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

func TestConvert(t *testing.T) {
	ts := time.Date(2024, 5, 1, 15, 0, 0, 500, time.FixedZone("CEST", 2*3600))
	for _, tc := range []struct {
		name string
		in   any
		k    outKind
		want any
	}{
		{"nil", nil, outInt, nil},
		{"int64", int64(42), outInt, int64(42)},
		{"int bytes", []byte("42"), outInt, int64(42)},
		{"int decimal text", "2024.000000", outInt, int64(2024)},
		{"int float", float64(7), outInt, int64(7)},
		{"int garbage stays", "abc", outInt, "abc"},
		{"decimal pg", "1500000.5000", outDecimal, json.Number("1500000.5")},
		{"decimal mysql bytes", []byte("1000.0000"), outDecimal, json.Number("1000")},
		{"decimal sqlite real", 1000.5, outDecimal, json.Number("1000.5")},
		{"decimal sqlite int", int64(1000), outDecimal, json.Number("1000")},
		{"decimal float sum", 0.1 + 0.2, outDecimal, json.Number("0.3")},
		{"decimal negative zero", "-0.0000", outDecimal, json.Number("0")},
		{"decimal leading zeros", "+007.50", outDecimal, json.Number("7.5")},
		{"decimal exponent", "1.5e3", outDecimal, json.Number("1500")},
		{"decimal small", "0.0100", outDecimal, json.Number("0.01")},
		{"avg pg", "3333.3333333333333333", outAvg, json.Number("3333.3333")},
		{"avg sqlite", 10000.0 / 3, outAvg, json.Number("3333.3333")},
		{"avg mysql int", []byte("1.6667"), outAvg, json.Number("1.6667")},
		{"avg half away", "2.00005", outAvg, json.Number("2.0001")},
		{"avg negative", -2.5, outAvg, json.Number("-2.5")},
		{"avg integer", int64(3), outAvg, json.Number("3")},
		{"float", 47.60621, outFloat, 47.60621},
		{"float bytes", []byte("47.60621"), outFloat, 47.60621},
		{"bool pg", true, outBool, true},
		{"bool sqlite", int64(0), outBool, false},
		{"bool mysql text", []byte("1"), outBool, true},
		{"datetime time", ts, outDateTime, "2024-05-01T13:00:00Z"},
		{"datetime sqlite text", "2024-05-01 13:00:00", outDateTime, "2024-05-01T13:00:00Z"},
		{"datetime iso text", "2024-05-01T13:00:00Z", outDateTime, "2024-05-01T13:00:00Z"},
		{"datetime offset text", "2024-05-01 15:00:00+02:00", outDateTime, "2024-05-01T13:00:00Z"},
		{"date time", time.Date(1985, 7, 4, 0, 0, 0, 0, time.UTC), outDate, "1985-07-04"},
		{"date text", "1985-07-04", outDate, "1985-07-04"},
		{"guid upper braces", "{6F1C1A6B-2A33-4E8F-9B8A-0B6E2B8C1D01}", outGUID, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01"},
		{"guid bytes text", []byte("6F1C1A6B-2A33-4E8F-9B8A-0B6E2B8C1D01"), outGUID, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01"},
		{"guid binary", []byte{0x6f, 0x1c, 0x1a, 0x6b, 0x2a, 0x33, 0x4e, 0x8f, 0x9b, 0x8a, 0x0b, 0x6e, 0x2b, 0x8c, 0x1d, 0x01}, outGUID, "6f1c1a6b-2a33-4e8f-9b8a-0b6e2b8c1d01"},
		{"guid not a guid", int64(5), outGUID, int64(5)},
		{"multi", "1,3", outMulti, []int64{1, 3}},
		{"multi spaces", " 2 , 4 ", outMulti, []int64{2, 4}},
		{"multi empty", "", outMulti, nil},
		{"string bytes", []byte("Café"), outString, "Café"},
		{"generic bytes", []byte("x"), outGeneric, "x"},
		{"generic time", ts, outGeneric, "2024-05-01T13:00:00Z"},
		{"generic int", int64(3), outGeneric, int64(3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := convert(tc.in, tc.k)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("convert(%#v, %d) mismatch (-want +got):\n%s", tc.in, tc.k, diff)
			}
		})
	}
}

func TestColumnKind(t *testing.T) {
	money := &plan.Column{LogicalName: "revenue", Type: plan.TMoney}
	date := &plan.Column{LogicalName: "birthdate", Type: plan.TDateTime, DateBehavior: plan.DateOnly}
	for _, tc := range []struct {
		oc   *plan.OutputColumn
		want outKind
	}{
		{nil, outGeneric},
		{&plan.OutputColumn{Name: "n", Aggregate: ast.Count}, outInt},
		{&plan.OutputColumn{Name: "n", Aggregate: ast.CountColumn, Column: money}, outInt},
		{&plan.OutputColumn{Name: "a", Aggregate: ast.Avg, Column: money}, outAvg},
		{&plan.OutputColumn{Name: "s", Aggregate: ast.Sum, Column: money}, outDecimal},
		{&plan.OutputColumn{Name: "y", GroupBy: true, DateGrouping: ast.Year, Column: date}, outInt},
		{&plan.OutputColumn{Name: "fy", GroupBy: true, DateGrouping: ast.FiscalYear, Column: date}, outFiscalYear},
		{&plan.OutputColumn{Name: "fp", GroupBy: true, DateGrouping: ast.FiscalPeriod, Column: date}, outFiscalPeriod},
		{&plan.OutputColumn{Name: "birthdate", Column: date}, outDate},
		{&plan.OutputColumn{Name: "x", Column: &plan.Column{LogicalName: "x"}}, outGeneric},
		{&plan.OutputColumn{Name: "t", Column: &plan.Column{LogicalName: "t", Type: plan.TMultiSelectPicklist}}, outMulti},
		{&plan.OutputColumn{Name: "o", Column: &plan.Column{LogicalName: "o", Type: plan.TOwner}}, outGUID},
		{&plan.OutputColumn{Name: "s", Column: &plan.Column{LogicalName: "s", Type: plan.TStatus}}, outInt},
	} {
		if got := columnKind(tc.oc); got != tc.want {
			t.Errorf("columnKind(%+v) = %d, want %d", tc.oc, got, tc.want)
		}
	}
}

func TestCanonicalDecimal(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "1.": "1", ".5": "0.5", "-.50": "-0.5", "00": "0", "12.3400": "12.34"} {
		if got, ok := canonicalDecimal(in); !ok || got != want {
			t.Errorf("canonicalDecimal(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", ".", "-", "1.2.3", "1,5", "abc", "1e"} {
		if got, ok := canonicalDecimal(bad); ok {
			t.Errorf("canonicalDecimal(%q) = %q, want failure", bad, got)
		}
	}
	if _, ok := toDecimal(math.NaN()); ok {
		t.Error("NaN must not convert to a decimal")
	}
}

func TestFiscalLabel(t *testing.T) {
	q := &plan.OutputColumn{Fiscal: &plan.Fiscal{Start: time.Date(2000, 4, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2002}}
	m := &plan.OutputColumn{Fiscal: &plan.Fiscal{Start: time.Date(2000, 7, 1, 0, 0, 0, 0, time.UTC), PeriodType: 2003}}
	for _, tc := range []struct {
		v    any
		k    outKind
		oc   *plan.OutputColumn
		want any
	}{
		{int64(2023), outFiscalYear, q, "FY2023"},
		{int64(202301), outFiscalPeriod, q, "Quarter 1 FY2023"},
		{int64(202404), outFiscalPeriod, q, "Quarter 4 FY2024"},
		{[]byte("202502"), outFiscalPeriod, m, "August FY2025"},
		{int64(202399), outFiscalPeriod, q, int64(202399)}, // out of range: the raw key
		{nil, outFiscalYear, q, nil},
	} {
		if got := fiscalLabel(tc.v, tc.k, tc.oc); got != tc.want {
			t.Errorf("fiscalLabel(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
