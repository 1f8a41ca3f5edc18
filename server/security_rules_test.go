package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/security"
)

// TestUnchangedUpdateIs204: an Update writing the values a row already
// holds is a success on every engine (MariaDB counts found rows, not
// changed ones), through the SDK endpoint and OData PATCH; an Update of a
// missing row stays 404.
func TestUnchangedUpdateIs204(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			got := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc1, "ColumnSet": map[string]any{"Columns": []string{"name", "numberofemployees"}}}).want(t, 200).json(t)
			name, emp := attr(got, "name"), attr(got, "numberofemployees")
			same := map[string]any{"name": name, "numberofemployees": emp}
			for i := range 2 {
				e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": acc1, "Attributes": same}}).want(t, http.StatusNoContent)
				e.do("PATCH", "/odata/accounts("+acc1+")", same).want(t, http.StatusNoContent)
				if t.Failed() {
					t.Fatalf("unchanged update %d refused", i+1)
				}
			}
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": "acc00000-0000-4000-8000-0000000000ff", "Attributes": same}}).
				wantError(t, http.StatusNotFound, "", "")
		})
	}
}

// TestHierarchyWritesThroughTheServer: Priya (Salesperson: account Read,
// Write, Create, AppendTo at User depth) manages Sam. The hierarchy lets
// her update Sam's account, but not create accounts owned by Sam: Create
// comes only from roles (spec §1a).
func TestHierarchyWritesThroughTheServer(t *testing.T) {
	const samID, samsAccount = "aa000000-0000-4000-8000-000000000009", "acc00000-0000-4000-8000-000000000005"
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": samsAccount, "Attributes": map[string]any{"name": "Fabrikam (by Sam's manager)"}}}).want(t, http.StatusNoContent)
			r := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{
				"name": "For Sam", "ownerid": map[string]any{"Id": samID, "LogicalName": "systemuser"}}}})
			r.wantError(t, http.StatusForbidden, "", "VE3003")
			if !strings.Contains(string(r.body), "prvCreateAccount") {
				t.Errorf("no privilege name: %s", r.body)
			}
			// Her own rows she still creates.
			c := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "For Priya"}}}).want(t, 200).json(t)
			if id := fmt.Sprint(c["id"]); id == "" {
				t.Error("no id for the created row")
			}
		})
	}
}

// TestLookupOrderHidesNamesThroughTheServer: Priya's profile does not read
// contact.fullname, but one contact's name is field-shared with her. Her
// accounts ordered by primary contact, through the SDK (top 1) and OData
// ($top, and every page of server-driven paging), do not move when every
// other contact's name is permuted in the database, and the shared name
// sorts first descending (names hidden from her sort as NULL).
func TestLookupOrderHidesNamesThroughTheServer(t *testing.T) {
	const sharedContact, sharedAccount = "c0000000-0000-4000-8000-000000000007", "acc00000-0000-4000-8000-00000000000a"
	hideNames := func(m *security.Model) {
		for i := range m.Tables {
			if m.Tables[i].Name == "contact" {
				m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "fullname")
			}
		}
		m.FieldShares = append(m.FieldShares, security.FieldShareDef{Table: "contact", Column: "fullname", ObjectID: sharedContact, PrincipalID: priyaID, Read: true})
	}
	for _, f := range securedFixturesWith(t, hideNames) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID
			ordered := func() []string {
				top := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch top="1"><entity name="account"><attribute name="accountid"/><order attribute="primarycontactid" descending="true"/></entity></fetch>`)
				odataTop := e.do("GET", "/odata/accounts?$select=accountid&$orderby=primarycontactid%20desc&$top=1", nil).want(t, 200).json(t)
				out := []string{strings.Join(accountIDs(t, top), ","), fmt.Sprint(odataTop["value"])}
				next := "/odata/accounts?$select=accountid&$orderby=primarycontactid"
				for pages := 0; next != ""; pages++ {
					if pages > 20 {
						t.Fatal("nextLink does not end")
					}
					m := e.do("GET", next, nil, "Prefer", "odata.maxpagesize=2").want(t, 200).json(t)
					out = append(out, fmt.Sprint(m["value"]))
					next = nextLink(t, m)
				}
				return out
			}
			before := ordered()
			if !strings.Contains(before[0], sharedAccount) || !strings.Contains(before[1], sharedAccount) {
				t.Errorf("the field-shared name does not sort first descending: %v", before[:2])
			}
			permuteContactNames(t, f, sharedContact)
			if after := ordered(); !slices.Equal(after, before) {
				t.Errorf("permuting names hidden from the caller moved her accounts:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// permuteContactNames gives every contact but keep the name of another, in
// the fixture's table, bypassing the server.
func permuteContactNames(t *testing.T, f securedFixture, keep string) {
	t.Helper()
	ctx := context.Background()
	tab, _ := f.cat.Table("contact")
	quote, mark := `"`, func(n int) string { return "?" }
	switch f.db.Dialect {
	case engine.MySQL:
		quote = "`"
	case engine.Postgres:
		mark = func(n int) string { return "$" + strconv.Itoa(n) }
	}
	table := quote + tab.PhysicalName + quote
	rows, err := f.db.SQL.QueryContext(ctx, "SELECT contactid, fullname FROM "+table+" ORDER BY contactid")
	if err != nil {
		t.Fatal(err)
	}
	var ids, names []string
	for rows.Next() {
		var id string
		var name sql.NullString
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(id, keep) {
			ids, names = append(ids, id), append(names, name.String)
		}
	}
	rows.Close()
	for i, id := range ids {
		if _, err := f.db.SQL.ExecContext(ctx, "UPDATE "+table+" SET fullname = "+mark(1)+" WHERE contactid = "+mark(2), names[len(names)-1-i], id); err != nil {
			t.Fatal(err)
		}
	}
}
