package queryexpression

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/vecompile/vecompile/internal/diag"
)

// A hand-written JSON reader: encoding/json's Token API cost three
// quarters of a conversion (boxing every token into an interface and
// re-scanning for offsets). This one reads the document once, keeps a byte
// span per value, borrows unescaped strings from the source text and
// allocates values from slabs.

// jkind is the kind of a JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jString
	jNumber
	jBool
	jArray
	jObject
)

// jv is a decoded JSON value with its byte span. A nil *jv is an absent
// property.
type jv struct {
	kind jkind
	b    bool
	text string // jString: the unescaped value; jNumber: the literal
	arr  []*jv
	obj  *jobj
	sp   diag.Span
}

// jprop is one property of an object.
type jprop struct {
	key string
	val *jv
}

// jobj is a JSON object with its properties in document order.
type jobj struct {
	props []jprop
	dup   []string // properties given twice (the last one wins)
	index map[string]int
}

// indexFrom is the property count from which an object gets a map: query
// objects have a dozen properties at most, where a scan is faster, but a
// hostile document must not make duplicate detection quadratic.
const indexFrom = 16

func (o *jobj) get(k string) *jv {
	if o == nil {
		return nil
	}
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return o.props[i].val
		}
		return nil
	}
	for i := range o.props {
		if o.props[i].key == k {
			return o.props[i].val
		}
	}
	return nil
}

// isNull reports an absent property or a JSON null.
func (x *jv) isNull() bool { return x == nil || x.kind == jNull }

// str is x's string value.
func (x *jv) str() (string, bool) {
	if x == nil || x.kind != jString {
		return "", false
	}
	return x.text, true
}

// object is x's object value.
func (x *jv) object() (*jobj, bool) {
	if x == nil || x.kind != jObject {
		return nil, false
	}
	return x.obj, true
}

// maxJSONDepth bounds the nesting the decoder accepts (the parser's own
// limit on filters and links is lower).
const maxJSONDepth = 512

// slabSize is how many values, pointers or properties one slab holds.
const slabSize = 64

type decoder struct {
	s     string
	off   int
	depth int
	err   *diag.Error
	src   *diag.Source
	nodes []jv
	ptrs  []*jv
	props []jprop
	// items and fields are the open arrays' and objects' children, shared
	// by every nesting level (a level's children are copied out when it
	// closes).
	items  []*jv
	fields []jprop
}

// decode reads one JSON document with spans.
func decode(src *diag.Source) (*jv, *diag.Error) {
	d := &decoder{s: unsafe.String(unsafe.SliceData(src.Text), len(src.Text)), src: src}
	d.skipSpace()
	if d.off == len(d.s) {
		return nil, d.fail(len(d.s), "empty document")
	}
	v := d.value()
	if d.err != nil {
		return nil, d.err
	}
	if d.skipSpace(); d.off < len(d.s) {
		return nil, d.fail(d.off, "unexpected data after the JSON document")
	}
	return v, nil
}

func (d *decoder) fail(off int, format string, args ...any) *diag.Error {
	if d.err == nil {
		code := diag.SyntaxError
		msg := "malformed JSON: " + fmt.Sprintf(format, args...)
		if format == "empty document" {
			msg = format
		}
		if off > len(d.s) {
			off = len(d.s)
		}
		d.err = diag.Errorf(d.src, diag.Span{Start: diag.Pos(off), End: diag.Pos(off)}, code, "%s", msg)
	}
	return d.err
}

func (d *decoder) skipSpace() {
	for d.off < len(d.s) {
		switch d.s[d.off] {
		case ' ', '\t', '\r', '\n':
			d.off++
		default:
			return
		}
	}
}

func (d *decoder) node(k jkind, start int) *jv {
	if len(d.nodes) == cap(d.nodes) {
		d.nodes = make([]jv, 0, slabSize)
	}
	d.nodes = d.nodes[:len(d.nodes)+1]
	v := &d.nodes[len(d.nodes)-1]
	v.kind, v.sp.Start = k, diag.Pos(start)
	return v
}

// describe names the byte at off for an error message.
func (d *decoder) describe(off int) string {
	if off >= len(d.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(d.s[off:])
	return strconv.QuoteRune(r)
}

// value reads the value at d.off (spaces skipped); on failure it sets
// d.err and returns nil.
func (d *decoder) value() *jv {
	if d.off >= len(d.s) {
		d.fail(d.off, "unexpected end of input")
		return nil
	}
	start := d.off
	switch c := d.s[d.off]; {
	case c == '{':
		return d.objectValue(start)
	case c == '[':
		return d.arrayValue(start)
	case c == '"':
		s, ok := d.stringLit()
		if !ok {
			return nil
		}
		v := d.node(jString, start)
		v.text, v.sp.End = s, diag.Pos(d.off)
		return v
	case c == '-' || c >= '0' && c <= '9':
		if !d.number() {
			return nil
		}
		v := d.node(jNumber, start)
		v.text, v.sp.End = d.s[start:d.off], diag.Pos(d.off)
		return v
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(d.s)-d.off >= len(lit) && d.s[d.off:d.off+len(lit)] == lit {
				d.off += len(lit)
				if lit == "null" {
					v := d.node(jNull, start)
					v.sp.End = diag.Pos(d.off)
					return v
				}
				v := d.node(jBool, start)
				v.b, v.sp.End = lit == "true", diag.Pos(d.off)
				return v
			}
		}
	}
	d.fail(start, "invalid character %s looking for a value", d.describe(start))
	return nil
}

func (d *decoder) enter(start int) bool {
	if d.depth++; d.depth > maxJSONDepth {
		d.err = diag.Errorf(d.src, diag.Span{Start: diag.Pos(start), End: diag.Pos(start)}, diag.TooDeep, "JSON nested deeper than %d", maxJSONDepth)
		return false
	}
	return true
}

func (d *decoder) objectValue(start int) *jv {
	if !d.enter(start) {
		return nil
	}
	d.off++
	mark := len(d.fields)
	o := &jobj{}
	d.skipSpace()
	if d.off < len(d.s) && d.s[d.off] == '}' {
		d.off++
	} else {
		for {
			if d.off >= len(d.s) || d.s[d.off] != '"' {
				d.fail(d.off, "invalid character %s looking for a property name in double quotes", d.describe(d.off))
				return nil
			}
			k, ok := d.stringLit()
			if !ok {
				return nil
			}
			if d.skipSpace(); d.off >= len(d.s) || d.s[d.off] != ':' {
				d.fail(d.off, "invalid character %s after property name %q, expected ':'", d.describe(d.off), k)
				return nil
			}
			d.off++
			d.skipSpace()
			x := d.value()
			if x == nil {
				return nil
			}
			d.addField(o, mark, k, x)
			d.skipSpace()
			if d.off < len(d.s) && d.s[d.off] == ',' {
				d.off++
				d.skipSpace()
				continue
			}
			if d.off < len(d.s) && d.s[d.off] == '}' {
				d.off++
				break
			}
			d.fail(d.off, "invalid character %s after a property value, expected ',' or '}'", d.describe(d.off))
			return nil
		}
	}
	d.depth--
	o.props = keep(&d.props, d.fields[mark:])
	d.fields = d.fields[:mark]
	v := d.node(jObject, start)
	v.obj, v.sp.End = o, diag.Pos(d.off)
	return v
}

// addField appends a property to the open object, the last of two
// duplicates replacing the first in place.
func (d *decoder) addField(o *jobj, mark int, k string, x *jv) {
	open := d.fields[mark:]
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			open[i].val = x
			o.dup = append(o.dup, k)
			return
		}
		o.index[k] = len(open)
	} else {
		for i := range open {
			if open[i].key == k {
				open[i].val = x
				o.dup = append(o.dup, k)
				return
			}
		}
		if len(open)+1 == indexFrom {
			o.index = make(map[string]int, 2*indexFrom)
			for i := range open {
				o.index[open[i].key] = i
			}
			o.index[k] = len(open)
		}
	}
	d.fields = append(d.fields, jprop{key: k, val: x})
}

func (d *decoder) arrayValue(start int) *jv {
	if !d.enter(start) {
		return nil
	}
	d.off++
	mark := len(d.items)
	d.skipSpace()
	if d.off < len(d.s) && d.s[d.off] == ']' {
		d.off++
	} else {
		for {
			x := d.value()
			if x == nil {
				return nil
			}
			d.items = append(d.items, x)
			d.skipSpace()
			if d.off < len(d.s) && d.s[d.off] == ',' {
				d.off++
				d.skipSpace()
				continue
			}
			if d.off < len(d.s) && d.s[d.off] == ']' {
				d.off++
				break
			}
			d.fail(d.off, "invalid character %s after an array element, expected ',' or ']'", d.describe(d.off))
			return nil
		}
	}
	d.depth--
	arr := keep(&d.ptrs, d.items[mark:])
	d.items = d.items[:mark]
	v := d.node(jArray, start)
	v.arr, v.sp.End = arr, diag.Pos(d.off)
	return v
}

// keep copies a closed level's children out of the shared open stack into
// the slab, as a slice whose capacity ends at its length.
func keep[T any](slab *[]T, children []T) []T {
	n := len(children)
	if len(*slab)+n > cap(*slab) {
		*slab = make([]T, 0, max(slabSize, n))
	}
	l := len(*slab)
	out := append((*slab)[l:l:l+n], children...)
	*slab = (*slab)[:l+n]
	return out
}

// stringLit reads the string literal at d.off. Without escapes it borrows
// the source text; otherwise it builds a copy. Invalid UTF-8, an unpaired
// surrogate escape and NUL (\u0000) are refused at their position, not
// replaced as encoding/json does: no engine stores them alike (PostgreSQL
// text holds no NUL), so a value holding one could only reach the database
// as a raw error or as another value.
func (d *decoder) stringLit() (string, bool) {
	start := d.off + 1
	i := start
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			d.off = i + 1
			return d.s[start:i], true
		case c == '\\':
			return d.slowString(start)
		case c < 0x20:
			d.fail(i, "control character %s in a string literal", d.describe(i))
			return "", false
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && n == 1 {
				d.fail(i, "invalid UTF-8 in a string literal")
				return "", false
			}
			i += n
		}
	}
	d.fail(len(d.s), "unexpected end of input in a string literal")
	return "", false
}

func (d *decoder) slowString(start int) (string, bool) {
	b := make([]byte, 0, 32)
	i := start
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			d.off = i + 1
			return string(b), true
		case c < 0x20:
			d.fail(i, "control character %s in a string literal", d.describe(i))
			return "", false
		case c == '\\':
			if i+1 >= len(d.s) {
				i = len(d.s)
				continue
			}
			e := d.s[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := d.hex4(i)
				if !ok {
					d.fail(i-2, "invalid \\u escape in a string literal")
					return "", false
				}
				i += 4
				if r == 0 {
					d.fail(i-6, "NUL (\\u0000) in a string literal: no engine stores it")
					return "", false
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(d.s) && d.s[i] == '\\' && d.s[i+1] == 'u' {
						if x, ok := d.hex4(i + 2); ok {
							r2 = x
						}
					}
					dec := utf16.DecodeRune(r, r2)
					if dec == utf8.RuneError {
						d.fail(i-6, "unpaired surrogate \\u%04x in a string literal", r)
						return "", false
					}
					r = dec
					i += 6
				}
				b = utf8.AppendRune(b, r)
			default:
				d.fail(i-2, "invalid escape \\%c in a string literal", e)
				return "", false
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && n == 1 {
				d.fail(i, "invalid UTF-8 in a string literal")
				return "", false
			}
			b = append(b, d.s[i:i+n]...)
			i += n
		}
	}
	d.fail(len(d.s), "unexpected end of input in a string literal")
	return "", false
}

func (d *decoder) hex4(i int) (rune, bool) {
	if i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() bool {
	i := d.off
	digits := func() int {
		n := 0
		for i < len(d.s) && d.s[i] >= '0' && d.s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if d.s[i] == '-' {
		i++
	}
	switch {
	case i < len(d.s) && d.s[i] == '0':
		i++
	case digits() == 0:
		d.fail(i, "invalid character %s in a number", d.describe(i))
		return false
	}
	if i < len(d.s) && d.s[i] == '.' {
		i++
		if digits() == 0 {
			d.fail(i, "invalid character %s after a decimal point", d.describe(i))
			return false
		}
	}
	if i < len(d.s) && (d.s[i] == 'e' || d.s[i] == 'E') {
		i++
		if i < len(d.s) && (d.s[i] == '+' || d.s[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.fail(i, "invalid character %s in an exponent", d.describe(i))
			return false
		}
	}
	d.off = i
	return true
}
