package server_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/collate"
)

// tieAccounts are (city, name) pairs that differ only in case, accents and
// trailing spaces, which Dataverse's collation ties: ties on the city go to
// the name, ties on both to the primary key.
var tieAccounts = [][2]string{
	{"Seattle", "b"}, {"seattle", "A"}, {"SEATTLE ", "c"}, {"Séattle", "a "}, {"seattle  ", "B"},
	{"Zürich", "x"}, {"zurich", "X"}, {"ZURICH ", "x "}, {"zurich", "x"}, {"Älmhult", "q"}, {"almhult", "Q  "},
}

// TestKeysetPagingStringTies pages rows that tie under the collation, in
// both directions and at every page size that puts a boundary between
// tied rows: the unpaged order is Dataverse's (the folded city, the folded
// name, then the key; no stored spelling in between), and the pages joined
// return every row exactly once, in that order.
func TestKeysetPagingStringTies(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			tag := fmt.Sprintf("TIE-%s", f.name)
			type row struct{ id, city, name string }
			var rows []row
			for _, a := range tieAccounts {
				m := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account",
					"Attributes": map[string]any{"name": a[1], "address1_city": a[0], "accountnumber": tag}}}).want(t, 200).json(t)
				id := m["id"].(string)
				defer e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": id})
				rows = append(rows, row{strings.ToLower(id), a[0], a[1]})
			}
			key := func(s string) string { return collate.Fold(strings.TrimRight(s, " ")) }
			for _, desc := range []bool{false, true} {
				query := func(paging string) string {
					return fmt.Sprintf(`<fetch%s><entity name="account"><attribute name="name"/><attribute name="address1_city"/>
<order attribute="address1_city" descending="%t"/><order attribute="name"/>
<filter><condition attribute="accountnumber" operator="eq" value="%s"/></filter></entity></fetch>`, paging, desc, tag)
				}
				want := slices.Clone(rows)
				slices.SortFunc(want, func(a, b row) int {
					c := cmp.Compare(key(a.city), key(b.city))
					if desc {
						c = -c
					}
					return cmp.Or(c, cmp.Compare(key(a.name), key(b.name)), cmp.Compare(a.id, b.id))
				})
				var wantIDs []string
				for _, r := range want {
					wantIDs = append(wantIDs, r.id)
				}
				ids := func(m map[string]any) []string {
					var out []string
					for _, x := range entities(t, m) {
						out = append(out, strings.ToLower(x["Id"].(string)))
					}
					return out
				}
				full := ids(e.do("POST", "/api/ve/v1/RetrieveMultiple", query("")).want(t, 200).json(t))
				if !slices.Equal(full, wantIDs) {
					t.Fatalf("desc=%t: unpaged order is not Dataverse's:\n got %v\nwant %v (%v)", desc, full, wantIDs, want)
				}
				for size := 1; size <= 4; size++ {
					var got []string
					cookie := ""
					for page := 1; page <= len(rows)+1; page++ {
						paging := fmt.Sprintf(` count="%d" page="%d"`, size, page)
						if cookie != "" {
							paging += ` paging-cookie="` + cookie + `"`
						}
						m := e.do("POST", "/api/ve/v1/RetrieveMultiple", query(paging)).want(t, 200).json(t)
						got = append(got, ids(m)...)
						if m["MoreRecords"] != true {
							break
						}
						cookie = m["PagingCookie"].(string)
					}
					if !slices.Equal(got, full) {
						t.Errorf("desc=%t, %d a page: pages joined differ from the unpaged result:\n got %v\nwant %v", desc, size, got, full)
					}
				}
			}
		})
	}
}
