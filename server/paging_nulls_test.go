package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/security"
)

// TestKeysetPagingAfterNulls pages accounts whose sort column is NULL in
// most rows, so that cookies end inside the NULLs and the next page reads
// the rest of the NULLs, then rows with a value, then (a NULL after a
// value: statecode, name) the rows after that value (server/paging_nulls.go):
// string and integer keys, ascending (NULLs first) and descending (NULLs
// last), a 1:N link-entity (an account repeats per contact), as a user
// whose security reads some of the rows. At every page size the pages
// joined, by cookie and by page number (offset), are the unpaged result;
// so are OData's pages joined by @odata.nextLink.
func TestKeysetPagingAfterNulls(t *testing.T) {
	const admin = "aa000000-0000-4000-8000-000000000001"
	// Contacts Priya creates (and reads: user depth) and the admin's,
	// which she cannot read: the link reads some of them.
	fs := securedFixturesWith(t, func(m *security.Model) {
		for i := range m.Roles {
			depth := map[string]string{"Salesperson": "User", "System Administrator": "Organization"}[m.Roles[i].Name]
			if depth == "" {
				continue
			}
			for _, p := range []string{"Create", "Append"} {
				m.Roles[i].Privileges = append(m.Roles[i].Privileges, security.PrivilegeDef{Table: "contact", Privilege: p, Depth: depth})
			}
		}
	})
	for _, f := range fs {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f) // its tables are dropped after the test
			tag := "NULLS-" + f.name
			create := func(user, table string, attrs map[string]any) string {
				e.user = user
				return e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": table, "Attributes": attrs}}).want(t, 200).json(t)["id"].(string)
			}
			for i := range 30 {
				// Priya reads what she creates, not the admin's rows.
				owner := priyaID
				if i%5 == 4 {
					owner = admin
				}
				attrs := map[string]any{"accountnumber": tag}
				if i%3 == 0 {
					attrs["name"] = fmt.Sprintf("Acc %d", i%4) // ties, broken by the key
				}
				if i%4 == 1 {
					attrs["numberofemployees"] = i % 3
				}
				id := create(owner, "account", attrs)
				for c := range i % 3 {
					by := owner
					if c == 1 && i%2 == 0 {
						by = admin
					}
					create(by, "contact", map[string]any{"lastname": fmt.Sprintf("C%d", c), "parentcustomerid": map[string]any{"Id": id, "LogicalName": "account"}})
				}
			}
			e.user = priyaID
			// OData: @odata.nextLink continues from the same cookie.
			for _, order := range []string{"name", "name desc", "numberofemployees", "numberofemployees desc", "numberofemployees,name",
				"statecode,name", "statecode,name desc", "numberofemployees desc,name", "numberofemployees,name desc"} {
				path := "/odata/accounts?$select=name,numberofemployees&$filter=accountnumber%20eq%20'" + tag + "'&$orderby=" + strings.ReplaceAll(order, " ", "%20")
				ids := func(m map[string]any) []string {
					var out []string
					for _, v := range m["value"].([]any) {
						out = append(out, v.(map[string]any)["accountid"].(string))
					}
					return out
				}
				want := ids(e.do("GET", path, nil).want(t, 200).json(t))
				for _, size := range []int{1, 4} {
					var got []string
					next := path + "&$count=true"
					for pages := 0; next != ""; pages++ {
						if pages > len(want)+1 {
							t.Fatalf("$orderby=%s: nextLink does not end", order)
						}
						m := e.do("GET", next, nil, "Prefer", fmt.Sprintf("odata.maxpagesize=%d", size)).want(t, 200).json(t)
						got = append(got, ids(m)...)
						// Every page counts the whole query.
						if c := fmt.Sprint(m["@odata.count"]); c != "24" {
							t.Errorf("OData $orderby=%s, %d a page, page %d: @odata.count %s, want 24", order, size, pages+1, c)
						}
						next = nextLink(t, m)
					}
					if len(want) != 24 || strings.Join(got, " ") != strings.Join(want, " ") {
						t.Errorf("OData $orderby=%s, %d a page: pages differ from the unpaged result:\n got %v\nwant %v", order, size, got, want)
					}
				}
			}
			for _, order := range []string{
				`<order attribute="name"/>`, `<order attribute="name" descending="true"/>`,
				`<order attribute="numberofemployees"/>`, `<order attribute="numberofemployees" descending="true"/>`,
				`<order attribute="numberofemployees"/><order attribute="name"/>`,
				// A NULL after a value: statecode is 0 in every row, so the
				// cookies inside its NULL names are (0, NULL).
				`<order attribute="statecode"/><order attribute="name"/>`, `<order attribute="statecode"/><order attribute="name" descending="true"/>`,
				`<order attribute="numberofemployees" descending="true"/><order attribute="name"/>`,
			} {
				query := func(paging string) string {
					return `<fetch` + paging + `><entity name="account"><attribute name="name"/><attribute name="numberofemployees"/>` + order +
						`<filter><condition attribute="accountnumber" operator="eq" value="` + tag + `"/></filter>` +
						`<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="c"><attribute name="contactid"/></link-entity></entity></fetch>`
				}
				var want []string
				nulls := 0
				first, _, _ := strings.Cut(strings.TrimPrefix(order, `<order attribute="`), `"`)
				repeats := map[string]int{}
				for _, x := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", query("")).want(t, 200).json(t)) {
					want = append(want, rowKey(x))
					repeats[x["Id"].(string)]++
					if attr(x, first) == nil {
						nulls++
					}
				}
				// Priya reads 24 of the 30 accounts, some more than once
				// (one row per contact).
				if len(repeats) != 24 || len(want) <= len(repeats) || nulls < len(want)/2 {
					t.Fatalf("%s: %d rows of %d accounts, %d with a NULL %s: the data should be mostly NULL, with contacts", order, len(want), len(repeats), nulls, first)
				}
				for size := 1; size <= 7; size += 2 {
					var byCookie, byOffset []string
					cookie := ""
					for page := 1; page <= len(want)+1; page++ {
						paging := fmt.Sprintf(` count="%d" page="%d"`, size, page)
						m := e.do("POST", "/api/ve/v1/RetrieveMultiple", query(paging)).want(t, 200).json(t)
						for _, x := range entities(t, m) {
							byOffset = append(byOffset, rowKey(x))
						}
						if cookie != "" {
							paging += ` paging-cookie="` + cookie + `"`
						}
						// The total is the query's, whichever parts a page reads.
						m = e.do("POST", "/api/ve/v1/RetrieveMultiple", query(paging+` returntotalrecordcount="true"`)).want(t, 200).json(t)
						for _, x := range entities(t, m) {
							byCookie = append(byCookie, rowKey(x))
						}
						if total := fmt.Sprint(m["TotalRecordCount"]); total != fmt.Sprint(len(want)) {
							t.Errorf("%s, %d a page, page %d: TotalRecordCount %v, want %d", order, size, page, m["TotalRecordCount"], len(want))
						}
						if m["MoreRecords"] != true {
							if c, _ := m["PagingCookie"].(string); c != "" {
								t.Errorf("%s, %d a page: the last page (%d) has a cookie", order, size, page)
							}
							break
						}
						cookie = m["PagingCookie"].(string)
					}
					if strings.Join(byCookie, " ") != strings.Join(want, " ") {
						t.Errorf("%s, %d a page: pages by cookie differ from the unpaged result:\n got %v\nwant %v", order, size, byCookie, want)
					}
					if strings.Join(byOffset, " ") != strings.Join(want, " ") {
						t.Errorf("%s, %d a page: pages by number differ from the unpaged result:\n got %v\nwant %v", order, size, byOffset, want)
					}
				}
			}
		})
	}
}
