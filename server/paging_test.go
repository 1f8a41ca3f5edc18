package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/server"
)

// oneToMany pages accounts with their contacts (a 1:N outer link: an
// account repeats once per contact), ordered by city then name.
func oneToMany(count int, page int, cookie string) string {
	paging := ""
	if count > 0 {
		paging = fmt.Sprintf(` count="%d" page="%d"`, count, page)
		if cookie != "" {
			paging += ` paging-cookie="` + cookie + `"`
		}
	}
	return `<fetch` + paging + `><entity name="account"><attribute name="name"/><attribute name="address1_city"/>
<order attribute="address1_city" descending="true"/><order attribute="name"/>
<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="c"><attribute name="contactid"/><attribute name="fullname"/></link-entity>
</entity></fetch>`
}

// rowKey names a result row: the account and its contact.
func rowKey(x map[string]any) string {
	c, _ := attr(x, "c.contactid").(string)
	return x["Id"].(string) + "/" + c
}

func TestKeysetPagingWithOneToManyLink(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			full := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(0, 0, "")).want(t, 200).json(t))
			var want []string
			repeats := map[string]int{}
			for _, x := range full {
				want = append(want, rowKey(x))
				repeats[x["Id"].(string)]++
			}
			multi := 0
			for _, n := range repeats {
				if n > 1 {
					multi++
				}
			}
			if multi == 0 || len(full) < 10 {
				t.Fatalf("the fixture lacks accounts with several contacts (%d rows)", len(full))
			}
			var got []string
			cookie := ""
			for page := 1; ; page++ {
				m := e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(3, page, cookie)).want(t, 200).json(t)
				for _, x := range entities(t, m) {
					got = append(got, rowKey(x))
				}
				if m["MoreRecords"] != true {
					if m["PagingCookie"] != nil && m["PagingCookie"] != "" {
						t.Errorf("last page has a cookie")
					}
					break
				}
				cookie = m["PagingCookie"].(string)
				if page > 50 {
					t.Fatal("paging does not end")
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("pages joined differ from the unpaged result:\n got %v\nwant %v", got, want)
			}

			// Keyset, not offset: a row inserted before the boundary does not
			// shift the next page. 'Øzz' sorts before the first page's cities
			// (descending: 'ø' does not fold, and sorts after 'z').
			p1 := e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(3, 1, "")).want(t, 200).json(t)
			cookie = p1["PagingCookie"].(string)
			id := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account",
				"Attributes": map[string]any{"name": "AAA Inserted", "address1_city": "Øzz"}}}).want(t, 200).json(t)["id"].(string)
			defer e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": id})
			p2 := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(3, 2, cookie)).want(t, 200).json(t))
			if len(p2) == 0 || rowKey(p2[0]) != want[3] {
				t.Errorf("page 2 after an insert before the boundary starts at %v, want %s", p2, want[3])
			}

			// Tampered, foreign and malformed cookies are 400.
			raw, sig, _ := strings.Cut(cookie, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(raw)
			forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"p":1`, `"p":7`, 1))) + "." + sig
			for _, bad := range []string{forged, cookie[:len(cookie)-2] + "xx", "garbage", "a.b"} {
				e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(3, 2, bad)).wantError(t, 400, "", "VE6003")
			}
			other := strings.Replace(oneToMany(3, 2, cookie), `<attribute name="name"/>`, `<attribute name="accountnumber"/>`, 1)
			e.do("POST", "/api/ve/v1/RetrieveMultiple", other).wantError(t, 400, "", "VE6003")
			// Another server (another key) does not accept the cookie.
			e2 := newEnv(t, f, func(c *server.Config) { c.PagingKey = []byte("another key") })
			e2.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(3, 2, cookie)).wantError(t, 400, "", "VE6003")
		})
	}
}

// TestKeysetPagingAscending pages by an ascending first key, where the
// continuation leads with a bound an index can seek to (name >= the last
// name, by its folding): the pages joined are the unpaged result, for a
// string key (some names NULL or repeated in case) and an integer one.
func TestKeysetPagingAscending(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			for _, order := range []string{`<order attribute="name"/>`, `<order attribute="numberofemployees"/><order attribute="name" descending="true"/>`} {
				query := func(paging string) string {
					return `<fetch` + paging + `><entity name="account"><attribute name="name"/><attribute name="numberofemployees"/>` + order +
						`<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="c"><attribute name="contactid"/></link-entity></entity></fetch>`
				}
				var want, got []string
				for _, x := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", query("")).want(t, 200).json(t)) {
					want = append(want, rowKey(x))
				}
				cookie := ""
				for page := 1; page <= 60; page++ {
					paging := fmt.Sprintf(` count="4" page="%d"`, page)
					if cookie != "" {
						paging += ` paging-cookie="` + cookie + `"`
					}
					m := e.do("POST", "/api/ve/v1/RetrieveMultiple", query(paging)).want(t, 200).json(t)
					for _, x := range entities(t, m) {
						got = append(got, rowKey(x))
					}
					if m["MoreRecords"] != true {
						break
					}
					cookie = m["PagingCookie"].(string)
				}
				if len(want) < 8 || strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s: pages joined differ from the unpaged result:\n got %v\nwant %v", order, got, want)
				}
			}
		})
	}
}

// TestOffsetPagingFallback: an order by a lookup's name cannot page by
// keys; cookies still work (signed, by page number).
func TestOffsetPagingFallback(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	q := func(page int, cookie string) string {
		c := ""
		if cookie != "" {
			c = ` paging-cookie="` + cookie + `"`
		}
		return fmt.Sprintf(`<fetch count="5" page="%d"%s><entity name="account"><attribute name="name"/><order attribute="ownerid"/></entity></fetch>`, page, c)
	}
	full := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", strings.Replace(q(1, ""), `count="5" page="1"`, "", 1)).want(t, 200).json(t))
	var got []string
	cookie := ""
	for page := 1; page < 10; page++ {
		m := e.do("POST", "/api/ve/v1/RetrieveMultiple", q(page, cookie)).want(t, 200).json(t)
		for _, x := range entities(t, m) {
			got = append(got, x["Id"].(string))
		}
		if m["MoreRecords"] != true {
			break
		}
		cookie = m["PagingCookie"].(string)
	}
	if len(got) != len(full) {
		t.Errorf("offset paging returned %d rows, want %d", len(got), len(full))
	}
}

func TestPageCapAndAggregateLimit(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch count="5001"><entity name="account"/></fetch>`).wantError(t, 400, "", "VE1010")
	r := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch aggregate="true" aggregatelimit="5"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`)
	r.wantError(t, 400, "0x8004E023", "VE5007")
	m := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch aggregate="true"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`).want(t, 200).json(t)
	if x := entities(t, m); len(x) != 1 || fmt.Sprint(attr(x[0], "n")) != "40" {
		t.Errorf("aggregate: %v", m)
	}
}

func TestRequestLimits(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, func(c *server.Config) { c.MaxBody = 4096; c.MaxDepth = 8 })
	big := `{"EntityName":"account","Id":"` + strings.Repeat("a", 5000) + `"}`
	e.do("POST", "/api/ve/v1/Retrieve", big).wantError(t, 413, "", "VE6004")
	deep := `{"Target":{"LogicalName":"account","Attributes":{"name":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}}}`
	e.do("POST", "/api/ve/v1/Create", deep).wantError(t, 413, "", "VE6004")
	e.do("POST", "/api/ve/v1/RetrieveMultiple", `{"EntityName":"account","Criteria":`+strings.Repeat(`{"Filters":[`, 10)).wantError(t, 413, "", "VE6004")
	// Bad input of every kind, at every endpoint: never a 500.
	bodies := []string{"", "null", "{", "[]", `{"EntityName":1}`, "<fetch>", `{"Target":{"LogicalName":"account","Attributes":{"name":{"x":1}}}}`,
		`{"ActionName":"x","Parameters":[]}`, "\x00\xff", `{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name' OR 1=1 --"]}}`,
		`<fetch><entity name="account"><filter><condition attribute="name" operator="eq" value="x'; DROP TABLE account; --"/></filter></entity></fetch>`}
	for _, ep := range []string{"Retrieve", "RetrieveMultiple", "Create", "Update", "Delete", "PerformAction"} {
		for _, b := range bodies {
			if r := e.do("POST", "/api/ve/v1/"+ep, b); r.status >= 500 {
				t.Errorf("%s with %q: %d %s", ep, b, r.status, r.body)
			}
		}
	}
	for _, p := range []string{"/odata/accounts(", "/odata/accounts(x)", "/odata/accounts(accountid=1)", "/odata/accounts?$top=-1", "/odata/accounts?$top=x", "/odata/accounts?$skiptoken=zz", "/odata/accounts?$count=maybe", "/odata/%20"} {
		if r := e.do("GET", p, nil); r.status >= 500 || r.status < 400 {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
	}
	// The accounts table survived the injection attempts.
	e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso}).want(t, 200)
}

// TestDatabaseDown: an unreachable database is 503 with Retry-After, and
// readiness says so; a reachable one is served again without a restart.
func TestDatabaseDown(t *testing.T) {
	f := fixtures(t)[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	cfg, err := pgx.ParseConfig("postgres://postgres@" + addr + "/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	down := &engine.DB{SQL: stdlib.OpenDB(*cfg), Dialect: engine.Postgres}
	defer down.Close()
	e := newEnv(t, fixture{"down", down, f.cat}, func(c *server.Config) { c.Users = server.MapDirectory{server.DataverseUser: {managerID: managerID}} })
	r := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)
	r.wantError(t, 503, "", "VE6009")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	e.do("GET", "/readyz", nil).wantError(t, 503, "", "VE6009")
}

// TestQueryTimeout: the deadline reaches the database, which cancels the
// query; the client gets 504, not a hang or a 500.
func TestQueryTimeout(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.QueryTimeout = time.Nanosecond })
			e.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(0, 0, "")).wantError(t, 504, "", "VE6008")
			// The pool is still usable afterwards.
			e2 := newEnv(t, f, nil)
			e2.do("POST", "/api/ve/v1/RetrieveMultiple", oneToMany(0, 0, "")).want(t, 200)
		})
	}
}

func TestGracefulShutdown(t *testing.T) {
	f := fixtures(t)[0]
	srv, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: testVerifier(), Users: testUsers(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	buf := make([]byte, 64)
	if n, _ := conn.Read(buf); !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("healthz: %q", buf[:n])
	}
	conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

// TestQueryCancelledMidway: a query still running at the deadline is
// stopped in the database (the request returns soon after the timeout, as
// 504), and the server keeps serving.
func TestQueryCancelledMidway(t *testing.T) {
	// Links on statecode join every account with most rows of each table:
	// billions of rows to sort.
	var links strings.Builder
	for i, tbl := range []string{"contact", "opportunity", "account", "contact", "opportunity"} {
		fmt.Fprintf(&links, `<link-entity name="%s" from="statecode" to="statecode" link-type="outer" alias="x%d"><attribute name="statecode"/></link-entity>`, tbl, i)
	}
	slow := `<fetch count="10"><entity name="account"><attribute name="name"/><order attribute="name"/>` + links.String() + `</entity></fetch>`
	for _, f := range fixtures(t) {
		// On MariaDB the engine stops the statement with KILL CONNECTION
		// (engine/cancel_mysql.go); the fixture's tables are dropped at
		// cleanup, which would wait for a statement left running.
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) { c.QueryTimeout = 300 * time.Millisecond })
			start := time.Now()
			e.do("POST", "/api/ve/v1/RetrieveMultiple", slow).wantError(t, 504, "", "VE6008")
			// Uncancelled, the query runs for hours; a loaded machine may take
			// a few seconds to deliver the cancellation.
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("the cancelled query took %s to stop", d)
			}
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso}).want(t, 200)
		})
	}
}

// TestKeysetPagingRootFirst pages contacts with their account (an outer
// N:1 link: the contacts are ordered and limited before the join,
// plan.Plan.RootFirst), through every page's cookie: the pages joined are
// the rows of the same query written the usual way (a root filter on the
// link that holds for every row keeps it from being written root first).
func TestKeysetPagingRootFirst(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			for _, order := range []string{`<order attribute="lastname" descending="true"/>`, `<order attribute="fullname"/>`} {
				query := func(paging, filter string) string {
					return `<fetch` + paging + `><entity name="contact"><attribute name="fullname"/><attribute name="lastname"/>` + order + filter +
						`<link-entity name="account" from="accountid" to="parentcustomerid" link-type="outer" alias="a"><attribute name="name"/></link-entity></entity></fetch>`
				}
				key := func(x map[string]any) string {
					n, _ := attr(x, "a.name").(string)
					return x["Id"].(string) + "/" + n
				}
				var want, got []string
				always := `<filter type="or"><condition entityname="a" attribute="name" operator="null"/><condition entityname="a" attribute="name" operator="not-null"/></filter>`
				withName := 0
				for _, x := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", query("", always)).want(t, 200).json(t)) {
					want = append(want, key(x))
					if attr(x, "a.name") != nil {
						withName++
					}
				}
				cookie := ""
				for page := 1; page <= 60; page++ {
					paging := fmt.Sprintf(` count="4" page="%d"`, page)
					if cookie != "" {
						paging += ` paging-cookie="` + cookie + `"`
					}
					m := e.do("POST", "/api/ve/v1/RetrieveMultiple", query(paging, "")).want(t, 200).json(t)
					for _, x := range entities(t, m) {
						got = append(got, key(x))
					}
					if m["MoreRecords"] != true {
						break
					}
					cookie = m["PagingCookie"].(string)
				}
				if len(want) < 9 || withName == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s: pages joined differ from the unpaged result (%d rows, %d with an account):\n got %v\nwant %v", order, len(want), withName, got, want)
				}
			}
		})
	}
}
