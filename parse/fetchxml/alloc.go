package fetchxml

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vecompile/vecompile/ast"
)

// The tree's nodes and child slices come from slabs sized by the scanner's
// counts. Each allocation costs about as much as zeroing 300 bytes, so for
// a document of a shape seen before, all the slabs (and the root nodes) are
// one allocation of a struct type made for that shape with reflect.StructOf:
// one array field per slab, exactly sized, so the garbage collector sees
// every pointer slot as it would in the separate slabs. Types are never
// freed (reflect caches them), so at most maxLayouts shapes get one; any
// other document allocates its slabs one by one.

// shape counts the nodes of a document by type.
type shape struct {
	links, attributes, orders, filters, conditions, values int32
}

func (s shape) items() int { return int(s.conditions + s.filters + s.links) }

// size is the bytes of the shape's slabs and root nodes (without padding).
func (s shape) size() uintptr {
	const ptr = unsafe.Sizeof(unsafe.Pointer(nil))
	const item = unsafe.Sizeof(ast.FilterItem(nil))
	return unsafe.Sizeof(rootNodes{}) +
		uintptr(s.links)*(unsafe.Sizeof(ast.LinkEntity{})+ptr) +
		uintptr(s.attributes)*(unsafe.Sizeof(ast.Attribute{})+ptr) +
		uintptr(s.orders)*(unsafe.Sizeof(ast.Order{})+ptr) +
		uintptr(s.filters)*(unsafe.Sizeof(ast.Filter{})+ptr) +
		uintptr(s.conditions)*unsafe.Sizeof(ast.Condition{}) +
		uintptr(s.items())*item +
		uintptr(s.values)*(unsafe.Sizeof(ast.Value{})+ptr)
}

const (
	maxLayouts    = 256     // shapes given a struct type, ever
	probes        = 4       // slots a shape may take
	maxLayoutSize = 1 << 15 // larger documents amortise their allocations
)

// layout is the struct type of one shape and where each slab starts in it.
type layout struct {
	key  shape
	typ  reflect.Type
	offs [numSlabs]uintptr
}

// Slabs, in field order after the root nodes.
const (
	sLinks = iota
	sLinkPtrs
	sAttributes
	sAttrPtrs
	sOrders
	sOrderPtrs
	sFilters
	sFilterPtrs
	sConditions
	sItemPtrs
	sValues
	sValuePtrs
	numSlabs
)

var layouts struct {
	slots   [2 * maxLayouts]atomic.Pointer[layout]
	created atomic.Int32
	mu      sync.Mutex // serialises creation
}

// layoutFor returns the layout of k, creating it if there is room, or nil.
// A shape hashes to a slot and probes a few after it.
func layoutFor(k shape) *layout {
	h := uint32(k.links)*0x9E3779B1 ^ uint32(k.attributes)*0x85EBCA77 ^ uint32(k.orders)*0xC2B2AE3D ^
		uint32(k.filters)*0x27D4EB2F ^ uint32(k.conditions)*0x165667B1 ^ uint32(k.values)*0xD3A2646C
	h ^= h >> 15
	for i := range uint32(probes) {
		slot := &layouts.slots[(h+i)%(2*maxLayouts)]
		l := slot.Load()
		if l == nil {
			return newLayoutIn(slot, k)
		}
		if l.key == k {
			return l
		}
	}
	return nil
}

// newLayoutIn creates the layout of k in slot, unless another goroutine
// filled the slot first or the cap is reached.
func newLayoutIn(slot *atomic.Pointer[layout], k shape) *layout {
	if layouts.created.Load() >= maxLayouts {
		return nil
	}
	layouts.mu.Lock()
	defer layouts.mu.Unlock()
	if l := slot.Load(); l != nil {
		if l.key == k {
			return l
		}
		return nil
	}
	if layouts.created.Load() >= maxLayouts {
		return nil
	}
	l := newLayout(k)
	layouts.created.Add(1)
	slot.Store(l)
	return l
}

// newLayout makes the struct type of k (whose size is within bounds).
func newLayout(k shape) *layout {
	counts := [numSlabs]int{
		sLinks: int(k.links), sLinkPtrs: int(k.links),
		sAttributes: int(k.attributes), sAttrPtrs: int(k.attributes),
		sOrders: int(k.orders), sOrderPtrs: int(k.orders),
		sFilters: int(k.filters), sFilterPtrs: int(k.filters),
		sConditions: int(k.conditions), sItemPtrs: k.items(),
		sValues: int(k.values), sValuePtrs: int(k.values),
	}
	elems := [numSlabs]reflect.Type{
		sLinks: reflect.TypeFor[ast.LinkEntity](), sLinkPtrs: reflect.TypeFor[*ast.LinkEntity](),
		sAttributes: reflect.TypeFor[ast.Attribute](), sAttrPtrs: reflect.TypeFor[*ast.Attribute](),
		sOrders: reflect.TypeFor[ast.Order](), sOrderPtrs: reflect.TypeFor[*ast.Order](),
		sFilters: reflect.TypeFor[ast.Filter](), sFilterPtrs: reflect.TypeFor[*ast.Filter](),
		sConditions: reflect.TypeFor[ast.Condition](), sItemPtrs: reflect.TypeFor[ast.FilterItem](),
		sValues: reflect.TypeFor[ast.Value](), sValuePtrs: reflect.TypeFor[*ast.Value](),
	}
	fields := []reflect.StructField{{Name: "R", Type: reflect.TypeFor[rootNodes]()}}
	index := [numSlabs]int{}
	for s := range numSlabs {
		index[s] = -1
		if counts[s] > 0 {
			index[s] = len(fields)
			fields = append(fields, reflect.StructField{
				Name: "S" + string(rune('A'+s)),
				Type: reflect.ArrayOf(counts[s], elems[s]),
			})
		}
	}
	typ := reflect.StructOf(fields)
	l := &layout{key: k, typ: typ}
	for s := range numSlabs {
		if index[s] >= 0 {
			l.offs[s] = typ.Field(index[s]).Offset
		}
	}
	return l
}

// at is the slab of n elements at off in the object at base.
func at[T any](base unsafe.Pointer, off uintptr, n int32) []T {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Add(base, off)), n)
}

// allocate sizes the slabs for k and returns the root nodes: one
// allocation when k has a layout, else one per slab as before.
func (p *parser) allocate(k shape) *rootNodes {
	if k.size() <= maxLayoutSize {
		if l := layoutFor(k); l != nil {
			base := reflect.New(l.typ).UnsafePointer()
			o := &l.offs
			p.links.all = at[ast.LinkEntity](base, o[sLinks], k.links)
			p.linkPtrs.all = at[*ast.LinkEntity](base, o[sLinkPtrs], k.links)
			p.attributes.all = at[ast.Attribute](base, o[sAttributes], k.attributes)
			p.attrPtrs.all = at[*ast.Attribute](base, o[sAttrPtrs], k.attributes)
			p.orders.all = at[ast.Order](base, o[sOrders], k.orders)
			p.orderPtrs.all = at[*ast.Order](base, o[sOrderPtrs], k.orders)
			p.filters.all = at[ast.Filter](base, o[sFilters], k.filters)
			p.filterPtrs.all = at[*ast.Filter](base, o[sFilterPtrs], k.filters)
			p.conditions.all = at[ast.Condition](base, o[sConditions], k.conditions)
			p.itemPtrs.all = at[ast.FilterItem](base, o[sItemPtrs], int32(k.items()))
			p.values.all = at[ast.Value](base, o[sValues], k.values)
			p.valuePtrs.all = at[*ast.Value](base, o[sValuePtrs], k.values)
			return (*rootNodes)(base)
		}
	}
	p.links.init(int(k.links))
	p.attributes.init(int(k.attributes))
	p.orders.init(int(k.orders))
	p.filters.init(int(k.filters))
	p.conditions.init(int(k.conditions))
	p.values.init(int(k.values))
	p.attrPtrs.init(int(k.attributes))
	p.orderPtrs.init(int(k.orders))
	p.filterPtrs.init(int(k.filters))
	p.linkPtrs.init(int(k.links))
	p.itemPtrs.init(k.items())
	p.valuePtrs.init(int(k.values))
	return new(rootNodes)
}
