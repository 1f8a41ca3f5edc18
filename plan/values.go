package plan

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vecompile/vecompile/ast"
)

// typed converts a literal as written for a column of kind k: the kind,
// the Go value, or (third result) a description of what the text should
// have been. For KUnknown (untyped mode) the kind is inferred from the
// literal's form, or from what the front end knew of it.
func typed(v *ast.Value, k Kind, behavior DateBehavior, zone *time.Location) (Kind, any, string) {
	text := v.Text
	if k == KUnknown {
		k = inferKind(v)
	}
	switch k {
	case KString, KMulti:
		return k, text, ""
	case KInt:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return 0, nil, "an integer"
		}
		return KInt, n, ""
	case KDecimal:
		s, ok := canonicalDecimal(strings.TrimSpace(text))
		if !ok {
			return 0, nil, "a decimal number"
		}
		return KDecimal, s, ""
	case KFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return 0, nil, "a number"
		}
		return KFloat, f, ""
	case KBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "1", "true":
			return KBool, true, ""
		case "0", "false":
			return KBool, false, ""
		}
		return 0, nil, "a boolean (0, 1, true or false)"
	case KGuid:
		g, ok := CanonicalGUID(text)
		if !ok {
			return 0, nil, "a GUID"
		}
		return KGuid, g, ""
	case KDateTime:
		t, ok := parseDateTime(text, behavior, zone)
		if !ok {
			return 0, nil, "an ISO 8601 date or date-time"
		}
		return KDateTime, t, ""
	}
	return KString, text, ""
}

// literal types a literal for the builder, taking the Value from the arena.
func (b *builder) literal(v *ast.Value, k Kind, behavior DateBehavior) (*Value, string) {
	kind, x, msg := typed(v, k, behavior, b.opt.Zone)
	if msg != "" {
		return nil, msg
	}
	return b.a.value(kind, x), ""
}

// inferKind guesses a literal's kind in untyped mode from its form.
func inferKind(v *ast.Value) Kind {
	switch v.Kind {
	case ast.KindString:
		return KString
	case ast.KindBool:
		return KBool
	case ast.KindGuid:
		return KGuid
	case ast.KindDateTime:
		return KDateTime
	}
	s := strings.TrimSpace(v.Text)
	if s == "" {
		return KString
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return KInt
	}
	if _, ok := canonicalDecimal(s); ok && strings.Contains(s, ".") {
		return KDecimal
	}
	if _, ok := CanonicalGUID(s); ok {
		return KGuid
	}
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		if _, ok := parseDateTime(s, UserLocal, time.UTC); ok {
			return KDateTime
		}
	}
	return KString
}

// canonicalDecimal validates an invariant-culture decimal and returns it
// without a leading "+".
func canonicalDecimal(s string) (string, bool) {
	t := s
	if t != "" && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return "", false
		}
	}
	if digits == 0 {
		return "", false
	}
	return strings.TrimPrefix(s, "+"), true
}

// CanonicalGUID accepts a GUID with or without braces and returns it in
// lower-case 8-4-4-4-12 form.
func CanonicalGUID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) == 32 {
		s = s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
	}
	if len(s) != 36 {
		return "", false
	}
	if canonicalGUID(s) {
		return s, true // the common case (security lists, stored ids): no copy
	}
	b := []byte(s)
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}

// canonicalGUID reports whether a 36-byte s is already lower-case
// 8-4-4-4-12.
func canonicalGUID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseDateTime reads an ISO 8601 literal. A literal without an offset is
// wall-clock time in the caller's zone for User Local columns, and plain
// wall-clock (kept as UTC) for Date Only and Time-Zone Independent ones.
// The result is in UTC.
func parseDateTime(s string, b DateBehavior, zone *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	loc := time.UTC
	if b == UserLocal && zone != nil {
		loc = zone
	}
	for _, layout := range dateLayouts {
		if strings.HasSuffix(layout, "Z07:00") {
			if t, err := time.Parse(layout, s); err == nil {
				if b != UserLocal {
					// Date Only / TZ-independent values carry no zone: keep the
					// wall clock as written.
					return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), true
				}
				return t.UTC(), true
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if b == DateOnly {
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ParsePattern parses a T-SQL LIKE pattern: % any run, _ any one
// character, [set] and [^set] classes. An unclosed [ is a literal.
// A one-member class such as [%] is a literal.
func ParsePattern(s string) Pattern {
	p := make(Pattern, 0, 4)
	// lit accumulates a literal run; while it is one contiguous piece of s
	// it is a substring (no copy), else a built string.
	var lit strings.Builder
	start, end := -1, -1 // the contiguous run s[start:end], when lit is empty
	flush := func() {
		switch {
		case lit.Len() > 0:
			p = append(p, PatternElem{Kind: PatLiteral, Lit: lit.String()})
			lit.Reset()
		case start >= 0 && end > start:
			p = append(p, PatternElem{Kind: PatLiteral, Lit: s[start:end]})
		}
		start, end = -1, -1
	}
	addLit := func(i, j int) {
		if lit.Len() == 0 && (start < 0 || end == i) {
			if start < 0 {
				start = i
			}
			end = j
			return
		}
		if lit.Len() == 0 && start >= 0 {
			lit.WriteString(s[start:end])
		}
		lit.WriteString(s[i:j])
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			flush()
			if n := len(p); n == 0 || p[n-1].Kind != PatAnyRun {
				p = append(p, PatternElem{Kind: PatAnyRun})
			}
		case '_':
			flush()
			p = append(p, PatternElem{Kind: PatAnyOne})
		case '[':
			// A ] right after [ or [^ is a member, as in T-SQL.
			j := i + 1
			neg := false
			if j < len(s) && s[j] == '^' {
				neg = true
				j++
			}
			k := j
			if k < len(s) && s[k] == ']' {
				k++
			}
			for k < len(s) && s[k] != ']' {
				k++
			}
			if k >= len(s) {
				addLit(i, i+1)
				continue
			}
			members := s[j:k]
			if !neg && utf8.RuneCountInString(members) == 1 {
				addLit(j, k)
			} else {
				flush()
				p = append(p, PatternElem{Kind: PatClass, Lit: members, Negated: neg})
			}
			i = k
		default:
			addLit(i, i+1)
		}
	}
	flush()
	if len(p) == 0 {
		return nil
	}
	return p
}

// String renders the pattern back in T-SQL form, bracketing literal
// wildcard characters.
func (p Pattern) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e.Kind {
		case PatLiteral:
			for _, r := range e.Lit {
				switch r {
				case '%', '_', '[':
					b.WriteByte('[')
					b.WriteRune(r)
					b.WriteByte(']')
				default:
					b.WriteRune(r)
				}
			}
		case PatAnyRun:
			b.WriteByte('%')
		case PatAnyOne:
			b.WriteByte('_')
		case PatClass:
			b.WriteByte('[')
			if e.Negated {
				b.WriteByte('^')
			}
			b.WriteString(e.Lit)
			b.WriteByte(']')
		}
	}
	return b.String()
}
