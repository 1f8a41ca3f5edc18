package sql

import (
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// TestWindowsZones: every IANA name of the table is a zone Go knows, named
// once, and every zone the tests and docs use has its Windows name.
func TestWindowsZones(t *testing.T) {
	seen := map[string]string{}
	for _, w := range windowsZones {
		for _, name := range strings.Fields(w.iana) {
			if prev, ok := seen[name]; ok {
				t.Errorf("%s is under both %q and %q", name, prev, w.windows)
			}
			seen[name] = w.windows
			if _, err := time.LoadLocation(name); err != nil {
				t.Errorf("%s (%s): %v", name, w.windows, err)
			}
		}
	}
	for name, want := range map[string]string{
		"America/New_York": "Eastern Standard Time", "Europe/Paris": "Romance Standard Time",
		"Europe/London": "GMT Standard Time", "Asia/Kolkata": "India Standard Time", "Asia/Calcutta": "India Standard Time",
		"Australia/Sydney": "AUS Eastern Standard Time", "Pacific/Chatham": "Chatham Islands Standard Time",
		"Australia/Lord_Howe": "Lord Howe Standard Time", "America/St_Johns": "Newfoundland Standard Time",
		"Pacific/Kiritimati": "Line Islands Standard Time", "Asia/Tokyo": "Tokyo Standard Time",
		"Asia/Kathmandu": "Nepal Standard Time", "America/Santiago": "Pacific SA Standard Time",
		"America/Havana": "Cuba Standard Time", "Pacific/Apia": "Samoa Standard Time",
		"Europe/Moscow": "Russian Standard Time", "Asia/Beirut": "Middle East Standard Time",
		"America/Sao_Paulo": "E. South America Standard Time", "Asia/Tehran": "Iran Standard Time",
		"Asia/Shanghai": "China Standard Time", "Africa/Casablanca": "Morocco Standard Time",
		"America/Los_Angeles": "Pacific Standard Time", "America/Chicago": "Central Standard Time",
		"Europe/Berlin": "W. Europe Standard Time", "Pacific/Auckland": "New Zealand Standard Time",
	} {
		if got := windowsZone[name]; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestSQLServerZones: a zone with a Windows name is converted by SQL
// Server itself, bound once however many date parts read it; one without
// keeps the offset CASE; a fixed offset stays one parameter.
func TestSQLServerZones(t *testing.T) {
	f := newFixture("")
	grouping := func(loc *time.Location) *plan.Plan {
		a := root("account", f.account)
		cols := []*plan.OutputColumn{{Name: "n", Source: a, Aggregate: ast.Count}}
		for _, g := range []ast.DateGrouping{ast.Year, ast.Quarter, ast.Month, ast.Week, ast.Day} {
			cols = append(cols, &plan.OutputColumn{Name: g.String(), Source: a, Column: column(f.account, "createdon"), GroupBy: true, DateGrouping: g, Zone: loc})
		}
		return &plan.Plan{Root: a, Aggregate: true, Columns: cols}
	}
	for _, c := range []struct {
		zone      string
		native    bool
		maxParams int
	}{
		{"America/New_York", true, 1},
		{"Asia/Kolkata", false, 1},       // no transitions since 1970: one offset
		{"Antarctica/Troll", false, 300}, // no Windows zone
	} {
		st, err := Emit(grouping(zone(c.zone)), SQLServer)
		if err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		if got := strings.Contains(st.SQL, "AT TIME ZONE"); got != c.native {
			t.Errorf("%s: AT TIME ZONE %v, want %v:\n%s", c.zone, got, c.native, st.SQL)
		}
		if len(st.Args) > c.maxParams {
			t.Errorf("%s: %d parameters, want at most %d", c.zone, len(st.Args), c.maxParams)
		}
		if c.native && (len(st.Args) != 1 || st.Args[0] != windowsZone[c.zone]) {
			t.Errorf("%s: arguments %v", c.zone, st.Args)
		}
	}
}
