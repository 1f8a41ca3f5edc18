package gen

import (
	"github.com/leanovate/gopter"

	"github.com/vecompile/vecompile/ast"
)

// ShrinkQuery yields the queries one step smaller than q: one filter
// item, filter, link, order, attribute (the root keeps one) or limit
// removed.
func ShrinkQuery(q *ast.Query) gopter.Shrink {
	vs := QueryVariants(q)
	i := 0
	return func() (any, bool) {
		if i >= len(vs) {
			return nil, false
		}
		i++
		return vs[i-1], true
	}
}

// QueryVariants lists the one-step reductions of q.
func QueryVariants(q *ast.Query) []*ast.Query {
	var out []*ast.Query
	for k := 0; ; k++ {
		c := cloneQuery(q)
		if !removeSite(c, k) {
			return out
		}
		out = append(out, c)
	}
}

// removeSite removes the k-th removable part of q (in a fixed walk order)
// and reports whether there was one.
func removeSite(q *ast.Query, k int) bool {
	n := 0
	hit := func() bool { n++; return n-1 == k }
	if q.Top.Set && hit() {
		q.Top = ast.Int{}
		return true
	}
	if q.Count.Set && hit() {
		q.Count, q.Page = ast.Int{}, ast.Int{}
		return true
	}
	if q.Distinct.Set && hit() {
		q.Distinct = ast.Bool{}
		return true
	}
	var body func(b *ast.Body, root bool) bool
	var filter func(f *ast.Filter) bool
	filter = func(f *ast.Filter) bool {
		for i, it := range f.Items {
			if hit() {
				f.Items = append(f.Items[:i:i], f.Items[i+1:]...)
				return true
			}
			switch it := it.(type) {
			case *ast.Filter:
				if filter(it) {
					return true
				}
			case *ast.LinkEntity:
				if body(&it.Body, false) {
					return true
				}
			}
		}
		if f.Type == ast.Or && hit() {
			f.Type = ast.And
			return true
		}
		return false
	}
	body = func(b *ast.Body, root bool) bool {
		for i := range b.Orders {
			if hit() {
				b.Orders = append(b.Orders[:i:i], b.Orders[i+1:]...)
				return true
			}
		}
		for i, l := range b.Links {
			if hit() {
				b.Links = append(b.Links[:i:i], b.Links[i+1:]...)
				return true
			}
			if body(&l.Body, false) {
				return true
			}
		}
		for i, f := range b.Filters {
			if hit() {
				b.Filters = append(b.Filters[:i:i], b.Filters[i+1:]...)
				return true
			}
			if filter(f) {
				return true
			}
		}
		if len(b.Attributes) > 1 || (!root && len(b.Attributes) > 0) {
			for i := range b.Attributes {
				if hit() {
					b.Attributes = append(b.Attributes[:i:i], b.Attributes[i+1:]...)
					return true
				}
			}
		}
		return false
	}
	return body(&q.Entity.Body, true)
}

// cloneQuery copies the parts of q the generator builds.
func cloneQuery(q *ast.Query) *ast.Query {
	c := *q
	e := *q.Entity
	e.Body = cloneBody(q.Entity.Body)
	c.Entity = &e
	return &c
}

func cloneBody(b ast.Body) ast.Body {
	out := b
	out.Attributes = append([]*ast.Attribute(nil), b.Attributes...)
	out.Orders = append([]*ast.Order(nil), b.Orders...)
	out.Filters = nil
	for _, f := range b.Filters {
		out.Filters = append(out.Filters, cloneFilter(f))
	}
	out.Links = nil
	for _, l := range b.Links {
		out.Links = append(out.Links, cloneLink(l))
	}
	return out
}

func cloneLink(l *ast.LinkEntity) *ast.LinkEntity {
	c := *l
	c.Body = cloneBody(l.Body)
	return &c
}

func cloneFilter(f *ast.Filter) *ast.Filter {
	c := *f
	c.Items = nil
	for _, it := range f.Items {
		switch it := it.(type) {
		case *ast.Filter:
			c.Items = append(c.Items, cloneFilter(it))
		case *ast.LinkEntity:
			c.Items = append(c.Items, cloneLink(it))
		default:
			c.Items = append(c.Items, it)
		}
	}
	return &c
}

// DataVariants lists reductions of the dataset: half of a table's rows
// removed (either half), then single rows.
func DataVariants(ds *Dataset) []*Dataset {
	var out []*Dataset
	for ti, t := range ds.DB.Tables {
		n := len(t.Rows)
		if n >= 4 {
			for _, keepFirst := range []bool{true, false} {
				c := &Dataset{DB: ds.DB.Clone(), Env: ds.Env}
				if keepFirst {
					c.DB.Tables[ti].Rows = c.DB.Tables[ti].Rows[:n/2]
				} else {
					c.DB.Tables[ti].Rows = c.DB.Tables[ti].Rows[n/2:]
				}
				out = append(out, c)
			}
		}
	}
	for ti, t := range ds.DB.Tables {
		for i := range t.Rows {
			c := &Dataset{DB: ds.DB.Clone(), Env: ds.Env}
			rows := c.DB.Tables[ti].Rows
			c.DB.Tables[ti].Rows = append(rows[:i:i], rows[i+1:]...)
			out = append(out, c)
		}
	}
	return out
}

// Minimize shrinks a failing (dataset, query) pair greedily: it takes the
// first one-step reduction of the query, then of the data, that still
// fails, until none does. fails is called at most budget times.
func Minimize(ds *Dataset, q *ast.Query, budget int, fails func(*Dataset, *ast.Query) bool) (*Dataset, *ast.Query) {
	for progress := true; progress && budget > 0; {
		progress = false
		for _, v := range QueryVariants(q) {
			if budget--; budget < 0 {
				break
			}
			if fails(ds, v) {
				q, progress = v, true
				break
			}
		}
		if progress {
			continue
		}
		for _, v := range DataVariants(ds) {
			if budget--; budget < 0 {
				break
			}
			if fails(v, q) {
				ds, progress = v, true
				break
			}
		}
	}
	return ds, q
}
