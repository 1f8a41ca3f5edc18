package engine

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/vecompile/vecompile/plan/calendar"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// outKind is how one result column's values are typed.
type outKind uint8

const (
	outGeneric      outKind = iota // untyped: driver values, []byte as text, times as ISO-8601
	outString                      // string
	outInt                         // int64
	outDecimal                     // json.Number, exact digits
	outAvg                         // json.Number rounded to AvgScale places
	outFloat                       // float64
	outBool                        // bool
	outDateTime                    // "2006-01-02T15:04:05Z"
	outDate                        // "2006-01-02"
	outGUID                        // lower-case canonical GUID
	outIntKey                      // an integer key as its GUID (plan.IntKeyGUID)
	outKeyMap                      // a string or composite key's tuple as its id (plan.KeyMapGUID), recorded in its key map
	outMulti                       // []int64
	outFiscalYear                  // key fiscal year → "FY2023"
	outFiscalPeriod                // key year*100+period → "Quarter 1 FY2023"
)

// AvgScale is the number of decimal places avg aggregates are rounded to
// (half away from zero), so that every engine returns the same digits:
// MySQL computes AVG over integers to 4 places, SQLite in floating point.
const AvgScale = 4

// columnKind decides how an output column's values are typed.
func columnKind(oc *plan.OutputColumn) outKind {
	if oc == nil {
		return outGeneric
	}
	if oc.RowAggregate != nil {
		return outInt // rowaggregate CountChildren
	}
	switch oc.Aggregate {
	case ast.Count, ast.CountColumn:
		return outInt
	case ast.Avg:
		return outAvg
	}
	switch oc.DateGrouping {
	case ast.NoDateGrouping:
	case ast.FiscalPeriod:
		return outFiscalPeriod
	case ast.FiscalYear:
		return outFiscalYear
	default:
		return outInt
	}
	if oc.Column == nil {
		if oc.Aggregate != ast.NoAggregate {
			return outInt
		}
		return outGeneric
	}
	if oc.Column.Key != nil {
		return outKeyMap
	}
	if oc.Column.Type.Kind() == plan.KGuid && oc.Column.Guid == plan.GuidInteger {
		return outIntKey
	}
	return typeKind(oc.Column.Type, oc.Column.DateBehavior)
}

func typeKind(t plan.Type, b plan.DateBehavior) outKind {
	switch t.Kind() {
	case plan.KString:
		return outString
	case plan.KInt:
		return outInt
	case plan.KDecimal:
		return outDecimal
	case plan.KFloat:
		return outFloat
	case plan.KBool:
		return outBool
	case plan.KDateTime:
		if b == plan.DateOnly {
			return outDate
		}
		return outDateTime
	case plan.KGuid:
		return outGUID
	case plan.KMulti:
		return outMulti
	}
	return outGeneric
}

// convert types one driver value. Values that do not fit the column type
// (possible in SQLite, which stores anything anywhere) are returned as
// generic values rather than failing the query.
func convert(v any, k outKind) any {
	if v == nil {
		return nil
	}
	// A value the driver already gives in the output's type is returned
	// as it came: converting it would only box it again (an allocation
	// per value).
	switch x := v.(type) {
	case string:
		if k == outString {
			return v
		}
		if k == outGUID {
			if g, ok := plan.CanonicalGUID(x); ok && g == x {
				return v
			}
		}
	case int64:
		if k == outInt {
			return v
		}
	case float64:
		if k == outFloat {
			return v
		}
	case bool:
		if k == outBool {
			return v
		}
	}
	var (
		out any
		ok  bool
	)
	switch k {
	case outString:
		out, ok = toText(v), true
	case outInt:
		out, ok = toInt(v)
	case outDecimal:
		out, ok = toDecimal(v)
	case outAvg:
		out, ok = toAvg(v)
	case outFloat:
		out, ok = toFloat(v)
	case outBool:
		out, ok = toBool(v)
	case outDateTime, outDate:
		var t time.Time
		if t, ok = toTime(v); ok {
			if k == outDate {
				out = t.Format("2006-01-02")
			} else {
				out = t.Format("2006-01-02T15:04:05Z")
			}
		}
	case outGUID:
		out, ok = toGUID(v)
	case outIntKey:
		var n int64
		if n, ok = toInt(v); ok {
			out = plan.IntKeyGUID(n)
		}
	case outMulti:
		out, ok = toMulti(v)
	}
	if !ok {
		return generic(v)
	}
	return out
}

// generic is the untyped rendering of a driver value.
func generic(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05Z")
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return json.Number(strconv.FormatUint(x, 10))
	}
	return v
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05Z")
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case float32:
		return toInt(float64(x))
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case []byte:
		return toInt(string(x))
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		// "2024.000000" (PostgreSQL EXTRACT, MySQL SUM): integral decimals.
		if d, ok := canonicalDecimal(s); ok && !strings.Contains(d, ".") {
			n, err := strconv.ParseInt(d, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case []byte:
		return toFloat(string(x))
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		return x != 0, true
	case int:
		return x != 0, true
	case int32:
		return x != 0, true
	case float64:
		return x != 0, true
	case []byte:
		return toBool(string(x))
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "t", "true", "y", "yes":
			return true, true
		case "0", "f", "false", "n", "no":
			return false, true
		}
	}
	return false, false
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// toTime reads a datetime as UTC. Text without a zone is UTC, the SQLite
// convention; fractions of a second are dropped as Dataverse keeps whole
// seconds.
func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Truncate(time.Second), true
	case []byte:
		return toTime(string(x))
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC().Truncate(time.Second), true
			}
		}
	case int64:
		return time.Unix(x, 0).UTC(), true
	}
	return time.Time{}, false
}

// toGUID renders a GUID lower-case canonical: from text (with or without
// braces or dashes) or 16 bytes in RFC 4122 byte order.
func toGUID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		if g, ok := plan.CanonicalGUID(x); ok {
			return g, true
		}
	case []byte:
		if len(x) == 16 {
			return formatGUID(x), true
		}
		return toGUID(string(x))
	case [16]byte:
		return formatGUID(x[:]), true
	}
	return "", false
}

func formatGUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// toMulti reads a multi-select choice stored as "1,3". Empty is null.
func toMulti(v any) (any, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		return []int64{x}, true
	default:
		return nil, false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	var out []int64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// toDecimal renders an exact decimal with trailing zeros removed:
// "1500000.5000" → 1500000.5. Floating-point input (SQLite REAL) keeps the
// 15 significant digits a double holds exactly.
func toDecimal(v any) (json.Number, bool) {
	switch x := v.(type) {
	case string:
		d, ok := canonicalDecimal(x)
		return json.Number(d), ok
	case []byte:
		return toDecimal(string(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true
	case int:
		return json.Number(strconv.Itoa(x)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), true
	case float64:
		d, ok := floatDecimal(x, maxScale)
		return json.Number(d), ok
	case float32:
		return toDecimal(float64(x))
	}
	return "", false
}

// toAvg renders an average rounded to AvgScale places.
func toAvg(v any) (json.Number, bool) {
	switch x := v.(type) {
	case float64:
		d, ok := floatDecimal(x, AvgScale)
		return json.Number(d), ok
	case float32:
		return toAvg(float64(x))
	case []byte:
		return toAvg(string(x))
	}
	d, ok := toDecimal(v)
	if !ok {
		return "", false
	}
	neg, digits := d[0] == '-', string(d)
	if neg {
		digits = digits[1:]
	}
	exp := 0
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		exp = -(len(digits) - i - 1)
		digits = digits[:i] + digits[i+1:]
	}
	return json.Number(decimalText(neg, digits, exp, AvgScale)), true
}

// fiscalLabel turns the emitter's integer fiscal grouping key into the
// label Dataverse returns: the fiscal year (named after its start year)
// for fiscal-year, year*100+period for fiscal-period.
func fiscalLabel(v any, k outKind, oc *plan.OutputColumn) any {
	key, ok := toInt(v)
	if !ok || oc == nil || oc.Fiscal == nil {
		return v
	}
	if k == outFiscalYear {
		return calendar.FiscalYearLabel(key)
	}
	f := calendar.Fiscal{StartMonth: oc.Fiscal.Start.Month(), StartDay: oc.Fiscal.Start.Day(), PeriodType: oc.Fiscal.PeriodType}
	label, err := calendar.FiscalPeriodLabel(key%100, key/100, f)
	if err != nil {
		return v
	}
	return label
}
