package fetchxml

import (
	"strings"
	"unicode/utf8"
)

// decode resolves references and applies XML end-of-line handling to raw
// text that the scanner already validated. In attribute values (attr) the
// literal TAB, LF and CR (and CR LF) become one space each, as XML 1.0 §3.3.3
// requires; in content CR LF and CR become LF. References are never
// normalised, so "&#10;" stays a line feed.
func decode(raw string, attr, cdata bool) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\r':
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			if attr {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
		case attr && (c == '\n' || c == '\t'):
			b.WriteByte(' ')
			i++
		case c == '&' && !cdata:
			r, n := resolveRef(raw[i:])
			if n == 0 { // cannot happen after scanning; keep the text
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteRune(r)
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// resolveRef decodes the reference at the start of s, returning the
// character and the reference's length (0 if malformed).
func resolveRef(s string) (rune, int) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		return 0, 0
	}
	body := s[1:semi]
	switch body {
	case "amp":
		return '&', semi + 1
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	case "quot":
		return '"', semi + 1
	case "apos":
		return '\'', semi + 1
	}
	if len(body) < 2 || body[0] != '#' {
		return 0, 0
	}
	digits, base := body[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	v := 0
	for i := 0; i < len(digits); i++ {
		d := digitVal(digits[i], base)
		if d < 0 || v > utf8.MaxRune {
			return 0, 0
		}
		v = v*base + d
	}
	if digits == "" || v > utf8.MaxRune || !isChar(rune(v)) {
		return 0, 0
	}
	return rune(v), semi + 1
}
