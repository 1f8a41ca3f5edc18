package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
)

// ScaleDSN gates an opt-in measurement at scale (a million rows on
// PostgreSQL, minutes of run time): it skips the test unless the variable
// env is "1" and PostgresEnv is set, and returns that DSN. Such tests are
// listed in .ci/skips-allowed.
func ScaleDSN(t testing.TB, env, what string) string {
	t.Helper()
	if os.Getenv(env) != "1" {
		t.Skipf("%s=1 runs %s", env, what)
	}
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skipf("%s not set", PostgresEnv)
	}
	return dsn
}

// ScaleTable is a measurement's scratch table: a name unique to the test
// process (prefix, the process id, suffix), dropped now and when the test
// ends, and exec, which runs a statement on db or fails the test.
func ScaleTable(t testing.TB, db *sql.DB, prefix, suffix string) (table string, exec func(query string)) {
	t.Helper()
	ctx := context.Background()
	exec = func(query string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, query); err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
	}
	table = fmt.Sprintf("%s%d_%s", prefix, os.Getpid(), suffix)
	drop := `DROP TABLE IF EXISTS "` + table + `"`
	exec(drop)
	t.Cleanup(func() { exec(drop) })
	return table, exec
}
