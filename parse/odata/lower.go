package odata

import (
	"encoding/json"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Flavors of the wildcard reading of contains/startswith/endswith.
const (
	// Dataverse keeps T-SQL LIKE wildcards live inside these functions
	// (spec §3.2): the text is carried into the FetchXML pattern as is.
	Dataverse = "dataverse"
	// V4 is standard OData: the text is literal; %, _ and [ are escaped.
	V4 = "v4"
)

// Options configure Lower.
type Options struct {
	Flavor string // "dataverse" (default) or "v4"
	// NullInclusive says which FetchXML operators also match NULL: the
	// planner's table (plan.NullInclusive), passed in so that parse does
	// not depend on plan. The complement of an OData predicate must be
	// true on null exactly when the predicate is false on null; where the
	// FetchXML operator disagrees, "or null" / "and not-null" is added.
	// Nil: only ne and neq (the documented ones).
	NullInclusive map[ast.Operator]bool
}

// Parse parses and lowers a request in one step.
func Parse(src *diag.Source, s Schema, opt Options) (*ast.Query, error) {
	r, err := ParseRequest(src)
	if err != nil {
		return nil, err
	}
	return Lower(r, s, opt)
}

type lowerer struct {
	incl map[ast.Operator]bool
	r    *Request
	s    Schema
	v4   bool
	off  *offsets
	errs diag.ErrorList
	nav  int // link aliases handed out

	// Set by LowerExpansion: collection-valued $expand is recorded (not
	// refused) and single-valued links get unique aliases.
	split   bool
	aliases map[string]bool
	depth   int // collection-valued $expand levels above this request
}

// scope is where a path starts: the root table or a lambda variable's.
type scope struct {
	table  string
	vars   map[string]string // lambda variable → table
	lambda bool              // inside a lambda: $it is out of reach
}

func (l *lowerer) errorf(sp diag.Span, code diag.Code, format string, args ...any) {
	if !l.errs.Full() {
		l.errs.Add(diag.Errorf(l.r.Source, sp, code, "OData: "+format, args...))
	}
}

func (l *lowerer) unsupported(sp diag.Span, format string, args ...any) {
	l.errorf(sp, diag.UnsupportedFeature, format, args...)
}

func (l *lowerer) span(from, to lexer.Position) diag.Span { return l.off.span(from, to) }

// Lower turns a parsed request into an ast.Query. Whatever has no FetchXML
// meaning is a positioned UnsupportedFeature (VE1014) error naming it,
// never dropped.
func Lower(r *Request, s Schema, opt Options) (*ast.Query, error) {
	q, _, err := lower(r, s, opt, "", nil)
	return q, err
}

// lower is Lower; table, when set, is the table of a nested request (a
// collection-valued $expand) instead of the entity set's, and l, when
// set, a split-mode lowerer (LowerExpansion) whose root level it fills.
func lower(r *Request, s Schema, opt Options, table string, l *lowerer) (*ast.Query, *ExpandLevel, error) {
	if s == nil {
		s = Conventional{}
	}
	if l == nil {
		l = &lowerer{}
	}
	l.r, l.s, l.v4, l.incl = r, s, opt.Flavor == V4, opt.NullInclusive
	if l.incl == nil {
		l.incl = map[ast.Operator]bool{ast.OpNe: true, ast.OpNeq: true}
	}
	src := r.Source
	if opt.Flavor != "" && opt.Flavor != V4 && opt.Flavor != Dataverse {
		return nil, nil, diag.ErrorList{diag.Errorf(src, diag.NoSpan, diag.BadFlag, "unknown OData flavor %q: use dataverse or v4", opt.Flavor)}.Err()
	}
	if table == "" {
		if r.EntitySet == "" {
			return nil, nil, diag.ErrorList{diag.Errorf(src, r.SetSpan, diag.MissingEntity, "OData: no entity set: write entityset?$filter=…")}.Err()
		}
		var ok bool
		if table, ok = s.EntitySet(r.EntitySet); !ok {
			return nil, nil, diag.ErrorList{diag.Errorf(src, r.SetSpan, diag.UnknownEntity, "OData: no table has the entity set name %q", r.EntitySet)}.Err()
		}
	}
	var level *ExpandLevel
	if l.split {
		level = &ExpandLevel{Table: table}
	}
	q := &ast.Query{Span: diag.Span{Start: 0, End: diag.Pos(len(src.Text))}, Source: src}
	ent := &ast.Entity{Span: r.SetSpan, Name: ast.Name{Span: r.SetSpan, Text: table}}
	q.Entity = ent
	root := &scope{table: table}

	if r.Search != nil {
		l.unsupported(r.Search.Span, "$search (Dataverse search has relevance semantics no FetchXML query has)")
	}
	for _, o := range r.Other {
		if strings.EqualFold(o.Name, "$format") && strings.EqualFold(o.Value, "json") {
			continue
		}
		l.unsupported(o.Span, "query option %s", o.Name)
	}
	if r.Apply != nil {
		if r.Select != nil || r.Expand != nil {
			l.errorf(r.Apply.span(l), diag.ConflictingOptions, "$apply with $select or $expand: the aggregation decides the columns")
		}
		l.apply(q, root)
	}
	if r.Select != nil {
		l.off = r.maps[r.Select]
		l.selectList(&ent.Body, r.Select)
	} else if r.Apply == nil {
		// No $select: OData returns every column.
		ent.AllAttributes = ast.Bool{Span: r.SetSpan, Value: true, Set: true}
	}
	if r.Expand != nil {
		l.off = r.maps[r.Expand]
		l.expand(&ent.Body, table, r.Expand, level)
	}
	if r.Filter != nil {
		l.off = r.maps[r.Filter]
		if it := l.boolean(root, r.Filter, false); it != nil {
			ent.Filters = append(ent.Filters, asFilter(it))
		}
	}
	if r.OrderBy != nil {
		l.off = r.maps[r.OrderBy]
		l.orderBy(q, root, r.OrderBy)
	}
	l.paging(q)
	if len(l.errs) > 0 {
		l.errs.Sort()
		return nil, nil, l.errs
	}
	return q, level, nil
}

func (a *Apply) span(l *lowerer) diag.Span {
	if off := l.r.maps[a]; off != nil && len(a.Steps) > 0 {
		return off.span(a.Steps[0].Pos, a.Steps[len(a.Steps)-1].EndPos)
	}
	return diag.NoSpan
}

// asFilter wraps a single condition or link in an and-filter.
func asFilter(it ast.FilterItem) *ast.Filter {
	if f, ok := it.(*ast.Filter); ok {
		return f
	}
	return &ast.Filter{Span: it.Extent(), Type: ast.And, Items: []ast.FilterItem{it}}
}

func (l *lowerer) paging(q *ast.Query) {
	r := l.r
	if r.Top != nil {
		q.Top = ast.Int{Span: r.Top.Span, Value: r.Top.Value, Set: true}
	}
	if r.Skip != nil && r.Skip.Value > 0 {
		// FetchXML pages: $skip=k*n&$top=n is page k+1 of n rows.
		if r.Top == nil || r.Top.Value == 0 || r.Skip.Value%r.Top.Value != 0 {
			l.unsupported(r.Skip.Span, "$skip=%d: FetchXML pages by page size, so $skip must be a multiple of $top", r.Skip.Value)
		} else {
			q.Top = ast.Int{}
			q.Count = ast.Int{Span: r.Top.Span, Value: r.Top.Value, Set: true}
			q.Page = ast.Int{Span: r.Skip.Span, Value: r.Skip.Value/r.Top.Value + 1, Set: true}
		}
	}
	if r.Count != nil && r.Count.Value {
		q.ReturnTotalRecordCount = ast.Bool{Span: r.Count.Span, Value: true, Set: true}
	}
}

// property maps an OData property name to a logical column name: lookups
// are read and filtered as _x_value.
func property(name string) string {
	if len(name) > 7 && name[0] == '_' && strings.HasSuffix(name, "_value") {
		return name[1 : len(name)-6]
	}
	return name
}

func isName(s string) bool { return s != "" && identEnd(s, 0) == len(s) }

func (l *lowerer) selectList(b *ast.Body, s *Select) {
	for _, it := range s.Items {
		sp := l.span(it.Pos, it.EndPos)
		switch {
		case len(it.Options) > 0:
			l.unsupported(sp, "options inside $select")
		case len(it.Path) == 1 && it.Path[0] == "*":
			b.AllAttributes = ast.Bool{Span: sp, Value: true, Set: true}
		case len(it.Path) == 1 && isName(it.Path[0]):
			b.Attributes = append(b.Attributes, &ast.Attribute{Span: sp, Name: ast.Name{Span: sp, Text: property(it.Path[0])}})
		default:
			l.unsupported(sp, "$select path %q (select a navigation property's columns with $expand)", strings.Join(it.Path, "/"))
		}
	}
}

// expand lowers $expand items to outer links aliased by the navigation
// property. lv is nil for Lower, which refuses collection-valued items;
// for LowerExpansion it is the level the items belong to: collection-valued
// items are recorded there, and each link gets a level of its own.
func (l *lowerer) expand(b *ast.Body, table string, e *Expand, lv *ExpandLevel) {
	for _, it := range e.Items {
		sp := l.span(it.Pos, it.EndPos)
		if len(it.Path) != 1 || !isName(it.Path[0]) {
			l.unsupported(sp, "$expand path %q (expand a navigation property by name; *, $ref, $count and paths are not served)", strings.Join(it.Path, "/"))
			continue
		}
		name := it.Path[0]
		nav, ok := l.s.Navigation(table, name)
		if !ok {
			l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q", table, name)
			continue
		}
		if nav.Collection {
			if lv == nil {
				l.unsupported(sp, "$expand of collection %s (nested arrays; a FetchXML 1:N link returns one row per related row)", name)
				continue
			}
			l.collection(b, lv, name, nav, it, sp)
			continue
		}
		alias := name
		var child *ExpandLevel
		if lv != nil {
			alias = l.uniqueAlias(name)
			child = &ExpandLevel{Table: nav.Table, Prefix: alias + ".", Key: nav.From}
			lv.Single = append(lv.Single, &SingleExpand{Property: name, Level: child})
		}
		link := &ast.LinkEntity{
			Span: sp, Name: ast.Name{Span: sp, Text: nav.Table},
			From: ast.Name{Span: sp, Text: nav.From}, To: ast.Name{Span: sp, Text: nav.To},
			Alias: ast.Name{Span: sp, Text: alias}, LinkType: ast.Outer, TypeSpan: sp,
		}
		selected := false
		for _, o := range it.Options {
			osp := l.span(o.Pos, o.EndPos)
			switch {
			case o.Select != nil:
				l.selectList(&link.Body, o.Select)
				selected = true
			case o.Expand != nil:
				l.expand(&link.Body, nav.Table, o.Expand, child)
			case o.Filter != nil:
				l.unsupported(osp, "$filter inside the single-valued $expand %s (filter the parent through the path %s/… instead)", name, name)
			default:
				l.unsupported(osp, "this option inside $expand %s", name)
			}
		}
		if !selected {
			link.AllAttributes = ast.Bool{Span: sp, Value: true, Set: true}
		}
		if child != nil {
			// The link's from column is null exactly when no related row
			// matched (or the caller cannot read it): the server's test.
			l.need(&link.Body, child, nav.From, sp)
		}
		b.Links = append(b.Links, link)
	}
}

func (l *lowerer) orderBy(q *ast.Query, sc *scope, o *OrderBy) {
	for _, it := range o.Items {
		sp := l.span(it.Pos, it.EndPos)
		p := simplePath(it.Expr)
		if p == nil || len(p.Segs) != 1 || p.Segs[0].Open || !isName(p.Segs[0].Name) {
			l.unsupported(sp, "$orderby on an expression or a path (FetchXML orders by a column of the root)")
			continue
		}
		name := property(p.Segs[0].Name)
		ord := &ast.Order{Span: sp, Descending: ast.Bool{Span: sp, Value: it.Dir == "desc", Set: it.Dir != ""}}
		if q.Aggregate.Value || q.Distinct.Value && l.r.Apply != nil {
			ord.Alias = ast.Name{Span: sp, Text: name}
			if q.Distinct.Value {
				ord.Alias = ast.Name{}
				ord.Attribute = ast.Name{Span: sp, Text: name}
			}
		} else {
			ord.Attribute = ast.Name{Span: sp, Text: name}
		}
		q.Entity.Orders = append(q.Entity.Orders, ord)
	}
}

// simplePath returns x's path when x is nothing but a path.
func simplePath(x *OrExpr) *Path {
	if p := primaryOf(x); p != nil {
		return p.Path
	}
	return nil
}

// primaryOf returns x's primary when x is nothing but one primary.
func primaryOf(x *OrExpr) *Primary {
	if x == nil || len(x.Terms) != 1 || len(x.Terms[0].Terms) != 1 {
		return nil
	}
	n := x.Terms[0].Terms[0]
	if n.Cmp == nil || len(n.Cmp.Ops) > 0 {
		return nil
	}
	return additivePrimary(n.Cmp.Left)
}

func additivePrimary(a *Additive) *Primary {
	if len(a.Ops) > 0 || len(a.Left.Ops) > 0 || a.Left.Left.Primary == nil {
		return nil
	}
	return a.Left.Left.Primary
}

// ---- $filter ----

// boolean lowers a Boolean expression; neg asks for its negation. OData's
// logic is two-valued (a comparison with null is false, not unknown), so
// not is pushed down to the leaves by De Morgan and each leaf is replaced
// by its exact complement, adding "or null" where the complement must
// include the rows whose column is null (spec §3.2: FetchXML's ne already
// includes them, its gt/lt/le/ge and not-in do not).
func (l *lowerer) boolean(sc *scope, x *OrExpr, neg bool) ast.FilterItem {
	sp := l.span(x.Pos, x.EndPos)
	if len(x.Terms) == 1 {
		return l.conj(sc, x.Terms[0], neg)
	}
	f := &ast.Filter{Span: sp, Type: ast.Or}
	if neg {
		f.Type = ast.And
	}
	for _, t := range x.Terms {
		if it := l.conj(sc, t, neg); it != nil {
			f.Items = append(f.Items, it)
		}
	}
	return f
}

func (l *lowerer) conj(sc *scope, x *AndExpr, neg bool) ast.FilterItem {
	if len(x.Terms) == 1 {
		return l.not(sc, x.Terms[0], neg)
	}
	f := &ast.Filter{Span: l.span(x.Pos, x.EndPos), Type: ast.And}
	if neg {
		f.Type = ast.Or
	}
	for _, t := range x.Terms {
		if it := l.not(sc, t, neg); it != nil {
			f.Items = append(f.Items, it)
		}
	}
	return f
}

func (l *lowerer) not(sc *scope, x *NotExpr, neg bool) ast.FilterItem {
	if x.Not != nil {
		return l.not(sc, x.Not, !neg)
	}
	return l.comparison(sc, x.Cmp, neg)
}

// leaf builds one predicate for a polarity, and says whether that
// predicate is true when its column is null (needed to carry it through
// an N:1 path, where a missing related row reads as null).
type leaf func(neg bool) (it ast.FilterItem, nullTrue bool)

func (l *lowerer) comparison(sc *scope, c *Comparison, neg bool) ast.FilterItem {
	sp := l.span(c.Pos, c.EndPos)
	if len(c.Ops) > 1 {
		l.unsupported(sp, "chained comparison (a comparison of a Boolean result)")
		return nil
	}
	if len(c.Ops) == 0 {
		p := additivePrimary(c.Left)
		if p == nil {
			l.unsupported(sp, "arithmetic where a Boolean is expected")
			return nil
		}
		switch {
		case p.Paren != nil && len(p.Paren.Items) == 1:
			return l.boolean(sc, p.Paren.Items[0], neg)
		case p.Path != nil:
			return l.boolPath(sc, p.Path, neg)
		case p.Literal != nil:
			// FetchXML has no constant condition; the primary key, never
			// null, says true (not-null) or false (null) exactly.
			v := strings.ToLower(p.Literal.Value.Value)
			pk := l.s.PrimaryKey(sc.table)
			if (v != "true" && v != "false") || pk == "" {
				l.unsupported(sp, "a constant %s as a condition", p.Literal.Value.Value)
				return nil
			}
			op := ast.OpNotNull
			if (v == "true") == neg {
				op = ast.OpNull
			}
			return &ast.Condition{Span: sp, Attribute: ast.Name{Span: sp, Text: pk}, Operator: op, OpSpan: sp}
		}
		l.unsupported(sp, "this expression as a condition")
		return nil
	}
	op := c.Ops[0]
	switch op.Op {
	case "has":
		l.unsupported(sp, "has (enumeration flags; Dataverse choices are integers)")
		return nil
	case "in":
		return l.in(sc, c, neg)
	}
	left, right := c.Left, op.Right
	opName := op.Op
	lp, rp := additivePrimary(left), additivePrimary(right)
	if lp == nil || rp == nil {
		l.unsupported(sp, "arithmetic (add, sub, mul, div, divby, mod) in a comparison")
		return nil
	}
	// Literal on the left: swap.
	if isLiteral(lp) && !isLiteral(rp) {
		lp, rp = rp, lp
		opName = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}[opName]
	}
	if lp.Path == nil {
		l.unsupported(sp, "a comparison without a property")
		return nil
	}
	target, fold := l.unfold(lp.Path)
	if target == nil {
		l.unsupported(l.span(lp.Pos, lp.EndPos), "function %s in a comparison (FetchXML compares columns)", lp.Path.Segs[len(lp.Path.Segs)-1].Name)
		return nil
	}
	if rp.Path != nil && !isAlias(rp) {
		return l.columnCompare(sc, target, rp.Path, opName, sp, neg)
	}
	val, isNull := l.literal(rp, fold)
	if val == nil && !isNull {
		return nil
	}
	var mk leaf
	switch {
	case isNull && opName == "eq", isNull && opName == "ne":
		positive := ast.OpNull
		if opName == "ne" {
			positive = ast.OpNotNull
		}
		mk = func(n bool) (ast.FilterItem, bool) {
			o := positive
			if n {
				o = map[ast.Operator]ast.Operator{ast.OpNull: ast.OpNotNull, ast.OpNotNull: ast.OpNull}[o]
			}
			return &ast.Condition{Span: sp, Operator: o, OpSpan: sp}, o == ast.OpNull
		}
	case isNull:
		l.unsupported(sp, "%s null (always false in OData)", opName)
		return nil
	default:
		mk = l.compareLeaf(sp, opName, val)
	}
	return l.onPath(sc, target, sp, mk, neg)
}

// compareLeaf is a comparison with a literal and its complements:
// not eq = ne, not ne = eq, not gt = le, …; OData's eq, gt, ge, lt and le
// are false on null and ne is true on null (two-valued logic), and cond
// fits the FetchXML operator to that.
func (l *lowerer) compareLeaf(sp diag.Span, op string, val *ast.Value) leaf {
	ops := map[string]ast.Operator{"eq": ast.OpEq, "ne": ast.OpNe, "gt": ast.OpGt, "ge": ast.OpGe, "lt": ast.OpLt, "le": ast.OpLe}
	comp := map[string]string{"eq": "ne", "ne": "eq", "gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}
	return func(n bool) (ast.FilterItem, bool) {
		o := op
		if n {
			o = comp[op]
		}
		return l.cond(sp, ops[o], []*ast.Value{val}, (op == "ne") != n)
	}
}

// cond is a condition that must be true on null exactly when nullTrue:
// the operator's own null inclusion, corrected with "or null" or "and
// not-null" where it differs.
func (l *lowerer) cond(sp diag.Span, op ast.Operator, vals []*ast.Value, nullTrue bool) (ast.FilterItem, bool) {
	c := &ast.Condition{Span: sp, Operator: op, OpSpan: sp, Values: vals}
	switch incl := l.incl[op] || op == ast.OpNull; {
	case incl == nullTrue:
		return c, nullTrue
	case nullTrue:
		return &ast.Filter{Span: sp, Type: ast.Or, Items: []ast.FilterItem{c, &ast.Condition{Span: sp, Operator: ast.OpNull, OpSpan: sp}}}, true
	default:
		return &ast.Filter{Span: sp, Type: ast.And, Items: []ast.FilterItem{c, &ast.Condition{Span: sp, Operator: ast.OpNotNull, OpSpan: sp}}}, false
	}
}

func isLiteral(p *Primary) bool { return p.Literal != nil || isAlias(p) }

// isAlias reports a parameter alias (@p), whose value is a literal.
func isAlias(p *Primary) bool {
	return p.Path != nil && len(p.Path.Segs) == 1 && !p.Path.Segs[0].Open && strings.HasPrefix(p.Path.Segs[0].Name, "@")
}

// unfold strips tolower()/toupper() around a property path: Dataverse
// compares strings case-insensitively, so they change nothing as long as
// the literal is already in that case (checked by literal). It returns
// the property path and the folding (0, 'l', 'u').
func (l *lowerer) unfold(p *Path) (*Path, byte) {
	last := p.Segs[len(p.Segs)-1]
	if len(p.Segs) == 1 && last.Call != nil && (last.Name == "tolower" || last.Name == "toupper") && len(last.Call.Args) == 1 && last.Call.Args[0].bare() {
		if inner := simplePath(last.Call.Args[0].Expr); inner != nil && !inner.Segs[len(inner.Segs)-1].Open {
			return inner, last.Name[2]
		}
		return nil, 0
	}
	if last.Open {
		return nil, 0
	}
	return p, 0
}

func (a *Arg) bare() bool { return len(a.Suffixes) == 0 && a.As == "" && a.Expr != nil }

// with is the aggregation method of "x with m as a" ("" if none or if
// from is used).
func (a *Arg) with() (string, bool) {
	if len(a.Suffixes) != 1 || a.Suffixes[0].With == "" {
		return "", len(a.Suffixes) == 0
	}
	return a.Suffixes[0].With, true
}

// literal lowers a literal operand; fold requires the text to be in that
// case already. It reports null separately.
func (l *lowerer) literal(p *Primary, fold byte) (*ast.Value, bool) {
	sp := l.span(p.Pos, p.EndPos)
	if p.Literal == nil {
		if p.Paren != nil && len(p.Paren.Items) == 1 {
			if inner := primaryOf(p.Paren.Items[0]); inner != nil {
				return l.literal(inner, fold)
			}
		}
		if p.Path != nil && len(p.Path.Segs) == 1 && !p.Path.Segs[0].Open && strings.HasPrefix(p.Path.Segs[0].Name, "@") {
			return l.aliasLiteral(p.Path.Segs[0], fold)
		}
		l.unsupported(sp, "this operand (FetchXML compares a column with literals)")
		return nil, false
	}
	return l.token(p.Literal.Value, sp, fold)
}

func (l *lowerer) aliasLiteral(seg *Segment, fold byte) (*ast.Value, bool) {
	sp := l.span(seg.Pos, seg.EndPos)
	a, ok := l.r.aliases[seg.Name]
	if !ok {
		l.errorf(sp, diag.SyntaxError, "parameter alias %s has no value", seg.Name)
		return nil, false
	}
	p := primaryOf(a.expr)
	if p == nil || p.Literal == nil {
		l.unsupported(sp, "parameter alias %s: only literal values", seg.Name)
		return nil, false
	}
	saved := l.off
	l.off = a.off
	defer func() { l.off = saved }()
	return l.literal(p, fold)
}

func (l *lowerer) token(t lexer.Token, sp diag.Span, fold byte) (*ast.Value, bool) {
	v := &ast.Value{Span: sp, Text: t.Value}
	switch t.Type {
	case tNull:
		return nil, true
	case tString:
		v.Text, v.Kind = strings.ReplaceAll(t.Value[1:len(t.Value)-1], "''", "'"), ast.KindString
	case tDQString:
		var s string
		if err := json.Unmarshal([]byte(t.Value), &s); err != nil {
			l.errorf(sp, diag.BadLiteral, "bad string %s", t.Value)
			return nil, false
		}
		v.Text, v.Kind = s, ast.KindString
	case tNumber:
		if t.Value == "INF" || t.Value == "-INF" || t.Value == "NaN" {
			l.unsupported(sp, "%s (no Dataverse number is infinite or NaN)", t.Value)
			return nil, false
		}
		v.Kind = ast.KindNumber
	case tBool:
		v.Text, v.Kind = strings.ToLower(t.Value), ast.KindBool
	case tGUID:
		v.Kind = ast.KindGuid
	case tDate, tDateTime:
		v.Kind = ast.KindDateTime
	case tTime:
		l.unsupported(sp, "time-of-day literal %s (Dataverse has no time-of-day column)", t.Value)
		return nil, false
	case tTyped:
		prefix := t.Value[:strings.IndexByte(t.Value, '\'')]
		l.unsupported(sp, "%s literal (no Dataverse column type holds it)", prefix)
		return nil, false
	default:
		l.errorf(sp, diag.BadLiteral, "not a literal: %s", t.Value)
		return nil, false
	}
	switch {
	case fold == 'l' && strings.ToLower(v.Text) != v.Text, fold == 'u' && strings.ToUpper(v.Text) != v.Text:
		l.unsupported(sp, "a case-folded column compared with %q, which is not in that case (never true in OData; Dataverse compares without case)", v.Text)
		return nil, false
	}
	return v, false
}

// resolve walks a path's navigation segments from scope sc. It returns the
// N:1 navigations crossed (outermost first), the table the last segment
// belongs to and that segment.
type hop struct {
	name string
	nav  Navigation
	sp   diag.Span
}

func (l *lowerer) resolve(sc *scope, p *Path) (hops []hop, table string, last *Segment, ok bool) {
	segs := p.Segs
	table = sc.table
	first := segs[0].Name
	switch {
	case first == "$it" || first == "$this":
		if sc.lambda {
			l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "%s inside a lambda (a condition on the outer row from inside a link filter)", first)
			return nil, "", nil, false
		}
		segs = segs[1:]
	case first == "$root":
		l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "$root (a subquery on another entity set)")
		return nil, "", nil, false
	case sc.vars != nil && sc.vars[first] != "" && len(segs) > 1:
		table = sc.vars[first]
		if sc.vars[first] != sc.table {
			l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "variable %s of an outer lambda (a correlated condition)", first)
			return nil, "", nil, false
		}
		segs = segs[1:]
	case sc.lambda:
		l.unsupported(l.span(segs[0].Pos, segs[0].EndPos), "%s inside a lambda without its variable (the outer row's column)", first)
		return nil, "", nil, false
	}
	if len(segs) == 0 {
		l.unsupported(l.span(p.Pos, p.EndPos), "a path without a property")
		return nil, "", nil, false
	}
	for _, s := range segs[:len(segs)-1] {
		sp := l.span(s.Pos, s.EndPos)
		if s.Open || !isName(s.Name) {
			l.unsupported(sp, "path segment %s", s.Name)
			return nil, "", nil, false
		}
		nav, found := l.s.Navigation(table, s.Name)
		if !found {
			l.errorf(sp, diag.UnknownColumn, "%s has no navigation property %q (complex properties such as …/Value are not supported)", table, s.Name)
			return nil, "", nil, false
		}
		if nav.Collection {
			l.unsupported(sp, "collection %s in a path (use %s/any(x: …))", s.Name, s.Name)
			return nil, "", nil, false
		}
		hops = append(hops, hop{name: s.Name, nav: nav, sp: sp})
		table = nav.Table
	}
	return hops, table, segs[len(segs)-1], true
}

// onPath places a column leaf: at the end of N:1 hops it becomes an any
// link (the related row exists and matches) or, for a predicate true on
// null, a not-any link on its complement (no related row fails it), which
// is what an absent related row means in OData: every property null.
func (l *lowerer) onPath(sc *scope, p *Path, sp diag.Span, mk leaf, neg bool) ast.FilterItem {
	hops, _, last, ok := l.resolve(sc, p)
	if !ok {
		return nil
	}
	if !isName(last.Name) {
		l.unsupported(l.span(last.Pos, last.EndPos), "%s as a property", last.Name)
		return nil
	}
	col := ast.Name{Span: l.span(last.Pos, last.EndPos), Text: property(last.Name)}
	return l.wrap(hops, func(n bool) (ast.FilterItem, bool) {
		it, nt := mk(n)
		setAttr(it, col)
		return it, nt
	}, neg)
}

func (l *lowerer) wrap(hops []hop, mk leaf, neg bool) ast.FilterItem {
	if len(hops) == 0 {
		it, _ := mk(neg)
		return it
	}
	h := hops[0]
	inner := func(n bool) (ast.FilterItem, bool) {
		if len(hops) == 1 {
			return mk(n)
		}
		// Deeper hops: the inner path's truth when its first row is
		// missing is that of a null column.
		_, nt := mk(n)
		return l.wrap(hops[1:], mk, n), nt
	}
	it, nullTrue := inner(neg)
	link := l.link(h, ast.Any)
	if nullTrue {
		it, _ = inner(!neg)
		link.LinkType = ast.NotAny
	}
	link.Filters = []*ast.Filter{asFilter(it)}
	return link
}

func (l *lowerer) link(h hop, t ast.LinkType) *ast.LinkEntity {
	return &ast.LinkEntity{
		Span: h.sp, Name: ast.Name{Span: h.sp, Text: h.nav.Table},
		From: ast.Name{Span: h.sp, Text: h.nav.From}, To: ast.Name{Span: h.sp, Text: h.nav.To},
		LinkType: t, TypeSpan: h.sp,
	}
}

// setAttr names the column of every condition in it (a leaf may be a
// filter "c or c null").
func setAttr(it ast.FilterItem, col ast.Name) {
	switch x := it.(type) {
	case *ast.Condition:
		if !x.Attribute.IsSet() {
			x.Attribute = col
		}
	case *ast.Filter:
		for _, c := range x.Items {
			setAttr(c, col)
		}
	}
}

func (l *lowerer) columnCompare(sc *scope, left, right *Path, op string, sp diag.Span, neg bool) ast.FilterItem {
	lh, lt, lseg, ok1 := l.resolve(sc, left)
	rh, rt, rseg, ok2 := l.resolve(sc, right)
	if !ok1 || !ok2 {
		return nil
	}
	if len(lh) > 0 || len(rh) > 0 || lt != rt || lseg.Open || rseg.Open {
		l.unsupported(sp, "a comparison of two properties across tables or of function results")
		return nil
	}
	a := ast.Name{Span: l.span(lseg.Pos, lseg.EndPos), Text: property(lseg.Name)}
	b := ast.Name{Span: l.span(rseg.Pos, rseg.EndPos), Text: property(rseg.Name)}
	if op == "eq" || op == "ne" {
		return columnEquality(sp, a, b, (op == "eq") != neg)
	}
	comp := map[string]string{"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}
	ops := map[string]ast.Operator{"gt": ast.OpGt, "ge": ast.OpGe, "lt": ast.OpLt, "le": ast.OpLe}
	if !neg {
		return &ast.Condition{Span: sp, Attribute: a, Operator: ops[op], OpSpan: sp, ValueOf: b}
	}
	return &ast.Filter{Span: sp, Type: ast.Or, Items: []ast.FilterItem{
		&ast.Condition{Span: sp, Attribute: a, Operator: ops[comp[op]], OpSpan: sp, ValueOf: b},
		&ast.Condition{Span: sp, Attribute: a, Operator: ast.OpNull, OpSpan: sp},
		&ast.Condition{Span: sp, Attribute: b, Operator: ast.OpNull, OpSpan: sp},
	}}
}

// columnEquality is OData's a eq b (or a ne b) of two properties in
// FetchXML. OData's equality is null-aware (null eq null is true, null ne
// 'x' is true); FetchXML's valueof eq is SQL's a = b and its ne is
// a <> b or a null, so the null cases are spelled out:
//
//	a eq b:  a eq valueof b, or a null and b null
//	a ne b:  a ne valueof b and b not-null, or a not-null and b null
func columnEquality(sp diag.Span, a, b ast.Name, eq bool) ast.FilterItem {
	cond := func(at ast.Name, op ast.Operator, valueOf ast.Name) *ast.Condition {
		return &ast.Condition{Span: sp, Attribute: at, Operator: op, OpSpan: sp, ValueOf: valueOf}
	}
	and := func(items ...ast.FilterItem) *ast.Filter { return &ast.Filter{Span: sp, Type: ast.And, Items: items} }
	or := func(items ...ast.FilterItem) *ast.Filter { return &ast.Filter{Span: sp, Type: ast.Or, Items: items} }
	none := ast.Name{}
	if eq {
		return or(cond(a, ast.OpEq, b), and(cond(a, ast.OpNull, none), cond(b, ast.OpNull, none)))
	}
	return or(and(cond(a, ast.OpNe, b), cond(b, ast.OpNotNull, none)), and(cond(a, ast.OpNotNull, none), cond(b, ast.OpNull, none)))
}

func (l *lowerer) in(sc *scope, c *Comparison, neg bool) ast.FilterItem {
	sp := l.span(c.Pos, c.EndPos)
	lp, rp := additivePrimary(c.Left), additivePrimary(c.Ops[0].Right)
	if lp == nil || lp.Path == nil || rp == nil || (rp.Paren == nil && rp.Array == nil) {
		l.unsupported(sp, "in without a property on the left and a list of literals on the right")
		return nil
	}
	target, fold := l.unfold(lp.Path)
	if target == nil {
		l.unsupported(sp, "a function result in in")
		return nil
	}
	list := rp.Paren
	if list == nil {
		list = rp.Array
	}
	vals := l.values(list, fold)
	if vals == nil {
		if len(list.Items) == 0 {
			l.unsupported(sp, "in with an empty list")
		}
		return nil
	}
	return l.onPath(sc, target, sp, func(n bool) (ast.FilterItem, bool) {
		if !n {
			return l.cond(sp, ast.OpIn, vals, false)
		}
		return l.cond(sp, ast.OpNotIn, vals, true)
	}, neg)
}

// values lowers a list of literals; nil on any error.
func (l *lowerer) values(list *List, fold byte) []*ast.Value {
	if len(list.Items) == 0 {
		return nil
	}
	vals := make([]*ast.Value, 0, len(list.Items))
	ok := true
	for _, it := range list.Items {
		p := primaryOf(it)
		if p == nil {
			l.unsupported(l.span(it.Pos, it.EndPos), "a list item that is not a literal")
			ok = false
			continue
		}
		v, isNull := l.literal(p, fold)
		if isNull {
			l.unsupported(l.span(it.Pos, it.EndPos), "null in a list")
			ok = false
		}
		if v == nil {
			ok = false
			continue
		}
		vals = append(vals, v)
	}
	if !ok {
		return nil
	}
	return vals
}

// boolPath lowers a path used as a condition: a lambda, a string
// function, a Microsoft.Dynamics.CRM query function, or a Boolean
// property (x means x eq true).
func (l *lowerer) boolPath(sc *scope, p *Path, neg bool) ast.FilterItem {
	sp := l.span(p.Pos, p.EndPos)
	last := p.Segs[len(p.Segs)-1]
	if !last.Open {
		return l.onPath(sc, p, sp, l.compareLeaf(sp, "eq", &ast.Value{Span: sp, Text: "true", Kind: ast.KindBool}), neg)
	}
	if last.Call == nil {
		last.Call = &Call{} // f()
	}
	switch name := last.Name; {
	case name == "any" || name == "all":
		return l.lambda(sc, p, neg)
	case name == "contains" || name == "startswith" || name == "endswith":
		if len(p.Segs) > 1 {
			break
		}
		return l.like(sc, last, neg)
	case strings.HasPrefix(name, "Microsoft.Dynamics.CRM."):
		return l.crmFunction(sc, p, neg)
	}
	l.unsupported(l.span(last.Pos, last.EndPos), "function %s (no FetchXML condition operator)", last.Name)
	return nil
}

func (l *lowerer) like(sc *scope, seg *Segment, neg bool) ast.FilterItem {
	sp := l.span(seg.Pos, seg.EndPos)
	args := seg.Call.Args
	if len(args) != 2 || !args[0].bare() || !args[1].bare() {
		l.errorf(sp, diag.OperandCount, "%s takes two arguments", seg.Name)
		return nil
	}
	col, lit := simplePath(args[0].Expr), primaryOf(args[1].Expr)
	if col == nil || lit == nil {
		l.unsupported(sp, "%s without a property and a string literal", seg.Name)
		return nil
	}
	target, fold := l.unfold(col)
	if target == nil {
		l.unsupported(sp, "a function result in %s", seg.Name)
		return nil
	}
	v, isNull := l.literal(lit, fold)
	if v == nil || isNull {
		if isNull {
			l.unsupported(sp, "%s with null", seg.Name)
		}
		return nil
	}
	if v.Kind != ast.KindString {
		l.unsupported(sp, "%s with a non-string literal", seg.Name)
		return nil
	}
	text := v.Text
	if l.v4 {
		text = strings.NewReplacer("[", "[[]", "%", "[%]", "_", "[_]").Replace(text)
	}
	pattern := map[string]string{"contains": "%" + text + "%", "startswith": text + "%", "endswith": "%" + text}[seg.Name]
	val := &ast.Value{Span: v.Span, Text: pattern, Kind: ast.KindString}
	return l.onPath(sc, target, sp, func(n bool) (ast.FilterItem, bool) {
		if n {
			return l.cond(sp, ast.OpNotLike, []*ast.Value{val}, true)
		}
		return l.cond(sp, ast.OpLike, []*ast.Value{val}, false)
	}, neg)
}

// negations pairs Dataverse query functions with their complements where
// FetchXML has both (the negative ones include nulls, as OData's not does).
var negations = map[ast.Operator]ast.Operator{}

func init() {
	pairs := [][2]string{{"In", "NotIn"}, {"Between", "NotBetween"}, {"Under", "NotUnder"}, {"ContainValues", "DoesNotContainValues"},
		{"EqualUserId", "NotEqualUserId"}, {"EqualBusinessId", "NotEqualBusinessId"}, {"Like", "NotLike"},
		{"BeginsWith", "DoesNotBeginWith"}, {"EndsWith", "DoesNotEndWith"}, {"Null", "NotNull"}}
	for _, p := range pairs {
		a, ok1 := ast.OperatorByQEName(p[0])
		b, ok2 := ast.OperatorByQEName(p[1])
		if ok1 && ok2 {
			negations[a], negations[b] = b, a
		}
	}
}

// crmFunction lowers Microsoft.Dynamics.CRM.<ConditionOperator>(PropertyName='col',
// PropertyValue=v | PropertyValues=[…] | PropertyValue1=a,PropertyValue2=b),
// the reverse of emit/odata.
func (l *lowerer) crmFunction(sc *scope, p *Path, neg bool) ast.FilterItem {
	last := p.Segs[len(p.Segs)-1]
	sp := l.span(last.Pos, last.EndPos)
	fname := strings.TrimPrefix(last.Name, "Microsoft.Dynamics.CRM.")
	op, ok := ast.OperatorByQEName(fname)
	if !ok {
		l.errorf(sp, diag.UnknownOperator, "unknown query function Microsoft.Dynamics.CRM.%s", fname)
		return nil
	}
	if last.Call == nil {
		last.Call = &Call{}
	}
	if len(last.Call.Args) > 0 || last.Call.Lambda != nil {
		l.errorf(sp, diag.SyntaxError, "Microsoft.Dynamics.CRM.%s takes named parameters (PropertyName='col', …)", fname)
		return nil
	}
	var column string
	var vals []*ast.Value
	var v1, v2 *ast.Value
	for _, a := range last.Call.Named {
		asp := l.span(a.Pos, a.Value.EndPos)
		pr := primaryOf(a.Value)
		if pr == nil {
			l.unsupported(asp, "parameter %s: not a literal", a.Name)
			return nil
		}
		switch a.Name {
		case "PropertyName":
			v, _ := l.literal(pr, 0)
			if v == nil || v.Kind != ast.KindString {
				l.errorf(asp, diag.BadLiteral, "PropertyName takes a quoted column name")
				return nil
			}
			column = property(v.Text)
		case "PropertyValue", "PropertyValue1", "PropertyValue2":
			v, isNull := l.literal(pr, 0)
			if v == nil || isNull {
				if isNull {
					l.unsupported(asp, "%s=null", a.Name)
				}
				return nil
			}
			v.Kind = ast.KindText // typed by the column, as FetchXML's values are
			switch a.Name {
			case "PropertyValue":
				vals = append(vals, v)
			case "PropertyValue1":
				v1 = v
			default:
				v2 = v
			}
		case "PropertyValues":
			list := pr.Array
			if list == nil {
				l.errorf(asp, diag.BadLiteral, "PropertyValues takes an array [\"a\",\"b\"]")
				return nil
			}
			vs := l.values(list, 0)
			if vs == nil {
				return nil
			}
			for _, v := range vs {
				v.Kind = ast.KindText
			}
			vals = append(vals, vs...)
		default:
			l.errorf(asp, diag.UnknownAttribute, "unknown parameter %s of Microsoft.Dynamics.CRM.%s", a.Name, fname)
			return nil
		}
	}
	if v1 != nil || v2 != nil {
		if v1 == nil || v2 == nil {
			l.errorf(sp, diag.OperandCount, "Microsoft.Dynamics.CRM.%s takes PropertyValue1 and PropertyValue2", fname)
			return nil
		}
		vals = append(vals, v1, v2)
	}
	if column == "" {
		l.errorf(sp, diag.MissingAttribute, "Microsoft.Dynamics.CRM.%s without PropertyName", fname)
		return nil
	}
	if neg {
		if _, ok := negations[op]; !ok {
			l.unsupported(sp, "not Microsoft.Dynamics.CRM.%s (FetchXML has no complement of %s)", fname, op)
			return nil
		}
	}
	// The column path: the function's own prefix (nav/…/Function) plus
	// PropertyName.
	segs := append(append([]*Segment(nil), p.Segs[:len(p.Segs)-1]...), &Segment{Pos: last.Pos, EndPos: last.EndPos, Name: column})
	path := &Path{Pos: p.Pos, EndPos: p.EndPos, Segs: segs}
	return l.onPath(sc, path, sp, func(n bool) (ast.FilterItem, bool) {
		// The function means what its FetchXML operator means; its
		// complement is true on null exactly when it is not.
		positive := op == ast.OpNull || l.incl[op]
		if n {
			return l.cond(sp, negations[op], vals, !positive)
		}
		return l.cond(sp, op, vals, positive)
	}, neg)
}

// lambda lowers nav/any(x: …) and nav/all(x: …) to an any / all link
// inside the filter; not flips them to not any / not all.
func (l *lowerer) lambda(sc *scope, p *Path, neg bool) ast.FilterItem {
	last := p.Segs[len(p.Segs)-1]
	sp := l.span(p.Pos, p.EndPos)
	if len(p.Segs) < 2 {
		l.unsupported(sp, "%s without a collection", last.Name)
		return nil
	}
	if last.Call == nil {
		last.Call = &Call{}
	}
	if len(last.Call.Args) > 0 || len(last.Call.Named) > 0 {
		l.errorf(sp, diag.SyntaxError, "%s takes a lambda: %s(x: …)", last.Name, last.Name)
		return nil
	}
	collPath := &Path{Pos: p.Pos, EndPos: p.EndPos, Segs: p.Segs[:len(p.Segs)-1]}
	hops, table, coll, ok := l.resolve(sc, collPath)
	if !ok {
		return nil
	}
	if len(hops) > 0 {
		l.unsupported(sp, "a lambda under a lookup path (spec §3.3)")
		return nil
	}
	csp := l.span(coll.Pos, coll.EndPos)
	nav, found := l.s.Navigation(table, coll.Name)
	if !found {
		l.errorf(csp, diag.UnknownColumn, "%s has no navigation property %q", table, coll.Name)
		return nil
	}
	if !nav.Collection {
		l.unsupported(csp, "%s/%s on single-valued %s (filter through the path instead)", coll.Name, last.Name, coll.Name)
		return nil
	}
	t := ast.Any
	if last.Name == "all" {
		t = ast.All
	}
	if neg {
		t = map[ast.LinkType]ast.LinkType{ast.Any: ast.NotAny, ast.All: ast.NotAll}[t]
	}
	link := l.link(hop{name: coll.Name, nav: nav, sp: sp}, t)
	lam := last.Call.Lambda
	if lam == nil {
		if last.Name == "all" {
			l.errorf(sp, diag.SyntaxError, "all needs a lambda: all(x: …)")
			return nil
		}
		return link
	}
	inner := &scope{table: nav.Table, vars: map[string]string{lam.Var: nav.Table}, lambda: true}
	if it := l.boolean(inner, lam.Body, false); it != nil {
		link.Filters = []*ast.Filter{asFilter(it)}
	}
	return link
}

// ---- $apply ----

func (l *lowerer) apply(q *ast.Query, sc *scope) {
	a := l.r.Apply
	l.off = l.r.maps[a]
	// Steps may be separate arguments or one path of calls; flatten.
	var steps []*Segment
	for _, st := range a.Steps {
		p := simplePath(st.Expr)
		if p == nil || !st.bare() {
			l.unsupported(l.span(st.Pos, st.EndPos), "$apply step")
			return
		}
		steps = append(steps, p.Segs...)
	}
	ent := q.Entity
	grouped := false
	for _, st := range steps {
		sp := l.span(st.Pos, st.EndPos)
		if grouped {
			l.unsupported(sp, "%s after groupby/aggregate (FetchXML has no HAVING or chained aggregation)", st.Name)
			return
		}
		switch st.Name {
		case "filter":
			if st.Call == nil || len(st.Call.Args) != 1 || !st.Call.Args[0].bare() {
				l.errorf(sp, diag.SyntaxError, "filter takes one Boolean expression")
				return
			}
			if it := l.boolean(sc, st.Call.Args[0].Expr, false); it != nil {
				ent.Filters = append(ent.Filters, asFilter(it))
			}
		case "groupby":
			grouped = true
			l.groupBy(q, st, sp)
		case "aggregate":
			grouped = true
			q.Aggregate = ast.Bool{Span: sp, Value: true, Set: true}
			l.aggregate(q, st, sp)
		default:
			l.unsupported(sp, "$apply transformation %s", st.Name)
			return
		}
	}
}

func (l *lowerer) groupBy(q *ast.Query, st *Segment, sp diag.Span) {
	if st.Call == nil || len(st.Call.Args) < 1 || len(st.Call.Args) > 2 {
		l.errorf(sp, diag.SyntaxError, "groupby takes ((properties)[, aggregate(…)])")
		return
	}
	first := primaryOf(st.Call.Args[0].Expr)
	if first == nil || first.Paren == nil {
		l.errorf(sp, diag.SyntaxError, "groupby's first argument is a parenthesized list of properties")
		return
	}
	if len(first.Paren.Items) == 0 {
		// The ABNF's groupby list holds at least one grouping property.
		l.errorf(l.span(st.Call.Args[0].Pos, st.Call.Args[0].EndPos), diag.SyntaxError, "groupby needs at least one property: groupby((name)) or groupby((name), aggregate(…))")
		return
	}
	var groups []*ast.Attribute
	for _, it := range first.Paren.Items {
		isp := l.span(it.Pos, it.EndPos)
		p := simplePath(it)
		if p == nil || len(p.Segs) != 1 || p.Segs[0].Open || !isName(p.Segs[0].Name) {
			l.unsupported(isp, "groupby on a path or an expression (the result would be renamed)")
			continue
		}
		name := property(p.Segs[0].Name)
		groups = append(groups, &ast.Attribute{Span: isp, Name: ast.Name{Span: isp, Text: name}})
	}
	if len(st.Call.Args) == 1 {
		q.Distinct = ast.Bool{Span: sp, Value: true, Set: true}
		q.Entity.Attributes = append(q.Entity.Attributes, groups...)
		return
	}
	q.Aggregate = ast.Bool{Span: sp, Value: true, Set: true}
	for _, g := range groups {
		g.GroupBy = ast.Bool{Span: g.Span, Value: true, Set: true}
		g.Alias = ast.Name{Span: g.Span, Text: g.Name.Text}
	}
	q.Entity.Attributes = append(q.Entity.Attributes, groups...)
	second := simplePath(st.Call.Args[1].Expr)
	if second == nil || len(second.Segs) != 1 || second.Segs[0].Name != "aggregate" || !st.Call.Args[1].bare() {
		l.unsupported(l.span(st.Call.Args[1].Pos, st.Call.Args[1].EndPos), "groupby's second argument other than aggregate(…)")
		return
	}
	l.aggregate(q, second.Segs[0], l.span(second.Pos, second.EndPos))
}

var aggregateWith = map[string]ast.AggregateFunc{"sum": ast.Sum, "min": ast.Min, "max": ast.Max, "average": ast.Avg, "countdistinct": ast.CountColumn}

func (l *lowerer) aggregate(q *ast.Query, st *Segment, sp diag.Span) {
	if st.Call == nil || len(st.Call.Args) == 0 {
		l.errorf(sp, diag.SyntaxError, "aggregate takes one or more \"x with f as alias\" or \"$count as alias\"")
		return
	}
	for _, a := range st.Call.Args {
		asp := l.span(a.Pos, a.EndPos)
		p := simplePath(a.Expr)
		with, simple := a.with()
		if p == nil || len(p.Segs) != 1 || p.Segs[0].Open || !simple {
			l.unsupported(asp, "aggregate of an expression, a path or with from")
			continue
		}
		if a.As == "" {
			l.unsupported(asp, "a custom aggregate (no alias)")
			continue
		}
		alias := ast.Name{Span: asp, Text: a.As}
		name := p.Segs[0].Name
		if name == "$count" {
			if with != "" {
				l.errorf(asp, diag.SyntaxError, "$count takes no with")
				continue
			}
			pk := l.s.PrimaryKey(q.Entity.Name.Text)
			if pk == "" {
				l.errorf(asp, diag.MissingMetadata, "$count needs the primary key of %s", q.Entity.Name.Text)
				continue
			}
			q.Entity.Attributes = append(q.Entity.Attributes, &ast.Attribute{Span: asp, Name: ast.Name{Span: asp, Text: pk}, Alias: alias, Aggregate: ast.Count})
			continue
		}
		fn, ok := aggregateWith[with]
		if !ok {
			l.unsupported(asp, "aggregate method %q (sum, min, max, average, countdistinct)", with)
			continue
		}
		at := &ast.Attribute{Span: asp, Name: ast.Name{Span: asp, Text: property(name)}, Alias: alias, Aggregate: fn}
		if with == "countdistinct" {
			at.Distinct = ast.Bool{Span: asp, Value: true, Set: true}
		}
		q.Entity.Attributes = append(q.Entity.Attributes, at)
	}
}
