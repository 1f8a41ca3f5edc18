package odata

import (
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The OASIS construction rules these literals are checked against, read in
// place; the regular expressions transcribe them (without the exponent
// where a plain form exists, which common servers reject for integers).
const abnfRules = "../../../shared/odata-abnf/odata-abnf-construction-rules.txt"

var (
	decimalValue = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$|^(NaN|-INF|INF)$`)
	plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

func TestLiteralsFollowTheABNF(t *testing.T) {
	text, err := os.ReadFile(abnfRules)
	if err != nil {
		t.Skipf("OASIS ABNF not found (%v)", err)
	}
	for _, rule := range []string{
		`decimalValue   = ["+"/"-"] 1*DIGIT [ "." 1*DIGIT ] [ "e" ["+"/"-"] 1*DIGIT ] / nanInfinity`,
		`nanInfinity    = %s"NaN" / %s"-INF" / %s"INF"`,
	} {
		if !strings.Contains(string(text), rule) {
			t.Fatalf("the ABNF no longer says %s: update the expressions", rule)
		}
	}
	for _, c := range []struct {
		x     float64
		want  string
		plain bool
	}{
		{1e6, "1000000", true}, {-1e6, "-1000000", true}, {47.5, "47.5", true}, {0, "0", true},
		{1.5e-6, "0.0000015", true}, {123456789012345678, "123456789012345680", true},
		{1e300, "1e+300", false}, {5e-324, "5e-324", false},
		{math.NaN(), "NaN", false}, {math.Inf(1), "INF", false}, {math.Inf(-1), "-INF", false},
	} {
		got := floatLiteral(c.x)
		if got != c.want || !decimalValue.MatchString(got) || c.plain != plainDecimal.MatchString(got) {
			t.Errorf("floatLiteral(%v) = %q, want %q (plain %v)", c.x, got, c.want, c.plain)
		}
	}
	for in, want := range map[string]string{".5": "0.5", "-.5": "-0.5", "5.": "5", "1000.50": "1000.50", "-3": "-3"} {
		if got := decimalLiteral(in); got != want || !plainDecimal.MatchString(got) {
			t.Errorf("decimalLiteral(%q) = %q, want %q", in, got, want)
		}
	}
}
