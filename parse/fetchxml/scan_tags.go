package fetchxml

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/diag"
)

// Tags: start and end tags, attributes and their values, namespaces and
// names.

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
