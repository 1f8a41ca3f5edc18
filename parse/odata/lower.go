package odata

import (
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
			l.noNavigation(sp, table, name)
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
	if l.v4 && len(o.Items) > 0 {
		// A standard OData server sorts a choice by its stored value,
		// not by its label as the Web API does.
		q.UseRawOrderBy = ast.Bool{Span: l.span(o.Items[0].Pos, o.Items[0].EndPos), Value: true, Set: true}
	}
	for _, it := range o.Items {
		sp := l.span(it.Pos, it.EndPos)
		if a := additiveOf(it.Expr); a != nil && l.computes(a) {
			if q.Aggregate.Value || q.Distinct.Value {
				l.unsupported(sp, "$orderby on a computed value with $apply")
				continue
			}
			if x := l.scalar(sc, a); x != nil {
				q.Entity.Orders = append(q.Entity.Orders, &ast.Order{Span: sp, Descending: ast.Bool{Span: sp, Value: it.Dir == "desc", Set: it.Dir != ""}, Expr: x})
			}
			continue
		}
		p := simplePath(it.Expr)
		if fn := calledFunction(p); fn != "" && fn != "tolower" && fn != "toupper" {
			l.refuseFunction(sp, p, "in $orderby")
			continue
		}
		if p != nil {
			// tolower(name): Dataverse sorts strings case-insensitively
			// already, so the fold changes nothing (emit/odata's v4 form).
			var fold byte
			if p, fold = l.unfold(p); fold != 0 && p != nil && len(p.Segs) == 1 && !l.foldable(sc, p.Segs[0].Name) {
				l.errorf(sp, diag.OperatorType, "to%ser(%s) in $orderby: %s is not a string", map[byte]string{'l': "low", 'u': "upp"}[fold], p.Segs[0].Name, p.Segs[0].Name)
				continue
			}
		}
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

// foldable reports whether tolower()/toupper() may wrap a property: a
// string, or a column the schema does not type.
func (l *lowerer) foldable(sc *scope, name string) bool {
	t, ok := l.s.(Typed)
	if !ok {
		return true
	}
	isString, known := t.PropertyKind(sc.table, property(name))
	return isString || !known
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
