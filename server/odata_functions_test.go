package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestODataCanonicalFunctions: tolower()/toupper() around a property, as
// generic clients and vecompile odata --flavor v4 send them, are served
// under Dataverse's case-insensitive collation; computed string and date
// filters are served; a function vecompile does not compute, and
// arithmetic on a secured server, is a 501 naming it, never a 400 or a
// silent drop.
func TestODataCanonicalFunctions(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	get := func(q string) *response {
		return e.do("GET", "/odata/accounts?"+escapeQuery(q), nil)
	}
	names := func(r *response) []string {
		var out []string
		for _, v := range r.json(t)["value"].([]any) {
			out = append(out, v.(map[string]any)["name"].(string))
		}
		return out
	}
	plain := get("$select=name&$orderby=name asc")
	folded := get("$select=name&$orderby=tolower(name) asc")
	if plain.status != 200 || folded.status != 200 {
		t.Fatalf("$orderby: %d %s / %d %s", plain.status, plain.body, folded.status, folded.body)
	}
	if p, f := names(plain), names(folded); len(p) == 0 || strings.Join(p, "|") != strings.Join(f, "|") {
		t.Errorf("$orderby=tolower(name) sorts otherwise than name:\n%v\n%v", f, p)
	}
	all := names(plain)
	first := strings.ToLower(all[0])
	r := get("$select=name&$filter=tolower(name) eq '" + strings.ReplaceAll(first, "'", "''") + "'")
	if r.status != 200 || len(names(r)) == 0 {
		t.Errorf("tolower(name) eq: %d %s", r.status, r.body)
	}
	if r := get("$select=name&$orderby=tolower(revenue)"); r.status != 400 {
		t.Errorf("tolower on a number: %d %s", r.status, r.body)
	}
	// Computed string and date filters are served.
	for _, q := range []string{
		"$select=name&$filter=year(createdon) ge 2000",
		"$select=name&$filter=length(name) gt 3",
		"$select=name&$filter=contains(trim(name),'a')",
		"$select=name&$filter=indexof(tolower(name),'o') ge 0 and substring(name,0,1) ne 'Q'",
		"$select=name&$filter=round(revenue) ge 1 and revenue add 1 gt 3",
		"$select=name&$orderby=month(createdon) desc,length(name)",
		"$select=name&$filter=date(createdon) ge 2000-01-01 and time(createdon) ge 00:00 and createdon lt now()",
		"$select=name&$orderby=date(createdon) desc,time(createdon)",
	} {
		if r := get(q); r.status != 200 || len(names(r)) == 0 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	for _, c := range []struct{ q, fn, code string }{
		{"$filter=fractionalseconds(createdon) eq 0", "fractionalseconds()", "VE1018"},
		{"$filter=totaloffsetminutes(createdon) eq 0", "totaloffsetminutes()", "VE1018"},
		{"$filter=substring(name,-1) eq 'a'", "substring", "VE1018"},
		{"$orderby=fractionalseconds(createdon)", "fractionalseconds()", "VE1018"},
	} {
		r := get(c.q)
		if r.status != 501 {
			t.Errorf("%s: status %d, want 501: %s", c.q, r.status, r.body)
			continue
		}
		if _, ve := r.errCode(t); ve != c.code || !strings.Contains(string(r.body), c.fn) {
			t.Errorf("%s: %s, want %s naming %s: %s", c.q, ve, c.code, c.fn, r.body)
		}
	}
}

// escapeQuery escapes each option's value, keeping the separators.
func escapeQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = k + "=" + url.PathEscape(v)
	}
	return strings.Join(parts, "&")
}
