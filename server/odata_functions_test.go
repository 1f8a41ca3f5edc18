package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestODataCanonicalFunctions: tolower()/toupper() around a property, as
// generic clients and vecompile odata --flavor v4 send them, are served
// under Dataverse's case-insensitive collation; every other canonical
// function (and arithmetic) is a 501 naming it, never a 400 or a silent
// drop.
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
	for _, c := range []struct{ q, fn string }{
		{"$filter=year(createdon) eq 2026", "year()"},
		{"$filter=length(name) gt 3", "length()"},
		{"$filter=contains(trim(name),'a')", "trim()"},
		{"$filter=round(revenue) eq 1", "round()"},
		{"$filter=revenue add 1 gt 3", "add"},
		{"$orderby=month(createdon)", "month()"},
	} {
		r := get(c.q)
		if r.status != 501 {
			t.Errorf("%s: status %d, want 501: %s", c.q, r.status, r.body)
			continue
		}
		if _, ve := r.errCode(t); ve != "VE1018" || !strings.Contains(string(r.body), c.fn) {
			t.Errorf("%s: %s, want VE1018 naming %s: %s", c.q, ve, c.fn, r.body)
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
