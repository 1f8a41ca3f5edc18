package plan_test

import (
	"os"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// BenchmarkSecurityMedium: the cost security adds to planning and emitting
// testdata/bench/medium.xml (3 links, so 4 secured sources) as the sample's
// Sales Manager (Deep business-unit read, shares, hierarchy): "off" is the
// unsecured plan+emit, "on" reuses one session (access cached per table),
// "on-new-session" resolves the principal on every iteration, as a
// request without a session cache would. Target: under 20 µs added.
func BenchmarkSecurityMedium(b *testing.B) {
	text, err := os.ReadFile("../testdata/bench/medium.xml")
	if err != nil {
		b.Skip("no testdata/bench/medium.xml")
	}
	q, err := fetchxml.Parse(diag.NewSource("medium.xml", text))
	if err != nil {
		b.Fatal(err)
	}
	sample, err := engine.SampleCatalog("")
	if err != nil {
		b.Fatal(err)
	}
	cat := plan.MapCatalog{}
	extra := map[string][]*plan.Column{
		"opportunity": {{LogicalName: "primarycontactid", Type: plan.TLookup, Targets: []string{"contact"}}},
		"contact":     {{LogicalName: "numberofchildren", Type: plan.TInteger}},
	}
	for _, name := range []string{"account", "contact", "opportunity", "systemuser"} {
		t, _ := sample.Table(name)
		copied := *t
		copied.Columns = append(append([]*plan.Column(nil), t.Columns...), extra[name]...)
		cat.Add(plan.NewTable(copied))
	}
	model, err := engine.SampleSecurity()
	if err != nil {
		b.Fatal(err)
	}
	principal := security.Principal{UserID: "aa000000-0000-4000-8000-000000000002"}
	s, err := model.Session(principal)
	if err != nil {
		b.Fatal(err)
	}
	opt := plan.Options{Catalog: cat, Now: time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC), Zone: time.UTC}
	compile := func(b *testing.B, opt plan.Options) {
		p, err := plan.Build(q, opt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sql.Emit(p, sql.Postgres); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			compile(b, opt)
		}
	})
	b.Run("on", func(b *testing.B) {
		sec := opt
		sec.Security = plan.ModelSecurity{Session: s}
		b.ReportAllocs()
		for b.Loop() {
			compile(b, sec)
		}
	})
	b.Run("on-new-session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := model.Session(principal)
			if err != nil {
				b.Fatal(err)
			}
			sec := opt
			sec.Security = plan.ModelSecurity{Session: s}
			compile(b, sec)
		}
	})
}
