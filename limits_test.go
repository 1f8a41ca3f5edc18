package vecompile_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// limitTargets opens the sample on SQLite and on the configured engines.
func limitTargets(t *testing.T, ctx context.Context) []target {
	t.Helper()
	sdb, scat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	targets := []target{{"sqlite", sdb, scat, nil}}
	engines := testkit.OptionalEngines(t)
	for _, name := range []string{"postgres", "mysql"} {
		dsn := engines[name]
		if dsn == "" {
			continue
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { db.Close() })
		prefix := fmt.Sprintf("lim%d_", os.Getpid())
		cat, err := engine.LoadFixture(ctx, db, prefix)
		if err != nil {
			t.Fatalf("%s: loading the sample: %v", name, err)
		}
		t.Cleanup(func() { engine.DropFixture(ctx, db, prefix) })
		targets = append(targets, target{name, db, cat, nil})
	}
	return targets
}

func buildFetch(t *testing.T, text string, cat plan.Catalog, zone *time.Location) (*plan.Plan, error) {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("query.xml", []byte(text)))
	if err != nil {
		t.Fatal(err)
	}
	return plan.Build(q, plan.Options{Catalog: cat, Now: pipelineNow, Zone: zone})
}

func rowNames(t *testing.T, ctx context.Context, tg target, text string) []string {
	t.Helper()
	p, err := buildFetch(t, text, tg.catalog, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tg.db.Exec(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
	var b strings.Builder
	if err := engine.Write(&b, res, "jsonl"); err != nil {
		t.Fatal(err)
	}
	return strings.Split(b.String(), "\n")
}

// TestEngineLimits runs queries past the engines' limits on SQLite,
// PostgreSQL and MariaDB: each returns Dataverse's rows or a positioned
// VE4004, never a driver error.
func TestEngineLimits(t *testing.T) {
	ctx := context.Background()
	targets := limitTargets(t, ctx)
	for _, tg := range targets {
		t.Logf("engine %s", tg.name)
	}

	// An in list of 40,000 account ids (three of the sample's): past
	// SQLite's 32,766 parameters as placeholders; one parameter on SQLite
	// and PostgreSQL, placeholders within MariaDB's 65,535.
	var vals strings.Builder
	for _, id := range []string{"acc00000-0000-4000-8000-000000000001", "ACC00000-0000-4000-8000-000000000002", "acc00000-0000-4000-8000-00000000001f"} {
		fmt.Fprintf(&vals, "<value>%s</value>", id)
	}
	for i := 3; i < 40000; i++ {
		var b [16]byte
		rand.Read(b[:])
		h := hex.EncodeToString(b[:])
		fmt.Fprintf(&vals, "<value>%s-%s-%s-%s-%s</value>", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
	}
	long := `<fetch><entity name="account"><attribute name="name"/><order attribute="name"/>
<filter><condition attribute="accountid" operator="in">` + vals.String() + `</condition></filter></entity></fetch>`
	short := `<fetch><entity name="account"><attribute name="name"/><order attribute="name"/>
<filter><condition attribute="accountid" operator="in"><value>acc00000-0000-4000-8000-000000000001</value>
<value>acc00000-0000-4000-8000-000000000002</value><value>acc00000-0000-4000-8000-00000000001f</value></condition></filter></entity></fetch>`
	for _, tg := range targets {
		want := rowNames(t, ctx, tg, short)
		if got := rowNames(t, ctx, tg, long); strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) != 4 {
			t.Errorf("%s: 40,000 values: got %q, want %q", tg.name, got, want)
		}
	}

	// 2,100 output columns: past SQLite's 2,000 and PostgreSQL's 1,664,
	// within MySQL's 4,096. Refused at the first attribute past the limit.
	var attrs strings.Builder
	attrs.WriteString("<fetch><entity name=\"account\">\n")
	for i := 0; i < 2100; i++ {
		fmt.Fprintf(&attrs, "<attribute name=\"name\" alias=\"n%d\"/>\n", i)
	}
	attrs.WriteString("<filter><condition attribute=\"name\" operator=\"eq\" value=\"Contoso Ltd\"/></filter></entity></fetch>")
	for _, tg := range targets {
		p, err := buildFetch(t, attrs.String(), tg.catalog, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tg.db.Exec(ctx, p)
		switch tg.name {
		case "mysql":
			if err != nil || len(res.Rows) != 1 {
				t.Errorf("mysql: 2,100 columns: %v", err)
			}
		default:
			limit := map[string]int{"sqlite": 2000, "postgres": 1664}[tg.name]
			// Line 1 is <fetch>, attribute i is on line i+2.
			at := fmt.Sprintf("query.xml:%d:1: VE4004 the query returns 2101 columns", limit+2)
			if err == nil || diag.CodeOf(err) != diag.EngineLimit || !strings.Contains(err.Error(), at) {
				t.Errorf("%s: 2,100 columns: got %v, want %q", tg.name, err, at)
			}
		}
	}
}

// TestZoneGroupingFitsSQLServer: Microsoft Learn's date-grouping example
// grouped twice over in America/New_York: SQL Server converts the zone
// itself (AT TIME ZONE with its Windows name, bound once), so the
// statement stays small however many groupings read the column.
func TestZoneGroupingFitsSQLServer(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	var q strings.Builder
	q.WriteString(`<fetch aggregate="true"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/>`)
	for i, g := range []string{"year", "quarter", "month", "week", "day", "year", "quarter", "month", "week", "day"} {
		fmt.Fprintf(&q, `<attribute name="createdon" alias="g%d" groupby="true" dategrouping="%s"/>`, i, g)
	}
	q.WriteString(`</entity></fetch>`)
	ctx := context.Background()
	sdb, cat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	p, err := buildFetch(t, q.String(), cat, ny)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sql.Emit(p, sql.SQLServer)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Args) != 1 || len(st.SQL) > 4000 {
		t.Errorf("%d parameters, %d bytes; SQL Server converts the zone itself (AT TIME ZONE, its Windows name bound once)", len(st.Args), len(st.SQL))
	}
	t.Logf("SQL Server: %d parameters, %d bytes", len(st.Args), len(st.SQL))
}
