package server_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fetchGet is GET /odata/<set>?fetchXml=<fetch>, URL-encoded as the Web API
// takes it, with extra raw query options.
func fetchGet(e *env, set, fetch, extra string, hdr ...string) *response {
	e.t.Helper()
	return e.do("GET", "/odata/"+set+"?fetchXml="+url.QueryEscape(fetch)+extra, nil, hdr...)
}

var pagingCookieRE = regexp.MustCompile(`^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)" istracking="False" />$`)

// TestODataFetchXml: fetchXml on an entity set runs the FetchXML (its
// columns, filter and order, null properties left out), pages by its
// count with the Web API's paging-cookie annotations until morerecords is
// false (every row once), aggregates, counts, and is refused with another
// set's entity or another query option, on every engine.
func TestODataFetchXml(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			// Columns, filter and order are the fetch's.
			m := fetchGet(e, "accounts", `<fetch><entity name="account"><attribute name="name"/><attribute name="parentaccountid"/>
				<filter><condition attribute="name" operator="like" value="%o%"/></filter><order attribute="name" descending="true"/></entity></fetch>`, "").
				want(t, http.StatusOK).json(t)
			rows := m["value"].([]any)
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			var names []string
			for _, r := range rows {
				row := r.(map[string]any)
				for k := range row {
					if k != "name" && k != "accountid" && k != "_parentaccountid_value" {
						t.Errorf("property %q not asked for: %v", k, row)
					}
				}
				if v, has := row["_parentaccountid_value"]; has && v == nil {
					t.Errorf("a null property is returned: %v", row)
				}
				names = append(names, row["name"].(string))
			}
			if !slices.IsSortedFunc(names, func(a, b string) int { return -compareFold(a, b) }) {
				t.Errorf("not in the fetch's order: %v", names)
			}
			if m["@Microsoft.Dynamics.CRM.morerecords"] != false {
				t.Errorf("morerecords: %v", m["@Microsoft.Dynamics.CRM.morerecords"])
			}

			// All ids, then the same by pages of 2 following the cookies.
			all := ids(t, fetchGet(e, "accounts", `<fetch><entity name="account"><attribute name="accountid"/></entity></fetch>`, "").want(t, 200).json(t))
			var paged []string
			page, cookie := 1, ""
			for i := 0; ; i++ {
				if i > len(all) {
					t.Fatal("paging does not end")
				}
				attrs := `count="2" page="` + itoa(page) + `"`
				if cookie != "" {
					attrs += ` paging-cookie="` + xmlAttr(cookie) + `"`
				}
				m := fetchGet(e, "accounts", `<fetch `+attrs+`><entity name="account"><attribute name="accountid"/><order attribute="name"/></entity></fetch>`, "").want(t, 200).json(t)
				paged = append(paged, ids(t, m)...)
				if m["@Microsoft.Dynamics.CRM.morerecords"] != true {
					if _, has := m["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"]; has {
						t.Error("a paging cookie on the last page")
					}
					break
				}
				c, _ := m["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"].(string)
				sm := pagingCookieRE.FindStringSubmatch(c)
				if sm == nil {
					t.Fatalf("paging cookie annotation %q", c)
				}
				once, err := url.QueryUnescape(sm[2])
				if err != nil {
					t.Fatal(err)
				}
				if cookie, err = url.QueryUnescape(once); err != nil {
					t.Fatal(err)
				}
				if sm[1] != itoa(page+1) {
					t.Fatalf("pagenumber %s after page %d", sm[1], page)
				}
				page++
			}
			slices.Sort(all)
			slices.Sort(paged)
			if !slices.Equal(all, paged) || len(all) < 3 {
				t.Errorf("paged ids %v, all %v", paged, all)
			}

			// Aggregates and counts.
			m = fetchGet(e, "accounts", `<fetch aggregate="true"><entity name="account"><attribute name="accountid" aggregate="count" alias="n"/></entity></fetch>`, "").want(t, 200).json(t)
			if got := m["value"].([]any)[0].(map[string]any)["n"]; got != json.Number(itoa(len(all))) {
				t.Errorf("aggregate count %v, want %d", got, len(all))
			}
			for _, c := range []struct{ attrs, extra string }{{`returntotalrecordcount="true"`, ""}, {"", "&$count=true"}} {
				m = fetchGet(e, "accounts", `<fetch count="1" `+c.attrs+`><entity name="account"><attribute name="accountid"/></entity></fetch>`, c.extra).want(t, 200).json(t)
				if got := m["@Microsoft.Dynamics.CRM.totalrecordcount"]; got != json.Number(itoa(len(all))) {
					t.Errorf("%s%s: totalrecordcount %v, want %d", c.attrs, c.extra, got, len(all))
				}
			}

			// Refusals.
			acct := `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`
			fetchGet(e, "contacts", acct, "").wantError(t, 400, "", "VE1009")
			for _, extra := range []string{"&$top=1", "&$filter=name%20eq%20'x'", "&$select=name", "&$orderby=name", "&savedQuery=00000000-0000-0000-0000-000000000001", "&fetchXml=x", "&tag=1"} {
				r := fetchGet(e, "accounts", acct, extra)
				if r.status != http.StatusBadRequest {
					t.Errorf("fetchXml with %s: status %d: %s", extra, r.status, r.body)
				}
			}
			fetchGet(e, "accounts", acct, "", "Prefer", "odata.maxpagesize=1").wantError(t, 400, "", "VE1009")
			fetchGet(e, "accounts", `<fetch><entity name="account"><attribute name="nosuch"/></entity></fetch>`, "").wantError(t, 400, "", "VE2002")
			fetchGet(e, "accounts", `<fetch><entity`, "").wantError(t, 400, "", "VE1001")
			e.do("GET", "/odata/accounts("+acc1+")?fetchXml="+url.QueryEscape(acct), nil).wantError(t, 400, "", "VE1009")
		})
	}
}

func ids(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range m["value"].([]any) {
		out = append(out, r.(map[string]any)["accountid"].(string))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func compareFold(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

// xmlAttr escapes s for a double-quoted XML attribute.
func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}
