package server

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
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

// TestAfterNullsSeekPostgres: on PostgreSQL, with 20,000 accounts half of
// whose names and revenues are NULL and the index `vecompile index
// advise` prints for the order, a page of 50 continued from a cookie
// inside the NULLs reads what it returns. Each statement the server runs
// for it (readInParts, or one statement descending) is a scan of the
// advised index whose Index Cond holds its range (the first key IS NULL
// and the keys after the cookie's, or IS NOT NULL), with no Filter and no
// Sort, in a few buffers; its rows are the page by offset. The whole
// continuation (the OR, as the server read it before) filters out every
// NULL row before the cookie: the test logs and bounds the difference.
func TestAfterNullsSeekPostgres(t *testing.T) {
	dsn := testkit.PostgresDSN(t)
	ctx := context.Background()
	db, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the table is dropped
	table, exec := testkit.ScaleTable(t, db.SQL, "nullseek", "account")
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PhysicalName: table, PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "name", Type: plan.TString, MaxLength: 160},
		{LogicalName: "revenue", Type: plan.TMoney}, {LogicalName: "statecode", Type: plan.TState},
	}}))
	n := 20_000
	if v := os.Getenv("VECOMPILE_NULLSEEK_ROWS"); v != "" {
		// A larger table for the figures of docs/performance.md.
		if n, err = strconv.Atoi(v); err != nil || n < 20_000 || n%20 != 0 {
			t.Fatalf("VECOMPILE_NULLSEEK_ROWS=%q: a multiple of 20, at least 20,000", v)
		}
	}
	exec(`CREATE TABLE "` + table + `" (accountid uuid PRIMARY KEY, name varchar(160), revenue numeric(19,4), statecode integer NOT NULL)`)
	exec(`INSERT INTO "` + table + `" SELECT
  ('acc00000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
  CASE WHEN i % 2 = 0 THEN NULL WHEN i % 7 = 0 THEN 'Émile ' || md5(i::text) ELSE 'Account ' || md5(i::text) END,
  CASE WHEN i % 2 = 1 THEN NULL ELSE (i % 1000) * 10.5 END,
  CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END
FROM generate_series(1, ` + strconv.Itoa(n) + `) AS i`)
	exec(`VACUUM (ANALYZE) "` + table + `"`)
	run := func(p *plan.Plan) *engine.Result {
		t.Helper()
		r, err := db.Exec(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	explain := func(p *plan.Plan) (string, int, float64) {
		t.Helper()
		st, err := db.Emit(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := db.Query(ctx, &sqlemit.Statement{SQL: "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + st.SQL, Args: st.Args})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, row := range r.Rows {
			lines = append(lines, fmt.Sprint(row[0].Value))
		}
		var ms float64
		for _, l := range lines {
			if v, ok := msField(l, "Execution Time: "); ok {
				ms = v
			}
		}
		return strings.Join(lines, "\n"), topBuffers(lines), ms
	}
	for _, c := range []struct {
		order   string
		cookies []int // the rows the cookies end on; ascending, the first half are the NULLs
	}{
		{`<order attribute="name"/>`, []int{n / 4, n/2 - 20, n / 2}},
		{`<order attribute="revenue"/>`, []int{n / 4, n/2 - 20, n / 2}},
		{`<order attribute="name" descending="true"/>`, []int{3 * n / 4}},
		// A NULL after a value: statecode 0 holds two thirds of the rows,
		// half of them with a NULL name, sorted first in the group.
		{`<order attribute="statecode"/><order attribute="name"/>`, []int{n / 6, n/3 - 20, n / 3}},
		{`<order attribute="statecode"/><order attribute="name" descending="true"/>`, []int{n / 2, 2*n/3 - 20}},
	} {
		build := func(size, page int) *plan.Plan {
			src := fmt.Sprintf(`<fetch count="%d" page="%d"><entity name="account"><attribute name="name"/><attribute name="revenue"/>%s</entity></fetch>`, size, page, c.order)
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
		ixs, err := sqlemit.Indexes(build(50, 1), sqlemit.Postgres)
		if err != nil || len(ixs) != 1 {
			t.Fatalf("%s: advice %v %v", c.order, ixs, err)
		}
		exec(ixs[0].CreateSQL(sqlemit.Postgres))
		exec(`ANALYZE "` + table + `"`)
		for _, at := range c.cookies {
			// The cookie of the row at, and the 50 rows after it by offset.
			p := build(10, at/10)
			ks := newKeyset(p)
			keys := ks.lastKeys(run(ks.withKeys(p)))
			later := strings.Contains(c.order, "statecode")
			if keys == nil || !later && keys[0].V != nil || later && (keys[0].V == nil || keys[1].V != nil) {
				t.Fatalf("%s: the cookie at row %d is not inside the NULLs: %v", c.order, at, keys)
			}
			var want [][]any
			for page := at/10 + 1; page <= at/10+5; page++ {
				p := build(10, page)
				want = append(want, rowValues(run(newKeyset(p).withKeys(p)))...)
			}
			next, err := newKeyset(build(50, 2)).after(keys)
			if err != nil {
				t.Fatal(err)
			}
			desc := strings.Contains(c.order, "descending")
			if readsInParts(next) != (later || !desc) {
				t.Fatalf("%s: read in parts %t", c.order, !desc)
			}
			// The statements the server runs for the page; tail: the
			// NULL part ends before the page does (its few rows the planner
			// may read by the primary key as well).
			type statement struct {
				p    *plan.Plan
				tail bool
			}
			// A tail may be read by the primary key, filtering a few rows.
			const tailRemoved = 100
			parts := []statement{{p: next}}
			var got *engine.Result
			if readsInParts(next) {
				// The parts readInParts runs, as it runs them.
				parts = nil
				if got, err = readParts(ctx, db, next, func(p *plan.Plan, r *engine.Result) {
					parts = append(parts, statement{p, !r.MoreRecords})
				}); err != nil {
					t.Fatal(err)
				}
			} else {
				got = run(next)
			}
			if !reflect.DeepEqual(rowValues(got), want) || !got.MoreRecords {
				t.Errorf("%s, after row %d: the page differs from the page by offset (more records %t)", c.order, at, got.MoreRecords)
			}
			read, removed, took := 0, 0, 0.0
			for i, part := range parts {
				text, buffers, ms := explain(part.p)
				read, took = read+buffers, took+ms
				removed += rowsRemoved(text)
				// The rest after the values before the NULL key is a range
				// of those values (statecode > $1), the others hold the
				// NULL test.
				cond := `Index Cond: .*IS (NOT )?NULL`
				if part.p.AfterPart == plan.AfterRest {
					cond = `Index Cond: `
				}
				seek := strings.Contains(text, ixs[0].Name()) && regexp.MustCompile(cond).MatchString(text) && !strings.Contains(text, "Filter")
				if !part.tail && !seek || !seek && rowsRemoved(text) > tailRemoved || buffers > 60 {
					t.Errorf("%s, after row %d, statement %d of %d: not a seek of the advised index %s reading about the rows it returns (%d buffers):\n%s", c.order, at, i+1, len(parts), ixs[0].Name(), buffers, text)
				}
			}
			whole := "—"
			if readsInParts(next) {
				text, buffers, ms := explain(next)
				whole = fmt.Sprintf("%d buffers, %d rows removed by its filter, %.3f ms", buffers, rowsRemoved(text), ms)
				if rowsRemoved(text) < at*9/10 {
					t.Errorf("%s, after row %d: the whole continuation (%s) should read the NULLs before the cookie", c.order, at, whole)
				}
			}
			t.Logf("%s, %d rows, after row %d: %d statement(s), %d buffers, %d rows removed by a filter, %.3f ms (EXPLAIN ANALYZE, TIMING OFF); the whole continuation: %s", c.order, n, at, len(parts), read, removed, took, whole)
		}
		exec(`DROP INDEX "` + ixs[0].Name() + `"`)
	}
}

// topBuffers is the shared buffers (hit and read) of EXPLAIN's top node.
func topBuffers(lines []string) int {
	for _, l := range lines {
		if b, ok := strings.CutPrefix(strings.TrimSpace(l), "Buffers: shared "); ok {
			sum := 0
			for _, f := range strings.Fields(b) {
				if v, ok := strings.CutPrefix(f, "hit="); ok {
					n, _ := strconv.Atoi(v)
					sum += n
				} else if v, ok := strings.CutPrefix(f, "read="); ok {
					n, _ := strconv.Atoi(v)
					sum += n
				}
			}
			return sum
		}
	}
	return 0
}

// rowsRemoved sums an EXPLAIN ANALYZE's "Rows Removed by Filter".
func rowsRemoved(text string) int {
	sum := 0
	for _, m := range regexp.MustCompile(`Rows Removed by Filter: (\d+)`).FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	return sum
}
