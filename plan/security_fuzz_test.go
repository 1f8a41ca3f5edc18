package plan_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// FuzzSecuredPipeline plans every accepted FetchXML document as sample
// users under the sample's model (seeds: every pipeline case): Build either
// fails with a code or yields a verified plan; every dialect emits without
// panicking; on SQLite the secured rows are a subset of the unsecured ones
// (by key) and hidden columns come back NULL.
func FuzzSecuredPipeline(f *testing.F) {
	inputs, err := testkit.Inputs("../testdata/pipeline/*.ddt")
	if err != nil {
		f.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasPrefix(strings.TrimSpace(in), "<") {
			f.Add(in)
		}
	}
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	model, err := engine.SampleSecurity()
	if err != nil {
		f.Fatal(err)
	}
	var sessions []*security.Session
	for _, u := range []string{"aa000000-0000-4000-8000-000000000009", "aa000000-0000-4000-8000-000000000002", "aa000000-0000-4000-8000-000000000005"} {
		s, err := model.Session(security.Principal{UserID: u})
		if err != nil {
			f.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	now := time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)
	caller := &plan.Caller{UserID: "aa000000-0000-4000-8000-000000000009", BusinessUnitID: "bb000000-0000-4000-8000-000000000002"}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
		if err != nil {
			return
		}
		opt := plan.Options{Catalog: cat, Now: now, Caller: caller}
		_, sysErr := plan.Build(q, opt)
		for _, s := range sessions {
			opt.Security = plan.ModelSecurity{Session: s}
			p, err := plan.Build(q, opt)
			if err != nil {
				switch diag.CodeOf(err) {
				case "":
					t.Fatalf("error without a code: %v", err)
				case diag.SecurityUnverified:
					t.Fatalf("Build produced a plan its verifier refuses: %v", err)
				}
				continue
			}
			if sysErr != nil {
				t.Fatalf("the secured plan builds but the unsecured one fails: %v", sysErr)
			}
			for _, d := range sql.Dialects() {
				if _, err := sql.Emit(p, d); err != nil && diag.CodeOf(err) == "" {
					t.Fatalf("%s: emit error without a code: %v", d.Name(), err)
				}
			}
			if p.Aggregate || p.Distinct || p.PageSize > 0 || p.Top > 0 || p.Root.Table.PrimaryKey == "" {
				continue
			}
			got, err := db.Exec(ctx, p)
			if err != nil {
				continue // an engine refusal (e.g. a hint SQLite lacks) is not a security question
			}
			// Every returned row is one the user may read. (Not a subset of
			// the unsecured result: not any / all links, anti-joins and
			// negative operators on hidden columns legitimately match more
			// once related rows or values are out of sight.)
			readable := readableKeys(t, ctx, db, cat, s, p.Root.Table)
			key := p.Root.Table.PrimaryKey
			seen := map[string]bool{}
			for _, k := range readable {
				seen[k] = true
			}
			for _, r := range got.Rows {
				v, _ := r.Get(key)
				if !seen[fmt.Sprint(v)] {
					t.Fatalf("%s returns %s %v, a row it may not read", s.Who, key, v)
				}
				for i, c := range p.Columns {
					if c.Source != nil && c.Source.Security.Hides(c.Column) && i < len(r) && r[i].Value != nil {
						t.Fatalf("%s: hidden column %s came back as %v", s.Who, c.Name, r[i].Value)
					}
				}
			}
		}
	})
}

// readableKeys lists the keys of every row of table the session may read.
func readableKeys(t *testing.T, ctx context.Context, db *engine.DB, cat plan.Catalog, s *security.Session, table *plan.Table) []string {
	src := `<fetch><entity name="` + table.LogicalName + `"><attribute name="` + table.PrimaryKey + `"/></entity></fetch>`
	q, err := fetchxml.Parse(diag.NewSource("all.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat, Security: plan.ModelSecurity{Session: s}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range res.Rows {
		v, _ := r.Get(table.PrimaryKey)
		keys = append(keys, fmt.Sprint(v))
	}
	return keys
}
