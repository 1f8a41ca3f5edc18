package engine

import (
	"context"
	"fmt"
	"os"
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

// TestStmtCacheSharedUnderCancellation: many requests run the same
// statement text while some are cancelled mid-query (a client hanging
// up, a deadline passing). A cancelled or failed query drops the shared
// statement from the cache but never closes it under the others: every
// query that is not cancelled succeeds, and none sees "sql: statement is
// closed". Run with -race in CI.
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
