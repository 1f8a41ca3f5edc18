package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/server"
)

// FuzzHandler: whatever the body, path and endpoint, the server answers
// with a Dataverse error or a result, never a 500 (a timeout is 504).
func FuzzHandler(f *testing.F) {
	for _, s := range []string{
		`<fetch count="2" page="2" paging-cookie="x.y"><entity name="account"><attribute name="name"/></entity></fetch>`,
		`{"EntityName":"account","ColumnSet":{"AllColumns":true},"PageInfo":{"Count":3,"PageNumber":2,"PagingCookie":"a.b"}}`,
		`{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name"]}}`,
		`{"Target":{"LogicalName":"account","Attributes":{"name":"f","revenue":{"Value":1e400}}}}`,
		`{"ActionName":"x","Parameters":{"a":[[[]]]}}`,
		`<fetch aggregate="true"><entity name="account"><attribute name="revenue" aggregate="sum" alias="s"/></entity></fetch>`,
		`$select=name&$expand=primarycontactid_contact($select=fullname;$expand=parentcustomerid_account($select=name))`,
		`$select=name&$top=3&$expand=contact_customer_accounts($select=fullname;$filter=startswith(fullname,'A');$orderby=fullname desc;$top=1;$skip=1;$count=true)`,
		`$expand=account_parent_account($expand=account_parent_account($expand=contact_customer_accounts($expand=parentcustomerid_account)))`,
		`$expand=*&$expand=contact_customer_accounts/$ref`,
		// Write value shapes: EntityReference spellings, binds, duplicates.
		`{"Target":{"LogicalName":"account","Id":"` + contoso + `","Attributes":{"ownerid":{"id":"` + managerID + `","logicalName":"systemuser","Value":1},"OwnerId":null}}}`,
		`{"Target":{"LogicalName":"account","Attributes":{"name":"a","n\u0061me":"b","parentaccountid":{"Id":"` + contoso + `","LogicalName":"account","Name":"x"}}}}`,
		`{"name":"f","parentaccountid@odata.bind":"/accounts(` + contoso + `)","primarycontactid@odata.bind":"contacts('x')","_parentaccountid_value":null,"@odata.etag":"W/1"}`,
	} {
		for ep := range byte(9) {
			f.Add(ep, s)
		}
	}
	db, cat, err := engine.OpenSample(f.Context())
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	srv, err := server.New(server.Config{DB: db, Catalog: cat, Auth: testVerifier(), Users: testUsers(), Insecure: true, QueryTimeout: 2 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	token := hs256Bench(claims(nil))
	endpoints := []string{"Retrieve", "RetrieveMultiple", "Create", "Update", "Delete", "PerformAction"}
	f.Fuzz(func(t *testing.T, ep byte, body string) {
		var r *http.Request
		switch i := int(ep) % 9; {
		case i < len(endpoints):
			r = httptest.NewRequest("POST", "/api/ve/v1/"+endpoints[i], strings.NewReader(body))
		case i == 6:
			r = httptest.NewRequest("POST", "/odata/accounts", strings.NewReader(body))
		case i == 7:
			r = httptest.NewRequest("PATCH", "/odata/accounts("+contoso+")", strings.NewReader(body))
		default:
			r = httptest.NewRequest("GET", "/odata/accounts", nil)
			r.URL.RawQuery = body
		}
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set(server.HeaderUserID, managerID)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusGatewayTimeout {
			t.Fatalf("%s %s %q: %d %s", r.Method, r.URL.Path, body, w.Code, w.Body)
		}
	})
}
