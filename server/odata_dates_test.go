package server_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/server"
)

// TestODataDateTimeNow: date(), time() and now() in $filter and $orderby
// on every engine, for a caller in the Pacific zone (John, time zone code
// 4), against a reference computed here from the rows: createdon (User
// Local) seen in the caller's zone, now() the server's clock, read per
// request (a plan reading it is not cached).
func TestODataDateTimeNow(t *testing.T) {
	zone, ok := engine.ZoneOfCode(4)
	if !ok {
		t.Fatal("time zone code 4")
	}
	var clock atomic.Int64
	clock.Store(time.Date(2024, 1, 15, 6, 0, 0, 0, time.UTC).Unix()) // 2024-01-14 22:00 in Pacific time
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, func(c *server.Config) {
				c.Users = server.SameIDs{}
				c.Now = func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
			})
			e.user = johnID
			type account struct {
				id, name string
				created  time.Time // zero: null
			}
			read := func(q string) []account {
				t.Helper()
				r := e.do("GET", "/odata/accounts?$select=accountid,name,createdon&"+escapeQuery(q), nil).want(t, 200)
				var out []account
				for _, v := range r.json(t)["value"].([]any) {
					m := v.(map[string]any)
					a := account{id: m["accountid"].(string), name: m["name"].(string)}
					if s, ok := m["createdon"].(string); ok {
						tm, err := time.Parse(time.RFC3339, s)
						if err != nil {
							t.Fatal(err)
						}
						a.created = tm
					}
					out = append(out, a)
				}
				return out
			}
			all := read("$orderby=accountid")
			ids := func(list []account) []string {
				var out []string
				for _, a := range list {
					out = append(out, a.id)
				}
				return out
			}
			local := func(a account) time.Time { return a.created.In(zone) }
			now := func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
			for _, c := range []struct {
				filter string
				ref    func(a account) bool
			}{
				{"date(createdon) eq 2024-01-10", func(a account) bool { return local(a).Format("2006-01-02") == "2024-01-10" }},
				{"date(createdon) lt 2024-02-01", func(a account) bool { return local(a).Format("2006-01-02") < "2024-02-01" }},
				{"time(createdon) ge 12:00", func(a account) bool { return local(a).Format("15:04:05") >= "12:00:00" }},
				{"time(createdon) lt 01:15:00.000", func(a account) bool { return local(a).Format("15:04:05") < "01:15:00" }},
				{"date(createdon) eq date(now())", func(a account) bool {
					return local(a).Format("2006-01-02") == now().In(zone).Format("2006-01-02")
				}},
				{"createdon lt now()", func(a account) bool { return a.created.Before(now()) }},
				{"now() le createdon", func(a account) bool { return !a.created.Before(now()) }},
				{"time(createdon) gt time(now()) and date(createdon) ne date(now())", func(a account) bool {
					l, n := local(a), now().In(zone)
					return l.Format("15:04:05") > n.Format("15:04:05") && l.Format("2006-01-02") != n.Format("2006-01-02")
				}},
			} {
				var want []string
				for _, a := range all {
					if !a.created.IsZero() && c.ref(a) {
						want = append(want, a.id)
					}
				}
				got := ids(read("$filter=" + c.filter + "&$orderby=accountid"))
				if !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", c.filter, got, want)
				}
				if len(want) == 0 || len(want) == len(all) {
					t.Errorf("%s: selects %d of %d rows, which proves little", c.filter, len(want), len(all))
				}
			}
			// The clock moves: the same request answers for the new day.
			before := len(read("$filter=date(createdon) eq date(now())"))
			clock.Add(int64(24 * time.Hour / time.Second))
			var want int
			for _, a := range all {
				if !a.created.IsZero() && local(a).Format("2006-01-02") == now().In(zone).Format("2006-01-02") {
					want++
				}
			}
			if got := len(read("$filter=date(createdon) eq date(now())")); got != want {
				t.Errorf("date(now()) after the clock moved: %d rows, want %d (before: %d)", got, want, before)
			}
			clock.Add(-int64(24 * time.Hour / time.Second))
			// Orders: by local date descending, then time of day, then name.
			got := read("$filter=createdon ne null&$orderby=date(createdon) desc,time(createdon),name")
			ref := slices.Clone(all)
			ref = slices.DeleteFunc(ref, func(a account) bool { return a.created.IsZero() })
			slices.SortStableFunc(ref, func(x, y account) int {
				if c := strings.Compare(local(y).Format("2006-01-02"), local(x).Format("2006-01-02")); c != 0 {
					return c
				}
				if c := strings.Compare(local(x).Format("15:04:05"), local(y).Format("15:04:05")); c != 0 {
					return c
				}
				return 0
			})
			gd := make([]string, len(got))
			for i, a := range got {
				gd[i] = local(a).Format("2006-01-02 15:04:05")
			}
			rd := make([]string, len(ref))
			for i, a := range ref {
				rd[i] = local(a).Format("2006-01-02 15:04:05")
			}
			if !slices.Equal(gd, rd) {
				t.Errorf("$orderby=date(createdon) desc,time(createdon):\n got %v\nwant %v", gd, rd)
			}
			// A Date Only column compares with date() as its date.
			var born int
			for _, v := range e.do("GET", "/odata/contacts?$select=birthdate", nil).want(t, 200).json(t)["value"].([]any) {
				if b, ok := v.(map[string]any)["birthdate"].(string); ok && b <= now().In(zone).Format("2006-01-02") {
					born++
				}
			}
			if got := len(e.do("GET", "/odata/contacts?"+escapeQuery("$select=birthdate&$filter=birthdate le date(now())"), nil).want(t, 200).json(t)["value"].([]any)); got != born || born == 0 {
				t.Errorf("birthdate le date(now()): %d rows, want %d", got, born)
			}
			// Refused with a coded error: a date-time against date(), a
			// fraction of a second, now() against a Date Only column (none
			// here: birthdate is a contact's), the functions still not
			// computed (501).
			for _, c := range []struct {
				path   string
				status int
				code   string
			}{
				{"/odata/accounts?" + escapeQuery("$filter=date(createdon) eq 2024-01-10T00:00:00Z"), 400, "VE2003"},
				{"/odata/accounts?" + escapeQuery("$filter=time(createdon) eq 10:00:00.5"), 501, "VE1018"},
				{"/odata/accounts?" + escapeQuery("$filter=time(createdon) eq 10"), 400, "VE2003"},
				{"/odata/accounts?" + escapeQuery("$filter=createdon eq 10:00"), 400, "VE1014"},
				{"/odata/contacts?" + escapeQuery("$filter=birthdate lt now()"), 400, "VE2004"},
				{"/odata/contacts?" + escapeQuery("$filter=birthdate lt time(now())"), 400, "VE2004"},
				{"/odata/contacts?" + escapeQuery("$filter=time(birthdate) eq 10:00"), 400, "VE2004"},
				{"/odata/accounts?" + escapeQuery("$filter=date(now()) eq 2025-01-01"), 400, "VE1014"},
				{"/odata/accounts?" + escapeQuery("$orderby=date(now())"), 400, "VE1014"},
				{"/odata/accounts?" + escapeQuery("$filter=totaloffsetminutes(createdon) eq 0"), 501, "VE1018"},
				{"/odata/accounts?" + escapeQuery("$filter=createdon lt maxdatetime()"), 501, "VE1018"},
				{"/odata/accounts?" + escapeQuery("$filter=date(createdon) add 1 eq 2"), 400, "VE2004"},
			} {
				r := e.do("GET", c.path, nil)
				if _, ve := r.errCode(t); r.status != c.status || ve != c.code {
					t.Errorf("%s: %d %s, want %d %s: %s", c.path, r.status, ve, c.status, c.code, r.body)
				}
			}
		})
	}
}
