package server

import (
	"context"
	"fmt"
	"os"
	"reflect"
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
// accounts, pages of 50 rows ordered by name as the server reads them
// (page 1 plain, later pages from the keyset cookie of the page before:
// ks.after), without and with the index `vecompile index advise` prints
// (sql.Indexes), and with that index made covering as `index advise
// --covering` prints it (sql.CoveringColumns: INCLUDE the page's
// columns, for an index-only scan).
// Pages: 1, the first after the NULL names (its cookie's name is NULL),
// 100, 1,000 and the last (accented names, folded by translate).
//
// The table is VACUUMed and ANALYZEd after loading, as autovacuum would
// leave a running database (hint bits and visibility map set). With an
// index each page runs once unmeasured, then VECOMPILE_PAGING_RUNS times
// (21) through the server's path (continuation, emit, engine: wall time),
// then as many times under EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) (the
// database's planning and execution times); the log gives medians and
// p90, the top node's buffers, the same page by offset (whose rows must
// equal the keyset page's), and each page's EXPLAIN (ANALYZE, BUFFERS,
// TIMING) head. Without an index a page is a full sort of seconds: one
// run, pages 1, 100 and 1,000. Names are 'Account <md5>', one in seven
// accented ('Émile <md5>'), one in a thousand NULL. Opt-in:
// VECOMPILE_PAGING_1M=1 (VECOMPILE_PAGING_SIZES=10000,100000 picks sizes).
// Figures: docs/performance.md.
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
	runs := 21
	if s := os.Getenv("VECOMPILE_PAGING_RUNS"); s != "" {
		var err error
		if runs, err = strconv.Atoi(s); err != nil || runs < 1 {
			t.Fatalf("VECOMPILE_PAGING_RUNS=%q", s)
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
		{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "name", Type: plan.TString, MaxLength: 160},
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
	t.Logf("load average before: %s", loadAverage())
	figures := []string{
		"| rows | index | page | DB median / p90 ms | planning ms | wall median / p90 ms | first run, wall ms | buffers | by offset, wall ms |",
		"|---|---|---|---|---|---|---|---|---|",
	}
	var ratios []string
	for _, n := range sizes {
		exec(`DROP TABLE IF EXISTS "` + table + `"`)
		exec(`CREATE TABLE "` + table + `" (accountid uuid PRIMARY KEY, name varchar(160), statecode integer, revenue numeric(19,4))`)
		exec(`INSERT INTO "` + table + `" SELECT
  ('acc00000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
  CASE WHEN i % 1000 = 0 THEN NULL WHEN i % 7 = 0 THEN 'Émile ' || md5(i::text) ELSE 'Account ' || md5(i::text) END,
  i % 2, (i % 1000) * 10.5
FROM generate_series(1, ` + strconv.Itoa(n) + `) AS i`)
		// As autovacuum leaves a running table: hint bits and the
		// visibility map set, statistics taken.
		exec(`VACUUM (ANALYZE) "` + table + `"`)
		ixs, err := sqlemit.Indexes(build(1), sqlemit.Postgres)
		if err != nil || len(ixs) != 1 {
			t.Fatalf("advice: %v %v", ixs, err)
		}
		advised := ixs[0].CreateSQL(sqlemit.Postgres)
		// The cookie of each page: the keys of the last row of the page
		// before (read once per size by offset; the order is the same
		// with every index).
		cookies := map[int][]keyValue{}
		cookie := func(page int) []keyValue {
			if k, ok := cookies[page]; ok {
				return k
			}
			ks := newKeyset(build(page - 1))
			prev, err := db.Exec(ctx, ks.withKeys(build(page-1)))
			if err != nil {
				t.Fatal(err)
			}
			cookies[page] = ks.lastKeys(prev)
			return cookies[page]
		}
		for _, index := range []string{"none", "advised", "covering"} {
			pages := []int{1, 100, 1000}
			m := &pageMeter{t: t, ctx: ctx, db: db, runs: 1}
			switch index {
			case "advised":
				exec(advised)
			case "covering":
				// As `vecompile index advise --covering` prints it.
				exec(`DROP INDEX "` + ixs[0].Name() + `"`)
				cov := ixs[0]
				cov.Include = sqlemit.CoveringColumns(build(1), sqlemit.Postgres, cov)
				if !slices.Equal(cov.Include, []string{`"name"`, `"revenue"`}) {
					t.Fatalf("covering columns %v, want name and revenue", cov.Include)
				}
				exec(cov.CreateSQL(sqlemit.Postgres))
			}
			if index != "none" {
				exec(`ANALYZE "` + table + `"`)
				m.runs, m.warm = runs, true
				if nulls := n / 1000; nulls >= 50 {
					pages = append(pages, nulls/50+1)
				}
				pages = append(pages, n/50)
				slices.Sort(pages)
				pages = slices.Compact(pages)
			}
			cells := map[int]*pageFigures{}
			for _, page := range pages {
				if page*50 > n {
					continue
				}
				p := build(page)
				ks := newKeyset(p)
				offsetForm := ks.withKeys(p)
				mk := func() (*plan.Plan, error) { return offsetForm, nil }
				var byOffset *pageFigures
				if page > 1 {
					keys := cookie(page)
					mk = func() (*plan.Plan, error) { return ks.after(keys) }
					if index != "none" && page <= 1000 {
						om := *m
						om.runs = min(m.runs, 5)
						byOffset = om.measure(func() (*plan.Plan, error) { return offsetForm, nil }, 50)
					}
				}
				f := m.measure(mk, 50)
				if byOffset != nil && !reflect.DeepEqual(f.rows, byOffset.rows) {
					t.Errorf("%d rows, %s index, page %d: the keyset page's rows differ from the page by offset", n, index, page)
				}
				cells[page] = f
				t.Logf("%d rows, %s index, page %d: wall median %s ms (first run %s ms), database %s ms (planning %s ms), %s\n%s",
					n, index, page, ms(quantile(f.wall, 0.5)), ms(f.first), fmtMs(quantile(f.exec, 0.5)), fmtMs(quantile(f.plan, 0.5)), f.buffers, f.head)
				if index != "none" && page == 1000 {
					// What the scan computes per row: the ORDER BY's
					// sort key (the fold) unless the index returns it.
					t.Logf("%d rows, %s index, page 1000, scan %s", n, index, m.projected(f.st))
				}
				off := "—"
				if byOffset != nil {
					off = ms(quantile(byOffset.wall, 0.5))
				}
				first := "—"
				if f.first > 0 {
					first = ms(f.first)
				}
				figures = append(figures, fmt.Sprintf("| %s | %s | %s | %s / %s | %s | %s / %s | %s | %s | %s |",
					sizeName(n), index, pageName(page, n), fmtMs(quantile(f.exec, 0.5)), fmtMs(quantile(f.exec, 0.9)),
					fmtMs(quantile(f.plan, 0.5)), ms(quantile(f.wall, 0.5)), ms(quantile(f.wall, 0.9)), first, strings.TrimPrefix(f.buffers, "shared "), off))
			}
			if p1, p1000 := cells[1], cells[1000]; p1 != nil && p1000 != nil {
				ratios = append(ratios, fmt.Sprintf("%s, %s index: page 1,000 / page 1 = %.2f× in the database, %.2f× wall (medians)", sizeName(n), index,
					quantile(p1000.exec, 0.5)/quantile(p1.exec, 0.5), float64(quantile(p1000.wall, 0.5))/float64(quantile(p1.wall, 0.5))))
			}
		}
	}
	t.Logf("pages of 50 by name, table VACUUMed and ANALYZEd; DB = EXPLAIN (ANALYZE, TIMING OFF) Execution Time, wall = continuation + emit + engine, %d runs after one warm-up (without an index: one run)\n%s\n%s\nload average after: %s",
		runs, strings.Join(figures, "\n"), strings.Join(ratios, "\n"), loadAverage())
}

// pageName names a measured page: its number, and why it was picked.
func pageName(page, n int) string {
	s := strconv.Itoa(page)
	if page >= 1000 {
		s = strconv.Itoa(page/1000) + "," + fmt.Sprintf("%03d", page%1000)
	}
	switch {
	case page == n/50:
		s += " (last)"
	case page > 1 && page == n/1000/50+1:
		s += " (after the NULLs)"
	}
	return s
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
