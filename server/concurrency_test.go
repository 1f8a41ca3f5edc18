package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// TestOptimisticConcurrency: ETags on GET by key, in collections and on
// returned representations; a stale If-Match is 412 (Dataverse's
// ConcurrencyVersionMismatch) and changes nothing; If-Match: * needs the
// row; If-None-Match: * makes PATCH create-only; If-None-Match on GET is
// 304; the SDK's IfRowVersionMatches with RowVersion; versionnumber is the
// server's; tables without versionnumber get a digest ETag; on every
// engine.
func TestOptimisticConcurrency(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			path := "/odata/accounts(" + acc1 + ")"
			r := e.do("GET", path, nil).want(t, http.StatusOK)
			tag := r.header.Get("ETag")
			if tag == "" || r.json(t)["@odata.etag"] != tag {
				t.Fatalf("GET by key: ETag %q, body %s", tag, r.body)
			}
			found := false
			for _, v := range e.do("GET", "/odata/accounts", nil).want(t, 200).json(t)["value"].([]any) {
				row := v.(map[string]any)
				if row["accountid"] == acc1 {
					found = row["@odata.etag"] == tag
				}
			}
			if !found {
				t.Errorf("the collection's @odata.etag of %s is not %s", acc1, tag)
			}
			e.do("GET", path, nil, "If-None-Match", tag).want(t, http.StatusNotModified)
			e.do("GET", path, nil, "If-Match", `W/"1"`).wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035")

			// Writes under If-Match.
			r = e.do("PATCH", path, `{"name":"etag 1"}`, "If-Match", tag, "Prefer", "return=representation").want(t, http.StatusOK)
			newTag, _ := r.json(t)["@odata.etag"].(string)
			if newTag == "" || newTag == tag || r.header.Get("ETag") != newTag {
				t.Fatalf("the ETag after a write: %q (was %q, header %q)", newTag, tag, r.header.Get("ETag"))
			}
			e.do("PATCH", path, `{"name":"etag stale"}`, "If-Match", tag).wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035")
			e.do("DELETE", path, nil, "If-Match", tag).wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035")
			if got := readAccount(t, f, acc1).name; got != "etag 1" {
				t.Errorf("a stale If-Match changed the row: %q", got)
			}
			e.do("PATCH", path, `{"name":"etag 2"}`, "If-Match", "*").want(t, http.StatusNoContent)
			missing := "acc00000-0000-4000-8000-0000000000ee"
			e.do("PATCH", "/odata/accounts("+missing+")", `{"name":"x"}`, "If-Match", "*").wantError(t, http.StatusPreconditionFailed, "", "VE6035")
			e.do("PATCH", path, `{"name":"x"}`, "If-None-Match", "*").wantError(t, http.StatusPreconditionFailed, "", "VE6035")
			e.do("PATCH", "/odata/accounts("+missing+")", `{"name":"etag created"}`, "If-None-Match", "*").want(t, http.StatusNoContent)
			if countAccounts(t, f, "etag created") != 1 {
				t.Error("If-None-Match: * did not create")
			}
			e.do("PATCH", path, `{"versionnumber":5}`).wantError(t, http.StatusBadRequest, "", "VE6037")
			e.do("DELETE", path, nil, "If-None-Match", "*").wantError(t, http.StatusBadRequest, "", "VE1009")

			// The SDK: RowVersion and ConcurrencyBehavior.
			got := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc1, "ColumnSet": map[string]any{"AllColumns": true}}).want(t, 200).json(t)
			rv, _ := got["RowVersion"].(string)
			if rv == "" || `W/"`+rv+`"` != e.do("GET", path, nil).header.Get("ETag") {
				t.Fatalf("RowVersion %q", rv)
			}
			upd := func(version, behavior any) *response {
				return e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": acc1, "Attributes": map[string]any{"name": "sdk"}, "RowVersion": version}, "ConcurrencyBehavior": behavior})
			}
			upd("1", "IfRowVersionMatches").wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035")
			upd("", "IfRowVersionMatches").wantError(t, http.StatusBadRequest, "0x80060883", "VE6036")
			upd(rv, 1).want(t, http.StatusNoContent)
			upd(rv, "IfRowVersionMatches").wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035") // the version moved
			upd(rv, "AlwaysOverwrite").want(t, http.StatusNoContent)
			e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": acc1, "RowVersion": rv, "ConcurrencyBehavior": "IfRowVersionMatches"}).
				wantError(t, http.StatusPreconditionFailed, "0x80060882", "VE6035")

			// A table without versionnumber: a digest of the stored row.
			bu := "/odata/businessunits(bb000000-0000-4000-8000-000000000002)"
			btag := e.do("GET", bu, nil).want(t, 200).header.Get("ETag")
			if btag == "" {
				t.Fatal("no ETag on a table without versionnumber")
			}
			e.do("PATCH", bu, `{"name":"Contoso Sales 2"}`, "If-Match", btag).want(t, http.StatusNoContent)
			e.do("PATCH", bu, `{"name":"Contoso Sales 3"}`, "If-Match", btag).wantError(t, http.StatusPreconditionFailed, "", "VE6035")
			if e.do("GET", bu, nil).header.Get("ETag") == btag {
				t.Error("the digest ETag did not change with the row")
			}
		})
	}
}

// TestReadModifyWriteRace: N clients each add 1 to a counter by reading
// it with its ETag and writing it back under If-Match, retrying on 412:
// every increment is there at the end, on every engine.
func TestReadModifyWriteRace(t *testing.T) {
	const clients = 12
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			path := "/odata/accounts(" + acc1 + ")"
			e.do("PATCH", path, `{"numberofemployees":0}`).want(t, http.StatusNoContent)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var retries int
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for attempt := 0; attempt < 200; attempt++ {
						r := e.do("GET", path+"?$select=numberofemployees", nil)
						var row struct {
							N    json.Number `json:"numberofemployees"`
							ETag string      `json:"@odata.etag"`
						}
						if r.status == http.StatusServiceUnavailable {
							continue // busy: read again
						}
						if r.status != 200 || json.Unmarshal(r.body, &row) != nil {
							t.Errorf("read: %d %s", r.status, r.body)
							return
						}
						n, _ := row.N.Int64()
						w := e.do("PATCH", path, `{"numberofemployees":`+strconv.FormatInt(n+1, 10)+`}`, "If-Match", row.ETag)
						switch w.status {
						case http.StatusNoContent:
							return
						case http.StatusPreconditionFailed, http.StatusServiceUnavailable: // lost the race (or a deadlock victim): read again
							mu.Lock()
							retries++
							mu.Unlock()
						default:
							t.Errorf("write: %d %s", w.status, w.body)
							return
						}
					}
					t.Error("no write got through in 200 attempts")
				}()
			}
			wg.Wait()
			var row struct {
				N json.Number `json:"numberofemployees"`
			}
			json.Unmarshal(e.do("GET", path+"?$select=numberofemployees", nil).want(t, 200).body, &row)
			if row.N.String() != strconv.Itoa(clients) {
				t.Errorf("%s increments survived of %d (%d retries)", row.N, clients, retries)
			}
			t.Logf("%d increments, %d retries on 412", clients, retries)
		})
	}
}

// TestNullVersionETag: a row whose versionnumber is null (written before
// the server kept versions) is W/"0" by key, and If-Match with it holds;
// every entity shape (a collection, $expand's, a fetchXml result) leaves
// its @odata.etag out, as a version hidden from the caller also reads null
// (before, a collection without $expand said W/"0" and the others
// nothing); on every engine.
func TestNullVersionETag(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			tbl, _ := f.cat.Table("account")
			vc, _ := tbl.Column("versionnumber")
			key, _ := tbl.Column(tbl.PrimaryKey)
			id := "acc00000-0000-4000-8000-0000000000e1"
			e.do("PATCH", "/odata/accounts("+id+")", `{"name":"null version"}`, "If-None-Match", "*").want(t, http.StatusNoContent)
			t.Cleanup(func() { e.do("DELETE", "/odata/accounts("+id+")", nil) })
			if _, err := f.db.SQL.ExecContext(context.Background(), fmt.Sprintf("UPDATE %s SET %s = NULL WHERE %s = %s", tbl.PhysicalName, vc.PhysicalName, key.PhysicalName, ph(f, 1)), id); err != nil {
				t.Fatal(err)
			}
			const want = `W/"0"`
			if got := e.do("GET", "/odata/accounts("+id+")", nil).want(t, http.StatusOK).header.Get("ETag"); got != want {
				t.Errorf("by key: %q, want %q", got, want)
			}
			etagOf := func(m map[string]any) any {
				for _, v := range m["value"].([]any) {
					if row := v.(map[string]any); row["accountid"] == id {
						if tag, has := row["@odata.etag"]; has {
							return tag
						}
						return "none"
					}
				}
				return "no row"
			}
			filter := "?$filter=" + url.PathEscape("name eq 'null version'")
			const nullFetch = `<fetch><entity name="account"><attribute name="accountid"/><attribute name="versionnumber"/><filter><condition attribute="name" operator="eq" value="null version"/></filter></entity></fetch>`
			for what, m := range map[string]map[string]any{
				"a collection":              e.do("GET", "/odata/accounts"+filter, nil).want(t, http.StatusOK).json(t),
				"a collection with $expand": e.do("GET", "/odata/accounts"+filter+"&$expand=parentaccountid($select=name)", nil).want(t, http.StatusOK).json(t),
				"a fetchXml result":         fetchGet(e, "accounts", nullFetch, "").want(t, http.StatusOK).json(t),
				// A server given only an ODataParser shapes rows without $expand.
				"a collection through a configured parser": newEnv(t, f, func(c *server.Config) {
					c.ODataParser = func(string) (*astQuery, error) { return fetch(t, nullFetch), nil }
				}).do("GET", "/odata/accounts", nil).want(t, http.StatusOK).json(t),
			} {
				if got := etagOf(m); got != "none" {
					t.Errorf("in %s: @odata.etag %v, want none", what, got)
				}
			}
			e.do("PATCH", "/odata/accounts("+id+")", `{"name":"null version 2"}`, "If-Match", want).want(t, http.StatusNoContent)
		})
	}
}
