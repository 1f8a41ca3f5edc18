package queryexpression_test

import (
	"os"
	"testing"

	fxemit "github.com/vecompile/vecompile/emit/fetchxml"
	qeemit "github.com/vecompile/vecompile/emit/queryexpression"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/parse/queryexpression"
)

// BenchmarkConvertMedium measures the conversions of the medium benchmark
// query (issue 3 target: QueryExpression JSON of a medium query converts
// in under 30 µs).
func BenchmarkConvertMedium(b *testing.B) {
	qeText, err := os.ReadFile("../../testdata/bench/medium.json")
	if err != nil {
		b.Fatal(err)
	}
	fxText, err := os.ReadFile("../../testdata/bench/medium.xml")
	if err != nil {
		b.Fatal(err)
	}
	qeSrc, fxSrc := diag.NewSource("medium.json", qeText), diag.NewSource("medium.xml", fxText)
	b.Run("qe-to-fetchxml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q, err := queryexpression.Parse(qeSrc)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := fxemit.Print(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fetchxml-to-qe", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q, err := fetchxml.Parse(fxSrc)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := qeemit.Print(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
