package queryexpression

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/vecompile/vecompile/internal/diag"
)

// jv is a decoded JSON value with its byte span: nil, string, json.Number,
// bool, []*jv or *jobj.
type jv struct {
	v  any
	sp diag.Span
}

// jobj is a JSON object with its properties in document order.
type jobj struct {
	keys []string
	vals map[string]*jv
	dup  []string // properties given twice (the last one wins)
}

func (o *jobj) get(k string) *jv {
	if o == nil {
		return nil
	}
	return o.vals[k]
}

// maxJSONDepth bounds the nesting the decoder accepts (the parser's own
// limit on filters and links is lower).
const maxJSONDepth = 512

type decoder struct {
	dec  *json.Decoder
	text []byte
}

// decode reads one JSON document with spans.
func decode(src *diag.Source) (*jv, *diag.Error) {
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(src.Text)), text: src.Text}
	d.dec.UseNumber()
	v, err := d.value(0)
	if err != nil {
		return nil, d.syntaxError(src, err)
	}
	if _, err := d.dec.Token(); err != io.EOF {
		off := d.skipSpace(int(d.dec.InputOffset()))
		return nil, diag.Errorf(src, diag.Span{Start: diag.Pos(off), End: diag.Pos(off)}, diag.SyntaxError, "unexpected data after the JSON document")
	}
	return v, nil
}

var errTooDeep = errors.New("too deep")

// skipSpace returns the offset of the next token at or after off.
func (d *decoder) skipSpace(off int) int {
	for off < len(d.text) {
		switch d.text[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (d *decoder) value(depth int) (*jv, error) {
	start := d.skipSpace(int(d.dec.InputOffset()))
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	tok, err := d.dec.Token()
	if err != nil {
		return nil, err
	}
	v := &jv{sp: diag.Span{Start: diag.Pos(start)}}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &jobj{vals: map[string]*jv{}}
			for d.dec.More() {
				kt, err := d.dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				x, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				if _, seen := o.vals[k]; seen {
					o.dup = append(o.dup, k)
				} else {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = x
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, err
			}
			v.v = o
		case '[':
			a := []*jv{}
			for d.dec.More() {
				x, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				a = append(a, x)
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, err
			}
			v.v = a
		}
	default:
		v.v = tok
	}
	v.sp.End = diag.Pos(d.dec.InputOffset())
	return v, nil
}

func (d *decoder) syntaxError(src *diag.Source, err error) *diag.Error {
	off := int(d.dec.InputOffset())
	var se *json.SyntaxError
	msg := "malformed JSON: " + err.Error()
	switch {
	case errors.As(err, &se):
		off = int(se.Offset)
	case errors.Is(err, errTooDeep):
		off = d.skipSpace(off)
		e := diag.Errorf(src, diag.Span{Start: diag.Pos(off), End: diag.Pos(off)}, diag.TooDeep, "JSON nested deeper than %d", maxJSONDepth)
		return e
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(src.Text)) == 0:
		off, msg = len(src.Text), "empty document"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off, msg = len(src.Text), "malformed JSON: unexpected end of input"
	}
	if off > len(src.Text) {
		off = len(src.Text)
	}
	if off < 0 {
		off = 0
	}
	return diag.Errorf(src, diag.Span{Start: diag.Pos(off), End: diag.Pos(off)}, diag.SyntaxError, "%s", msg)
}
