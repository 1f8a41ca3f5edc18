package vecompile_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// guidQueries exercise every GUID comparison a user's data meets: ids
// written as the SDK prints them (braces, upper case), eq-userid and the
// caller's teams, the hierarchy, links and lookups.
var guidQueries = []string{
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="eq" value="{ACC00000-0000-4000-8000-000000000001}"/></filter></entity></fetch>`,
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="in"><value>{AA000000-0000-4000-8000-000000000004}</value><value>aa000000-0000-4000-8000-000000000009</value></condition></filter><order attribute="name"/></entity></fetch>`,
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/></filter><order attribute="name"/></entity></fetch>`,
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserteams"/></filter><order attribute="name"/></entity></fetch>`,
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="under" value="{ACC00000-0000-4000-8000-000000000001}"/></filter><order attribute="name"/></entity></fetch>`,
	`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserhierarchy"/></filter><order attribute="name"/></entity></fetch>`,
	`<fetch><entity name="contact"><attribute name="fullname"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a"><attribute name="name"/><filter><condition attribute="primarycontactid" operator="not-null"/></filter></link-entity><order attribute="fullname"/></entity></fetch>`,
	`<fetch aggregate="true"><entity name="opportunity"><attribute name="ownerid" alias="o" groupby="true"/><attribute name="opportunityid" alias="n" aggregate="count"/><order alias="o"/></entity></fetch>`,
}

// TestGuidFormsThroughOpen opens SQLite files holding the sample as other
// tools store it, with the sample's metadata file, as a user runs
// vecompile --db … --metadata …: the storage forms are probed and every
// query returns the sample's rows. The caller's id is given in braces and
// upper case.
func TestGuidFormsThroughOpen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)
	want := runGuidQueries(t, ctx, vecompile.Config{Sample: true, UserID: engine.SampleUsers["europe"], Now: now})
	for _, f := range []struct {
		name string
		form engine.FixtureForm
	}{
		{"text_upper", engine.FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT", NoForeignKeys: true}},
		{"uniqueidentifier_anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, GuidType: "UNIQUEIDENTIFIER", NoForeignKeys: true}},
		{"blob", engine.FixtureForm{Guid: plan.GuidBinary, GuidType: "BLOB(16)", NoForeignKeys: true}},
	} {
		t.Run(f.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crm.db")
			db, err := engine.Open(ctx, "sqlite:"+path+"?create=true")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := engine.LoadFixtureForm(ctx, db, "", f.form); err != nil {
				t.Fatal(err)
			}
			db.Close()
			cfg := vecompile.Config{DSN: "sqlite:" + path, MetadataFile: "engine/sampledata/metadata.json",
				UserID: "{" + strings.ToUpper(engine.SampleUsers["europe"]) + "}", Now: now}
			got := runGuidQueries(t, ctx, cfg)
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("query %d:\n--- sample\n%s--- %s\n%s", i, want[i], f.name, got[i])
				}
			}
		})
	}
}

func runGuidQueries(t *testing.T, ctx context.Context, cfg vecompile.Config) []string {
	t.Helper()
	c, err := vecompile.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []string
	for i, q := range guidQueries {
		parsed, err := c.Parse("q.xml", []byte(q))
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Plan(parsed)
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		res, err := c.Exec(ctx, p)
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		if len(res.Rows) == 0 {
			t.Errorf("query %d returns no rows", i)
		}
		var buf bytes.Buffer
		if err := engine.Write(&buf, res, "jsonl"); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.String())
	}
	return out
}

// TestGuidNotAGuid: a value that is not a GUID is refused at its position.
func TestGuidNotAGuid(t *testing.T) {
	ctx := context.Background()
	c, err := vecompile.Open(ctx, vecompile.Config{Sample: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := c.Parse("q.xml", []byte(`<fetch><entity name="account"><filter><condition attribute="ownerid" operator="eq" value="{AA000000-0000-4000-8000-00000000000Z}"/></filter></entity></fetch>`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Plan(q)
	var list diag.ErrorList
	if !errors.As(err, &list) || list[0].Code != diag.TypeMismatch || !strings.Contains(err.Error(), "q.xml:1:") {
		t.Fatalf("want a positioned %s, got %v", diag.TypeMismatch, err)
	}
}
