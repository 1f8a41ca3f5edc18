package fetchxml

// The tree's nodes and child slices come from slabs sized by the scanner's
// counts: one allocation per node type, whatever the document's size.

// shape counts the nodes of a document by type.
type shape struct {
	links, attributes, orders, filters, conditions, values int
}

// allocate sizes the slabs for k and returns the root nodes.
func (p *parser) allocate(k shape) *rootNodes {
	p.links.init(k.links)
	p.attributes.init(k.attributes)
	p.orders.init(k.orders)
	p.filters.init(k.filters)
	p.conditions.init(k.conditions)
	p.values.init(k.values)
	p.attrPtrs.init(k.attributes)
	p.orderPtrs.init(k.orders)
	p.filterPtrs.init(k.filters)
	p.linkPtrs.init(k.links)
	p.itemPtrs.init(k.conditions + k.filters + k.links)
	p.valuePtrs.init(k.values)
	return new(rootNodes)
}
