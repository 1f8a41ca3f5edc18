package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// jnode is one JSON value with the byte offset where it starts, so that
// metadata errors can point at a line. Objects keep their key order.
type jnode struct {
	off  int
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null

	keys    []string
	keyOffs []int
	vals    []*jnode
	elems   []*jnode
	str     string      // 's'
	num     json.Number // 'n'
	b       bool        // 'b'
}

func (n *jnode) kindName() string {
	switch n.kind {
	case 'o':
		return "an object"
	case 'a':
		return "an array"
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// get returns an object member.
func (n *jnode) get(key string) *jnode {
	if n == nil {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// parseJSONTree parses data into a tree, or returns a positioned error.
func parseJSONTree(src *diag.Source, code diag.Code) (*jnode, error) {
	p := &treeParser{data: src.Text, dec: json.NewDecoder(bytes.NewReader(src.Text))}
	p.dec.UseNumber()
	root, err := p.value(0)
	if err == nil {
		// Anything but whitespace after the document is an error.
		if _, terr := p.dec.Token(); terr != io.EOF {
			off := p.skip(int(p.dec.InputOffset()))
			if terr != nil {
				err = terr
			} else {
				err = errors.New("unexpected data after the JSON document")
			}
			return nil, posError(src, off, "$", code, "syntax error: %v", err)
		}
		return root, nil
	}
	var te *treeError
	if errors.As(err, &te) {
		return nil, posError(src, te.off, te.path, code, "%s", te.msg)
	}
	off := len(src.Text)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = syntaxErrorOffset(src.Text, se)
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of JSON input"
	}
	return nil, posError(src, off, "", code, "syntax error: %s", msg)
}

// syntaxErrorOffset finds the offending byte of a decoder syntax error: the
// decoder reports where the token being scanned began, and names the
// invalid character in its message.
func syntaxErrorOffset(data []byte, se *json.SyntaxError) int {
	off := int(se.Offset)
	msg := se.Error()
	const lead = "invalid character "
	if i := strings.Index(msg, lead); i >= 0 {
		if q, err := strconv.QuotedPrefix(msg[i+len(lead):]); err == nil {
			if c, err := strconv.Unquote(q); err == nil && c != "" {
				if j := bytes.Index(data[min(off, len(data)):], []byte(c)); j >= 0 {
					return off + j
				}
			}
		}
	}
	if off > 0 {
		off--
	}
	return min(off, len(data))
}

type treeError struct {
	off  int
	path string
	msg  string
}

func (e *treeError) Error() string { return e.msg }

type treeParser struct {
	data []byte
	dec  *json.Decoder
}

// skip moves off past whitespace and the separators the decoder consumes
// silently, to the first byte of the next token.
func (p *treeParser) skip(off int) int {
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

const maxJSONDepth = 64

func (p *treeParser) value(depth int) (*jnode, error) {
	if depth > maxJSONDepth {
		return nil, &treeError{off: p.skip(int(p.dec.InputOffset())), msg: "JSON nested too deeply"}
	}
	off := p.skip(int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jnode{off: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = 'o'
			for p.dec.More() {
				koff := p.skip(int(p.dec.InputOffset()))
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				for _, have := range n.keys {
					if have == k {
						return nil, &treeError{off: koff, msg: fmt.Sprintf("duplicate key %q", k)}
					}
				}
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.keyOffs = append(n.keyOffs, koff)
				n.vals = append(n.vals, v)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
		case '[':
			n.kind = 'a'
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
		default:
			return nil, &treeError{off: off, msg: fmt.Sprintf("syntax error: unexpected %q", string(t))}
		}
	case string:
		n.kind, n.str = 's', t
	case json.Number:
		n.kind, n.num = 'n', t
	case bool:
		n.kind, n.b = 'b', t
	case nil:
		n.kind = 'z'
	}
	return n, nil
}

// posError builds a diag error at byte offset off of src, with the JSON
// path in the message.
func posError(src *diag.Source, off int, path string, code diag.Code, format string, args ...any) *diag.Error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return &diag.Error{Source: src, Span: diag.Span{Start: diag.Pos(off), End: diag.Pos(off)}, Path: path, Code: code, Msg: msg}
}

// treeReader walks a jnode tree collecting typed-access errors.
type treeReader struct {
	src  *diag.Source
	code diag.Code
	errs diag.ErrorList
}

func (r *treeReader) errorf(n *jnode, path, format string, args ...any) {
	if r.errs.Full() {
		return
	}
	off := 0
	if n != nil {
		off = n.off
	}
	r.errs.Add(posError(r.src, off, path, r.code, format, args...))
}

// object checks that n is an object whose keys are all in allowed.
func (r *treeReader) object(n *jnode, path string, allowed ...string) bool {
	if n.kind != 'o' {
		r.errorf(n, path, "expected an object, found %s", n.kindName())
		return false
	}
	for i, k := range n.keys {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			r.errs.Add(posError(r.src, n.keyOffs[i], path+"."+k, r.code, "unknown field %q (allowed: %s)", k, joinQuoted(allowed)))
		}
	}
	return true
}

func joinQuoted(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}

// str reads an optional string member ("" when absent or null).
func (r *treeReader) str(obj *jnode, key, path string) string {
	n := obj.get(key)
	if n == nil || n.kind == 'z' {
		return ""
	}
	if n.kind != 's' {
		r.errorf(n, path+"."+key, "expected a string, found %s", n.kindName())
		return ""
	}
	return n.str
}

// boolean reads an optional boolean member.
func (r *treeReader) boolean(obj *jnode, key, path string) bool {
	n := obj.get(key)
	if n == nil || n.kind == 'z' {
		return false
	}
	if n.kind != 'b' {
		r.errorf(n, path+"."+key, "expected true or false, found %s", n.kindName())
		return false
	}
	return n.b
}

// integer reads an optional integer member (0 when absent).
func (r *treeReader) integer(obj *jnode, key, path string) int64 {
	n := obj.get(key)
	if n == nil || n.kind == 'z' {
		return 0
	}
	if n.kind != 'n' {
		r.errorf(n, path+"."+key, "expected an integer, found %s", n.kindName())
		return 0
	}
	v, err := strconv.ParseInt(n.num.String(), 10, 64)
	if err != nil {
		r.errorf(n, path+"."+key, "expected an integer, found %s", n.num)
		return 0
	}
	return v
}

// array reads an optional array member.
func (r *treeReader) array(obj *jnode, key, path string) []*jnode {
	n := obj.get(key)
	if n == nil || n.kind == 'z' {
		return nil
	}
	if n.kind != 'a' {
		r.errorf(n, path+"."+key, "expected an array, found %s", n.kindName())
		return nil
	}
	return n.elems
}

// strings reads an optional array of strings.
func (r *treeReader) strings(obj *jnode, key, path string) []string {
	var out []string
	for i, e := range r.array(obj, key, path) {
		if e.kind != 's' {
			r.errorf(e, fmt.Sprintf("%s.%s[%d]", path, key, i), "expected a string, found %s", e.kindName())
			continue
		}
		out = append(out, e.str)
	}
	return out
}
