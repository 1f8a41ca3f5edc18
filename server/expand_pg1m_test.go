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

// TestExpandTopPostgres1M measures, on PostgreSQL with 1M contacts under
// 1,000 accounts (1,000 each) and an index on the foreign key, the
// related rows' statement of a collection-valued $expand for a page of 50
// parents ordered by name: read in full (as without $top, or with
// $count) against $top=5 per parent (plan.LimitPerPartition) as a window
// and as the per-parent LATERAL seek PostgreSQL runs, with the head of
// each EXPLAIN (ANALYZE, BUFFERS). Median of five runs each. Opt-in: VECOMPILE_EXPAND_1M=1
// (VECOMPILE_EXPAND_ROWS picks the size). Figures: docs/performance.md.
func TestExpandTopPostgres1M(t *testing.T) {
	dsn := testkit.ScaleDSN(t, "VECOMPILE_EXPAND_1M", "the 1M-row PostgreSQL $expand measurement")
	n := 1_000_000
	if s := os.Getenv("VECOMPILE_EXPAND_ROWS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the table is dropped (testkit.ScaleTable)
	table, exec := testkit.ScaleTable(t, db.SQL, "expand1m", "contact")
	exec(`CREATE TABLE "` + table + `" (contactid uuid PRIMARY KEY, parentcustomerid uuid, fullname varchar(160))`)
	exec(`INSERT INTO "` + table + `" SELECT
  ('c0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
  ('acc00000-0000-4000-8000-' || lpad(to_hex(i % 1000), 12, '0'))::uuid,
  CASE WHEN i % 1000 = 7 THEN NULL ELSE 'Contact ' || md5(i::text) END
FROM generate_series(1, ` + strconv.Itoa(n) + `) AS i`)
	exec(`CREATE INDEX "` + table + `_parent" ON "` + table + `" (parentcustomerid)`)
	exec(`ANALYZE "` + table + `"`)
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "contact", PhysicalName: table, PrimaryKey: "contactid", PrimaryName: "fullname", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier}, {LogicalName: "parentcustomerid", Type: plan.TLookup, Targets: []string{"account"}},
		{LogicalName: "fullname", Type: plan.TString},
	}}))
	var keys []string
	for i := 1; i <= 50; i++ {
		keys = append(keys, fmt.Sprintf("<value>acc00000-0000-4000-8000-%012x</value>", i))
	}
	src := `<fetch><entity name="contact"><attribute name="fullname"/><attribute name="parentcustomerid"/>` +
		`<filter><condition attribute="parentcustomerid" operator="in">` + strings.Join(keys, "") + `</condition></filter>` +
		`<order attribute="fullname"/><order attribute="contactid"/></entity></fetch>`
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	top, err := plan.LimitPerPartition(whole, "parentcustomerid", 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	// The window is the PostgreSQL dialect without LATERAL: what SQLite
	// and MariaDB run, and what PostgreSQL ran before the seek.
	caps := sqlemit.Postgres.Caps()
	caps.Flags &^= sqlemit.Lateral
	window := &sqlemit.DialectSpec{DialectName: "postgres", Capabilities: caps}
	median := func(p *plan.Plan, d sqlemit.Dialect) (time.Duration, int, string) {
		st, err := sqlemit.Emit(p, d)
		if err != nil {
			t.Fatal(err)
		}
		var times []time.Duration
		rows := 0
		for range 5 {
			start := time.Now()
			r, err := db.Query(ctx, st)
			times = append(times, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			rows = len(r.Rows)
		}
		slices.Sort(times)
		// The plan's head, and its execution time.
		r, err := db.Query(ctx, &sqlemit.Statement{SQL: "EXPLAIN (ANALYZE, BUFFERS) " + st.SQL, Args: st.Args})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for i, row := range r.Rows {
			line := fmt.Sprint(row[0].Value)
			if i >= 8 && !strings.HasPrefix(line, "Planning Time") && !strings.HasPrefix(line, "Execution Time") {
				continue
			}
			if len(line) > 150 {
				line = line[:150] + "…"
			}
			lines = append(lines, "    "+line)
		}
		return times[len(times)/2], rows, strings.Join(lines, "\n")
	}
	for _, advised := range []bool{false, true} {
		idx := "index on the foreign key"
		if advised {
			// The indexes `vecompile index advise` prints for the read:
			// the foreign key, then the order's keys.
			ixs, err := sqlemit.Indexes(whole, sqlemit.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			for _, ix := range ixs {
				t.Logf("advised: %s", ix.CreateSQL(sqlemit.Postgres))
				exec(ix.CreateSQL(sqlemit.Postgres))
			}
			exec(`ANALYZE "` + table + `"`)
			idx = fmt.Sprintf("and the %d advised", len(ixs))
		}
		dw, nw, _ := median(whole, sqlemit.Postgres)
		dt, nt, et := median(top, window)
		ds, ns, es := median(top, sqlemit.Postgres)
		if nt != 50*5 || ns != nt {
			t.Fatalf("$top=5 per parent: %d rows as a window, %d by seek", nt, ns)
		}
		t.Logf("%d contacts, 50 parents, %s: read in full %v (%d rows); $top=5 per parent as a window %v, by a LATERAL seek %v (%d rows)\nwindow:\n%s\nseek:\n%s",
			n, idx, dw.Round(10*time.Microsecond), nw, dt.Round(10*time.Microsecond), ds.Round(10*time.Microsecond), nt, et, es)
	}
}
