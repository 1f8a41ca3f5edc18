package engine

import (
	"context"
	"testing"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkExecTenRowsTwoLinks runs the adapter's RetrieveMultiple shape
// (10 rows, 2 links) on the SQLite sample: parse, plan, emit, run, shape.
func BenchmarkExecTenRowsTwoLinks(b *testing.B) {
	ctx := context.Background()
	db, cat, err := OpenSample(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	src := diag.NewSource("q.xml", []byte(`<fetch count="10"><entity name="contact"><attribute name="fullname"/><link-entity name="account" from="accountid" to="parentcustomerid" link-type="outer" alias="a"><attribute name="name"/><link-entity name="systemuser" from="systemuserid" to="ownerid" link-type="outer" alias="o"><attribute name="fullname"/></link-entity></link-entity><order attribute="fullname"/></entity></fetch>`))
	now := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		q, err := fetchxml.Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		p, err := plan.Build(q, plan.Options{Catalog: cat, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		r, err := db.Exec(ctx, p)
		if err != nil || len(r.Rows) != 10 {
			b.Fatalf("%v %d", err, len(r.Rows))
		}
	}
}
