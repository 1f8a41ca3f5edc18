package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
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

// BenchmarkStmtReuse runs one emitted-style statement (a row by key, two
// columns) again and again through DB.Query, on SQLite (a file, so that
// the pool has several connections) and on MySQL when
// VECOMPILE_MYSQL_DSN is set: serially, and from 8 goroutines over a pool
// of 8 connections. What it measures is the statement path: finding the
// prepared statement, binding, running, reading one row.
func BenchmarkStmtReuse(b *testing.B) {
	ctx := context.Background()
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(b.TempDir(), "b.db") + "?create=true"}
	if dsn := os.Getenv("VECOMPILE_MYSQL_DSN"); dsn != "" {
		dsns["mysql"] = dsn
	}
	for _, name := range []string{"sqlite", "mysql"} {
		dsn, ok := dsns[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			db, err := Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetPool(8)
			table := fmt.Sprintf("stmtbench_%d", os.Getpid())
			for _, q := range []string{
				"DROP TABLE IF EXISTS " + table,
				"CREATE TABLE " + table + " (id INT PRIMARY KEY, name VARCHAR(40))",
			} {
				if _, err := db.SQL.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			defer db.SQL.ExecContext(ctx, "DROP TABLE "+table)
			for i := range 100 {
				if _, err := db.SQL.ExecContext(ctx, "INSERT INTO "+table+" (id, name) VALUES (?, ?)", i, fmt.Sprint("name ", i)); err != nil {
					b.Fatal(err)
				}
			}
			text := "SELECT " + db.quote("id") + ", " + db.quote("name") + " FROM " + db.quote(table) + " WHERE " + db.quote("id") + " = ?"
			one := func(i int) {
				res, err := db.Query(ctx, &sqlemit.Statement{SQL: text, Args: []any{i % 100}})
				if err != nil || len(res.Rows) != 1 {
					b.Fatalf("%v, %v", res, err)
				}
			}
			b.Run("serial", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					one(i)
					i++
				}
			})
			b.Run("parallel8", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(8 / max(1, runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						one(i)
						i++
					}
				})
			})
		})
	}
}
