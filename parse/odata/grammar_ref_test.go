package odata

import (
	"errors"
	"io"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle parsers of grammar.go: the grammar's definition, which
// the hand-written parsers are held to (parsers_agree_test.go). They live
// in the tests only: requests never go through reflection.

// lexDef adapts the scanner to participle.
type lexDef struct{}

func (lexDef) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF": tEOF, "Ident": tIdent, "Alias": tAlias, "String": tString, "DQString": tDQString,
		"Typed": tTyped, "Number": tNumber, "Date": tDate, "DateTime": tDateTime, "Time": tTime,
		"GUID": tGUID, "Null": tNull, "Bool": tBool, "Punct": tPunct, "Bad": tBad,
	}
}

func (d lexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (lexDef) LexString(filename string, s string) (lexer.Lexer, error) {
	return &scanner{src: s, file: filename}, nil
}

var (
	refOptions   = []participle.Option{participle.Lexer(lexDef{}), participle.UseLookahead(3), participle.CaseInsensitive("Ident")}
	filterParser = participle.MustBuild[OrExpr](refOptions...)
	orderParser  = participle.MustBuild[OrderBy](refOptions...)
	selectParser = participle.MustBuild[Select](refOptions...)
	expandParser = participle.MustBuild[Expand](refOptions...)
	applyParser  = participle.MustBuild[Apply](refOptions...)
)

// refParse runs a participle parser and reports its error as the
// hand-written parsers do: a token offset and a message.
func refParse[T any](p *participle.Parser[T]) func(string) (*T, *syntaxErr) {
	return func(s string) (*T, *syntaxErr) {
		x, err := p.ParseString("", s)
		if err == nil {
			return x, nil
		}
		e := &syntaxErr{msg: err.Error()}
		var perr participle.Error
		if errors.As(err, &perr) {
			e.at, e.msg = perr.Position(), perr.Message()
		}
		return nil, e
	}
}

// reference reads requests with participle throughout.
var reference = grammar{
	filter:  refParse(filterParser),
	orderBy: refParse(orderParser),
	sel:     refParse(selectParser),
	expand:  refParse(expandParser),
	apply:   refParse(applyParser),
}
