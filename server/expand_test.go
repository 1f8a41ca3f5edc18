package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// Sample ids used by the $expand tests.
func accID(n int) string { return fmt.Sprintf("acc00000-0000-4000-8000-%012x", n) }
func conID(n int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012x", n) }

// decodeJSON decodes JSON text with numbers as json.Number.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// wantValue compares a collection reply's value (or an entity reply
// without its context) with the expected JSON.
func wantJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	w := decodeJSON(t, []byte(want))
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		t.Errorf("%s:\n got %s\nwant %s", what, g, wb)
	}
}

// valueOf is a collection reply's value without the entities'
// @odata.etag (TestOptimisticConcurrency checks those).
func valueOf(t *testing.T, r *response) any {
	t.Helper()
	v := r.json(t)["value"]
	if rows, ok := v.([]any); ok {
		for _, row := range rows {
			if m, ok := row.(map[string]any); ok {
				delete(m, "@odata.etag")
			}
		}
	}
	return v
}

func TestODataExpand(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			get := func(path string) *response { return e.do("GET", path, nil).want(t, 200) }

			// Single-valued, nested single-valued, a missing related row
			// (no parent: null), a nested one missing (no primary contact);
			// the parent's $select does not name the lookup. Each expanded
			// record carries its key though $select does not name it, as
			// the Web API returns it (Microsoft Learn, "Join tables using
			// OData": "primarycontactid": {"fullname": …, "contactid": …}).
			r := get("/odata/contacts?$select=fullname&$filter=contactid%20in%20(" + conID(1) + "," + conID(0x12) + "," + conID(8) + "," + conID(0xd) + ")&$orderby=fullname" +
				"&$expand=parentcustomerid_account($select=name,accountnumber;$expand=primarycontactid($select=fullname))")
			wantJSON(t, "single-valued $expand", valueOf(t, r), `[
{"contactid":"`+conID(1)+`","fullname":"Anna Schmidt","parentcustomerid_account":{"accountid":"`+accID(8)+`","name":"Adventure Works","accountnumber":"ACC-0008","primarycontactid":{"contactid":"`+conID(1)+`","fullname":"Anna Schmidt"}}},
{"contactid":"`+conID(0x12)+`","fullname":"Chloe Martin","parentcustomerid_account":{"accountid":"`+accID(7)+`","name":"Fabrikam France SARL","accountnumber":"ACC-0007","primarycontactid":null}},
{"contactid":"`+conID(8)+`","fullname":"Fatima Khan","parentcustomerid_account":null},
{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith","parentcustomerid_account":{"accountid":"`+accID(0xc)+`","name":"Coho Winery","accountnumber":"ACC-0012","primarycontactid":{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith"}}}]`)

			// Without nested $select: every column of the related row,
			// its key included.
			m := get("/odata/contacts?$select=fullname&$filter=contactid%20eq%20" + conID(0xd) + "&$expand=parentcustomerid_account").json(t)
			acc := m["value"].([]any)[0].(map[string]any)["parentcustomerid_account"].(map[string]any)
			if acc["accountid"] != accID(0xc) || acc["name"] != "Coho Winery" || acc["address1_city"] != "Napa" || !hasKey(acc, "revenue") {
				t.Errorf("$expand without $select: %v", acc)
			}

			// Collection-valued with $orderby, $skip, $top and $count per
			// parent, and an empty collection.
			r = get("/odata/accounts?$select=name&$filter=accountid%20in%20(" + accID(5) + "," + accID(0xc) + "," + accID(0x18) + "," + accID(9) + ")&$orderby=name" +
				"&$expand=contact_customer_accounts($select=fullname;$orderby=fullname%20desc;$top=1;$skip=1;$count=true)")
			wantJSON(t, "collection-valued $expand with $orderby/$top/$skip/$count", valueOf(t, r), `[
{"accountid":"`+accID(9)+`","name":"Alpine Ski House","contact_customer_accounts":[],"contact_customer_accounts@odata.count":0},
{"accountid":"`+accID(0xc)+`","name":"Coho Winery","contact_customer_accounts":[{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith"}],"contact_customer_accounts@odata.count":2},
{"accountid":"`+accID(5)+`","name":"Fabrikam, Inc.","contact_customer_accounts":[{"contactid":"`+conID(0xc)+`","fullname":"Nadia Haddad"}],"contact_customer_accounts@odata.count":2},
{"accountid":"`+accID(0x18)+`","name":"Wingtip Toys","contact_customer_accounts":[{"contactid":"`+conID(9)+`","fullname":"David Jones"}],"contact_customer_accounts@odata.count":2}]`)

			// $filter inside, with a nested single-valued $expand; $count
			// counts the filtered rows.
			r = get("/odata/accounts?$select=name&$filter=accountid%20in%20(" + accID(5) + "," + accID(0xc) + ")&$orderby=name" +
				"&$expand=contact_customer_accounts($select=fullname;$filter=startswith(fullname,'P')%20or%20startswith(fullname,'W');$count=true;$expand=parentcustomerid_account($select=accountnumber))")
			wantJSON(t, "collection-valued $expand with $filter", valueOf(t, r), `[
{"accountid":"`+accID(0xc)+`","name":"Coho Winery","contact_customer_accounts":[{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith","parentcustomerid_account":{"accountid":"`+accID(0xc)+`","accountnumber":"ACC-0012"}}],"contact_customer_accounts@odata.count":1},
{"accountid":"`+accID(5)+`","name":"Fabrikam, Inc.","contact_customer_accounts":[{"contactid":"`+conID(0x34)+`","fullname":"Will Evans","parentcustomerid_account":{"accountid":"`+accID(5)+`","accountnumber":null}}],"contact_customer_accounts@odata.count":1}]`)

			// GET by key with both kinds; options other than $select and
			// $expand are not read by key.
			m = get("/odata/accounts(" + accID(0xc) + ")?$select=name&$expand=primarycontactid($select=fullname),contact_customer_accounts($select=fullname;$orderby=fullname)").json(t)
			if ctx, _ := m["@odata.context"].(string); !strings.HasSuffix(ctx, "$metadata#accounts/$entity") {
				t.Errorf("GET by key context: %v", m["@odata.context"])
			}
			delete(m, "@odata.context")
			wantJSON(t, "GET by key with $expand", any(m), `{"accountid":"`+accID(0xc)+`","name":"Coho Winery","primarycontactid":{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith"},
"contact_customer_accounts":[{"contactid":"`+conID(0xd)+`","fullname":"Peter Smith"},{"contactid":"`+conID(0x35)+`","fullname":"Xavier Dupont"}]}`)
			m = get("/odata/accounts(" + accID(9) + ")?$select=name&$expand=primarycontactid,contact_customer_accounts($count=true)").json(t)
			delete(m, "@odata.context")
			wantJSON(t, "GET by key, nothing related", any(m), `{"accountid":"`+accID(9)+`","name":"Alpine Ski House","primarycontactid":null,"contact_customer_accounts":[],"contact_customer_accounts@odata.count":0}`)
			e.do("GET", "/odata/accounts(acc00000-0000-4000-8000-0000000000ff)?$expand=contact_customer_accounts", nil).wantError(t, 404, "0x80040217", "VE6005")

			// A collection inside a single-valued expand, and one inside a
			// collection (business unit → accounts → contacts).
			r = get("/odata/contacts?$select=fullname&$filter=contactid%20eq%20" + conID(1) + "&$expand=parentcustomerid_account($select=name;$expand=contact_customer_accounts($select=fullname))")
			wantJSON(t, "collection inside single-valued", valueOf(t, r), `[{"contactid":"`+conID(1)+`","fullname":"Anna Schmidt","parentcustomerid_account":{"accountid":"`+accID(8)+`","name":"Adventure Works","contact_customer_accounts":[{"contactid":"`+conID(1)+`","fullname":"Anna Schmidt"}]}}]`)
			nested := get("/odata/businessunits?$select=name&$expand=business_unit_accounts($select=name;$expand=contact_customer_accounts($select=fullname;$orderby=contactid))").json(t)
			flat := get("/odata/accounts?$select=name&$expand=contact_customer_accounts($select=fullname;$orderby=contactid)").json(t)
			byAcc := map[string]any{}
			for _, a := range flat["value"].([]any) {
				am := a.(map[string]any)
				byAcc[am["accountid"].(string)] = am["contact_customer_accounts"]
			}
			seen := 0
			for _, bu := range nested["value"].([]any) {
				for _, a := range bu.(map[string]any)["business_unit_accounts"].([]any) {
					am := a.(map[string]any)
					seen++
					if !reflect.DeepEqual(am["contact_customer_accounts"], byAcc[am["accountid"].(string)]) {
						t.Errorf("account %v under its business unit: contacts %v, alone %v", am["accountid"], am["contact_customer_accounts"], byAcc[am["accountid"].(string)])
					}
				}
			}
			if seen != len(byAcc) || seen == 0 {
				t.Errorf("business units hold %d accounts, the accounts set %d", seen, len(byAcc))
			}

			// Server-driven paging of the parent: nextLink keeps the
			// nested options; the pages put together are the whole.
			const q = "/odata/accounts?$select=name&$orderby=accountid&$expand=contact_customer_accounts($select=fullname;$orderby=fullname;$count=true),primarycontactid($select=fullname)"
			var paged []any
			next, pages := q, 0
			for next != "" {
				r := e.do("GET", next, nil, "Prefer", "odata.maxpagesize=7").want(t, 200)
				m := r.json(t)
				paged = append(paged, m["value"].([]any)...)
				next = ""
				if n, ok := m["@odata.nextLink"].(string); ok {
					if !strings.Contains(n, "$expand=contact_customer_accounts(") {
						t.Fatalf("nextLink lost $expand: %s", n)
					}
					u, err := url.Parse(n)
					if err != nil {
						t.Fatal(err)
					}
					next = u.RequestURI()
				}
				if pages++; pages > 20 {
					t.Fatal("nextLink does not end")
				}
			}
			whole := get(q).json(t)["value"].([]any)
			if pages < 2 || !reflect.DeepEqual(paged, whole) {
				t.Errorf("%d pages of %d entities differ from the whole (%d)", pages, len(paged), len(whole))
			}
		})
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// TestODataExpandRefused: what $expand cannot serve is a 400 with a
// Dataverse error body, never a 500 or a silent drop.
func TestODataExpandRefused(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	deep := "account_parent_account($expand=account_parent_account($expand=account_parent_account($expand=account_parent_account)))"
	many := strings.Repeat("primarycontactid,", 15) + "primarycontactid"
	for _, c := range []struct{ path, ve string }{
		{"/odata/accounts?$expand=*", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts($levels=2)", "VE1014"},
		{"/odata/accounts?$expand=account_parent_account($levels=max)", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts/$ref", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts/$count", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts($search=x)", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts($apply=groupby((fullname)))", "VE1014"},
		{"/odata/accounts?$expand=primarycontactid($filter=fullname%20eq%20'x')", "VE1014"},
		{"/odata/accounts?$expand=primarycontactid($top=1)", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts($top=1;$top=2)", "VE1008"},
		{"/odata/accounts?$expand=primarycontactid/fullname", "VE1014"},
		{"/odata/systemusers?$expand=teammembership_association", "VE2002"}, // N:N: not a navigation property here
		{"/odata/accounts?$expand=nosuch", "VE2002"},
		// Only the names $metadata declares (plan.NavigationName), as in
		// Dataverse: not <lookup>_<target> of a one-target lookup, nor a
		// customer lookup's bare name, nor either in a lambda path.
		{"/odata/accounts?$expand=primarycontactid_contact", "VE2002"},
		{"/odata/contacts?$expand=parentcustomerid", "VE2002"},
		{"/odata/accounts?$filter=contact_customer_accounts/any(c:c/parentcustomerid/name%20eq%20'x')", "VE2002"},
		{"/odata/accounts?$expand=contact_customer_accounts($filter=nosuch%20eq%201)", "VE2002"},
		{"/odata/accounts?$expand=contact_customer_accounts($select=nosuch)", "VE2002"},
		{"/odata/accounts?$expand=" + deep, "VE1014"},
		{"/odata/accounts?$expand=" + many, "VE1010"},
		{"/odata/accounts?$apply=groupby((name))&$expand=primarycontactid", ""},
		{"/odata/accounts(" + accID(1) + ")?$expand=*", "VE1014"},
		{"/odata/accounts?$expand=contact_customer_accounts($filter=)", ""},
		// Refused whatever the data: no parent, or no related row, reaches them.
		{"/odata/accounts?$filter=name%20eq%20'none'&$expand=contact_customer_accounts($select=nosuch)", "VE2002"},
		{"/odata/accounts?$filter=accountid%20eq%20" + accID(9) + "&$expand=contact_customer_accounts($expand=account_primary_contact($filter=nosuch%20eq%201))", "VE2002"},
		{"/odata/accounts(" + accID(9) + ")?$expand=primarycontactid($expand=account_primary_contact($select=nosuch))", "VE2002"},
	} {
		r := e.do("GET", c.path, nil)
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400: %s", c.path, r.status, r.body)
			continue
		}
		if _, ve := r.errCode(t); c.ve != "" && ve != c.ve {
			t.Errorf("%s: %s, want %s: %s", c.path, ve, c.ve, r.body)
		}
	}
	// Three levels of collections are served.
	e.do("GET", "/odata/accounts?$select=name&$expand=account_parent_account($select=name;$expand=account_parent_account($select=name;$expand=account_parent_account($select=name)))", nil).want(t, 200)
}

// TestODataExpandSecurity: related rows come from queries built for the
// caller: a salesperson sees, under the accounts she reads, only the
// contacts she reads (arrays and counts), and null for a parent account
// she cannot read.
func TestODataExpandSecurity(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			hidden, nulls := 0, 0
			for _, user := range []string{priyaID, johnID, "aa000000-0000-4000-8000-000000000003", "aa000000-0000-4000-8000-000000000005", "aa000000-0000-4000-8000-000000000009", ""} {
				h, n := expandSecurity(t, e, user)
				hidden += h
				nulls += n
			}
			// Without the privilege on the related table at all, the
			// request is refused as a direct read of it is.
			e.user = kenjiID
			e.do("GET", "/odata/accounts?$select=name&$expand=contact_customer_accounts", nil).wantError(t, 403, "0x80040220", "VE3003")
			e.do("GET", "/odata/accounts?$filter=name%20eq%20'none'&$expand=contact_customer_accounts", nil).wantError(t, 403, "0x80040220", "VE3003")
			// The sample must exercise both cases, or the test proves nothing.
			if hidden == 0 || nulls == 0 {
				t.Errorf("related rows hidden from the users: %d in arrays, %d null parents", hidden, nulls)
			}
		})
	}
}

// expandSecurity checks one user's expanded reads against her plain reads
// and returns how many related rows the administrator reads that she does
// not under her accounts, and how many of her contacts' parents expanded
// as null because she cannot read them.
func expandSecurity(t *testing.T, e *env, user string) (hidden, nulls int) {
	t.Helper()
	e.user = user
	readable := map[string]bool{}
	contactsOf := map[string][]string{}
	for _, c := range e.do("GET", "/odata/contacts?$select=_parentcustomerid_value", nil).want(t, 200).json(t)["value"].([]any) {
		cm := c.(map[string]any)
		id := cm["contactid"].(string)
		readable[id] = true
		if p, ok := cm["_parentcustomerid_value"].(string); ok {
			contactsOf[p] = append(contactsOf[p], id)
		}
	}
	accounts := map[string]bool{}
	for _, a := range e.do("GET", "/odata/accounts?$select=name", nil).want(t, 200).json(t)["value"].([]any) {
		accounts[a.(map[string]any)["accountid"].(string)] = true
	}

	// Collection-valued: her accounts' arrays and counts hold exactly her
	// contacts.
	got := e.do("GET", "/odata/accounts?$select=name&$expand=contact_customer_accounts($select=fullname;$orderby=contactid;$count=true)", nil).want(t, 200).json(t)
	for _, a := range got["value"].([]any) {
		am := a.(map[string]any)
		var ids []string
		for _, c := range am["contact_customer_accounts"].([]any) {
			ids = append(ids, c.(map[string]any)["contactid"].(string))
		}
		want := contactsOf[am["accountid"].(string)]
		sort.Strings(want)
		if !slices.Equal(ids, want) || am["contact_customer_accounts@odata.count"] != json.Number(fmt.Sprint(len(want))) {
			t.Errorf("user %q, account %v: contacts %v (count %v), she reads %v", user, am["accountid"], ids, am["contact_customer_accounts@odata.count"], want)
		}
	}
	// With $top and no $count, the statement numbers the rows per parent:
	// her first two, security applied before the numbering.
	got = e.do("GET", "/odata/accounts?$select=name&$expand=contact_customer_accounts($select=fullname;$orderby=contactid;$top=2)", nil).want(t, 200).json(t)
	for _, a := range got["value"].([]any) {
		am := a.(map[string]any)
		var ids []string
		for _, c := range am["contact_customer_accounts"].([]any) {
			ids = append(ids, c.(map[string]any)["contactid"].(string))
		}
		want := slices.Clone(contactsOf[am["accountid"].(string)])
		sort.Strings(want)
		if want = want[:min(len(want), 2)]; !slices.Equal(ids, want) {
			t.Errorf("user %q, account %v, $top=2: contacts %v, her first two %v", user, am["accountid"], ids, want)
		}
	}
	e.user = "aa000000-0000-4000-8000-000000000001" // the System Administrator
	all := e.do("GET", "/odata/accounts?$select=name&$expand=contact_customer_accounts($select=fullname)", nil).want(t, 200).json(t)
	e.user = user
	for _, a := range all["value"].([]any) {
		am := a.(map[string]any)
		if !accounts[am["accountid"].(string)] {
			continue
		}
		for _, c := range am["contact_customer_accounts"].([]any) {
			if !readable[c.(map[string]any)["contactid"].(string)] {
				hidden++
			}
		}
	}

	// Single-valued: null where she cannot read the parent account.
	got = e.do("GET", "/odata/contacts?$select=fullname,_parentcustomerid_value&$expand=parentcustomerid_account($select=name)", nil).want(t, 200).json(t)
	for _, c := range got["value"].([]any) {
		cm := c.(map[string]any)
		p, _ := cm["_parentcustomerid_value"].(string)
		rel := cm["parentcustomerid_account"]
		switch {
		case p != "" && accounts[p]:
			if rel == nil {
				t.Errorf("user %q, contact %v: parent %s readable but expanded as null", user, cm["contactid"], p)
			}
		case rel != nil:
			t.Errorf("user %q, contact %v: parent %q not readable, expanded as %v", user, cm["contactid"], p, rel)
		case p != "":
			nulls++
		}
	}
	// By key: her contacts only.
	for id := range accounts {
		m := e.do("GET", "/odata/accounts("+id+")?$select=name&$expand=contact_customer_accounts($select=fullname;$count=true)", nil).want(t, 200).json(t)
		if m["contact_customer_accounts@odata.count"] != json.Number(fmt.Sprint(len(contactsOf[id]))) {
			t.Errorf("user %q, by key %s: count %v, she reads %v", user, id, m["contact_customer_accounts@odata.count"], contactsOf[id])
		}
	}
	t.Logf("user %q: %d accounts, %d contacts, %d related contacts hidden, %d parents null", user, len(accounts), len(readable), hidden, nulls)
	return hidden, nulls
}

// TestODataExpandLimits: related rows read over many pages and many
// chunks of parent keys give the same arrays as one page; over the limits
// the request fails (never a silent cut).
func TestODataExpandLimits(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			const q = "/odata/accounts?$select=name&$orderby=accountid&$expand=contact_customer_accounts($select=fullname;$orderby=fullname;$count=true;$expand=parentcustomerid_account($select=name))"
			whole := e.do("GET", q, nil).want(t, 200).json(t)["value"]
			restore := server.SetExpandLimits(1, 1000, 1000)
			paged := e.do("GET", q, nil).want(t, 200).json(t)["value"]
			restore()
			if !reflect.DeepEqual(paged, whole) {
				t.Errorf("related rows one per page differ from one page")
			}
			defer server.SetExpandLimits(3, 10, 1)()
			e.do("GET", "/odata/accounts?$expand=contact_customer_accounts", nil).wantError(t, 400, "", "VE1010")
			one := "/odata/accounts?$filter=accountid%20eq%20" + accID(1) + "&$expand=contact_customer_accounts"
			e.do("GET", one, nil).wantError(t, 400, "", "VE1010")
			m := e.do("GET", one+"($top=1;$count=true)", nil).want(t, 200).json(t)
			a := m["value"].([]any)[0].(map[string]any)
			if len(a["contact_customer_accounts"].([]any)) != 1 || a["contact_customer_accounts@odata.count"] != json.Number("2") {
				t.Errorf("$top=1 under the per-entity limit: %v", a)
			}
		})
	}
}

// TestODataExpandTopPushed: $top (and $skip, $orderby) inside a
// collection-valued $expand is applied by the statement (a window per
// parent) when no $count asks for every related row; the arrays equal
// those of the read-everything path ($count=true), NULLs first ascending
// and ties broken by key, and the row limit counts the rows read.
func TestODataExpandTopPushed(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			arrays := func(path string) map[string]any {
				t.Helper()
				out := map[string]any{}
				for _, a := range e.do("GET", path, nil).want(t, 200).json(t)["value"].([]any) {
					am := a.(map[string]any)
					out[am["accountid"].(string)] = am["contact_customer_accounts"]
				}
				return out
			}
			for _, order := range []string{"", "fullname", "fullname%20desc", "birthdate", "birthdate%20desc,fullname", "emailaddress1"} {
				for _, page := range []string{"$top=1", "$top=2", "$top=2;$skip=1", "$top=3;$skip=2", "$top=1;$skip=1;$expand=parentcustomerid_account($select=accountnumber)"} {
					opts := "$select=fullname,birthdate;" + page
					if order != "" {
						opts += ";$orderby=" + order
					}
					q := "/odata/accounts?$select=name&$expand=contact_customer_accounts("
					pushed := arrays(q + opts + ")")
					whole := arrays(q + opts + ";$count=true)")
					if !reflect.DeepEqual(pushed, whole) {
						t.Errorf("%s: per-parent window differs from the read in full:\n got %v\nwant %v", opts, pushed, whole)
					}
				}
			}

			// A window inside a window: accounts per unit, contacts per account.
			const nested = "/odata/businessunits?$select=name&$expand=business_unit_accounts($select=name;$orderby=name;$top=3;$skip=1;$expand=contact_customer_accounts($select=fullname;$orderby=fullname%20desc;$top=1"
			a := e.do("GET", nested+"))", nil).want(t, 200).json(t)["value"]
			b := e.do("GET", strings.Replace(nested, "$top=3", "$top=3;$count=true", 1)+";$count=true))", nil).want(t, 200).json(t)["value"]
			for _, u := range b.([]any) {
				um := u.(map[string]any)
				delete(um, "business_unit_accounts@odata.count")
				for _, acc := range um["business_unit_accounts"].([]any) {
					delete(acc.(map[string]any), "contact_customer_accounts@odata.count")
				}
			}
			inner := 0
			for _, u := range a.([]any) {
				for _, acc := range u.(map[string]any)["business_unit_accounts"].([]any) {
					inner += len(acc.(map[string]any)["contact_customer_accounts"].([]any))
				}
			}
			if inner == 0 {
				t.Errorf("nested windows: no contact in any array, the comparison proves nothing")
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("nested windows differ from the reads in full:\n got %v\nwant %v", a, b)
			}

			// The business unit with the most accounts; a row limit below
			// their number refuses the read in full, not 2 per parent.
			units := func(path string) map[string][]any {
				t.Helper()
				out := map[string][]any{}
				for _, b := range e.do("GET", path, nil).want(t, 200).json(t)["value"].([]any) {
					bm := b.(map[string]any)
					out[bm["businessunitid"].(string)] = bm["business_unit_accounts"].([]any)
				}
				return out
			}
			const bu = "/odata/businessunits?$select=name&$expand=business_unit_accounts($select=name;$orderby=name%20desc"
			all := units(bu + ")")
			most, n, total := "", 0, 0
			for id, a := range all {
				total += len(a)
				if len(a) > n || len(a) == n && id < most {
					most, n = id, len(a)
				}
			}
			if n < 4 {
				t.Fatalf("the sample needs a business unit with 4 accounts or more (most: %d)", n)
			}
			want := 0
			for _, a := range all {
				want += min(len(a), 2)
			}
			limit := max(n-1, want)
			if limit >= total {
				t.Fatalf("the sample needs more accounts (%d) than a limit of %d", total, limit)
			}
			defer server.SetExpandLimits(server.MaxPageSize, limit, 1000)()
			e.do("GET", bu+";$count=true)", nil).wantError(t, 400, "", "VE1010")
			got := units(bu + ";$top=2)")
			for id, a := range all {
				if !reflect.DeepEqual(got[id], a[:min(len(a), 2)]) {
					t.Errorf("business unit %s, $top=2 over the row limit: got %v, want the first two of %v", id, got[id], a)
				}
			}
			// With $count every related row is read: refused as before.
			one := "/odata/businessunits?$select=name&$filter=businessunitid%20eq%20" + most + "&$expand=business_unit_accounts($select=name;$top=2;$count=true)"
			server.SetExpandLimits(server.MaxPageSize, n-1, 1000)
			e.do("GET", one, nil).wantError(t, 400, "", "VE1010")
		})
	}
}
