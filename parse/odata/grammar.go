package odata

import "github.com/alecthomas/participle/v2/lexer"

// The concrete syntax tree. One expression grammar serves $filter,
// $orderby, lambda bodies, function arguments and $apply; it is written
// with OData's precedence (URL conventions §5.1.1.16):
//
//	or < and < not, comparisons (eq ne gt ge lt le has in) < add sub
//	   < mul div divby mod < unary minus < primary (literals, paths, calls)
//
// The grammar is deliberately a little wider than the ABNF where the ABNF
// depends on the data model (whether a name is a property, a navigation
// property or a function): the lowering decides that against the schema
// and reports what it cannot use with a position.

// OrExpr is a disjunction: Terms joined by "or".
type OrExpr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Terms  []*AndExpr `parser:"@@ ( \"or\" @@ )*"`
}

// AndExpr is a conjunction.
type AndExpr struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Terms  []*NotExpr `parser:"@@ ( \"and\" @@ )*"`
}

// NotExpr is "not" X or a comparison.
type NotExpr struct {
	Not *NotExpr    `parser:"  \"not\" @@"`
	Cmp *Comparison `parser:"| @@"`
}

// Comparison is Left followed by zero or more comparison operators.
type Comparison struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Left   *Additive `parser:"@@"`
	Ops    []*CmpOp  `parser:"@@*"`
}

// CmpOp is one comparison operator and its right operand.
type CmpOp struct {
	Pos   lexer.Position
	Op    string    `parser:"@(\"eq\" | \"ne\" | \"gt\" | \"ge\" | \"lt\" | \"le\" | \"has\" | \"in\")"`
	Right *Additive `parser:"@@"`
}

// Additive is Left (add|sub Right)*.
type Additive struct {
	Left *Multiplicative `parser:"@@"`
	Ops  []*AddOp        `parser:"@@*"`
}

// AddOp is add or sub.
type AddOp struct {
	Pos   lexer.Position
	Op    string          `parser:"@(\"add\" | \"sub\")"`
	Right *Multiplicative `parser:"@@"`
}

// Multiplicative is Left (mul|div|divby|mod Right)*.
type Multiplicative struct {
	Left *Unary   `parser:"@@"`
	Ops  []*MulOp `parser:"@@*"`
}

// MulOp is mul, div, divby or mod.
type MulOp struct {
	Pos   lexer.Position
	Op    string `parser:"@(\"mul\" | \"div\" | \"divby\" | \"mod\")"`
	Right *Unary `parser:"@@"`
}

// Unary is a negation or a primary.
type Unary struct {
	Neg     *Unary   `parser:"  \"-\" @@"`
	Primary *Primary `parser:"| @@"`
}

// Primary is a literal, a parenthesized expression or list, a JSON-style
// array, or a path (which covers properties, navigation, $it, $root,
// lambdas, function and method calls).
type Primary struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Literal *Literal `parser:"  @@"`
	Object  *Object  `parser:"| \"{\" @@ \"}\""`
	Paren   *List    `parser:"| \"(\" @@ \")\""`
	Array   *List    `parser:"| \"[\" @@ \"]\""`
	Path    *Path    `parser:"| @@"`
}

// List is the inside of ( … ) or [ … ]: one expression (grouping) or a
// list (the right operand of in, PropertyValues arrays).
type List struct {
	Pos   lexer.Position
	Items []*OrExpr `parser:"( @@ ( \",\" @@ )* )?"`
}

// Object is a JSON-style object literal (complex values, entity references).
type Object struct {
	Pos     lexer.Position
	Members []*Member `parser:"( @@ ( \",\" @@ )* )?"`
}

// Member is "name": value.
type Member struct {
	Name  string  `parser:"@DQString \":\""`
	Value *OrExpr `parser:"@@"`
}

// Literal is a primitive literal; Type says which token it was.
type Literal struct {
	Value lexer.Token `parser:"@(String | DQString | Typed | Number | Date | DateTime | Time | GUID | Null | Bool)"`
}

// Path is segments joined by "/": a/b/c, nav/any(x: …), contains(a,'b'),
// Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=[…]).
type Path struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Segs   []*Segment `parser:"@@ ( \"/\" @@ )*"`
}

// Segment is a name, optionally called.
type Segment struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Name   string `parser:"@(Ident | Alias | \"*\")"`
	Open   bool   `parser:"( @\"(\""`
	Call   *Call  `parser:"  @@? \")\" )?"`
}

// Call is a call's arguments: a lambda, named parameters or positional
// arguments (none: f()).
type Call struct {
	Pos    lexer.Position
	Lambda *Lambda     `parser:"  @@"`
	Named  []*NamedArg `parser:"| @@ ( \",\" @@ )*"`
	Args   []*Arg      `parser:"| @@ ( \",\" @@ )*"`
}

// Lambda is the body of any / all: var: predicate.
type Lambda struct {
	Pos  lexer.Position
	Var  string  `parser:"@Ident \":\""`
	Body *OrExpr `parser:"@@"`
}

// NamedArg is Name=Value (function parameters).
type NamedArg struct {
	Pos   lexer.Position
	Name  string  `parser:"@Ident \"=\""`
	Value *OrExpr `parser:"@@"`
}

// Arg is a positional argument. The suffixes are $apply's: "x with sum
// as total", "$count as n", "x from y with m", "Name desc", "keep start";
// elsewhere the check refuses them.
type Arg struct {
	Pos      lexer.Position
	EndPos   lexer.Position
	Keep     bool      `parser:"( @(\"keep\" \"start\")"`
	Expr     *OrExpr   `parser:"| @@ )"`
	Suffixes []*Suffix `parser:"@@*"`
	As       string    `parser:"( \"as\" @Ident )?"`
}

// Suffix is one "with m", "from path" or "asc"/"desc".
type Suffix struct {
	Pos  lexer.Position
	With string `parser:"  \"with\" @Ident"`
	From *Path  `parser:"| \"from\" @@"`
	Dir  string `parser:"| @(\"asc\" | \"desc\")"`
}

// OrderBy is $orderby's list.
type OrderBy struct {
	Items []*OrderItem `parser:"@@ ( \",\" @@ )*"`
}

// OrderItem is an expression and its direction.
type OrderItem struct {
	Pos    lexer.Position
	EndPos lexer.Position
	Expr   *OrExpr `parser:"@@"`
	Dir    string  `parser:"@(\"asc\" | \"desc\")?"`
}

// Select is $select's list.
type Select struct {
	Items []*SelectItem `parser:"@@ ( \",\" @@ )*"`
}

// SelectItem is a property path with optional nested options.
type SelectItem struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Path    []string  `parser:"@(Ident | Alias | \"*\") ( \"/\" @(Ident | Alias | \"*\") )*"`
	Params  []string  `parser:"( \"(\" @Ident ( \",\" @Ident )* \")\""`
	Options []*Option `parser:"| \"(\" @@ ( \";\" @@ )* \")\" )?"`
}

// Expand is $expand's list.
type Expand struct {
	Items []*ExpandItem `parser:"@@ ( \",\" @@ )*"`
}

// ExpandItem is a navigation path with optional nested options.
type ExpandItem struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Path    []string  `parser:"@(Ident | Alias | \"*\") ( \"/\" @(Ident | Alias | \"*\") )*"`
	Options []*Option `parser:"( \"(\" @@ ( \";\" @@ )* \")\" )?"`
}

// Option is a nested query option inside $expand or $select.
type Option struct {
	Pos     lexer.Position
	EndPos  lexer.Position
	Select  *Select  `parser:"  (\"$select\" | \"select\") \"=\" @@"`
	Expand  *Expand  `parser:"| (\"$expand\" | \"expand\") \"=\" @@"`
	Filter  *OrExpr  `parser:"| (\"$filter\" | \"filter\") \"=\" @@"`
	OrderBy *OrderBy `parser:"| (\"$orderby\" | \"orderby\") \"=\" @@"`
	Top     string   `parser:"| (\"$top\" | \"top\") \"=\" @Number"`
	Skip    string   `parser:"| (\"$skip\" | \"skip\") \"=\" @Number"`
	Count   string   `parser:"| (\"$count\" | \"count\") \"=\" @Bool"`
	Levels  string   `parser:"| (\"$levels\" | \"levels\") \"=\" @(Number | \"max\")"`
	Search  *Search  `parser:"| (\"$search\" | \"search\") \"=\" @@"`
	Compute *Apply   `parser:"| (\"$compute\" | \"compute\") \"=\" @@"`
	Apply   *Apply   `parser:"| (\"$apply\" | \"apply\") \"=\" @@"`
	Alias   string   `parser:"| @Alias \"=\" "`
	AliasV  *OrExpr  `parser:"  @@"`
}

// Apply is $apply: transformations joined by "/".
type Apply struct {
	Steps []*Arg `parser:"@@ ( \"/\" @@ )*"`
}

// Search is a $search expression inside $expand options (the top-level
// option is scanned by searchValid). Parentheses must balance.
type Search struct {
	Pos   lexer.Position
	Terms []*SearchTerm `parser:"@@+"`
}

// SearchTerm is a word, a phrase or a parenthesized search.
type SearchTerm struct {
	Group *Search     `parser:"  \"(\" @@ \")\""`
	Word  lexer.Token `parser:"| @(Ident | String | DQString | Number | Bool | Null | \"-\" | \"*\")"`
}
