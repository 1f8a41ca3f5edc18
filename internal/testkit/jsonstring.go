package testkit

import (
	"math/rand/v2"
	"unicode/utf8"
)

// JSONString is a random string of up to max pieces for tests of JSON
// writers: ASCII, characters JSON may escape (HTML's <>&, quote,
// backslash, U+2028/9), control characters, any rune, and stray bytes
// (invalid UTF-8).
func JSONString(r *rand.Rand, max int) string {
	var b []byte
	for range r.IntN(max) {
		switch r.IntN(6) {
		case 0:
			b = append(b, byte(r.IntN(256)))
		case 1:
			b = append(b, byte(r.IntN(0x20)))
		case 2:
			b = utf8.AppendRune(b, rune(r.IntN(0x110000)))
		case 3:
			b = append(b, "<>&\"\\\u2028\u2029"[r.IntN(11)])
		case 4:
			b = utf8.AppendRune(b, []rune("é漢🙂 ")[r.IntN(4)])
		default:
			b = append(b, byte('a'+r.IntN(26)))
		}
	}
	return string(b)
}
