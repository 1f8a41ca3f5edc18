package odata

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/textcheck"
)

// Request is a parsed OData request: the entity set and the query options,
// as concrete syntax. Lower turns it into an ast.Query.
type Request struct {
	Source    *diag.Source
	EntitySet string
	SetSpan   diag.Span

	Select  *Select
	Expand  *Expand
	Filter  *OrExpr
	OrderBy *OrderBy
	Apply   *Apply
	Top     *IntOption
	Skip    *IntOption
	Count   *BoolOption
	Search  *TextOption

	// Compute, Skiptoken and the like parse but lower to errors.
	Other []*TextOption

	// aliases are the parameter aliases (@p=value) expressions refer to.
	aliases map[string]*aliasValue

	maps map[any]*offsets // CST root → its option's offset map
}

// IntOption is $top or $skip.
type IntOption struct {
	Span  diag.Span
	Value int64
}

// BoolOption is $count.
type BoolOption struct {
	Span  diag.Span
	Value bool
}

// TextOption is an option kept as text ($search, unsupported options).
type TextOption struct {
	Span  diag.Span
	Name  string
	Value string
}

type aliasValue struct {
	expr *OrExpr
	off  *offsets
}

// offsets maps byte offsets of a percent-decoded option value back to the
// request text, so positions point at what the user wrote.
type offsets struct {
	base int   // offset of the raw value in the request
	raw  []int // decoded index → raw index relative to base; nil: identity
}

func (o *offsets) at(i int) diag.Pos {
	if o.raw != nil && i >= 0 && i < len(o.raw) {
		return diag.Pos(o.base + o.raw[i])
	}
	if o.raw != nil && i >= len(o.raw) && len(o.raw) > 0 {
		return diag.Pos(o.base + o.raw[len(o.raw)-1] + 1)
	}
	return diag.Pos(o.base + i)
}

func (o *offsets) span(from, to lexer.Position) diag.Span {
	return diag.Span{Start: o.at(from.Offset), End: o.at(to.Offset)}
}

// decode percent-decodes s. '+' stays a plus sign: OData URLs use it in
// literals (time zone offsets), and form encoding is not URL encoding.
// The decoded text must be UTF-8 without NUL (see unstorable).
func decode(s string) (string, []int, error) {
	if strings.IndexByte(s, '%') < 0 {
		if at, what := unstorable(s); at >= 0 {
			return "", nil, badText{at, what}
		}
		return s, nil, nil
	}
	var b strings.Builder
	raw := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", nil, badEscape(i)
			}
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			raw = append(raw, i)
			i += 2
			continue
		}
		b.WriteByte(s[i])
		raw = append(raw, i)
	}
	raw = append(raw, len(s))
	out := b.String()
	if at, what := unstorable(out); at >= 0 {
		return "", nil, badText{raw[at], what}
	}
	return out, raw, nil
}

// unstorable returns the byte offset of the first NUL or invalid UTF-8
// sequence of s (-1: none) and what it is. Both are refused where the
// request is read rather than replaced: no engine stores them alike
// (PostgreSQL text holds no NUL), so a literal holding one could only
// reach the database as a raw error or as another value.
func unstorable(s string) (int, string) {
	switch at, what := textcheck.Unstorable(s); what {
	case textcheck.NUL:
		return at, "NUL (%00): no engine stores it"
	case textcheck.NotUTF8:
		return at, "invalid UTF-8"
	}
	return -1, ""
}

// badEscape is a malformed %XX at a byte offset of the decoded text.
type badEscape int

func (e badEscape) Error() string { return "OData: malformed percent escape (%XX)" }

// badText is a NUL or invalid UTF-8 at a byte offset of the raw text.
type badText struct {
	at   int
	what string
}

func (e badText) Error() string { return "OData: " + e.what }

// escapeSpan is the span of a decode error, base being the raw text's offset.
func escapeSpan(err error, base int) diag.Span {
	switch e := err.(type) {
	case badEscape:
		return diag.Span{Start: diag.Pos(base + int(e)), End: diag.Pos(base + int(e) + 1)}
	case badText:
		return diag.Span{Start: diag.Pos(base + e.at), End: diag.Pos(base + e.at + 1)}
	}
	return diag.Span{Start: diag.Pos(base), End: diag.Pos(base)}
}

// MaxLength bounds a request (Dataverse's URL limit is 32 KB).
const MaxLength = 64 << 10

// maxDepth bounds expression nesting so that hostile input cannot exhaust
// the stack (participle recurses per level).
const maxDepth = 100

// ParseRequest parses "entityset?$option=…&…", or "$option=…" alone
// (EntitySet is then empty). It checks syntax only; Lower resolves names.
func ParseRequest(src *diag.Source) (*Request, error) {
	return parseRequest(src, handWritten)
}

// grammar parses the option values that hold expressions. Requests are
// read with handWritten (options.go, expr.go); the tests read them again
// with the participle grammar of grammar.go, the definition, and require
// the same tree and the same errors.
type grammar struct {
	filter  func(string) (*OrExpr, *syntaxErr)
	orderBy func(string) (*OrderBy, *syntaxErr)
	sel     func(string) (*Select, *syntaxErr)
	expand  func(string) (*Expand, *syntaxErr)
	apply   func(string) (*Apply, *syntaxErr)
}

var handWritten = grammar{
	filter:  parseExprString,
	orderBy: parseOrderByString,
	sel:     parseSelectString,
	expand:  parseExpandString,
	apply:   parseApplyString,
}

func parseRequest(src *diag.Source, g grammar) (*Request, error) {
	text := string(src.Text)
	r := &Request{Source: src, maps: map[any]*offsets{}}
	fail := func(sp diag.Span, code diag.Code, format string, args ...any) (*Request, error) {
		return nil, diag.ErrorList{diag.Errorf(src, sp, code, format, args...)}.Err()
	}
	if len(text) > MaxLength {
		return fail(diag.Span{Start: 0, End: 0}, diag.LimitExceeded, "request is %d bytes; the limit is %d", len(text), MaxLength)
	}
	path, query, hasQuery := strings.Cut(text, "?")
	qbase := len(path) + 1
	switch {
	case !hasQuery && strings.HasPrefix(text, "$"):
		// The options alone.
		path, query, qbase = "", text, 0
	case !hasQuery:
		qbase = len(text)
	}
	if err := r.entitySet(path); err != nil {
		return nil, err
	}
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	pos := qbase
	for _, part := range strings.Split(query, "&") {
		start := pos
		pos += len(part) + 1
		if part == "" {
			continue
		}
		rawName, rawValue, hasEq := strings.Cut(part, "=")
		nameSpan := diag.Span{Start: diag.Pos(start), End: diag.Pos(start + len(rawName))}
		name, _, err := decode(rawName)
		if err != nil {
			return fail(escapeSpan(err, start), diag.SyntaxError, "%v", err)
		}
		vbase := start + len(rawName)
		if hasEq {
			vbase++
		}
		value, raw, err := decode(rawValue)
		if err != nil {
			return fail(escapeSpan(err, vbase), diag.SyntaxError, "%v", err)
		}
		off := &offsets{base: vbase, raw: raw}
		valSpan := diag.Span{Start: diag.Pos(vbase), End: diag.Pos(vbase + len(rawValue))}
		if strings.EqualFold(strings.TrimPrefix(name, "$"), "search") {
			// $search is checked as written: %3B is a word character,
			// a literal ; is not.
			if at, ok := searchValid(rawValue); !ok {
				return fail(diag.Span{Start: diag.Pos(vbase + at), End: diag.Pos(vbase + at)}, diag.SyntaxError, "OData: malformed $search expression")
			}
		}
		if err := r.option(g, name, value, hasEq, nameSpan, valSpan, off); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// entitySet takes the last path segment of path (a base URL may precede it).
func (r *Request) entitySet(path string) error {
	start := 0
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		start = i + 1
	}
	seg := path[start:]
	r.SetSpan = diag.Span{Start: diag.Pos(start), End: diag.Pos(len(path))}
	if seg == "" {
		return nil
	}
	name, _, err := decode(seg)
	if err != nil {
		return diag.ErrorList{diag.Errorf(r.Source, escapeSpan(err, start), diag.SyntaxError, "%v", err)}.Err()
	}
	end := identEnd(name, 0)
	if end == 0 || end != len(name) {
		if end > 0 && end < len(name) && name[end] == '(' {
			return diag.ErrorList{diag.Errorf(r.Source, r.SetSpan, diag.UnsupportedFeature, "OData: key predicate %q: address a collection and filter on the key instead", name)}.Err()
		}
		return diag.ErrorList{diag.Errorf(r.Source, r.SetSpan, diag.SyntaxError, "OData: %q is not an entity set name", name)}.Err()
	}
	r.EntitySet = name
	return nil
}

// systemOptions are OData's system query options, lower case with their
// $; OData 4.01 lets a client omit the $. The server refuses custom
// options by this table too (IsSystemOption).
var systemOptions = map[string]bool{
	"$select": true, "$expand": true, "$filter": true, "$orderby": true, "$top": true, "$skip": true,
	"$count": true, "$search": true, "$apply": true, "$compute": true, "$format": true, "$skiptoken": true,
	"$deltatoken": true, "$index": true, "$schemaversion": true, "$id": true, "$levels": true,
}

// IsSystemOption reports whether name ("$filter", "filter", any case) is
// one of OData's system query options.
func IsSystemOption(name string) bool {
	return systemOptions["$"+strings.TrimPrefix(strings.ToLower(name), "$")]
}

// SystemOptions lists OData's system query options, lower case with their
// $, sorted.
func SystemOptions() []string { return slices.Sorted(maps.Keys(systemOptions)) }

func (r *Request) option(g grammar, name, value string, hasEq bool, nameSpan, valSpan diag.Span, off *offsets) error {
	src := r.Source
	fail := func(sp diag.Span, code diag.Code, format string, args ...any) error {
		return diag.ErrorList{diag.Errorf(src, sp, code, format, args...)}.Err()
	}
	key := name
	if !strings.HasPrefix(key, "$") && !strings.HasPrefix(key, "@") && systemOptions["$"+strings.ToLower(key)] {
		key = "$" + key // OData 4.01: the $ is optional
	}
	if strings.HasPrefix(key, "$") {
		key = strings.ToLower(key)
		if !systemOptions[key] {
			return fail(nameSpan, diag.SyntaxError, "OData: unknown system query option %s", name)
		}
		if !hasEq {
			return fail(nameSpan, diag.SyntaxError, "OData: %s without a value", name)
		}
	}
	dup := func(set bool) error {
		if set {
			return fail(nameSpan, diag.DuplicateElement, "OData: %s given twice", name)
		}
		return nil
	}
	var err error
	switch key {
	case "$filter":
		if err = dup(r.Filter != nil); err == nil {
			r.Filter, err = parseOption(r, value, off, valSpan, g.filter)
		}
	case "$orderby":
		if err = dup(r.OrderBy != nil); err == nil {
			r.OrderBy, err = parseOption(r, value, off, valSpan, g.orderBy)
		}
	case "$select":
		if err = dup(r.Select != nil); err == nil {
			r.Select, err = parseOption(r, value, off, valSpan, g.sel)
		}
	case "$expand":
		if err = dup(r.Expand != nil); err == nil {
			r.Expand, err = parseOption(r, value, off, valSpan, g.expand)
		}
	case "$apply":
		if err = dup(r.Apply != nil); err == nil {
			r.Apply, err = parseOption(r, value, off, valSpan, g.apply)
		}
	case "$top", "$skip":
		n, perr := strconv.ParseInt(value, 10, 64)
		if perr != nil || value == "" || value[0] < '0' || value[0] > '9' {
			return fail(valSpan, diag.SyntaxError, "OData: %s takes a non-negative integer, not %q", name, value)
		}
		o := &IntOption{Span: valSpan, Value: n}
		if key == "$top" {
			err, r.Top = dup(r.Top != nil), o
		} else {
			err, r.Skip = dup(r.Skip != nil), o
		}
	case "$count":
		var b bool
		switch {
		case strings.EqualFold(value, "true"):
			b = true
		case strings.EqualFold(value, "false"):
		default:
			return fail(valSpan, diag.SyntaxError, "OData: $count takes true or false, not %q", value)
		}
		err, r.Count = dup(r.Count != nil), &BoolOption{Span: valSpan, Value: b}
	case "$search":
		err, r.Search = dup(r.Search != nil), &TextOption{Span: valSpan, Name: name, Value: value}
	default:
		switch {
		case strings.HasPrefix(key, "@"):
			if identEnd(key, 1) != len(key) || len(key) == 1 {
				return fail(nameSpan, diag.SyntaxError, "OData: bad parameter alias %q", name)
			}
			x, perr := parseOption(r, value, off, valSpan, g.filter)
			if perr != nil {
				return perr
			}
			if r.aliases == nil {
				r.aliases = map[string]*aliasValue{}
			}
			r.aliases[key] = &aliasValue{expr: x, off: off}
		case strings.HasPrefix(key, "$"):
			if key == "$compute" {
				if _, perr := parseOption(r, value, off, valSpan, g.apply); perr != nil {
					return perr
				}
			}
			r.Other = append(r.Other, &TextOption{Span: nameSpan, Name: name, Value: value})
		default:
			// Custom query options are the service's business; Dataverse
			// ignores unknown ones, and so do we.
		}
	}
	return err
}

// parseOption parses one option value, runs the checks of check.go on
// it and registers the tree's offset map. Nesting is bounded before
// parsing: hostile input cannot exhaust the stack.
func parseOption[T any](r *Request, value string, off *offsets, valSpan diag.Span, parse func(string) (*T, *syntaxErr)) (*T, error) {
	if d := nesting(value); d > maxDepth {
		return nil, diag.ErrorList{diag.Errorf(r.Source, valSpan, diag.TooDeep, "OData: expression nests %d deep; the limit is %d", d, maxDepth)}.Err()
	}
	if strings.HasPrefix(value, " ") {
		return nil, diag.ErrorList{diag.Errorf(r.Source, diag.Span{Start: off.at(0), End: off.at(1)}, diag.SyntaxError, "OData: space after =")}.Err()
	}
	x, e := parse(value)
	if e == nil {
		e = check(x)
	}
	if e != nil {
		at := min(e.at.Offset, len(value))
		return nil, diag.ErrorList{diag.Errorf(r.Source, diag.Span{Start: off.at(at), End: off.at(at)}, diag.SyntaxError, "OData: %s", e.msg)}.Err()
	}
	r.maps[x] = off
	return x, nil
}

// nesting is the deepest bracket nesting of s outside quotes.
func nesting(s string) int {
	depth, most, minus := 0, 0, 0
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		// A run of unary minus signs nests as brackets do.
		switch {
		case c == '-' && q == 0:
			minus++
			most = max(most, depth+minus)
		case c != ' ':
			minus = 0
		}
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '(' || c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	// "not not not …" nests without brackets.
	if n := strings.Count(s, "not "); n > most {
		most = n
	}
	return most
}

// searchValid checks a $search value against the ABNF's search grammar:
// words, "phrases", AND / OR / NOT, parentheses. It returns the offset of
// the first error.
func searchValid(s string) (int, bool) {
	// Encoded quotes, parentheses and spaces are what they encode; other
	// escapes (%3B, %26) stay word characters.
	s = strings.NewReplacer("%22", `"`, "%28", "(", "%29", ")", "%20", " ").Replace(s)
	i := 0
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	var expr, term func(depth int) bool
	term = func(depth int) bool {
		skip()
		if i >= len(s) {
			return false
		}
		switch c := s[i]; {
		case c == '(':
			i++
			if !expr(depth + 1) {
				return false
			}
			skip()
			if i >= len(s) || s[i] != ')' {
				return false
			}
			i++
			return true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j <= 0 {
				return false
			}
			i += j + 2
			return true
		case c == ')' || c == ';':
			return false
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '(' && s[i] != ')' && s[i] != '"' && s[i] != ';' {
			i++
		}
		if s[start:i] == "NOT" {
			// NOT is an operator when a term follows, else a word.
			save := i
			skip()
			if i < len(s) && s[i] != ')' {
				return term(depth)
			}
			i = save
		}
		return s[start] != '\''
	}
	expr = func(depth int) bool {
		if depth > maxDepth || !term(depth) {
			return false
		}
		for {
			skip()
			if i >= len(s) || s[i] == ')' {
				return true
			}
			if (strings.HasPrefix(s[i:], "AND ") || strings.HasPrefix(s[i:], "OR ")) && i > 0 {
				save := i
				i += strings.IndexByte(s[i:], ' ')
				skip()
				if i >= len(s) || s[i] == ')' {
					i = save // a trailing AND / OR is a word
				}
			}
			if !term(depth) {
				return false
			}
		}
	}
	if s != "" && s[0] == '\'' {
		// The 4.01 "incomplete" form: a single-quoted string.
		end, ok := quoted(s, 0, '\'')
		return end, ok && end == len(s)
	}
	if !expr(0) || i != len(s) {
		return i, false
	}
	return 0, true
}
