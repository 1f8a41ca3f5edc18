package engine

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// sameZone compares time zones by name (LoadLocation returns a new
// *time.Location each time).
var sameZone = cmp.Comparer(func(a, b *time.Location) bool {
	return a == nil && b == nil || a != nil && b != nil && a.String() == b.String()
})

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ids(prefix string, nums ...int) []string {
	var out []string
	for _, n := range nums {
		out = append(out, prefix+"000000-0000-4000-8000-"+func() string {
			const hex = "0123456789abcdef"
			b := []byte("000000000000")
			for i := len(b) - 1; n > 0; i-- {
				b[i] = hex[n%16]
				n /= 16
			}
			return string(b)
		}())
	}
	return out
}

func TestLoadCallerSample(t *testing.T) {
	ctx := context.Background()
	db, cat, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name  string
		cat   plan.Catalog
		user  string
		depth int
		want  *plan.Caller
	}{
		{"manager, two levels", cat, SampleManagerID, 2, &plan.Caller{
			UserID: SampleManagerID, BusinessUnitID: ids("bb", 2)[0],
			TeamIDs:     ids("ee", 2, 4),
			Reports:     ids("aa", 4, 5, 7, 8, 9),
			ReportTeams: ids("ee", 2, 3, 4),
			LanguageID:  1033, TimeZone: zone(t, "America/Los_Angeles"),
		}},
		{"manager, direct reports only", cat, SampleManagerID, 1, &plan.Caller{
			UserID: SampleManagerID, BusinessUnitID: ids("bb", 2)[0],
			TeamIDs:     ids("ee", 2, 4),
			Reports:     ids("aa", 4, 5),
			ReportTeams: ids("ee", 2, 3, 4),
			LanguageID:  1033, TimeZone: zone(t, "America/Los_Angeles"),
		}},
		{"manager, no hierarchy", cat, SampleManagerID, 0, &plan.Caller{
			UserID: SampleManagerID, BusinessUnitID: ids("bb", 2)[0],
			TeamIDs:    ids("ee", 2, 4),
			LanguageID: 1033, TimeZone: zone(t, "America/Los_Angeles"),
		}},
		{"ceo, whole chain, id in braces and upper case", cat, "{AA000000-0000-4000-8000-000000000001}", 100, &plan.Caller{
			UserID: SampleCEOID, BusinessUnitID: ids("bb", 1)[0],
			TeamIDs:     ids("ee", 1),
			Reports:     ids("aa", 2, 3, 4, 5, 6, 7, 8, 9),
			ReportTeams: ids("ee", 1, 2, 3, 4),
			LanguageID:  3082, TimeZone: zone(t, "Europe/Paris"),
		}},
		{"rep, untyped names", nil, SampleRepID, 3, &plan.Caller{
			UserID: SampleRepID, BusinessUnitID: ids("bb", 2)[0],
			TeamIDs:    ids("ee", 2),
			LanguageID: 1033,
		}},
		{"language from usersettings", cat, ids("aa", 3)[0], 1, &plan.Caller{
			UserID: ids("aa", 3)[0], BusinessUnitID: ids("bb", 1)[0],
			TeamIDs:     ids("ee", 1),
			Reports:     ids("aa", 6),
			ReportTeams: ids("ee", 1),
			LanguageID:  1031, TimeZone: zone(t, "Europe/Berlin"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadCaller(ctx, db, tc.cat, tc.user, tc.depth)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, sameZone); diff != "" {
				t.Errorf("caller mismatch (-want +got):\n%s", diff)
			}
		})
	}
	for _, user := range []string{"00000000-0000-0000-0000-000000000001", "manager", ""} {
		if _, err := LoadCaller(ctx, db, cat, user, 2); diag.CodeOf(err) != diag.UnknownCaller {
			t.Errorf("LoadCaller(%q): %v, want %s", user, err, diag.UnknownCaller)
		}
	}
}

func TestLoadCallerNoTables(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := LoadCaller(ctx, db, nil, SampleManagerID, 2); diag.CodeOf(err) != diag.NoCallerTables {
		t.Errorf("empty database: %v, want %s", err, diag.NoCallerTables)
	}
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE systemuser (systemuserid TEXT, businessunitid TEXT, parentsystemuserid TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCaller(ctx, db, nil, SampleManagerID, 2); diag.CodeOf(err) != diag.UnknownCaller {
		t.Errorf("no such user: %v, want %s", err, diag.UnknownCaller)
	}
	// systemuser without teammembership: the unit and reports are read,
	// the teams are marked unknown (never silently empty).
	if _, err := db.SQL.ExecContext(ctx, "INSERT INTO systemuser VALUES (?, 'bb000000-0000-4000-8000-000000000001', NULL), ('aa000000-0000-4000-8000-000000000003', 'bb000000-0000-4000-8000-000000000001', ?)", SampleManagerID, SampleManagerID); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCaller(ctx, db, nil, SampleManagerID, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := &plan.Caller{UserID: SampleManagerID, BusinessUnitID: "bb000000-0000-4000-8000-000000000001",
		Reports: []string{"aa000000-0000-4000-8000-000000000003"}, Unknown: plan.CallerTeams | plan.CallerReportTeams}
	if diff := cmp.Diff(want, got, sameZone); diff != "" {
		t.Errorf("systemuser only (-want +got):\n%s", diff)
	}
	// A catalog without the tables.
	if _, err := LoadCaller(ctx, db, plan.MapCatalog{}, SampleManagerID, 2); diag.CodeOf(err) != diag.NoCallerTables {
		t.Errorf("catalog without systemuser: %v, want %s", err, diag.NoCallerTables)
	}
}

func TestLoadCallerEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, cat plan.Catalog) {
		got, err := LoadCaller(context.Background(), db, cat, SampleManagerID, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := &plan.Caller{
			UserID: SampleManagerID, BusinessUnitID: ids("bb", 2)[0],
			TeamIDs:     ids("ee", 2, 4),
			Reports:     ids("aa", 4, 5, 7, 8, 9),
			ReportTeams: ids("ee", 2, 3, 4),
			LanguageID:  1033, TimeZone: zone(t, "America/Los_Angeles"),
		}
		if diff := cmp.Diff(want, got, sameZone); diff != "" {
			t.Errorf("caller mismatch (-want +got):\n%s", diff)
		}
	})
}
