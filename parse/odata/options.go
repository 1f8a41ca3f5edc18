package odata

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// The option lists of grammar.go ($select, $expand with their nested
// options, $apply and $compute, nested $search), parsed by hand as
// expr.go parses expressions: one token slice, no reflection. participle
// built the same trees at ~7 µs and ~100 allocations per $expand item;
// the differential tests (grammar_ref_test.go) hold this parser to the
// grammar: the same tree, the same error positions.

func parseSelectString(s string) (*Select, *syntaxErr) {
	p := newParser(s, false)
	x := p.selectList()
	if err := p.finish(); err != nil {
		return nil, err
	}
	return x, nil
}

func parseExpandString(s string) (*Expand, *syntaxErr) {
	p := newParser(s, false)
	x := p.expandList()
	if err := p.finish(); err != nil {
		return nil, err
	}
	return x, nil
}

func parseApplyString(s string) (*Apply, *syntaxErr) {
	p := newExprParser(s)
	x := p.apply()
	if err := p.finish(); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *exprParser) selectList() *Select {
	x := &Select{}
	x.Items = append(x.Items, p.selectItem())
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		it := p.selectItem()
		if p.giveUp(start, since) {
			break
		}
		x.Items = append(x.Items, it)
	}
	return x
}

// pathNames reads name ( "/" name )*; a "/" not followed by a name is
// left unread, as the grammar's optional group leaves it.
func (p *exprParser) pathNames() []string {
	if !isSegmentName(p.peek()) {
		p.fail("unexpected %s (expected a name)", text(p.peek()))
		return nil
	}
	path := []string{p.peek().Value}
	p.i++
	for p.punct("/") {
		if !isSegmentName(p.peekAt(1)) {
			p.missed(p.i + 1)
			break
		}
		path = append(path, p.peekAt(1).Value)
		p.i += 2
	}
	return path
}

func (p *exprParser) selectItem() *SelectItem {
	x := &SelectItem{Pos: p.pos()}
	x.Path = p.pathNames()
	if p.err == nil && p.punct("(") {
		// ( Ident ("," Ident)* ) is a function's parameter list; anything
		// else holds nested options.
		start, since := p.i, p.far
		params, at := p.params()
		switch {
		case params != nil:
			x.Params = params
		case at > start+lookahead:
			p.i = at
			p.fail("unexpected %s (expected \",\" or \")\")", text(p.peek()))
		default:
			p.missed(at)
			x.Options = p.optionList()
			if p.err != nil && at > p.errAt {
				p.i = at
				p.err = nil
				p.fail("unexpected %s (expected \",\" or \")\")", text(p.peek()))
			}
			p.alternative(start, since)
			if p.giveUp(start, since) {
				x.Options = nil
			}
		}
	}
	x.EndPos = p.pos()
	return x
}

// params reads "(" Ident ( "," Ident )* ")" when the tokens are that;
// otherwise it reads nothing and returns the token it failed at.
func (p *exprParser) params() ([]string, int) {
	j := p.i + 1
	for {
		if t := p.tokAt(j); t.Type != tIdent {
			if j == p.i+1 {
				return nil, j
			}
			// ( "," Ident )* gives up its last round: ")" is then
			// expected at the ",".
			p.missed(j)
			return nil, j - 1
		}
		j++
		if t := p.tokAt(j); t.Type == tPunct && t.Value == ")" {
			break
		} else if t.Type != tPunct || t.Value != "," {
			return nil, j
		}
		j++
	}
	var names []string
	for k := p.i + 1; k < j; k += 2 {
		names = append(names, p.toks[k].Value)
	}
	p.i = j + 1
	return names, 0
}

func (p *exprParser) tokAt(j int) *lexer.Token {
	if j < len(p.toks) {
		return &p.toks[j]
	}
	return &p.toks[len(p.toks)-1]
}

func (p *exprParser) expandList() *Expand {
	x := &Expand{}
	x.Items = append(x.Items, p.expandItem())
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		it := p.expandItem()
		if p.giveUp(start, since) {
			break
		}
		x.Items = append(x.Items, it)
	}
	return x
}

func (p *exprParser) expandItem() *ExpandItem {
	x := &ExpandItem{Pos: p.pos()}
	x.Path = p.pathNames()
	if p.err == nil && p.punct("(") {
		start, since := p.i, p.far
		x.Options = p.optionList()
		if p.giveUp(start, since) {
			x.Options = nil
		}
	}
	x.EndPos = p.pos()
	return x
}

// optionList reads "(" Option ( ";" Option )* ")".
func (p *exprParser) optionList() []*Option {
	p.i++ // (
	var opts []*Option
	opts = append(opts, p.option())
	for p.err == nil && p.punct(";") {
		start, since := p.i, p.far
		p.i++
		o := p.option()
		if p.giveUp(start, since) {
			break
		}
		opts = append(opts, o)
	}
	if p.err == nil {
		p.expect(")")
	}
	return opts
}

// optionNames are the nested options, with or without their $.
var optionNames = [...]string{"select", "expand", "filter", "orderby", "top", "skip", "count", "levels", "search", "compute", "apply"}

func (p *exprParser) option() *Option {
	x := &Option{Pos: p.pos()}
	start, since := p.i, p.far
	t := p.peek()
	name := ""
	if t.Type == tIdent {
		w := strings.TrimPrefix(strings.ToLower(t.Value), "$")
		for _, n := range optionNames {
			if w == n {
				name = n
			}
		}
	}
	switch {
	case name != "":
	case t.Type == tAlias:
		x.Alias = t.Value
		p.i++
		p.expect("=")
		if p.err == nil {
			x.AliasV = p.or()
		}
		p.alternative(start, since)
		x.EndPos = p.pos()
		return x
	default:
		p.fail("unexpected %s (expected a query option)", text(t))
		return x
	}
	p.i++
	p.expect("=")
	if p.err == nil {
		p.optionValue(x, name)
	}
	p.alternative(start, since)
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) optionValue(x *Option, name string) {
	t := p.peek()
	switch name {
	case "select":
		x.Select = p.selectList()
	case "expand":
		x.Expand = p.expandList()
	case "filter":
		x.Filter = p.or()
	case "orderby":
		x.OrderBy = p.orderBy()
	case "top", "skip":
		if t.Type != tNumber {
			p.fail("unexpected %s (expected a number)", text(t))
			return
		}
		if name == "top" {
			x.Top = t.Value
		} else {
			x.Skip = t.Value
		}
		p.i++
	case "count":
		if t.Type != tBool {
			p.fail("unexpected %s (expected true or false)", text(t))
			return
		}
		x.Count = t.Value
		p.i++
	case "levels":
		if t.Type != tNumber && !(t.Type == tIdent && strings.EqualFold(t.Value, "max")) {
			p.fail("unexpected %s (expected a number or max)", text(t))
			return
		}
		x.Levels = t.Value
		p.i++
	case "search":
		x.Search = p.search(0)
	case "compute":
		x.Compute = p.apply()
	case "apply":
		x.Apply = p.apply()
	}
}

func (p *exprParser) orderBy() *OrderBy {
	o := &OrderBy{}
	o.Items = append(o.Items, p.orderItem())
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		it := p.orderItem()
		if p.giveUp(start, since) {
			break
		}
		o.Items = append(o.Items, it)
	}
	return o
}

func (p *exprParser) orderItem() *OrderItem {
	it := &OrderItem{Pos: p.pos()}
	it.Expr = p.or()
	if p.err == nil && (p.keyword("asc") || p.keyword("desc")) {
		it.Dir = p.peek().Value
		p.i++
	}
	it.EndPos = p.pos()
	return it
}

// apply reads transformations joined by "/".
func (p *exprParser) apply() *Apply {
	x := &Apply{}
	x.Steps = append(x.Steps, p.arg())
	for p.err == nil && p.punct("/") {
		start, since := p.i, p.far
		p.i++
		a := p.arg()
		if p.giveUp(start, since) {
			break
		}
		x.Steps = append(x.Steps, a)
	}
	return x
}

// isSearchWord is a token a nested $search term may be.
func isSearchWord(t *lexer.Token) bool {
	switch t.Type {
	case tIdent, tString, tDQString, tNumber, tBool, tNull:
		return true
	}
	return t.Value == "-" || t.Value == "*"
}

// search reads one or more terms: words and parenthesized searches.
func (p *exprParser) search(depth int) *Search {
	x := &Search{Pos: p.pos()}
	if depth > maxDepth {
		p.fail("search nests too deep")
		return x
	}
	for p.err == nil {
		t := p.peek()
		switch {
		case t.Type == tPunct && t.Value == "(":
			start, since := p.i, p.far
			p.i++
			g := p.search(depth + 1)
			if p.err == nil {
				p.expect(")")
			}
			p.alternative(start, since)
			if p.giveUp(start, since) {
				break
			}
			x.Terms = append(x.Terms, &SearchTerm{Group: g})
			continue
		case isSearchWord(t):
			x.Terms = append(x.Terms, &SearchTerm{Word: *t})
			p.i++
			continue
		}
		if len(x.Terms) == 0 {
			p.fail("unexpected %s (expected a search term)", text(t))
		}
		return x
	}
	return x
}
