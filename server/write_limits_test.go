package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// accountSnapshot reads the account's columns a value-limit test writes,
// directly from the database, as text.
func accountSnapshot(t *testing.T, f fixture, cat plan.Catalog, id string) []string {
	t.Helper()
	tbl, _ := cat.Table("account")
	names := []string{"name", "accountnumber", "numberofemployees", "revenue", "address1_latitude", "industrycode", "statecode", "new_tags", "createdon", "new_contractend", "description"}
	cols := make([]string, len(names))
	for i, n := range names {
		c, ok := tbl.Column(n)
		if !ok {
			t.Fatalf("no column %s", n)
		}
		cols[i] = c.PhysicalName
	}
	pk, _ := tbl.Column("accountid")
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", strings.Join(cols, ", "), tbl.PhysicalName, pk.PhysicalName, ph(f, 1))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := f.db.SQL.QueryRowContext(context.Background(), q, id).Scan(ptrs...); err != nil {
		t.Fatalf("reading account %s directly: %v", id, err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = names[i] + "=" + dbText(v)
	}
	return out
}

// TestWriteValueLimits: every value beyond the metadata (length, Int32,
// Money and Decimal range, DateTime range, options, NUL and invalid
// UTF-8) is refused with 400 and its code, naming the attribute, through
// the SDK's Update and Create and OData's PATCH and POST, before the
// database sees it: the row is unchanged and no row is created, on every
// engine (SQLite, which checks nothing, included). Values within the
// limits are rounded to the column's decimal places alike everywhere.
func TestWriteValueLimits(t *testing.T) {
	long := strings.Repeat("é", 161)
	refused := []struct {
		name, attrs, code string
	}{
		{"text over maxLength", `{"name":"` + long + `"}`, "VE6016"},
		{"account number over 20", `{"accountnumber":"123456789012345678901"}`, "VE6016"},
		{"memo over maxLength", `{"description":"` + strings.Repeat("x", 2001) + `"}`, "VE6016"},
		{"Int32 overflow", `{"numberofemployees":2147483648}`, "VE6016"},
		{"Int32 underflow", `{"numberofemployees":-2147483649}`, "VE6016"},
		{"Int64 overflow", `{"numberofemployees":9223372036854775808}`, "VE6016"},
		{"Money overflow", `{"revenue":922337203685478}`, "VE6016"},
		{"Money overflow wrapped", `{"revenue":{"Value":-1000000000000000}}`, "VE6016"},
		{"Double over range", `{"address1_latitude":100000000001}`, "VE6016"},
		{"year 0000", `{"createdon":"0000-01-01T00:00:00Z"}`, "VE6016"},
		{"before 1753", `{"new_contractend":"1752-12-31"}`, "VE6016"},
		{"after 9999 in UTC", `{"createdon":"9999-12-31T23:30:00-01:00"}`, "VE6016"},
		{"choice not in options", `{"industrycode":34}`, "VE6016"},
		{"state not in options", `{"statecode":{"Value":2}}`, "VE6016"},
		{"multi-select not in options", `{"new_tags":[1,6]}`, "VE6016"},
		{"NUL", `{"name":"a\u0000b"}`, "VE6017"},
		{"invalid UTF-8", "{\"name\":\"a\xff\xfeb\"}", "VE6017"},
		{"unpaired surrogate", `{"name":"a\ud800b"}`, "VE6017"},
		{"unpaired low surrogate", `{"name":"a\udc00"}`, "VE6017"},
	}
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			before := accountSnapshot(t, f, f.cat, acc1)
			for _, r := range refused {
				e.do("POST", "/api/ve/v1/Update", sdkUpdate(acc1, r.attrs)).wantErrorNamed(t, "Update "+r.name, r.code)
				e.do("PATCH", "/odata/accounts("+acc1+")", r.attrs).wantErrorNamed(t, "PATCH "+r.name, r.code)
				if got := accountSnapshot(t, f, f.cat, acc1); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("%s: the refused write changed the row:\n%v\nwas\n%v", r.name, got, before)
				}
				name := "limit " + r.name
				attrs := strings.Replace(r.attrs, "{", `{"name":"`+name+`",`, 1)
				if strings.HasPrefix(r.attrs, `{"name"`) {
					attrs = r.attrs
				}
				e.do("POST", "/api/ve/v1/Create", sdkCreate(attrs)).wantErrorNamed(t, "Create "+r.name, r.code)
				e.do("POST", "/odata/accounts", attrs).wantErrorNamed(t, "POST "+r.name, r.code)
				if n := countAccounts(t, f, name); n != 0 {
					t.Errorf("%s: a refused create stored %d rows", r.name, n)
				}
			}
			// A refusal names the attribute.
			r := e.do("PATCH", "/odata/accounts("+acc1+")", `{"numberofemployees":2147483648}`)
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "numberofemployees") {
				t.Errorf("the refusal does not name the attribute: %d %s", r.status, r.body)
			}
			// At the limits: stored, decimals rounded as Dataverse rounds.
			e.do("PATCH", "/odata/accounts("+acc1+")", `{"name":"`+long[2:]+`","numberofemployees":2147483647,"revenue":922337203685476.99995,"address1_latitude":1.234565,"createdon":"1753-01-01T00:00:00Z","new_tags":[5,1]}`).
				want(t, http.StatusNoContent)
			got := strings.Join(accountSnapshot(t, f, f.cat, acc1), " ")
			for _, want := range []string{`name=` + long[2:] + ` `, `numberofemployees=2147483647 `, `revenue=922337203685477(\.0+)? `, `address1_latitude=1.23457 `, `createdon=1753-01-01`} {
				if !regexp.MustCompile(want).MatchString(got + " ") {
					t.Errorf("after the write at the limits, want %q in %s", want, got)
				}
			}
		})
	}
}

// TestDatabaseValueRefusalIs400: a value the metadata does not limit but
// the database refuses (a column declared narrower than the metadata says)
// is 400 VE6016 with the database's sentence, never 500, and the row is
// unchanged (PostgreSQL class 22, MySQL 1406 and 1264).
func TestDatabaseValueRefusalIs400(t *testing.T) {
	for _, f := range fixtures(t) {
		if f.name == "sqlite" {
			continue // SQLite refuses nothing by declared type: the metadata's limits are its only check
		}
		t.Run(f.name, func(t *testing.T) {
			cat := loosened(t, f.cat)
			e := newEnv(t, fixture{f.name, f.db, cat}, nil)
			before := accountSnapshot(t, f, f.cat, acc1)
			for _, body := range []string{
				`{"name":"` + strings.Repeat("x", 161) + `"}`, // VARCHAR(160)
				`{"numberofemployees":2147483648}`,            // INTEGER
			} {
				r := e.do("PATCH", "/odata/accounts("+acc1+")", body)
				r.wantErrorNamed(t, body[:20], "VE6016")
				if !strings.Contains(string(r.body), "database refused") {
					t.Errorf("%s: %s", body[:20], r.body)
				}
			}
			if got := accountSnapshot(t, f, f.cat, acc1); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("a refused write changed the row:\n%v\nwas\n%v", got, before)
			}
		})
	}
}

// loosened is cat with the account's name unlimited and its
// numberofemployees a BigInt, so that only the database limits them.
func loosened(t *testing.T, cat plan.Catalog) plan.Catalog {
	t.Helper()
	out := plan.MapCatalog{}
	for _, n := range []string{"account", "contact", "systemuser", "team", "businessunit"} {
		tbl, ok := cat.Table(n)
		if !ok {
			t.Fatalf("no table %s", n)
		}
		if n != "account" {
			out.Add(tbl)
			continue
		}
		cp := *tbl
		cp.Columns = nil
		for _, c := range tbl.Columns {
			cc := *c
			switch c.LogicalName {
			case "name":
				cc.MaxLength = 0
			case "numberofemployees":
				cc.Type = plan.TBigInt
			}
			cp.Columns = append(cp.Columns, &cc)
		}
		out.Add(plan.NewTable(cp))
	}
	return out
}
