package testkit

import (
	"os"
	"testing"
)

// Environment variables naming the test engines. Both take vecompile DSNs
// (see package engine):
//
//	VECOMPILE_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	VECOMPILE_MYSQL_DSN=mysql://root@127.0.0.1:3306/test
const (
	PostgresEnv = "VECOMPILE_POSTGRES_DSN"
	MySQLEnv    = "VECOMPILE_MYSQL_DSN"
)

// PostgresDSN returns the PostgreSQL test DSN. When it is unset the test is
// skipped, unless CI=true, where a missing engine fails the test.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return engineDSN(t, PostgresEnv, "PostgreSQL")
}

// MySQLDSN returns the MySQL/MariaDB test DSN, skipping (or failing under
// CI=true) when it is unset.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	return engineDSN(t, MySQLEnv, "MySQL/MariaDB")
}

func engineDSN(t testing.TB, env, name string) string {
	t.Helper()
	if dsn := os.Getenv(env); dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI runs must test against %s", env, name)
	}
	t.Skipf("%s not set: skipping the %s tests", env, name)
	return ""
}

// OptionalEngines returns the configured engine DSNs by name ("postgres",
// "mysql") for tests that always run on SQLite and add the other engines
// when they are configured. A missing engine is logged, or fails the test
// under CI=true; it never skips the test.
func OptionalEngines(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range []struct{ key, env, name string }{
		{"postgres", PostgresEnv, "PostgreSQL"},
		{"mysql", MySQLEnv, "MySQL/MariaDB"},
	} {
		if dsn := os.Getenv(e.env); dsn != "" {
			out[e.key] = dsn
			continue
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI runs must test against %s", e.env, e.name)
		}
		t.Logf("%s not set: %s is not tested, SQLite only", e.env, e.name)
	}
	return out
}

// Engines is OptionalEngines plus an in-memory SQLite database under
// "sqlite": the engines a test runs on.
func Engines(t testing.TB) map[string]string {
	t.Helper()
	out := OptionalEngines(t)
	out["sqlite"] = "sqlite::memory:"
	return out
}
