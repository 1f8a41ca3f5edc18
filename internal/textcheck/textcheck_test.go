package textcheck

import "testing"

func TestUnstorable(t *testing.T) {
	for _, tc := range []struct {
		s    string
		at   int
		what Problem
	}{
		{"", -1, None},
		{"plain ascii", -1, None},
		{"été ✓ 𝄞", -1, None},
		{"a\x00b", 1, NUL},
		{"ab\xffc", 2, NotUTF8},
		{"é\xc3", 2, NotUTF8},        // a cut sequence
		{"\xed\xa0\x80", 0, NotUTF8}, // an encoded surrogate is not UTF-8
	} {
		if at, what := Unstorable(tc.s); at != tc.at || what != tc.what {
			t.Errorf("Unstorable(%q) = %d %v, want %d %v", tc.s, at, what, tc.at, tc.what)
		}
	}
}

func TestNotUTF8At(t *testing.T) {
	for s, want := range map[string]int{"": -1, "a\x00b": -1, "ok é": -1, "ab\xff": 2, "é\xc3": 2} {
		if got := NotUTF8At([]byte(s)); got != want {
			t.Errorf("NotUTF8At(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestUnpairedSurrogate(t *testing.T) {
	for s, want := range map[string]int{
		`{"a":"x"}`:                  -1,
		`{"a":"\ud834\udd1e"}`:       -1, // a pair
		`{"a":"\u00e9\n"}`:           -1,
		`{"a":"\ud834"}`:             6,  // a high half alone
		`{"a":"\udd1e"}`:             6,  // a low half alone
		`{"a":"\ud834x"}`:            6,  // followed by another character
		`{"a":"\ud834\ud834\udd1e"}`: 6,  // two highs
		`{"\ud834":1}`:               2,  // keys too
		`["\ud834`:                   -1, // cut inside the string: the decoder's
		`{"a":"\\ud834"}`:            -1, // an escaped backslash, then text
		`{"a":"\uzzzz"}`:             -1, // malformed: the decoder's
		`{"a":"x"} "\udd1e"`:         11,
	} {
		if got := UnpairedSurrogate([]byte(s)); got != want {
			t.Errorf("UnpairedSurrogate(%s) = %d, want %d", s, got, want)
		}
	}
}
