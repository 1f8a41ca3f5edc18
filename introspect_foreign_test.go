package vecompile_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// foreignDB is a database holding the sample as an export stores it, its
// tables unprefixed (Dataverse's names are what introspection reads), on
// SQLite files and, when configured, in a schema (PostgreSQL) or database
// (MariaDB) of its own.
type foreignDB struct {
	name, dsn string
	form      engine.FixtureForm
}

func foreignDatabases(t *testing.T) []foreignDB {
	ctx := context.Background()
	dir := t.TempDir()
	var out []foreignDB
	for _, f := range []struct {
		name string
		form engine.FixtureForm
	}{
		{"sqlite text_upper", engine.FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT", NoForeignKeys: true}},
		{"sqlite blob", engine.FixtureForm{Guid: plan.GuidBinary, GuidType: "BLOB(16)", NoForeignKeys: true}},
		{"sqlite uniqueidentifier_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, GuidType: "UNIQUEIDENTIFIER", NoForeignKeys: true}},
	} {
		out = append(out, foreignDB{f.name, "sqlite:" + filepath.Join(dir, strings.ReplaceAll(f.name, " ", "_")+".db"), f.form})
	}
	own := ownEngineDatabases(t, "vcforeign")
	if dsn := own["postgres"]; dsn != "" {
		out = append(out, foreignDB{"postgres text_upper", dsn, engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true}})
	}
	if dsn := own["mysql"]; dsn != "" {
		out = append(out, foreignDB{"mariadb char36_upper", dsn, engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true}})
	}
	for _, f := range out {
		dsn := f.dsn
		if strings.HasPrefix(dsn, "sqlite:") {
			dsn += "?create=true"
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.LoadFixtureForm(ctx, db, "", f.form); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		db.Close()
	}
	return out
}

// ownEngineDatabases gives each configured engine a namespace of this
// process's own, where tables keep Dataverse's unprefixed names: a
// PostgreSQL schema (through search_path) and a MariaDB database, dropped
// when the test ends. It returns their DSNs by engine.
func ownEngineDatabases(t *testing.T, name string) map[string]string {
	ctx := context.Background()
	engines := testkit.OptionalEngines(t)
	schema := fmt.Sprintf("%s%d", name, os.Getpid())
	out := map[string]string{}
	if dsn := engines["postgres"]; dsn != "" {
		admin, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, admin.SQL, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		mustExec(t, admin.SQL, "CREATE SCHEMA "+schema)
		t.Cleanup(func() { admin.SQL.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); admin.Close() })
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		out["postgres"] = dsn + sep + "search_path=" + schema
	}
	if dsn := engines["mysql"]; dsn != "" {
		admin, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, admin.SQL, "DROP DATABASE IF EXISTS "+schema)
		mustExec(t, admin.SQL, "CREATE DATABASE "+schema)
		t.Cleanup(func() { admin.SQL.Exec("DROP DATABASE IF EXISTS " + schema); admin.Close() })
		out["mysql"] = dsn[:strings.LastIndex(dsn, "/")+1] + schema
	}
	return out
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestForeignIntrospection: a copy of Dataverse data without foreign keys
// and with GUIDs as upper-case text, bytes or both cases is understood
// from --db alone: GUID columns, lookups and owners by Dataverse's naming,
// the hierarchy by parent<table>id; the queries return the sample's rows.
// vecompile metadata's file reads back and gives the same rows.
func TestForeignIntrospection(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)
	user := engine.SampleUsers["europe"]
	want := runGuidQueries(t, ctx, vecompile.Config{Sample: true, UserID: user, Now: now})
	for _, f := range foreignDatabases(t) {
		t.Run(f.name, func(t *testing.T) {
			c, err := vecompile.Open(ctx, vecompile.Config{DSN: f.dsn})
			if err != nil {
				t.Fatal(err)
			}
			cat := c.Catalog()
			c.Close()
			for _, w := range []struct{ table, col, typ, targets string }{
				{"account", "accountid", "Uniqueidentifier", ""},
				{"account", "ownerid", "Owner", "systemuser,team"},
				{"account", "parentaccountid", "Lookup", "account"},
				{"account", "primarycontactid", "Lookup", "contact"},
				{"account", "owningbusinessunit", "Lookup", "businessunit"},
				{"contact", "parentcustomerid", "Customer", "account,contact"},
				{"teammembership", "systemuserid", "Lookup", "systemuser"},
			} {
				tb, _ := cat.Table(w.table)
				col, ok := tb.Column(w.col)
				if !ok || col.Type.String() != w.typ || strings.Join(col.Targets, ",") != w.targets {
					t.Errorf("%s.%s: %v %v, want %s %s", w.table, w.col, col.Type, col.Targets, w.typ, w.targets)
				}
				if ok && col.Guid != f.form.Guid {
					t.Errorf("%s.%s stored %s, want %s", w.table, w.col, col.Guid, f.form.Guid)
				}
			}
			if tb, _ := cat.Table("account"); tb.Hierarchy() == nil || tb.PrimaryName != "name" {
				t.Errorf("account: hierarchy %v, primary name %q", tb.Hierarchy(), tb.PrimaryName)
			}
			got := runGuidQueries(t, ctx, vecompile.Config{DSN: f.dsn, UserID: user, Now: now})
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("query %d:\n--- sample\n%s--- introspected %s\n%s", i, want[i], f.name, got[i])
				}
			}
			// vecompile metadata's output, passed back with --metadata.
			var buf bytes.Buffer
			if err := engine.WriteMetadata(&buf, cat.(plan.MapCatalog)); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "inferred.json")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			got = runGuidQueries(t, ctx, vecompile.Config{DSN: f.dsn, MetadataFile: file, UserID: user, Now: now})
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("query %d with the written metadata:\n--- sample\n%s--- %s\n%s", i, want[i], f.name, got[i])
				}
			}
		})
	}
}
