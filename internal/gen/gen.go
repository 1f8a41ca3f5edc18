// Package gen generates what the property harness (internal/prove) runs:
// metadata-consistent random schemas of 2–4 related tables (text,
// integer, decimal, float, boolean, datetime in three behaviours, lookup,
// labelled choice, multi-select, an optional hierarchy), datasets full of
// edge values (NULLs, mixed case, LIKE metacharacters, non-ASCII, boundary
// numbers, midnights, month and year edges and DST transitions in the
// caller's zone), the caller's clock, fiscal calendar and identity, and
// random FetchXML query trees over them covering the operator families,
// link types, nesting, aggregates, orders, top and paging.
//
// NewDataset and NewQuery draw from a math/rand source, so a seed
// reproduces a run; DatasetGen and QueryGen wrap them as gopter
// generators (QueryGen shrinks with ShrinkQuery). Minimize reduces a
// failing (dataset, query) pair greedily to a minimal one.
package gen

import (
	"fmt"
	"math/big"
	"math/rand"
	"time"

	"github.com/leanovate/gopter"

	"github.com/vecompile/vecompile/internal/refeval"
)

// Dataset is a generated database with the caller's clock.
type Dataset struct {
	DB  *refeval.Database
	Env refeval.Env
}

// Zones are the callers' zones: UTC, DST zones in both hemispheres, and
// half- and three-quarter-hour offsets. None changes its clocks at
// midnight (refeval's day arithmetic relies on that; see its dates.go).
var Zones = []string{"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham"}

// drawFiscal draws a fiscal calendar, one of four kinds alike: month-based
// periods (2000 annual … 2003 monthly) from the 1st of a month, from
// another day up to the 28th, or from the 29th–31st (which later periods
// clamp to shorter months' last day), or four-weekly periods (2004) from
// any day. The start day exists in a common year, as Dataverse requires.
func drawFiscal(r *rand.Rand) *refeval.Fiscal {
	kind := r.Intn(4)
	f := &refeval.Fiscal{StartMonth: time.Month(1 + r.Intn(12)), StartDay: 1, PeriodType: 2000 + r.Intn(4)}
	last := time.Date(2001, f.StartMonth+1, 0, 0, 0, 0, 0, time.UTC).Day()
	switch kind {
	case 1:
		f.StartDay = 2 + r.Intn(27)
	case 2:
		f.StartDay = min(29+r.Intn(3), last)
	case 3:
		f.PeriodType = 2004
		f.StartDay = 1 + r.Intn(last)
	}
	return f
}

// DatasetGen generates datasets.
func DatasetGen() gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(NewDataset(p.Rng), gopter.NoShrinker)
	}
}

// NewDataset draws a dataset from r.
func NewDataset(r *rand.Rand) *Dataset {
	zone, err := time.LoadLocation(Zones[r.Intn(len(Zones))])
	if err != nil {
		zone = time.UTC
	}
	env := refeval.Env{Now: drawNow(r, zone), Zone: zone, WeekStart: time.Weekday(r.Intn(2)), Fiscal: drawFiscal(r)}
	db := &refeval.Database{}
	n := 2 + r.Intn(3)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("t%c", 'a'+i)
		t := &refeval.Table{Name: name, PrimaryKey: name + "id", PrimaryName: "name"}
		t.Columns = append(t.Columns,
			&refeval.Column{Name: name + "id", Kind: refeval.Guid},
			&refeval.Column{Name: "name", Kind: refeval.String},
			&refeval.Column{Name: "num", Kind: refeval.Int},
			&refeval.Column{Name: "happened", Kind: refeval.DateTime})
		for _, c := range []*refeval.Column{
			{Name: "code", Kind: refeval.String},
			{Name: "amount", Kind: refeval.Decimal},
			{Name: "ratio", Kind: refeval.Float},
			{Name: "flag", Kind: refeval.Bool},
			{Name: "stage", Kind: refeval.Choice, Labels: stageLabels},
			{Name: "due", Kind: refeval.DateTime},
			{Name: "birthday", Kind: refeval.DateOnly},
			{Name: "localtime", Kind: refeval.WallDateTime},
			{Name: "tags", Kind: refeval.MultiChoice},
		} {
			if r.Intn(2) == 0 {
				t.Columns = append(t.Columns, c)
			}
		}
		if i == 0 && r.Intn(2) == 0 {
			// A hierarchy: rows point at earlier rows, so it has no cycle.
			t.Columns = append(t.Columns, &refeval.Column{Name: "parent" + name, Kind: refeval.Lookup, Target: name})
		}
		if i > 0 {
			// A lookup to an earlier table keeps the schema a tree.
			target := db.Tables[r.Intn(i)]
			t.Columns = append(t.Columns, &refeval.Column{Name: "parent" + target.Name, Kind: refeval.Lookup, Target: target.Name})
		}
		db.Tables = append(db.Tables, t)
	}
	for _, t := range db.Tables {
		rows := r.Intn(21)
		for j := 0; j < rows; j++ {
			row := refeval.Row{}
			for _, c := range t.Columns {
				row[c.Name] = drawValue(r, db, t, c, env)
			}
			t.Rows = append(t.Rows, row)
		}
	}
	env.Caller = drawCaller(r, db)
	return &Dataset{DB: db, Env: env}
}

// drawCaller picks the caller's ids among the rows' keys, so that
// identity operators match some rows (and sometimes an id no row has).
func drawCaller(r *rand.Rand, db *refeval.Database) *refeval.Caller {
	var keys []string
	for _, t := range db.Tables {
		for _, row := range t.Rows {
			keys = append(keys, row[t.PrimaryKey].(string))
		}
	}
	id := func() string {
		if len(keys) == 0 || r.Intn(6) == 0 {
			return guid(r)
		}
		return keys[r.Intn(len(keys))]
	}
	ids := func(max int) []string {
		var out []string
		for i := r.Intn(max + 1); i > 0; i-- {
			out = append(out, id())
		}
		return out
	}
	return &refeval.Caller{UserID: id(), BusinessUnitID: id(), TeamIDs: ids(2), Reports: ids(2), ReportTeams: ids(1), LanguageID: ints[r.Intn(len(ints))]}
}

// drawNow picks the clock: near a DST transition of the zone, at a month
// or year edge, on 29 February, or anywhere in 2025–2027. Whole seconds,
// as the engines store them.
func drawNow(r *rand.Rand, zone *time.Location) time.Time {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int63n(3*365*24*3600)) * time.Second)
	switch r.Intn(5) {
	case 0:
		if ts := transitions(zone, base); len(ts) > 0 {
			return ts[r.Intn(len(ts))].Add(time.Duration(r.Intn(7201)-3600) * time.Second)
		}
	case 1:
		l := base.In(zone)
		return time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, zone).Add(time.Duration(r.Intn(7)-3) * time.Second)
	case 2:
		return time.Date(2025+r.Intn(3), 12, 31, 23, 59, 59, 0, zone).Add(time.Duration(r.Intn(3)) * time.Second)
	case 3:
		return time.Date(2028, 2, 29, r.Intn(24), r.Intn(60), 0, 0, zone)
	}
	return base
}

// transitions lists the zone's offset changes within a year of t.
func transitions(zone *time.Location, t time.Time) []time.Time {
	var out []time.Time
	cur := t.AddDate(-1, 0, 0)
	for i := 0; i < 8; i++ {
		_, end := cur.In(zone).ZoneBounds()
		if end.IsZero() || end.After(t.AddDate(1, 0, 0)) {
			break
		}
		out = append(out, end)
		cur = end
	}
	return out
}

// Strings mixes case, LIKE metacharacters, brackets, non-ASCII letters
// (whose case folds), quotes and spaces.
var Strings = []string{
	"", "abc", "ABC", "Abc", "a_c", "a%c", "abbc", "a[b]c", "[x", "x]", "ünïcode", "ÜNÏCODE", "éclair", "Éclair",
	"straße", "O'Brien", "a b", "x_y%z", "%", "_", "Zebra", "zebra", "ab", "b", "100%", "Ωmega", "ωMEGA", "-", "a\\c",
}

// stageLabels label four of the five choice values so that label order
// (2 4 1 3), case-sensitive order (2 3 4 1) and value order all differ,
// with a case-only tie (Alpha, alpha); 100000000 has no label.
var stageLabels = map[int64]string{1: "beta", 2: "Alpha", 3: "Gamma", 4: "alpha"}

var ints = []int64{0, 1, -1, 2, 7, 42, -42, 100, 2147483647, -2147483648}
var cents = []int64{0, 1, -1, 1050, -99999, 123456789012, 5, 50}
var floats = []float64{0, 0.5, -0.25, 1024, 3.75, -7.125, 1e6}
var choices = []int64{1, 2, 3, 4, 100000000}

func drawValue(r *rand.Rand, db *refeval.Database, t *refeval.Table, c *refeval.Column, env refeval.Env) any {
	if c.Kind == refeval.Guid {
		return guid(r)
	}
	if r.Intn(5) == 0 {
		return nil
	}
	switch c.Kind {
	case refeval.String:
		if r.Intn(4) == 0 {
			return randomString(r)
		}
		return Strings[r.Intn(len(Strings))]
	case refeval.Int:
		return ints[r.Intn(len(ints))]
	case refeval.Choice:
		return choices[r.Intn(len(choices))]
	case refeval.Decimal:
		return big.NewRat(cents[r.Intn(len(cents))], 100)
	case refeval.Float:
		return floats[r.Intn(len(floats))]
	case refeval.Bool:
		return r.Intn(2) == 0
	case refeval.DateTime:
		return drawTime(r, env)
	case refeval.DateOnly:
		y, m, d := drawTime(r, env).In(env.Zone).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case refeval.WallDateTime:
		return wallClock(drawTime(r, env).In(env.Zone))
	case refeval.MultiChoice:
		// A non-empty subset of 1..4, in increasing order.
		var set []int64
		for v := int64(1); v <= 4; v++ {
			if r.Intn(2) == 0 {
				set = append(set, v)
			}
		}
		if len(set) == 0 {
			set = []int64{int64(1 + r.Intn(4))}
		}
		return set
	case refeval.Lookup:
		target := db.Table(c.Target)
		if len(target.Rows) == 0 {
			return nil // for a hierarchy: the first row, or rows in shrunk data
		}
		return target.Rows[r.Intn(len(target.Rows))][target.PrimaryKey]
	}
	return nil
}

func randomString(r *rand.Rand) string {
	// é É ü Ü fold to e and u (accent-insensitive collation), which the
	// alphabet holds too; ß and ø do not decompose.
	const alphabet = "aAbBcCeEuU_%[]^-éÉüÜ ßø"
	runes := []rune(alphabet)
	n := 1 + r.Intn(5)
	out := make([]rune, n)
	for i := range out {
		out[i] = runes[r.Intn(len(runes))]
	}
	if out[n-1] == ' ' {
		// Trailing spaces: comparisons ignore them on every engine (as
		// SQL Server does, emit/sql/pad.go), but MariaDB's PAD SPACE
		// collations also tie 'a' and 'a ' in ORDER BY, which the others
		// order: kept out of the generated data.
		out[n-1] = 'a'
	}
	return string(out)
}

// drawTime picks an instant near the clock's interesting boundaries:
// local midnights up to 40 days away (and a second either side), month
// and year starts, fiscal period starts, DST transitions, the clock
// itself, or anywhere within 400 days.
func drawTime(r *rand.Rand, env refeval.Env) time.Time {
	l := env.Now.In(env.Zone)
	jitter := time.Duration(r.Intn(3)-1) * time.Second
	var t time.Time
	switch r.Intn(11) {
	case 10:
		t = fiscalEdge(r, env, l.Year()).Add(jitter)
	case 7, 8, 9:
		// Any time of a day near today: relative-date intervals end at
		// local midnights, so these rows sit on either side of them.
		d := time.Date(l.Year(), l.Month(), l.Day()+r.Intn(7)-3, 0, 0, 0, 0, env.Zone)
		t = d.Add(time.Duration(r.Intn(24*3600)) * time.Second)
	case 0:
		days := r.Intn(11) - 5
		if r.Intn(2) == 0 {
			days = r.Intn(81) - 40
		}
		t = time.Date(l.Year(), l.Month(), l.Day()+days, 0, 0, 0, 0, env.Zone).Add(jitter)
	case 1:
		t = time.Date(l.Year(), l.Month()+time.Month(r.Intn(25)-12), 1, 0, 0, 0, 0, env.Zone).Add(jitter)
	case 2:
		t = time.Date(l.Year()+r.Intn(5)-2, 1, 1, 0, 0, 0, 0, env.Zone).Add(jitter)
	case 3:
		if ts := transitions(env.Zone, env.Now); len(ts) > 0 {
			t = ts[r.Intn(len(ts))].Add(jitter)
		} else {
			t = env.Now.Add(jitter)
		}
	case 4:
		t = env.Now.Add(time.Duration(r.Intn(7201)-3600) * time.Second)
	case 5:
		t = env.Now.Add(jitter)
	default:
		t = env.Now.Add(time.Duration(r.Int63n(800*24*3600)-400*24*3600) * time.Second)
	}
	return t.UTC().Truncate(time.Second)
}

// fiscalEdge is local midnight on or just before a day on which a fiscal
// period may start, in or next to year y: the fiscal-year start, the
// start day of any month (or the month's last day when shorter), or a
// multiple of 28 days from the year start, including the 1–2 days a
// four-weekly year has left over before the next start.
func fiscalEdge(r *rand.Rand, env refeval.Env, y int) time.Time {
	f := env.Fiscal
	y += r.Intn(3) - 1
	sm, sd := time.January, 1
	if f != nil {
		sm, sd = f.StartMonth, max(f.StartDay, 1)
	}
	var d time.Time
	switch r.Intn(3) {
	case 0:
		d = time.Date(y, sm, sd-r.Intn(3), 0, 0, 0, 0, time.UTC)
	case 1:
		m := time.Month(1 + r.Intn(12))
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		d = time.Date(y, m, min(sd, last)-r.Intn(2), 0, 0, 0, 0, time.UTC)
	default:
		d = time.Date(y, sm, sd+28*r.Intn(14)-r.Intn(2), 0, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, env.Zone)
}

// wallClock is t's wall clock as a UTC time (how Date Only and Time-Zone
// Independent values are held).
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func guid(r *rand.Rand) string {
	var b [16]byte
	r.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
