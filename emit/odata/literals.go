package odata

import (
	"math"
	"strconv"
	"strings"
)

// Numeric literals in the forms of the OData ABNF that every common server
// parses: no exponent where a plain form exists, no M/d suffixes, digits on
// both sides of a decimal point.

// floatLiteral prints a double. Integral and ordinary values are plain
// ("1000000", "0.0000015"); an exponent ("1e+300") only where the plain
// form would run past 21 digits; NaN, INF and -INF as the ABNF spells them.
func floatLiteral(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "INF"
	case math.IsInf(x, -1):
		return "-INF"
	}
	if a := math.Abs(x); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'e', -1, 64)
}

// decimalLiteral completes a canonical decimal (plan's form: optional
// "-", digits with at most one "."; either side may be empty) to the
// ABNF's decimalValue: "0.5" for ".5", "5" for "5.".
func decimalLiteral(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	s = strings.TrimSuffix(s, ".")
	return sign + s
}
