package engine

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// Formatted values: the display strings Dataverse returns beside the raw
// values (the Web API's @OData.Community.Display.V1.FormattedValue, the
// SDK's Entity.FormattedValues), rendered for one caller's language (LCID)
// and time zone. docs/semantics.md lists what is Dataverse's documented
// behaviour and what is our choice where it could not be verified.

// Formatted is one field's formatted value.
type Formatted struct {
	// Value is the formatted value when HasValue: a lookup whose related
	// name the caller may not read (column security) or that points to
	// no record has none, but still its LookupLogicalName when known.
	Value    string
	HasValue bool
	// LookupLogicalName is, for a lookup, the related record's table
	// (Microsoft.Dynamics.CRM.lookuplogicalname); "" for other types.
	LookupLogicalName string
}

// Formatter renders formatted values for one caller. The zero value is
// not usable; build one with NewFormatter.
type Formatter struct {
	c    *culture
	zone *time.Location
	// CurrencySymbol prefixes (or follows, as the culture places it)
	// money amounts: the record's transaction currency is not in the
	// metadata, so the organization's symbol is configured ("$" by
	// default).
	CurrencySymbol string
}

// DefaultLCID is the language formatted values fall back to when the
// caller's is unknown (0) or not in the culture table: English (United
// States).
const DefaultLCID = 1033

// NewFormatter returns a formatter for the language lcid (an unknown one
// formats as DefaultLCID) and the time zone zone (nil: UTC).
func NewFormatter(lcid int64, zone *time.Location) *Formatter {
	c, ok := cultures[lcid]
	if !ok {
		c = cultures[DefaultLCID]
	}
	if zone == nil {
		zone = time.UTC
	}
	return &Formatter{c: c, zone: zone, CurrencySymbol: "$"}
}

// KnownLCID reports whether lcid has its own culture (otherwise formats
// are DefaultLCID's).
func KnownLCID(lcid int64) bool {
	_, ok := cultures[lcid]
	return ok
}

// culture is a language's display conventions, as Windows' (NLS) culture
// data for the LCID gives them, which Dataverse's user settings default
// to: separators, the short date and time patterns (in .NET's custom
// format letters: d, dd, M, MM, yyyy, h, hh, H, HH, mm, tt), and where
// the currency symbol goes.
type culture struct {
	group, decimal string
	date, time     string
	// money: "$n" symbol first, "n $" symbol last after a space.
	symbolAfter bool
}

// cultures covers the languages the sample's users speak; others fall
// back to DefaultLCID (docs/semantics.md).
var cultures = map[int64]*culture{
	1033: {group: ",", decimal: ".", date: "M/d/yyyy", time: "h:mm tt"},                         // en-US
	2057: {group: ",", decimal: ".", date: "dd/MM/yyyy", time: "HH:mm"},                         // en-GB
	1031: {group: ".", decimal: ",", date: "dd.MM.yyyy", time: "HH:mm", symbolAfter: true},      // de-DE
	1036: {group: "\u00a0", decimal: ",", date: "dd/MM/yyyy", time: "HH:mm", symbolAfter: true}, // fr-FR
	3082: {group: ".", decimal: ",", date: "dd/MM/yyyy", time: "H:mm", symbolAfter: true},       // es-ES
	1053: {group: "\u00a0", decimal: ",", date: "yyyy-MM-dd", time: "HH:mm", symbolAfter: true}, // sv-SE
	1041: {group: ",", decimal: ".", date: "yyyy/MM/dd", time: "H:mm"},                          // ja-JP
}

// Apply sets the formatted value of every field of r that has one; cols
// are the plan's output columns in the rows' order.
func (f *Formatter) Apply(cols []*plan.OutputColumn, r *Result) {
	for _, row := range r.Rows {
		for i := range row {
			if i >= len(cols) {
				break
			}
			if fv, ok := f.Field(cols[i], row[i]); ok {
				row[i].Formatted = &fv
			}
		}
	}
}

// Field formats one field of output column oc. Aggregates, date
// groupings and row aggregates get none (docs/semantics.md).
func (f *Formatter) Field(oc *plan.OutputColumn, fld Field) (Formatted, bool) {
	if oc == nil || oc.Column == nil || fld.Value == nil || oc.Aggregate != ast.NoAggregate ||
		oc.DateGrouping != ast.NoDateGrouping || oc.RowAggregate != nil || oc.All {
		return Formatted{}, false
	}
	return f.Value(oc.Column, fld)
}

// Value formats a value of column c: choices by their labels (several
// joined by "; "), Booleans by their labels (Yes/No without), lookups by
// the related record's name (fld.Related), numbers grouped, money with
// the currency symbol, dates in the caller's zone and culture. Strings,
// GUIDs and big integers have none.
func (f *Formatter) Value(c *plan.Column, fld Field) (Formatted, bool) {
	v := fld.Value
	if v == nil {
		return Formatted{}, false
	}
	switch c.Type {
	case plan.TPicklist, plan.TState, plan.TStatus:
		n, ok := v.(int64)
		if !ok {
			return Formatted{}, false
		}
		l, ok := label(c, n)
		return Formatted{Value: l, HasValue: true}, ok
	case plan.TMultiSelectPicklist:
		list, ok := v.([]int64)
		if !ok || len(list) == 0 {
			return Formatted{}, false
		}
		labels := make([]string, 0, len(list))
		for _, n := range list {
			l, ok := label(c, n)
			if !ok {
				return Formatted{}, false // an unlabelled value: no partial text
			}
			labels = append(labels, l)
		}
		return Formatted{Value: strings.Join(labels, "; "), HasValue: true}, true
	case plan.TBoolean:
		b, ok := v.(bool)
		if !ok {
			return Formatted{}, false
		}
		n := int64(0)
		if b {
			n = 1
		}
		if l, ok := label(c, n); ok {
			return Formatted{Value: l, HasValue: true}, true
		}
		if b {
			return Formatted{Value: "Yes", HasValue: true}, true
		}
		return Formatted{Value: "No", HasValue: true}, true
	case plan.TLookup, plan.TOwner, plan.TCustomer:
		r := fld.Related
		if r == nil || !r.HasName && r.Table == "" {
			return Formatted{}, false
		}
		return Formatted{Value: r.Name, HasValue: r.HasName, LookupLogicalName: r.Table}, true
	case plan.TInteger:
		n, ok := v.(int64)
		if !ok {
			return Formatted{}, false
		}
		return Formatted{Value: f.number(strconv.FormatInt(n, 10), 0), HasValue: true}, true
	case plan.TDecimal, plan.TDouble:
		s, ok := numberText(v)
		if !ok {
			return Formatted{}, false
		}
		return Formatted{Value: f.number(s, precision(c)), HasValue: true}, true
	case plan.TMoney:
		s, ok := numberText(v)
		if !ok {
			return Formatted{}, false
		}
		return Formatted{Value: f.money(s), HasValue: true}, true
	case plan.TDateTime:
		s, ok := v.(string)
		if !ok {
			return Formatted{}, false
		}
		return f.dateTime(c, s)
	}
	return Formatted{}, false
}

func label(c *plan.Column, n int64) (string, bool) {
	for _, o := range c.Options {
		if o.Value == n {
			return o.Label, true
		}
	}
	return "", false
}

// precision is a Decimal or Double column's places: the metadata's, else
// Dataverse's default of 2.
func precision(c *plan.Column) int {
	if c.HasPrecision {
		return c.Precision
	}
	return 2
}

// MoneyPrecision is the places money is shown with: the currency's
// precision, 2 for the common currencies (docs/semantics.md).
const MoneyPrecision = 2

func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// number rounds the decimal text s to places (halves away from zero, as
// .NET's decimal formatting does) and writes it with the culture's
// separators and a leading "-" when negative. Text that is not a number
// is returned as it is.
func (f *Formatter) number(s string, places int) string {
	neg, digits, ok := f.rounded(s, places)
	if !ok {
		return s
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// rounded is number's sign and unsigned text; a value that rounds to
// zero is not negative.
func (f *Formatter) rounded(s string, places int) (neg bool, text string, ok bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return false, s, false
	}
	neg = r.Sign() < 0
	t := new(big.Rat).Abs(r).FloatString(places)
	intPart, frac, _ := strings.Cut(t, ".")
	if strings.Trim(intPart+frac, "0") == "" {
		neg = false
	}
	var b strings.Builder
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(f.c.group)
		}
		b.WriteRune(d)
	}
	if places > 0 {
		b.WriteString(f.c.decimal)
		b.WriteString(frac)
	}
	return neg, b.String(), true
}

// money writes an amount with the currency symbol where the culture puts
// it and the sign before it: "$1,234.50", "-$1,234.50", "1.234,50 $".
func (f *Formatter) money(s string) string {
	neg, digits, ok := f.rounded(s, MoneyPrecision)
	if !ok {
		return s
	}
	sign := ""
	if neg {
		sign = "-"
	}
	if f.c.symbolAfter {
		return sign + digits + " " + f.CurrencySymbol
	}
	return sign + f.CurrencySymbol + digits
}

// dateTime formats a date-only value as the culture's short date, and a
// date and time as short date and short time: a User Local value in the
// caller's zone, a Time Zone Independent one as stored.
func (f *Formatter) dateTime(c *plan.Column, s string) (Formatted, bool) {
	if c.DateBehavior == plan.DateOnly {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return Formatted{}, false
		}
		return Formatted{Value: dotnetFormat(t, f.c.date), HasValue: true}, true
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		return Formatted{}, false
	}
	if c.DateBehavior == plan.UserLocal {
		t = t.In(f.zone)
	}
	return Formatted{Value: dotnetFormat(t, f.c.date) + " " + dotnetFormat(t, f.c.time), HasValue: true}, true
}

// dotnetFormat writes t in a .NET custom date pattern restricted to the
// letters the culture table uses; other characters are copied.
func dotnetFormat(t time.Time, pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		ch := pattern[i]
		n := 1
		for i+n < len(pattern) && pattern[i+n] == ch {
			n++
		}
		two := func(v int) {
			if n >= 2 && v < 10 {
				b.WriteByte('0')
			}
			b.WriteString(strconv.Itoa(v))
		}
		switch ch {
		case 'y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'M':
			two(int(t.Month()))
		case 'd':
			two(t.Day())
		case 'H':
			two(t.Hour())
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			two(h)
		case 'm':
			two(t.Minute())
		case 't':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		default:
			b.WriteString(pattern[i : i+n])
		}
		i += n
	}
	return b.String()
}
