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

// adviseFixture is the sample loaded into dsn under a prefix of its own,
// dropped when the test ends.
func adviseFixture(t *testing.T, dsn, name string) (*engine.DB, plan.Catalog) {
	t.Helper()
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prefix := fmt.Sprintf("%s%d_", name, os.Getpid())
	cat, err := engine.LoadFixture(ctx, db, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.DropFixture(context.Background(), db, prefix) })
	return db, cat
}

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
			db, cat := adviseFixture(t, dsn, "adv")
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
				plan, err := testkit.ScanRows(rows)
				if err != nil {
					t.Fatal(err)
				}
				var out strings.Builder
				for _, vals := range plan {
					out.WriteString(fmt.Sprintln(vals...))
				}
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

// TestAdvisedCoveringIndex: with --covering, an ordered page's index
// includes the columns the page reads, on PostgreSQL and SQL Server (not
// SQLite or MySQL, which have no INCLUDE), leaving out long text; and
// PostgreSQL then reads the page from the index alone (an index-only scan
// on the vacuumed table), its accent-folded sort key too.
func TestAdvisedCoveringIndex(t *testing.T) {
	ctx := context.Background()
	c, err := vecompile.Open(ctx, vecompile.Config{Sample: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	page := `<fetch count="50"><entity name="account"><attribute name="name"/><attribute name="revenue"/><attribute name="description"/><order attribute="name"/></entity></fetch>`
	if err := os.WriteFile(filepath.Join(dir, "page.xml"), []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	queries, err := vecompile.ReadQueryFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	advice, err := c.AdviseIndexesWith(queries, []string{"postgres", "sqlserver", "sqlite", "mysql"}, vecompile.AdviseOptions{Covering: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"postgres": `INCLUDE ("name", "revenue")`, "sqlserver": `INCLUDE ([revenue])`}
	for _, a := range advice {
		if w := want[a.Dialect]; w != "" && !strings.HasSuffix(a.SQL, w) || w == "" && strings.Contains(a.SQL, "INCLUDE") {
			t.Errorf("%s: %s\nwant the INCLUDE list %q (description is long text, SQL Server's key is the name itself)", a.Dialect, a.SQL, w)
		}
	}
	plain, err := c.AdviseIndexes(queries, []string{"postgres"})
	if err != nil || len(plain) != 1 || strings.Contains(plain[0].SQL, "INCLUDE") || plain[0].Index.Name() == advice[0].Index.Name() {
		t.Errorf("without --covering: %v %v", plain, err)
	}

	dsn := testkit.OptionalEngines(t)["postgres"]
	if dsn == "" {
		return
	}
	db, cat := adviseFixture(t, dsn, "cov")
	q, err := vecompile.Parse("page", []byte(strings.ReplaceAll(page, `<attribute name="description"/>`, "")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	ixs, err := sql.Indexes(p, sql.Postgres)
	if err != nil || len(ixs) == 0 {
		t.Fatalf("%v %v", ixs, err)
	}
	ix := ixs[0]
	ix.Include = sql.CoveringColumns(p, sql.Postgres, ix)
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{ix.CreateSQL(sql.Postgres), `VACUUM (ANALYZE) "` + ix.Table + `"`, "SET enable_seqscan = off"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	st, err := sql.Emit(p, sql.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+st.SQL, st.Args...)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for rows.Next() {
		var line string
		rows.Scan(&line)
		out.WriteString(line + "\n")
	}
	rows.Close()
	if !strings.Contains(out.String(), "Index Only Scan using "+ix.Name()) {
		t.Errorf("the page is not read from %s alone:\n%s\n%s", ix.CreateSQL(sql.Postgres), st.SQL, out.String())
	}
}
