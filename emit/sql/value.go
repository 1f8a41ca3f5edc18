package sql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// sqliteTime is how datetimes are stored and bound on SQLite: text that
// sorts like the instant. Fractional seconds appear only when non-zero.
const sqliteTime = "2006-01-02 15:04:05.999999999"

// sqliteDate is how Date Only values are stored and bound on SQLite.
const sqliteDate = "2006-01-02"

// param binds a plan value, converted for the dialect (see arg).
func (e *emitter) param(v *plan.Value) {
	if v == nil {
		e.fail(diag.MalformedPlan, "nil value")
		return
	}
	e.bind(e.arg(v))
}

// paramFor binds a value compared with column c. On TimeText dialects a
// midnight value compared with a Date Only column binds as 'YYYY-MM-DD',
// the way SQLite stores dates, so that '1985-07-04' >= '1985-07-04' holds.
func (e *emitter) paramFor(v *plan.Value, c *plan.Column) {
	if v != nil && c != nil && c.DateBehavior == plan.DateOnly && e.has(TimeText) {
		if t, ok := v.V.(time.Time); ok && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			e.bind(t.Format(sqliteDate))
			return
		}
	}
	if v != nil && v.Kind == plan.KGuid {
		e.bind(e.guidArg(e.arg(v), c))
		return
	}
	e.param(v)
}

// arg converts a plan value to the driver argument for the dialect. When no
// conversion is needed the value's own interface is reused (no allocation).
//
//	KDateTime  time.Time, wall clock as given, location UTC
//	           (TimeText: "YYYY-MM-DD HH:MM:SS[.fffffffff]")
//	KBool      bool (BoolParams) or int64 1 / 0
//	KGuid      lower-case string
//	KDecimal   decimal text (DecimalFloat: float64)
//	KInt       int64; KFloat float64; KString, KMulti string
func (e *emitter) arg(v *plan.Value) any {
	switch x := v.V.(type) {
	case time.Time:
		return e.timeArg(x, v.V)
	case bool:
		if e.has(BoolParams) {
			return v.V
		}
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		switch v.Kind {
		case plan.KDecimal:
			if e.has(DecimalFloat) {
				f, err := strconv.ParseFloat(x, 64)
				if err != nil {
					e.fail(diag.MalformedPlan, "decimal value %q does not parse", x)
				}
				return f
			}
		case plan.KGuid:
			if l := strings.ToLower(x); l != x {
				return l
			}
		}
		return v.V
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v.V
}

// timeArg converts a datetime. "No zone conversion": the wall clock the
// plan holds is what the database sees, as UTC.
func (e *emitter) timeArg(t time.Time, orig any) any {
	if t.Location() != time.UTC {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		orig = nil
	}
	if e.has(TimeText) {
		return t.Format(sqliteTime)
	}
	if orig != nil {
		return orig
	}
	return t
}

// formatArg prints an argument for golden files.
func formatArg(a any) string {
	switch x := a.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case string:
		return strconv.Quote(x)
	case []byte:
		return fmt.Sprintf("x'%x'", x)
	case nil:
		return "NULL"
	case []any: // a list bound as one parameter
		parts := make([]string, len(x))
		for i, v := range x {
			parts[i] = formatArg(v)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(a)
}
