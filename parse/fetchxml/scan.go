package fetchxml

import (
	"encoding/binary"
	"math/bits"
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

// startTag scans "<name attr='v' ...>" or its self-closing form.
func (p *parser) startTag(i int) int {
	s := p.s
	if p.rootDone {
		p.fatal(i, diag.SyntaxError, "content after the root element")
		return -1
	}
	kd, ne := elemKind(s, i+1)
	colon := false
	if kd == kUnknown {
		ne = i + 1
		if ne < len(s) && ctab[s[ne]]&cNameStart != 0 { // inline ASCII fast path of p.name
			for ne++; ne < len(s) && ctab[s[ne]]&cName != 0; ne++ {
			}
		}
		if ne == i+1 || (ne < len(s) && (s[ne] == ':' || s[ne] >= utf8.RuneSelf)) {
			var ok bool
			if ne, colon, ok = p.name(i + 1); !ok {
				p.fatal(i+1, diag.SyntaxError, "invalid element name")
				return -1
			}
		}
		kd = kindOf(s[i+1 : ne])
	}
	depth := len(p.stack) + 1
	if depth > maxDepth {
		p.fatal(i, diag.TooDeep, "elements nested deeper than %d levels", maxDepth)
		return -1
	}
	a0 := len(p.attrs)
	attrs := p.attrs // appended to locally, stored back below
	scratch := p.scratch
	var seen uint64 // known names on this tag (numANames <= 64)
	j := ne
	selfClose := false
	for {
		ws := j
		for j < len(s) && ctab[s[j]]&cSpace != 0 {
			j++
		}
		if j >= len(s) {
			p.attrs = attrs
			p.fatal(i, diag.SyntaxError, "tag is not closed")
			return -1
		}
		c := s[j]
		if c == '>' {
			j++
			break
		}
		if c == '/' {
			if j+1 < len(s) && s[j+1] == '>' {
				j += 2
				selfClose = true
				break
			}
			p.attrs = attrs
			p.fatal(j, diag.SyntaxError, "expected '>' after '/'")
			return -1
		}
		if j == ws {
			p.attrs = attrs
			p.fatal(j, diag.SyntaxError, "expected whitespace, '>' or '/>'")
			return -1
		}
		// Fast path: a known name directly followed by '='. Known names
		// are ASCII Names, which '=' cannot continue, so the scan of the
		// name would stop exactly there.
		an, ae, acolon := j, -1, false
		id := aOther
		for w := j; w+8 <= len(s) && w < j+40; w += 8 {
			if m := eqStops(load8(s, w)); m != 0 {
				e := w + bits.TrailingZeros64(m)>>3
				if id = internAt(s, j, e); id != aOther {
					ae = e
				}
				break
			}
		}
		if ae < 0 {
			// Inline ASCII fast path of p.name.
			ae = j
			if ctab[c]&cNameStart != 0 {
				for ae++; ae < len(s) && ctab[s[ae]]&cName != 0; ae++ {
				}
			}
			if ae == an || (ae < len(s) && (s[ae] == ':' || s[ae] >= utf8.RuneSelf)) {
				var ok bool
				if ae, acolon, ok = p.name(an); !ok {
					p.attrs = attrs
					p.fatal(j, diag.SyntaxError, "invalid attribute name")
					return -1
				}
			}
			id = internAttr(s[an:ae])
		}
		name := s[an:ae]
		j = ae
		if j < len(s) && s[j] != '=' {
			for ; j < len(s) && ctab[s[j]]&cSpace != 0; j++ {
			}
		}
		if j >= len(s) || s[j] != '=' {
			p.attrs = attrs
			p.fatal(j, diag.SyntaxError, "expected '=' after attribute name %q", name)
			return -1
		}
		j++
		if j < len(s) && s[j] != '"' && s[j] != '\'' {
			for ; j < len(s) && ctab[s[j]]&cSpace != 0; j++ {
			}
		}
		if j >= len(s) || (s[j] != '"' && s[j] != '\'') {
			p.attrs = attrs
			p.fatal(j, diag.SyntaxError, "attribute value must be quoted")
			return -1
		}
		// Fast path of p.attrValue: eight bytes at a time up to the first
		// byte that needs attention, then byte by byte near the end.
		// A value the tree may keep is copied to the arena on the way:
		// each word is stored whole (the scratch buffer has eight bytes of
		// slack) and the next value overwrites what lies past the quote.
		q, ve := s[j], j+1
		qq := lsb * uint64(q)
		keep, k := keptAttr[id], p.nk
		copied := false
		for ; ve+8 <= len(s); ve += 8 {
			x := load8(s, ve)
			if keep {
				binary.LittleEndian.PutUint64(scratch[k+ve-(j+1):], x)
			}
			if m := valueStops(x, qq); m != 0 {
				ve += bits.TrailingZeros64(m) >> 3
				copied = true
				goto stop
			}
		}
		for ve < len(s) && ctab[s[ve]]&cPlain != 0 {
			ve++
		}
	stop:
		var flags uint8
		if ve >= len(s) || s[ve] != q {
			copied = false
			if ve, flags = p.attrValue(ve, q); ve < 0 {
				p.attrs = attrs
				return -1
			}
		}
		if keep && flags&fDecode == 0 {
			// (A value to decode becomes a new string anyway.)
			if !copied {
				copy(scratch[k:], s[j+1:ve])
			}
			p.nk = k + ve - (j + 1)
		}
		if a0+maxAttrs <= len(attrs) {
			p.attrs = attrs
			p.fatal(an, diag.LimitExceeded, "more than %d attributes on one element", maxAttrs)
			return -1
		}
		dup := false
		if id != aOther {
			dup = seen&(1<<id) != 0
			seen |= 1 << id
		} else {
			for k := a0; k < len(attrs) && !dup; k++ {
				dup = attrs[k].id == aOther && s[attrs[k].n0:attrs[k].n1] == name
			}
		}
		if dup {
			p.attrs = attrs
			p.fatal(an, diag.SyntaxError, "duplicate attribute %q", name)
			return -1
		}
		if acolon || id == aXmlns {
			colon = true
			flags |= fIgnore
		}
		if id == aValue && kd == kCondition {
			p.nValueAttrs++
		}
		// Fill the new element in place: building it aside and copying it
		// costs a store-forwarding stall per attribute.
		if len(attrs) == cap(attrs) {
			attrs = append(attrs, xattr{})[:len(attrs)]
		}
		attrs = attrs[:len(attrs)+1]
		a := &attrs[len(attrs)-1]
		a.n0, a.n1, a.v0, a.v1, a.k, a.id, a.flags = int32(an), int32(ae), int32(j+1), int32(ve), int32(k), id, flags
		j = ve + 1
	}
	p.attrs = attrs
	// The token is filled in place, field by field: a token built aside
	// and copied costs a store-forwarding stall (its int32 fields are
	// written apart and read back as wider words).
	idx := len(p.toks)
	if len(p.toks) == cap(p.toks) {
		p.toks = append(p.toks, token{})[:idx]
	}
	p.toks = p.toks[:idx+1]
	t := &p.toks[idx]
	t.start, t.nameEnd, t.a0, t.a1, t.kind, t.flags = int32(i), int32(ne), int32(a0), int32(len(attrs)), kd, 0
	if colon && !p.namespaces(t, depth) {
		return -1
	}
	p.rootSeen = true
	p.counts[kd]++
	if selfClose {
		t.end, t.next = int32(j), int32(idx+1)
		if len(p.ns) > 0 {
			p.popNS(depth - 1)
		}
		if depth == 1 {
			p.rootDone = true
		}
	} else {
		t.end, t.next = 0, 0
		p.stack = append(p.stack, int32(idx))
	}
	return j
}

// attrValue scans the rest of a quoted value from i, up to the quote q.
func (p *parser) attrValue(i int, q byte) (int, uint8) {
	s := p.s
	var flags uint8
	for i < len(s) {
		c := s[i]
		if ctab[c]&cPlain != 0 {
			i++ // fast path: printable ASCII other than quotes, '<' and '&'
			continue
		}
		switch {
		case c == q:
			return i, flags
		case c == '<':
			p.fatal(i, diag.SyntaxError, "'<' is not allowed in an attribute value")
			return -1, 0
		case c == '&':
			flags |= fDecode
			if i = p.ref(i); i < 0 {
				return -1, 0
			}
		case c == '\t' || c == '\n' || c == '\r':
			flags |= fDecode // normalised to spaces
			i++
		case c < 0x20:
			p.fatal(i, diag.SyntaxError, "invalid character %#x", c)
			return -1, 0
		case c < utf8.RuneSelf:
			i++
		default:
			if i = p.rune(i); i < 0 {
				return -1, 0
			}
		}
	}
	p.fatal(i, diag.SyntaxError, "attribute value is not closed")
	return -1, 0
}

// namespaces applies the tag's xmlns declarations and checks that every
// prefix in it is declared. Prefixed attributes belong to other
// vocabularies (e.g. SQL 4 CDS's generator:IsVariable) and are ignored;
// prefixed elements are unknown elements.
func (p *parser) namespaces(t *token, depth int) bool {
	s := p.s
	for k := t.a0; k < t.a1; k++ {
		name := s[p.attrs[k].n0:p.attrs[k].n1]
		if pfx, ok := strings.CutPrefix(name, "xmlns:"); ok {
			if !validNCName(pfx) || pfx == "xmlns" || pfx == "xml" {
				return p.fatal(int(p.attrs[k].n0), diag.SyntaxError, "invalid namespace prefix %q", pfx)
			}
			if p.attrs[k].v0 == p.attrs[k].v1 {
				return p.fatal(int(p.attrs[k].v0), diag.SyntaxError, "namespace prefix %q bound to an empty name", pfx)
			}
			if len(p.ns) == maxAttrs {
				return p.fatal(int(p.attrs[k].n0), diag.LimitExceeded, "more than %d namespace declarations in scope", maxAttrs)
			}
			p.ns = append(p.ns, nsDecl{prefix: pfx, depth: depth})
		}
	}
	if !p.checkQName(int(t.start)+1, s[t.start+1:t.nameEnd]) {
		return false
	}
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		name := s[a.n0:a.n1]
		if name == "xmlns" || strings.HasPrefix(name, "xmlns:") {
			continue
		}
		if !p.checkQName(int(a.n0), name) {
			return false
		}
	}
	return true
}

// checkQName validates prefix:local and that prefix is in scope.
func (p *parser) checkQName(pos int, name string) bool {
	pfx, local, ok := strings.Cut(name, ":")
	if !ok {
		return true
	}
	if !validNCName(pfx) || !validNCName(local) {
		return p.fatal(pos, diag.SyntaxError, "invalid qualified name %q", name)
	}
	if pfx == "xml" {
		return true
	}
	for k := len(p.ns) - 1; k >= 0; k-- {
		if p.ns[k].prefix == pfx {
			return true
		}
	}
	return p.fatal(pos, diag.SyntaxError, "namespace prefix %q is not declared", pfx)
}

func validNCName(s string) bool {
	return s != "" && strings.IndexByte(s, ':') < 0
}

func (p *parser) popNS(depth int) {
	for len(p.ns) > 0 && p.ns[len(p.ns)-1].depth > depth {
		p.ns = p.ns[:len(p.ns)-1]
	}
}

// endTag scans "</name>" and closes the innermost open element.
func (p *parser) endTag(i int) int {
	s := p.s
	// Fast path: the open element's name followed by '>'. That name is a
	// valid Name and '>' cannot continue it, so p.name would stop there.
	if n := len(p.stack); n > 0 {
		t := &p.toks[p.stack[n-1]]
		open := s[t.start+1 : t.nameEnd]
		if e := i + 2 + len(open); e < len(s) && s[e] == '>' && s[i+2:e] == open {
			t.end, t.next = int32(e+1), int32(len(p.toks))
			p.stack = p.stack[:n-1]
			if len(p.ns) > 0 {
				p.popNS(n - 1)
			}
			if n == 1 {
				p.rootDone = true
			}
			return e + 1
		}
	}
	ne, _, ok := p.name(i + 2)
	if !ok {
		p.fatal(i+2, diag.SyntaxError, "invalid end tag")
		return -1
	}
	j := ne
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != '>' {
		p.fatal(j, diag.SyntaxError, "expected '>' to close the end tag")
		return -1
	}
	name := s[i+2 : ne]
	if len(p.stack) == 0 {
		p.fatal(i, diag.SyntaxError, "unexpected end tag </%s>", name)
		return -1
	}
	top := p.stack[len(p.stack)-1]
	t := &p.toks[top]
	if open := s[t.start+1 : t.nameEnd]; open != name {
		p.fatal(i, diag.SyntaxError, "end tag </%s> does not match <%s>", name, open)
		return -1
	}
	t.end, t.next = int32(j+1), int32(len(p.toks))
	p.stack = p.stack[:len(p.stack)-1]
	p.popNS(len(p.stack))
	if len(p.stack) == 0 {
		p.rootDone = true
	}
	return j + 1
}

// name scans an XML Name at i and returns its end and whether it holds a
// colon (a namespace prefix).
func (p *parser) name(i int) (end int, colon, ok bool) {
	s := p.s
	j := i
	if j < len(s) && ctab[s[j]]&cNameStart != 0 {
		j++
		for j < len(s) && ctab[s[j]]&cName != 0 {
			j++
		}
	}
	for j < len(s) {
		c := s[j]
		if c == ':' {
			colon = true
			j++
			continue
		}
		if c < utf8.RuneSelf {
			if ctab[c]&cName == 0 || (j == i && ctab[c]&cNameStart == 0) {
				break
			}
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError || !isNameRune(r, j == i) {
			break
		}
		j += size
	}
	return j, colon, j > i
}

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
