package server_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

const contoso = "acc00000-0000-4000-8000-000000000001"

func TestSDKEndpoints(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)

			// Retrieve by id with a ColumnSet.
			m := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": strings.ToUpper(contoso),
				"ColumnSet": map[string]any{"Columns": []string{"name", "address1_city", "numberofemployees"}}}).want(t, 200).json(t)
			if m["Id"] != contoso || m["LogicalName"] != "account" || attr(m, "name") != "Contoso Ltd" || attr(m, "address1_city") != "Seattle" || attr(m, "numberofemployees") != json.Number("12") {
				t.Errorf("Retrieve: %v", m)
			}
			if attr(m, "revenue") != nil {
				t.Errorf("Retrieve returned a column outside the ColumnSet: %v", m)
			}
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": "acc00000-0000-4000-8000-0000000000ff", "ColumnSet": map[string]any{"AllColumns": true}}).
				wantError(t, 404, "0x80040217", "VE6005")
			m = e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso}).want(t, 200).json(t)
			if a := m["Attributes"].(map[string]any); len(a) != 1 || a["accountid"] != contoso {
				t.Errorf("Retrieve with an empty ColumnSet returns the id alone: %v", m)
			}
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "nosuchentity", "Id": contoso}).wantError(t, 404, "", "VE6005")
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": "not-a-guid"}).wantError(t, 400, "0x80040203", "VE1011")
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso, "ColumnSet": map[string]any{"Columns": []string{"nosuchcolumn"}}}).wantError(t, 400, "", "VE2002")

			// RetrieveMultiple with FetchXML and with QueryExpression: the same rows.
			fx := `<fetch><entity name="account"><attribute name="name"/><order attribute="name"/>
<filter><condition attribute="address1_city" operator="eq" value="seattle"/></filter></entity></fetch>`
			got := names(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fx).want(t, 200).json(t))
			want := []string{"Blue Yonder Airlines", "Contoso Ltd", "Contoso Retail", "Contoso Retail Seattle", "Fourth Coffee", "Margie's Travel", "Wingtip Toys"}
			if !slices.Equal(got, want) {
				t.Errorf("RetrieveMultiple FetchXML: %v, want %v", got, want)
			}
			qe := `{"EntityName":"account","ColumnSet":{"Columns":["name"]},"Orders":[{"AttributeName":"name"}],
"Criteria":{"Conditions":[{"AttributeName":"address1_city","Operator":"Equal","Values":["seattle"]}]}}`
			if got := names(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", qe).want(t, 200).json(t)); !slices.Equal(got, want) {
				t.Errorf("RetrieveMultiple QueryExpression: %v, want %v", got, want)
			}
			// Total record count and MoreRecords.
			m = e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch count="2" returntotalrecordcount="true"><entity name="account"><attribute name="name"/></entity></fetch>`).want(t, 200).json(t)
			if m["MoreRecords"] != true || m["TotalRecordCount"] != json.Number("40") || len(entities(t, m)) != 2 || m["PagingCookie"] == "" {
				t.Errorf("paged collection: %v", m)
			}
			e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="nope"/></entity></fetch>`).wantError(t, 400, "0x80040203", "VE2002")
			e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account">`).wantError(t, 400, "", "VE1001")

			// Create, Update, Delete.
			m = e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account",
				"Attributes": map[string]any{"name": "Written Ltd", "numberofemployees": 7, "revenue": map[string]any{"Value": 12.5}, "donotemail": true, "address1_city": "Oslo"}}}).want(t, 200).json(t)
			id, _ := m["id"].(string)
			if _, ok := plan.CanonicalGUID(id); !ok {
				t.Fatalf("Create returned %v", m)
			}
			m = e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"AllColumns": true}}).want(t, 200).json(t)
			if attr(m, "name") != "Written Ltd" || attr(m, "numberofemployees") != json.Number("7") || attr(m, "donotemail") != true {
				t.Errorf("created row: %v", m)
			}
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id,
				"Attributes": map[string]any{"name": "Rewritten Ltd", "address1_city": nil}}}).want(t, 204)
			m = e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"Columns": []string{"name", "address1_city"}}}).want(t, 200).json(t)
			if attr(m, "name") != "Rewritten Ltd" || attr(m, "address1_city") != nil {
				t.Errorf("updated row: %v", m)
			}
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id, "Attributes": map[string]any{"numberofemployees": "many"}}}).wantError(t, 400, "", "VE2003")
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id, "Attributes": map[string]any{"nosuch": 1}}}).wantError(t, 400, "", "VE2002")
			e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id, "Attributes": map[string]any{"name": "dup"}}}).wantError(t, 409, "0x80040237", "VE6010")
			e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": id}).want(t, 204)
			e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": id}).wantError(t, 404, "", "VE6005")
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id, "Attributes": map[string]any{"name": "x"}}}).wantError(t, 404, "", "VE6005")

			// The catalog lists every exposed entity with its metadata.
			m = e.do("GET", "/api/ve/v1/catalog", nil).want(t, 200).json(t)
			var acc map[string]any
			for _, x := range m["Entities"].([]any) {
				if x.(map[string]any)["LogicalName"] == "account" {
					acc = x.(map[string]any)
				}
			}
			if acc == nil || acc["PrimaryIdAttribute"] != "accountid" || acc["EntitySetName"] != "accounts" || len(acc["Attributes"].([]any)) < 10 {
				t.Errorf("catalog entry for account: %v", acc)
			}
		})
	}
}

func names(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range entities(t, m) {
		s, _ := attr(e, "name").(string)
		out = append(out, s)
	}
	return out
}

func TestWriteHooksRunInTheTransaction(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			hooked := 0
			err := e.srv.OnWrite("account", func(ctx context.Context, tx *server.WriteTx, w *server.WriteRequest) error {
				hooked++
				if w.Kind.String() == "delete" {
					return nil
				}
				name, _ := w.Values["name"].(string)
				// A write through the transaction, before the decision: it
				// must vanish when the hook rejects.
				q := `UPDATE ` + tablePrefix(f) + `account SET description = 'touched by hook' WHERE accountid = ` + ph(f, 1)
				if _, err := tx.Tx.ExecContext(ctx, q, contoso); err != nil {
					return err
				}
				if strings.Contains(strings.ToLower(name), "forbidden") {
					return server.Reject("account names may not contain %q", "forbidden")
				}
				w.Values["accountnumber"] = "DER-" + strings.ToUpper(name[:3]) // derived
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			r := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "Forbidden Fruit"}}})
			r.wantError(t, 400, "0x80040265", "VE6006")
			if !strings.Contains(string(r.body), `account names may not contain \"forbidden\"`) {
				t.Errorf("rejection message lost: %s", r.body)
			}
			m := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso, "ColumnSet": map[string]any{"Columns": []string{"description"}}}).want(t, 200).json(t)
			if d, _ := attr(m, "description").(string); d == "touched by hook" {
				t.Error("the rejected write's transaction was committed")
			}
			m = e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "Derived Co"}}}).want(t, 200).json(t)
			id := m["id"].(string)
			m = e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"Columns": []string{"accountnumber"}}}).want(t, 200).json(t)
			if attr(m, "accountnumber") != "DER-DER" {
				t.Errorf("derived value: %v", m)
			}
			m = e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso, "ColumnSet": map[string]any{"Columns": []string{"description"}}}).want(t, 200).json(t)
			if attr(m, "description") != "touched by hook" {
				t.Errorf("the accepted write's transaction lost the hook's own write: %v", m)
			}
			e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": id}).want(t, 204)
			if hooked != 3 {
				t.Errorf("hook ran %d times, want 3", hooked)
			}
			if err := e.srv.OnWrite("nosuch", nil); err == nil {
				t.Error("a hook for an unexposed entity was accepted")
			}
		})
	}
}

func tablePrefix(f fixture) string {
	t, _ := f.cat.Table("account")
	return strings.TrimSuffix(t.PhysicalName, "account")
}

func ph(f fixture, n int) string {
	if f.db.Dialect == "postgres" {
		return "$" + string(rune('0'+n))
	}
	return "?"
}

func TestPerformAction(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	err := e.srv.RegisterAction(&server.Action{
		Name:   "new_Discount",
		Params: []server.Param{{Name: "Amount", Type: plan.TDecimal, Required: true}, {Name: "Percent", Type: plan.TInteger}, {Name: "Customer", Type: plan.TUniqueidentifier}},
		Run: func(ctx context.Context, c *server.ActionCall) (map[string]any, error) {
			pct := int64(10)
			if v := c.Params["Percent"]; v != nil {
				pct = v.V.(int64)
			}
			if pct > 50 {
				return nil, server.Reject("at most 50 %%")
			}
			return map[string]any{"Amount": c.Params["Amount"].V, "Percent": pct, "User": c.Principal.BackendID}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "new_discount", "Parameters": map[string]any{"Amount": 99.5, "Percent": 20}}).want(t, 200).json(t)
	res := m["Results"].(map[string]any)
	if res["Amount"] != "99.5" || res["Percent"] != json.Number("20") || res["User"] != managerID {
		t.Errorf("action result: %v", m)
	}
	e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "new_Discount", "Parameters": map[string]any{"Percent": 20}}).wantError(t, 400, "", "VE6011")
	e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "new_Discount", "Parameters": map[string]any{"Amount": "lots"}}).wantError(t, 400, "", "VE2003")
	e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "new_Discount", "Parameters": map[string]any{"Amount": 1, "Extra": 1}}).wantError(t, 400, "", "VE6011")
	e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "nosuch"}).wantError(t, 400, "", "VE6011")
	e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "new_Discount", "Parameters": map[string]any{"Amount": 1, "Percent": 90}}).wantError(t, 400, "", "VE6006")
	if err := e.srv.RegisterAction(&server.Action{Name: "NEW_DISCOUNT", Run: func(context.Context, *server.ActionCall) (map[string]any, error) { return nil, nil }}); err == nil {
		t.Error("a duplicate action name was accepted")
	}
}

func TestOData(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			md := e.do("GET", "/odata/$metadata", nil).want(t, 200)
			for _, want := range []string{`<EntitySet Name="accounts" EntityType="vecompile.account">`, `<NavigationPropertyBinding Path="primarycontactid" Target="contacts"/>`, `<EntityType Name="account"><Key><PropertyRef Name="accountid"/></Key>`,
				`<Property Name="revenue" Type="Edm.Decimal" Precision="19" Scale="4"/>`, `<Property Name="birthdate" Type="Edm.Date"/>`, `<Property Name="_primarycontactid_value" Type="Edm.Guid"/>`, `<Property Name="accountid" Type="Edm.Guid" Nullable="false"/>`,
				`<NavigationProperty Name="primarycontactid" Type="vecompile.contact"><ReferentialConstraint Property="_primarycontactid_value" ReferencedProperty="contactid"/></NavigationProperty>`,
				`<NavigationProperty Name="parentcustomerid_account" Type="vecompile.account"><ReferentialConstraint Property="_parentcustomerid_value" ReferencedProperty="accountid"/></NavigationProperty>`,
				`<NavigationProperty Name="contact_customer_accounts" Type="Collection(vecompile.contact)"/>`} {
				if !strings.Contains(string(md.body), want) {
					t.Errorf("$metadata lacks %s", want)
				}
			}
			var csdl struct {
				Schemas []struct {
					Types []struct {
						Name  string `xml:"Name,attr"`
						Props []struct {
							Name string `xml:"Name,attr"`
						} `xml:"Property"`
					} `xml:"EntityType"`
					Sets []struct {
						Name string `xml:"Name,attr"`
					} `xml:"EntityContainer>EntitySet"`
				} `xml:"DataServices>Schema"`
			}
			if err := xml.Unmarshal(md.body, &csdl); err != nil || len(csdl.Schemas) != 1 || len(csdl.Schemas[0].Types) != 8 || len(csdl.Schemas[0].Sets) != 8 {
				t.Errorf("$metadata does not read as CSDL with 8 entity types and sets: %v %+v", err, csdl)
			}
			svc := e.do("GET", "/odata/", nil).want(t, 200).json(t)
			if len(svc["value"].([]any)) != 8 {
				t.Errorf("service document: %v", svc)
			}
			m := e.do("GET", "/odata/accounts("+contoso+")?$select=name,accountid", nil).want(t, 200).json(t)
			if m["name"] != "Contoso Ltd" || m["accountid"] != contoso || !strings.HasSuffix(m["@odata.context"].(string), "$metadata#accounts/$entity") {
				t.Errorf("GET by key: %v", m)
			}
			e.do("GET", "/odata/accounts('"+contoso+"')", nil).want(t, 200)
			e.do("GET", "/odata/accounts(acc00000-0000-4000-8000-0000000000ff)", nil).wantError(t, 404, "0x80040217", "VE6005")
			e.do("GET", "/odata/nosuchset", nil).wantError(t, 404, "", "VE6005")

			m = e.do("GET", "/odata/accounts?$select=name&$top=3&$count=true", nil).want(t, 200).json(t)
			if len(m["value"].([]any)) != 3 || m["@odata.count"] != json.Number("40") {
				t.Errorf("GET collection: %v", m)
			}
			cnt := e.do("GET", "/odata/accounts/$count", nil).want(t, 200)
			if string(cnt.body) != "40" {
				t.Errorf("$count: %s", cnt.body)
			}
			// Query options through parse/odata.
			m = e.do("GET", "/odata/accounts?$select=name&$filter=startswith(name,'Contoso')%20and%20numberofemployees%20gt%2050&$orderby=name%20desc", nil).want(t, 200).json(t)
			var got []string
			for _, v := range m["value"].([]any) {
				got = append(got, v.(map[string]any)["name"].(string))
			}
			if strings.Join(got, "|") != "Contoso Retail Seattle|Contoso Retail|Contoso Pharmaceuticals" {
				t.Errorf("$filter/$orderby: %v", got)
			}
			if cnt := e.do("GET", "/odata/accounts/$count?$filter=address1_city%20eq%20'Paris'", nil).want(t, 200); string(cnt.body) != "3" {
				t.Errorf("$count with $filter: %s", cnt.body)
			}
			e.do("GET", "/odata/accounts?$filter=name%20eq", nil).wantError(t, 400, "", "")
			e.do("GET", "/odata/accounts?$filter=nosuch%20eq%201", nil).wantError(t, 400, "", "VE2002")

			// Server-driven paging: follow @odata.nextLink to the end.
			var all []string
			next := "/odata/contacts?$select=fullname"
			pages := 0
			for next != "" {
				r := e.do("GET", next, nil, "Prefer", "odata.maxpagesize=4").want(t, 200)
				if r.header.Get("Preference-Applied") != "odata.maxpagesize=4" {
					t.Errorf("Preference-Applied: %q", r.header.Get("Preference-Applied"))
				}
				m := r.json(t)
				for _, v := range m["value"].([]any) {
					all = append(all, v.(map[string]any)["contactid"].(string))
				}
				next = nextLink(t, m)
				if pages++; pages > 20 {
					t.Fatal("nextLink does not end")
				}
			}
			full := e.do("GET", "/odata/contacts?$select=fullname", nil).want(t, 200).json(t)
			if len(all) != len(full["value"].([]any)) || pages < 2 {
				t.Errorf("paged %d rows in %d pages, unpaged %d", len(all), pages, len(full["value"].([]any)))
			}
			seen := map[string]bool{}
			for _, id := range all {
				if seen[id] {
					t.Errorf("row %s on two pages", id)
				}
				seen[id] = true
			}

			// POST, PATCH, DELETE.
			r := e.do("POST", "/odata/accounts", `{"name":"OData Co","numberofemployees":3,"@odata.type":"#vecompile.account"}`).want(t, 204)
			loc := r.header.Get("OData-EntityId")
			i := strings.Index(loc, "/odata/")
			if i < 0 {
				t.Fatalf("OData-EntityId %q", loc)
			}
			path := loc[i:]
			e.do("PATCH", path, `{"name":"OData Corp"}`).want(t, 204)
			m = e.do("GET", path, nil).want(t, 200).json(t)
			if m["name"] != "OData Corp" || m["numberofemployees"] != json.Number("3") {
				t.Errorf("after PATCH: %v", m)
			}
			r = e.do("PATCH", path, `{"numberofemployees":4}`, "Prefer", "return=representation").want(t, 200)
			if m := r.json(t); m["numberofemployees"] != json.Number("4") || m["name"] != "OData Corp" || r.header.Get("Preference-Applied") != "return=representation" {
				t.Errorf("PATCH with return=representation: %v", m)
			}
			r = e.do("POST", "/odata/accounts", `{"name":"Represented"}`, "Prefer", "return=representation").want(t, 201)
			rep := r.json(t)
			if rep["name"] != "Represented" || rep["accountid"] == nil || r.header.Get("Location") == "" {
				t.Errorf("POST with return=representation: %v", rep)
			}
			e.do("DELETE", "/odata/accounts("+rep["accountid"].(string)+")", nil).want(t, 204)
			e.do("DELETE", path, nil).want(t, 204)
			e.do("GET", path, nil).wantError(t, 404, "", "VE6005")
			e.do("PATCH", "/odata/accounts", `{"name":"x"}`).wantError(t, 404, "", "VE6005")
			e.do("POST", "/odata/accounts", `[1,2]`).wantError(t, 400, "", "VE1001")
		})
	}
}

// TestODataParserSeam: with a parser configured, every query option goes
// to it and its query runs.
func TestODataParserSeam(t *testing.T) {
	f := fixtures(t)[0]
	var asked string
	e := newEnv(t, f, func(c *server.Config) {
		c.ODataParser = func(req string) (*astQuery, error) {
			asked = req
			return fetch(t, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="eq" value="Coho Winery"/></filter></entity></fetch>`), nil
		}
	})
	m := e.do("GET", "/odata/accounts?$filter=name%20eq%20'Coho%20Winery'", nil).want(t, 200).json(t)
	if asked != "accounts?$filter=name%20eq%20'Coho%20Winery'" || len(m["value"].([]any)) != 1 {
		t.Errorf("parser asked %q, result %v", asked, m)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	e.do("GET", "/healthz", nil, "Authorization", "").want(t, 200)
	e.do("GET", "/readyz", nil, "Authorization", "").want(t, 200)
	e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso}).want(t, 200)
	// /metrics needs the API's token and role (no acting user) unless
	// MetricsPublic.
	e.do("GET", "/metrics", nil, "Authorization", "").wantError(t, 401, "0x80048306", "VE6001")
	e.do("GET", "/metrics", nil, "Authorization", "Bearer "+hs256(t, claims(map[string]any{"roles": []string{"other"}}))).wantError(t, 403, "", "VE6002")
	r := e.do("GET", "/metrics", nil, server.HeaderUserID, "")
	r.want(t, 200)
	public := newEnv(t, f, func(c *server.Config) { c.MetricsPublic = true })
	public.do("GET", "/metrics", nil, "Authorization", "").want(t, 200)
	for _, want := range []string{`vecompile_http_requests_total{route="POST /api/ve/v1/Retrieve",status="200"} 1`,
		`vecompile_http_request_duration_seconds_count{route="POST /api/ve/v1/Retrieve"} 1`, "# TYPE vecompile_http_request_duration_seconds histogram"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s:\n%s", want, r.body)
		}
	}
	if id := r.header.Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("request id %q", id)
	}
	if id := e.do("GET", "/healthz", nil, "X-Request-Id", "abc-123").header.Get("X-Request-Id"); id != "abc-123" {
		t.Errorf("request id not echoed: %q", id)
	}
	e.do("GET", "/nowhere", nil).wantError(t, 404, "", "VE6005")
	e.do("GET", "/api/ve/v1/Retrieve", nil).wantError(t, http.StatusMethodNotAllowed, "", "VE6031") // served for POST
}
