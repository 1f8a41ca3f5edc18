package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// guidForms are the sample stored with its keys as SQL Server exports
// them (upper-case text), in both cases, and as bytes.
var guidForms = []struct {
	name string
	form engine.FixtureForm
}{
	{"text_upper", engine.FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT", NoForeignKeys: true, Probe: true}},
	{"anycase", engine.FixtureForm{Guid: plan.GuidAnyCase, GuidType: "UNIQUEIDENTIFIER", NoForeignKeys: true, Probe: true}},
	{"blob", engine.FixtureForm{Guid: plan.GuidBinary, GuidType: "BLOB(16)", NoForeignKeys: true, Probe: true}},
}

// guidFormEnv is an unsecured server over the sample in form, in an
// in-memory SQLite database.
func guidFormEnv(t *testing.T, form engine.FixtureForm) *env {
	t.Helper()
	ctx := context.Background()
	db, err := engine.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := engine.LoadFixtureForm(ctx, db, "", form)
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, fixture{"sqlite", db, cat}, nil)
}

// TestGuidFormsServer: the server's keys, keyset paging cookies and writes
// on the sample stored as SQL Server exports it (upper-case text), in both
// cases and as bytes: a key in braces and upper case finds its record,
// paging visits every row once, a written record reads back by its key.
func TestGuidFormsServer(t *testing.T) {
	for _, f := range guidForms {
		t.Run(f.name, func(t *testing.T) {
			e := guidFormEnv(t, f.form)
			const contoso = "acc00000-0000-4000-8000-000000000001"
			m := e.do("GET", "/odata/accounts("+url.PathEscape("{"+strings.ToUpper(contoso)+"}")+")?$select=name", nil).want(t, 200).json(t)
			if m["name"] != "Contoso Ltd" || m["accountid"] != contoso {
				t.Errorf("GET by an upper-case braced key: %v", m)
			}
			seen := map[string]bool{}
			next, pages := "/odata/contacts?$select=fullname", 0
			for next != "" {
				m := e.do("GET", next, nil, "Prefer", "odata.maxpagesize=7").want(t, 200).json(t)
				for _, v := range m["value"].([]any) {
					id := v.(map[string]any)["contactid"].(string)
					if seen[id] || id != strings.ToLower(id) {
						t.Errorf("row %s twice or not canonical", id)
					}
					seen[id] = true
				}
				next = nextLink(t, m)
				if pages++; pages > 20 {
					t.Fatal("nextLink does not end")
				}
			}
			if len(seen) != 60 || pages < 2 {
				t.Errorf("paged %d contacts in %d pages, want 60", len(seen), pages)
			}
			r := e.do("POST", "/odata/accounts", `{"name":"Written Co","primarycontactid@odata.bind":"/contacts(C0000000-0000-4000-8000-000000000001)"}`).want(t, 204)
			loc := r.header.Get("OData-EntityId")
			path := loc[strings.Index(loc, "/odata/"):]
			m = e.do("GET", path+"?$select=name,_primarycontactid_value", nil).want(t, 200).json(t)
			if m["name"] != "Written Co" || m["_primarycontactid_value"] != "c0000000-0000-4000-8000-000000000001" {
				t.Errorf("the written record does not read back: %v", m)
			}
			e.do("PATCH", path, `{"name":"Written Corp"}`).want(t, 204)
			// The contact's accounts, through the stored (upper-case, binary …) lookup.
			m = e.do("GET", "/odata/accounts?$select=name&$filter=_primarycontactid_value%20eq%20C0000000-0000-4000-8000-000000000001", nil).want(t, 200).json(t)
			found := false
			for _, v := range m["value"].([]any) {
				found = found || v.(map[string]any)["name"] == "Written Corp"
			}
			if !found {
				t.Errorf("the written lookup does not match: %v", m)
			}
			e.do("DELETE", path, nil).want(t, 204)
			e.do("GET", path, nil).wantError(t, 404, "", "VE6005")
		})
	}
}
