package fetchxml

import "testing"

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
