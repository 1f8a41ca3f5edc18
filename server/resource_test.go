package server

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// resourceRE is the regular expression splitResource replaced: its
// reference.
var resourceRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$`)

func sameSplit(t *testing.T, res string) {
	t.Helper()
	name, key, ok := splitResource(res)
	m := resourceRE.FindStringSubmatch(res)
	if ok != (m != nil) || ok && (name != m[1] || key != m[2]) {
		t.Fatalf("%q: got %q %q %v, the expression %q", res, name, key, ok, m)
	}
}

// TestSplitResourceMatchesTheExpression: random resource texts (names,
// parentheses, quotes, line breaks, invalid UTF-8) split as the regular
// expression split them.
func TestSplitResourceMatchesTheExpression(t *testing.T) {
	for _, res := range []string{"", "accounts", "_x9", "9a", "accounts(", "accounts()", "accounts(x)", "accounts(x))", "accounts((x)",
		"a(\n)", "a(\xff)", "a)", "(x)", "a b", "accounts(accountid='x')", "a(x)y", "é(x)", "a@b", "A_z0(1)"} {
		sameSplit(t, res)
	}
	r := rand.New(rand.NewPCG(9, 9))
	alphabet := "aZ_09()'=\n\xff @[`{/"
	for range 50000 {
		b := make([]byte, r.IntN(10))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		sameSplit(t, string(b))
	}
}

func FuzzSplitResource(f *testing.F) {
	f.Add("accounts(5f1c2e0a-1b2c-4d3e-8f40-123456789abc)")
	f.Add("a(\n)")
	f.Fuzz(func(t *testing.T, res string) { sameSplit(t, res) })
}

// BenchmarkResourcePath: the read a's resource split by hand and by the
// expression it replaced.
func BenchmarkResourcePath(b *testing.B) {
	const res = "accounts(5f1c2e0a-1b2c-4d3e-8f40-123456789abc)"
	b.Run("split=expression", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resourceRE.FindStringSubmatch(res)
		}
	})
	b.Run("split=hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			splitResource(res)
		}
	})
}
