package plan

// Joins that cannot multiply their parent's rows, and the plans whose root
// can be ordered and limited before its joins (Plan.RootFirst).

// ToOne reports whether ds matches at most one row per row of its parent:
// an inner or outer join whose condition equates the table's whole primary
// key (a key-map id's whole tuple) with a column of the parent. Its key
// then adds nothing to a total order, and an outer join of it keeps every
// parent row once. Untyped tables (whose key is assumed) and GUID keys
// compared through LOWER() (stored in both cases: two spellings could
// match) are not known to be keys.
func (ds *DataSource) ToOne() bool {
	if ds == nil || ds.Parent == nil || ds.Child == nil || ds.Table == nil || ds.Table.Untyped || ds.Table.PrimaryKey == "" {
		return false
	}
	if ds.Join != JoinInner && ds.Join != JoinOuter {
		return false
	}
	pk, ok := ds.Table.Column(ds.Table.PrimaryKey)
	if !ok || pk != ds.Child {
		return false
	}
	if pk.Type.Kind() == KGuid && pk.Key == nil && pk.Guid == GuidAnyCase {
		return false
	}
	if pk.Key != nil && len(pk.Key.Parts) == 0 {
		return false
	}
	return true
}

// rootFirst reports whether p's root rows can be filtered, ordered and
// limited before the joins (Plan.RootFirst): rows, not groups; no
// per-partition limit; every join from the root an outer to-one join, and
// so on down; every sort key on the root's columns; and no filter outside
// the joins' ON clauses (the root's WHERE, quick find, subqueries under
// them) reading a joined source. Then the joins keep each root row once
// and change neither which root rows qualify nor their order.
func rootFirst(p *Plan) bool {
	if p == nil || p.Root == nil || p.Aggregate || p.Distinct || p.Partition != nil || len(p.Root.Joins) == 0 {
		return false
	}
	joined := map[*DataSource]bool{}
	var outerToOne func(ds *DataSource) bool
	outerToOne = func(ds *DataSource) bool {
		for _, j := range ds.Joins {
			if j == nil || j.Join != JoinOuter || !j.ToOne() || j.Parent.Source != ds || !outerToOne(j) {
				return false
			}
			joined[j] = true
		}
		return true
	}
	if !outerToOne(p.Root) {
		return false
	}
	for _, c := range p.Columns {
		if c == nil || c.All {
			return false // "root".* would read the derived table's sort terms too
		}
	}
	onRoot := func(r *ColumnRef) bool { return r != nil && r.Source == p.Root }
	for _, k := range p.Orders {
		switch {
		case k == nil || k.Output != nil:
			return false
		case k.Expr != nil:
			ok := true
			ScalarColumns(k.Expr, func(r *ColumnRef) { ok = ok && onRoot(r) })
			if !ok {
				return false
			}
		case !onRoot(k.Column):
			return false
		}
	}
	ok := true
	notJoined := func(r *ColumnRef) {
		if r == nil || joined[r.Source] {
			ok = false
		}
	}
	readsDeep(p.Root.Filter, notJoined, 0)
	readsDeep(p.QuickFind, notJoined, 0)
	if sf := p.Root.Security; sf != nil {
		readsDeep(sf.Expr, notJoined, 0)
	}
	return ok
}

// readsDeep calls f for every column e reads, subquery sources included
// (their join columns, filters, security and joins); an expression it does
// not know calls f(nil).
func readsDeep(e Expr, f func(*ColumnRef), depth int) {
	if depth > 64 {
		f(nil)
		return
	}
	var source func(ds *DataSource)
	source = func(ds *DataSource) {
		if ds == nil {
			return
		}
		if ds.Parent != nil {
			f(ds.Parent)
		}
		if ds.Security != nil {
			readsDeep(ds.Security.Expr, f, depth+1)
		}
		readsDeep(ds.Filter, f, depth+1)
		for _, j := range ds.Joins {
			source(j)
		}
	}
	Inspect(e, func(x Expr) bool {
		switch x := x.(type) {
		case *And, *Or, *Not, *NotTrue, *Const:
		case *Compare:
			f(x.Left)
			if r, ok := x.Right.(*ColumnRef); ok {
				f(r)
			}
		case *IsNull:
			f(x.Col)
		case *InList:
			f(x.Col)
		case *Like:
			f(x.Col)
		case *MultiContains:
			f(x.Col)
		case *PartIn:
			if x.Part != nil {
				f(x.Part.Col)
			}
		case *Hierarchy:
			f(x.Col)
			source(x.Walk)
		case *Exists:
			source(x.Source)
		case *InSubquery:
			source(x.Source)
		case *ScalarCompare:
			ScalarColumns(x.Left, f)
			ScalarColumns(x.Right, f)
		case *ScalarNull:
			ScalarColumns(x.X, f)
		case *ScalarFind:
			ScalarColumns(x.X, f)
		default:
			f(nil)
		}
		return true
	})
}
