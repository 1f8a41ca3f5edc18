package engine

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// TestProbeGuidStorage loads the sample in each storage form and checks
// what the probe reads back, on SQLite and the configured engines.
func TestProbeGuidStorage(t *testing.T) {
	ctx := context.Background()
	engines := testkit.OptionalEngines(t)
	engines["sqlite"] = "sqlite::memory:"
	for _, tc := range []struct {
		engine string
		form   FixtureForm
		want   plan.GuidStorage
	}{
		{"sqlite", FixtureForm{}, plan.GuidLower},
		{"sqlite", FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT"}, plan.GuidUpper},
		{"sqlite", FixtureForm{Guid: plan.GuidAnyCase, GuidType: "UNIQUEIDENTIFIER"}, plan.GuidAnyCase},
		{"sqlite", FixtureForm{Guid: plan.GuidBinary, GuidType: "BLOB(16)"}, plan.GuidBinary},
		{"postgres", FixtureForm{}, plan.GuidNative},
		{"postgres", FixtureForm{Guid: plan.GuidUpper}, plan.GuidUpper},
		{"postgres", FixtureForm{Guid: plan.GuidAnyCase}, plan.GuidAnyCase},
		{"mysql", FixtureForm{}, plan.GuidLower},
		{"mysql", FixtureForm{Guid: plan.GuidUpper, GuidType: "CHAR(36) COLLATE utf8mb4_general_ci"}, plan.GuidUpper},
		{"mysql", FixtureForm{Guid: plan.GuidAnyCase, GuidType: "CHAR(36) COLLATE utf8mb4_general_ci"}, plan.GuidAnyCase},
		{"mysql", FixtureForm{Guid: plan.GuidBinary}, plan.GuidBinary},
	} {
		dsn := engines[tc.engine]
		if dsn == "" {
			continue
		}
		t.Run(fmt.Sprintf("%s/%s/%s", tc.engine, tc.form.Guid, tc.form.GuidType), func(t *testing.T) {
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			prefix := fmt.Sprintf("probe%d_", os.Getpid())
			tc.form.NoForeignKeys, tc.form.Probe = true, true
			cat, err := LoadFixtureForm(ctx, db, prefix, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer DropFixture(ctx, db, prefix)
			for _, name := range []string{"account.accountid", "account.ownerid", "account.parentaccountid", "teammembership.teamid"} {
				c := column(t, cat, name)
				if c.Guid != tc.want {
					t.Errorf("%s probed %s, want %s", name, c.Guid, tc.want)
				}
			}
		})
	}
}

func column(t *testing.T, cat plan.Catalog, name string) *plan.Column {
	t.Helper()
	var tn, cn string
	for i := range name {
		if name[i] == '.' {
			tn, cn = name[:i], name[i+1:]
		}
	}
	tb, ok := cat.Table(tn)
	if !ok {
		t.Fatalf("no table %s", tn)
	}
	c, ok := tb.Column(cn)
	if !ok {
		t.Fatalf("no column %s", name)
	}
	return c
}

// TestProbeGuidStorageDeclared: a metadata file's "guidStorage" is kept,
// and a SQLite column holding both text and blobs is refused.
func TestProbeGuidStorageDeclared(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE thing (thingid TEXT PRIMARY KEY, otherid TEXT);
INSERT INTO thing VALUES ('AA000000-0000-4000-8000-000000000001', x'aa000000000040008000000000000001'), ('aa000000-0000-4000-8000-000000000002', 'x')`); err != nil {
		t.Fatal(err)
	}
	cat, err := ParseMetadata("m.json", []byte(`{"entities": [{"logicalName": "thing", "attributes": [
  {"logicalName": "thingid", "type": "Uniqueidentifier", "guidStorage": "upper"},
  {"logicalName": "otherid", "type": "Uniqueidentifier"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = ProbeGuidStorage(ctx, db, cat)
	if diag.CodeOf(err) != diag.BadMetadataFile {
		t.Fatalf("want %s for text and blobs in one column, got %v", diag.BadMetadataFile, err)
	}
	if c := column(t, cat, "thing.thingid"); c.Guid != plan.GuidUpper || !c.GuidDeclared {
		t.Errorf("declared form replaced: %s", c.Guid)
	}
	if _, err := db.SQL.ExecContext(ctx, `UPDATE thing SET otherid = NULL`); err != nil {
		t.Fatal(err)
	}
	if err := ProbeGuidStorage(ctx, db, cat); err != nil {
		t.Fatal(err)
	}
	if c := column(t, cat, "thing.thingid"); c.Guid != plan.GuidUpper {
		t.Errorf("declared form replaced: %s (the values are in both cases)", c.Guid)
	}
}

// TestProbeGuidStorageBounded: the probe reads at most GuidProbeRows rows
// of a table: rows past them do not change the form (a lower-case GUID
// after GuidProbeRows upper-case ones leaves the column upper-case), and a
// metadata file says "anycase" for such a table.
func TestProbeGuidStorageBounded(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE thing (thingid TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	add := func(from, to int, format string) {
		for i := from; i < to; i++ {
			if _, err := db.SQL.ExecContext(ctx, `INSERT INTO thing VALUES (?)`, fmt.Sprintf(format, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	probe := func(declared string) plan.GuidStorage {
		t.Helper()
		cat, err := ParseMetadata("m.json", []byte(`{"entities": [{"logicalName": "thing", "attributes": [
  {"logicalName": "thingid", "type": "Uniqueidentifier"`+declared+`}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := ProbeGuidStorage(ctx, db, cat); err != nil {
			t.Fatal(err)
		}
		return column(t, cat, "thing.thingid").Guid
	}
	add(0, GuidProbeRows-1, "AA000000-0000-4000-8000-%012d")
	add(GuidProbeRows, GuidProbeRows+1, "aa000000-0000-4000-8000-00000000000a%06d")
	if g := probe(""); g != plan.GuidAnyCase {
		t.Errorf("a table within the sample, in both cases: %s, want anycase (exact)", g)
	}
	if _, err := db.SQL.ExecContext(ctx, `DELETE FROM thing; INSERT INTO thing VALUES ('AA000000-0000-4000-8000-999999999999')`); err != nil {
		t.Fatal(err)
	}
	add(1, GuidProbeRows, "AA000000-0000-4000-8000-%012d")
	add(GuidProbeRows, GuidProbeRows+1, "aa000000-0000-4000-8000-00000000000a%06d")
	if g := probe(""); g != plan.GuidUpper {
		t.Errorf("the row past the sample was read: %s, want upper", g)
	}
	if g := probe(`, "guidStorage": "anycase"`); g != plan.GuidAnyCase {
		t.Errorf("a declared form is kept: %s", g)
	}
}

// cancelAfter is a context that reports itself live to its first n Err
// calls, then cancelled: the cancellation lands between findGuidColumns'
// own check and its sample.
type cancelAfter struct {
	context.Context
	n atomic.Int32 // database/sql may ask from another goroutine
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) >= 0 {
		return nil
	}
	return c.Context.Err()
}

// TestFindGuidColumnsCancelled: a sample that fails because the context
// was cancelled returns the cancellation; before, it was taken for a table
// changed under the probe and the columns were judged by name.
func TestFindGuidColumnsCancelled(t *testing.T) {
	db, err := Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.Exec(`CREATE TABLE thing (thingid TEXT, note TEXT)`); err != nil {
		t.Fatal(err)
	}
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	tables := []*introTable{{name: "thing", cols: []introCol{{name: "thingid", typ: "TEXT"}, {name: "note", typ: "TEXT"}}}}
	ctx := &cancelAfter{Context: dead}
	ctx.n.Store(1)
	if err := findGuidColumns(ctx, db, tables); err != context.Canceled {
		t.Errorf("findGuidColumns with the context cancelled during the sample: %v, want %v", err, context.Canceled)
	}
}
