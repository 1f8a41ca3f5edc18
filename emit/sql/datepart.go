package sql

import (
	"slices"
	"sync"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Zone offsets are tabulated over [zoneFrom, zoneTo): Go's time package
// gives the transitions, the emitter turns them into a CASE over the
// stored UTC value for engines without a time-zone database.
var (
	zoneFrom = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	zoneTo   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// zoneShift is a zone's UTC offset as a step function of the UTC instant:
// offs[0] before trans[0], offs[i] from trans[i-1] to trans[i], the last
// one after the last transition.
type zoneShift struct {
	trans []time.Time
	offs  []int64 // minutes east of UTC
	// name is the zone's IANA name when the time package resolves that
	// name to the same offsets (PostgreSQL may then use it directly).
	name string
}

func (z *zoneShift) utc() bool { return len(z.trans) == 0 && z.offs[0] == 0 }

// same reports whether two tables are one zone's: the cache keeps at most
// 256, so one zone may have two tables.
func (z *zoneShift) same(y *zoneShift) bool {
	return z == y || z.name != "" && z.name == y.name ||
		slices.Equal(z.offs, y.offs) && slices.EqualFunc(z.trans, y.trans, time.Time.Equal)
}

var zoneCache struct {
	sync.Mutex
	m map[*time.Location]*zoneShift
}

// shiftOf returns the zone's offset table, cached per *time.Location (at
// most 256 locations are kept).
func shiftOf(loc *time.Location) *zoneShift {
	if loc == nil || loc == time.UTC {
		return utcShift
	}
	zoneCache.Lock()
	z := zoneCache.m[loc]
	zoneCache.Unlock()
	if z != nil {
		return z
	}
	z = computeShift(loc)
	if name := loc.String(); name != "" && name != "Local" {
		if l, err := time.LoadLocation(name); err == nil {
			if y := computeShift(l); slices.Equal(y.offs, z.offs) && slices.EqualFunc(y.trans, z.trans, time.Time.Equal) {
				z.name = name
			}
		}
	}
	zoneCache.Lock()
	if zoneCache.m == nil {
		zoneCache.m = map[*time.Location]*zoneShift{}
	}
	if len(zoneCache.m) < 256 {
		zoneCache.m[loc] = z
	}
	zoneCache.Unlock()
	return z
}

var utcShift = &zoneShift{offs: []int64{0}, name: "UTC"}

func computeShift(loc *time.Location) *zoneShift {
	offset := func(t time.Time) int64 {
		_, off := t.In(loc).Zone()
		return int64(off / 60)
	}
	z := &zoneShift{offs: []int64{offset(zoneFrom)}}
	t := zoneFrom
	for t.Before(zoneTo) {
		_, end := t.In(loc).ZoneBounds()
		exact := true
		if end.IsZero() {
			break
		}
		if !end.After(t) {
			// Zones extended by a POSIX TZ rule may report a bound equal to
			// t near the end of a year: step 6 hours instead and search
			// the step for a change.
			end, exact = t.Add(6*time.Hour), false
		}
		if !end.Before(zoneTo) {
			break
		}
		cur := z.offs[len(z.offs)-1]
		if m := offset(end); m != cur {
			if !exact {
				end = firstChange(offset, t, end)
			}
			z.trans = append(z.trans, end.UTC())
			z.offs = append(z.offs, m)
		}
		t = end
	}
	return z
}

// firstChange returns the first whole second in (lo, hi] where offset
// differs from its value at lo (given that it differs at hi).
func firstChange(offset func(time.Time) int64, lo, hi time.Time) time.Time {
	cur := offset(lo)
	l, h := lo.Unix(), hi.Unix()
	for h-l > 1 {
		mid := l + (h-l)/2
		if offset(time.Unix(mid, 0)) == cur {
			l = mid
		} else {
			h = mid
		}
	}
	return time.Unix(h, 0).UTC()
}

// datePart writes a calendar field of a datetime column, as an integer,
// seen in zone loc (nil: UTC). Week is DATEPART(week): weeks start on
// Sunday and week 1 holds 1 January, i.e. (dayofyear - weekday + 12) / 7
// with weekday 0 for Sunday.
func (e *emitter) datePart(part plan.DatePartKind, col *plan.ColumnRef, loc *time.Location) {
	if col == nil {
		e.fail(diag.MalformedPlan, "date part without a column")
		return
	}
	z := shiftOf(loc)
	switch e.caps.Dates {
	case DateExtract:
		e.partExtract(part, col, z)
	case DateStrftime:
		e.partStrftime(part, col, z)
	case DateMySQL:
		e.partMySQL(part, col, z)
	case DateDatepart:
		e.partDatepart(part, col, z)
	default:
		e.fail(diag.DialectUnsupported, "dialect has no date functions")
	}
}

// repeat writes an expression a second time: the same text when
// placeholders are numbered (the same arguments bind), else rendered
// again with its own arguments.
func (e *emitter) repeat(start, end int, render func()) {
	if e.caps.Params.Numbered() {
		e.again(start, end)
		return
	}
	render()
}

// PostgreSQL: EXTRACT over the shifted timestamp. The column holds UTC as
// "timestamp without time zone".
func (e *emitter) partExtract(part plan.DatePartKind, col *plan.ColumnRef, z *zoneShift) {
	field := [...]string{plan.PartYear: "YEAR", plan.PartQuarter: "QUARTER", plan.PartMonth: "MONTH", plan.PartDay: "DAY", plan.PartDayOfYear: "DOY",
		plan.PartHour: "HOUR", plan.PartMinute: "MINUTE", plan.PartSecond: "SECOND"}
	x := func() {
		switch {
		case z.utc():
			e.col(col)
		case z.name != "" && e.has(ZoneNames):
			e.atTimeZone(col, z, z.name)
		default:
			e.byte1('(')
			e.col(col)
			e.raw(" + ")
			e.offset(col, z)
			e.raw(" * INTERVAL '1 minute')")
		}
	}
	if part == plan.PartWeek {
		e.raw("(CAST(EXTRACT(DOY FROM ")
		s := e.n
		x()
		end := e.n
		e.raw(") AS integer) - CAST(EXTRACT(DOW FROM ")
		e.repeat(s, end, x)
		e.raw(") AS integer) + 12) / 7")
		return
	}
	if part == plan.PartDate || part == plan.PartTime {
		// to_char's digits, read as an integer: yyyymmdd, hhmmss.
		e.raw("CAST(to_char(")
		x()
		if part == plan.PartDate {
			e.raw(", 'YYYYMMDD') AS integer)")
		} else {
			e.raw(", 'HH24MISS') AS integer)")
		}
		return
	}
	if int(part) >= len(field) || field[part] == "" {
		e.fail(diag.DialectUnsupported, "date part %d", part)
		return
	}
	if part == plan.PartSecond {
		// EXTRACT(SECOND) has the fraction, which a cast would round.
		e.raw("CAST(FLOOR(EXTRACT(SECOND FROM ")
		x()
		e.raw(")) AS integer)")
		return
	}
	e.raw("CAST(EXTRACT(")
	e.raw(field[part])
	e.raw(" FROM ")
	x()
	e.raw(") AS integer)")
}

// SQLite: strftime with a '<n> minutes' modifier.
func (e *emitter) partStrftime(part plan.DatePartKind, col *plan.ColumnRef, z *zoneShift) {
	x := func(f string) {
		e.raw("CAST(strftime('")
		e.raw(f)
		e.raw("', ")
		if !z.utc() && z.name != "" && e.has(ZoneFunction) {
			// The engine's own conversion: one parameter, not the zone's
			// transitions.
			e.raw(ZoneFunctionName + "(")
			e.col(col)
			e.raw(", ")
			e.bind(z.name)
			e.raw(")) AS INTEGER)")
			return
		}
		e.col(col)
		if !z.utc() {
			e.raw(", ")
			e.offset(col, z)
			e.raw(" || ' minutes'")
		}
		e.raw(") AS INTEGER)")
	}
	switch part {
	case plan.PartYear:
		x("%Y")
	case plan.PartQuarter:
		e.byte1('(')
		x("%m")
		e.raw(" + 2) / 3")
	case plan.PartMonth:
		x("%m")
	case plan.PartDay:
		x("%d")
	case plan.PartDayOfYear:
		x("%j")
	case plan.PartHour:
		x("%H")
	case plan.PartMinute:
		x("%M")
	case plan.PartSecond:
		x("%S")
	case plan.PartDate:
		x("%Y%m%d")
	case plan.PartTime:
		x("%H%M%S")
	case plan.PartWeek:
		e.byte1('(')
		x("%j")
		e.raw(" - ")
		x("%w")
		e.raw(" + 12) / 7")
	default:
		e.fail(diag.DialectUnsupported, "date part %d", part)
	}
}

// MySQL / MariaDB: date functions over DATE_ADD(col, INTERVAL n MINUTE).
func (e *emitter) partMySQL(part plan.DatePartKind, col *plan.ColumnRef, z *zoneShift) {
	x := func() {
		if z.utc() {
			e.col(col)
			return
		}
		e.raw("DATE_ADD(")
		e.col(col)
		e.raw(", INTERVAL (")
		e.offset(col, z)
		e.raw(") MINUTE)")
	}
	fn := [...]string{plan.PartYear: "YEAR(", plan.PartQuarter: "QUARTER(", plan.PartMonth: "MONTH(", plan.PartDay: "DAYOFMONTH(", plan.PartDayOfYear: "DAYOFYEAR(",
		plan.PartHour: "HOUR(", plan.PartMinute: "MINUTE(", plan.PartSecond: "SECOND("}
	if part == plan.PartWeek {
		// DAYOFWEEK is 1 for Sunday.
		e.raw("(DAYOFYEAR(")
		s := e.n
		x()
		end := e.n
		e.raw(") - DAYOFWEEK(")
		e.repeat(s, end, x)
		e.raw(") + 13) DIV 7")
		return
	}
	if part == plan.PartDate || part == plan.PartTime {
		// DATE_FORMAT's digits, read as an integer: yyyymmdd, hhmmss.
		e.raw("CAST(DATE_FORMAT(")
		x()
		if part == plan.PartDate {
			e.raw(", '%Y%m%d') AS SIGNED)")
		} else {
			e.raw(", '%H%i%s') AS SIGNED)")
		}
		return
	}
	if int(part) >= len(fn) || fn[part] == "" {
		e.fail(diag.DialectUnsupported, "date part %d", part)
		return
	}
	e.raw(fn[part])
	x()
	e.byte1(')')
}

// SQL Server: DATEPART over DATEADD(minute, n, col). Week does not use
// DATEPART(week), which depends on SET DATEFIRST.
func (e *emitter) partDatepart(part plan.DatePartKind, col *plan.ColumnRef, z *zoneShift) {
	x := func() {
		if z.utc() {
			e.col(col)
			return
		}
		if win := windowsZone[z.name]; win != "" && len(z.trans) > 0 && e.has(ZoneWindows) {
			// datetime2 holding UTC: declared UTC, then seen in the zone
			// (a datetimeoffset, whose DATEPARTs are the zone's wall clock).
			e.atTimeZone(col, z, win)
			return
		}
		e.raw("DATEADD(minute, ")
		e.offset(col, z)
		e.raw(", ")
		e.col(col)
		e.byte1(')')
	}
	name := [...]string{plan.PartYear: "year", plan.PartQuarter: "quarter", plan.PartMonth: "month", plan.PartDay: "day", plan.PartDayOfYear: "dayofyear",
		plan.PartHour: "hour", plan.PartMinute: "minute", plan.PartSecond: "second"}
	if part == plan.PartWeek {
		e.raw("(DATEPART(dayofyear, ")
		s := e.n
		x()
		end := e.n
		e.raw(") - (DATEPART(weekday, ")
		e.repeat(s, end, x)
		e.raw(") + @@DATEFIRST - 1) % 7 + 12) / 7")
		return
	}
	if part == plan.PartDate || part == plan.PartTime {
		// CONVERT style 112 (yyyymmdd) read as an integer; the time of
		// day from its parts, hhmmss.
		if part == plan.PartDate {
			e.raw("CONVERT(int, CONVERT(char(8), ")
			x()
			e.raw(", 112))")
		} else {
			e.raw("(DATEPART(hour, ")
			s := e.n
			x()
			end := e.n
			e.raw(") * 10000 + DATEPART(minute, ")
			e.repeat(s, end, x)
			e.raw(") * 100 + DATEPART(second, ")
			e.repeat(s, end, x)
			e.raw("))")
		}
		return
	}
	if int(part) >= len(name) || name[part] == "" {
		e.fail(diag.DialectUnsupported, "date part %d", part)
		return
	}
	e.raw("DATEPART(")
	e.raw(name[part])
	e.raw(", ")
	x()
	e.byte1(')')
}

// offset writes the zone's UTC offset in minutes at the column's instant:
// one parameter for a fixed offset, else a CASE that binary-searches the
// transitions (nesting depth log2 of their number: 9 for the ~260
// transitions of a DST zone over 1970–2100, within T-SQL's limit of 10).
// With numbered placeholders each distinct offset is bound once.
func (e *emitter) offset(col *plan.ColumnRef, z *zoneShift) {
	if len(z.trans) == 0 {
		e.once(col, z, func() { e.offsetParam(z.offs[0], nil) })
		return
	}
	if len(z.trans) > 1000 {
		e.fail(diag.DialectUnsupported, "time zone with %d offset changes", len(z.trans))
		return
	}
	e.once(col, z, func() {
		var seenBuf [8][2]int64 // offset, placeholder number
		seen := seenBuf[:0]
		e.offsetCase(col, z, 0, len(z.trans), &seen)
	})
}

// atTimeZone writes a UTC column seen in zone z, named name as the engine
// names it: the column declared UTC, then converted (PostgreSQL's
// timestamp without time zone, SQL Server's datetime2).
func (e *emitter) atTimeZone(col *plan.ColumnRef, z *zoneShift, name string) {
	e.once(col, z, func() {
		e.byte1('(')
		e.col(col)
		e.raw(" AT TIME ZONE 'UTC' AT TIME ZONE ")
		e.bind(name)
		e.byte1(')')
	})
}

// once writes a column's conversion to zone z (an offset CASE or a native
// conversion: a dialect writes one or the other for a zone) with render,
// or, when placeholders are numbered and the same column was converted to
// the same zone before, repeats that text, whose placeholders bind the
// same arguments: a statement grouping one column by year, month and day
// binds the zone's transitions (or its name) once.
func (e *emitter) once(col *plan.ColumnRef, z *zoneShift, render func()) {
	numbered := e.caps.Params.Numbered()
	if numbered && col != nil {
		for _, w := range e.offsets {
			if w.zone.same(z) && w.src == col.Source && w.col == col.Column {
				e.again(w.start, w.end)
				return
			}
		}
	}
	start := e.n
	render()
	if numbered && col != nil {
		e.offsets = append(e.offsets, writtenOffset{z, col.Source, col.Column, start, e.n})
	}
}

// writtenOffset is the text of a column's conversion to a zone, written
// at e.buf[start:end].
type writtenOffset struct {
	zone       *zoneShift
	src        *plan.DataSource
	col        *plan.Column
	start, end int
}

// offsetCase covers offs[lo..hi]: transitions trans[lo..hi-1].
func (e *emitter) offsetCase(col *plan.ColumnRef, z *zoneShift, lo, hi int, seen *[][2]int64) {
	if lo == hi {
		e.offsetParam(z.offs[lo], seen)
		return
	}
	mid := (lo + hi) / 2
	e.raw("CASE WHEN ")
	e.col(col)
	e.raw(" < ")
	e.bind(e.timeArg(z.trans[mid], nil))
	e.raw(" THEN ")
	e.offsetCase(col, z, lo, mid, seen)
	e.raw(" ELSE ")
	e.offsetCase(col, z, mid+1, hi, seen)
	e.raw(" END")
}

// offsetParam binds an offset in minutes (reusing an earlier placeholder
// for the same offset when placeholders are numbered). TypedParams
// dialects get an explicit integer cast.
func (e *emitter) offsetParam(m int64, seen *[][2]int64) {
	typed := e.has(TypedParams)
	if typed {
		e.raw("CAST(")
	}
	reused := false
	if seen != nil && e.caps.Params.Numbered() {
		for _, s := range *seen {
			if s[0] == m {
				e.placeholder(int(s[1]))
				reused = true
				break
			}
		}
		if !reused {
			e.bind(m)
			*seen = append(*seen, [2]int64{m, int64(len(e.args))})
		}
	} else {
		e.bind(m)
	}
	if typed {
		e.raw(" AS integer)")
	}
}
