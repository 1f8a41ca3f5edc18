package vecompile_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkPipeline measures each stage and the whole FetchXML → PostgreSQL
// SQL compilation on testdata/bench/{small,medium,large}.xml against the
// sample metadata. Target (medium, whole): under 10 µs and 60 allocations.
func BenchmarkPipeline(b *testing.B) {
	cat := benchCatalog(b)
	opt := plan.Options{Catalog: cat, Now: time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC), Zone: time.UTC}
	for _, name := range []string{"small", "medium", "large"} {
		text, err := os.ReadFile(filepath.Join("testdata", "bench", name+".xml"))
		if err != nil {
			b.Fatal(err)
		}
		src := diag.NewSource(name+".xml", text)
		q, err := fetchxml.Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		p, err := plan.Build(q, opt)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fetchxml.Parse(src); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/plan", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plan.Build(q, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/emit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sql.Emit(p, sql.Postgres); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/whole", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q, err := fetchxml.Parse(src)
				if err != nil {
					b.Fatal(err)
				}
				p, err := plan.Build(q, opt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sql.Emit(p, sql.Postgres); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchCatalog is the sample metadata plus the two columns the benchmark
// queries use that the sample lacks.
func benchCatalog(b *testing.B) plan.Catalog {
	sample, err := engine.SampleCatalog("")
	if err != nil {
		b.Fatal(err)
	}
	extra := map[string][]*plan.Column{
		"opportunity": {{LogicalName: "primarycontactid", Type: plan.TLookup, Targets: []string{"contact"}}},
		"contact":     {{LogicalName: "numberofchildren", Type: plan.TInteger}},
	}
	cat := plan.MapCatalog{}
	for _, name := range []string{"account", "contact", "opportunity", "systemuser"} {
		t, ok := sample.Table(name)
		if !ok {
			b.Fatalf("sample has no %s", name)
		}
		copied := *t
		copied.Columns = append(append([]*plan.Column(nil), t.Columns...), extra[name]...)
		cat.Add(plan.NewTable(copied))
	}
	return cat
}
