package engine

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal values (money, decimal columns, averages) are rendered as exact
// decimal text by moving digits, never through floats and, on the hot
// path, without big.Rat: a database's decimal text is canonicalized in
// place, and a double (SQLite REAL) is taken at the 15 significant digits
// it holds exactly. The results are those big.Rat's FloatString gave
// (TestDecimalTextMatchesRat checks them against it).

// maxScale is the most fractional digits a decimal is rendered with.
const maxScale = 30

// floatDecimal is f rounded to 15 significant digits, rendered with at
// most scale fractional digits (halves away from zero).
func floatDecimal(f float64, scale int) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', 14, 64) // [-]d.dddddddddddddde±dd
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var digits [15]byte
	digits[0] = b[0]
	copy(digits[1:], b[2:16])
	exp, err := strconv.Atoi(string(b[17:]))
	if err != nil {
		return "", false
	}
	return decimalText(neg, string(digits[:]), exp-14, scale), true
}

// decimalText renders ±digits × 10^exp (digits: ASCII decimal digits) as
// canonical decimal text with at most scale fractional digits, the last
// rounded half away from zero: no leading or trailing zeros, no sign on
// zero.
func decimalText(neg bool, digits string, exp, scale int) string {
	var b strings.Builder
	if exp >= 0 {
		digits = strings.TrimLeft(digits, "0")
		if digits == "" {
			return "0"
		}
		b.Grow(len(digits) + exp + 1)
		if neg {
			b.WriteByte('-')
		}
		b.WriteString(digits)
		for range exp {
			b.WriteByte('0')
		}
		return b.String()
	}
	fracLen := -exp
	if len(digits) <= fracLen { // one integer digit at least
		digits = strings.Repeat("0", fracLen+1-len(digits)) + digits
	}
	if fracLen > scale {
		cut := len(digits) - (fracLen - scale)
		up := digits[cut] >= '5'
		digits, fracLen = digits[:cut], scale
		if up {
			digits = incrementDigits(digits)
		}
	}
	intPart := strings.TrimLeft(digits[:len(digits)-fracLen], "0")
	frac := strings.TrimRight(digits[len(digits)-fracLen:], "0")
	if intPart == "" && frac == "" {
		return "0"
	}
	b.Grow(len(intPart) + len(frac) + 3)
	if neg {
		b.WriteByte('-')
	}
	if intPart == "" {
		b.WriteByte('0')
	}
	b.WriteString(intPart)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// incrementDigits adds one to a string of decimal digits.
func incrementDigits(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// canonicalDecimal validates decimal text and strips redundant zeros and
// signs: "+001.500" → "1.5", "-0.00" → "0". Exponents are expanded (to
// at most maxScale fractional digits). Text already canonical is returned
// as is.
func canonicalDecimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if strings.ContainsAny(s, "eE") {
		return exponentDecimal(s)
	}
	neg, digits := false, s
	switch s[0] {
	case '-':
		neg, digits = true, s[1:]
	case '+':
		digits = s[1:]
	}
	dot := -1
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0:
			dot = i
		default:
			return "", false
		}
	}
	if len(digits) == 0 || dot == 0 && len(digits) == 1 {
		return "", false
	}
	if canonicalText(s, neg, digits, dot) {
		return s, true
	}
	if dot < 0 {
		return decimalText(neg, digits, 0, 0), true
	}
	fracLen := len(digits) - dot - 1
	return decimalText(neg, digits[:dot]+digits[dot+1:], -fracLen, fracLen), true
}

// canonicalText says whether s (sign and digits split, dot the point's
// index in digits or -1) is already what canonicalDecimal returns.
func canonicalText(s string, neg bool, digits string, dot int) bool {
	if s[0] == '+' {
		return false
	}
	intLen := len(digits)
	if dot >= 0 {
		intLen = dot
		if dot == len(digits)-1 || digits[len(digits)-1] == '0' {
			return false // "1." or a trailing zero
		}
	}
	switch {
	case intLen == 0:
		return false // ".5"
	case digits[0] == '0' && intLen > 1:
		return false // a leading zero
	case digits[0] == '0' && dot < 0:
		return !neg // "0", never "-0"
	}
	return true
}

// exponentDecimal is canonicalDecimal of text with an exponent: a plain
// mantissa and a small exponent by moving digits, anything else big.Rat
// reads (hexadecimal mantissas among them) as big.Rat reads it.
func exponentDecimal(s string) (string, bool) {
	i := strings.IndexAny(s, "eE")
	mant, expText := s[:i], s[i+1:]
	exp, err := strconv.Atoi(expText)
	neg, digits, dot := false, mant, -1
	if len(mant) > 0 && (mant[0] == '-' || mant[0] == '+') {
		neg, digits = mant[0] == '-', mant[1:]
	}
	plain := err == nil && exp > -10000 && exp < 10000 && len(digits) > 0 && !(len(digits) == 1 && digits[0] == '.') &&
		len(expText) > 0 && expText[0] != '_' && !strings.Contains(expText, "_")
	for j := 0; plain && j < len(digits); j++ {
		switch c := digits[j]; {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0:
			dot = j
		default:
			plain = false
		}
	}
	if !plain {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return "", false
		}
		return stripZeros(r.FloatString(maxScale)), true
	}
	if dot >= 0 {
		exp -= len(digits) - dot - 1
		digits = digits[:dot] + digits[dot+1:]
	}
	return decimalText(neg, digits, exp, maxScale), true
}

func stripZeros(s string) string {
	d, _ := canonicalDecimal(s)
	return d
}
