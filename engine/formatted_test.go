package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vecompile/vecompile/plan"
)

func TestFormatterPerTypeAndLanguage(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	choice := &plan.Column{LogicalName: "industrycode", Type: plan.TPicklist, Options: []plan.Option{{Value: 1, Label: "Accounting"}, {Value: 8, Label: "Technology"}}}
	multi := &plan.Column{LogicalName: "new_tags", Type: plan.TMultiSelectPicklist, Options: []plan.Option{{Value: 1, Label: "Strategic"}, {Value: 2, Label: "Partner"}}}
	yesNo := &plan.Column{LogicalName: "donotemail", Type: plan.TBoolean}
	allow := &plan.Column{LogicalName: "donotemail", Type: plan.TBoolean, Options: []plan.Option{{Value: 0, Label: "Allow"}, {Value: 1, Label: "Do Not Allow"}}}
	money := &plan.Column{LogicalName: "revenue", Type: plan.TMoney, Precision: 4, HasPrecision: true}
	whole := &plan.Column{LogicalName: "numberofemployees", Type: plan.TInteger}
	dec := &plan.Column{LogicalName: "discount", Type: plan.TDecimal}
	dbl := &plan.Column{LogicalName: "lat", Type: plan.TDouble, Precision: 5, HasPrecision: true}
	local := &plan.Column{LogicalName: "createdon", Type: plan.TDateTime}
	dateOnly := &plan.Column{LogicalName: "birthdate", Type: plan.TDateTime, DateBehavior: plan.DateOnly}
	tzi := &plan.Column{LogicalName: "new_contractend", Type: plan.TDateTime, DateBehavior: plan.TimeZoneIndependent}
	owner := &plan.Column{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}}
	text := &plan.Column{LogicalName: "name", Type: plan.TString}
	big := &plan.Column{LogicalName: "versionnumber", Type: plan.TBigInt}

	cases := []struct {
		lcid int64
		zone *time.Location
		col  *plan.Column
		fld  Field
		want string // "" with none: no formatted value
		none bool
	}{
		{1033, nil, choice, Field{Value: int64(8)}, "Technology", false},
		{1033, nil, choice, Field{Value: int64(99)}, "", true},
		{1033, nil, multi, Field{Value: []int64{2, 1}}, "Partner; Strategic", false},
		{1033, nil, multi, Field{Value: []int64{1, 7}}, "", true},
		{1033, nil, yesNo, Field{Value: true}, "Yes", false},
		{1033, nil, yesNo, Field{Value: false}, "No", false},
		{1033, nil, allow, Field{Value: true}, "Do Not Allow", false},
		{1033, nil, money, Field{Value: json.Number("1234.5")}, "$1,234.50", false},
		{1033, nil, money, Field{Value: json.Number("-1234.505")}, "-$1,234.51", false},
		{1033, nil, money, Field{Value: json.Number("-0.001")}, "$0.00", false},
		{1033, nil, money, Field{Value: 1234567.125}, "$1,234,567.13", false},
		{1031, nil, money, Field{Value: json.Number("1234.5")}, "1.234,50 $", false},
		{1036, nil, money, Field{Value: json.Number("1234567.5")}, "1\u00a0234\u00a0567,50 $", false},
		{1041, nil, money, Field{Value: json.Number("1234.5")}, "$1,234.50", false},
		{1033, nil, whole, Field{Value: int64(1234567)}, "1,234,567", false},
		{1033, nil, whole, Field{Value: int64(-1000)}, "-1,000", false},
		{3082, nil, whole, Field{Value: int64(1234)}, "1.234", false},
		{1053, nil, whole, Field{Value: int64(1234)}, "1\u00a0234", false},
		{1033, nil, dec, Field{Value: json.Number("12.345")}, "12.35", false},
		{1033, nil, dbl, Field{Value: 47.60621}, "47.60621", false},
		{1031, nil, dbl, Field{Value: 1047.6}, "1.047,60000", false},
		{1033, pacific, local, Field{Value: "2024-01-10T09:15:00Z"}, "1/10/2024 1:15 AM", false},
		{1033, time.UTC, local, Field{Value: "2024-07-04T12:05:00Z"}, "7/4/2024 12:05 PM", false},
		{1033, time.UTC, local, Field{Value: "2024-07-04T00:05:00Z"}, "7/4/2024 12:05 AM", false},
		{2057, paris, local, Field{Value: "2024-07-04T22:30:00Z"}, "05/07/2024 00:30", false},
		{1031, paris, local, Field{Value: "2024-01-04T08:05:00Z"}, "04.01.2024 09:05", false},
		{1036, paris, local, Field{Value: "2024-01-04T08:05:00Z"}, "04/01/2024 09:05", false},
		{3082, paris, local, Field{Value: "2024-01-04T08:05:00Z"}, "04/01/2024 9:05", false},
		{1053, paris, local, Field{Value: "2024-01-04T08:05:00Z"}, "2024-01-04 09:05", false},
		{1041, paris, local, Field{Value: "2024-01-04T08:05:00Z"}, "2024/01/04 9:05", false},
		{1033, paris, dateOnly, Field{Value: "1990-02-03"}, "2/3/1990", false},
		{1031, paris, dateOnly, Field{Value: "1990-02-03"}, "03.02.1990", false},
		{1033, paris, tzi, Field{Value: "2026-12-31T23:00:00Z"}, "12/31/2026 11:00 PM", false},
		// An unknown language formats as en-US (DefaultLCID).
		{9999, nil, whole, Field{Value: int64(1234)}, "1,234", false},
		{0, nil, local, Field{Value: "2024-07-04T12:05:00Z"}, "7/4/2024 12:05 PM", false},
		{1033, nil, owner, Field{Value: "g", Related: &Related{Name: "Priya Patel", HasName: true, Table: "systemuser"}}, "Priya Patel", false},
		{1033, nil, owner, Field{Value: "g"}, "", true},
		{1033, nil, text, Field{Value: "Contoso"}, "", true},
		{1033, nil, big, Field{Value: int64(1234)}, "", true},
		{1033, nil, choice, Field{}, "", true},
	}
	for _, c := range cases {
		f := NewFormatter(c.lcid, c.zone)
		got, ok := f.Value(c.col, c.fld)
		if c.none {
			if ok && got.HasValue {
				t.Errorf("%d %s %v: got %q, want no formatted value", c.lcid, c.col.LogicalName, c.fld.Value, got.Value)
			}
			continue
		}
		if !ok || !got.HasValue || got.Value != c.want {
			t.Errorf("%d %s %v: got %q (%v), want %q", c.lcid, c.col.LogicalName, c.fld.Value, got.Value, ok, c.want)
		}
	}
}

func TestFormatterLookup(t *testing.T) {
	f := NewFormatter(1033, nil)
	owner := &plan.Column{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}}
	got, ok := f.Value(owner, Field{Value: "g", Related: &Related{Name: "Sales Europe", HasName: true, Table: "team"}})
	if !ok || got.Value != "Sales Europe" || got.LookupLogicalName != "team" {
		t.Errorf("team owner: got %+v", got)
	}
	// A name column security hides: no formatted value, the table still
	// known.
	got, ok = f.Value(owner, Field{Value: "g", Related: &Related{Table: "systemuser"}})
	if !ok || got.HasValue || got.LookupLogicalName != "systemuser" {
		t.Errorf("hidden name: got %+v", got)
	}
	if !KnownLCID(1041) || KnownLCID(1049) {
		t.Error("KnownLCID")
	}
}

func TestZoneOfCode(t *testing.T) {
	for code, want := range map[int64]string{4: "America/Los_Angeles", 35: "America/New_York", 85: "Europe/London", 105: "Europe/Paris", 110: "Europe/Berlin", 235: "Asia/Tokyo"} {
		loc, ok := ZoneOfCode(code)
		if !ok || loc.String() != want {
			t.Errorf("code %d: got %v %v, want %s", code, loc, ok, want)
		}
	}
	if _, ok := ZoneOfCode(-7); ok {
		t.Error("unknown code -7 resolved")
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "東京": 4, "ｱ": 1, "Ａ": 2, "e\u0301": 1, "Émilie": 6, "한국어": 6} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}
