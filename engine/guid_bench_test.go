package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkGuidLookup measures a primary-key lookup on 100,000 rows of
// upper-case text GUIDs (SQLite, indexed key) as the emitter writes it for
// the column's probed form: upper (the value bound upper-cased, the index
// serves it) against anycase (LOWER(col), a scan), and the probe itself.
func BenchmarkGuidLookup(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const rows = 100000
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE thing (thingid TEXT PRIMARY KEY, name TEXT)`); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.SQL.BeginTx(ctx, nil)
	for i := 0; i < rows; i++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO thing VALUES (?, ?)`, fmt.Sprintf("AA000000-0000-4000-8000-%012X", i), fmt.Sprint("thing ", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="thing"><attribute name="name"/><filter><condition attribute="thingid" operator="eq" value="{aa000000-0000-4000-8000-00000000c350}"/></filter></entity></fetch>`)))
	if err != nil {
		b.Fatal(err)
	}
	for _, form := range []plan.GuidStorage{plan.GuidUpper, plan.GuidAnyCase} {
		cat := plan.MapCatalog{}
		cat.Add(plan.NewTable(plan.Table{LogicalName: "thing", PrimaryKey: "thingid", Columns: []*plan.Column{
			{LogicalName: "thingid", Type: plan.TUniqueidentifier, Guid: form},
			{LogicalName: "name", Type: plan.TString},
		}}))
		p, err := plan.Build(q, plan.Options{Catalog: cat})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(form.String(), func(b *testing.B) {
			for b.Loop() {
				res, err := db.Exec(ctx, p)
				if err != nil || len(res.Rows) != 1 {
					b.Fatalf("%v %v", err, res)
				}
			}
		})
	}
	b.Run("probe", func(b *testing.B) {
		cat := plan.MapCatalog{}
		cat.Add(plan.NewTable(plan.Table{LogicalName: "thing", PrimaryKey: "thingid", Columns: []*plan.Column{
			{LogicalName: "thingid", Type: plan.TUniqueidentifier},
		}}))
		for b.Loop() {
			if err := ProbeGuidStorage(ctx, db, cat); err != nil {
				b.Fatal(err)
			}
		}
	})
}
