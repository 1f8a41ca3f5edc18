package odata

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types of the expression lexer. OData literals are told apart by
// their shape (a GUID, a date and a number all start with digits), which a
// regular-expression lexer can only do with long ordered alternations; a
// hand-written scanner does it in one pass and keeps parsing fast.
const (
	tEOF      lexer.TokenType = lexer.EOF
	tIdent    lexer.TokenType = -(iota + 2) // name, keyword operator, $it, qualified Ns.Name
	tAlias                                  // @name (parameter alias)
	tString                                 // 'text' with '' escapes
	tDQString                               // "text" (JSON-style, inside arrays)
	tTyped                                  // prefix'text': duration, binary, enum, geography …
	tNumber                                 // integer, decimal, double, INF, NaN
	tDate                                   // 2024-01-31
	tDateTime                               // 2024-01-31T10:00:00Z
	tTime                                   // 10:00:00
	tGUID                                   // 8-4-4-4-12 hex digits
	tNull                                   // null (any case)
	tBool                                   // true / false (any case)
	tPunct                                  // ( ) , / : = ; [ ] { } * -
	tBad                                    // a character no token starts with
)

type scanner struct {
	src  string
	pos  int
	file string
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (s *scanner) Next() (lexer.Token, error) {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
	start := s.pos
	tok := func(t lexer.TokenType, end int) (lexer.Token, error) {
		s.pos = end
		return lexer.Token{Type: t, Value: s.src[start:end], Pos: lexer.Position{Filename: s.file, Offset: start, Line: 1, Column: start + 1}}, nil
	}
	if start >= len(s.src) {
		return tok(tEOF, start)
	}
	src := s.src
	c := src[start]
	switch {
	case c == '\'':
		end, ok := quoted(src, start, '\'')
		if !ok {
			return tok(tBad, len(src))
		}
		return tok(tString, end)
	case c == '"':
		end, ok := dquoted(src, start)
		if !ok {
			return tok(tBad, len(src))
		}
		return tok(tDQString, end)
	case c == '@':
		end := identEnd(src, start+1)
		if end == start+1 {
			return tok(tBad, start+1)
		}
		for end+1 < len(src) && src[end] == '.' && isLetter(src[end+1]) {
			end = identEnd(src, end+1)
		}
		if end+1 < len(src) && src[end] == '#' && isLetter(src[end+1]) {
			end = identEnd(src, end+1)
		}
		return tok(tAlias, end)
	}
	if n := guidLen(src[start:]); n > 0 {
		return tok(tGUID, start+n)
	}
	if c == '+' && start+1 < len(src) && isDigit(src[start+1]) {
		if end := numberEnd(src, start+1); end == len(src) || !isLetter(src[end]) {
			return tok(tNumber, end)
		}
	}
	if isDigit(c) || c == '-' && start+1 < len(src) && (isDigit(src[start+1]) || strings.HasPrefix(src[start+1:], "INF")) {
		if t, n := temporal(src[start:]); n > 0 {
			if !validTemporal(t, src[start:start+n]) {
				return tok(tBad, start+n)
			}
			return tok(t, start+n)
		}
		if strings.HasPrefix(src[start:], "-INF") && identEnd(src, start+1) == start+4 {
			return tok(tNumber, start+4)
		}
		if c == '-' && !isDigit(src[start+1]) {
			return tok(tPunct, start+1)
		}
		end := numberEnd(src, start)
		if end < len(src) && isLetter(src[end]) {
			// "2x4": not a number; an identifier-like word ($search).
			return tok(tBad, identEnd(src, end))
		}
		return tok(tNumber, end)
	}
	if isLetter(c) || c == '$' {
		end := identEnd(src, start+1)
		// Qualified names: Ns.Sub.Name (also geo.distance, Edm.String).
		for end+1 < len(src) && src[end] == '.' && (isLetter(src[end+1]) || src[end+1] == '$' || src[end+1] == '*') {
			if src[end+1] == '*' { // Ns.* in $select
				end += 2
				break
			}
			end = identEnd(src, end+1)
		}
		if end < len(src) && src[end] == '\'' && c != '$' {
			qend, ok := quoted(src, end, '\'')
			if !ok || !validTyped(src[start:end], src[end+1:qend-1]) {
				return tok(tBad, max(qend, end+1))
			}
			return tok(tTyped, qend)
		}
		switch w := src[start:end]; {
		case strings.EqualFold(w, "null"):
			return tok(tNull, end)
		case strings.EqualFold(w, "true"), strings.EqualFold(w, "false"):
			return tok(tBool, end)
		case w == "INF" || w == "NaN":
			return tok(tNumber, end)
		}
		return tok(tIdent, end)
	}
	if strings.IndexByte("(),/:=;[]{}*-", c) >= 0 {
		return tok(tPunct, start+1)
	}
	return tok(tBad, start+1)
}

func identEnd(s string, i int) int {
	for i < len(s) && (isLetter(s[i]) || isDigit(s[i])) {
		i++
	}
	return i
}

// quoted returns the end of a quoted string starting at s[i] (a doubled
// quote is an escaped one).
func quoted(s string, i int, q byte) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

// dquoted scans a JSON string ("…" with backslash escapes).
func dquoted(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

func guidLen(s string) int {
	if len(s) < 36 {
		return 0
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return 0
			}
		default:
			if !isHex(s[i]) {
				return 0
			}
		}
	}
	if len(s) > 36 && (isLetter(s[36]) || isDigit(s[36])) {
		return 0
	}
	return 36
}

func digits(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j - i
}

// temporal recognizes a date, a date-time-offset or a time of day at the
// start of s and returns its length (0: none). Field ranges are checked by
// the lowering, which reports them as bad literals with a position.
func temporal(s string) (lexer.TokenType, int) {
	i := 0
	if s[0] == '-' {
		i = 1
	}
	n := digits(s, i)
	// Time of day: hh:mm[:ss[.fff]]
	if i == 0 && n == 2 && len(s) >= 5 && s[2] == ':' && digits(s, 3) == 2 {
		return tTime, timeEnd(s, 0)
	}
	if n < 4 || len(s) < i+n+6 || s[i+n] != '-' || digits(s, i+n+1) != 2 || s[i+n+3] != '-' || digits(s, i+n+4) != 2 {
		return 0, 0
	}
	end := i + n + 6
	if end < len(s) && (s[end] == 'T' || s[end] == 't') && digits(s, end+1) == 2 && end+3 < len(s) && s[end+3] == ':' {
		end = timeEnd(s, end+1)
		switch {
		case end < len(s) && (s[end] == 'Z' || s[end] == 'z'):
			end++
		case end+5 < len(s)+0 && (s[end] == '+' || s[end] == '-') && digits(s, end+1) == 2 && s[end+3] == ':' && digits(s, end+4) == 2:
			end += 6
		}
		return tDateTime, end
	}
	return tDate, end
}

func timeEnd(s string, i int) int {
	end := i + 2
	if end < len(s) && s[end] == ':' && digits(s, end+1) == 2 {
		end += 3
	}
	if end < len(s) && s[end] == ':' && digits(s, end+1) == 2 {
		end += 3
		if end < len(s) && s[end] == '.' && digits(s, end+1) > 0 {
			end += 1 + digits(s, end+1)
		}
	}
	return end
}

func numberEnd(s string, i int) int {
	if s[i] == '-' {
		i++
	}
	i += digits(s, i)
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i += 1 + digits(s, i+1)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if digits(s, j) > 0 {
			i = j + digits(s, j)
		}
	}
	return i
}

// validTyped checks the text of prefix'text' literals: durations and
// binary values by their grammar, enumerations by member list; spatial
// values are taken as they are (Dataverse has no spatial columns, so the
// lowering refuses them anyway).
func validTyped(prefix, body string) bool {
	switch strings.ToLower(prefix) {
	case "duration":
		return validDuration(body)
	case "binary":
		return validBase64URL(body)
	case "geography", "geometry":
		return true
	}
	if strings.IndexByte(prefix, '.') < 0 || body == "" {
		return false // X'..', datetime'..': not OData 4 literals
	}
	for _, m := range strings.Split(body, ",") {
		m = strings.TrimPrefix(strings.TrimSpace(m), "+")
		if m == "" || !(isName(m) || digits(strings.TrimPrefix(m, "-"), 0) == len(strings.TrimPrefix(m, "-"))) {
			return false
		}
	}
	return true
}

func validDuration(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "P") || len(s) < 2 {
		return false
	}
	s = s[1:]
	d, t, hasT := strings.Cut(s, "T")
	if hasT && t == "" || !hasT && d == "" {
		return false
	}
	if d != "" && (!strings.HasSuffix(d, "D") || digits(d, 0) != len(d)-1 || len(d) < 2) {
		return false
	}
	units := "HMS"
	for t != "" {
		n := digits(t, 0)
		if n == 0 {
			return false
		}
		if n < len(t) && t[n] == '.' {
			if len(t) < n+2 {
				return false
			}
			n += 1 + digits(t, n+1)
			if n >= len(t) || t[n] != 'S' {
				return false
			}
		}
		if n >= len(t) {
			return false
		}
		i := strings.IndexByte(units, t[n])
		if i < 0 {
			return false
		}
		units = units[i+1:]
		t = t[n+1:]
	}
	return true
}

func validBase64URL(s string) bool {
	s = strings.TrimRight(s, "=")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return len(s)%4 != 1
}

// validTemporal checks field ranges of dates, date-times and times.
func validTemporal(t lexer.TokenType, s string) bool {
	two := func(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
	checkTime := func(s string) bool {
		if two(s) > 23 || two(s[3:]) > 59 {
			return false
		}
		return len(s) < 8 || two(s[6:]) <= 59
	}
	if t == tTime {
		return checkTime(s)
	}
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	n := digits(s, 0)
	if n > 4 && s[0] == '0' {
		return false
	}
	m, d := two(s[n+1:]), two(s[n+4:])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	if t == tDateTime {
		rest := s[n+7:]
		end := len(rest)
		if i := strings.IndexAny(rest, "Zz+-"); i >= 0 {
			end = i
			if off := rest[i:]; len(off) == 6 && (two(off[1:]) > 23 || two(off[4:]) > 59) {
				return false
			}
		} else {
			return false // a date-time needs its offset
		}
		return checkTime(rest[:end])
	}
	return true
}
