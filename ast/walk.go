package ast

// A Visitor's Visit method is invoked for each node encountered by Walk. If
// the result visitor w is not nil, Walk visits each of the children of node
// with w, followed by a call of w.Visit(nil).
type Visitor interface {
	Visit(node Node) (w Visitor)
}

// Walk traverses the tree in depth-first order, as go/ast.Walk does. The
// children of a body come in field order (attributes, orders, filters,
// links), those of a Query are its Entity then its Orders. Nil nodes are
// skipped.
func Walk(v Visitor, node Node) {
	if isNil(node) {
		return
	}
	if v = v.Visit(node); v == nil {
		return
	}
	switch n := node.(type) {
	case *Query:
		if n.Entity != nil {
			Walk(v, n.Entity)
		}
		for _, o := range n.Orders {
			if o != nil {
				Walk(v, o)
			}
		}
	case *Entity:
		walkBody(v, &n.Body)
	case *LinkEntity:
		walkBody(v, &n.Body)
	case *Filter:
		for _, it := range n.Items {
			Walk(v, it)
		}
	case *Condition:
		for _, x := range n.Values {
			if x != nil {
				Walk(v, x)
			}
		}
	case *Order:
		if n.Expr != nil {
			Walk(v, n.Expr)
		}
	case *Computed:
		Walk(v, n.Left)
		Walk(v, n.Right)
	case *Call:
		for _, a := range n.Args {
			Walk(v, a)
		}
	case *Attribute, *Value, *ColumnOperand:
		// Leaves.
	}
	v.Visit(nil)
}

func walkBody(v Visitor, b *Body) {
	for _, a := range b.Attributes {
		if a != nil {
			Walk(v, a)
		}
	}
	for _, o := range b.Orders {
		if o != nil {
			Walk(v, o)
		}
	}
	for _, f := range b.Filters {
		if f != nil {
			Walk(v, f)
		}
	}
	for _, l := range b.Links {
		if l != nil {
			Walk(v, l)
		}
	}
}

// isNil reports a nil interface or a typed nil pointer, which a partially
// built tree may hold.
func isNil(n Node) bool {
	switch x := n.(type) {
	case nil:
		return true
	case *Query:
		return x == nil
	case *Entity:
		return x == nil
	case *LinkEntity:
		return x == nil
	case *Attribute:
		return x == nil
	case *Order:
		return x == nil
	case *Filter:
		return x == nil
	case *Condition:
		return x == nil
	case *Value:
		return x == nil
	case *Computed:
		return x == nil
	case *Call:
		return x == nil
	case *ColumnOperand:
		return x == nil
	}
	return false
}

type inspector func(Node) bool

func (f inspector) Visit(node Node) Visitor {
	if f(node) {
		return f
	}
	return nil
}

// Inspect traverses the tree in depth-first order: it calls f(node) and, if
// f returns true, inspects each child, then calls f(nil).
func Inspect(node Node, f func(Node) bool) {
	Walk(inspector(f), node)
}
