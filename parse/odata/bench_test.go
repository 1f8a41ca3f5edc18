package odata

import (
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// benchFilter is a 10-clause $filter (issue 3's benchmark: under 20 µs to
// parse): comparisons of every literal kind, a string function, a list,
// a Dataverse query function, a lambda, a path, not and parentheses.
const benchFilter = "accounts?$filter=name eq 'Contoso' and revenue gt 1000000.5 and (address1_city eq 'Paris' or address1_city eq 'Lyon') " +
	"and not startswith(name,'Fab') and createdon ge 2024-01-01T00:00:00Z and statecode in (0,1) " +
	"and _primarycontactid_value ne 3fee3d59-68c9-ed11-b597-0022489b41c4 and primarycontactid/firstname ne null " +
	"and contact_customer_accounts/any(x: x/lastname eq 'Smith')"

func BenchmarkParseFilter10(b *testing.B) {
	src := diag.NewSource("bench", []byte(benchFilter))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLowerFilter10 adds the lowering to an ast.Query (untyped
// schema, so the navigation path and lambda are refused after the work).
func BenchmarkParseAndLowerFilter10(b *testing.B) {
	src := diag.NewSource("bench", []byte(benchFilter))
	s := benchSchema{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSchema knows the two navigation properties of benchFilter.
type benchSchema struct{ Conventional }

func (benchSchema) Navigation(table, prop string) (Navigation, bool) {
	switch prop {
	case "primarycontactid":
		return Navigation{Table: "contact", From: "contactid", To: "primarycontactid"}, true
	case "contact_customer_accounts":
		return Navigation{Table: "contact", From: "parentcustomerid", To: "accountid", Collection: true}, true
	}
	return Navigation{}, false
}

func TestBenchFilterHasTenClauses(t *testing.T) {
	r, err := ParseRequest(diag.NewSource("bench", []byte(benchFilter)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Filter.Terms[0].Terms); n != 9 {
		// 9 and-terms, one of which is an or of two: 10 comparisons.
		t.Fatalf("%d and-terms", n)
	}
	if _, err := Parse(diag.NewSource("bench", []byte(benchFilter)), benchSchema{}, Options{}); err != nil {
		t.Fatal(err)
	}
}

// A typical request: $select, $filter, $orderby, $top.
const benchTypical = "accounts?$select=name,address1_city,revenue&$filter=statecode eq 0 and contains(name,'a')&$orderby=name desc&$top=50"

func BenchmarkParseTypicalRequest(b *testing.B) {
	src := diag.NewSource("bench", []byte(benchTypical))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(src); err != nil {
			b.Fatal(err)
		}
	}
}
