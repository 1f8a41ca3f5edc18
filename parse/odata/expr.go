package odata

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// exprParser is a recursive-descent parser for the grammar of grammar.go,
// producing the same syntax tree: expressions here, the option lists in
// options.go. participle's reflective parser needs ~500 µs and 3,400
// allocations for a 10-clause filter, this one ~20× less time and 54
// allocations (issue 3's budget is 20 µs). The participle grammar stays
// the definition: the TestParsersAgree tests and FuzzParsersAgree parse
// with both and require the same tree and the same error positions.
type exprParser struct {
	toks []lexer.Token
	i    int
	err  *syntaxErr
	// errAt is the token the failing branch had read up to: where err
	// was raised, or where a branch that gave up began.
	errAt int
	// far is the furthest token a failure was recorded at (-1: none),
	// farErr that failure. Input left over is reported there when it is
	// past the leftover token, as participle reports its deepest error.
	far    int
	farErr *syntaxErr
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

func newExprParser(s string) *exprParser { return newParser(s, true) }

// newParser lexes s. With presize, each slab gets one chunk sized by
// counting tokens (expressions); without, slabs grow on demand ($select
// and $expand lists, where most hold no expression).
func newParser(s string, presize bool) *exprParser {
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
	if !presize {
		return p
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
		p.err = &syntaxErr{at: p.pos(), msg: fmt.Sprintf(format, args...)}
		p.errAt = p.i
		p.record()
	}
}

// failInGroup raises an error inside an optional part, which participle
// records as the deepest only when nothing deeper was recorded in it.
func (p *exprParser) failInGroup(since int, format string, args ...any) {
	if p.err == nil {
		p.err = &syntaxErr{at: p.pos(), msg: fmt.Sprintf(format, args...)}
		p.errAt = p.i
		if p.far <= since {
			p.record()
		}
	}
}

// Backtracking as the grammar does it. The hand-written parser chooses
// by looking ahead, but to report an error where participle does (and to
// accept what it accepts: "not" and "keep" are names too; a "/" that
// begins no segment ends a path) it follows participle's rules on
// failure: a branch that fails within lookahead tokens of where it began
// is given up (an optional or repeated part is then taken as absent, an
// alternative is then reported from where it began), a branch that read
// further is the error.

// lookahead is participle.UseLookahead(3): how far a failed branch may
// have read and still be given up.
const lookahead = 3

// record notes the current error as the deepest when it is.
func (p *exprParser) record() {
	if p.err != nil && p.errAt >= p.far {
		p.far, p.farErr = p.errAt, p.err
	}
}

// missed records the failure a branch the parser did not take would
// have had at token i.
func (p *exprParser) missed(i int) {
	if i >= p.far {
		p.far, p.farErr = i, nil // nil: "unexpected" that token, written when reported
	}
}

// giveUp ends an optional or repeated part that began at token start and
// failed: within lookahead it is taken as absent (the parser goes back
// to start and giveUp reports true), further on it is the error.
func (p *exprParser) giveUp(start, since int) bool {
	if p.err == nil || p.errAt > start+lookahead {
		return false
	}
	p.stop(since)
	p.err, p.i = nil, start
	return true
}

// stop records a branch's failure as participle's Stop does: a deeper
// failure recorded inside the branch (far past since, the deepest when
// it began) stands; otherwise the branch's own error does when it is as
// deep.
func (p *exprParser) stop(since int) {
	if p.far <= since {
		p.record()
	}
}

// alternative ends an alternative that began at token start and failed:
// within lookahead the error stands as raised at start.
func (p *exprParser) alternative(start, since int) {
	if p.err != nil && p.errAt <= start+lookahead {
		p.stop(since)
		p.errAt = start
	}
}

// finish reports an error, or input left over.
func (p *exprParser) finish() *syntaxErr {
	if p.err == nil && p.peek().Type != tEOF {
		if p.far > p.i {
			if p.farErr == nil {
				t := &p.toks[min(p.far, len(p.toks)-1)]
				return &syntaxErr{at: t.Pos, msg: "unexpected " + text(t)}
			}
			return p.farErr
		}
		p.fail("unexpected %s", text(p.peek()))
	}
	return p.err
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

// deeper guards recursion (ParseRequest also caps bracket nesting).
func (p *exprParser) deeper() bool {
	p.depth++
	if p.depth > maxDepth*4 {
		p.fail("expression nests too deep")
		return false
	}
	return true
}

func (p *exprParser) or() *OrExpr {
	x := p.ors.new()
	x.Pos = p.pos()
	if !p.deeper() {
		return x
	}
	x.Terms = one(&p.andPtr, p.and())
	for p.err == nil && p.keyword("or") {
		start, since := p.i, p.far
		p.i++
		t := p.and()
		if p.giveUp(start, since) {
			break
		}
		x.Terms = append(x.Terms, t)
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
		start, since := p.i, p.far
		p.i++
		t := p.not()
		if p.giveUp(start, since) {
			break
		}
		x.Terms = append(x.Terms, t)
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) not() *NotExpr {
	x := p.nots.new()
	start, since := p.i, p.far
	if p.keyword("not") {
		depth := p.depth
		p.i++
		if p.deeper() {
			x.Not = p.not()
		}
		if p.err == nil {
			p.depth--
			return x
		}
		if p.errAt > start+lookahead {
			return x
		}
		// "not" is a name too: with no operand after it, it is one.
		notErr, notAt := p.err, p.errAt
		p.record()
		p.err, p.i, p.depth, x.Not = nil, start, depth, nil
		x.Cmp = p.comparison()
		if p.err != nil && notAt > p.errAt {
			p.err, p.errAt = notErr, notAt
		}
		p.alternative(start, since)
		return x
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
		start, since := p.i, p.far
		c := p.cmpOps.new()
		c.Pos, c.Op = p.pos(), op
		p.i++
		c.Right = p.additive()
		if p.giveUp(start, since) {
			break
		}
		x.Ops = append(x.Ops, c)
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) additive() *Additive {
	x := p.adds.new()
	x.Left = p.multiplicative()
	for p.err == nil && (p.keyword("add") || p.keyword("sub")) {
		start, since := p.i, p.far
		o := &AddOp{Pos: p.pos(), Op: p.peek().Value}
		p.i++
		o.Right = p.multiplicative()
		if p.giveUp(start, since) {
			break
		}
		x.Ops = append(x.Ops, o)
	}
	return x
}

func (p *exprParser) multiplicative() *Multiplicative {
	x := p.muls.new()
	x.Left = p.unary()
	for p.err == nil && (p.keyword("mul") || p.keyword("div") || p.keyword("divby") || p.keyword("mod")) {
		start, since := p.i, p.far
		o := &MulOp{Pos: p.pos(), Op: p.peek().Value}
		p.i++
		o.Right = p.unary()
		if p.giveUp(start, since) {
			break
		}
		x.Ops = append(x.Ops, o)
	}
	return x
}

func (p *exprParser) unary() *Unary {
	x := p.unas.new()
	if p.punct("-") {
		start, since := p.i, p.far
		p.i++
		if p.deeper() {
			x.Neg = p.unary()
			p.depth--
		}
		// No primary begins with "-": the alternative fails as a whole.
		p.alternative(start, since)
	} else {
		x.Primary = p.primary()
	}
	return x
}

func (p *exprParser) primary() *Primary {
	x := p.prims.new()
	x.Pos = p.pos()
	start, since := p.i, p.far
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
			if p.err == nil {
				p.expect("}")
			}
		case "(":
			p.i++
			x.Paren = p.list()
			if p.err == nil {
				p.expect(")")
			}
		case "[":
			p.i++
			x.Array = p.list()
			if p.err == nil {
				p.expect("]")
			}
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
	p.alternative(start, since)
	x.EndPos = p.pos()
	return x
}

// list parses ( @@ ( "," @@ )* )? up to a closing bracket.
func (p *exprParser) list() *List {
	x := &List{Pos: p.pos()}
	if p.punct(")") || p.punct("]") {
		return x
	}
	start, since := p.i, p.far
	first := p.or()
	if p.giveUp(start, since) {
		return x
	}
	x.Items = append(x.Items, first)
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		it := p.or()
		if p.giveUp(start, since) {
			break
		}
		x.Items = append(x.Items, it)
	}
	return x
}

func (p *exprParser) object() *Object {
	x := &Object{Pos: p.pos()}
	if p.peek().Type != tDQString {
		return x
	}
	start, since := p.i, p.far
	m := p.member()
	if p.giveUp(start, since) {
		return x
	}
	x.Members = append(x.Members, m)
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		m := p.member()
		if p.giveUp(start, since) {
			break
		}
		x.Members = append(x.Members, m)
	}
	return x
}

func (p *exprParser) member() *Member {
	if p.peek().Type != tDQString {
		p.fail("unexpected %s (expected a member name)", text(p.peek()))
		return nil
	}
	m := &Member{Name: p.peek().Value}
	p.i++
	p.expect(":")
	if p.err == nil {
		m.Value = p.or()
	}
	return m
}

func isSegmentName(t *lexer.Token) bool {
	return t.Type == tIdent || t.Type == tAlias || t.Value == "*"
}

func (p *exprParser) path() *Path {
	x := p.paths.new()
	x.Pos = p.pos()
	x.Segs = one(&p.segPtr, p.segment())
	for p.err == nil && p.punct("/") {
		// A "/" that begins no segment is left: $apply's steps.
		start, since := p.i, p.far
		p.i++
		s := p.segment()
		if p.giveUp(start, since) {
			break
		}
		x.Segs = append(x.Segs, s)
	}
	x.EndPos = p.pos()
	return x
}

func (p *exprParser) segment() *Segment {
	x := p.segs.new()
	x.Pos = p.pos()
	t := p.peek()
	if !isSegmentName(t) {
		p.fail("unexpected %s (expected a name)", text(t))
		return x
	}
	x.Name = t.Value
	p.i++
	if p.punct("(") {
		start, since := p.i, p.far
		p.i++
		x.Open = true
		if !p.punct(")") {
			cstart, csince := p.i, p.far
			x.Call = p.call()
			if p.giveUp(cstart, csince) {
				x.Call = nil
			}
		}
		if p.err == nil {
			if p.punct(")") {
				p.i++
			} else {
				p.failInGroup(since, "unexpected %s (expected \")\")", text(p.peek()))
			}
		}
		if p.giveUp(start, since) {
			x.Open, x.Call = false, nil
		}
	}
	x.EndPos = p.pos()
	return x
}

// abandoned is the deepest failure of the alternatives given up so far.
type abandoned struct {
	err *syntaxErr
	at  int
}

// tried ends a lambda or named list that began at start: true when it
// parsed or failed past lookahead (the error stands); otherwise it is
// given up, its failure kept in first for when the arguments fail too.
func (p *exprParser) tried(start, since int, first *abandoned) bool {
	if p.err == nil || p.errAt > start+lookahead {
		return true
	}
	p.stop(since)
	if p.errAt > first.at {
		first.err, first.at = p.err, p.errAt
	}
	p.err, p.i = nil, start
	return false
}

// call reads a lambda, named parameters or positional arguments, tried
// in that order as the grammar does.
func (p *exprParser) call() *Call {
	x := &Call{Pos: p.pos()}
	start, since := p.i, p.far
	next := p.peekAt(1)
	first := abandoned{at: -1}
	if p.peek().Type == tIdent && next.Type == tPunct && next.Value == ":" {
		l := &Lambda{Pos: p.pos(), Var: p.peek().Value}
		p.i += 2
		l.Body = p.or()
		if p.tried(start, since, &first) {
			x.Lambda = l
			return x
		}
	} else if p.peek().Type == tIdent {
		p.missed(start + 1)
	}
	if p.peek().Type == tIdent && next.Type == tPunct && next.Value == "=" {
		x.Named = p.namedArgs()
		if p.tried(start, since, &first) {
			return x
		}
		x.Named = nil
	}
	x.Args = append(x.Args, p.arg())
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		a := p.arg()
		if p.giveUp(start, since) {
			break
		}
		x.Args = append(x.Args, a)
	}
	if p.err != nil && first.at > p.errAt {
		p.err, p.errAt = first.err, first.at
	}
	p.alternative(start, since)
	return x
}

func (p *exprParser) namedArgs() []*NamedArg {
	var out []*NamedArg
	out = append(out, p.namedArg())
	for p.err == nil && p.punct(",") {
		start, since := p.i, p.far
		p.i++
		a := p.namedArg()
		if p.giveUp(start, since) {
			break
		}
		out = append(out, a)
	}
	return out
}

func (p *exprParser) namedArg() *NamedArg {
	a := &NamedArg{Pos: p.pos()}
	if p.peek().Type != tIdent {
		p.fail("unexpected %s (expected a parameter name)", text(p.peek()))
		return a
	}
	a.Name = p.peek().Value
	p.i++
	p.expect("=")
	if p.err == nil {
		a.Value = p.or()
	}
	return a
}

func (p *exprParser) arg() *Arg {
	x := &Arg{Pos: p.pos()}
	start, since := p.i, p.far
	if p.keyword("keep") && p.peekAt(1).Type == tIdent && strings.EqualFold(p.peekAt(1).Value, "start") {
		x.Keep = true
		p.i += 2
	} else {
		if p.keyword("keep") {
			p.missed(start + 1)
		}
		x.Expr = p.or()
		p.alternative(start, since)
	}
	for p.err == nil {
		s := &Suffix{Pos: p.pos()}
		sstart, ssince := p.i, p.far
		switch {
		case p.keyword("with"):
			if p.peekAt(1).Type != tIdent {
				p.missed(p.i + 1)
				s = nil
				break
			}
			s.With = p.peekAt(1).Value
			p.i += 2
		case p.keyword("from"):
			p.i++
			s.From = p.path()
			if p.giveUp(sstart, ssince) {
				s = nil
			}
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
	if p.err == nil && p.keyword("as") {
		if p.peekAt(1).Type == tIdent {
			x.As = p.peekAt(1).Value
			p.i += 2
		} else {
			p.missed(p.i + 1)
		}
	}
	x.EndPos = p.pos()
	return x
}
