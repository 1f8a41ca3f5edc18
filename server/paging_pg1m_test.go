package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// TestPagingPostgres1M measures, on PostgreSQL with 10k, 100k and 1M
// accounts, pages 1, 100 and 1,000 of 50 rows ordered by name, as the
// server reads them (page 1 plain, later pages from the keyset cookie of
// the page before: ks.after), without and with the indexes
// `vecompile index advise` prints (sql.Indexes), and logs the median of
// seven runs (one without the index), the offset form of the same page for comparison, and the
// head of each plan's EXPLAIN (ANALYZE, BUFFERS). Names are 'Account
// <md5>', one in seven accented ('Émile <md5>'), one in a thousand NULL.
// Opt-in: VECOMPILE_PAGING_1M=1 (VECOMPILE_PAGING_SIZES=10000,100000
// picks sizes). Figures: docs/performance.md.
func TestPagingPostgres1M(t *testing.T) {
	dsn := testkit.ScaleDSN(t, "VECOMPILE_PAGING_1M", "the 1M-row PostgreSQL paging measurement")
	sizes := []int{10_000, 100_000, 1_000_000}
	if s := os.Getenv("VECOMPILE_PAGING_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the table is dropped (testkit.ScaleTable)
	table, exec := testkit.ScaleTable(t, db.SQL, "page1m", "account")
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PhysicalName: table, PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "name", Type: plan.TString},
		{LogicalName: "statecode", Type: plan.TInteger}, {LogicalName: "revenue", Type: plan.TMoney},
	}}))
	build := func(page int) *plan.Plan {
		src := fmt.Sprintf(`<fetch count="50" page="%d"><entity name="account"><attribute name="name"/><attribute name="revenue"/><order attribute="name"/></entity></fetch>`, page)
		q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// runs is 7 with the index; without, a full scan that folds every
	// name takes seconds at 1M rows: once.
	runs := 7
	median := func(p *plan.Plan) (time.Duration, *engine.Result) {
		var times []time.Duration
		var res *engine.Result
		for i := 0; i < runs; i++ {
			start := time.Now()
			r, err := db.Exec(ctx, p)
			times = append(times, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			res = r
		}
		slices.Sort(times)
		return times[len(times)/2], res
	}
	explain := func(p *plan.Plan) (string, string) {
		st, err := sqlemit.Emit(p, sqlemit.Postgres)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("VECOMPILE_PAGING_FULL") != "" {
			t.Logf("%s\n%v", st.SQL, st.Args)
		}
		r, err := db.Query(ctx, &sqlemit.Statement{SQL: "EXPLAIN (ANALYZE, BUFFERS) " + st.SQL, Args: st.Args})
		if err != nil {
			t.Fatal(err)
		}
		// The plan's first nodes, then its planning and execution times.
		var lines []string
		exec := ""
		for i, row := range r.Rows {
			line := fmt.Sprint(row[0].Value)
			timing := strings.HasPrefix(line, "Planning Time") || strings.HasPrefix(line, "Execution Time")
			if t, ok := strings.CutPrefix(line, "Execution Time: "); ok {
				exec = t
			}
			if i >= 6 && !timing && os.Getenv("VECOMPILE_PAGING_FULL") == "" {
				continue
			}
			if len(line) > 160 {
				line = line[:160] + "…"
			}
			lines = append(lines, "    "+line)
		}
		return strings.Join(lines, "\n"), exec
	}
	// The figures' table (docs/performance.md): per size and index, each
	// page's median wall time with the database's execution time.
	figures := []string{"| rows | index | page 1 | page 100 (keyset) | page 1,000 (keyset) | page 100 / 1,000 by offset |", "|---|---|---|---|---|---|"}
	for _, n := range sizes {
		exec(`DROP TABLE IF EXISTS "` + table + `"`)
		exec(`CREATE TABLE "` + table + `" (accountid uuid PRIMARY KEY, name varchar(160), statecode integer, revenue numeric(19,4))`)
		exec(`INSERT INTO "` + table + `" SELECT
  ('acc00000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
  CASE WHEN i % 1000 = 0 THEN NULL WHEN i % 7 = 0 THEN 'Émile ' || md5(i::text) ELSE 'Account ' || md5(i::text) END,
  i % 2, (i % 1000) * 10.5
FROM generate_series(1, ` + strconv.Itoa(n) + `) AS i`)
		exec(`ANALYZE "` + table + `"`)
		for _, indexed := range []bool{false, true} {
			cells := map[int]string{}
			var offsets []string
			runs = 1
			if indexed {
				runs = 7
				ixs, err := sqlemit.Indexes(build(1), sqlemit.Postgres)
				if err != nil || len(ixs) != 1 {
					t.Fatalf("advice: %v %v", ixs, err)
				}
				exec(ixs[0].CreateSQL(sqlemit.Postgres))
				exec(`ANALYZE "` + table + `"`)
			}
			for _, page := range []int{1, 100, 1000} {
				if page*50 > n {
					continue
				}
				p := build(page)
				ks := newKeyset(p)
				run := ks.withKeys(p)
				var offset time.Duration
				if page > 1 {
					// The cookie of the page before: its last row's keys.
					_, prev := median(ks.withKeys(build(page - 1)))
					keys := ks.lastKeys(prev)
					if indexed {
						offset, _ = median(run)
					}
					if run, err = ks.after(keys); err != nil {
						t.Fatal(err)
					}
				}
				d, res := median(run)
				if len(res.Rows) != 50 {
					t.Fatalf("%d rows, page %d: %d rows", n, page, len(res.Rows))
				}
				idx := "without the advised index"
				if indexed {
					idx = "with the advised index"
				}
				msg := fmt.Sprintf("%d rows, %s, page %d: %v", n, idx, page, d.Round(10*time.Microsecond))
				if page > 1 && indexed {
					msg += fmt.Sprintf(" (keyset; by offset %v)", offset.Round(10*time.Microsecond))
				}
				head, dbTime := explain(run)
				t.Logf("%s\n%s", msg, head)
				cells[page] = fmt.Sprintf("%v (%s)", d.Round(10*time.Microsecond), dbTime)
				if offset > 0 {
					offsets = append(offsets, offset.Round(10*time.Microsecond).String())
				}
			}
			row := fmt.Sprintf("| %s | %s |", sizeName(n), map[bool]string{false: "none", true: "advised"}[indexed])
			for _, page := range []int{1, 100, 1000} {
				c, ok := cells[page]
				if !ok {
					c = "—"
				}
				row += " " + c + " |"
			}
			if len(offsets) == 0 {
				offsets = []string{"—"}
			}
			figures = append(figures, row+" "+strings.Join(offsets, " / ")+" |")
		}
	}
	t.Logf("pages of 50 by name: median wall time (EXPLAIN ANALYZE Execution Time)\n%s", strings.Join(figures, "\n"))
}

// sizeName is a row count as the figures write it: 10k, 1M.
func sizeName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
