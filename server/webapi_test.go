package server_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

const annotateAll = `odata.include-annotations="*"`

// TestWebAPILookups: lookups read as the Web API returns them, _x_value,
// annotated only when Prefer: odata.include-annotations asks, owners
// annotated with the table that holds the id (systemuser or team); the
// SDK's EntityReference carries the same target and the primary name.
func TestWebAPILookups(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			const team = "ee000000-0000-4000-8000-000000000001"
			id := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account",
				"Attributes": map[string]any{"name": "Team Owned Co", "ownerid": map[string]any{"Id": team, "LogicalName": "team"}}}}).want(t, 200).json(t)["id"].(string)

			// Without the preference: the value, no annotation, no
			// Preference-Applied; never the bare lookup name.
			r := e.do("GET", "/odata/accounts("+acc1+")?$select=name,_ownerid_value,_primarycontactid_value", nil).want(t, 200)
			m := r.json(t)
			if m["_ownerid_value"] != priyaID || m["_primarycontactid_value"] != "c0000000-0000-4000-8000-000000000003" || m["ownerid"] != nil || m["primarycontactid"] != nil {
				t.Errorf("lookup properties: %v", m)
			}
			for k := range m {
				if strings.Contains(k, "@Microsoft.Dynamics.CRM") {
					t.Errorf("annotation %s without Prefer", k)
				}
			}
			if r.header.Get("Preference-Applied") != "" {
				t.Errorf("Preference-Applied without a preference: %q", r.header.Get("Preference-Applied"))
			}

			// With it: the target and the navigation property, per row.
			r = e.do("GET", "/odata/accounts?$select=name,_ownerid_value,_primarycontactid_value,_parentaccountid_value&$filter=accountid%20eq%20"+acc1+"%20or%20accountid%20eq%20"+id+"&$orderby=name", nil, "Prefer", annotateAll).want(t, 200)
			if got := r.header.Get("Preference-Applied"); got != annotateAll {
				t.Errorf("Preference-Applied %q", got)
			}
			vals := r.json(t)["value"].([]any)
			if len(vals) != 2 {
				t.Fatalf("rows: %v", vals)
			}
			contoso, teamed := vals[0].(map[string]any), vals[1].(map[string]any)
			for _, c := range []struct {
				e         map[string]any
				key, want string
			}{
				{contoso, "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname", "systemuser"},
				{contoso, "_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty", "owninguser"},
				{contoso, "_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname", "contact"},
				{contoso, "_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty", "primarycontactid"},
				{teamed, "_ownerid_value", team},
				{teamed, "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname", "team"},
				{teamed, "_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty", "owningteam"},
			} {
				if c.e[c.key] != c.want {
					t.Errorf("%s = %v, want %s (%v)", c.key, c.e[c.key], c.want, c.e)
				}
			}
			if _, ok := contoso["_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]; ok || contoso["_parentaccountid_value"] != nil {
				t.Errorf("a null lookup is annotated: %v", contoso)
			}
			// One term asked for, the other excluded.
			m = e.do("GET", "/odata/accounts("+id+")?$select=_ownerid_value", nil, "Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.*,-Microsoft.Dynamics.CRM.associatednavigationproperty"`).want(t, 200).json(t)
			if m["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "team" || m["_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] != nil {
				t.Errorf("include/exclude: %v", m)
			}
			// Nested in $expand, annotated as the top level.
			m = e.do("GET", "/odata/contacts(c0000000-0000-4000-8000-000000000003)?$select=fullname&$expand=account_primary_contact($select=name,_ownerid_value;$filter=accountid%20eq%20"+acc1+")", nil, "Prefer", annotateAll).want(t, 200).json(t)
			nested := m["account_primary_contact"].([]any)
			if len(nested) != 1 || nested[0].(map[string]any)["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "systemuser" {
				t.Errorf("nested annotations: %v", m)
			}

			// $filter and $orderby on _x_value; the bare lookup name is read
			// as the same column (same rows).
			byValue := e.do("GET", "/odata/accounts?$select=name&$filter=_ownerid_value%20eq%20"+team+"&$orderby=_ownerid_value,name", nil).want(t, 200).json(t)
			byName := e.do("GET", "/odata/accounts?$select=name&$filter=ownerid%20eq%20"+team+"&$orderby=ownerid,name", nil).want(t, 200).json(t)
			if len(byValue["value"].([]any)) != 1 || len(byName["value"].([]any)) != 1 {
				t.Errorf("filter on _ownerid_value %v, on ownerid %v", byValue, byName)
			}

			// SDK: EntityReference{Id, LogicalName, Name}.
			ent := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"Columns": []string{"ownerid"}}}).want(t, 200).json(t)
			if ref := attr(ent, "ownerid").(map[string]any); ref["LogicalName"] != "team" || ref["Name"] != "Contoso" || !strings.EqualFold(ref["Id"].(string), team) {
				t.Errorf("team owner reference: %v", ref)
			}
			list := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="ownerid"/><attribute name="primarycontactid"/><filter><condition attribute="accountid" operator="in"><value>`+acc1+`</value><value>`+id+`</value></condition></filter><order attribute="name"/></entity></fetch>`).want(t, 200).json(t))
			if len(list) != 2 {
				t.Fatalf("RetrieveMultiple: %v", list)
			}
			if o := attr(list[0], "ownerid").(map[string]any); o["LogicalName"] != "systemuser" || o["Name"] != "Priya Patel" {
				t.Errorf("user owner reference: %v", o)
			}
			if o := attr(list[1], "ownerid").(map[string]any); o["LogicalName"] != "team" || o["Name"] != "Contoso" {
				t.Errorf("team owner reference: %v", o)
			}
		})
	}
}

// TestSDKReferenceNameColumnSecurity: a reference's Name follows column
// security on the target's primary name, not the caller's read of the
// target row (Dataverse keeps the name beside the lookup): with
// contact.fullname secured, Priya's contact references have no Name, her
// owner references keep theirs, and the System Administrator reads both.
func TestSDKReferenceNameColumnSecurity(t *testing.T) {
	data, err := os.ReadFile("../engine/sampledata/security.json")
	if err != nil {
		t.Fatal(err)
	}
	const from = `{"name": "contact", "securedColumns": ["birthdate"]}`
	if !strings.Contains(string(data), from) {
		t.Fatal("the sample policy changed: update the test")
	}
	model, err := security.ParsePolicy("security.json", []byte(strings.Replace(string(data), from, `{"name": "contact", "securedColumns": ["birthdate", "fullname"]}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fixtures(t)[0], func(c *server.Config) {
		c.Insecure = false
		c.Security = server.NewSecurityModel(model)
		c.Users = server.SameIDs{}
	})
	read := func(user string) (owner, contact map[string]any) {
		e.user = user
		ent := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc1, "ColumnSet": map[string]any{"Columns": []string{"ownerid", "primarycontactid"}}}).want(t, 200).json(t)
		return attr(ent, "ownerid").(map[string]any), attr(ent, "primarycontactid").(map[string]any)
	}
	o, c := read(priyaID)
	if o["LogicalName"] != "systemuser" || o["Name"] != "Priya Patel" {
		t.Errorf("owner reference: %v", o)
	}
	if _, has := c["Name"]; has || c["LogicalName"] != "contact" {
		t.Errorf("contact reference with fullname secured: %v", c)
	}
	if _, c := read("aa000000-0000-4000-8000-000000000001"); c["Name"] != "Émilie Laurent" {
		t.Errorf("the System Administrator's contact reference: %v", c)
	}
}

// TestWebAPIMetadata: $metadata needs a valid token only, declares lookups
// as _x_value with Dataverse's navigation property names, and states the
// server's refusals as Capabilities annotations.
func TestWebAPIMetadata(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, func(c *server.Config) {
		c.Insecure = false
		c.Security = server.NewSecurityModel(sampleModel(t))
		c.Users = server.SameIDs{}
	})
	e.user = ""
	md := string(e.do("GET", "/odata/$metadata", nil).want(t, 200).body)
	e.do("GET", "/odata/", nil).want(t, 200)
	e.do("GET", "/odata/accounts", nil).wantError(t, 403, "", "VE6002")
	tok := e.token
	e.token = ""
	e.do("GET", "/odata/$metadata", nil).wantError(t, 401, "", "")
	e.token = tok
	for _, want := range []string{
		`<Annotation Term="Org.OData.Capabilities.V1.SearchRestrictions"><Record><PropertyValue Property="Searchable" Bool="false"></PropertyValue></Record></Annotation>`,
		`<Annotation Term="Org.OData.Capabilities.V1.SkipSupported" Bool="false"/>`,
		`<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="true"/>`,
		`<Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="true"/>`,
		`<EnumMember>Org.OData.Capabilities.V1.NavigationType/None</EnumMember>`,
		`<Property Name="revenue" Type="Edm.Decimal" Precision="19" Scale="4"/>`,
		`<Property Name="_ownerid_value" Type="Edm.Guid"/>`,
		`<NavigationProperty Name="owningteam" Type="vecompile.team"><ReferentialConstraint Property="_ownerid_value" ReferencedProperty="teamid"/></NavigationProperty>`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}
}

// TestCSDLNavigationNames: with a CSDL $metadata as the metadata source,
// the organization's navigation property names are served and expand.
func TestCSDLNavigationNames(t *testing.T) {
	data, err := os.ReadFile("../testdata/foreign/metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), `<NavigationProperty Name="primarycontactid" Type="mscrm.contact"`, `<NavigationProperty Name="PrimaryContactOfAccount" Type="mscrm.contact"`, 1)
	doc = strings.Replace(doc, `Partner="primarycontactid"`, `Partner="PrimaryContactOfAccount"`, 1)
	cat, err := engine.ParseCSDL("metadata.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	f := fixtures(t)[0]
	f.cat = cat
	e := newEnv(t, f, nil)
	md := string(e.do("GET", "/odata/$metadata", nil).want(t, 200).body)
	if !strings.Contains(md, `<NavigationProperty Name="PrimaryContactOfAccount" Type="vecompile.contact"><ReferentialConstraint Property="_primarycontactid_value"`) {
		t.Errorf("$metadata does not use the document's navigation property name")
	}
	m := e.do("GET", "/odata/accounts("+acc1+")?$select=name&$expand=PrimaryContactOfAccount($select=fullname)", nil, "Prefer", annotateAll).want(t, 200).json(t)
	if pc, _ := m["PrimaryContactOfAccount"].(map[string]any); pc == nil || pc["fullname"] != "Émilie Laurent" {
		t.Errorf("$expand by the document's name: %v", m)
	}
	m = e.do("GET", "/odata/accounts("+acc1+")?$select=_primarycontactid_value", nil, "Prefer", annotateAll).want(t, 200).json(t)
	if m["_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] != "PrimaryContactOfAccount" {
		t.Errorf("associatednavigationproperty: %v", m)
	}
}

// TestODataBindNavigation: @odata.bind takes a single-valued navigation
// property as Dataverse names it, and refuses one bound to a set of
// another table.
func TestODataBindNavigation(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	r := e.do("POST", "/odata/contacts", `{"lastname":"Navbound","parentcustomerid_account@odata.bind":"/accounts(`+acc1+`)"}`).want(t, 204)
	loc := r.header.Get("OData-EntityId")
	m := e.do("GET", loc[strings.Index(loc, "/odata/"):]+"?$select=_parentcustomerid_value", nil).want(t, 200).json(t)
	if m["_parentcustomerid_value"] != acc1 {
		t.Errorf("bound through parentcustomerid_account: %v", m)
	}
	e.do("POST", "/odata/contacts", `{"lastname":"Misbound","parentcustomerid_account@odata.bind":"/contacts(c0000000-0000-4000-8000-000000000001)"}`).wantError(t, 400, "", "VE6012")
	e.do("POST", "/odata/contacts", `{"lastname":"Nobound","nosuch_account@odata.bind":"/accounts(`+acc1+`)"}`).wantError(t, 400, "", "VE2002")
}

// TestFetchXMLLookupShape: ?fetchXml= results name lookups _x_value too.
func TestFetchXMLLookupShape(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	fx := url.QueryEscape(`<fetch><entity name="account"><attribute name="name"/><attribute name="ownerid"/><filter><condition attribute="accountid" operator="eq" value="` + acc1 + `"/></filter></entity></fetch>`)
	v := e.do("GET", "/odata/accounts?fetchXml="+fx, nil, "Prefer", annotateAll).want(t, 200).json(t)["value"].([]any)
	if len(v) != 1 || v[0].(map[string]any)["_ownerid_value"] != priyaID || v[0].(map[string]any)["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "systemuser" {
		t.Errorf("fetchXml lookup shape: %v", v)
	}
}

// TestOwnerNavigation: an owner's navigation properties are Dataverse's
// owninguser and owningteam, declared in $metadata, usable in $expand and
// in filter paths: owninguser is the owner when a user owns the record,
// null when a team does, and owningteam the reverse. The polymorphic
// ownerid (Dataverse's principal) and the names before Dataverse's are
// refused, naming what to use.
func TestOwnerNavigation(t *testing.T) {
	const team = "ee000000-0000-4000-8000-000000000004" // Key Accounts, owner of ÅKERLUND & RAUSING AB
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			get := func(q string) map[string]any {
				t.Helper()
				return e.do("GET", "/odata/accounts?"+escapeQuery(q), nil).want(t, 200).json(t)
			}
			m := get("$select=name,_ownerid_value&$orderby=name&$expand=owninguser($select=fullname,systemuserid),owningteam($select=name,teamid)")
			users, teams := 0, 0
			for _, v := range m["value"].([]any) {
				a := v.(map[string]any)
				u, _ := a["owninguser"].(map[string]any)
				tm, _ := a["owningteam"].(map[string]any)
				switch {
				case u != nil && tm == nil && u["systemuserid"] == a["_ownerid_value"] && u["fullname"] != nil:
					users++
				case tm != nil && u == nil && tm["teamid"] == a["_ownerid_value"] && tm["name"] != nil:
					teams++
				default:
					t.Errorf("%v: owninguser %v, owningteam %v", a["name"], u, tm)
				}
			}
			if users == 0 || teams == 0 {
				t.Errorf("%d accounts owned by users, %d by teams", users, teams)
			}
			// A filter path through the team; the same rows as the id.
			byPath := get("$select=name&$filter=owningteam/name eq 'Key Accounts'&$orderby=name")["value"].([]any)
			byID := get("$select=name&$filter=_ownerid_value eq " + team + "&$orderby=name")["value"].([]any)
			if len(byPath) == 0 || len(byPath) != len(byID) {
				t.Errorf("owningteam/name: %v; _ownerid_value: %v", byPath, byID)
			}
			md := string(e.do("GET", "/odata/$metadata", nil).want(t, 200).body)
			for _, want := range []string{
				`<NavigationProperty Name="owninguser" Type="vecompile.systemuser"><ReferentialConstraint Property="_ownerid_value" ReferencedProperty="systemuserid"/></NavigationProperty>`,
				`<NavigationPropertyBinding Path="owningteam" Target="teams"/>`,
			} {
				if !strings.Contains(md, want) {
					t.Errorf("$metadata lacks %s", want)
				}
			}
			if strings.Contains(md, "ownerid_systemuser") || strings.Contains(md, `"ownerid_team"`) {
				t.Errorf("$metadata still declares the former names")
			}
			for _, c := range []struct{ q, hint string }{
				{"$expand=ownerid", "use owninguser or owningteam"},
				{"$expand=ownerid_systemuser($select=fullname)", "named owninguser"},
				{"$filter=ownerid_team/name eq 'x'", "named owningteam"},
				{"$filter=ownerid/fullname eq 'x'", "Dataverse's principal"},
			} {
				r := e.do("GET", "/odata/accounts?"+escapeQuery(c.q), nil)
				r.wantError(t, 400, "", "VE2002")
				if !strings.Contains(string(r.body), c.hint) {
					t.Errorf("%s: %s, want a message with %q", c.q, r.body, c.hint)
				}
			}
		})
	}
}
