package fetchxml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// TestTreeOwnsItsStrings parses every fixture and benchmark query, then
// overwrites the input buffer: the tree must not change (Parse reads the
// caller's bytes in place, so every kept string must be a copy).
func TestTreeOwnsItsStrings(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/*.xml", "../../testdata/bench/*.xml"} {
		fs, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Fatal("no inputs")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Line breaks and references take the decoding path; the rest
		// comes from the arena.
		for _, variant := range [][]byte{text, []byte(crlf(string(text)))} {
			q, err := Parse(diag.NewSource(f, variant))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			before := ast.Dump(q)
			for i := range variant {
				variant[i] = '#'
			}
			if after := ast.Dump(q); after != before {
				t.Errorf("%s: the tree changed with the input buffer", f)
			}
		}
	}
}

func crlf(s string) string {
	out := make([]byte, 0, len(s)+len(s)/8)
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, '\r')
		}
		out = append(out, s[i])
	}
	return string(out)
}
