// Package collate holds vecompile's string folding for Dataverse's default
// collation (Latin1_General_CI_AI): case-insensitive, and
// accent-insensitive unless a setting says otherwise.
//
// Fold lower-cases (Unicode simple case mapping, as strings.ToLower) and
// then replaces each letter of the fixed table From by the ASCII letter at
// the same position of To. Letters that do not decompose into an ASCII
// letter and combining marks (ß, æ, œ, ø, ł, đ, ħ, ı, þ, ŋ) stay. The SQL
// emitter writes the same function per engine (translate, a REPLACE chain,
// a registered SQLite function) from the same table.
package collate

//go:generate go test -run TestTable -update

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// unaccent maps r-0xC0 to its base letter (0: none).
var unaccent [0x250 - 0xC0]byte

func init() {
	to := To
	for _, r := range From {
		b, n := utf8.DecodeRuneInString(to)
		to = to[n:]
		unaccent[r-0xC0] = byte(b)
	}
}

// Pairs calls f for each table entry, in table order.
func Pairs(f func(from rune, to byte)) {
	for _, r := range From {
		f(r, unaccent[r-0xC0])
	}
}

// Unaccent maps a lower-case letter of the table to its ASCII base letter;
// other runes are returned as they are.
func Unaccent(r rune) rune {
	if r >= 0xC0 && r < 0x250 {
		if b := unaccent[r-0xC0]; b != 0 {
			return rune(b)
		}
	}
	return r
}

// FoldRune folds one rune: lower-cased, and unaccented when accents is
// true.
func FoldRune(r rune, accents bool) rune {
	r = unicode.ToLower(r)
	if accents {
		r = Unaccent(r)
	}
	return r
}

// Fold is the accent-insensitive folding: lower-cased, then unaccented.
// It returns s itself (no allocation) when nothing changes.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.Map(foldAI, s)
		}
	}
	return s
}

// NeedsUnaccent reports whether folding s replaces an accented letter
// (not only lower-cases), without allocating.
func NeedsUnaccent(s string) bool {
	for _, r := range s {
		if r >= 0xC0 {
			if l := unicode.ToLower(r); Unaccent(l) != l {
				return true
			}
		}
	}
	return false
}

// Folded reports whether Fold(s) == s, without allocating.
func Folded(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				return false
			}
		} else if foldAI(r) != r {
			return false
		}
	}
	return true
}

func foldAI(r rune) rune { return Unaccent(unicode.ToLower(r)) }

// FoldAs folds s case-insensitively, and accent-insensitively unless
// accentSensitive.
func FoldAs(s string, accentSensitive bool) string {
	if accentSensitive {
		return strings.ToLower(s)
	}
	return Fold(s)
}

// AccentSensitiveLCIDs are the base languages whose Dataverse collation is
// accent-sensitive (spec §5.3); every other base language's is
// accent-insensitive.
var AccentSensitiveLCIDs = []int{1035, 1048, 1050, 1051, 1053, 1054, 1057, 1058, 1061, 1062, 1063, 1066, 1069, 1081, 1086, 1087, 1110, 2074}

// AccentSensitiveLanguage reports whether base language lcid compares
// accents.
func AccentSensitiveLanguage(lcid int) bool {
	for _, l := range AccentSensitiveLCIDs {
		if l == lcid {
			return true
		}
	}
	return false
}
