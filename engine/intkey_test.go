package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// An integer primary key is introspected as a Uniqueidentifier stored as
// GuidInteger (exposed through plan.IntKeyGUID), and a foreign key holding
// it as a lookup of the same form; the probe leaves both alone.
func TestIntrospectIntegerKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, _ plan.Catalog) {
		ctx := context.Background()
		parent, child := testPrefix+"ikparent", testPrefix+"ikchild"
		serial := map[string]string{SQLite: "INTEGER PRIMARY KEY", Postgres: "BIGSERIAL PRIMARY KEY", MySQL: "BIGINT AUTO_INCREMENT PRIMARY KEY"}[db.Dialect]
		drop := func() {
			db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+child)
			db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+parent)
		}
		drop()
		defer drop()
		for _, s := range []string{
			"CREATE TABLE " + parent + " (id " + serial + ", name VARCHAR(20))",
			"CREATE TABLE " + child + " (id " + serial + ", parentref BIGINT, code INTEGER, FOREIGN KEY (parentref) REFERENCES " + parent + "(id))",
		} {
			if _, err := db.SQL.ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		cat, err := Introspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		col := func(table, name string) *plan.Column {
			tb, ok := cat.Table(table)
			if !ok {
				t.Fatalf("no table %s", table)
			}
			c, ok := tb.Column(name)
			if !ok {
				t.Fatalf("no column %s.%s", table, name)
			}
			return c
		}
		for _, w := range []struct {
			table, col string
			typ        plan.Type
			guid       plan.GuidStorage
			targets    string
		}{
			{parent, "id", plan.TUniqueidentifier, plan.GuidInteger, ""},
			{child, "id", plan.TUniqueidentifier, plan.GuidInteger, ""},
			{child, "parentref", plan.TLookup, plan.GuidInteger, parent},
		} {
			c := col(w.table, w.col)
			if c.Type != w.typ || c.Guid != w.guid || strings.Join(c.Targets, ",") != w.targets {
				t.Errorf("%s.%s: %s %s %v, want %s %s %s", w.table, w.col, c.Type, c.Guid, c.Targets, w.typ, w.guid, w.targets)
			}
		}
		if c := col(child, "code"); c.Type != plan.TInteger {
			t.Errorf("a plain integer column is %s", c.Type)
		}
	})
}

// Metadata declares an integer key with "guidStorage": "integer"; a lookup
// to it without a guidStorage of its own holds the integer too.
func TestMetadataIntegerKeys(t *testing.T) {
	cat, err := ParseMetadata("k.json", []byte(`{"version": 1, "entities": [
{"logicalName": "p", "entitySetName": "ps", "primaryIdAttribute": "pid",
 "attributes": [{"logicalName": "pid", "type": "Uniqueidentifier", "guidStorage": "integer"}]},
{"logicalName": "c", "entitySetName": "cs", "primaryIdAttribute": "cid",
 "attributes": [{"logicalName": "cid", "type": "Uniqueidentifier"}, {"logicalName": "pref", "type": "Lookup", "targets": ["p"]},
  {"logicalName": "pref2", "type": "Lookup", "targets": ["p", "c"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	get := func(table, name string) plan.GuidStorage {
		tb, _ := cat.Table(table)
		c, _ := tb.Column(name)
		return c.Guid
	}
	if get("p", "pid") != plan.GuidInteger || get("c", "pref") != plan.GuidInteger {
		t.Errorf("integer key and its lookup: %s %s", get("p", "pid"), get("c", "pref"))
	}
	if get("c", "cid") != plan.GuidLower || get("c", "pref2") != plan.GuidLower {
		t.Errorf("a GUID key, and a lookup with a GUID-keyed target: %s %s", get("c", "cid"), get("c", "pref2"))
	}
}
