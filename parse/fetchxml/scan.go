package fetchxml

import (
	"strings"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/diag"
)

// Limits of the scanner. FetchXML needs far less; the caps keep hostile
// input linear in time and memory.
const (
	maxDepth = 64 // element nesting
	maxAttrs = 64 // attributes on one element, namespace prefixes in scope (lookups are linear)
)

// kind classifies an element by name alone; whether it is allowed where it
// stands is decided by the builder.
type kind uint8

const (
	kUnknown kind = iota
	kFetch
	kEntity
	kLinkEntity
	kAttribute
	kAllAttributes
	kOrder
	kFilter
	kCondition
	kValue
	kText // character data inside an element (only recorded under <value>)
	numKinds
)

func kindOf(name string) kind {
	switch name {
	case "fetch":
		return kFetch
	case "entity":
		return kEntity
	case "link-entity":
		return kLinkEntity
	case "attribute":
		return kAttribute
	case "all-attributes":
		return kAllAttributes
	case "order":
		return kOrder
	case "filter":
		return kFilter
	case "condition":
		return kCondition
	case "value":
		return kValue
	}
	return kUnknown
}

// token flags.
const (
	fDecode = 1 << iota // text/value holds references or CR/TAB/LF to normalise
	fCDATA              // text token is a CDATA section
	fIgnore             // attribute is a namespace declaration or foreign-namespace attribute
)

// token is an element (with its whole subtree's extent) or a text run. The
// token list is the document in pre-order; next skips a subtree.
type token struct {
	start, end int32 // element: '<' to past the end tag's '>'; text: raw content
	next       int32 // index of the token after this subtree
	nameEnd    int32 // element name is s[start+1:nameEnd]
	a0, a1     int32 // attributes are attrs[a0:a1]
	kind       kind
	flags      uint8
}

// xattr is one attribute: its name and its value without the quotes.
type xattr struct {
	n0, n1 int32
	v0, v1 int32
	k      int32 // offset of a kept value in the arena
	id     aname // interned name
	flags  uint8
}

type nsDecl struct {
	prefix string
	depth  int
}

// scan checks that p.s is well-formed XML and fills p.toks and p.attrs. It
// reports false after a fatal error; non-fatal errors (stray text) are
// recorded and scanning goes on.
func (p *parser) scan() bool {
	s := p.s
	if len(s) > 1<<31-1 {
		return p.fatal(0, diag.LimitExceeded, "document larger than 2 GiB")
	}
	// The arena of kept values is at most the document, plus the slack of
	// the word-at-a-time copy.
	if need := len(s) + 8; cap(p.scratch) < need {
		p.scratch = make([]byte, need)
	} else {
		p.scratch = p.scratch[:need]
	}
	i := 0
	if strings.HasPrefix(s, "\xEF\xBB\xBF") {
		i = 3
	}
	// The XML declaration is only allowed at the very start. Its encoding
	// is not honoured: the input is always UTF-8 (.NET writes "utf-16" into
	// declarations of strings that reach us as UTF-8).
	if strings.HasPrefix(s[i:], "<?xml") && len(s) > i+5 && (isSpace(s[i+5]) || s[i+5] == '?') {
		j := p.pi(i)
		if j < 0 {
			return false
		}
		i = j
	}
	for i < len(s) {
		if s[i] != '<' {
			// Indentation between tags is the most common text: skip it
			// here unless it belongs to a <value>.
			j := skipSpace(s, i)
			if j < len(s) && s[j] == '<' && (len(p.stack) == 0 || p.toks[p.stack[len(p.stack)-1]].kind != kValue) {
				i = j
				continue
			}
			i = p.text(i)
		} else if i+1 >= len(s) {
			return p.fatal(i, diag.SyntaxError, "unexpected end of input after '<'")
		} else {
			switch s[i+1] {
			case '/':
				i = p.endTag(i)
			case '!':
				i = p.bang(i)
			case '?':
				i = p.pi(i)
			default:
				i = p.startTag(i)
			}
		}
		if i < 0 {
			return false
		}
	}
	if len(p.stack) > 0 {
		t := &p.toks[p.stack[len(p.stack)-1]]
		return p.fatal(int(t.start), diag.SyntaxError, "element <%s> is not closed", s[t.start+1:t.nameEnd])
	}
	if !p.rootSeen {
		return p.fatal(len(s), diag.SyntaxError, "no root element")
	}
	return true
}

func (p *parser) fatal(pos int, code diag.Code, format string, args ...any) bool {
	p.errorAt(diag.Span{Start: diag.Pos(pos), End: diag.Pos(pos)}, code, format, args...)
	return false
}

// text scans character data up to the next '<'.
func (p *parser) text(i int) int {
	s := p.s
	start := i
	nonWS := -1
	var flags uint8
	for i < len(s) {
		c := s[i]
		if ctab[c]&cSpace != 0 && c != '\r' {
			i++ // fast path: indentation between tags
			continue
		}
		if c == '<' {
			break
		}
		switch {
		case c == '\r':
			flags |= fDecode
			i++
		case c == '&':
			if nonWS < 0 {
				nonWS = i
			}
			flags |= fDecode
			if i = p.ref(i); i < 0 {
				return -1
			}
		case c < 0x20:
			p.fatal(i, diag.SyntaxError, "invalid character %#x", c)
			return -1
		case c < utf8.RuneSelf:
			if nonWS < 0 {
				nonWS = i
			}
			if c == '>' && i-start >= 2 && s[i-1] == ']' && s[i-2] == ']' {
				p.fatal(i-2, diag.SyntaxError, "']]>' is not allowed in text")
				return -1
			}
			i++
		default:
			if nonWS < 0 {
				nonWS = i
			}
			if i = p.rune(i); i < 0 {
				return -1
			}
		}
	}
	if len(p.stack) == 0 {
		if nonWS >= 0 {
			p.fatal(nonWS, diag.SyntaxError, "text outside the root element")
			return -1
		}
		return i
	}
	if nonWS >= 0 || p.toks[p.stack[len(p.stack)-1]].kind == kValue {
		p.charData(start, i, nonWS, flags)
	}
	return i
}

// charData records text under <value>, and rejects non-blank text in other
// FetchXML elements (their content is elements only).
func (p *parser) charData(start, end, nonWS int, flags uint8) {
	parent := &p.toks[p.stack[len(p.stack)-1]]
	switch parent.kind {
	case kValue:
		// a0 is the text's offset in the arena.
		p.toks = append(p.toks, token{start: int32(start), end: int32(end), next: int32(len(p.toks) + 1), a0: int32(p.nk), kind: kText, flags: flags})
		if flags&fDecode == 0 {
			p.nk += copy(p.scratch[p.nk:], p.s[start:end])
		}
	case kUnknown:
		// Reported as an unknown element by the builder.
	default:
		if nonWS >= 0 {
			p.errorAt(diag.Span{Start: diag.Pos(nonWS), End: diag.Pos(end)}, diag.SyntaxError,
				"text is not allowed in <%s>", p.s[parent.start+1:parent.nameEnd])
		}
	}
}

// rune validates one multi-byte UTF-8 character at i.
func (p *parser) rune(i int) int {
	r, size := utf8.DecodeRuneInString(p.s[i:])
	if (r == utf8.RuneError && size == 1) || !isChar(r) {
		p.fatal(i, diag.SyntaxError, "invalid UTF-8 or character not allowed in XML")
		return -1
	}
	return i + size
}

// chars validates the characters of s[i:j] (comments, PIs, CDATA).
func (p *parser) chars(i, j int) bool {
	s := p.s
	for i < j {
		c := s[i]
		switch {
		case c >= 0x20 && c < utf8.RuneSelf, c == '\n', c == '\t', c == '\r':
			i++
		case c < 0x20:
			return p.fatal(i, diag.SyntaxError, "invalid character %#x", c)
		default:
			if i = p.rune(i); i < 0 {
				return false
			}
		}
	}
	return true
}

// ref validates an entity or character reference at s[i] == '&'. Only the
// five predefined entities exist: there is no DTD, hence no expansion.
func (p *parser) ref(i int) int {
	s := p.s
	j := i + 1
	if j < len(s) && s[j] == '#' {
		j++
		base := 10
		if j < len(s) && s[j] == 'x' {
			base = 16
			j++
		}
		d0, v := j, 0
		for j < len(s) {
			d := digitVal(s[j], base)
			if d < 0 {
				break
			}
			if v <= utf8.MaxRune {
				v = v*base + d
			}
			j++
		}
		if j == d0 || j >= len(s) || s[j] != ';' {
			p.fatal(i, diag.SyntaxError, "malformed character reference")
			return -1
		}
		if v > utf8.MaxRune || !isChar(rune(v)) {
			p.fatal(i, diag.SyntaxError, "character reference to a character not allowed in XML")
			return -1
		}
		return j + 1
	}
	k := strings.IndexByte(s[j:min(len(s), j+8)], ';')
	if k > 0 {
		switch s[j : j+k] {
		case "amp", "lt", "gt", "quot", "apos":
			return j + k + 1
		}
	}
	p.fatal(i, diag.SyntaxError, "undefined entity reference (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)")
	return -1
}

func digitVal(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// bang handles "<!": comments, CDATA sections, and the rejected DOCTYPE.
func (p *parser) bang(i int) int {
	s := p.s
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		k := strings.Index(s[i+4:], "--")
		if k < 0 {
			p.fatal(i, diag.SyntaxError, "comment is not closed")
			return -1
		}
		end := i + 4 + k
		if end+2 >= len(s) || s[end+2] != '>' {
			p.fatal(end, diag.SyntaxError, "'--' is not allowed inside a comment")
			return -1
		}
		if !p.chars(i+4, end) {
			return -1
		}
		return end + 3
	case strings.HasPrefix(rest, "<![CDATA["):
		if len(p.stack) == 0 {
			p.fatal(i, diag.SyntaxError, "CDATA section outside the root element")
			return -1
		}
		k := strings.Index(s[i+9:], "]]>")
		if k < 0 {
			p.fatal(i, diag.SyntaxError, "CDATA section is not closed")
			return -1
		}
		c0, c1 := i+9, i+9+k
		if !p.chars(c0, c1) {
			return -1
		}
		nonWS := -1
		flags := uint8(fCDATA)
		for j := c0; j < c1; j++ {
			if s[j] == '\r' {
				flags |= fDecode
			} else if !isSpace(s[j]) && nonWS < 0 {
				nonWS = j
			}
		}
		p.charData(c0, c1, nonWS, flags)
		return c1 + 3
	case strings.HasPrefix(rest, "<!DOCTYPE"):
		p.fatal(i, diag.SyntaxError, "DOCTYPE declarations are not allowed")
		return -1
	}
	p.fatal(i, diag.SyntaxError, "invalid markup after '<!'")
	return -1
}

// pi skips a processing instruction; the XML declaration is one when it
// opens the document.
func (p *parser) pi(i int) int {
	s := p.s
	j := i + 2
	ne, _, ok := p.name(j)
	if !ok {
		p.fatal(j, diag.SyntaxError, "invalid processing instruction target")
		return -1
	}
	if strings.EqualFold(s[j:ne], "xml") && i != p.declAt() {
		p.fatal(i, diag.SyntaxError, "XML declaration is only allowed at the start of the document")
		return -1
	}
	k := strings.Index(s[ne:], "?>")
	if k < 0 {
		p.fatal(i, diag.SyntaxError, "processing instruction is not closed")
		return -1
	}
	if k > 0 && !isSpace(s[ne]) {
		p.fatal(ne, diag.SyntaxError, "invalid processing instruction target")
		return -1
	}
	if !p.chars(ne, ne+k) {
		return -1
	}
	return ne + k + 2
}

// declAt is where an XML declaration may stand: offset 0, or after a BOM.
func (p *parser) declAt() int {
	if strings.HasPrefix(p.s, "\xEF\xBB\xBF") {
		return 3
	}
	return 0
}
