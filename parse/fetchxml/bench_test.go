package fetchxml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

func benchParse(b *testing.B, name string) {
	text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bench", name))
	if err != nil {
		b.Fatal(err)
	}
	src := diag.NewSource(name, text)
	if _, err := Parse(src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSmall(b *testing.B)  { benchParse(b, "small.xml") }
func BenchmarkParseMedium(b *testing.B) { benchParse(b, "medium.xml") }
func BenchmarkParseLarge(b *testing.B)  { benchParse(b, "large.xml") }
