package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/textcheck"
)

// checkJSON refuses a JSON request body before any decoder reads it: one
// nested deeper than the limit, and one with an object that repeats a key.
// encoding/json keeps the last of two equal keys and matches struct fields
// ignoring case, so {"name":"a","name":"b"} or {"Target":…,"target":…}
// would silently be read as one of them; here they are DuplicateAttribute.
// Keys are compared unescaped, folded as encoding/json folds them. Text that
// is not JSON passes: the decoder that follows reports it with its
// position.
func (s *Server) checkJSON(b []byte) error {
	if err := s.checkDepth(b); err != nil {
		return err
	}
	if err := checkUnicode(b); err != nil {
		return err
	}
	type frame struct {
		object bool
		key    bool              // the next string in this object is a key
		last   string            // the key being read, for the path
		keys   map[string]string // folded key → as written
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].key = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or not JSON: the real decoder reports it
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', key: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			top := (*frame)(nil)
			if n := len(stack); n > 0 {
				top = stack[n-1]
			}
			if top == nil || !top.object || !top.key {
				valueDone()
				continue
			}
			f := foldKey(t)
			if prev, dup := top.keys[f]; dup {
				path := "$"
				for _, fr := range stack[:len(stack)-1] {
					if fr.object {
						path += "." + fr.last
					} else {
						path += "[]"
					}
				}
				if prev == t {
					return diagErr(diag.DuplicateAttribute, "the request body repeats the key %q in one object (at %s): give each key once", t, path)
				}
				return diagErr(diag.DuplicateAttribute, "the request body gives the key %q twice, as %q and %q, in one object (at %s): give each key once", t, prev, t, path)
			}
			if top.keys == nil {
				top.keys = map[string]string{}
			}
			top.keys[f], top.last, top.key = t, t, false
		default:
			valueDone()
		}
	}
}

// checkUnicode refuses a body that is not UTF-8, or that escapes half of
// a surrogate pair ("\ud800" alone): encoding/json would read either as
// U+FFFD and store a character the client never sent.
func checkUnicode(b []byte) error {
	if i := textcheck.NotUTF8At(b); i >= 0 {
		return diagErr(diag.InvalidText, "the request body is not valid UTF-8 (byte %d)", i)
	}
	if i := textcheck.UnpairedSurrogate(b); i >= 0 {
		return diagErr(diag.InvalidText, "the request body escapes an unpaired UTF-16 surrogate (byte %d)", i)
	}
	return nil
}

// foldKey folds a key as encoding/json matches struct fields: ASCII
// letters to upper case, other runes to ToUpper(ToLower(r)).
func foldKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range k {
		switch {
		case r < utf8.RuneSelf && 'a' <= r && r <= 'z':
			b.WriteRune(r - ('a' - 'A'))
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToUpper(unicode.ToLower(r)))
		}
	}
	return b.String()
}
