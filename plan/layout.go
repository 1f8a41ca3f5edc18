package plan

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The arena's first slabs, the builder's source lists and the plan's
// column and order lists are sized from the query's counts. For a query of
// a shape seen before they are one allocation: a struct type made for that
// shape with reflect.StructOf, one exactly sized array field per slab, so
// the garbage collector sees every pointer slot as it would in separate
// slabs (the FetchXML parser does the same with its tree). reflect keeps
// the types, so at most maxLayouts shapes get one; other queries allocate
// their slabs one by one, as grab does when a slab runs out.

const (
	maxLayouts    = 256     // shapes given a struct type, ever
	layoutProbes  = 4       // slots a shape may take
	maxLayoutSize = 1 << 15 // larger plans amortise their allocations
)

// Slabs, in field order.
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
	lPlan
	numLayoutSlabs
)

// slabCounts are the slab sizes of a query with counts n: the first slabs
// (one block per shape, or one allocation each) and every later slab grab
// makes. The one table of them.
func slabCounts(n sizes) [numLayoutSlabs]int {
	return [numLayoutSlabs]int{
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
		lPlan:    1,
	}
}

var layoutElems = [numLayoutSlabs]reflect.Type{
	lRefs:    reflect.TypeFor[ColumnRef](),
	lValues:  reflect.TypeFor[Value](),
	lCmps:    reflect.TypeFor[Compare](),
	lNulls:   reflect.TypeFor[IsNull](),
	lOrs:     reflect.TypeFor[Or](),
	lAnds:    reflect.TypeFor[And](),
	lLikes:   reflect.TypeFor[Like](),
	lOuts:    reflect.TypeFor[OutputColumn](),
	lSorts:   reflect.TypeFor[SortKey](),
	lSources: reflect.TypeFor[DataSource](),
	lExprs:   reflect.TypeFor[Expr](),
	lJoins:   reflect.TypeFor[*DataSource](),
	lNamed:   reflect.TypeFor[*DataSource](),
	lLinks:   reflect.TypeFor[linkSource](),
	lColumns: reflect.TypeFor[*OutputColumn](),
	lOrders:  reflect.TypeFor[*SortKey](),
	lPlan:    reflect.TypeFor[Plan](),
}

// planLayout is the struct type of one shape and where each slab starts.
type planLayout struct {
	key    sizes
	typ    reflect.Type
	counts [numLayoutSlabs]int
	offs   [numLayoutSlabs]uintptr
}

var planLayouts struct {
	slots   [2 * maxLayouts]atomic.Pointer[planLayout]
	created atomic.Int32
	mu      sync.Mutex // serialises creation
}

// planLayoutFor returns the layout of k, creating it if there is room, or
// nil. A shape hashes to a slot and probes a few after it.
func planLayoutFor(k sizes) *planLayout {
	h := uint32(k.conds)*0x9E3779B1 ^ uint32(k.likes)*0x85EBCA77 ^ uint32(k.nullable)*0xC2B2AE3D ^
		uint32(k.attrs)*0x27D4EB2F ^ uint32(k.links)*0x165667B1 ^ uint32(k.orders)*0xD3A2646C ^ uint32(k.filters)*0xFD7046C5
	h ^= h >> 15
	for i := range uint32(layoutProbes) {
		slot := &planLayouts.slots[(h+i)%(2*maxLayouts)]
		l := slot.Load()
		if l == nil {
			return newPlanLayoutIn(slot, k)
		}
		if l.key == k {
			return l
		}
	}
	return nil
}

func newPlanLayoutIn(slot *atomic.Pointer[planLayout], k sizes) *planLayout {
	if planLayouts.created.Load() >= maxLayouts {
		return nil
	}
	planLayouts.mu.Lock()
	defer planLayouts.mu.Unlock()
	if l := slot.Load(); l != nil {
		if l.key == k {
			return l
		}
		return nil
	}
	if planLayouts.created.Load() >= maxLayouts {
		return nil
	}
	l := newPlanLayout(k)
	if l == nil {
		return nil
	}
	planLayouts.created.Add(1)
	slot.Store(l)
	return l
}

// newPlanLayout makes the struct type of k, or nil when it would be too
// large to be worth one.
func newPlanLayout(k sizes) *planLayout {
	l := &planLayout{key: k, counts: slabCounts(k)}
	var size uintptr
	for s := range numLayoutSlabs {
		size += uintptr(l.counts[s]) * layoutElems[s].Size()
	}
	if size > maxLayoutSize {
		return nil
	}
	fields := make([]reflect.StructField, 0, numLayoutSlabs)
	index := [numLayoutSlabs]int{}
	for s := range numLayoutSlabs {
		index[s] = -1
		if l.counts[s] == 0 {
			continue
		}
		index[s] = len(fields)
		fields = append(fields, reflect.StructField{Name: "S" + string(rune('A'+s)), Type: reflect.ArrayOf(l.counts[s], layoutElems[s])})
	}
	l.typ = reflect.StructOf(fields)
	for s := range numLayoutSlabs {
		if index[s] >= 0 {
			l.offs[s] = l.typ.Field(index[s]).Offset
		}
	}
	return l
}

// carve is slab s of the block at base, empty with its full capacity.
func carve[T any](base unsafe.Pointer, l *planLayout, s int) []T {
	if l.counts[s] == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(base, l.offs[s])), l.counts[s])[:0]
}

// preallocate gives the arena, the builder's lists and the plan their
// first slabs in one allocation when the query's shape has a layout; the
// plan is returned (nil without a layout: the caller allocates it).
func (b *builder) preallocate() *Plan {
	l := planLayoutFor(b.a.size)
	if l == nil {
		return nil
	}
	base := reflect.New(l.typ).UnsafePointer()
	a := &b.a
	a.refs = carve[ColumnRef](base, l, lRefs)
	a.values = carve[Value](base, l, lValues)
	a.cmps = carve[Compare](base, l, lCmps)
	a.nulls = carve[IsNull](base, l, lNulls)
	a.ors = carve[Or](base, l, lOrs)
	a.ands = carve[And](base, l, lAnds)
	a.likes = carve[Like](base, l, lLikes)
	a.outs = carve[OutputColumn](base, l, lOuts)
	a.sorts = carve[SortKey](base, l, lSorts)
	a.sources = carve[DataSource](base, l, lSources)
	a.exprs = carve[Expr](base, l, lExprs)
	a.joinBuf = carve[*DataSource](base, l, lJoins)
	b.named = carve[*DataSource](base, l, lNamed)
	b.links = carve[linkSource](base, l, lLinks)
	p := &carve[Plan](base, l, lPlan)[:1][0]
	p.Columns = carve[*OutputColumn](base, l, lColumns)
	p.Orders = carve[*SortKey](base, l, lOrders)
	return p
}
