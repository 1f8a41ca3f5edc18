package vecompile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// TestAdvisedIndexesServe creates the indexes sql.Indexes advises for the
// CLI's advice queries on the sample, then asks each engine's planner for
// each query's plan: it must read the query's root through its advised
// index (an expression index matches only if the query's expression is
// the index's, as written). PostgreSQL plans with sequential scans off
// (the sample is small); SQLite's EXPLAIN QUERY PLAN names the index.
func TestAdvisedIndexesServe(t *testing.T) {
	ctx := context.Background()
	files, _ := filepath.Glob("cmd/vecompile/testdata/advise/*.xml")
	if len(files) < 3 {
		t.Fatal("no advice queries")
	}
	engines := testkit.OptionalEngines(t)
	engines["sqlite"] = "sqlite::memory:"
	for _, name := range []string{"sqlite", "postgres"} {
		dsn := engines[name]
		if dsn == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			db, err := engine.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			prefix := fmt.Sprintf("adv%d_", os.Getpid())
			cat, err := engine.LoadFixture(ctx, db, prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer engine.DropFixture(ctx, db, prefix)
			d, _ := sql.DialectByName(name)
			conn, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if name == "postgres" {
				if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range files {
				text, _ := os.ReadFile(f)
				q, err := vecompile.Parse(f, text)
				if err != nil {
					t.Fatal(err)
				}
				p, err := plan.Build(q, plan.Options{Catalog: cat})
				if err != nil {
					t.Fatal(err)
				}
				ixs, err := sql.Indexes(p, d)
				if err != nil || len(ixs) == 0 {
					t.Fatalf("%s: %v, %d indexes", f, err, len(ixs))
				}
				for _, ix := range ixs {
					if _, err := conn.ExecContext(ctx, ix.CreateSQL(d)); err != nil {
						t.Fatalf("%s: %v\n%s", f, err, ix.CreateSQL(d))
					}
				}
				st, err := sql.Emit(p, d)
				if err != nil {
					t.Fatal(err)
				}
				explain := "EXPLAIN "
				if name == "sqlite" {
					explain = "EXPLAIN QUERY PLAN "
				}
				rows, err := conn.QueryContext(ctx, explain+st.SQL, st.Args...)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				var out strings.Builder
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					out.WriteString(fmt.Sprintln(vals...))
				}
				rows.Close()
				root := ixs[0] // the root's index comes first
				if !strings.Contains(out.String(), root.Name()) {
					t.Errorf("%s on %s: the plan does not use %s\n%s\n%s", f, name, root.CreateSQL(d), st.SQL, out.String())
				}
				if name == "postgres" && len(p.Root.Joins) == 0 && strings.Contains(out.String(), "Sort Key") {
					t.Errorf("%s: the plan still sorts\n%s", f, out.String())
				}
			}
		})
	}
}
