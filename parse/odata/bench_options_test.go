package odata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// readB is the load scenario's read b (server/loadtest.ReadB, as
// cmd/vecompile-load sends it): $filter, $orderby, $select, $top and a
// single-valued $expand with a nested $select.
const readB = "opportunities?%24expand=customerid_account%28%24select%3Dname%29&%24filter=statecode%20eq%200%20and%20estimatedvalue%20gt%201" +
	"&%24orderby=estimatedvalue%20desc&%24select=name%2Cestimatedvalue%2Ccloseprobability&%24top=10"

func BenchmarkParseLoadB(b *testing.B) {
	src := diag.NewSource("bench", []byte(readB))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseExpand is read b's $expand alone.
func BenchmarkParseExpand(b *testing.B) {
	src := diag.NewSource("bench", []byte("opportunities?$expand=customerid_account($select=name)"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseOASIS parses every OASIS ABNF case that applies (valid
// and invalid ones, as TestOASISABNF runs them) once per iteration.
func BenchmarkParseOASIS(b *testing.B) {
	if _, err := os.Stat(abnfDir); err != nil {
		b.Skip("OASIS ABNF test cases not found")
	}
	t := &testing.T{}
	var srcs []*diag.Source
	for _, f := range []string{"odata-abnf-testcases.yaml", "odata-aggregation-testcases.yaml"} {
		for _, c := range readCases(t, filepath.Join(abnfDir, f)) {
			switch applicable(c) {
			case "expr":
				if in, _, err := decode(c.Input); err == nil {
					srcs = append(srcs, diag.NewSource("abnf", []byte("x?$filter="+escapeAmp(in))))
				}
			case "options":
				srcs = append(srcs, diag.NewSource("abnf", []byte("x?"+c.Input)))
			case "uri":
				srcs = append(srcs, diag.NewSource("abnf", []byte(c.Input)))
			}
		}
	}
	if len(srcs) == 0 {
		b.Skip("OASIS ABNF test cases not found")
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range srcs {
			_, _ = ParseRequest(s)
		}
	}
}
