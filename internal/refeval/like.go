package refeval

import "unicode"

// Like matches s against a T-SQL LIKE pattern, case-insensitively: %
// any run, _ any one character, [abc] [a-z] a class, [^…] its complement;
// a class holding one wildcard ([%], [_], [[]) is that character. A [
// without its ] is a literal [. Matching is by runes, after lower-casing
// both sides as Fold does.
func Like(s, pattern string) bool {
	return likeRunes([]rune(Fold(s)), []rune(Fold(pattern)))
}

func likeRunes(s, p []rune) bool {
	// Iterative matching with backtracking to the last %.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '%':
				starP, starS = pi, si
				pi++
				continue
			case '_':
				si++
				pi++
				continue
			case '[':
				if ok, n := matchClass(s[si], p[pi:]); n > 0 {
					if ok {
						si++
						pi += n
						continue
					}
				} else if s[si] == '[' {
					si++
					pi++
					continue
				}
			default:
				if p[pi] == s[si] {
					si++
					pi++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si, pi = starS, starP+1
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// matchClass tests r against the class at the start of p ("[…]"); n is the
// class's length in runes, 0 when the [ is not closed.
func matchClass(r rune, p []rune) (ok bool, n int) {
	end := -1
	for i := 1; i < len(p); i++ {
		// A ] right after [ or [^ is a member, as in T-SQL.
		if p[i] == ']' && i > 1 && !(i == 2 && p[1] == '^') {
			end = i
			break
		}
	}
	if end < 0 {
		return false, 0
	}
	body := p[1:end]
	neg := false
	if len(body) > 0 && body[0] == '^' {
		neg, body = true, body[1:]
	}
	in := false
	for i := 0; i < len(body); i++ {
		if i+2 < len(body) && body[i+1] == '-' {
			lo, hi := body[i], body[i+2]
			if lo <= r && r <= hi {
				in = true
			}
			i += 2
			continue
		}
		if unicode.ToLower(body[i]) == r {
			in = true
		}
	}
	return in != neg, end + 1
}
