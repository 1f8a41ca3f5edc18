package engine

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file decodes (and, for the fixture generator, encodes) the values
// of the CSV partitions Azure Synapse Link for Dataverse writes beside its
// model.json: no header, one field per attribute in the model's order,
// RFC 4180 quoting (text in double quotes, a quote doubled, commas and
// line breaks inside quotes), an empty field for NULL, GUIDs bare,
// booleans True/False, datetimes ISO 8601 with seven fractional digits
// ("2026-03-15T13:20:00.0000000Z", dateTimeOffset with "+00:00"), and
// SinkCreatedOn/SinkModifiedOn in the US culture ("3/15/2026 1:20:00
// PM"). Rules and sources in docs/cli.md ("vecompile load").

// cdmValue decodes one non-empty field of an attribute of model.json data
// type dt into the value bound to its column: canonical lower-case GUID
// text, bool, int64, decimal text, float64, datetime text in UTC
// ("2006-01-02 15:04:05[.ffffff]", as the sample stores datetimes), date
// text, or the string. maxLength > 0 bounds a string's characters.
func cdmValue(dt string, maxLength int64, field string) (any, error) {
	switch dt {
	case "guid":
		g, ok := canonicalGUID(field)
		if !ok {
			return nil, fmt.Errorf("%q is not a GUID", clip(field))
		}
		return g, nil
	case "string":
		if !utf8.ValidString(field) {
			return nil, fmt.Errorf("text that is not valid UTF-8")
		}
		if strings.IndexByte(field, 0) >= 0 {
			return nil, fmt.Errorf("text with a NUL character")
		}
		if n := utf8.RuneCountInString(field); maxLength > 0 && int64(n) > maxLength {
			return nil, fmt.Errorf("%d characters where the attribute's maxLength is %d", n, maxLength)
		}
		return field, nil
	case "boolean":
		switch {
		case strings.EqualFold(field, "true"):
			return true, nil
		case strings.EqualFold(field, "false"):
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean (True or False)", clip(field))
	case "int64", "int32", "int16":
		bits := map[string]int{"int64": 64, "int32": 32, "int16": 16}[dt]
		v, err := strconv.ParseInt(field, 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%q is not an %s", clip(field), dt)
		}
		return v, nil
	case "decimal":
		if !decimalRE.MatchString(field) {
			return nil, fmt.Errorf("%q is not a decimal number", clip(field))
		}
		return field, nil
	case "double":
		v, err := strconv.ParseFloat(field, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%q is not a finite number", clip(field))
		}
		return v, nil
	case "datetime", "datetimeoffset":
		t, ok := parseCDMTime(field)
		if !ok {
			return nil, fmt.Errorf("%q is not a datetime (ISO 8601, or M/d/yyyy h:mm:ss AM/PM)", clip(field))
		}
		return formatCDMTime(t), nil
	case "date":
		if d, err := time.Parse("2006-01-02", field); err == nil {
			return d.Format("2006-01-02"), nil
		}
		// A date written as midnight of that day.
		t, ok := parseCDMTime(field)
		if !ok || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			return nil, fmt.Errorf("%q is not a date (yyyy-mm-dd)", clip(field))
		}
		return t.Format("2006-01-02"), nil
	}
	return nil, fmt.Errorf("unknown dataType %q", dt)
}

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$`)

// cdmTimeLayouts are the datetime forms Synapse Link writes: ISO 8601
// with a zone (Z or an offset; converted to UTC), without one (UTC), and
// the US-culture form of SinkCreatedOn and SinkModifiedOn (UTC).
// Fractional seconds are accepted after the seconds in every form.
var cdmTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "1/2/2006 3:04:05 PM"}

func parseCDMTime(s string) (time.Time, bool) {
	for _, l := range cdmTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatCDMTime is a UTC datetime as bound to a column: the sample's text
// form, with microseconds when there are any (every engine keeps them).
func formatCDMTime(t time.Time) string {
	t = t.Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// canonicalGUID accepts a GUID in any case, with or without braces, and
// returns it in lower case.
func canonicalGUID(s string) (string, bool) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// clip shortens a field quoted in an error message.
func clip(s string) string {
	if len(s) > 60 {
		i := 60
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "…"
	}
	return s
}

// decodeCDMRecord decodes one CSV record of an entity's partition. A
// record shorter than the attributes leaves the rest NULL (Synapse Link
// appends a column added later to newer rows only); a longer one is an
// error at the first extra field. On error it returns the field's index.
func decodeCDMRecord(attrs []cdmAttr, record []string) ([]any, int, error) {
	if len(record) > len(attrs) {
		return nil, len(attrs), fmt.Errorf("%d fields where model.json has %d attributes", len(record), len(attrs))
	}
	out := make([]any, len(attrs))
	for i, f := range record {
		if f == "" { // Dataverse stores no empty text: an empty field is NULL
			continue
		}
		v, err := cdmValue(attrs[i].dataType, attrs[i].maxLength, f)
		if err != nil {
			return nil, i, fmt.Errorf("attribute %q (%s): %v", attrs[i].name, attrs[i].dataType, err)
		}
		out[i] = v
	}
	return out, 0, nil
}

// encodeCDMField writes a decoded value as Synapse Link writes it: the
// inverse of cdmValue, for the fixture generator and the decoder's
// round-trip property. Text is quoted by the CSV writer as needed.
func encodeCDMField(dt string, v any) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		switch dt {
		case "datetime", "datetimeoffset":
			t, err := time.Parse("2006-01-02 15:04:05.999999", x)
			if err != nil {
				return x
			}
			if dt == "datetimeoffset" {
				return t.Format("2006-01-02T15:04:05.0000000+00:00")
			}
			return t.Format("2006-01-02T15:04:05.0000000Z")
		}
		return x
	}
	return fmt.Sprint(v)
}
