package calendar

import (
	"strings"
	"testing"
	"time"
)

func TestFiscalLabels(t *testing.T) {
	if got := FiscalYearLabel(2023); got != "FY2023" {
		t.Errorf("FiscalYearLabel(2023) = %q", got)
	}
	withFormat := func(f *Fiscal, format int) Fiscal { g := *f; g.PeriodFormat = format; return g }
	quarterly := fiscal(time.April, 1, PeriodQuarterly)
	monthly := fiscal(time.April, 1, PeriodMonthly)
	cases := []struct {
		f         Fiscal
		p, y      int64
		want, err string
	}{
		// Defaults: what Dataverse's fiscal settings preselect per type.
		{*quarterly, 1, 2023, "Quarter 1 FY2023", ""}, // the documented example
		{*fiscal(time.October, 1, PeriodSemiAnnual), 2, 2020, "Semester 2 FY2020", ""},
		{*monthly, 1, 2023, "April FY2023", ""},
		{*monthly, 10, 2023, "January FY2023", ""},
		{*fiscal(time.January, 31, PeriodMonthly), 2, 2021, "February FY2021", ""},
		{*fiscal(time.January, 1, PeriodAnnual), 1, 2023, "P1 FY2023", ""},
		{*fiscal(time.January, 1, PeriodFourWeekly), 13, 2023, "P13 FY2023", ""},
		// Explicit formats.
		{withFormat(quarterly, FormatQ), 3, 2023, "Q3 FY2023", ""},
		{withFormat(quarterly, FormatP), 2, 2023, "P2 FY2023", ""},
		{withFormat(monthly, FormatMonth), 4, 2023, "Month 4 FY2023", ""},
		{withFormat(monthly, FormatM), 12, 2023, "M12 FY2023", ""},
		{withFormat(fiscal(time.July, 1, PeriodSemiAnnual), FormatP), 1, 2023, "P1 FY2023", ""},
		// Errors.
		{*quarterly, 5, 2023, "", "valid: 1–4"},
		{*quarterly, 0, 2023, "", "valid: 1–4"},
		{withFormat(quarterly, FormatSemester), 1, 2023, "", "format 6 is not available for quarterly"},
		{withFormat(quarterly, 9), 1, 2023, "", "format 9 is not available"},
		{Fiscal{}, 1, 2023, "", "unknown fiscal period type"},
	}
	for _, c := range cases {
		got, err := FiscalPeriodLabel(c.p, c.y, c.f)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("FiscalPeriodLabel(%d, %d, %+v) error = %v, want %q", c.p, c.y, c.f, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("FiscalPeriodLabel(%d, %d, %+v) = %q, %v; want %q", c.p, c.y, c.f, got, err, c.want)
		}
	}
}
