package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
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
