// Package diag carries positions and errors for every stage of vecompile,
// in the manner of go/token and go/scanner: a Pos is a byte offset into a
// Source, a Source turns offsets into line:col, and an Error pairs a Span
// with a stable Code from the catalogue in codes.go.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a byte offset into a Source. NoPos (-1) means "unknown".
type Pos int

// NoPos is the zero-information position.
const NoPos Pos = -1

// IsValid reports whether p points into a source.
func (p Pos) IsValid() bool { return p >= 0 }

// Span is a half-open byte range [Start, End) of a Source.
type Span struct {
	Start, End Pos
}

// NoSpan is the span of synthesized nodes.
var NoSpan = Span{NoPos, NoPos}

// Extent returns s itself, so that structs embedding Span satisfy
// interfaces that ask for Extent(). (A method named Span would be shadowed
// by the embedded field's own name.)
func (s Span) Extent() Span { return s }

// Source is one input document: a file, standard input, a flag value or a
// JSON body. Lines are computed lazily.
type Source struct {
	Name  string
	Text  []byte
	lines []int // byte offsets of line starts
}

// NewSource returns a source named name over text. The text is not copied.
func NewSource(name string, text []byte) *Source {
	return &Source{Name: name, Text: text}
}

// Position is a human position: 1-based line and column (in bytes, as
// go/token counts them).
type Position struct {
	Name      string
	Line, Col int
}

func (p Position) String() string {
	name := p.Name
	if name == "" {
		name = "<input>"
	}
	if p.Line == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d:%d", name, p.Line, p.Col)
}

// Position turns an offset into line:col.
func (s *Source) Position(p Pos) Position {
	if s == nil {
		return Position{}
	}
	if !p.IsValid() {
		return Position{Name: s.Name}
	}
	if s.lines == nil {
		s.lines = append(s.lines, 0)
		for i, c := range s.Text {
			if c == '\n' {
				s.lines = append(s.lines, i+1)
			}
		}
	}
	off := int(p)
	if off > len(s.Text) {
		off = len(s.Text)
	}
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return Position{Name: s.Name, Line: i + 1, Col: off - s.lines[i] + 1}
}

// Error is one diagnostic. Path replaces Span for inputs without text
// positions (QueryExpression JSON gives a JSON path such as
// "$.Criteria.Conditions[2].Operator").
type Error struct {
	Span   Span
	Source *Source
	Path   string
	Code   Code
	Msg    string
	Err    error
}

// Error formats as "file:line:col: CODE message".
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Source != nil && e.Span.Start.IsValid():
		b.WriteString(e.Source.Position(e.Span.Start).String())
		b.WriteString(": ")
	case e.Source != nil && e.Path != "":
		b.WriteString(e.Source.Name)
		b.WriteString(":")
		b.WriteString(e.Path)
		b.WriteString(": ")
	case e.Path != "":
		b.WriteString(e.Path)
		b.WriteString(": ")
	case e.Source != nil:
		b.WriteString(e.Source.Name)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Code))
	b.WriteString(" ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Position is the human position of the error's start.
func (e *Error) Position() Position { return e.Source.Position(e.Span.Start) }

// Errorf builds an error with a code and a formatted message.
func Errorf(src *Source, sp Span, code Code, format string, args ...any) *Error {
	return &Error{Span: sp, Source: src, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// MaxErrors caps how many errors a front end collects before it stops, as
// go/parser does.
const MaxErrors = 10

// ErrorList collects errors from one stage.
type ErrorList []*Error

// Add appends e.
func (l *ErrorList) Add(e *Error) { *l = append(*l, e) }

// Full reports whether the list reached MaxErrors.
func (l ErrorList) Full() bool { return len(l) >= MaxErrors }

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	if l[i].Span.Start != l[j].Span.Start {
		return l[i].Span.Start < l[j].Span.Start
	}
	return l[i].Code < l[j].Code
}

// Sort orders the list by position.
func (l ErrorList) Sort() { sort.Stable(l) }

// Error joins every message, one per line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns nil for an empty list, the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// CodeOf returns the code of the first diag error wrapped in err, or "".
func CodeOf(err error) Code {
	var list ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Codes returns the codes of every diag error in err, in order.
func Codes(err error) []Code {
	var list ErrorList
	if errors.As(err, &list) {
		out := make([]Code, len(list))
		for i, e := range list {
			out[i] = e.Code
		}
		return out
	}
	if c := CodeOf(err); c != "" {
		return []Code{c}
	}
	return nil
}
