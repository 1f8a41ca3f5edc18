package plan

import (
	"fmt"
	"slices"
	"strings"
)

// Verify checks the security invariants of a built plan; Build runs it and
// fails with SecurityUnverified. For a plan with security on:
//
//   - every data source (root, joins, subquery sources of filters) carries
//     a SecurityFilter with an expression; policy-query sources (Internal)
//     appear only inside a security filter;
//   - a security filter reads only its own source's visible columns
//     (never a hidden one, never another source's);
//   - every column the plan reads (outputs, orders, filters, join keys)
//     belongs to a source of this plan, so it is filtered and redacted;
//   - a source joined on a hidden key is denied (FALSE): its key reads
//     NULL, which matches nothing;
//   - a sort key by a lookup's name says, per target, whether the caller
//     may read the primary name (and on which field-shared records), as
//     every source of the plan on that table does;
//   - every expression is of a kind that raises no row-dependent error, so
//     user predicates cannot probe rows the security filter removes,
//     whatever order the engine evaluates them in.
//
// A plan with security off carries no security filter at all.
func Verify(p *Plan) error {
	v := &verifier{p: p, seen: make([]*DataSource, 0, 8)}
	if p.Root != nil {
		v.source(p.Root, false)
	}
	if v.err != nil {
		return v.err
	}
	for _, c := range p.Columns {
		if c != nil && c.Source != nil && c.Column != nil {
			v.ref(&ColumnRef{Source: c.Source, Column: c.Column}, "output "+c.Name)
		}
		// CountChildren reads the hierarchical lookup of every row, unsecured:
		// a hidden lookup would be counted out.
		if c != nil && c.RowAggregate != nil && c.Source != nil && hidesNamed(c.Source, c.RowAggregate.ReferencingColumn) {
			v.fail("rowaggregate %s counts through the hidden column %s", c.Name, c.RowAggregate.ReferencingColumn)
		}
	}
	for _, k := range p.Orders {
		if k != nil && k.Column != nil {
			v.ref(k.Column, "order")
		}
		if k != nil && k.Expr != nil {
			v.scalar(k.Expr, func(r *ColumnRef) { v.ref(r, "order") })
		}
		if k != nil && k.By == SortName {
			v.nameKey(k)
		}
	}
	// A keyset continuation compares every sort key's column with a value.
	if p.After != nil {
		if len(p.After) != len(p.Orders) {
			v.fail("a keyset continuation has %d values for %d sort keys", len(p.After), len(p.Orders))
		}
		for _, k := range p.Orders {
			if k == nil || k.Column == nil || k.Expr != nil || k.Output != nil || k.By != SortValue {
				v.fail("a keyset continuation on a sort key that is not a column's value")
				break
			}
		}
	}
	// Its parts split the continuation after its first NULL value.
	if p.AfterPart != AfterWhole && !AfterSplits(p) {
		v.fail("a part of a keyset continuation that does not follow its first NULL value")
	}
	// Ordering and limiting the root before its joins keeps the plan's
	// rows only when its joins cannot drop, repeat or filter root rows.
	if p.RootFirst && !rootFirst(p) {
		v.fail("the root is ordered and limited before joins that can drop, repeat or filter its rows")
	}
	// The partition column is read and compared like a sort key.
	if pl := p.Partition; pl != nil {
		if pl.By == nil || pl.By.Source != p.Root {
			v.fail("the per-partition limit is not on a root column")
		} else {
			v.ref(pl.By, "partition")
		}
		// A per-value seek reads the rows of the listed values only, under
		// the root's WHERE: the list must be a conjunct of that WHERE on the
		// partition column, or the seek would return rows the plan filters
		// out.
		if k := pl.Keys; k != nil && (!isPartitionKeys(k, pl.By) || p.Root == nil || !conjunct(p.Root.Filter, k)) {
			v.fail("the per-partition keys are not a conjunct of the root's filter on the partition column")
		}
	}
	return v.err
}

// nameKey checks a sort key by a lookup's name: with security on, it says
// for every target whether the caller may read the primary name, and that
// agrees with every source of the plan on the same table (the same caller
// cannot read a name in one clause and not in another).
func (v *verifier) nameKey(k *SortKey) {
	if v.p.Security != SecurityOn {
		if k.Names != nil {
			v.fail("a name sort key carries name security in a plan with security off")
		}
		return
	}
	if len(k.Names) != len(k.Targets) {
		v.fail("a name sort key does not say whether the caller may read its targets' names")
		return
	}
	for i, t := range k.Targets {
		a := k.Names[i]
		if !a.Hidden && a.Shared != nil {
			v.fail("the name sort key on %s.%s lists shared records of a name it does not hide", t.LogicalName, t.PrimaryName)
		}
		for _, ds := range v.seen {
			if ds.Table == nil || !strings.EqualFold(ds.Table.LogicalName, t.LogicalName) || ds.Security == nil || ds.Security.Internal {
				continue
			}
			got := NameAccess{Hidden: hidesNamed(ds, t.PrimaryName)}
			for _, sh := range ds.Security.Shared {
				if strings.EqualFold(sh.Column.LogicalName, t.PrimaryName) {
					got.Shared = sh.Keys
				}
			}
			if got.Hidden != a.Hidden || !sameKeys(got.Shared, a.Shared) {
				v.fail("the name sort key reads %s.%s as %s, but source %s reads it as %s", t.LogicalName, t.PrimaryName, nameAccessString(a), ds.Name, nameAccessString(got))
				return
			}
		}
	}
}

// sameKeys reports whether two record-key lists hold the same keys, in
// any order: a list of as many other records is another list.
func sameKeys(a, b []*Value) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(v *Value) string {
		if v == nil {
			return "<nil>"
		}
		return strings.ToLower(fmt.Sprint(v.V))
	}
	count := make(map[string]int, len(a))
	for _, k := range a {
		count[key(k)]++
	}
	for _, k := range b {
		if count[key(k)] == 0 {
			return false
		}
		count[key(k)]--
	}
	return true
}

func nameAccessString(a NameAccess) string {
	switch {
	case !a.Hidden:
		return "readable"
	case len(a.Shared) > 0:
		return fmt.Sprintf("hidden but on %d shared records", len(a.Shared))
	}
	return "hidden"
}

type verifier struct {
	p    *Plan
	seen []*DataSource // plans hold at most a few dozen sources
	err  error
}

func (v *verifier) visited(ds *DataSource) bool { return slices.Contains(v.seen, ds) }

func (v *verifier) fail(format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf(format, args...)
	}
}

func (v *verifier) source(ds *DataSource, inSecurity bool) {
	if ds == nil || v.visited(ds) {
		return
	}
	v.seen = append(v.seen, ds)
	on := v.p.Security == SecurityOn
	sf := ds.Security
	switch {
	case !on && sf != nil:
		v.fail("data source %s carries a security filter in a plan with security off", ds.Name)
	case on && sf == nil:
		v.fail("data source %s (%s) has no security filter", ds.Name, ds.Table.LogicalName)
	case on && sf.Expr == nil:
		v.fail("data source %s has a security filter without a predicate", ds.Name)
	case on && sf.Internal && !inSecurity:
		v.fail("policy-query source %s is used outside a security filter", ds.Name)
	}
	if ds.Parent != nil {
		v.ref(ds.Parent, "join of "+ds.Name)
	}
	if sf != nil && ds.Child != nil && (sf.Hides(ds.Child) || ds.Parent != nil && ds.Parent.Source.Security.Hides(ds.Parent.Column)) {
		if c, ok := sf.Expr.(*Const); !ok || c.Value {
			v.fail("data source %s is joined on a hidden column but not denied", ds.Name)
		}
	}
	if sf != nil {
		v.expr(sf.Expr, true, ds)
	}
	v.expr(ds.Filter, inSecurity, nil)
	for _, j := range ds.Joins {
		v.source(j, inSecurity)
	}
}

// expr checks the column references of e; own is the source a security
// filter belongs to (nil for user filters).
func (v *verifier) expr(e Expr, inSecurity bool, own *DataSource) {
	check := func(r *ColumnRef) {
		if r == nil {
			return
		}
		if own != nil {
			if r.Source != own {
				v.fail("the security filter of %s reads %s.%s of another source", own.Name, r.Source.Name, r.Column.LogicalName)
			} else if own.Security.Hides(r.Column) {
				v.fail("the security filter of %s reads its hidden column %s", own.Name, r.Column.LogicalName)
			}
			return
		}
		v.ref(r, "filter")
	}
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			v.expr(t, inSecurity, own)
		}
	case *Or:
		for _, t := range e.Terms {
			v.expr(t, inSecurity, own)
		}
	case *Not:
		v.expr(e.X, inSecurity, own)
	case *NotTrue:
		v.expr(e.X, inSecurity, own)
	case *Compare:
		check(e.Left)
		if r, ok := e.Right.(*ColumnRef); ok {
			check(r)
		}
	case *IsNull:
		check(e.Col)
	case *InList:
		check(e.Col)
	case *Like:
		check(e.Col)
	case *MultiContains:
		check(e.Col)
	case *PartIn:
		if e.Part != nil {
			check(e.Part.Col)
			if (e.Part.Part == PartFiscalPeriod) != (e.Part.Fiscal != nil) {
				v.fail("date part %d carries the wrong fiscal calendar", e.Part.Part)
			}
		}
	case *Hierarchy:
		check(e.Col)
		// The hierarchy walk reads the lookup outside the redaction.
		if e.Col != nil && e.Rel != nil && hidesNamed(e.Col.Source, e.Rel.ReferencingColumn) {
			v.fail("under/above on %s walks the hidden column %s", e.Col.Source.Name, e.Rel.ReferencingColumn)
		}
		// The emitter walks Table: it must be the secured source's.
		if e.Col != nil && e.Table != nil && e.Col.Source != nil && e.Table != e.Col.Source.Table {
			v.fail("under/above on %s walks table %s", e.Col.Source.Name, e.Table.LogicalName)
		}
		// The walk reads only rows the caller may read: its own secured
		// instance of the walked table.
		if v.p.Security == SecurityOn && e.Col != nil {
			switch w := e.Walk; {
			case w == nil || w.Security == nil:
				v.fail("under/above on %s walks the table without a security filter", e.Col.Source.Name)
			case e.Col.Source != nil && w.Table != e.Col.Source.Table:
				v.fail("under/above on %s walks an instance of table %s", e.Col.Source.Name, w.Table.LogicalName)
			case w.Security.Hides(e.Col.Column):
				v.fail("under/above on %s walks the hidden column %s", e.Col.Source.Name, e.Col.Column.LogicalName)
			default:
				v.source(w, false)
			}
		} else if e.Walk != nil {
			v.fail("under/above on %s carries a walk instance in a plan with security off", e.Col.Source.Name)
		}
	case *Exists:
		// A policy query correlates with its constrained source: its own
		// columns are checked as the subquery's.
		v.source(e.Source, inSecurity)
	case *InSubquery:
		v.source(e.Source, inSecurity)
	case *ScalarCompare:
		v.scalar(e.Left, check)
		v.scalar(e.Right, check)
	case *ScalarNull:
		v.scalar(e.X, check)
	case *ScalarFind:
		v.scalar(e.X, check)
	case *Const, nil:
	default:
		// Every known predicate compares, tests or matches columns against
		// bind parameters and raises no error that depends on a row's
		// values, so the order in which an engine evaluates the security
		// filter and the user's filter cannot leak (spec §1c, pitfall 2).
		// A new expression type must be shown to keep that before it runs.
		v.fail("expression %T is not known to be free of row-dependent errors", e)
	}
}

// scalar checks the columns a computed value reads and, with security on,
// that it cannot raise an error that depends on a row's values (an
// overflow): the engine may compute it before the security filter.
func (v *verifier) scalar(s Scalar, check func(*ColumnRef)) {
	ScalarColumns(s, check)
	if v.p.Security == SecurityOn {
		if f, ok := MayFail(s); ok {
			v.fail("computed %s can raise a row-dependent error in a secured plan", f)
		}
	}
}

// ref checks that a column read outside security filters belongs to a
// data source of this plan.
func (v *verifier) ref(r *ColumnRef, where string) {
	if r.Source == nil {
		v.fail("%s reads a column without a data source", where)
		return
	}
	if !v.visited(r.Source) && !v.reachable(r.Source) {
		v.fail("%s reads %s.%s, a data source outside the plan", where, r.Source.Name, r.Column.LogicalName)
	}
}

// reachable finds sources not visited yet (a reference may precede the
// walk of a later sibling).
func (v *verifier) reachable(ds *DataSource) bool {
	found := false
	var walk func(*DataSource)
	var walkExpr func(Expr)
	seen := map[*DataSource]bool{}
	walk = func(s *DataSource) {
		if s == nil || seen[s] || found {
			return
		}
		seen[s] = true
		if s == ds {
			found = true
			return
		}
		if s.Security != nil {
			walkExpr(s.Security.Expr)
		}
		walkExpr(s.Filter)
		for _, j := range s.Joins {
			walk(j)
		}
	}
	walkExpr = func(e Expr) {
		for _, sub := range subqueries(e) {
			walk(sub)
		}
	}
	walk(v.p.Root)
	return found
}

// hidesNamed reports whether the source hides the named column.
func hidesNamed(ds *DataSource, name string) bool {
	if ds.Security == nil {
		return false
	}
	for _, c := range ds.Security.Hidden {
		if strings.EqualFold(c.LogicalName, name) {
			return true
		}
	}
	return false
}

// AfterSplits reports whether p's AfterPart is one of the ranges after
// its first NULL value (Plan.AfterPart): After[AfterAt] is that NULL, a
// key follows it, the values before it are not NULL, a value range
// follows an ascending key's NULLs only, and the rest needs keys before.
func AfterSplits(p *Plan) bool {
	i := p.AfterAt
	if i < 0 || i >= len(p.After)-1 || len(p.Orders) != len(p.After) || p.After[i] != nil || p.Orders[i] == nil {
		return false
	}
	for _, v := range p.After[:i] {
		if v == nil {
			return false
		}
	}
	switch p.AfterPart {
	case AfterNullRange:
		return true
	case AfterValueRange:
		return !p.Orders[i].Desc
	case AfterRest:
		return i > 0
	}
	return false
}
