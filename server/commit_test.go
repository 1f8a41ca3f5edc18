package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// TestCommitInDoubt: when the connection drops during COMMIT, the server
// reads the row back: a write that committed is answered as committed
// (no 503, so a retrying client makes no duplicate), one that did not is
// 503 with Retry-After (a retry is safe), and one it cannot find out about
// is 502 VE6033 without Retry-After; on every engine.
func TestCommitInDoubt(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.QueryTimeout = 2 * time.Second })
			const name = "in doubt " + "create"

			restore := server.FailCommit("after")
			r := e.do("POST", "/odata/accounts", `{"name":"`+name+`"}`)
			loc := r.header.Get("OData-EntityId")
			if r.status != http.StatusNoContent || loc == "" {
				t.Fatalf("a committed create in doubt: %d %s", r.status, r.body)
			}
			id := loc[strings.LastIndex(loc, "(")+1 : len(loc)-1]
			if n := countAccounts(t, f, name); n != 1 {
				t.Fatalf("%d rows after a committed create in doubt", n)
			}
			e.do("PATCH", "/odata/accounts("+id+")", `{"name":"`+name+` 2","numberofemployees":7,"revenue":12.5,"createdon":"2025-01-02T03:04:05Z","new_tags":[2,1]}`).want(t, http.StatusNoContent)
			if got := readAccount(t, f, id).name; got != name+" 2" {
				t.Errorf("update in doubt: name %q", got)
			}
			e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"name":"`+name+` 3"}`)).want(t, http.StatusNoContent)
			restore()

			restore = server.FailCommit("before")
			r = e.do("PATCH", "/odata/accounts("+id+")", `{"name":"never"}`)
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Errorf("an update rolled back in doubt: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
			}
			if got := readAccount(t, f, id).name; got != name+" 3" {
				t.Errorf("a rolled-back update changed the row: %q", got)
			}
			r = e.do("POST", "/odata/accounts", `{"name":"never created"}`)
			if r.status != http.StatusServiceUnavailable || countAccounts(t, f, "never created") != 0 {
				t.Errorf("a create rolled back in doubt: %d %s", r.status, r.body)
			}
			restore()

			restore = server.FailCommit("unreachable")
			r = e.do("PATCH", "/odata/accounts("+id+")", `{"name":"`+name+` 3"}`)
			restore()
			if r.status != http.StatusBadGateway || r.header.Get("Retry-After") != "" {
				t.Errorf("an update whose outcome is unknown: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
			}
			if _, code := r.errCode(t); code != "VE6033" {
				t.Errorf("code %s", code)
			}

			restore = server.FailCommit("after")
			e.do("POST", "/api/ve/v1/Delete", `{"EntityName":"account","Id":"`+id+`"}`).want(t, http.StatusNoContent)
			restore()
			if countAccounts(t, f, name+" 3") != 0 {
				t.Error("the delete in doubt left the row")
			}
		})
	}
}

// TestBatchCommitInDoubt: a $batch change set whose COMMIT is in doubt is
// resolved as a single write is: committed (its answers, every row), not
// applied (503 with Retry-After, no row), unknown (502 VE6033); before, it
// was 500 VE5002 whatever had happened.
func TestBatchCommitInDoubt(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.QueryTimeout = 2 * time.Second })
			group := func(name string) []map[string]any {
				return []map[string]any{
					{"id": "1", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": name}},
					{"id": "2", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": name}},
				}
			}
			restore := server.FailCommit("after")
			rs := e.jsonBatch(t, group("batch doubt after"))
			restore()
			wantStatuses(t, rs, 204, 204)
			if n := countAccounts(t, f, "batch doubt after"); n != 2 {
				t.Errorf("a committed change set in doubt: %d rows", n)
			}

			restore = server.FailCommit("before")
			rs = e.jsonBatch(t, group("batch doubt before"))
			restore()
			wantStatuses(t, rs, http.StatusServiceUnavailable)
			if !strings.Contains(string(rs[0].body), "VE6009") && !strings.Contains(string(rs[0].body), "verifiably not there") {
				t.Errorf("a rolled-back change set in doubt: %s", rs[0].body)
			}
			if n := countAccounts(t, f, "batch doubt before"); n != 0 {
				t.Errorf("a rolled-back change set in doubt: %d rows", n)
			}

			restore = server.FailCommit("unreachable")
			rs = e.jsonBatch(t, group("batch doubt unknown"))
			restore()
			wantStatuses(t, rs, http.StatusBadGateway)
			if !strings.Contains(string(rs[0].body), "VE6033") {
				t.Errorf("a change set whose outcome is unknown: %s", rs[0].body)
			}
		})
	}
}
