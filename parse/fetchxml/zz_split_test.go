package fetchxml

import (
	"os"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

func BenchmarkZScanMedium(b *testing.B) {
	text, _ := os.ReadFile("../../testdata/bench/medium.xml")
	src := diag.NewSource("m", text)
	s := string(text)
	b.ReportAllocs()
	for b.Loop() {
		p := pool.Get().(*parser)
		p.src = src
		p.s = s
		p.scan()
		p.release()
	}
}
