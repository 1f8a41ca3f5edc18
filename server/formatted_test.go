package server_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

const preferAll = `odata.include-annotations="*"`

// hostRE is the test server's address in @odata.context, which differs
// per run.
var hostRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// etagRE is a row version, which differs per engine.
var etagRE = regexp.MustCompile(`"@odata.etag":"W/\\"\d+\\""`)

func body(r *response) string {
	return strings.TrimSpace(etagRE.ReplaceAllString(hostRE.ReplaceAllString(string(r.body), "http://host/"), `"@odata.etag":"E"`))
}

// The formatted values of the Web API, exactly, on every engine: the
// caller is John (en-US 1033, Pacific time zone code 4).
func TestFormattedValuesOData(t *testing.T) {
	const list = "/odata/accounts?$select=name,industrycode,ownerid,primarycontactid,revenue,createdon,new_tags,donotemail&$top=2&$orderby=name"
	const wantList = `{"@odata.context":"http://host/odata/$metadata#accounts","value":[` +
		`{"@odata.etag":"E","_ownerid_value":"aa000000-0000-4000-8000-000000000009","_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":"owninguser","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"systemuser","_ownerid_value@OData.Community.Display.V1.FormattedValue":"Sam Taylor","_primarycontactid_value":"c0000000-0000-4000-8000-000000000021","_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":"primarycontactid","_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"contact","_primarycontactid_value@OData.Community.Display.V1.FormattedValue":"Diego Gómez","accountid":"acc00000-0000-4000-8000-000000000020","createdon":"2025-07-31T09:58:42Z","createdon@OData.Community.Display.V1.FormattedValue":"7/31/2025 2:58 AM","donotemail":false,"donotemail@OData.Community.Display.V1.FormattedValue":"No","industrycode":null,"name":"100% Natural","new_tags":null,"revenue":5000000,"revenue@OData.Community.Display.V1.FormattedValue":"$5,000,000.00"},` +
		`{"@odata.etag":"E","_ownerid_value":"aa000000-0000-4000-8000-000000000006","_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":"owninguser","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"systemuser","_ownerid_value@OData.Community.Display.V1.FormattedValue":"Kenji Tanaka","_primarycontactid_value":"c0000000-0000-4000-8000-000000000027","_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":"primarycontactid","_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"contact","_primarycontactid_value@OData.Community.Display.V1.FormattedValue":"Jakub Nowak","accountid":"acc00000-0000-4000-8000-000000000022","createdon":"2025-02-05T12:32:13Z","createdon@OData.Community.Display.V1.FormattedValue":"2/5/2025 4:32 AM","donotemail":false,"donotemail@OData.Community.Display.V1.FormattedValue":"No","industrycode":8,"industrycode@OData.Community.Display.V1.FormattedValue":"Technology","name":"[Brackets] Ltd","new_tags":null,"revenue":null}]}`
	const byKey = "/odata/accounts(acc00000-0000-4000-8000-000000000002)?$select=name,ownerid,revenue,new_tags,statecode"
	const wantByKey = `{"@odata.context":"http://host/odata/$metadata#accounts/$entity","@odata.etag":"E","_ownerid_value":"aa000000-0000-4000-8000-000000000005","_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":"owninguser","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"systemuser","_ownerid_value@OData.Community.Display.V1.FormattedValue":"Björn Larsson","accountid":"acc00000-0000-4000-8000-000000000002","name":"Contoso Pharmaceuticals","new_tags":"1","new_tags@OData.Community.Display.V1.FormattedValue":"Strategic","revenue":1000,"revenue@OData.Community.Display.V1.FormattedValue":"$1,000.00","statecode":0,"statecode@OData.Community.Display.V1.FormattedValue":"Active"}`
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.Users = server.SameIDs{} })
			e.user = johnID
			for _, c := range []struct{ path, want string }{{list, wantList}, {byKey, wantByKey}} {
				r := e.do("GET", c.path, nil, "Prefer", preferAll).want(t, 200)
				if got := body(r); got != c.want {
					t.Errorf("GET %s:\n got %s\nwant %s", c.path, got, c.want)
				}
				if got := r.header.Values("Preference-Applied"); len(got) != 1 || got[0] != preferAll {
					t.Errorf("GET %s: Preference-Applied %q", c.path, got)
				}
				// Without the preference: the same entities without the
				// annotations, and no Preference-Applied.
				plain := e.do("GET", c.path, nil).want(t, 200)
				if len(plain.header.Values("Preference-Applied")) != 0 {
					t.Errorf("GET %s without Prefer: Preference-Applied %q", c.path, plain.header.Values("Preference-Applied"))
				}
				if got, want := body(plain), stripAnnotations(t, c.want); got != want {
					t.Errorf("GET %s without Prefer:\n got %s\nwant %s", c.path, got, want)
				}
			}
			// A list naming the term; a namespace pattern; an exclusion.
			for _, c := range []struct {
				pref              string
				formatted, lookup bool
			}{
				{`odata.include-annotations="OData.Community.Display.V1.FormattedValue"`, true, false},
				{`odata.maxpagesize=5, odata.include-annotations="Microsoft.Dynamics.CRM.*,OData.Community.Display.V1.FormattedValue"`, true, true},
				{`odata.include-annotations="*,-OData.Community.Display.V1.FormattedValue"`, false, true},
				{`odata.include-annotations="Microsoft.Dynamics.CRM.associatednavigationproperty"`, false, false},
			} {
				// The lookups' associatednavigationproperty is applied too.
				navigation := strings.Contains(c.pref, "associatednavigationproperty")
				r := e.do("GET", byKey, nil, "Prefer", c.pref).want(t, 200)
				got := string(r.body)
				if strings.Contains(got, "@OData.Community.Display.V1.FormattedValue") != c.formatted || strings.Contains(got, "@Microsoft.Dynamics.CRM.lookuplogicalname") != c.lookup {
					t.Errorf("Prefer %s: %s", c.pref, got)
				}
				applied := strings.Join(r.header.Values("Preference-Applied"), ",")
				if strings.Contains(applied, "include-annotations") != (c.formatted || c.lookup || navigation) {
					t.Errorf("Prefer %s: Preference-Applied %q", c.pref, applied)
				}
			}
			// ?fetchXml= and a German caller (1031, W. Europe time zone code 110).
			e.user = "aa000000-0000-4000-8000-000000000003"
			fetch := `<fetch top="1"><entity name="account"><attribute name="name"/><attribute name="revenue"/><attribute name="createdon"/><filter><condition attribute="accountid" operator="eq" value="acc00000-0000-4000-8000-000000000001"/></filter></entity></fetch>`
			r := e.do("GET", "/odata/accounts?fetchXml="+url.QueryEscape(fetch), nil, "Prefer", preferAll).want(t, 200)
			m := r.json(t)
			vals, _ := m["value"].([]any)
			if len(vals) != 1 {
				t.Fatalf("fetchXml: %s", r.body)
			}
			row := vals[0].(map[string]any)
			if row["revenue@OData.Community.Display.V1.FormattedValue"] != "1.000,50 $" || row["createdon@OData.Community.Display.V1.FormattedValue"] != "10.01.2024 10:15" {
				t.Errorf("fetchXml as a German user: %s", r.body)
			}
		})
	}
}

// The SDK's Entity: FormattedValues, and EntityReference Name and
// LogicalName, when the request asks for annotations.
func TestFormattedValuesSDK(t *testing.T) {
	const fetch = `<fetch top="2"><entity name="account"><attribute name="name"/><attribute name="ownerid"/><attribute name="industrycode"/><attribute name="revenue"/><order attribute="name"/></entity></fetch>`
	const want = `{"EntityName":"account","Entities":[` +
		`{"LogicalName":"account","Id":"acc00000-0000-4000-8000-000000000020","Attributes":{"accountid":"acc00000-0000-4000-8000-000000000020","name":"100% Natural","ownerid":{"Id":"aa000000-0000-4000-8000-000000000009","LogicalName":"systemuser","Name":"Sam Taylor"},"revenue":{"Value":5000000}},"FormattedValues":{"ownerid":"Sam Taylor","revenue":"$5,000,000.00"}},` +
		`{"LogicalName":"account","Id":"acc00000-0000-4000-8000-000000000022","Attributes":{"accountid":"acc00000-0000-4000-8000-000000000022","industrycode":{"Value":8},"name":"[Brackets] Ltd","ownerid":{"Id":"aa000000-0000-4000-8000-000000000006","LogicalName":"systemuser","Name":"Kenji Tanaka"}},"FormattedValues":{"industrycode":"Technology","ownerid":"Kenji Tanaka"}}` +
		`],"MoreRecords":false,"TotalRecordCount":-1,"TotalRecordCountLimitExceeded":false}`
	const wantOne = `{"LogicalName":"account","Id":"acc00000-0000-4000-8000-000000000001","Attributes":{"accountid":"acc00000-0000-4000-8000-000000000001","industrycode":{"Value":8},"name":"Contoso Ltd","primarycontactid":{"Id":"c0000000-0000-4000-8000-000000000003","LogicalName":"contact","Name":"Émilie Laurent"}},"FormattedValues":{"industrycode":"Technology","primarycontactid":"Émilie Laurent"}}`
	retrieve := `{"EntityName":"account","Id":"acc00000-0000-4000-8000-000000000001","ColumnSet":{"Columns":["name","industrycode","primarycontactid"]}}`
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			e.user = johnID
			if got := strings.TrimSpace(string(e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, "Prefer", preferAll).want(t, 200).body)); got != want {
				t.Errorf("RetrieveMultiple:\n got %s\nwant %s", got, want)
			}
			if got := strings.TrimSpace(string(e.do("POST", "/api/ve/v1/Retrieve", retrieve, "Prefer", preferAll).want(t, 200).body)); got != wantOne {
				t.Errorf("Retrieve:\n got %s\nwant %s", got, wantOne)
			}
			plain := string(e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch).want(t, 200).body)
			// Names of references are always given (resolveReferences);
			// formatted values only when asked for.
			if strings.Contains(plain, "FormattedValues") {
				t.Errorf("RetrieveMultiple without Prefer: %s", plain)
			}
		})
	}
}

// A lookup whose target's primary name column security hides from the
// caller has no formatted value (the table is still named); a caller
// whose profile reads the name gets it. The name is read in the rows'
// statement under the same column security as a sort by it.
func TestFormattedLookupNameHidden(t *testing.T) {
	fixtures := securedFixturesWith(t, func(m *security.Model) {
		for i := range m.Tables {
			if m.Tables[i].Name == "contact" {
				m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "fullname")
			}
		}
		m.FieldProfiles[0].Columns = append(m.FieldProfiles[0].Columns, security.ColumnPermission{Table: "contact", Column: "fullname", Read: true})
	})
	const path = "/odata/accounts(acc00000-0000-4000-8000-000000000001)?$select=name,primarycontactid,ownerid"
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID // no profile: the contact's name is hidden
			m := e.do("GET", path, nil, "Prefer", preferAll).want(t, 200).json(t)
			if v, ok := m["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"]; ok {
				t.Errorf("Priya reads the hidden contact name %v", v)
			}
			if m["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "contact" || m["_ownerid_value@OData.Community.Display.V1.FormattedValue"] != "Priya Patel" {
				t.Errorf("Priya: %v", m)
			}
			sdk := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="primarycontactid"/><filter><condition attribute="accountid" operator="eq" value="acc00000-0000-4000-8000-000000000001"/></filter></entity></fetch>`, "Prefer", preferAll).want(t, 200)
			if bytes.Contains(sdk.body, []byte("Émilie")) {
				t.Errorf("Priya reads the hidden contact name through the SDK: %s", sdk.body)
			}
			e.user = johnID // the Finance profile reads contact.fullname
			m = e.do("GET", path, nil, "Prefer", preferAll).want(t, 200).json(t)
			if m["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"] != "Émilie Laurent" {
				t.Errorf("John: %v", m)
			}
		})
	}
}

// stripAnnotations is an OData body without its instance annotations on
// properties (keys holding "@" after their first character).
func stripAnnotations(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if strings.Index(k, "@") > 0 {
					delete(x, k)
					continue
				}
				strip(vv)
			}
		case []any:
			for _, vv := range x {
				strip(vv)
			}
		}
	}
	strip(m)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}
