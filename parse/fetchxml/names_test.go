package fetchxml

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
)

// TestIntern checks both interning paths on every known name and on
// near misses (one byte changed, one byte more or less).
func TestIntern(t *testing.T) {
	pad := `="x"        ` // internAt needs eight readable bytes
	known := map[string]bool{}
	for _, n := range anames {
		known[n] = true
	}
	for a := aname(1); a < numANames; a++ {
		n := anames[a]
		s := n + pad
		if got := internAttr(n); got != a {
			t.Errorf("internAttr(%q) = %d, want %d", n, got, a)
		}
		if got := internAt(s, 0, len(n)); got != a {
			t.Errorf("internAt(%q) = %d, want %d", n, got, a)
		}
		misses := []string{n + "x", n[1:], n[:len(n)-1]}
		for _, k := range []int{0, len(n) / 2, len(n) - 1} {
			b := []byte(n)
			b[k] ^= 1
			misses = append(misses, string(b))
		}
		for _, m := range misses {
			if known[m] {
				continue // "top" minus a byte is "to"
			}
			if internAttr(m) != aOther || (m != "" && internAt(m+pad, 0, len(m)) != aOther) {
				t.Errorf("%q interned as a known name", m)
			}
		}
	}
	if internAttr("") != aOther || internAt(pad, 0, 0) != aOther {
		t.Error("empty name interned")
	}
}

// TestElemKind compares the element-name fast path with the byte scan it
// replaces, for every name and every byte that may follow it.
func TestElemKind(t *testing.T) {
	names := []string{"fetch", "entity", "link-entity", "attribute", "all-attributes", "order",
		"filter", "condition", "value", "fetc", "fetchx", "values", "link-entit", "conditions", "x"}
	for _, n := range names {
		for c := 0; c < 256; c++ {
			s := n + string([]byte{byte(c)}) + "                "
			k, ne := elemKind(s, 0)
			end := 0
			for end < len(s) && ctab[s[end]]&cName != 0 {
				end++
			}
			slow := s[end] == ':' || s[end] >= 0x80
			want := kindOf(s[:end])
			switch {
			case k == kUnknown:
				if !slow && want != kUnknown {
					// Falling back is always correct, but a known name
					// should take the fast path.
					t.Errorf("%q: no fast path", s[:end+1])
				}
			case slow || k != want || ne != end:
				t.Errorf("%q: elemKind = %d, %d; want %d, %d (slow %v)", s[:end+1], k, ne, want, end, slow)
			}
		}
	}
}

// TestOperatorByName checks the operator table against ast's lookup.
func TestOperatorByName(t *testing.T) {
	if opMul == 0 {
		t.Fatal("no perfect hash for the operator names")
	}
	check := func(s string) {
		o1, ok1 := operatorByName(s)
		o2, ok2 := ast.OperatorByFetchName(s)
		if o1 != o2 || ok1 != ok2 {
			t.Errorf("operatorByName(%q) = %v, %v; ast says %v, %v", s, o1, ok1, o2, ok2)
		}
	}
	check("")
	for _, o := range ast.Operators() {
		n := o.String()
		for _, s := range []string{n, n + "s", n[1:], n[:len(n)-1], strings.ToUpper(n), "x" + n[1:]} {
			check(s)
		}
	}
}
