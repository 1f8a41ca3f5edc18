package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/testkit"
)

// TestStmtCacheSurvivesSchemaChange: the same statement text keeps giving
// the right answer after its table is dropped and made again with other
// rows and a column more, on every engine: a cached statement is reused,
// re-prepared by the driver, or prepared again by the cache when the
// database reports it stale; the caller never sees the stale statement.
func TestStmtCacheSurvivesSchemaChange(t *testing.T) {
	ctx := context.Background()
	for name, dsn := range testkit.Engines(t) {
		t.Run(name, func(t *testing.T) {
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			table := fmt.Sprintf("stmtcache_%d", os.Getpid())
			exec := func(q string) {
				if _, err := db.SQL.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			defer exec("DROP TABLE IF EXISTS " + table)
			exec("DROP TABLE IF EXISTS " + table)
			count := &sqlemit.Statement{SQL: "SELECT COUNT(*) FROM " + table}
			// The second round changes a's type, which PostgreSQL reports
			// for a prepared statement as "cached plan must not change
			// result type".
			values := &sqlemit.Statement{SQL: "SELECT a FROM " + table + " ORDER BY a"}
			for round, rows := range []int{2, 5} {
				if round > 0 {
					exec("DROP TABLE " + table)
				}
				cols := "a INT"
				if round > 0 {
					cols = "a VARCHAR(20), b INT"
				}
				exec("CREATE TABLE " + table + " (" + cols + ")")
				for i := range rows {
					exec(fmt.Sprintf("INSERT INTO %s (a) VALUES (%d)", table, i))
				}
				// No failure, even right after the change: a statement the
				// database invalidated is prepared again once.
				n, err := db.Count(ctx, count)
				if err != nil || n != int64(rows) {
					t.Fatalf("round %d: count %d, %v; want %d", round, n, err, rows)
				}
				res, err := db.Query(ctx, values)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				var got []string
				for _, r := range res.Rows {
					got = append(got, fmt.Sprint(r[0].Value))
				}
				want := []string{"0", "1", "2", "3", "4"}[:rows]
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("round %d: values %v, want %v", round, got, want)
				}
			}
		})
	}
}

// TestStmtCacheSharedUnderCancellation (issue 9): many requests run the
// same statement text while some are cancelled mid-query (a client
// hanging up, a deadline passing). Each connection keeps its own prepared
// statement, so a cancellation (on MySQL a KILL CONNECTION) can only cost
// its own connection: every query that is not cancelled succeeds, and none
// sees "sql: statement is closed" (29-38 of 480 did with the shared cache
// before issue 9's fix). Run with -race in CI.
func TestStmtCacheSharedUnderCancellation(t *testing.T) {
	for name, dsn := range testkit.Engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Dialect != SQLite {
				db.SQL.SetMaxOpenConns(8)
				db.SQL.SetMaxIdleConns(8)
			}
			// A query whose run time grows with its argument, so that a
			// cancellation lands while it runs.
			limit := db.placeholder(1)
			if db.Dialect == Postgres {
				limit = "CAST(" + limit + " AS INT)"
			}
			st := &sqlemit.Statement{SQL: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < " + limit + ") SELECT COUNT(*) FROM c"}
			const workers, rounds = 8, 60
			size := 3000
			switch db.Dialect {
			case SQLite: // slower per row: the same run time
				size = 300
			case MySQL: // MariaDB stops recursion at max_recursive_iterations (1000 here)
				size = 900
			}
			var (
				wg                        sync.WaitGroup
				mu                        sync.Mutex
				ok, cancelled, closedErrs int
				failures                  []string
			)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range rounds {
						qctx, cancel := context.WithCancel(ctx)
						n := 100 + (i*37+w*11)%size
						if (i+w)%3 == 0 { // hang up after a moment
							time.AfterFunc(time.Duration((i*7+w)%500)*time.Microsecond, cancel)
						}
						q := *st
						q.Args = []any{n}
						got, err := db.Count(qctx, &q)
						mu.Lock()
						switch {
						case err != nil && strings.Contains(err.Error(), "statement is closed"):
							closedErrs++
						case err != nil && qctx.Err() != nil:
							cancelled++
						case err != nil:
							failures = append(failures, err.Error())
						case got != int64(n):
							failures = append(failures, fmt.Sprintf("count %d, want %d", got, n))
						default:
							ok++
						}
						mu.Unlock()
						cancel()
					}
				}()
			}
			wg.Wait()
			t.Logf("%d answered, %d cancelled, %d 'statement is closed', %d other failures", ok, cancelled, closedErrs, len(failures))
			if closedErrs > 0 || len(failures) > 0 {
				t.Fatalf("a shared statement failed a query it should have answered: %d 'statement is closed'; others: %q", closedErrs, failures[:min(len(failures), 3)])
			}
			if ok == 0 || cancelled == 0 {
				t.Fatalf("the test did not exercise both paths: %d answered, %d cancelled", ok, cancelled)
			}
		})
	}
}

// connCache returns the statement cache of conn's driver connection.
func connCache(t *testing.T, conn *sql.Conn) *stmtConn {
	t.Helper()
	var sc *stmtConn
	if err := conn.Raw(func(dc any) error {
		var ok bool
		sc, ok = dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not *stmtConn", dc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sc
}

// sessionStatus reads a MySQL session status counter on conn, past the
// statement cache (the text protocol prepares nothing).
func sessionStatus(t *testing.T, conn *sql.Conn, name string) int64 {
	t.Helper()
	var v int64
	if err := conn.Raw(func(dc any) error {
		rows, err := dc.(*stmtConn).base.(driver.QueryerContext).QueryContext(context.Background(), "SHOW SESSION STATUS LIKE '"+name+"'", nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 2)
		if err := rows.Next(dest); err != nil {
			return err
		}
		v, err = strconv.ParseInt(fmt.Sprintf("%s", dest[1]), 10, 64)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStmtCachePerConnection: on SQLite and MySQL a statement run again on
// the same connection is the one prepared the first time (MySQL's own
// counter: one COM_STMT_PREPARE for ten runs, and no close), and the
// cache is bounded: stmtCacheSize+5 texts leave stmtCacheSize statements,
// the 5 least recently used closed (five COM_STMT_CLOSE).
func TestStmtCachePerConnection(t *testing.T) {
	ctx := context.Background()
	for name, dsn := range testkit.Engines(t) {
		if name == "postgres" {
			continue // pgx's own cache
		}
		t.Run(name, func(t *testing.T) {
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			conn, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			count := func(q string, arg int) int {
				t.Helper()
				var n int
				if err := conn.QueryRowContext(ctx, q, arg).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			prepares := func() int64 { return 0 }
			closes := func() int64 { return 0 }
			if db.Dialect == MySQL {
				prepares = func() int64 { return sessionStatus(t, conn, "Com_stmt_prepare") }
				closes = func() int64 { return sessionStatus(t, conn, "Com_stmt_close") }
			}
			const q = "SELECT ? + 1"
			p0, c0 := prepares(), closes()
			sc := connCache(t, conn)
			var first *cachedStmt
			for i := range 10 {
				if got := count(q, i); got != i+1 {
					t.Fatalf("run %d: %d", i, got)
				}
				cs := sc.stmts[q].Value.(*cachedStmt)
				if first == nil {
					first = cs
				} else if cs != first {
					t.Fatalf("run %d prepared the statement again", i)
				}
			}
			if db.Dialect == MySQL {
				if p, c := prepares()-p0, closes()-c0; p != 1 || c != 0 {
					t.Fatalf("10 runs: %d prepares and %d closes on the server, want 1 and 0", p, c)
				}
			}
			p0, c0 = prepares(), closes()
			for i := range stmtCacheSize + 5 {
				if got := count(fmt.Sprintf("SELECT ? * 1 + %d", i), 1); got != i+1 {
					t.Fatalf("text %d: %d", i, got)
				}
			}
			if n := sc.lru.Len(); n != stmtCacheSize || len(sc.stmts) != stmtCacheSize {
				t.Fatalf("%d statements cached (%d in the map), want %d", n, len(sc.stmts), stmtCacheSize)
			}
			for i := range 5 {
				if _, ok := sc.stmts[fmt.Sprintf("SELECT ? * 1 + %d", i)]; ok {
					t.Fatalf("text %d, least recently used, is still cached", i)
				}
			}
			if _, ok := sc.stmts[fmt.Sprintf("SELECT ? * 1 + %d", stmtCacheSize+4)]; !ok {
				t.Fatal("the last text is not cached")
			}
			if db.Dialect == MySQL {
				// The first text (SELECT ? + 1) was evicted too: 6 closes.
				if p, c := prepares()-p0, closes()-c0; p != stmtCacheSize+5 || c != 6 {
					t.Fatalf("%d texts: %d prepares and %d closes on the server, want %d and 6", stmtCacheSize+5, p, c, stmtCacheSize+5)
				}
			}
		})
	}
}

// TestStmtCacheBusyStatement: a transaction reads a statement's rows and,
// while they are open, runs the same text with another argument. The
// second run gets a statement of its own; re-running the cached one would
// reset the first rows (SQLite) and the first read would end early or
// read the second's values. MySQL cannot interleave two result sets on a
// connection at all, so this runs on SQLite.
func TestStmtCacheBusyStatement(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT n FROM c"
	outer, err := tx.QueryContext(ctx, q, 5)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		var inner []int
		rows, err := tx.QueryContext(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var m int
			if err := rows.Scan(&m); err != nil {
				t.Fatal(err)
			}
			inner = append(inner, m)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(inner) != "[1 2 3]" {
			t.Fatalf("inner read %v, want [1 2 3]", inner)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Fatalf("outer read %v, want [1 2 3 4 5]", got)
	}
}

// TestStmtCacheKilledConnection: a MySQL query cancelled mid-run is
// stopped with KILL CONNECTION; database/sql then discards the connection
// and its statement cache goes with it (closed, emptied), and the same
// statement runs on another connection.
func TestStmtCacheKilledConnection(t *testing.T) {
	dsn := testkit.OptionalEngines(t)["mysql"]
	if dsn == "" {
		t.Skip("VECOMPILE_MYSQL_DSN not set")
	}
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := &sqlemit.Statement{SQL: "SELECT ? + 1"}
	var n int
	if err := conn.QueryRowContext(ctx, st.SQL, 1).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d, %v", n, err)
	}
	sc := connCache(t, conn)
	if sc.lru.Len() != 1 {
		t.Fatalf("%d statements cached, want 1", sc.lru.Len())
	}
	qctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := conn.ExecContext(qctx, "SELECT SLEEP(?)", 5); err == nil {
		t.Fatal("SLEEP(5) was not stopped")
	}
	conn.Close() // a killed connection is not put back
	if sc.stmts != nil || sc.lru.Len() != 0 {
		t.Fatalf("the killed connection's cache was not dropped: %d statements", sc.lru.Len())
	}
	st.Args = []any{41}
	res, err := db.Query(ctx, st)
	if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0].Value) != "42" {
		t.Fatalf("after the kill: %v, %v", res, err)
	}
}

// TestStmtCacheSQLiteSchemaChangedElsewhere: a statement prepared and
// cached on one connection keeps answering right after another process
// (here another database handle, as `vecompile load` would be) drops its
// table and makes it again with other rows and columns.
func TestStmtCacheSQLiteSchemaChangedElsewhere(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "s.db") + "?create=true"
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := other.SQL.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const q = "SELECT a FROM t WHERE a >= ? ORDER BY a"
	read := func() string {
		t.Helper()
		rows, err := conn.QueryContext(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var v any
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprint(v))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	exec("CREATE TABLE t (a INT)")
	exec("INSERT INTO t VALUES (1), (2)")
	if got := read(); got != "1,2" {
		t.Fatalf("before: %s", got)
	}
	if connCache(t, conn).lru.Len() != 1 {
		t.Fatal("the statement was not cached")
	}
	exec("DROP TABLE t")
	exec("CREATE TABLE t (b INT, a TEXT)")
	exec("INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')")
	if got := read(); got != "x,y,z" {
		t.Fatalf("after the table was made again: %s", got)
	}
}
