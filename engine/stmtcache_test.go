package engine

import (
	"context"
	"fmt"
	"os"
	"testing"

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
