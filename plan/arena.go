package plan

// arena hands out plan nodes from slabs, so that building a plan costs a
// few allocations per node type rather than one per node. Nodes stay valid
// for the plan's lifetime: a full slab is replaced, never reused. Slabs
// are sized from the query's counts (slabCounts), so a plan usually needs
// one slab per node type; grab makes each when its first node is asked for.
type arena struct {
	refs    []ColumnRef
	values  []Value
	cmps    []Compare
	nulls   []IsNull
	ors     []Or
	ands    []And
	likes   []Like
	outs    []OutputColumn
	sorts   []SortKey
	sources []DataSource
	exprs   []Expr
	joinBuf []*DataSource
	tabBuf  []*Table
	size    sizes
	// counts are the slab sizes of size (slabCounts): the first slabs and
	// every later one.
	counts [numSlabs]int
}

// Slabs, the arena's and the builder's, as slabCounts indexes them.
const (
	lRefs = iota
	lValues
	lCmps
	lNulls
	lOrs
	lAnds
	lLikes
	lOuts
	lSorts
	lSources
	lExprs
	lJoins
	lNamed
	lLinks
	lColumns
	lOrders
	numSlabs
)

// slabCounts are the slab sizes of a query with counts n: the first slab
// of each kind and every later one grab makes. The one table of them.
func slabCounts(n sizes) [numSlabs]int {
	return [numSlabs]int{
		lRefs:    n.conds + n.attrs + n.orders + 2*n.links + 4,
		lValues:  n.conds + 2,
		lCmps:    n.conds + 1,
		lNulls:   n.nullable + 2,
		lOrs:     n.nullable + n.filters + 1,
		lAnds:    n.filters + n.links + 2,
		lLikes:   n.likes + 1,
		lOuts:    n.attrs + 2,
		lSorts:   n.orders + n.links + 2,
		lSources: n.links + 1,
		lExprs:   n.conds + n.filters + n.links + 2*n.nullable + 4,
		lJoins:   n.links,
		lNamed:   n.links + 1,
		lLinks:   n.links,
		lColumns: n.attrs + 1,
		lOrders:  n.orders + n.links + 2,
	}
}

// setSize records the query's counts and the slab sizes they give.
func (a *arena) setSize(n sizes) {
	a.size, a.counts = n, slabCounts(n)
}

// sizes are the first slab sizes, counted from the query.
type sizes struct {
	conds, likes, nullable, attrs, links, orders, filters int
}

// grab returns a pointer to a fresh zero T from the slab.
func grab[T any](s *[]T, n int) *T {
	if len(*s) == cap(*s) {
		*s = make([]T, 0, n)
	}
	*s = (*s)[:len(*s)+1]
	return &(*s)[len(*s)-1]
}

func (a *arena) ref(ds *DataSource, c *Column) *ColumnRef {
	r := grab(&a.refs, a.counts[lRefs])
	r.Source, r.Column = ds, c
	return r
}

func (a *arena) value(k Kind, v any) *Value {
	x := grab(&a.values, a.counts[lValues])
	x.Kind, x.V = k, v
	return x
}

func (a *arena) compare(op CmpOp, l *ColumnRef, r Operand, fold bool) *Compare {
	c := grab(&a.cmps, a.counts[lCmps])
	c.Op, c.Left, c.Right, c.Fold = op, l, r, fold
	return c
}

func (a *arena) isNull(col *ColumnRef, not bool) *IsNull {
	n := grab(&a.nulls, a.counts[lNulls])
	n.Col, n.Not = col, not
	return n
}

func (a *arena) like(col *ColumnRef, p Pattern, not bool) *Like {
	l := grab(&a.likes, a.counts[lLikes])
	l.Col, l.Pattern, l.Not = col, p, not
	return l
}

func (a *arena) output() *OutputColumn { return grab(&a.outs, a.counts[lOuts]) }

func (a *arena) sortKey() *SortKey { return grab(&a.sorts, a.counts[lSorts]) }

func (a *arena) source() *DataSource { return grab(&a.sources, a.counts[lSources]) }

// terms returns a slice of n expressions carved from one backing array;
// its capacity is n, so an append never writes into a neighbour.
func (a *arena) terms(n int) []Expr {
	if cap(a.exprs)-len(a.exprs) < n {
		a.exprs = make([]Expr, 0, max(n, a.counts[lExprs]))
	}
	start := len(a.exprs)
	a.exprs = a.exprs[:start+n]
	return a.exprs[start : start+n : start+n]
}

func (a *arena) and(terms []Expr) Expr {
	switch len(terms) {
	case 0:
		return nil
	case 1:
		return terms[0]
	}
	x := grab(&a.ands, a.counts[lAnds])
	x.Terms = terms
	return x
}

func (a *arena) or(terms []Expr) Expr {
	if len(terms) == 1 {
		return terms[0]
	}
	x := grab(&a.ors, a.counts[lOrs])
	x.Terms = terms
	return x
}

// pair builds a two-term slice (for And/Or of two expressions).
func (a *arena) pair(x, y Expr) []Expr {
	t := a.terms(2)
	t[0], t[1] = x, y
	return t
}

// joins returns an empty slice with room for n joined sources.
func (a *arena) joins(n int) []*DataSource {
	if n == 0 {
		return nil
	}
	if cap(a.joinBuf)-len(a.joinBuf) < n {
		a.joinBuf = make([]*DataSource, 0, max(n, a.counts[lJoins]))
	}
	start := len(a.joinBuf)
	a.joinBuf = a.joinBuf[:start+n]
	return a.joinBuf[start : start : start+n]
}

// tables returns an empty slice with room for n tables (lookup sort
// targets); nothing is allocated for plans that sort no lookup.
func (a *arena) tables(n int) []*Table {
	if cap(a.tabBuf)-len(a.tabBuf) < n {
		a.tabBuf = make([]*Table, 0, max(n, 2*a.size.orders+2))
	}
	start := len(a.tabBuf)
	a.tabBuf = a.tabBuf[:start+n]
	return a.tabBuf[start : start : start+n]
}
