package plan

import (
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// OData's date(), time() and now() in computed values. Dataverse stores
// date-times in UTC; as for year() … second() and the relative-date
// operators, a User Local column is seen in the caller's zone, a Date Only
// or Time-Zone Independent one on its stored wall clock. date() is the
// calendar date (KDate, yyyymmdd), time() the time of day in whole seconds
// (KTime, hhmmss); both compare with their literals, with each other and
// with themselves of now(), and sort; a Date Only column compares with
// date() as its date. now() is the plan's clock
// (Options.Now): an instant compared as is with User Local columns, as
// the caller's wall clock with Time-Zone Independent ones, and refused
// against a Date Only column; a plan that reads it is marked ReadsClock
// (never cached).

// now is the plan's clock as a date-time value.
func (b *builder) now() Scalar {
	b.plan.Context.ReadsClock = true
	return b.a.value(KDateTime, b.opt.Now.UTC())
}

// wallNow is the plan's clock on the caller's wall clock, labelled UTC,
// as Date Only and Time-Zone Independent values are compared.
func (b *builder) wallNow() time.Time {
	l := b.opt.Now.In(b.opt.Zone)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// nowAgainst is resolved, the operand x of a comparison, unless x is
// now() and the other operand a Time-Zone Independent column: then the
// caller's wall clock. A Date Only column has no time to compare with
// now(): refused (nil), the date is date(now()) (OData types the column
// Edm.Date, now() Edm.DateTimeOffset).
func (b *builder) nowAgainst(x ast.Scalar, resolved, other Scalar) Scalar {
	c, ok := x.(*ast.Call)
	col, isCol := other.(*ColumnRef)
	if !ok || c.Func != ast.FnNow || !isCol || col.Column == nil || col.Column.DateBehavior == UserLocal {
		return resolved
	}
	if col.Column.DateBehavior == DateOnly {
		b.errorf(c.Span, diag.OperatorType, "now() is a date and time; %q is a Date Only column (Edm.Date): compare it with a date, or use FetchXML's today operators", col.Column.LogicalName)
		return nil
	}
	return b.a.value(KDateTime, b.wallNow())
}

// dateOrTime resolves date(x) and time(x): x a date-time column, or a
// constant (now(), a date-time literal), which is folded in the caller's
// zone.
func (b *builder) dateOrTime(c *ast.Call, x Scalar) Scalar {
	kind := KDate
	if c.Func == ast.FnTime {
		kind = KTime
	}
	switch x := x.(type) {
	case *ColumnRef:
		if x.Column.DateBehavior == DateOnly && kind == KTime {
			b.errorf(c.Span, diag.OperatorType, "time of %q: a Date Only column has no time of day (Edm.Date)", x.Column.LogicalName)
			return nil
		}
		out := &Call{Func: c.Func, Args: []Scalar{x}, Kind: kind, Zone: time.UTC}
		if x.Column.DateBehavior == UserLocal {
			out.Zone = b.opt.Zone
		}
		return out
	case *Value:
		t, ok := x.V.(time.Time)
		if !ok {
			break
		}
		return b.a.value(kind, dateTimeNumber(kind, t.In(b.opt.Zone)))
	}
	b.errorf(c.Span, diag.UnsupportedFunction, "%s takes a date-time column or now()", c.Func)
	return nil
}

// dateTimeNumber is t's date as yyyymmdd (KDate) or its time of day as
// hhmmss (KTime), on t's own clock.
func dateTimeNumber(k Kind, t time.Time) int64 {
	if k == KDate {
		return int64(t.Year())*10000 + int64(t.Month())*100 + int64(t.Day())
	}
	return int64(t.Hour())*10000 + int64(t.Minute())*100 + int64(t.Second())
}

// dateOrTimeLiteral types a literal compared with date() (a date,
// yyyy-mm-dd) or time() (a time of day in whole seconds); a time-of-day
// literal compares with time() only.
func (b *builder) dateOrTimeLiteral(v *ast.Value, want Kind) Scalar {
	switch {
	case want == KDate && v.Kind == ast.KindDateTime && len(v.Text) == len("2006-01-02"):
		t, err := time.Parse("2006-01-02", v.Text)
		if err == nil {
			return b.a.value(KDate, dateTimeNumber(KDate, t))
		}
	case want == KTime && v.Kind == ast.KindTime:
		text, frac, _ := strings.Cut(v.Text, ".")
		if strings.Trim(frac, "0") != "" {
			b.errorf(v.Span, diag.UnsupportedFunction, "time() is whole seconds; %s has a fraction of a second", v.Text)
			return nil
		}
		for _, layout := range []string{"15:04:05", "15:04"} {
			if t, err := time.Parse(layout, text); err == nil {
				return b.a.value(KTime, dateTimeNumber(KTime, t))
			}
		}
	case v.Kind == ast.KindTime:
		b.errorf(v.Span, diag.TypeMismatch, "the time of day %s compares with time() only", v.Text)
		return nil
	}
	if want == KDate {
		b.errorf(v.Span, diag.TypeMismatch, "date() compares with a date (yyyy-mm-dd), not %q", v.Text)
	} else {
		b.errorf(v.Span, diag.TypeMismatch, "time() compares with a time of day (hh:mm[:ss]), not %q", v.Text)
	}
	return nil
}

// dateOnlyAsDate is x, or date(x) when x is a Date Only column compared
// with a date (OData types the column Edm.Date, as date() is).
func (b *builder) dateOnlyAsDate(x, other Scalar) Scalar {
	col, ok := x.(*ColumnRef)
	if !ok || col.Column == nil || col.Column.DateBehavior != DateOnly || ScalarKind(other) != KDate {
		return x
	}
	return &Call{Func: ast.FnDate, Args: []Scalar{col}, Kind: KDate, Zone: time.UTC}
}
