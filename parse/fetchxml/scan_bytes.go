package fetchxml

import (
	"math/bits"
	"unicode/utf8"
)

// Byte classes and the word-at-a-time (SWAR) helpers of the scanner's fast
// paths.

// Byte classes for the scanner's fast paths.
const (
	cNameStart = 1 << iota // ASCII that may start a name
	cName                  // ASCII that may continue a name
	cSpace                 // XML whitespace
	cPlain                 // printable ASCII needing no attention in attribute values
)

var ctab = func() (t [256]uint8) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = cPlain
	}
	t['"'], t['\''], t['<'], t['&'] = 0, 0, 0, 0
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cNameStart | cName
		t[c-'a'+'A'] |= cNameStart | cName
	}
	t['_'] |= cNameStart | cName // ':' is handled apart: it marks a prefix
	for c := '0'; c <= '9'; c++ {
		t[c] |= cName
	}
	t['-'] |= cName
	t['.'] |= cName
	for _, c := range " \t\n\r" {
		t[c] |= cSpace
	}
	return t
}()

// isNameRune implements the non-ASCII part of XML 1.0 (5th ed.) Name.
func isNameRune(r rune, first bool) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return !first && (r == 0xB7 || (r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040))
}

// isChar reports whether r is an XML 1.0 Char.
func isChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func isSpace(c byte) bool { return ctab[c]&cSpace != 0 }

// SWAR helpers: eight bytes of the input in one word. In each mask the
// lowest flagged byte is exact (borrows only run upwards from a true hit),
// which is all the scanner uses.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load8 reads s[i:i+8] little-endian; the compiler makes it one load.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// zeroBytes flags the zero bytes of x.
func zeroBytes(x uint64) uint64 { return (x - lsb) &^ x & msb }

// eqStops flags '=' bytes.
func eqStops(x uint64) uint64 { return zeroBytes(x ^ lsb*'=') }

// valueStops flags the bytes an attribute value cannot skip: the quote
// (qq is it in every byte), '<', '&', controls and non-ASCII.
func valueStops(x, qq uint64) uint64 {
	return zeroBytes(x^qq) | zeroBytes(x^lsb*'<') | zeroBytes(x^lsb*'&') |
		((x - lsb*0x20) &^ x & msb) | x&msb
}

// skipSpace returns the index of the first byte at or after i that is not
// XML whitespace (len(s) if none).
func skipSpace(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := nonSpace(load8(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(s) && ctab[s[i]]&cSpace != 0 {
		i++
	}
	return i
}

// nonZero flags the non-zero bytes of x, exactly (no carry crosses bytes).
func nonZero(x uint64) uint64 { return ((x &^ msb) + lsb*0x7f | x) & msb }

// nonSpace flags the bytes of x that are not XML whitespace.
func nonSpace(x uint64) uint64 {
	return nonZero(x^lsb*' ') & nonZero(x^lsb*'\n') & nonZero(x^lsb*'\t') & nonZero(x^lsb*'\r')
}

// elemKind recognises a FetchXML element name at i without a byte loop: it
// returns the kind and the name's end, or kUnknown to make the caller scan
// the name. A known name counts only when the byte after it ends a Name
// the way the caller's scan would end it (no name byte, ':' or non-ASCII).
func elemKind(s string, i int) (kind, int) {
	if i+16 > len(s) {
		return kUnknown, 0
	}
	w := load8(s, i)
	k, n := kUnknown, 0
	switch byte(w) {
	case 'f':
		if w&(1<<40-1) == wFetch {
			k, n = kFetch, 5
		} else if w&(1<<48-1) == wFilter {
			k, n = kFilter, 6
		}
	case 'e':
		if w&(1<<48-1) == wEntity {
			k, n = kEntity, 6
		}
	case 'l':
		if w == wLinkEnti && load8(s, i+3) == wKEntity {
			k, n = kLinkEntity, 11
		}
	case 'a':
		if w == wAttribut && s[i+8] == 'e' {
			k, n = kAttribute, 9
		} else if w == wAllAttri && load8(s, i+6) == wTributes {
			k, n = kAllAttributes, 14
		}
	case 'o':
		if w&(1<<40-1) == wOrder {
			k, n = kOrder, 5
		}
	case 'c':
		if w == wConditio && s[i+8] == 'n' {
			k, n = kCondition, 9
		}
	case 'v':
		if w&(1<<40-1) == wValue {
			k, n = kValue, 5
		}
	}
	if c := s[i+n]; k == kUnknown || ctab[c]&cName != 0 || c == ':' || c >= utf8.RuneSelf {
		return kUnknown, 0
	}
	return k, i + n
}

var (
	wFetch, wFilter, wEntity = word("fetch"), word("filter"), word("entity")
	wLinkEnti, wKEntity      = word("link-ent"), word("k-entity")
	wAttribut, wAllAttri     = word("attribut"), word("all-attr")
	wTributes                = word("tributes")
	wOrder, wConditio        = word("order"), word("conditio")
	wValue                   = word("value")
)
