package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

// The compiled-request cache (server/compiled.go) must answer exactly as
// a server without it: per caller, across security reloads, and never
// for a plan that read the clock.

// compiledReads are the reads the cache tests send: OData collections
// with a single- and a collection-valued $expand, a read by key, a
// RetrieveMultiple and a Retrieve.
var compiledReads = []struct{ method, path, body string }{
	{"GET", "/odata/accounts?$select=name,revenue&$orderby=name&$top=20", ""},
	{"GET", "/odata/opportunities?$select=name,estimatedvalue&$filter=statecode%20eq%200&$orderby=estimatedvalue%20desc&$top=10&$expand=customerid_account($select=name)", ""},
	{"GET", "/odata/accounts?$select=name&$orderby=name&$top=5&$expand=contact_customer_accounts($select=fullname;$orderby=fullname)", ""},
	{"GET", "/odata/accounts(" + contoso + ")?$select=name,revenue", ""},
	{"POST", "/api/ve/v1/RetrieveMultiple", `<fetch count="10"><entity name="account"><attribute name="name"/><attribute name="revenue"/><order attribute="name"/></entity></fetch>`},
	{"POST", "/api/ve/v1/Retrieve", `{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name","revenue"]}}`},
}

// answer is a reply reduced to what the cache must not change: status
// and body (the OData context URL names the test server's address, the
// same for both servers of a comparison only after this rewrite).
func answer(e *env, method, path, body string) string {
	var b any
	if body != "" {
		b = body
	}
	r := e.do(method, path, b)
	return fmt.Sprintf("%d %s", r.status, strings.ReplaceAll(string(r.body), e.http.URL, "URL"))
}

func adminModel(t *testing.T, m *security.Compiled, user string) *security.Compiled {
	t.Helper()
	b, err := json.Marshal(m.Model())
	if err != nil {
		t.Fatal(err)
	}
	var cp security.Model
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	for i := range cp.Users {
		if strings.EqualFold(cp.Users[i].ID, user) {
			cp.Users[i].Roles = []security.RoleAssignment{{RoleID: "f1000000-0000-4000-8000-000000000001"}}
		}
	}
	c, err := security.Compile(&cp)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompiledReadsMatchUncached(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			cached := newSecuredEnv(t, f)
			plain := newEnv(t, f.fixture, func(c *server.Config) {
				c.Insecure = false
				c.Security = server.NewSecurityModel(f.model)
				c.Users = server.SameIDs{Contacts: true}
				c.CompiledReads = -1
			})
			// Two callers with other rights, each twice, interleaved: the
			// second round is served from the cache.
			for round := range 2 {
				for _, user := range []string{priyaID, johnID, kenjiID} {
					cached.user, plain.user = user, user
					for _, rd := range compiledReads {
						got, want := answer(cached, rd.method, rd.path, rd.body), answer(plain, rd.method, rd.path, rd.body)
						if got != want {
							t.Errorf("round %d, user %s, %s %s:\ncached %.300s\nplain  %.300s", round, user, rd.method, rd.path, got, want)
						}
					}
				}
			}
			entries, hits := cached.srv.CompiledReadStats()
			if entries != 3*len(compiledReads) || hits < int64(3*len(compiledReads)) {
				t.Errorf("%d entries, %d hits: want one entry per user and read, each hit in round 2", entries, hits)
			}
			if e, _ := plain.srv.CompiledReadStats(); e != 0 {
				t.Errorf("CompiledReads -1 cached %d reads", e)
			}
		})
	}
}

func TestCompiledReadsSecurityReload(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			sm := server.NewSecurityModel(f.model)
			e := newEnv(t, f.fixture, func(c *server.Config) {
				c.Insecure = false
				c.Security = sm
				c.Users = server.SameIDs{Contacts: true}
			})
			e.user = priyaID
			const path = "/odata/accounts?$select=name&$orderby=name"
			count := func() int { return len(e.do("GET", path, nil).want(t, 200).json(t)["value"].([]any)) }
			before := count()
			if count() != before {
				t.Fatal("the same read answered twice differently")
			}
			_, hits := e.srv.CompiledReadStats()
			if hits == 0 {
				t.Fatal("the repeated read was not served from the cache")
			}
			sm.SetModel(adminModel(t, f.model, priyaID))
			if after := count(); after <= before {
				t.Errorf("after SetModel made her an administrator she reads %d accounts, as before (%d): a stale plan", after, before)
			}
			sm.SetModel(f.model)
			if again := count(); again != before {
				t.Errorf("after SetModel restored the model she reads %d accounts, want %d", again, before)
			}
			_, h1 := e.srv.CompiledReadStats()
			sm.Invalidate()
			count()
			if _, h2 := e.srv.CompiledReadStats(); h2 != h1 {
				t.Error("a read after Invalidate was served from the cache")
			}
		})
	}
}

// TestCompiledReadsClock: a plan holding today's boundaries (a relative
// date operator) is compiled each time.
func TestCompiledReadsClock(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	body := `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="createdon" operator="last-x-days" value="3650"/></filter></entity></fetch>`
	for range 2 {
		e.do("POST", "/api/ve/v1/RetrieveMultiple", body).want(t, 200)
	}
	if entries, hits := e.srv.CompiledReadStats(); entries != 0 || hits != 0 {
		t.Errorf("a relative-date read was cached: %d entries, %d hits", entries, hits)
	}
}

// TestCompiledReadsConcurrent runs callers with other rights on the same
// reads at once (go test -race): each gets its own answer.
func TestCompiledReadsConcurrent(t *testing.T) {
	f := securedFixtures(t)[0]
	e := newSecuredEnv(t, f)
	users := []string{priyaID, johnID, kenjiID}
	want := map[string][]string{}
	for _, u := range users {
		e.user = u
		for _, rd := range compiledReads {
			want[u] = append(want[u], answer(e, rd.method, rd.path, rd.body))
		}
	}
	h := e.srv.Handler()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := users[w%len(users)]
			for range 20 {
				for i, rd := range compiledReads {
					req := httptest.NewRequest(rd.method, e.http.URL+rd.path, bytes.NewReader([]byte(rd.body)))
					req.Header.Set("Authorization", "Bearer "+e.token)
					req.Header.Set(server.HeaderUserID, u)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					got := fmt.Sprintf("%d %s", rec.Code, strings.ReplaceAll(rec.Body.String(), e.http.URL, "URL"))
					if got != want[u][i] {
						t.Errorf("user %s, %s: got %.200s, want %.200s", u, rd.path, got, want[u][i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
