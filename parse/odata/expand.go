package odata

import (
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Serving $expand. Lower turns a single-valued $expand into an outer link
// whose columns come back flat ("nav.col"), and refuses collection-valued
// ones: a FetchXML query has no nested arrays. LowerExpansion is for a
// server that nests: it returns the query without the collection-valued
// expands, plus a description of the result's levels, so that the server
// can nest each link's columns under its navigation property and run one
// query per collection-valued expand (CollectionExpand.Lower) for a whole
// page of parents.

// Limits of LowerExpansion.
const (
	// MaxExpands is Dataverse's limit on $expand options in one request,
	// nested ones included.
	MaxExpands = 15
	// MaxCollectionDepth bounds collection-valued $expand inside
	// collection-valued $expand: each level is one more query per page.
	MaxCollectionDepth = 3
)

// Expansion is a request lowered for nesting: Query holds the
// single-valued expands as outer links, Level says where their columns
// are and which collection-valued expands remain.
type Expansion struct {
	Query *ast.Query
	Level *ExpandLevel
}

// ExpandLevel is one entity of a result row: the root entity or a
// single-valued expand.
type ExpandLevel struct {
	Table string
	// Prefix is the result-name prefix of the level's columns: "" for the
	// root, "alias." for a link.
	Prefix string
	// Key is the column (without Prefix) that is null exactly when a link
	// matched no row ("" for the root).
	Key string
	// Hidden are columns added to the query to read keys, which the
	// caller did not select: not to be returned.
	Hidden []string
	Single []*SingleExpand
	Many   []*CollectionExpand
}

// SingleExpand is a single-valued navigation property: a nested object.
type SingleExpand struct {
	Property string
	Level    *ExpandLevel
}

// CollectionExpand is a collection-valued navigation property: an array
// of the related entities whose Nav.From column equals the parent's
// Nav.To column (read from the parent's level; LowerExpansion adds it to
// the query when not selected).
type CollectionExpand struct {
	Property string
	Span     diag.Span
	Nav      Navigation
	// Per-parent paging, which the lowered query does not carry: the
	// caller applies it to each parent's rows (the server: in Go, or as a
	// per-partition window, plan.LimitPerPartition).
	Top    int64
	HasTop bool
	Skip   int64
	Count  bool // $count=true: the caller returns Property@odata.count

	req   *Request
	s     Schema
	opt   Options
	depth int
}

// ParseExpansion parses and lowers a request with LowerExpansion.
func ParseExpansion(src *diag.Source, s Schema, opt Options) (*Expansion, error) {
	r, err := ParseRequest(src)
	if err != nil {
		return nil, err
	}
	return LowerExpansion(r, s, opt)
}

// LowerExpansion lowers a request as Lower does, except that $expand is
// lowered for nesting (see Expansion): collection-valued expands are left
// out of the query and described, single-valued links are aliased
// uniquely and read the column that tells a missing related row. At most
// MaxExpands $expand items in all, collection-valued ones nested at most
// MaxCollectionDepth deep.
func LowerExpansion(r *Request, s Schema, opt Options) (*Expansion, error) {
	if r.Expand != nil {
		n := 0
		if it := countExpands(r.Expand, &n); it != nil {
			off := r.maps[r.Expand]
			return nil, diag.ErrorList{diag.Errorf(r.Source, off.span(it.Pos, it.EndPos), diag.LimitExceeded, "OData: more than %d $expand options (Dataverse's limit)", MaxExpands)}.Err()
		}
	}
	return lowerExpansion(r, s, opt, "", 0)
}

func lowerExpansion(r *Request, s Schema, opt Options, table string, depth int) (*Expansion, error) {
	l := &lowerer{split: true, aliases: map[string]bool{}, depth: depth}
	q, lv, err := lower(r, s, opt, table, l)
	if err != nil {
		return nil, err
	}
	return &Expansion{Query: q, Level: lv}, nil
}

// countExpands counts the items of e and its nested $expand options; it
// returns the first item over MaxExpands.
func countExpands(e *Expand, n *int) *ExpandItem {
	for _, it := range e.Items {
		if *n++; *n > MaxExpands {
			return it
		}
		for _, o := range it.Options {
			if o.Expand != nil {
				if over := countExpands(o.Expand, n); over != nil {
					return over
				}
			}
		}
	}
	return nil
}

// Lower lowers the nested options of a collection-valued expand as a
// request for the related table, with LowerExpansion's nesting. The query
// returns Nav.From (added, and listed as Hidden, when not selected); it
// has no paging: Top, Skip and Count are the caller's.
func (c *CollectionExpand) Lower() (*Expansion, error) {
	x, err := lowerExpansion(c.req, c.s, c.opt, c.Nav.Table, c.depth)
	if err != nil {
		return nil, err
	}
	ent := x.Query.Entity
	if pk := c.s.PrimaryKey(c.Nav.Table); !strings.EqualFold(pk, c.Nav.From) {
		(&lowerer{}).need(&ent.Body, x.Level, c.Nav.From, c.Span)
	}
	return x, nil
}

// Related is the query for the related rows of the parents whose keys
// (Nav.To values) are keys: Lower's query with "Nav.From in keys" and a
// total order (the related table's primary key last), so that arrays are
// stable and pages do not overlap. The server runs it per page of
// parents; `vecompile index advise` plans it for the index it needs (the
// foreign key, then the nested order).
func (c *CollectionExpand) Related(keys []*ast.Value) (*ast.Query, error) {
	x, err := c.Lower()
	if err != nil {
		return nil, err
	}
	q := x.Query
	ent := q.Entity
	ent.Filters = append(ent.Filters, &ast.Filter{Type: ast.And, Items: []ast.FilterItem{&ast.Condition{
		Attribute: ast.Name{Text: c.Nav.From}, Operator: ast.OpIn, Values: keys,
	}}})
	pk := c.s.PrimaryKey(c.Nav.Table)
	byKey := false
	for _, o := range ent.Orders {
		byKey = byKey || strings.EqualFold(o.Attribute.Text, pk)
	}
	if !byKey && pk != "" {
		ent.Orders = append(ent.Orders, &ast.Order{Attribute: ast.Name{Text: pk}})
	}
	return q, nil
}

// collection records a collection-valued expand of level lv (whose
// entity's body is b) and checks its nested options.
func (l *lowerer) collection(b *ast.Body, lv *ExpandLevel, name string, nav Navigation, it *ExpandItem, sp diag.Span) {
	if l.depth+1 > MaxCollectionDepth {
		l.unsupported(sp, "collection-valued $expand %s nested more than %d deep", name, MaxCollectionDepth)
		return
	}
	off := l.off
	sub := &Request{Source: l.r.Source, SetSpan: sp, aliases: l.r.aliases, maps: l.r.maps}
	c := &CollectionExpand{Property: name, Span: sp, Nav: nav, req: sub, s: l.s, depth: l.depth + 1}
	c.opt = Options{NullInclusive: l.incl}
	if l.v4 {
		c.opt.Flavor = V4
	}
	seen := map[string]bool{}
	for _, o := range it.Options {
		osp := l.span(o.Pos, o.EndPos)
		kind := strings.SplitN(o.String(), "=", 2)[0]
		if seen[kind] && !strings.HasPrefix(kind, "@") {
			l.errorf(osp, diag.DuplicateElement, "%s given twice inside $expand %s", kind, name)
			continue
		}
		seen[kind] = true
		switch {
		case o.Select != nil:
			sub.Select = o.Select
			l.r.maps[o.Select] = off
		case o.Expand != nil:
			sub.Expand = o.Expand
			l.r.maps[o.Expand] = off
		case o.Filter != nil:
			sub.Filter = o.Filter
			l.r.maps[o.Filter] = off
		case o.OrderBy != nil:
			sub.OrderBy = o.OrderBy
			l.r.maps[o.OrderBy] = off
		case o.Top != "" || o.Skip != "":
			v := o.Top + o.Skip
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				l.errorf(osp, diag.SyntaxError, "%s takes a non-negative integer, not %q", kind, v)
				continue
			}
			if o.Top != "" {
				c.Top, c.HasTop = n, true
			} else {
				c.Skip = n
			}
		case o.Count != "":
			c.Count = strings.EqualFold(o.Count, "true")
		default:
			l.unsupported(osp, "%s inside $expand %s ($select, $filter, $orderby, $top, $skip, $count and $expand are served)", kind, name)
		}
	}
	// Lowered now for its errors, so that a bad nested option is refused
	// even when no parent reaches it; the caller lowers it again per use.
	if _, err := lowerExpansion(sub, c.s, c.opt, nav.Table, c.depth); err != nil {
		if list, ok := err.(diag.ErrorList); ok {
			for _, e := range list {
				if !l.errs.Full() {
					l.errs.Add(e)
				}
			}
		} else {
			l.errorf(sp, diag.SyntaxError, "%v", err)
		}
	}
	// The parent's column the related rows point at.
	if !(lv.Prefix == "" && strings.EqualFold(nav.To, l.s.PrimaryKey(lv.Table))) {
		l.need(b, lv, nav.To, sp)
	}
	lv.Many = append(lv.Many, c)
}

// uniqueAlias is the navigation property's name, numbered when an earlier
// link of the query took it.
func (l *lowerer) uniqueAlias(name string) string {
	alias := name
	for n := 2; l.aliases[strings.ToLower(alias)]; n++ {
		alias = name + "_" + strconv.Itoa(n)
	}
	l.aliases[strings.ToLower(alias)] = true
	return alias
}

// need makes body b return column col, hidden from the caller when it was
// not selected.
func (l *lowerer) need(b *ast.Body, lv *ExpandLevel, col string, sp diag.Span) {
	if b.AllAttributes.Value {
		return
	}
	for _, a := range b.Attributes {
		if strings.EqualFold(a.Name.Text, col) && !a.Alias.IsSet() {
			return
		}
	}
	for _, h := range lv.Hidden {
		if strings.EqualFold(h, col) {
			return
		}
	}
	b.Attributes = append(b.Attributes, &ast.Attribute{Span: sp, Name: ast.Name{Span: sp, Text: col}})
	lv.Hidden = append(lv.Hidden, col)
}
