package vecompile_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/security"
)

// TestComputedFiltersAcrossEngines runs OData filters on canonical
// functions and arithmetic over the sample's accounts on SQLite,
// PostgreSQL and MariaDB, and compares each engine's rows with a
// reference computed here in Go from the rows themselves (OData's
// definitions: two-valued logic, 0-based positions, integer division
// truncating, round half away from zero, division by zero null, strings
// compared case- and accent-insensitively and padded). Each filter and its
// negation must partition the table.
func TestComputedFiltersAcrossEngines(t *testing.T) {
	ctx := context.Background()
	dsns := map[string]string{"sqlite": ""}
	for k, v := range ownEngineDatabases(t, "vccomp") {
		dsns[k] = v
	}
	type row struct {
		id, name, city     string
		nameNull, cityNull bool
		revenue            float64
		revNull            bool
		emp                int64
		empNull            bool
		created            time.Time
		createdNull        bool
	}
	fold := func(s string) string { return collate.Fold(strings.TrimRight(s, " ")) }
	str := func(s string, null bool) *string {
		if null {
			return nil
		}
		return &s
	}
	num := func(f float64, null bool) *float64 {
		if null {
			return nil
		}
		return &f
	}
	// cases: the filter and its reference (nil: null → false).
	cases := []struct {
		filter string
		ref    func(r row) bool
	}{
		{"length(name) gt 20", func(r row) bool { return !r.nameNull && utf8.RuneCountInString(r.name) > 20 }},
		{"length(trim(address1_city)) eq 7", func(r row) bool {
			return !r.cityNull && utf8.RuneCountInString(strings.Trim(r.city, " ")) == 7
		}},
		{"toupper(address1_city) eq 'SEATTLE'", func(r row) bool { return !r.cityNull && fold(r.city) == "seattle" }},
		{"concat(address1_city,'X') eq 'seattlex'", func(r row) bool { return !r.cityNull && fold(r.city+"X") == "seattlex" }},
		{"indexof(name,'o') eq 1", func(r row) bool { return !r.nameNull && strings.Index(fold(r.name), "o") == 1 }},
		{"indexof(name,'Z') eq -1", func(r row) bool { return !r.nameNull && !strings.Contains(fold(r.name), "z") }},
		{"substring(name,1,3) eq 'ONT'", func(r row) bool {
			rs := []rune(r.name)
			return !r.nameNull && len(rs) >= 2 && fold(string(rs[1:min(4, len(rs))])) == "ont"
		}},
		{"substring(name,8) eq 'retail'", func(r row) bool {
			rs := []rune(r.name)
			return !r.nameNull && len(rs) >= 8 && fold(string(rs[8:])) == "retail"
		}},
		{"contains(trim(name),'SOCI')", func(r row) bool { return !r.nameNull && strings.Contains(fold(r.name), "soci") }},
		{"startswith(tolower(name),'con')", func(r row) bool { return !r.nameNull && strings.HasPrefix(fold(r.name), "con") }},
		{"endswith(concat(name,'!'),'O!')", func(r row) bool { return !r.nameNull && strings.HasSuffix(fold(r.name+"!"), "o!") }},
		{"endswith(trim(name),'Démo')", func(r row) bool { return !r.nameNull && strings.HasSuffix(fold(r.name), "demo") }},
		{"numberofemployees mod 7 eq 3", func(r row) bool { return !r.empNull && r.emp%7 == 3 }},
		{"-numberofemployees div 7 eq -71", func(r row) bool { return !r.empNull && (-r.emp)/7 == -71 }},
		{"numberofemployees add 5 mul 2 gt 1000", func(r row) bool { return !r.empNull && r.emp+10 > 1000 }},
		{"numberofemployees sub numberofemployees eq 0", func(r row) bool { return !r.empNull }},
		{"revenue div 1000 gt 150.5", func(r row) bool { return !r.revNull && r.revenue/1000 > 150.5 }},
		{"revenue divby 3 lt 100000", func(r row) bool { return !r.revNull && r.revenue/3 < 100000 }},
		{"round(revenue div 1000000) eq 3", func(r row) bool { return !r.revNull && math.Round(r.revenue/1e6) == 3 }},
		{"floor(revenue) eq 1000000", func(r row) bool { return !r.revNull && math.Floor(r.revenue) == 1e6 }},
		{"ceiling(revenue) eq 1000001", func(r row) bool { return !r.revNull && math.Ceil(r.revenue) == 1000001 }},
		{"numberofemployees div 0 eq 1 or numberofemployees mod 0 ne 1", func(r row) bool { return true }},
		{"year(createdon) eq 2024", func(r row) bool { return !r.createdNull && r.created.Year() == 2024 }},
		{"month(createdon) le 6 and day(createdon) gt 10", func(r row) bool {
			return !r.createdNull && int(r.created.Month()) <= 6 && r.created.Day() > 10
		}},
		{"hour(createdon) ge 12 or minute(createdon) eq 0 or second(createdon) eq 0", func(r row) bool {
			return !r.createdNull && (r.created.Hour() >= 12 || r.created.Minute() == 0 || r.created.Second() == 0)
		}},
		{"length(address1_city) eq length(name)", func(r row) bool {
			return !r.cityNull && !r.nameNull && utf8.RuneCountInString(r.city) == utf8.RuneCountInString(r.name)
		}},
		{"length(address1_city) eq null", func(r row) bool { return r.cityNull }},
	}
	_ = str
	_ = num
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			cfg := vecompile.Config{Sample: true}
			if dsn != "" {
				db, err := engine.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				if err := engine.LoadSample(ctx, db, true); err != nil {
					t.Fatal(err)
				}
				db.Close()
				cfg = vecompile.Config{DSN: dsn}
			}
			c, err := vecompile.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			run := func(filter string) ([]map[string]any, error) {
				req := "accounts?$select=accountid,name,address1_city,revenue,numberofemployees,createdon"
				if filter != "" {
					req += "&$filter=" + filter
				}
				res, err := execOData(ctx, c, req)
				if err != nil {
					return nil, err
				}
				var out []map[string]any
				for _, r := range res.Rows {
					m := map[string]any{}
					for _, k := range []string{"accountid", "name", "address1_city", "revenue", "numberofemployees", "createdon"} {
						m[k], _ = r.Get(k)
					}
					out = append(out, m)
				}
				return out, nil
			}
			all, err := run("")
			if err != nil {
				t.Fatal(err)
			}
			rows := make([]row, len(all))
			for i, m := range all {
				r := row{id: fmt.Sprint(m["accountid"])}
				r.name, r.nameNull = text(m["name"])
				r.city, r.cityNull = text(m["address1_city"])
				if s, null := text(m["revenue"]); !null {
					r.revenue, _ = strconv.ParseFloat(s, 64)
				} else {
					r.revNull = true
				}
				if s, null := text(m["numberofemployees"]); !null {
					r.emp, _ = strconv.ParseInt(s, 10, 64)
				} else {
					r.empNull = true
				}
				switch v := m["createdon"].(type) {
				case time.Time:
					r.created = v.UTC()
				case string:
					tm, err := time.Parse(time.RFC3339Nano, v)
					if err != nil {
						t.Fatalf("createdon %q: %v", v, err)
					}
					r.created = tm.UTC()
				case nil:
					r.createdNull = true
				default:
					t.Fatalf("createdon %T", v)
				}
				rows[i] = r
			}
			for _, tc := range cases {
				got, err := run(tc.filter)
				if err != nil {
					t.Errorf("%s: %v", tc.filter, err)
					continue
				}
				neg, err := run("not (" + tc.filter + ")")
				if err != nil {
					t.Errorf("not (%s): %v", tc.filter, err)
					continue
				}
				var want, gotIDs, negIDs []string
				for _, r := range rows {
					if tc.ref(r) {
						want = append(want, r.id)
					}
				}
				for _, m := range got {
					gotIDs = append(gotIDs, fmt.Sprint(m["accountid"]))
				}
				for _, m := range neg {
					negIDs = append(negIDs, fmt.Sprint(m["accountid"]))
				}
				slices.Sort(want)
				slices.Sort(gotIDs)
				if !slices.Equal(want, gotIDs) {
					t.Errorf("%s: got %v, want %v", tc.filter, gotIDs, want)
				}
				if len(gotIDs)+len(negIDs) != len(rows) {
					t.Errorf("%s: %d rows and %d negated of %d", tc.filter, len(gotIDs), len(negIDs), len(rows))
				}
			}
		})
	}
}

// text is a value's text and whether it is null.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case []byte:
		return string(v), false
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), false
	}
	return fmt.Sprint(v), false
}

// TestComputedUnderSecurity: a secured caller's computed string filters
// run under the security filter (the verifier sees every source and
// column), and arithmetic, whose overflow an engine reports as an error
// also on rows the caller cannot read, is refused by name (VE1023).
func TestComputedUnderSecurity(t *testing.T) {
	ctx := context.Background()
	c, err := vecompile.Open(ctx, vecompile.Config{Sample: true, Security: vecompile.SecurityConfig{Principal: security.Principal{UserID: engine.SampleUsers["europe"]}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	count := func(filter string) (int, error) {
		res, err := execOData(ctx, c, "accounts?$select=name&$filter="+filter)
		if err != nil {
			return 0, err
		}
		return len(res.Rows), nil
	}
	all, err := count("accountid ne null")
	if err != nil {
		t.Fatal(err)
	}
	n, err := count("length(trim(name)) gt 0 and year(createdon) gt 1900")
	if err != nil || n != all {
		t.Errorf("computed filter true on every readable row: %d rows (%v), want %d", n, err, all)
	}
	for _, f := range []string{"revenue add 1 gt 0", "round(revenue) gt 0", "numberofemployees div 2 gt 0", "-numberofemployees lt 0"} {
		if _, err := count(f); diag.CodeOf(err) != diag.ComputedMayFail {
			t.Errorf("%s: %v, want %s", f, err, diag.ComputedMayFail)
		}
	}
}
