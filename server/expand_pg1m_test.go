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
// $count) against $top=5 per parent as a window (plan.LimitPerPartition).
// Median of five runs each. Opt-in: VECOMPILE_EXPAND_1M=1
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
	defer db.Close()
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
	median := func(p *plan.Plan) (time.Duration, int) {
		var times []time.Duration
		rows := 0
		for range 5 {
			start := time.Now()
			r, err := db.Exec(ctx, p)
			times = append(times, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			rows = len(r.Rows)
		}
		slices.Sort(times)
		return times[len(times)/2], rows
	}
	for _, advised := range []bool{false, true} {
		idx := "index on the foreign key"
		if advised {
			// The indexes `vecompile index advise` prints for the read.
			ixs, err := sqlemit.Indexes(whole, sqlemit.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			for _, ix := range ixs {
				exec(ix.CreateSQL(sqlemit.Postgres))
			}
			exec(`ANALYZE "` + table + `"`)
			idx = fmt.Sprintf("and the %d advised", len(ixs))
		}
		dw, nw := median(whole)
		dt, nt := median(top)
		if nt != 50*5 {
			t.Fatalf("$top=5 per parent: %d rows", nt)
		}
		t.Logf("%d contacts, 50 parents, %s: read in full %v (%d rows); $top=5 per parent as a window %v (%d rows)",
			n, idx, dw.Round(10*time.Microsecond), nw, dt.Round(10*time.Microsecond), nt)
	}
}
