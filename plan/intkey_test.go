package plan_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/vecompile/vecompile/plan"
)

// The integer key encoding's documented properties (docs/server.md, Keys
// that are not GUIDs): every int64 round-trips, in any accepted GUID
// spelling; ids sort as text like their integers; a GUID outside the
// namespace decodes to nothing, and no storage form but GuidInteger
// refuses it.
func TestIntKeyProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(1)
	params.MinSuccessfulTests = 2000
	props := gopter.NewProperties(params)
	props.Property("decode(encode(n)) = n, in every spelling", prop.ForAll(func(n int64) bool {
		g := plan.IntKeyGUID(n)
		if c, ok := plan.CanonicalGUID(g); !ok || c != g {
			return false
		}
		for _, s := range []string{g, strings.ToUpper(g), "{" + g + "}", strings.ReplaceAll(g, "-", "")} {
			if m, ok := plan.IntKeyOf(s); !ok || m != n {
				return false
			}
		}
		return plan.GuidInteger.Encodes(g) && plan.GuidInteger.Bind(g) == any(n)
	}, gen.Int64()))
	props.Property("text order = integer order", prop.ForAll(func(a, b int64) bool {
		return strings.Compare(plan.IntKeyGUID(a), plan.IntKeyGUID(b)) == cmp(a, b)
	}, gen.Int64(), gen.Int64()))
	props.Property("a GUID outside the namespace is refused", prop.ForAll(func(hi, lo uint64) bool {
		g := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
		_, ok := plan.IntKeyOf(g)
		inNS := strings.HasPrefix(g, "7665636f-6d70-8000-")
		return ok == inNS && plan.GuidInteger.Encodes(g) == inNS && plan.GuidLower.Encodes(g) && plan.GuidInteger.Bind(g) == any(g) != inNS
	}, gen.UInt64(), gen.UInt64()))
	props.TestingRun(t)
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Fixed points of the encoding, as the documentation shows them.
func TestIntKeyExamples(t *testing.T) {
	for _, c := range []struct {
		n int64
		g string
	}{
		{0, "7665636f-6d70-8000-8000-000000000000"},
		{1, "7665636f-6d70-8000-8000-000000000001"},
		{255, "7665636f-6d70-8000-8000-0000000000ff"},
		{-1, "7665636f-6d70-8000-7fff-ffffffffffff"},
		{math.MaxInt64, "7665636f-6d70-8000-ffff-ffffffffffff"},
		{math.MinInt64, "7665636f-6d70-8000-0000-000000000000"},
	} {
		if g := plan.IntKeyGUID(c.n); g != c.g {
			t.Errorf("IntKeyGUID(%d) = %s, want %s", c.n, g, c.g)
		}
	}
	for _, bad := range []string{"", "42", "acc00000-0000-4000-8000-000000000001", "7665636f-6d70-8001-8000-000000000001", "7665636f-6d70-8000-8000-00000000000g"} {
		if _, ok := plan.IntKeyOf(bad); ok {
			t.Errorf("IntKeyOf(%q) accepted", bad)
		}
	}
}
