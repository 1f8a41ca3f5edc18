package engine

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crm.db")
	if _, err := Open(ctx, "sqlite:"+path); diag.CodeOf(err) != diag.BadDSN {
		t.Fatalf("missing file: got %v, want %s", err, diag.BadDSN)
	}
	db, err := Open(ctx, "sqlite:"+path+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect != SQLite {
		t.Errorf("dialect %q", db.Dialect)
	}
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The file now exists: no create needed.
	for _, dsn := range []string{"sqlite:" + path, "sqlite://" + path} {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 't'").Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: table t not found (%d, %v)", dsn, n, err)
		}
		db.Close()
	}
	mem, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	// One connection: a table created by one statement is seen by the next.
	if _, err := mem.SQL.ExecContext(ctx, "CREATE TABLE m (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.SQL.ExecContext(ctx, "INSERT INTO m VALUES (1)"); err != nil {
		t.Fatalf("in-memory database lost between statements: %v", err)
	}
}

// TestOpenKeepsIdleConnections: connections released after 8 concurrent
// queries stay open (database/sql alone keeps 2 and closes the others),
// on every engine but an in-memory SQLite database (one connection).
func TestOpenKeepsIdleConnections(t *testing.T) {
	ctx := context.Background()
	engines := testkit.OptionalEngines(t)
	engines["sqlite"] = "sqlite:" + filepath.Join(t.TempDir(), "idle.db") + "?create=true"
	for name, dsn := range engines {
		t.Run(name, func(t *testing.T) {
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			const n = 8
			conns := make([]*sql.Conn, n)
			for i := range conns {
				if conns[i], err = db.SQL.Conn(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range conns {
				c.Close()
			}
			if st := db.SQL.Stats(); st.Idle < min(n, DefaultIdleConns()) || st.MaxIdleClosed > 0 {
				t.Errorf("after %d connections released: %d idle, %d closed as over the idle limit", n, st.Idle, st.MaxIdleClosed)
			}
		})
	}
}

func TestSQLiteUnicodeLower(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var lower, upper string
	var null any
	if err := db.SQL.QueryRowContext(ctx, "SELECT lower('CAFÉ ÜNÏCODE ÅSA'), upper('straße é'), lower(NULL)").Scan(&lower, &upper, &null); err != nil {
		t.Fatal(err)
	}
	if lower != "café ünïcode åsa" || upper != "STRAßE É" || null != nil {
		t.Errorf("lower/upper not Unicode-aware: %q %q %v", lower, upper, null)
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) WHERE lower('Ünïcode') LIKE '%ünï%'").Scan(&n); err != nil || n != 1 {
		t.Errorf("lower() in a predicate: %d, %v", n, err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		dsn  string
		code diag.Code
	}{
		{"", diag.BadDSN},
		{"crm.db", diag.BadDSN},
		{"oracle://scott:tiger@host/db", diag.BadDSN},
		{"sqlite:", diag.BadDSN},
		{"sqlite:x.db?create=maybe", diag.BadDSN},
		{"sqlite:x.db?%zz", diag.BadDSN},
		{"postgres://bob:s3cr3t@host:notaport/db", diag.BadDSN},
		{"postgres://bob:s3cr3t@host/db?sslmode=sometimes", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:3306", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:3306/", diag.BadDSN},
		{"mysql://host:3306/db", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:99999/db", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:3306/db?parseTime=maybe", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:3306/db%zz", diag.BadDSN},
		{"mysql://bob:s3cr3t@host:3306/db?clientFoundRows=false", diag.BadDSN},
		{"postgres://bob:s3cr3t@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", diag.DatabaseError},
		{"mysql://bob:s3cr3t@127.0.0.1:1/db?timeout=5s", diag.DatabaseError},
	} {
		db, err := Open(ctx, tc.dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want %s", tc.dsn, tc.code)
			continue
		}
		if got := diag.CodeOf(err); got != tc.code {
			t.Errorf("Open(%q): code %s (%v), want %s", tc.dsn, got, err, tc.code)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Open(%q) echoes the password: %v", tc.dsn, err)
		}
	}
}

func TestOpenServers(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, dsn, dialect string) {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%s): %v", redactDSN(dsn), err)
		}
		defer db.Close()
		if db.Dialect != dialect {
			t.Errorf("dialect %q, want %q", db.Dialect, dialect)
		}
		var n int64
		if err := db.SQL.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
			t.Errorf("SELECT 1: %d, %v", n, err)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		dsn := testkit.PostgresDSN(t)
		check(t, dsn, Postgres)
		check(t, "postgresql"+strings.TrimPrefix(dsn, "postgres"), Postgres)
		// Sessions run in UTC.
		db, _ := Open(ctx, dsn)
		defer db.Close()
		var tz string
		if err := db.SQL.QueryRowContext(ctx, "SHOW TimeZone").Scan(&tz); err != nil || tz != "UTC" {
			t.Errorf("TimeZone = %q, %v; want UTC", tz, err)
		}
	})
	t.Run("mysql", func(t *testing.T) {
		dsn := testkit.MySQLDSN(t)
		check(t, dsn, MySQL)
		check(t, "mariadb"+strings.TrimPrefix(dsn, "mysql"), MySQL)
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db, err := Open(ctx, dsn+sep+"multiStatements=true")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.SQL.ExecContext(ctx, "SELECT 1; SELECT 2"); err != nil {
			t.Errorf("multiStatements=true not passed to the driver: %v", err)
		}
		var tz string
		if err := db.SQL.QueryRowContext(ctx, "SELECT @@session.time_zone").Scan(&tz); err != nil || tz != "+00:00" {
			t.Errorf("time_zone = %q, %v; want +00:00", tz, err)
		}
	})
}

// TestUnchangedUpdateMatchesTheRow: an UPDATE writing the values a row
// already holds reports the row as affected on every engine (MySQL and
// MariaDB count changed rows unless the connection asks for found rows),
// and an UPDATE of a missing key reports none.
func TestUnchangedUpdateMatchesTheRow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, cat plan.Catalog) {
		ctx := context.Background()
		acc, _ := cat.Table("account")
		name, _ := acc.Column("name")
		d, _ := sqlemit.DialectByName(db.Dialect)
		const id = "acc00000-0000-4000-8000-000000000001"
		var current string
		if err := db.SQL.QueryRowContext(ctx, "SELECT name FROM "+physical(t, cat, "account")+" WHERE accountid = "+db.placeholder(1), id).Scan(&current); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			key  string
			want int64
		}{{id, 1}, {"acc00000-0000-4000-8000-0000000000ff", 0}} {
			st, err := EmitWrite(d, acc, Update, &plan.Value{Kind: plan.KGuid, V: tc.key}, []Assignment{{Column: name, Value: &plan.Value{Kind: plan.KString, V: current}}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.SQL.ExecContext(ctx, st.SQL, st.Args...)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := res.RowsAffected(); err != nil || n != tc.want {
				t.Errorf("update of %s to its own values: %d rows affected (%v), want %d", tc.key, n, err, tc.want)
			}
		}
	})
}
