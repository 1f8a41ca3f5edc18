package server_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// An expanded entity carries exactly the annotations the same record
// carries when read by key with the same $select: formatted values of
// choices, money, dates (in the caller's zone), lookups with their names,
// lookuplogicalname and associatednavigationproperty. Single-valued,
// collection-valued (read in full and with a per-parent $top, which the
// statement applies), nested, on a collection read and a read by key.
func TestFormattedValuesExpand(t *testing.T) {
	const contactSel = "contactid,fullname,birthdate,createdon,parentcustomerid,ownerid,statecode"
	const accountSel = "accountid,name,revenue,industrycode,createdon,ownerid,new_tags,donotemail"
	sel := map[string]string{"accounts": accountSel, "contacts": contactSel}
	// navTable is the entity set an expanded navigation property reads.
	navTable := map[string]string{"primarycontactid": "contacts", "contact_customer_accounts": "contacts", "parentcustomerid_account": "accounts"}
	paths := []string{
		"/odata/accounts?$select=" + accountSel + "&$orderby=name&$top=6" +
			"&$expand=primarycontactid($select=" + contactSel + "),contact_customer_accounts($select=" + contactSel + ";$orderby=fullname;$expand=parentcustomerid_account($select=" + accountSel + "))",
		"/odata/accounts?$select=" + accountSel + "&$orderby=name&$top=6" +
			"&$expand=contact_customer_accounts($select=" + contactSel + ";$orderby=fullname;$top=1)",
		"/odata/contacts?$select=" + contactSel + "&$orderby=fullname&$top=5&$expand=parentcustomerid_account($select=" + accountSel + ";$expand=primarycontactid($select=" + contactSel + "))",
		"/odata/accounts(acc00000-0000-4000-8000-000000000001)?$select=" + accountSel +
			"&$expand=primarycontactid($select=" + contactSel + "),contact_customer_accounts($select=" + contactSel + ")",
	}
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.Users = server.SameIDs{} })
			e.user = johnID
			byKey := map[string]map[string]any{}
			read := func(set, id string) map[string]any {
				k := set + "(" + id + ")"
				if m, ok := byKey[k]; ok {
					return m
				}
				m := e.do("GET", "/odata/"+k+"?$select="+sel[set], nil, "Prefer", preferAll).want(t, 200).json(t)
				delete(m, "@odata.context")
				delete(m, "@odata.etag")
				byKey[k] = m
				return m
			}
			for _, path := range paths {
				r := e.do("GET", path, nil, "Prefer", preferAll).want(t, 200)
				if got := r.header.Values("Preference-Applied"); len(got) != 1 || got[0] != preferAll {
					t.Errorf("GET %s: Preference-Applied %q", path, got)
				}
				root := r.json(t)
				set := strings.TrimPrefix(path[:strings.IndexAny(path, "(?")], "/odata/")
				entities := []any{root}
				if v, ok := root["value"].([]any); ok {
					entities = v
				}
				formatted, expanded := 0, 0
				var check func(set string, x map[string]any, depth int)
				check = func(set string, x map[string]any, depth int) {
					id, _ := x[strings.TrimSuffix(set, "s")+"id"].(string)
					own := map[string]any{}
					for k, v := range x {
						switch v.(type) {
						case map[string]any:
							check(navTable[k], v.(map[string]any), depth+1)
							continue
						case []any:
							for _, c := range v.([]any) {
								check(navTable[k], c.(map[string]any), depth+1)
							}
							continue
						}
						if k == "@odata.etag" || k == "@odata.context" || strings.HasSuffix(k, "@odata.count") || k == "value" {
							continue
						}
						if _, nav := navTable[k]; nav || v == nil {
							// A null single-valued expand; a null property
							// (a read by key leaves those out).
							continue
						}
						own[k] = v
						if depth > 0 && strings.HasSuffix(k, "@OData.Community.Display.V1.FormattedValue") {
							formatted++
						}
					}
					if depth > 0 {
						expanded++
					}
					if want := read(set, id); !reflect.DeepEqual(own, want) {
						t.Errorf("GET %s: the %s %s (depth %d) differs from its read by key:\n got %v\nwant %v", path, set, id, depth, own, want)
					}
				}
				for _, x := range entities {
					check(set, x.(map[string]any), 0)
				}
				if expanded == 0 || formatted == 0 {
					t.Errorf("GET %s: %d expanded entities, %d formatted values on them", path, expanded, formatted)
				}
				// Without the preference: no annotation anywhere.
				plain := e.do("GET", path, nil).want(t, 200)
				if strings.Contains(string(plain.body), "FormattedValue") || strings.Contains(string(plain.body), "lookuplogicalname") || len(plain.header.Values("Preference-Applied")) != 0 {
					t.Errorf("GET %s without Prefer: %s", path, plain.body)
				}
			}
			// The text itself, for a German caller (1031, W. Europe):
			// Contoso's primary contact and related contacts.
			e.user = "aa000000-0000-4000-8000-000000000003"
			m := e.do("GET", "/odata/accounts(acc00000-0000-4000-8000-000000000001)?$select=name,revenue&$expand=primarycontactid($select=fullname,createdon,parentcustomerid)", nil, "Prefer", preferAll).want(t, 200).json(t)
			pc, _ := m["primarycontactid"].(map[string]any)
			if m["revenue@OData.Community.Display.V1.FormattedValue"] != "1.000,50 $" || pc == nil ||
				pc["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"] != "Contoso Ltd" ||
				pc["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "account" ||
				!strings.Contains(pc["createdon@OData.Community.Display.V1.FormattedValue"].(string), ".") {
				t.Errorf("a German caller's expand: %v", m)
			}
		})
	}
}

// A written record's representation (Prefer: return=representation on
// POST and PATCH) carries the annotations the request asks for, as a read
// by key does, and Preference-Applied names both preferences.
func TestFormattedValuesRepresentation(t *testing.T) {
	const prefer = `return=representation, odata.include-annotations="*"`
	const sel = "$select=name,revenue,industrycode,primarycontactid,ownerid,createdon"
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.Users = server.SameIDs{} })
			e.user = johnID
			body := `{"name":"Formatted Co","revenue":1234.5,"industrycode":8,"primarycontactid@odata.bind":"/contacts(c0000000-0000-4000-8000-000000000003)"}`
			r := e.do("POST", "/odata/accounts?"+sel, body, "Prefer", prefer).want(t, 201)
			created := r.json(t)
			applied := strings.Join(r.header.Values("Preference-Applied"), "|")
			if !strings.Contains(applied, "return=representation") || !strings.Contains(applied, `odata.include-annotations="*"`) {
				t.Errorf("POST: Preference-Applied %q", applied)
			}
			if created["revenue@OData.Community.Display.V1.FormattedValue"] != "$1,234.50" ||
				created["industrycode@OData.Community.Display.V1.FormattedValue"] != "Technology" ||
				created["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"] != "Émilie Laurent" ||
				created["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "contact" ||
				created["_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] != "primarycontactid" {
				t.Errorf("POST representation: %v", created)
			}
			id, _ := created["accountid"].(string)
			get := func() map[string]any {
				m := e.do("GET", "/odata/accounts("+id+")?"+sel, nil, "Prefer", preferAll).want(t, 200).json(t)
				return m
			}
			if want := get(); !reflect.DeepEqual(created, want) {
				t.Errorf("POST representation differs from the read by key:\n got %v\nwant %v", created, want)
			}
			r = e.do("PATCH", "/odata/accounts("+id+")?"+sel, `{"revenue":99,"industrycode":null}`, "Prefer", prefer).want(t, 200)
			patched := r.json(t)
			if patched["revenue@OData.Community.Display.V1.FormattedValue"] != "$99.00" {
				t.Errorf("PATCH representation: %v", patched)
			}
			if _, ok := patched["industrycode@OData.Community.Display.V1.FormattedValue"]; ok {
				t.Errorf("PATCH representation: a null choice has a formatted value: %v", patched)
			}
			if want := get(); !reflect.DeepEqual(patched, want) {
				t.Errorf("PATCH representation differs from the read by key:\n got %v\nwant %v", patched, want)
			}
			// Without the annotation preference: none, and only the
			// representation is applied.
			r = e.do("PATCH", "/odata/accounts("+id+")?"+sel, `{"revenue":98}`, "Prefer", "return=representation").want(t, 200)
			if strings.Contains(string(r.body), "@OData.Community") || strings.Join(r.header.Values("Preference-Applied"), "|") != "return=representation" {
				t.Errorf("PATCH without annotations: %s %q", r.body, r.header.Values("Preference-Applied"))
			}
		})
	}
}

// The SDK's RetrieveMultiple gives a link-entity's columns their
// formatted values under the aliased name, as Entity.FormattedValues
// keys them ("alias.column"), and their references Name and LogicalName.
func TestFormattedValuesSDKLinked(t *testing.T) {
	const fetch = `<fetch top="1"><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="eq" value="acc00000-0000-4000-8000-000000000001"/></filter>` +
		`<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc"><attribute name="createdon"/><attribute name="parentcustomerid"/><attribute name="statecode"/></link-entity></entity></fetch>`
	const want = `{"EntityName":"account","Entities":[{"LogicalName":"account","Id":"acc00000-0000-4000-8000-000000000001","Attributes":{"accountid":"acc00000-0000-4000-8000-000000000001","name":"Contoso Ltd",` +
		`"pc.createdon":"2025-02-16T03:53:55Z","pc.parentcustomerid":{"Id":"acc00000-0000-4000-8000-000000000001","LogicalName":"account","Name":"Contoso Ltd"},"pc.statecode":{"Value":0}},` +
		`"FormattedValues":{"pc.createdon":"2/15/2025 7:53 PM","pc.parentcustomerid":"Contoso Ltd","pc.statecode":"Active"}}],"MoreRecords":false,"TotalRecordCount":-1,"TotalRecordCountLimitExceeded":false}`
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.Users = server.SameIDs{} })
			e.user = johnID
			if got := strings.TrimSpace(string(e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, "Prefer", preferAll).want(t, 200).body)); got != want {
				t.Errorf("RetrieveMultiple with a link-entity:\n got %s\nwant %s", got, want)
			}
		})
	}
}
