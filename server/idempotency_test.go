package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// TestIdempotencyKey: a create retried with its Idempotency-Key returns
// the first answer and creates nothing more (OData POST and SDK Create,
// concurrent retries included, and retries after a COMMIT in doubt); the
// key with another body is 422 VE6034; keys are per acting user; the
// header elsewhere is refused; on every engine.
func TestIdempotencyKey(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			table := fmt.Sprintf("srv%d_vecompile_idempotency", os.Getpid())
			t.Cleanup(func() { f.db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table) })
			e := newEnv(t, f, func(c *server.Config) { c.IdempotencyTable, c.QueryTimeout = table, 2*time.Second })
			post := func(key, name string) *response {
				return e.do("POST", "/odata/accounts", `{"name":"`+name+`"}`, "Idempotency-Key", key)
			}
			first := post("k-1", "idem one").want(t, http.StatusNoContent)
			again := post("k-1", "idem one").want(t, http.StatusNoContent)
			if first.header.Get("OData-EntityId") != again.header.Get("OData-EntityId") || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the retry is not the first answer: %q / %q (replayed %q)", first.header.Get("OData-EntityId"), again.header.Get("OData-EntityId"), again.header.Get("Idempotent-Replayed"))
			}
			if n := countAccounts(t, f, "idem one"); n != 1 {
				t.Errorf("%d rows for one keyed create retried", n)
			}
			post("k-1", "idem other").wantError(t, http.StatusUnprocessableEntity, "", "VE6034")
			if n := countAccounts(t, f, "idem other"); n != 0 {
				t.Errorf("a reused key created %d rows", n)
			}
			// Another acting user's key is another key.
			e.user = ownerID
			post("k-1", "idem one").want(t, http.StatusNoContent)
			e.user = managerID
			if n := countAccounts(t, f, "idem one"); n != 2 {
				t.Errorf("%d rows: keys are per user", n)
			}
			// SDK Create.
			body := sdkCreate(`{"name":"idem sdk"}`)
			a := e.do("POST", "/api/ve/v1/Create", body, "Idempotency-Key", "k-2").want(t, http.StatusOK).json(t)["id"]
			b := e.do("POST", "/api/ve/v1/Create", body, "Idempotency-Key", "k-2").want(t, http.StatusOK).json(t)["id"]
			if a != b || countAccounts(t, f, "idem sdk") != 1 {
				t.Errorf("SDK retry: %v / %v, %d rows", a, b, countAccounts(t, f, "idem sdk"))
			}
			// Concurrent retries.
			var wg sync.WaitGroup
			ids := make([]string, 8)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := post("k-3", "idem race")
					ids[i] = fmt.Sprint(r.status, r.header.Get("OData-EntityId"))
				}()
			}
			wg.Wait()
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Errorf("concurrent retries answered differently: %v", ids)
					break
				}
			}
			if n := countAccounts(t, f, "idem race"); n != 1 {
				t.Errorf("%d rows after 8 concurrent retries", n)
			}
			// A COMMIT in doubt, then the client's retry: exactly one row.
			for _, mode := range []string{"before", "after", "unreachable"} {
				name := "idem doubt " + mode
				restore := server.FailCommit(mode)
				r := post("k-doubt-"+mode, name)
				restore()
				post("k-doubt-"+mode, name).want(t, http.StatusNoContent)
				if n := countAccounts(t, f, name); n != 1 {
					t.Errorf("%s: first answer %d, then %d rows", mode, r.status, n)
				}
			}
			// Not a create.
			e.do("PATCH", "/odata/accounts("+acc1+")", `{"name":"Contoso Ltd"}`, "Idempotency-Key", "k-4").wantError(t, http.StatusBadRequest, "", "VE1009")
			e.do("POST", "/odata/accounts", `{"name":"x"}`, "Idempotency-Key", strings.Repeat("k", 201)).wantError(t, http.StatusBadRequest, "", "VE1005")
		})
	}
}

// TestIdempotencyKeyExpiry: a key reused after its retention is a new
// create, at once (its expired row is replaced in the create's
// transaction), whether the body is the first one or another; before, it
// was 409 until an occasional sweep removed the row. The clock is
// Config.Now, moved by the test.
func TestIdempotencyKeyExpiry(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			table := fmt.Sprintf("srv%d_vecompile_idem_expiry", os.Getpid())
			t.Cleanup(func() { f.db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table) })
			var mu sync.Mutex
			now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			e := newEnv(t, f, func(c *server.Config) { c.IdempotencyTable, c.Now = table, clock })
			post := func(name string) *response {
				return e.do("POST", "/odata/accounts", `{"name":"`+name+`"}`, "Idempotency-Key", "k-expiry")
			}
			first := post("idem expiry").want(t, http.StatusNoContent)
			advance(server.IdempotencyRetention - time.Minute)
			if r := post("idem expiry").want(t, http.StatusNoContent); r.header.Get("OData-EntityId") != first.header.Get("OData-EntityId") {
				t.Errorf("within the retention the retry is not replayed: %q / %q", first.header.Get("OData-EntityId"), r.header.Get("OData-EntityId"))
			}
			advance(2 * time.Minute)
			second := post("idem expiry").want(t, http.StatusNoContent)
			if second.header.Get("OData-EntityId") == first.header.Get("OData-EntityId") || second.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("an expired key replayed: %q (replayed %q)", second.header.Get("OData-EntityId"), second.header.Get("Idempotent-Replayed"))
			}
			if n := countAccounts(t, f, "idem expiry"); n != 2 {
				t.Errorf("%d rows: the expired key should have created again", n)
			}
			// The key now holds the new create, for another retention.
			if r := post("idem expiry").want(t, http.StatusNoContent); r.header.Get("OData-EntityId") != second.header.Get("OData-EntityId") {
				t.Errorf("the renewed key does not replay its create: %q", r.header.Get("OData-EntityId"))
			}
			advance(server.IdempotencyRetention + time.Minute)
			post("idem expiry other").want(t, http.StatusNoContent)
			if n := countAccounts(t, f, "idem expiry other"); n != 1 {
				t.Errorf("an expired key with another body: %d rows", n)
			}
		})
	}
}
