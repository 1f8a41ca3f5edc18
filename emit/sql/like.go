package sql

import (
	"strings"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/plan"
)

// likeEscape is the LIKE / SIMILAR TO escape character. It is not a
// backslash, whose meaning inside string literals differs between engines
// (MySQL) and which is the default escape of PostgreSQL and MySQL LIKE.
const likeEscape = '!'

// matchStyle is how one Like is emitted.
type matchStyle uint8

const (
	matchTSQL    matchStyle = iota // LIKE with T-SQL wildcards and classes
	matchEscape                    // LIKE … ESCAPE '!' (no classes)
	matchSimilar                   // SIMILAR TO … ESCAPE '!'
	matchRegexp                    // REGEXP '(?s)^…\z'
	matchGlob                      // GLOB
)

// like writes a case- (and accent-) insensitive T-SQL LIKE test. The
// column is folded in SQL (unless the dialect's collation folds); the
// pattern is rebuilt in Go for the dialect, with literal parts and class
// members folded alike, and bound as one parameter.
func (e *emitter) like(x *plan.Like) {
	style := matchTSQL
	if e.caps.Like != ClassLike {
		style = matchEscape
		for _, el := range x.Pattern {
			if el.Kind == plan.PatClass {
				switch e.caps.Like {
				case ClassSimilarTo:
					style = matchSimilar
				case ClassRegexp:
					style = matchRegexp
				case ClassGlob:
					style = matchGlob
				}
				break
			}
		}
	}
	lower := !e.has(CaseInsensitive)
	pat, err := translatePattern(x.Pattern, style, lower, e.accents)
	if err != "" {
		e.fail(diag.DialectUnsupported, "LIKE pattern: %s", err)
		return
	}
	if x.Not {
		e.raw("NOT (")
	}
	e.lowerCol(x.Col, lower)
	switch style {
	case matchEscape:
		e.raw(" LIKE ")
		e.bind(pat)
		e.raw(" ESCAPE '!'")
	case matchSimilar:
		e.raw(" SIMILAR TO ")
		e.bind(pat)
		e.raw(" ESCAPE '!'")
	case matchRegexp:
		e.raw(" REGEXP ")
		e.bind(pat)
	case matchGlob:
		e.raw(" GLOB ")
		e.bind(pat)
	default:
		e.raw(" LIKE ")
		e.bind(pat)
	}
	if x.Not {
		e.byte1(')')
	}
}

// translatePattern renders a parsed T-SQL pattern in the target syntax; a
// non-empty second result explains why it cannot.
func translatePattern(p plan.Pattern, style matchStyle, lower, accents bool) (string, string) {
	var stack [128]byte
	b := stack[:0]
	if style == matchRegexp {
		b = append(b, "(?s)^"...)
	}
	for _, el := range p {
		switch el.Kind {
		case plan.PatAnyRun:
			switch style {
			case matchRegexp:
				b = append(b, ".*"...)
			case matchGlob:
				b = append(b, '*')
			default:
				b = append(b, '%')
			}
		case plan.PatAnyOne:
			if faults.LikeUnderscoreLiteral {
				b = literalRune(b, '_', style) // injected bug
				continue
			}
			switch style {
			case matchRegexp:
				b = append(b, '.')
			case matchGlob:
				b = append(b, '?')
			default:
				b = append(b, '_')
			}
		case plan.PatLiteral:
			for _, r := range el.Lit {
				if lower {
					r = collate.FoldRune(r, accents)
				}
				b = literalRune(b, r, style)
			}
		case plan.PatClass:
			var msg string
			if b, msg = classElem(b, el, style, lower, accents); msg != "" {
				return "", msg
			}
		default:
			return "", "unknown pattern element"
		}
	}
	if style == matchRegexp {
		b = append(b, `\z`...)
	}
	return string(b), ""
}

// literalRune appends one literal character, escaped for the style.
func literalRune(b []byte, r rune, style matchStyle) []byte {
	switch style {
	case matchTSQL:
		if r == '%' || r == '_' || r == '[' {
			return append(b, '[', byte(r), ']')
		}
	case matchEscape:
		if r == '%' || r == '_' || r == likeEscape {
			return append(b, likeEscape, byte(r))
		}
	case matchSimilar:
		if strings.ContainsRune("|*+?{}()[]%_!", r) {
			return append(b, likeEscape, byte(r))
		}
	case matchRegexp:
		if strings.ContainsRune(`\.^$|?*+()[]{}`, r) {
			return append(b, '\\', byte(r))
		}
	case matchGlob:
		if r == '*' || r == '?' || r == '[' {
			return append(b, '[', byte(r), ']')
		}
	}
	return utf8.AppendRune(b, r)
}

// classElem appends a [set] / [^set] class. Members are single characters
// and ranges a-z as written; '-' keeps its range meaning everywhere.
func classElem(b []byte, el plan.PatternElem, style matchStyle, lower, accents bool) ([]byte, string) {
	lit := el.Lit
	if lit == "" {
		return b, "empty character class"
	}
	if style == matchEscape {
		return b, "character class in a LIKE without classes"
	}
	b = append(b, '[')
	if el.Negated {
		b = append(b, '^')
	} else if style == matchGlob && lit[0] == '^' {
		// GLOB reads a leading ^ as negation: move it to the end, unless
		// it starts a range.
		if len(lit) > 1 && lit[1] == '-' {
			return b, "class starting with a ^ range cannot be written as GLOB"
		}
		lit = lit[1:] + "^"
	}
	for _, r := range lit {
		if lower {
			r = collate.FoldRune(r, accents)
		}
		if r != '-' && r < utf8.RuneSelf && !isAlnum(r) {
			switch style {
			case matchSimilar:
				b = append(b, likeEscape)
			case matchRegexp:
				b = append(b, '\\')
			}
		}
		b = utf8.AppendRune(b, r)
	}
	return append(b, ']'), ""
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
