package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkKeyMapRead measures a 100-row page of a table keyed by a
// string (SQLite, 2,000 rows) read with its key-map id against the same
// page read by its string key alone: "recorded" with every id already
// known to the process (the ids computed, nothing inserted), "first" with
// the process's memory of recorded ids dropped before each read (every id
// computed and sent to the map's insert-or-ignore, which finds them there),
// and a lookup by id (the EXISTS join to the map).
func BenchmarkKeyMapRead(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE shop (code TEXT PRIMARY KEY, name TEXT)`); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.SQL.BeginTx(ctx, nil)
	for i := 0; i < 2000; i++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shop VALUES (?, ?)`, fmt.Sprintf("S-%05d", i), fmt.Sprint("shop ", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	code := &plan.Column{LogicalName: "code", Type: plan.TString}
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "shop", PrimaryKey: "shopid", Columns: []*plan.Column{
		{LogicalName: "shopid", Type: plan.TUniqueidentifier}, code, {LogicalName: "name", Type: plan.TString},
	}}))
	t, _ := cat.Table("shop")
	id, _ := t.Column("shopid")
	if err := BindKeyMap(cat, t, id, []string{"code"}); err != nil {
		b.Fatal(err)
	}
	build := func(fetch string) *plan.Plan {
		q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(fetch)))
		if err != nil {
			b.Fatal(err)
		}
		p, err := plan.Build(q, plan.Options{Catalog: cat})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	withID := build(`<fetch top="100"><entity name="shop"><attribute name="shopid"/><attribute name="name"/><order attribute="code"/></entity></fetch>`)
	plain := build(`<fetch top="100"><entity name="shop"><attribute name="code"/><attribute name="name"/><order attribute="code"/></entity></fetch>`)
	sid, _ := plan.KeyMapGUID([]plan.Kind{plan.KString}, []any{"S-00050"})
	byID := build(`<fetch><entity name="shop"><attribute name="name"/><filter><condition attribute="shopid" operator="eq" value="` + sid + `"/></filter></entity></fetch>`)
	read := func(b *testing.B, p *plan.Plan, n int) {
		res, err := db.Exec(ctx, p)
		if err != nil || len(res.Rows) != n {
			b.Fatalf("%v %d rows", err, len(res.Rows))
		}
	}
	b.Run("string-key", func(b *testing.B) {
		for b.Loop() {
			read(b, plain, 100)
		}
	})
	b.Run("id-recorded", func(b *testing.B) {
		read(b, withID, 100)
		for b.Loop() {
			read(b, withID, 100)
		}
	})
	b.Run("id-first", func(b *testing.B) {
		for b.Loop() {
			db.keys.mu.Lock()
			db.keys.known = nil
			db.keys.mu.Unlock()
			read(b, withID, 100)
		}
	})
	b.Run("by-id", func(b *testing.B) {
		for b.Loop() {
			read(b, byID, 1)
		}
	})
}
