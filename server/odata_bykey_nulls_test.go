package server_test

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestODataByKeyMatchesCollection: an entity read by key has the members
// the same entity has in a collection read: selected properties whose
// value is null are written as null (as the Web API writes them), not left
// out, with or without $select.
func TestODataByKeyMatchesCollection(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			for _, id := range []string{accID(9), accID(0xc)} {
				for _, sel := range []string{"$select=name,address1_city,revenue,primarycontactid,parentaccountid", "$select=name,description", ""} {
					coll := e.do("GET", "/odata/accounts?$filter="+url.PathEscape("accountid eq "+id)+"&"+sel, nil).want(t, 200).json(t)
					vals, _ := coll["value"].([]any)
					if len(vals) != 1 {
						t.Fatalf("%s %s: %d rows", id, sel, len(vals))
					}
					one := e.do("GET", "/odata/accounts("+id+")?"+sel, nil).want(t, 200).json(t)
					delete(one, "@odata.context")
					if diff := cmp.Diff(vals[0], any(one)); diff != "" {
						t.Errorf("%s ?%s: by key differs from the collection (-collection +by key):\n%s", id, sel, diff)
					}
				}
			}
		})
	}
}
