package collate

import (
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"José ÁLVAREZ":         "jose alvarez",
		"São Paulo":            "sao paulo",
		"Zürich":               "zurich",
		"Kraków Malmö":         "krakow malmo",
		"Ølstykke Straße Łódź": "ølstykke straße łodz",
		"ȘTEFAN Țară":          "stefan tara",
		"plain":                "plain",
		"":                     "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
		if got := FoldAs(in, true); got != lowerAll(in) {
			t.Errorf("FoldAs(%q, true) = %q", in, got)
		}
	}
}

func lowerAll(s string) string {
	r := []rune(s)
	for i := range r {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// Every letter of the three blocks, upper-case ones included, folds to its
// NFD base letter when it decomposes, and to its lower case otherwise.
func TestFoldBlocks(t *testing.T) {
	for r := rune(0xC0); r <= 0x24F; r++ {
		l := unicode.ToLower(r)
		want := l
		d := []rune(norm.NFD.String(string(l)))
		if len(d) > 1 && d[0] < 0x80 && unicode.IsLetter(d[0]) {
			ok := true
			for _, m := range d[1:] {
				ok = ok && m >= 0x300 && m <= 0x36F
			}
			if ok {
				want = d[0]
			}
		}
		if got := FoldRune(r, true); got != want {
			t.Errorf("FoldRune(%U) = %U, want %U", r, got, want)
		}
	}
}

func TestAccentSensitiveLanguage(t *testing.T) {
	if !AccentSensitiveLanguage(1053) || AccentSensitiveLanguage(1033) {
		t.Fatal("1053 (Swedish) is accent-sensitive, 1033 (English) is not")
	}
}

func TestNeedsUnaccentFolded(t *testing.T) {
	for _, c := range []struct {
		s               string
		needs, isFolded bool
	}{
		{"seattle", false, true}, {"Seattle", false, false}, {"São", true, false}, {"sao", false, true},
		{"ÉTÉ", true, false}, {"øl", false, true}, {"Øl", false, false}, {"ß", false, true}, {"", false, true},
	} {
		if NeedsUnaccent(c.s) != c.needs || Folded(c.s) != c.isFolded {
			t.Errorf("%q: NeedsUnaccent %v Folded %v", c.s, NeedsUnaccent(c.s), Folded(c.s))
		}
		if Folded(c.s) != (Fold(c.s) == c.s) {
			t.Errorf("%q: Folded disagrees with Fold", c.s)
		}
		if !c.needs && Fold(c.s) != FoldAs(c.s, true) {
			t.Errorf("%q: NeedsUnaccent false but Fold differs from lower-casing", c.s)
		}
	}
}
