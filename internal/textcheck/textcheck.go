// Package textcheck finds the text no engine stores alike: NUL (U+0000),
// which PostgreSQL's text cannot hold and other engines cut at, bytes
// that are not UTF-8, and, in JSON, an escaped half of a UTF-16 surrogate
// pair; encoding/json would read the last two as U+FFFD, a character the
// client never sent. It is the one scanner for them; what a finding
// becomes depends on where it is (docs/semantics.md, "No NUL or invalid
// UTF-8 reaches an engine"): in a query, VE1001 at its position; in a
// write body or a written value, VE6017.
package textcheck

import (
	"strconv"
	"unicode/utf8"
)

// Problem is what was found.
type Problem uint8

const (
	None      Problem = iota
	NUL               // U+0000
	NotUTF8           // bytes that are not UTF-8
	Surrogate         // a JSON \u escape of half a surrogate pair
)

func (p Problem) String() string {
	switch p {
	case NUL:
		return "a NUL character (U+0000)"
	case NotUTF8:
		return "bytes that are not UTF-8"
	case Surrogate:
		return "an escaped unpaired UTF-16 surrogate"
	}
	return "nothing"
}

// Unstorable is the byte offset of the first NUL or invalid UTF-8 in s,
// and which; -1 and None when there is none.
func Unstorable(s string) (int, Problem) {
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0 {
			return i, NUL
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i, NotUTF8
		}
		i += n
	}
	return -1, None
}

// NotUTF8At is the byte offset of the first bytes of b that are not
// UTF-8 (NUL is UTF-8), or -1.
func NotUTF8At(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// UnpairedSurrogate is the byte offset, in the JSON text b, of the first
// \u escape of half a surrogate pair without its other half, or -1.
// Malformed escapes, and a text cut inside a string, are left to the JSON
// decoder.
func UnpairedSurrogate(b []byte) int {
	inString, high := false, -1 // high: the offset of a pending high half
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			inString = c == '"'
			continue
		}
		at := i
		switch {
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(b):
			i++
			if b[i] != 'u' || i+4 >= len(b) {
				break
			}
			u, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 16)
			if err != nil {
				break
			}
			i += 4
			switch {
			case u >= 0xD800 && u < 0xDC00:
				if high >= 0 {
					return high
				}
				high = at
				continue
			case u >= 0xDC00 && u < 0xE000:
				if high < 0 {
					return at
				}
				high = -1
				continue
			}
		}
		if high >= 0 {
			return high
		}
	}
	return -1
}
