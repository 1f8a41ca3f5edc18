package fetchxml

import (
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Dataverse limits (spec §1.9) and the alias checks' cut-off.
const (
	maxTop            = 5000  // top and count (page size)
	maxAggregateLimit = 50000 // aggregatelimit can only lower the 50,000 limit
	maxLinks          = 15    // link-entity elements per query
	maxCondLinks      = 500   // conditions + link-entities per query
)

// rejectTopWithPaging makes top + page/count a ConflictingOptions error, as
// Dataverse does ("A query can contain either PageInfo or TopCount property
// values. If both are specified, an error will be thrown."). The shared
// benchmark query combines them; our copy in testdata/bench/medium.xml
// drops top (see the README).
const rejectTopWithPaging = true

// Parse parses one FetchXML document. On failure it returns a nil query and
// a diag.ErrorList sorted by position and capped at diag.MaxErrors.
func Parse(src *diag.Source) (*ast.Query, error) {
	if src == nil {
		src = diag.NewSource("", nil)
	}
	p := pool.Get().(*parser)
	p.src = src
	// The parser reads the caller's bytes in place: p.s is only a view for
	// the duration of the call. What the tree keeps (names and values) is
	// copied by the scanner into one arena string; see keep.
	p.s = unsafe.String(unsafe.SliceData(src.Text), len(src.Text))
	var q *ast.Query
	if p.scan() {
		p.arena = string(p.scratch[:p.nk])
		q = p.build()
	}
	errs := p.errs
	p.release()
	if len(errs) > 0 {
		errs.Sort()
		if len(errs) > diag.MaxErrors {
			errs = errs[:diag.MaxErrors]
		}
		return nil, errs
	}
	return q, nil
}

var pool = sync.Pool{New: func() any { return new(parser) }}

type parser struct {
	src  *diag.Source
	s    string // src.Text, not copied: it must not reach the tree
	errs diag.ErrorList

	// The kept values, copied while scanning: scratch[:nk] during the
	// scan, then the arena string that the tree's strings are cut from.
	scratch []byte
	nk      int
	arena   string

	// Scanner output and state; the slices are reused through pool.
	toks               []token
	attrs              []xattr
	stack              []int32
	ns                 []nsDecl
	counts             [numKinds]int
	nValueAttrs        int
	rootSeen, rootDone bool

	// Builder state: nodes and child slices are carved from slabs sized by
	// the scanner's counts, one allocation per node type.
	nLinks, nCondLinks int
	links              slab[ast.LinkEntity]
	attributes         slab[ast.Attribute]
	orders             slab[ast.Order]
	filters            slab[ast.Filter]
	conditions         slab[ast.Condition]
	values             slab[ast.Value]
	attrPtrs           slab[*ast.Attribute]
	orderPtrs          slab[*ast.Order]
	filterPtrs         slab[*ast.Filter]
	linkPtrs           slab[*ast.LinkEntity]
	itemPtrs           slab[ast.FilterItem]
	valuePtrs          slab[*ast.Value]
}

// release returns p to the pool without keeping any reference to the
// document or the tree.
func (p *parser) release() {
	const keep = 1 << 14 // do not pool buffers grown by huge inputs
	if cap(p.toks) > keep || cap(p.attrs) > keep || cap(p.scratch) > 16*keep {
		return
	}
	clear(p.ns)
	*p = parser{toks: p.toks[:0], attrs: p.attrs[:0], stack: p.stack[:0], ns: p.ns[:0], scratch: p.scratch[:0]}
	pool.Put(p)
}

// slab hands out nodes and slices from one allocation. When it runs dry
// (it cannot, as sized, but a parser must not panic) it falls back to the
// heap.
type slab[T any] struct {
	all  []T
	used int
}

func (s *slab[T]) init(n int) {
	if n > 0 {
		s.all = make([]T, n)
	}
}

func (s *slab[T]) new() *T {
	if s.used < len(s.all) {
		s.used++
		return &s.all[s.used-1]
	}
	return new(T)
}

// take returns an empty slice with room for n elements.
func (s *slab[T]) take(n int) []T {
	if n <= 0 {
		return nil
	}
	if s.used+n > len(s.all) {
		return make([]T, 0, n)
	}
	x := s.all[s.used : s.used : s.used+n]
	s.used += n
	return x
}

func (s *slab[T]) items() []T { return s.all[:s.used] }

func (p *parser) errorAt(sp diag.Span, code diag.Code, format string, args ...any) {
	if len(p.errs) < diag.MaxErrors {
		p.errs.Add(diag.Errorf(p.src, sp, code, format, args...))
	}
}

func (p *parser) span(t *token) diag.Span {
	return diag.Span{Start: diag.Pos(t.start), End: diag.Pos(t.end)}
}

func (p *parser) elemName(t *token) string { return p.s[t.start+1 : t.nameEnd] }

func (p *parser) attrName(a *xattr) string { return p.s[a.n0:a.n1] }

func nameSpan(a *xattr) diag.Span  { return diag.Span{Start: diag.Pos(a.n0), End: diag.Pos(a.n1)} }
func valueSpan(a *xattr) diag.Span { return diag.Span{Start: diag.Pos(a.v0), End: diag.Pos(a.v1)} }

// val is an attribute's value, decoded only when it has to be. It may be
// a view of the caller's buffer: use it to test or parse, never to keep.
func (p *parser) val(a *xattr) string {
	raw := p.s[a.v0:a.v1]
	if a.flags&fDecode == 0 {
		return raw
	}
	return decode(raw, true, false)
}

// keep is val as the tree may hold it: cut from the arena, or a new string
// when decoded (or, which the scanner does not do, when not copied).
func (p *parser) keep(a *xattr) string {
	if a.flags&fDecode != 0 {
		return decode(p.s[a.v0:a.v1], true, false)
	}
	if !keptAttr[a.id] {
		return strings.Clone(p.s[a.v0:a.v1])
	}
	return p.arena[a.k : a.k+a.v1-a.v0]
}

func (p *parser) nameAttr(a *xattr) ast.Name { return ast.Name{Span: valueSpan(a), Text: p.keep(a)} }

// requiredName checks a required name-valued attribute.
func (p *parser) requiredName(t *token, a *xattr, attr string) ast.Name {
	if a == nil {
		p.errorAt(p.span(t), diag.MissingAttribute, "<%s> needs a %s attribute", p.elemName(t), attr)
		return ast.Name{}
	}
	n := p.nameAttr(a)
	if n.Text == "" {
		p.errorAt(valueSpan(a), diag.BadAttributeValue, "%s of <%s> must not be empty", attr, p.elemName(t))
	}
	return n
}

func (p *parser) boolAttr(a *xattr) ast.Bool {
	v := p.val(a)
	b := ast.Bool{Span: valueSpan(a), Set: true}
	switch {
	case v == "1" || strings.EqualFold(v, "true"):
		b.Value = true
	case v == "0" || strings.EqualFold(v, "false"):
	default:
		p.errorAt(b.Span, diag.BadAttributeValue, "%s must be true, false, 1 or 0, not %q", p.attrName(a), v)
		b.Set = false
	}
	return b
}

func (p *parser) intAttr(a *xattr) ast.Int {
	v := p.val(a)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.errorAt(valueSpan(a), diag.BadAttributeValue, "%s must be a decimal integer, not %q", p.attrName(a), v)
		return ast.Int{Span: valueSpan(a)}
	}
	return ast.Int{Span: valueSpan(a), Value: n, Set: true}
}

// countRange checks a positive count with an optional Dataverse maximum.
func (p *parser) countRange(v ast.Int, attr string, max int64) {
	switch {
	case !v.Set:
	case v.Value <= 0:
		p.errorAt(v.Span, diag.BadAttributeValue, "%s must be a positive integer, not %d", attr, v.Value)
	case max > 0 && v.Value > max:
		p.errorAt(v.Span, diag.LimitExceeded, "%s is %d; Dataverse allows at most %d", attr, v.Value, max)
	}
}

func (p *parser) unknownAttr(t *token, a *xattr) {
	p.errorAt(nameSpan(a), diag.UnknownAttribute, "<%s> has no attribute %q", p.elemName(t), p.attrName(a))
}

func (p *parser) unknownElem(c int32, parent *token) {
	t := &p.toks[c]
	p.errorAt(p.span(t), diag.UnknownElement, "<%s> is not allowed in <%s>", p.elemName(t), p.elemName(parent))
}

// childCounts counts the direct child elements of token i by kind, so that
// child slices can be carved at their exact size.
func (p *parser) childCounts(i int32) (n [numKinds]int) {
	t := &p.toks[i]
	for c := i + 1; c < t.next; c = p.toks[c].next {
		n[p.toks[c].kind]++
	}
	return n
}

// leaf rejects any child element of an element that has none.
func (p *parser) leaf(i int32) {
	t := &p.toks[i]
	for c := i + 1; c < t.next; c = p.toks[c].next {
		p.unknownElem(c, t)
	}
}

// rootNodes puts the two singletons in one allocation.
type rootNodes struct {
	q ast.Query
	e ast.Entity
}

func (p *parser) build() *ast.Query {
	t := &p.toks[0] // the scanner saw a root element
	if t.kind != kFetch {
		p.errorAt(p.span(t), diag.UnknownElement, "the root element must be <fetch>, not <%s>", p.elemName(t))
		return nil
	}
	c := &p.counts
	r := p.allocate(shape{
		links:      c[kLinkEntity],
		attributes: c[kAttribute],
		orders:     c[kOrder],
		filters:    c[kFilter],
		conditions: c[kCondition],
		values:     c[kValue] + p.nValueAttrs,
	})
	p.fetch(0, r)
	p.checkLinkAliases()
	p.checkAttributeAliases()
	return &r.q
}

func (p *parser) fetch(i int32, r *rootNodes) {
	q := &r.q
	t := &p.toks[i]
	q.Span = p.span(t)
	q.Source = p.src
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aTop:
			q.Top = p.intAttr(a)
		case aCount:
			q.Count = p.intAttr(a)
		case aPage:
			q.Page = p.intAttr(a)
		case aPagingCookie:
			q.PagingCookie = p.nameAttr(a)
		case aReturnTotalRecordCount:
			q.ReturnTotalRecordCount = p.boolAttr(a)
		case aDistinct:
			q.Distinct = p.boolAttr(a)
		case aAggregate:
			q.Aggregate = p.boolAttr(a)
		case aAggregateLimit:
			q.AggregateLimit = p.intAttr(a)
		case aNoLock:
			q.NoLock = p.boolAttr(a)
		case aLateMaterialize:
			q.LateMaterialize = p.boolAttr(a)
		case aUseRawOrderBy:
			q.UseRawOrderBy = p.boolAttr(a)
		case aOptions:
			q.Options = p.nameAttr(a)
		case aDataSource:
			q.DataSource = p.nameAttr(a)
			if v := q.DataSource.Text; v != "retained" && v != "archive" {
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "datasource must be retained or archive, not %q", v)
			}
		case aVersion, aMapping, aOutputFormat, aUTCOffset, aMinActiveRowVersion:
			// Legacy attributes of saved views: accepted, no meaning.
		default:
			p.unknownAttr(t, a)
		}
	}
	p.countRange(q.Top, "top", maxTop)
	p.countRange(q.Count, "count", maxTop)
	p.countRange(q.Page, "page", 0)
	p.countRange(q.AggregateLimit, "aggregatelimit", maxAggregateLimit)
	if q.Top.Set && q.ReturnTotalRecordCount.Set && q.ReturnTotalRecordCount.Value {
		p.errorAt(q.Top.Span, diag.ConflictingOptions, "top cannot be combined with returntotalrecordcount")
	}
	if rejectTopWithPaging && q.Top.Set && (q.Page.Set || q.Count.Set) {
		p.errorAt(q.Top.Span, diag.ConflictingOptions, "top cannot be combined with page or count")
	}

	q.Orders = p.orderPtrs.take(p.childCounts(i)[kOrder])
	for c := i + 1; c < t.next; c = p.toks[c].next {
		switch p.toks[c].kind {
		case kEntity:
			if q.Entity != nil {
				p.errorAt(p.span(&p.toks[c]), diag.DuplicateElement, "<fetch> has more than one <entity>")
				continue
			}
			q.Entity = &r.e
			p.entity(c, &r.e)
		case kOrder:
			q.Orders = append(q.Orders, p.order(c))
		default:
			p.unknownElem(c, t)
		}
	}
	if e := q.Entity; e != nil && !q.Aggregate.Value && !e.AllAttributes.Value && len(e.Attributes) == 0 {
		// Microsoft Learn ("Select columns using FetchXml"): an entity
		// without attribute elements returns every column, as
		// <all-attributes/> does. Set stays false: the planner knows the
		// columns were not asked for by name (untyped mode keeps the key).
		e.AllAttributes = ast.Bool{Span: e.Name.Span, Value: true}
	}
	if q.Entity == nil {
		p.errorAt(q.Span, diag.MissingEntity, "<fetch> has no <entity>")
	}
}

func (p *parser) entity(i int32, e *ast.Entity) {
	t := &p.toks[i]
	e.Span = p.span(t)
	var name *xattr
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aName:
			name = a
		case aEnablePrefiltering, aPrefilterParameterName:
			// Report pre-filtering (SSRS): no query semantics.
		default:
			p.unknownAttr(t, a)
		}
	}
	e.Name = p.requiredName(t, name, "name")
	p.body(i, &e.Body)
}

// body fills what entity and link-entity share.
func (p *parser) body(i int32, b *ast.Body) {
	t := &p.toks[i]
	n := p.childCounts(i)
	b.Attributes = p.attrPtrs.take(n[kAttribute])
	b.Orders = p.orderPtrs.take(n[kOrder])
	b.Filters = p.filterPtrs.take(n[kFilter])
	b.Links = p.linkPtrs.take(n[kLinkEntity])
	for c := i + 1; c < t.next; c = p.toks[c].next {
		switch p.toks[c].kind {
		case kAllAttributes:
			b.AllAttributes = p.allAttributes(c)
		case kAttribute:
			b.Attributes = append(b.Attributes, p.attribute(c))
		case kOrder:
			b.Orders = append(b.Orders, p.order(c))
		case kFilter:
			b.Filters = append(b.Filters, p.filter(c))
		case kLinkEntity:
			b.Links = append(b.Links, p.link(c, false))
		default:
			p.unknownElem(c, t)
		}
	}
}

func (p *parser) allAttributes(i int32) ast.Bool {
	t := &p.toks[i]
	for k := t.a0; k < t.a1; k++ {
		if a := &p.attrs[k]; a.flags&fIgnore == 0 {
			p.unknownAttr(t, a)
		}
	}
	p.leaf(i)
	return ast.Bool{Span: p.span(t), Value: true, Set: true}
}

// countCondLink enforces the limit on conditions plus link-entities.
func (p *parser) countCondLink(t *token) {
	p.nCondLinks++
	if p.nCondLinks == maxCondLinks+1 {
		p.errorAt(p.span(t), diag.LimitExceeded, "more than %d conditions and link-entities in the query", maxCondLinks)
	}
}

func (p *parser) link(i int32, inFilter bool) *ast.LinkEntity {
	t := &p.toks[i]
	l := p.links.new()
	l.Span = p.span(t)
	p.nLinks++
	if p.nLinks == maxLinks+1 {
		p.errorAt(l.Span, diag.LimitExceeded, "more than %d link-entity elements in the query", maxLinks)
	}
	p.countCondLink(t)
	var name, linkType *xattr
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aName:
			name = a
		case aFrom:
			l.From = p.nameAttr(a)
		case aTo:
			l.To = p.nameAttr(a)
		case aAlias:
			l.Alias = p.nameAttr(a)
		case aLinkType:
			linkType = a
		case aIntersect:
			l.Intersect = p.boolAttr(a)
		case aVisible, aEnablePrefiltering, aPrefilterParameterName:
			// UI and report flags: no query semantics.
		default:
			p.unknownAttr(t, a)
		}
	}
	l.Name = p.requiredName(t, name, "name")
	typeOK := true
	if linkType != nil {
		l.TypeSpan = valueSpan(linkType)
		v := p.val(linkType)
		l.LinkType, typeOK = ast.LinkTypeByFetchName(v)
		if !typeOK {
			p.errorAt(l.TypeSpan, diag.BadAttributeValue, "unknown link-type %q", v)
		}
	}
	if typeOK && l.LinkType.IsFilterLink() != inFilter {
		at := l.TypeSpan
		if linkType == nil {
			at = l.Span
		}
		if inFilter {
			p.errorAt(at, diag.MisplacedLinkType, "a <link-entity> inside <filter> needs link-type any, not any, all or not all; this one is %s", l.LinkType)
		} else {
			p.errorAt(at, diag.MisplacedLinkType, "link-type %q is only allowed on a <link-entity> inside <filter>", l.LinkType.String())
		}
	}
	p.body(i, &l.Body)
	return l
}

func (p *parser) attribute(i int32) *ast.Attribute {
	t := &p.toks[i]
	at := p.attributes.new()
	at.Span = p.span(t)
	var name *xattr
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aName:
			name = a
		case aAlias:
			at.Alias = p.nameAttr(a)
		case aAggregate:
			v := p.val(a)
			f, ok := ast.AggregateByName(v)
			if !ok {
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "unknown aggregate %q", v)
			}
			at.Aggregate = f
		case aGroupBy:
			at.GroupBy = p.boolAttr(a)
		case aDateGrouping:
			v := p.val(a)
			g, ok := ast.DateGroupingByName(v)
			if !ok {
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "unknown dategrouping %q", v)
			}
			at.DateGrouping = g
		case aUserTimeZone:
			at.UserTimeZone = p.boolAttr(a)
		case aDistinct:
			at.Distinct = p.boolAttr(a)
		case aRowAggregate:
			at.RowAggregate = p.nameAttr(a)
			if at.RowAggregate.Text != "CountChildren" {
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "rowaggregate must be CountChildren, not %q", at.RowAggregate.Text)
			}
		case aBuild, aAddedBy:
			// Saved-view bookkeeping.
		default:
			p.unknownAttr(t, a)
		}
	}
	at.Name = p.requiredName(t, name, "name")
	p.leaf(i)
	return at
}

func (p *parser) order(i int32) *ast.Order {
	t := &p.toks[i]
	o := p.orders.new()
	o.Span = p.span(t)
	var hasAttr, hasAlias bool
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aAttribute:
			o.Attribute, hasAttr = p.nameAttr(a), true
		case aAlias:
			o.Alias, hasAlias = p.nameAttr(a), true
		case aDescending:
			o.Descending = p.boolAttr(a)
		case aEntityName:
			o.EntityName = p.nameAttr(a)
		default:
			p.unknownAttr(t, a)
		}
	}
	switch {
	case !hasAttr && !hasAlias:
		p.errorAt(o.Span, diag.MissingAttribute, "<order> needs an attribute or an alias")
	case !o.Attribute.IsSet() && !o.Alias.IsSet():
		sp := o.Attribute.Span
		if hasAlias {
			sp = o.Alias.Span
		}
		p.errorAt(sp, diag.BadAttributeValue, "<order> names an empty column")
	}
	p.leaf(i)
	return o
}

func (p *parser) filter(i int32) *ast.Filter {
	t := &p.toks[i]
	f := p.filters.new()
	f.Span = p.span(t)
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aType:
			switch v := p.val(a); v {
			case "and":
				f.Type = ast.And
			case "or":
				f.Type = ast.Or
			default:
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "filter type must be and or or, not %q", v)
			}
		case aHint:
			f.Hint = p.nameAttr(a)
			if f.Hint.Text != "union" {
				p.errorAt(valueSpan(a), diag.BadAttributeValue, "filter hint must be union, not %q", f.Hint.Text)
			}
		case aIsQuickFindFields:
			f.IsQuickFindField = p.boolAttr(a)
		case aOverrideQFLimitEnabled:
			f.QuickFindLimitOn = p.boolAttr(a)
		case aOverrideQFLimitDisabled:
			f.QuickFindLimitOff = p.boolAttr(a)
		default:
			p.unknownAttr(t, a)
		}
	}
	n := p.childCounts(i)
	f.Items = p.itemPtrs.take(n[kCondition] + n[kFilter] + n[kLinkEntity])
	for c := i + 1; c < t.next; c = p.toks[c].next {
		switch p.toks[c].kind {
		case kCondition:
			f.Items = append(f.Items, p.condition(c))
		case kFilter:
			f.Items = append(f.Items, p.filter(c))
		case kLinkEntity:
			f.Items = append(f.Items, p.link(c, true))
		default:
			p.unknownElem(c, t)
		}
	}
	return f
}

func (p *parser) condition(i int32) *ast.Condition {
	t := &p.toks[i]
	cd := p.conditions.new()
	cd.Span = p.span(t)
	p.countCondLink(t)
	var attr, column, op, value, valueOf *xattr
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aEntityName:
			cd.EntityName = p.nameAttr(a)
		case aAttribute:
			attr = a
		case aColumn:
			column = a
		case aOperator:
			op = a
		case aValue:
			value = a
		case aValueOf:
			valueOf = a
		case aUIName, aUIType, aUIHidden:
			// Lookup display hints for the UI.
		case aAlias, aAggregate, aRowAggregate:
			p.errorAt(nameSpan(a), diag.UnsupportedFeature, "condition %s (filtering on aggregates) is not supported", p.attrName(a))
		default:
			p.unknownAttr(t, a)
		}
	}
	switch {
	case attr != nil && column != nil:
		p.errorAt(nameSpan(column), diag.ConflictingOptions, "<condition> has both attribute and its synonym column")
		cd.Attribute = p.nameAttr(attr)
	case attr == nil && column != nil:
		cd.Attribute = p.requiredName(t, column, "column")
	default:
		cd.Attribute = p.requiredName(t, attr, "attribute")
	}
	if valueOf != nil {
		cd.ValueOf = p.requiredName(t, valueOf, "valueof")
	}
	if op == nil {
		p.errorAt(cd.Span, diag.MissingAttribute, "<condition> needs an operator attribute")
	} else {
		cd.OpSpan = valueSpan(op)
		v := p.val(op)
		o, ok := operatorByName(v)
		if !ok {
			p.errorAt(cd.OpSpan, diag.UnknownOperator, "unknown operator %q", v)
		}
		cd.Operator = o
	}

	nChild := p.childCounts(i)[kValue]
	if value != nil {
		cd.Values = p.valuePtrs.take(nChild + 1)
		v := p.values.new()
		v.Span, v.Text, v.Kind = valueSpan(value), p.keep(value), ast.KindText
		cd.Values = append(cd.Values, v)
	} else {
		cd.Values = p.valuePtrs.take(nChild)
	}
	for c := i + 1; c < t.next; c = p.toks[c].next {
		if p.toks[c].kind == kValue {
			cd.Values = append(cd.Values, p.value(c))
		} else {
			p.unknownElem(c, t)
		}
	}
	if cd.Operator != ast.OpInvalid {
		p.operands(cd, value != nil, valueOf)
	}
	return cd
}

// operands checks the operand shape of a condition against its operator.
func (p *parser) operands(cd *ast.Condition, hasValueAttr bool, valueOf *xattr) {
	info := cd.Operator.Info()
	n := len(cd.Values)
	if valueOf != nil {
		switch {
		case !info.ValueOf:
			p.errorAt(nameSpan(valueOf), diag.OperandCount, "operator %s does not accept valueof", info.Fetch)
		case n > 0:
			p.errorAt(nameSpan(valueOf), diag.OperandCount, "valueof cannot be combined with a value")
		}
		return
	}
	switch info.Shape {
	case ast.NoOperand:
		if n > 0 {
			p.errorAt(cd.Values[0].Span, diag.OperandCount, "operator %s takes no value", info.Fetch)
		}
	case ast.OneValue, ast.OneInt:
		switch {
		case n == 0:
			p.errorAt(cd.Span, diag.OperandCount, "operator %s needs a value", info.Fetch)
		case n > 1:
			p.errorAt(cd.Values[1].Span, diag.OperandCount, "operator %s takes exactly one value", info.Fetch)
		case info.Shape == ast.OneInt:
			v := cd.Values[0]
			x, err := strconv.ParseInt(v.Text, 10, 64)
			switch {
			case err != nil:
				p.errorAt(v.Span, diag.BadLiteral, "operator %s needs an integer, not %q", info.Fetch, v.Text)
			case x <= 0 && strings.Contains(info.Fetch, "-x-"):
				p.errorAt(v.Span, diag.BadLiteral, "operator %s needs a positive integer, not %d", info.Fetch, x)
			}
		}
	case ast.TwoValues:
		switch {
		case hasValueAttr:
			p.errorAt(cd.Values[0].Span, diag.OperandCount, "operator %s takes two <value> elements, not a value attribute", info.Fetch)
		case n != 2:
			p.errorAt(cd.Span, diag.OperandCount, "operator %s takes exactly two <value> elements, not %d", info.Fetch, n)
		}
	case ast.ManyValues:
		switch {
		case n == 0:
			p.errorAt(cd.Span, diag.OperandCount, "operator %s needs at least one value", info.Fetch)
		case hasValueAttr && n > 1:
			p.errorAt(cd.Values[1].Span, diag.OperandCount, "operator %s takes a value attribute or <value> elements, not both", info.Fetch)
		}
	}
}

func (p *parser) value(i int32) *ast.Value {
	t := &p.toks[i]
	v := p.values.new()
	v.Span, v.Kind = p.span(t), ast.KindText
	for k := t.a0; k < t.a1; k++ {
		a := &p.attrs[k]
		if a.flags&fIgnore != 0 {
			continue
		}
		switch a.id {
		case aUIName, aUIType:
		default:
			p.unknownAttr(t, a)
		}
	}
	var text []*token
	var one *token
	for c := i + 1; c < t.next; c = p.toks[c].next {
		tt := &p.toks[c]
		if tt.kind != kText {
			p.unknownElem(c, t)
			continue
		}
		if one == nil {
			one = tt
		} else {
			if text == nil {
				text = append(text, one)
			}
			text = append(text, tt)
		}
	}
	switch {
	case one == nil:
		// <value/> and <value></value> are the empty string.
	case text == nil:
		v.Text = p.textOf(one)
	default:
		// Text split by comments or CDATA sections: rare, so concatenate.
		var b strings.Builder
		for _, tt := range text {
			b.WriteString(p.textOf(tt))
		}
		v.Text = b.String()
	}
	return v
}

// textOf is the text of a kText token, from the arena or decoded.
func (p *parser) textOf(t *token) string {
	if t.flags&fDecode == 0 {
		return p.arena[t.a0 : t.a0+t.end-t.start]
	}
	return decode(p.s[t.start:t.end], false, t.flags&fCDATA != 0)
}

// linkAlias is a link-entity's effective alias: the explicit one, or the
// generated name+num (num > 0).
type linkAlias struct {
	base string
	num  int
}

func (a linkAlias) appendTo(b []byte) []byte {
	b = append(b, a.base...)
	if a.num > 0 {
		b = strconv.AppendInt(b, int64(a.num), 10)
	}
	return b
}

// checkLinkAliases reports link-entities whose effective aliases collide.
// A link without alias is named <name><n>, n counting the alias-less links
// to the same table in document order (account1, account2, …), as
// Dataverse names them.
func (p *parser) checkLinkAliases() {
	links := p.links.items()
	if len(links) < 2 || len(links) > 4*maxLinks {
		return // over the limit: already an error, and the check is quadratic
	}
	var al [4 * maxLinks]linkAlias
	for j := range links {
		l := &links[j]
		if l.Alias.Text != "" {
			al[j] = linkAlias{base: l.Alias.Text}
			continue
		}
		n := 1
		for k := 0; k < j; k++ {
			if links[k].Alias.Text == "" && links[k].Name.Text == l.Name.Text {
				n++
			}
		}
		al[j] = linkAlias{base: l.Name.Text, num: n}
	}
	var ba, bb [64]byte
	for j := 1; j < len(links); j++ {
		x := al[j].appendTo(ba[:0])
		for k := 0; k < j; k++ {
			if string(al[k].appendTo(bb[:0])) != string(x) {
				continue
			}
			l := &links[j]
			if al[j].num == 0 {
				p.errorAt(l.Alias.Span, diag.DuplicateAlias, "link-entity alias %q is already used", l.Alias.Text)
			} else {
				p.errorAt(l.Span, diag.DuplicateAlias, "the generated alias %q of this link-entity is already used", string(x))
			}
			break
		}
	}
}

// checkAttributeAliases reports attribute aliases used twice: an alias
// names one result column.
func (p *parser) checkAttributeAliases() {
	attrs := p.attributes.items()
	if len(attrs) < 2 {
		return
	}
	if len(attrs) <= 64 {
		for j := 1; j < len(attrs); j++ {
			a := attrs[j].Alias.Text
			if a == "" {
				continue
			}
			for k := 0; k < j; k++ {
				if attrs[k].Alias.Text == a {
					p.errorAt(attrs[j].Alias.Span, diag.DuplicateAlias, "attribute alias %q is already used", a)
					break
				}
			}
		}
		return
	}
	seen := make(map[string]bool, len(attrs))
	for j := range attrs {
		a := attrs[j].Alias.Text
		if a == "" {
			continue
		}
		if seen[a] {
			p.errorAt(attrs[j].Alias.Span, diag.DuplicateAlias, "attribute alias %q is already used", a)
		}
		seen[a] = true
	}
}
