package server_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// fuzzEnginesEnv picks FuzzHandler's engines in fuzz mode (go test
// -fuzz): a comma-separated list of sqlite, postgres, mysql; default
// sqlite. Replaying the seeds (plain go test) runs every configured
// engine.
const fuzzEnginesEnv = "VECOMPILE_FUZZ_ENGINES"

// fuzzSeeds are requests as users send them, not only as tests write
// them: long lists, many orders and columns, NUL and invalid UTF-8.
func fuzzSeeds() []string {
	var guids, conds, orders, cols []string
	for i := range 600 {
		guids = append(guids, fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i))
		conds = append(conds, fmt.Sprintf(`<value>%08x-0000-4000-8000-%012x</value>`, i, i))
	}
	attrs := []string{"name", "accountnumber", "address1_city", "revenue", "numberofemployees", "industrycode", "statecode", "statuscode", "createdon", "new_contractend"}
	for i := range 60 {
		a := attrs[i%len(attrs)]
		dir := []string{"asc", "desc"}[i%2]
		orders = append(orders, a+" "+dir)
		cols = append(cols, a)
	}
	var fetchOrders, fetchAttrs strings.Builder
	for i, a := range cols {
		fmt.Fprintf(&fetchAttrs, `<attribute name="%s"/>`, a)
		fmt.Fprintf(&fetchOrders, `<order attribute="%s" descending="%t"/>`, a, i%2 == 0)
	}
	return []string{
		`<fetch count="2" page="2" paging-cookie="x.y"><entity name="account"><attribute name="name"/></entity></fetch>`,
		`{"EntityName":"account","ColumnSet":{"AllColumns":true},"PageInfo":{"Count":3,"PageNumber":2,"PagingCookie":"a.b"}}`,
		`{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name"]}}`,
		`{"Target":{"LogicalName":"account","Attributes":{"name":"f","revenue":{"Value":1e400}}}}`,
		`{"ActionName":"x","Parameters":{"a":[[[]]]}}`,
		`<fetch aggregate="true"><entity name="account"><attribute name="revenue" aggregate="sum" alias="s"/></entity></fetch>`,
		`$select=name&$expand=primarycontactid($select=fullname;$expand=parentcustomerid_account($select=name))`,
		`$select=name&$top=3&$expand=contact_customer_accounts($select=fullname;$filter=startswith(fullname,'A');$orderby=fullname desc;$top=1;$skip=1;$count=true)`,
		`$expand=account_parent_account($expand=account_parent_account($expand=contact_customer_accounts($expand=parentcustomerid_account)))`,
		`$expand=*&$expand=contact_customer_accounts/$ref`,
		// Long lists.
		`$filter=Microsoft.Dynamics.CRM.In(PropertyName='accountid',PropertyValues=['` + strings.Join(guids, `','`) + `'])`,
		`$filter=accountid in (` + strings.Join(guids, ",") + `)`,
		`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="in">` + strings.Join(conds, "") + `</condition></filter></entity></fetch>`,
		`{"EntityName":"account","ColumnSet":{"Columns":["name"]},"Criteria":{"Conditions":[{"AttributeName":"accountid","Operator":"In","Values":["` + strings.Join(guids, `","`) + `"]}]}}`,
		// Many orders and columns.
		`$select=` + strings.Join(cols, ",") + `&$orderby=` + strings.Join(orders, ","),
		`<fetch><entity name="account">` + fetchAttrs.String() + fetchOrders.String() + `</entity></fetch>`,
		`{"EntityName":"account","ColumnSet":{"Columns":["` + strings.Join(cols, `","`) + `"]}}`,
		// NUL and invalid UTF-8, in values and in names.
		"$filter=name eq 'a\x00b'",
		"$filter=name eq 'caf\xe9'&$select=name",
		"$select=na\x00me",
		"<fetch><entity name=\"account\"><attribute name=\"name\"/><filter><condition attribute=\"name\" operator=\"like\" value=\"%\x00%\"/></filter></entity></fetch>",
		"<fetch><entity name=\"account\"><attribute name=\"name\"/><filter><condition attribute=\"name\" operator=\"eq\" value=\"\xff\xfe\"/></filter></entity></fetch>",
		`{"Target":{"LogicalName":"account","Attributes":{"name":"a\u0000b"}}}`,
		"{\"Target\":{\"LogicalName\":\"account\",\"Attributes\":{\"name\":\"\xc3\x28\"}}}",
		`{"EntityName":"account","ColumnSet":{"Columns":["name"]},"Criteria":{"Conditions":[{"AttributeName":"name","Operator":"Equal","Values":["\u0000"]}]}}`,
		// Write value shapes: EntityReference spellings, binds, duplicates.
		`{"Target":{"LogicalName":"account","Id":"` + contoso + `","Attributes":{"ownerid":{"id":"` + managerID + `","logicalName":"systemuser","Value":1},"OwnerId":null}}}`,
		`{"Target":{"LogicalName":"account","Attributes":{"name":"a","n\u0061me":"b","parentaccountid":{"Id":"` + contoso + `","LogicalName":"account","Name":"x"}}}}`,
		`{"name":"f","parentaccountid@odata.bind":"/accounts(` + contoso + `)","primarycontactid@odata.bind":"contacts('x')","_parentaccountid_value":null,"@odata.etag":"W/1"}`,
	}
}

// FuzzHandler: whatever the body, path and endpoint, the server answers
// with a Dataverse error or a result: never a 5xx, a timeout included.
// It serves the sample with the sample's security model read from the
// security tables, on SQLite and, when configured, PostgreSQL and
// MariaDB (in fuzz mode the engines of VECOMPILE_FUZZ_ENGINES).
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds() {
		for ep := range byte(9) {
			f.Add(ep, s)
		}
	}
	type target struct {
		name string
		h    http.Handler
	}
	var targets []target
	pick := map[string]bool{}
	if fz := flag.Lookup("test.fuzz"); fz != nil && fz.Value.String() != "" {
		engines := os.Getenv(fuzzEnginesEnv)
		if engines == "" {
			engines = "sqlite"
		}
		for _, e := range strings.Split(engines, ",") {
			pick[strings.TrimSpace(e)] = true
		}
	}
	for _, fx := range securedFixtures(f) {
		if len(pick) > 0 && !pick[fx.name] {
			continue
		}
		srv, err := server.New(server.Config{DB: fx.db, Catalog: fx.cat, Auth: testVerifier(), Users: server.SameIDs{Contacts: true},
			AllowAnonymous: true, Security: server.NewSecurityModel(fx.model), QueryTimeout: 10 * time.Second})
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{fx.name, srv.Handler()})
	}
	for e := range pick {
		found := false
		for _, t := range targets {
			found = found || t.name == e
		}
		if !found {
			f.Fatalf("%s=%s: no %s engine configured", fuzzEnginesEnv, os.Getenv(fuzzEnginesEnv), e)
		}
	}
	token := hs256Bench(claims(nil))
	endpoints := []string{"Retrieve", "RetrieveMultiple", "Create", "Update", "Delete", "PerformAction"}
	f.Fuzz(func(t *testing.T, ep byte, body string) {
		for _, tg := range targets {
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
			tg.h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s: %s %s %q: %d %s", tg.name, r.Method, r.URL.Path, body, w.Code, w.Body)
			}
		}
	})
}
