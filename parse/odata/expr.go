package odata

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// exprParser is a recursive-descent parser for the expression grammar of
// grammar.go (OrExpr and below), producing the same syntax tree. $filter
// is the hot path: participle's reflective parser needs ~500 µs and 3,400
// allocations for a 10-clause filter, this one ~20× less time and 54
// allocations (issue 3's budget is 20 µs). $orderby and plain $select
// lists take the same path.
// The participle grammar stays the definition: TestExprParsersAgree and
// TestOrderBySelectParsersAgree run both over the ABNF cases and the test
// inputs and require the same tree; $expand, $apply and $select with
// nested options are parsed by participle.
type exprParser struct {
	toks []lexer.Token
	i    int
	err  *syntaxErr
	// far is the furthest token a branch the grammar would have tried
	// failed at (-1: none). participle reports an error there when it is
	// past the one that ends the parse, and so do we.
	far   int
	errAt int // the token err is at
	// depth guards recursion (ParseRequest also caps bracket nesting).
	depth int

	// Nodes come from slabs: a 10-clause filter has ~150 nodes, and one
	// allocation each made the garbage collector the main cost.
	ors    slab[OrExpr]
	ands   slab[AndExpr]
	nots   slab[NotExpr]
	cmps   slab[Comparison]
	cmpOps slab[CmpOp]
	adds   slab[Additive]
	muls   slab[Multiplicative]
	unas   slab[Unary]
	prims  slab[Primary]
	lits   slab[Literal]
	paths  slab[Path]
	segs   slab[Segment]
	andPtr slab[*AndExpr]
	notPtr slab[*NotExpr]
	segPtr slab[*Segment]
}

// slab hands out pointers into chunks that are never moved.
type slab[T any] struct{ buf []T }

func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, max(8, 2*cap(s.buf)))
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// size makes the first chunk hold n elements.
func (s *slab[T]) size(n int) {
	if n > 0 {
		s.buf = make([]T, 0, n)
	}
}

// one returns a one-element slice holding x whose backing array comes
// from the slab; appending to it reallocates (its capacity is 1).
func one[T any](s *slab[T], x T) []T {
	p := s.new()
	*p = x
	i := len(s.buf) - 1
	return s.buf[i : i+1 : i+1]
}

func parseExprString(s string) (*OrExpr, *syntaxErr) {
	p := newExprParser(s)
	x := p.or()
	if err := p.finish(); err != nil {
		return nil, err
	}
	return x, nil
}

// finish reports an error, or input left over.
func (p *exprParser) finish() *syntaxErr {
	if p.err == nil && p.peek().Type != tEOF {
		p.fail("unexpected %s", text(p.peek()))
	}
	return p.err
}

// parseOrderByString parses a $orderby value: expressions, each with an
// optional asc / desc, joined by commas (grammar.go's OrderBy).
func parseOrderByString(s string) (*OrderBy, *syntaxErr) {
	p := newExprParser(s)
	o := p.orderBy()
	if err := p.finish(); err != nil {
		return nil, err
	}
	return o, nil
}

func newExprParser(s string) *exprParser {
	sc := scanner{src: s}
	p := &exprParser{toks: make([]lexer.Token, 0, 4+len(s)/6), far: -1}
	// Count what the slabs will hold, so that each gets one chunk of
	// the right size: operands (names and literals), literals, and the
	// places a new OrExpr chain starts (brackets, commas, lambdas) or a
	// new comparison does (and, or, not).
	operands, literals, chains, terms := 0, 0, 1, 1
	for {
		t, _ := sc.Next()
		p.toks = append(p.toks, t)
		switch t.Type {
		case tEOF:
		case tIdent:
			switch strings.ToLower(t.Value) {
			case "and", "or", "not":
				terms++
				continue
			case "eq", "ne", "gt", "ge", "lt", "le", "in", "has", "add", "sub", "mul", "div", "divby", "mod":
				continue
			}
			operands++
			continue
		case tAlias:
			operands++
			continue
		case tPunct:
			if t.Value == "(" || t.Value == "[" || t.Value == "," || t.Value == ":" {
				chains++
			}
			continue
		default:
			operands++
			literals++
			continue
		}
		break
	}
	p.ors.size(chains)
	p.ands.size(chains)
	p.andPtr.size(chains)
	p.nots.size(chains + terms)
	p.notPtr.size(chains + terms)
	p.cmps.size(chains + terms)
	p.cmpOps.size(operands / 2)
	p.adds.size(operands)
	p.muls.size(operands)
	p.unas.size(operands)
	p.prims.size(operands)
	p.paths.size(operands - literals)
	p.segs.size(operands - literals)
	p.segPtr.size(operands - literals)
	p.lits.size(literals)
	return p
}

func (p *exprParser) peek() *lexer.Token { return &p.toks[p.i] }

func (p *exprParser) peekAt(k int) *lexer.Token {
	if p.i+k < len(p.toks) {
		return &p.toks[p.i+k]
	}
	return &p.toks[len(p.toks)-1]
}

func (p *exprParser) pos() lexer.Position { return p.toks[p.i].Pos }

// text names a token in messages.
func text(t *lexer.Token) string {
	if t.Type == tEOF {
		return "end of input"
	}
	return fmt.Sprintf("%q", t.Value)
}

func (p *exprParser) fail(format string, args ...any) {
	if p.err == nil {
		at := p.i
		if p.far > at {
			at = p.far
		}
		p.err = &syntaxErr{at: p.toks[min(at, len(p.toks)-1)].Pos, msg: fmt.Sprintf(format, args...)}
		p.errAt = at
	}
}

// lookahead is how far (in tokens) a failed branch may have read before
// the grammar stops trying the others (participle.UseLookahead(3)).
const lookahead = 3

// missed records that a branch the grammar tries failed at token i.
func (p *exprParser) missed(i int) { p.far = max(p.far, i) }

// try runs a branch that the grammar may give up on: when it fails within
// lookahead tokens of where it started, the parser goes back and try
// reports false (the caller reads the next alternative); a failure
// further on is the parse's error.
func (p *exprParser) try(branch func()) bool {
	start := p.i
	branch()
	if p.err == nil {
		return true
	}
	if p.errAt > start+lookahead {
		return true
	}
	p.missed(p.errAt)
	p.err, p.i = nil, start
	return false
}

// keyword reports whether the next token is the identifier kw (any case,
// as participle.CaseInsensitive("Ident") matches).
func (p *exprParser) keyword(kw string) bool {
	t := p.peek()
	return t.Type == tIdent && strings.EqualFold(t.Value, kw)
}

func (p *exprParser) punct(c string) bool {
	t := p.peek()
	return t.Type == tPunct && t.Value == c
}

func (p *exprParser) expect(c string) {
	if !p.punct(c) {
		p.fail("unexpected %s (expected %q)", text(p.peek()), c)
		return
	}
	p.i++
}

func (p *exprParser) or() *OrExpr {
	x := p.ors.new()
	x.Pos = p.pos()
	p.depth++
	if p.depth > maxDepth*4 {
		p.fail("expression nests too deep")
		return x
	}
	x.Terms = one(&p.andPtr, p.and())
	for p.err == nil && p.keyword("or") {
		p.i++
		x.Terms = append(x.Terms, p.and())
	}
	p.depth--
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) and() *AndExpr {
	x := p.ands.new()
	x.Pos = p.pos()
	x.Terms = one(&p.notPtr, p.not())
	for p.err == nil && p.keyword("and") {
		p.i++
		x.Terms = append(x.Terms, p.not())
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) not() *NotExpr {
	x := p.nots.new()
	if p.keyword("not") {
		// "not" is also a name: when no operand follows, it is one.
		depth := p.depth
		if p.try(func() {
			p.i++
			p.depth++
			if p.depth > maxDepth*4 {
				p.fail("expression nests too deep")
				return
			}
			x.Not = p.not()
			p.depth--
		}) {
			return x
		}
		x.Not, p.depth = nil, depth
	}
	x.Cmp = p.comparison()
	return x
}

var cmpOps = [...]string{"eq", "ne", "gt", "ge", "lt", "le", "has", "in"}

func (p *exprParser) comparison() *Comparison {
	x := p.cmps.new()
	x.Pos = p.pos()
	x.Left = p.additive()
	for p.err == nil && p.peek().Type == tIdent {
		op := ""
		for _, o := range cmpOps {
			if strings.EqualFold(p.peek().Value, o) {
				op = p.peek().Value
			}
		}
		if op == "" {
			break
		}
		c := p.cmpOps.new()
		c.Pos, c.Op = p.pos(), op
		p.i++
		c.Right = p.additive()
		x.Ops = append(x.Ops, c)
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) additive() *Additive {
	x := p.adds.new()
	x.Left = p.multiplicative()
	for p.err == nil && (p.keyword("add") || p.keyword("sub")) {
		o := &AddOp{Pos: p.pos(), Op: p.peek().Value}
		p.i++
		o.Right = p.multiplicative()
		x.Ops = append(x.Ops, o)
	}
	return x
}

func (p *exprParser) multiplicative() *Multiplicative {
	x := p.muls.new()
	x.Left = p.unary()
	for p.err == nil && (p.keyword("mul") || p.keyword("div") || p.keyword("divby") || p.keyword("mod")) {
		o := &MulOp{Pos: p.pos(), Op: p.peek().Value}
		p.i++
		o.Right = p.unary()
		x.Ops = append(x.Ops, o)
	}
	return x
}

func (p *exprParser) unary() *Unary {
	x := p.unas.new()
	if p.punct("-") {
		p.i++
		p.depth++
		if p.depth > maxDepth*4 {
			p.fail("expression nests too deep")
			return x
		}
		x.Neg = p.unary()
		p.depth--
	} else {
		x.Primary = p.primary()
	}
	return x
}

func (p *exprParser) primary() *Primary {
	x := p.prims.new()
	x.Pos = p.pos()
	t := p.peek()
	switch t.Type {
	case tString, tDQString, tTyped, tNumber, tDate, tDateTime, tTime, tGUID, tNull, tBool:
		x.Literal = p.lits.new()
		x.Literal.Value = *t
		p.i++
	case tPunct:
		switch t.Value {
		case "{":
			p.i++
			x.Object = p.object()
			p.expect("}")
		case "(":
			p.i++
			x.Paren = p.list()
			p.expect(")")
		case "[":
			p.i++
			x.Array = p.list()
			p.expect("]")
		case "*":
			x.Path = p.path()
		default:
			p.fail("unexpected %s", text(t))
		}
	case tIdent, tAlias:
		x.Path = p.path()
	default:
		p.fail("unexpected %s", text(t))
	}
	x.EndPos = p.pos()
	return x
}

// list parses ( @@ ( "," @@ )* )? up to a closing bracket.
func (p *exprParser) list() *List {
	x := &List{Pos: p.pos()}
	if p.punct(")") || p.punct("]") {
		return x
	}
	x.Items = append(x.Items, p.or())
	for p.err == nil && p.punct(",") {
		p.i++
		x.Items = append(x.Items, p.or())
	}
	return x
}

func (p *exprParser) object() *Object {
	x := &Object{Pos: p.pos()}
	if p.punct("}") {
		return x
	}
	for p.err == nil {
		if p.peek().Type != tDQString {
			p.fail("unexpected %s (expected a member name)", text(p.peek()))
			return x
		}
		m := &Member{Name: p.peek().Value}
		p.i++
		p.expect(":")
		m.Value = p.or()
		x.Members = append(x.Members, m)
		if !p.punct(",") {
			break
		}
		p.i++
	}
	return x
}

func (p *exprParser) path() *Path {
	x := p.paths.new()
	x.Pos = p.pos()
	x.Segs = one(&p.segPtr, p.segment())
	for p.err == nil && p.punct("/") {
		if t := p.peekAt(1); t.Type != tIdent && t.Type != tAlias && t.Value != "*" {
			// Not a segment: the "/" is left to $apply's steps.
			p.missed(p.i + 1)
			break
		}
		p.i++
		x.Segs = append(x.Segs, p.segment())
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) segment() *Segment {
	x := p.segs.new()
	x.Pos = p.pos()
	t := p.peek()
	if t.Type != tIdent && t.Type != tAlias && !(t.Type == tPunct && t.Value == "*") {
		p.fail("unexpected %s (expected a name)", text(t))
		return x
	}
	x.Name = t.Value
	p.i++
	if p.punct("(") {
		p.i++
		x.Open = true
		if !p.punct(")") {
			x.Call = p.call()
		}
		p.expect(")")
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) call() *Call {
	x := &Call{Pos: p.pos()}
	next := p.peekAt(1)
	switch {
	case p.peek().Type == tIdent && next.Type == tPunct && next.Value == ":":
		l := &Lambda{Pos: p.pos(), Var: p.peek().Value}
		p.i += 2
		l.Body = p.or()
		x.Lambda = l
	case p.peek().Type == tIdent && next.Type == tPunct && next.Value == "=":
		for p.err == nil {
			a := &NamedArg{Pos: p.pos()}
			if p.peek().Type != tIdent {
				p.fail("unexpected %s (expected a parameter name)", text(p.peek()))
				return x
			}
			a.Name = p.peek().Value
			p.i++
			p.expect("=")
			a.Value = p.or()
			x.Named = append(x.Named, a)
			if !p.punct(",") {
				break
			}
			p.i++
		}
	default:
		x.Args = append(x.Args, p.arg())
		for p.err == nil && p.punct(",") {
			p.i++
			x.Args = append(x.Args, p.arg())
		}
	}
	return x
}

func (p *exprParser) arg() *Arg {
	x := &Arg{Pos: p.pos()}
	if p.keyword("keep") && p.peekAt(1).Type == tIdent && strings.EqualFold(p.peekAt(1).Value, "start") {
		x.Keep = true
		p.i += 2
	} else {
		x.Expr = p.or()
	}
	for p.err == nil {
		s := &Suffix{Pos: p.pos()}
		switch {
		case p.keyword("with") && p.peekAt(1).Type == tIdent:
			s.With = p.peekAt(1).Value
			p.i += 2
		case p.keyword("from"):
			p.i++
			s.From = p.path()
		case p.keyword("asc") || p.keyword("desc"):
			s.Dir = p.peek().Value
			p.i++
		default:
			s = nil
		}
		if s == nil {
			break
		}
		x.Suffixes = append(x.Suffixes, s)
	}
	if p.err == nil && p.keyword("as") && p.peekAt(1).Type == tIdent {
		x.As = p.peekAt(1).Value
		p.i += 2
	}
	x.EndPos = p.pos()
	return x
}
