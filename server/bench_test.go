package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/plan"
)

// The benchmarks compare a request through the server (handler in
// process, and over loopback HTTP) with the same SQL run directly through
// database/sql and the driver, all rows scanned: the difference is what
// the server adds (auth, parse, plan, emit, typing, JSON).

const benchMulti = `<fetch count="10"><entity name="account"><attribute name="name"/><attribute name="revenue"/><order attribute="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" link-type="outer" alias="pc"><attribute name="fullname"/></link-entity>
<link-entity name="systemuser" from="systemuserid" to="ownerid" link-type="outer" alias="o"><attribute name="fullname"/></link-entity>
</entity></fetch>`

var benchRetrieve = `{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name","address1_city","revenue"]}}`

func BenchmarkRetrieve(b *testing.B) {
	benchPair(b, "Retrieve", benchRetrieve, `<fetch top="2"><entity name="account"><attribute name="name"/><attribute name="address1_city"/><attribute name="revenue"/>
<filter><condition attribute="accountid" operator="eq" value="`+contoso+`"/></filter></entity></fetch>`, 1)
}

func BenchmarkRetrieveMultiple(b *testing.B) {
	benchPair(b, "RetrieveMultiple", benchMulti, benchMulti, 10)
}

func benchPair(b *testing.B, endpoint, body, sameQuery string, wantRows int) {
	for _, f := range benchFixtures(b) {
		e := newBenchEnv(b, f)
		// The statement the server runs, for the direct baseline.
		q, err := vecompile.Parse("bench", []byte(sameQuery))
		if err != nil {
			b.Fatal(err)
		}
		p, err := plan.Build(q, plan.Options{Catalog: f.cat})
		if err != nil {
			b.Fatal(err)
		}
		d, _ := sqlemit.DialectByName(f.db.Dialect)
		st, err := sqlemit.Emit(p, d)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f.name+"/direct-sql", func(b *testing.B) {
			ctx := context.Background()
			vals := make([]any, len(st.Columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			var lat latencies
			defer func() { lat.report(b) }()
			for b.Loop() {
				start := time.Now()
				rows, err := f.db.SQL.QueryContext(ctx, st.SQL, st.Args...)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					if err := rows.Scan(ptrs...); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
				lat.add(start)
				if n < wantRows {
					b.Fatalf("%d rows", n)
				}
			}
		})
		req := func() *http.Request {
			r := httptest.NewRequest("POST", "/api/ve/v1/"+endpoint, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+e.token)
			r.Header.Set("X-VE-User-Id", managerID)
			return r
		}
		h := e.srv.Handler()
		b.Run(f.name+"/handler", func(b *testing.B) {
			var lat latencies
			defer func() { lat.report(b) }()
			for b.Loop() {
				start := time.Now()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req())
				lat.add(start)
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
		b.Run(f.name+"/http-loopback", func(b *testing.B) {
			c := e.http.Client()
			var lat latencies
			defer func() { lat.report(b) }()
			for b.Loop() {
				start := time.Now()
				r, _ := http.NewRequest("POST", e.http.URL+"/api/ve/v1/"+endpoint, strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+e.token)
				r.Header.Set("X-VE-User-Id", managerID)
				res, err := c.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				var v map[string]any
				json.NewDecoder(res.Body).Decode(&v)
				res.Body.Close()
				lat.add(start)
				if res.StatusCode != 200 {
					b.Fatalf("%d", res.StatusCode)
				}
			}
		})
	}
}

// latencies records per-request times and reports their p50 and p99 (µs).
type latencies []time.Duration

func (l *latencies) add(start time.Time) { *l = append(*l, time.Since(start)) }

func (l latencies) report(b *testing.B) {
	if len(l) < 100 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(float64(l[len(l)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(l[len(l)*99/100].Microseconds()), "p99-µs")
}
