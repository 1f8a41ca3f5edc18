package sql

import (
	"encoding/json"
	"math"
	"time"

	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/plan"
)

// ListStyle is how a long IN list is bound: as one parameter holding all
// its values, so that no list meets the engine's parameter limit (SQL
// Server's 2,098 first) and the statement text does not depend on the
// list's length.
type ListStyle uint8

const (
	// ListPlaceholders: one placeholder per value, whatever the length.
	ListPlaceholders ListStyle = iota
	// ListArray: col = ANY($1) with an array (PostgreSQL; the driver binds
	// a Go slice as an array, as pgx does).
	ListArray
	// ListJSONEach: col IN (SELECT value FROM json_each(?1)) with a JSON
	// array (SQLite).
	ListJSONEach
	// ListOpenJSON: col IN (SELECT v FROM OPENJSON(@p1) WITH (v type '$'))
	// with a JSON array (SQL Server 2016+, compatibility level 130).
	ListOpenJSON
	// ListJSONTable: col IN (SELECT v FROM JSON_TABLE(?, '$[*]' COLUMNS
	// (v type PATH '$')) AS vl) with a JSON array, for numbers and
	// datetimes (MySQL 8.0.4+, MariaDB 10.6+); string lists keep their
	// placeholders, as a JSON_TABLE column's collation is not the
	// column's.
	ListJSONTable
)

// ListParamMin is the shortest IN list bound as one parameter. Measured on
// a 100,000-row table with an indexed key (PostgreSQL 15, MariaDB 10.11,
// modernc.org/sqlite; best of 5): at 100 values the one-parameter form is
// as fast or faster on every engine (SQLite 104 µs against 111 µs,
// PostgreSQL 212 µs against 337 µs, MariaDB 519 µs against 871 µs), at
// 1,000 two to ten times faster; at 10 values SQLite takes twice as long
// (101 µs against 53 µs), so short lists keep their placeholders.
const ListParamMin = 100

// boundList writes x as a one-parameter list when the dialect has a form
// for it and the list is long enough, and reports whether it did. lower
// says the column is compared folded (fold(col), values folded alike).
func (e *emitter) boundList(x *plan.InList, lower bool) bool {
	style := e.caps.List
	if style == ListPlaceholders || len(x.Values) < ListParamMin {
		return false
	}
	if x.Values[0] == nil {
		return false
	}
	kind := x.Values[0].Kind
	for _, v := range x.Values {
		if v == nil || v.Kind != kind {
			return false // the value by value form reports a nil value
		}
	}
	sqlType, ok := listType(style, kind)
	if !ok {
		return false
	}
	col := refColumn(x.Col)
	if g, isGUID := guidColumn(col); isGUID && (g == plan.GuidBinary || g == plan.GuidInteger) {
		// 16-byte values have no JSON form the engines read back as bytes;
		// integer keys bind value by value, as integers.
		return false
	}
	vals := make([]any, len(x.Values))
	for i, v := range x.Values {
		a, ok := e.listArg(v, col, lower)
		if !ok {
			return false
		}
		vals[i] = a
	}
	var arg any = vals
	if style != ListArray {
		b, err := json.Marshal(vals)
		if err != nil {
			return false
		}
		arg = string(b)
	}
	if e.guidLowered(col) {
		e.conv(convLower, func() { e.col(x.Col) })
	} else {
		e.eqCol(x.Col, lower)
	}
	if style == ListArray {
		// = ANY keeps NULL semantics of IN: NULL = ANY(…) is NULL, and
		// NOT (…) of it stays NULL.
		if x.Not {
			e.raw(" <> ALL (")
		} else {
			e.raw(" = ANY (")
		}
		if lower {
			e.raw("ARRAY(SELECT LOWER(vl) FROM unnest(CAST(")
			e.bind(arg)
			e.raw(" AS text[])) AS vl)")
		} else {
			e.bind(arg)
		}
		e.byte1(')')
		return true
	}
	if x.Not {
		e.raw(" NOT IN (SELECT ")
	} else {
		e.raw(" IN (SELECT ")
	}
	switch style {
	case ListJSONEach:
		if lower {
			e.raw("LOWER(value)")
		} else {
			e.raw("value")
		}
		e.raw(" FROM json_each(")
		e.bind(arg)
		e.byte1(')')
	case ListOpenJSON:
		e.raw("vl FROM OPENJSON(")
		e.bind(arg)
		e.raw(") WITH (vl ")
		e.raw(sqlType)
		e.raw(" '$')")
	case ListJSONTable:
		e.raw("vl FROM JSON_TABLE(")
		e.bind(arg)
		e.raw(", '$[*]' COLUMNS (vl ")
		e.raw(sqlType)
		e.raw(" PATH '$')) AS ")
		e.ident("vl")
	}
	e.byte1(')')
	return true
}

// listType is the SQL type a JSON list's values are read as, and whether
// the style binds lists of that kind at all.
func listType(style ListStyle, k plan.Kind) (string, bool) {
	switch style {
	case ListArray, ListJSONEach:
		return "", true
	case ListOpenJSON:
		switch k {
		case plan.KInt:
			return "BIGINT", true
		case plan.KBool:
			return "BIT", true
		case plan.KGuid:
			return "UNIQUEIDENTIFIER", true
		case plan.KString:
			return "NVARCHAR(MAX)", true
		case plan.KDateTime:
			return "DATETIME2", true
		}
	case ListJSONTable:
		switch k {
		case plan.KInt, plan.KBool:
			return "BIGINT", true
		case plan.KFloat:
			return "DOUBLE", true
		case plan.KDateTime:
			return "DATETIME(6)", true
		}
	}
	return "", false // decimals keep their exact placeholders
}

// listArg is one list value as the list parameter holds it: converted as
// paramFor binds it, folded as foldedArg binds it (the SQL lower-cases
// what is not folded yet, as foldedArg's LOWER(?) does), datetimes in the
// text form the JSON readers parse. ok is false for a value JSON cannot
// carry (NaN, infinities).
func (e *emitter) listArg(v *plan.Value, c *plan.Column, lower bool) (any, bool) {
	a := e.arg(e.padValue(v, c))
	if v.Kind == plan.KGuid {
		a = e.guidArg(a, c) // in the column's storage form
	}
	if c != nil && c.DateBehavior == plan.DateOnly && e.has(TimeText) {
		if t, ok := v.V.(time.Time); ok && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			a = t.Format(sqliteDate)
		}
	}
	switch x := a.(type) {
	case string:
		if lower && e.accents && collate.NeedsUnaccent(x) {
			return collate.Fold(x), true
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
	case time.Time:
		if e.caps.List == ListArray {
			return x, true
		}
		return e.caps.List.timeText(x), true
	}
	return a, true
}

// timeText is a datetime in the text the style's JSON reader parses into
// its SQL type (listType), the fraction cut to that type's precision as
// the drivers cut a datetime bound alone: DATETIME2 holds 7 digits (SQL
// Server's OPENJSON refuses more), DATETIME(6) 6 (MySQL and MariaDB would
// cut the rest with a warning, or refuse it).
func (s ListStyle) timeText(t time.Time) string {
	switch s {
	case ListOpenJSON:
		return t.Format("2006-01-02T15:04:05.9999999")
	case ListJSONTable:
		return t.Format("2006-01-02T15:04:05.999999")
	}
	return t.Format("2006-01-02T15:04:05.999999999")
}
