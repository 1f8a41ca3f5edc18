package calendar

import (
	"fmt"
	"slices"
	"strconv"
)

// Fiscal period label formats (Organization.FiscalPeriodFormatPeriod).
const (
	FormatQuarter   = 1 // "Quarter {0}"
	FormatQ         = 2 // "Q{0}"
	FormatP         = 3 // "P{0}"
	FormatMonth     = 4 // "Month {0}"
	FormatM         = 5 // "M{0}"
	FormatSemester  = 6 // "Semester {0}"
	FormatMonthName = 7 // the name of the month, e.g. "April"
)

// periodFormats lists, per period type, the formats Dataverse's fiscal
// settings dialog offers; the first is the one it preselects.
var periodFormats = map[int][]int{
	PeriodAnnual:     {FormatP},
	PeriodSemiAnnual: {FormatSemester, FormatP},
	PeriodQuarterly:  {FormatQuarter, FormatQ, FormatP},
	PeriodMonthly:    {FormatMonthName, FormatMonth, FormatM, FormatP},
	PeriodFourWeekly: {FormatP},
}

// FiscalYearLabel is the label of a fiscal-year date grouping: "FY2023".
// It uses Dataverse's default year format (prefix "FY", four-digit year,
// no suffix).
func FiscalYearLabel(year int64) string { return "FY" + strconv.FormatInt(year, 10) }

// FiscalPeriodLabel is the label of a fiscal-period date grouping: the
// period in f.PeriodFormat (default: the format Dataverse preselects for
// the period type), a space, and FiscalYearLabel(year), e.g.
//
//	quarterly     "Quarter 1 FY2023"
//	semi-annual   "Semester 1 FY2023"
//	monthly       "April FY2023" (name of the calendar month the period starts in)
//	annual        "P1 FY2023"
//	four-weekly   "P13 FY2023"
func FiscalPeriodLabel(period, year int64, f Fiscal) (string, error) {
	if err := f.Validate(); err != nil {
		return "", err
	}
	n := f.Periods()
	if period < 1 || period > int64(n) {
		return "", fmt.Errorf("calendar: fiscal period %d is out of range for %s fiscal periods (valid: 1–%d)", period, f.periodName(), n)
	}
	allowed := periodFormats[f.PeriodType]
	format := f.PeriodFormat
	if format == 0 {
		format = allowed[0]
	}
	var p string
	switch format {
	case FormatQuarter:
		p = "Quarter " + strconv.FormatInt(period, 10)
	case FormatQ:
		p = "Q" + strconv.FormatInt(period, 10)
	case FormatP:
		p = "P" + strconv.FormatInt(period, 10)
	case FormatMonth:
		p = "Month " + strconv.FormatInt(period, 10)
	case FormatM:
		p = "M" + strconv.FormatInt(period, 10)
	case FormatSemester:
		p = "Semester " + strconv.FormatInt(period, 10)
	case FormatMonthName:
		fc := &fiscalCal{Fiscal: f, n: n}
		p = fc.periodStart(int(period), 2001).m.String()
	}
	if p == "" || !slices.Contains(allowed, format) {
		return "", fmt.Errorf("calendar: fiscal period format %d is not available for %s fiscal periods", f.PeriodFormat, f.periodName())
	}
	return p + " " + FiscalYearLabel(year), nil
}
