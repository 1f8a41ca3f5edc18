package sql

import (
	"reflect"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/plan"
)

// orderBy writes ORDER BY with NULLs first ascending, last descending;
// string keys sort by their folding alone (foldedKey), ties going to the
// next key as under Dataverse's collation.
// wrapped says the query is wrapped (see query): keys then read the
// wrapped query's output columns.
func (e *emitter) orderBy(p *plan.Plan, wrapped bool) {
	if len(p.Orders) == 0 {
		if p.PageSize > 0 && e.has(TopFetch) {
			e.raw(" ORDER BY (SELECT NULL)")
		}
		return
	}
	e.raw(" ORDER BY ")
	e.orderTerms(p, wrapped)
}

// orderTerms writes the terms of p's ORDER BY (p has orders).
func (e *emitter) orderTerms(p *plan.Plan, wrapped bool) {
	var terms orderTerms
	for _, k := range p.Orders {
		start, kept := e.n, terms.n
		e.sortKey(p, k, wrapped, &terms)
		if e.probe.at >= 0 && k != nil {
			e.leave(start, k.Span)
		}
		n := terms.n
		if n > kept && n > e.limits.OrderTerms && e.limits.OrderTerms > 0 && e.check.orderOver == nil {
			e.check.orderOver = k
		}
		if n > kept && len(p.Columns)+n-terms.outputs > e.limits.TargetList && e.limits.TargetList > 0 && e.check.targetOver == nil {
			e.check.targetOver = k
		}
	}
	e.check.orderTerms = terms.n - terms.outputs
}

// sortKey writes the ORDER BY terms of key k (one, but a name or label
// key of a grouped order is two: the name or label, then the value),
// dropping repeated ones.
func (e *emitter) sortKey(p *plan.Plan, k *plan.SortKey, wrapped bool, terms *orderTerms) {
	var o operand
	switch {
	case k == nil:
		e.fail(diag.MalformedPlan, "nil sort key")
		return
	case k.Expr != nil:
		e.computedKey(p, k, terms)
		return
	case k.Output != nil:
		idx := -1
		for j, c := range p.Columns {
			if c == k.Output {
				idx = j
			}
		}
		if idx < 0 {
			e.fail(diag.MalformedPlan, "sort key %q is not an output column", k.Output.Name)
			return
		}
		o = operand{idx: idx, wrapped: wrapped}
		if !wrapped && k.By != plan.SortValue {
			// Not reachable from the planner (grouped keys of aggregates
			// are wrapped); sort the grouped column itself.
			o = operand{ref: &plan.ColumnRef{Source: k.Output.Source, Column: k.Output.Column}}
		}
	case k.Column != nil:
		if p.Distinct || p.Aggregate {
			idx := -1
			for j, c := range p.Columns {
				if c != nil && c.Aggregate == ast.NoAggregate && c.DateGrouping == ast.NoDateGrouping && c.RowAggregate == nil &&
					c.Source == k.Column.Source && c.Column == k.Column.Column {
					idx = j
					break
				}
			}
			if idx < 0 {
				e.fail(diag.DialectUnsupported, "a distinct or aggregate query cannot order by a column it does not select")
				return
			}
			o = operand{idx: idx, wrapped: wrapped}
		} else {
			o = operand{ref: k.Column}
		}
	default:
		e.fail(diag.MalformedPlan, "empty sort key")
		return
	}
	folded := e.foldedKey(k)
	// A GUID column holding both cases sorts by its lower case alone:
	// two spellings of one GUID are one value.
	guidFolded := folded && e.guidFolds(k.SortColumn())
	// collated: the key is a string compared by a pinned collation
	// (collate.go); an output column carries its select-list collation.
	collated := e.caps.Collation != "" && e.stringKey(k)
	switch k.By {
	case plan.SortValue:
		if folded && !guidFolded {
			// A string sorts by its sort key alone, as Dataverse's
			// collation does: spellings that differ only in case, accents
			// or trailing spaces tie, and the next key breaks the tie.
			t := e.termStart(terms)
			e.foldInto(func() { e.trimmed(func() { e.operand(o) }) }, func() { e.operand(o) })
			if !e.termEnd(terms, t, k.Desc, true) || !e.identityKey(k) {
				return
			}
			// A string primary key (the order's last tie-breaker) sorts by
			// the stored value too: an engine whose unique index is case-
			// sensitive may hold spellings SQL Server's would refuse.
		}
	case plan.SortName:
		// A name key is a subquery: folded once, unguarded.
		t := e.termStart(terms)
		if folded {
			e.foldInto(func() { e.trimmed(func() { e.nameKey(k, o) }) }, nil)
		} else {
			e.nameKey(k, o)
			if collated {
				e.collateName(k)
			}
		}
		e.termEnd(terms, t, k.Desc, true)
		if !e.groupedOrder(p) {
			return // ties go to the next key, as Dataverse's do
		}
	case plan.SortLabel:
		t := e.termStart(terms)
		e.labelKey(k, o)
		e.termEnd(terms, t, k.Desc, true)
		if !e.groupedOrder(p) {
			return // values without a label tie, as Dataverse's do
		}
	default:
		e.fail(diag.MalformedPlan, "unknown sort kind %d", k.By)
	}
	t := e.termStart(terms)
	if guidFolded {
		e.conv(convLower, func() { e.operand(o) })
	} else {
		e.operand(o)
	}
	if collated && k.By == plan.SortValue && o.ref != nil {
		e.collate(o.ref.Column)
	}
	if e.termEnd(terms, t, k.Desc, !e.rootKey(o.ref)) && o.ref == nil {
		terms.outputs++ // an output column: not a new target-list entry
	}
}

// groupedOrder reports whether p's rows are groups (distinct or
// aggregate), whose order ends with no primary key: there a lookup's or a
// choice's stored value follows its name or label, so that groups tied on
// the name or label still come in one order.
func (e *emitter) groupedOrder(p *plan.Plan) bool {
	return p.Distinct || p.Aggregate
}

// identityKey reports whether k sorts by a string primary key, or a
// string part of a key-map id (plan.Table.KeyPart).
func (e *emitter) identityKey(k *plan.SortKey) bool {
	r := k.Column
	return r != nil && r.Column != nil && r.Source != nil && r.Source.Table != nil &&
		(r.Column.LogicalName == r.Source.Table.PrimaryKey || r.Source.Table.KeyPart(r.Column)) && r.Column.Type.Kind() == plan.KString
}

// orderTerms are the ORDER BY expressions written so far. A later term
// whose expression repeats an earlier one (whatever its direction) cannot
// change the order, and SQL Server refuses it (error 169: "a column has
// been specified more than once in the order by list"), so it is dropped
// on every dialect: <order attribute="name"/> twice, or a lookup ordered
// by its name and by its value.
type orderTerms struct {
	// the first terms are kept inline, the others in more (no pointer
	// into the struct itself, so it stays on the stack).
	inline [8]orderTerm
	more   []orderTerm
	n      int
	// seen indexes the terms' text once there are many (a query with
	// thousands of sort keys stays linear).
	seen map[string]struct{}
	// outputs counts the kept terms that are output columns (c<i>).
	outputs int
}

func (ts *orderTerms) add(t orderTerm) {
	if ts.n < len(ts.inline) {
		ts.inline[ts.n] = t
	} else {
		ts.more = append(ts.more, t)
	}
	ts.n++
}

func (ts *orderTerms) at(i int) orderTerm {
	if i < len(ts.inline) {
		return ts.inline[i]
	}
	return ts.more[i-len(ts.inline)]
}

// orderTerm is one written ORDER BY expression: its text e.buf[start:end]
// and its arguments e.args[arg0:arg1].
type orderTerm struct{ mark, start, end, arg0, arg1 int }

// orderTermIndexAt is the term count from which orderTerms keeps a map.
const orderTermIndexAt = 16

// termStart begins a term: the separator, when a term was kept before.
func (e *emitter) termStart(ts *orderTerms) orderTerm {
	t := orderTerm{mark: e.n, arg0: len(e.args)}
	if ts.n > 0 {
		e.raw(", ")
	}
	t.start = e.n
	return t
}

// termEnd ends the term begun at t: a repeat of a kept term is erased
// (text and arguments); otherwise it is kept and its direction written.
// It reports whether the term was kept. nullable is false for a key that
// is never NULL, whose NULL placement is then left unwritten.
func (e *emitter) termEnd(ts *orderTerms, t orderTerm, desc, nullable bool) bool {
	t.end, t.arg1 = e.n, len(e.args)
	if e.repeatsTerm(ts, t) {
		e.erase(t.mark, t.arg0)
		return false
	}
	ts.add(t)
	if ts.seen != nil || ts.n >= orderTermIndexAt {
		if ts.seen == nil {
			ts.seen = make(map[string]struct{}, 2*ts.n)
			for i := 0; i < ts.n-1; i++ {
				u := ts.at(i)
				if e.textIdentifies(u) {
					ts.seen[string(e.buf[u.start:u.end])] = struct{}{}
				}
			}
		}
		if e.textIdentifies(t) {
			ts.seen[string(e.buf[t.start:t.end])] = struct{}{}
		}
	}
	switch {
	case e.keys != nil && e.keys.listing:
		e.projectKey(desc, nullable)
	case !e.rowTerms:
		e.direction(desc, nullable)
	}
	return true
}

// repeatsTerm reports whether term t writes the expression of a kept term:
// the same text and, where placeholders are not numbered, the same
// arguments. The map holds the terms whose text identifies them.
func (e *emitter) repeatsTerm(ts *orderTerms, t orderTerm) bool {
	text := e.buf[t.start:t.end]
	if ts.seen != nil && e.textIdentifies(t) {
		_, ok := ts.seen[string(text)]
		return ok
	}
	for i := 0; i < ts.n; i++ {
		u := ts.at(i)
		if string(e.buf[u.start:u.end]) == string(text) && (e.caps.Params.Numbered() || sameArgs(e.args[u.arg0:u.arg1], e.args[t.arg0:t.arg1])) {
			return true
		}
	}
	return false
}

// textIdentifies reports whether a term's text alone says which values it
// reads: numbered placeholders name their arguments, and a term without
// arguments has no "?" to compare.
func (e *emitter) textIdentifies(t orderTerm) bool {
	return e.caps.Params.Numbered() || t.arg0 == t.arg1
}

func sameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// rootKey reports whether r is the root's primary key, which no row lacks
// (the order's last tie-breaker): a column of a joined source may read
// NULL through an outer join.
func (e *emitter) rootKey(r *plan.ColumnRef) bool {
	return r != nil && r.Column != nil && e.isRoot(r.Source) && e.p.Root.Table != nil &&
		r.Column.LogicalName == e.p.Root.Table.PrimaryKey
}

// isRoot reports whether ds is the plan's root: the root itself, or a copy
// of it (a plan rewritten with another root filter, as the server's keyset
// continuation is, keeps its sort keys' references to the original; the
// SQL names both by the root's alias).
func (e *emitter) isRoot(ds *plan.DataSource) bool {
	root := e.p.Root
	return ds != nil && root != nil && (ds == root || ds.Parent == nil && ds.Name == root.Name && ds.Table == root.Table)
}

// operand is what a sort key reads: a column of a data source (ref), or
// the output column c<idx>, qualified by wrapAlias in a wrapped query.
type operand struct {
	ref     *plan.ColumnRef
	idx     int
	wrapped bool
}

func (e *emitter) operand(o operand) {
	switch {
	case e.subst != nil && o.ref == e.subst.ref:
		e.paramFor(e.subst.v, o.ref.Column) // a keyset value's term (keyset.go)
	case o.ref != nil:
		e.col(o.ref)
	case o.wrapped:
		e.ident(wrapAlias)
		e.byte1('.')
		e.alias(o.idx)
	default:
		e.alias(o.idx)
	}
}

// direction writes DESC and, where needed, the NULL placement. A key that
// is never NULL gets none: then the engine's default B-tree index on it
// (ascending, NULLs last on PostgreSQL) serves the order, both ways.
func (e *emitter) direction(desc, nullable bool) {
	if desc {
		e.raw(" DESC")
	}
	if e.has(NullsOrdering) && nullable {
		if faults.NullsLastAsc {
			desc = !desc // injected bug: NULLs last ascending
		}
		if desc {
			e.raw(" NULLS LAST")
		} else {
			e.raw(" NULLS FIRST")
		}
	}
}

// nameKey writes a lookup's sort value: the primary name of the row it
// points to, one correlated subquery per target table, COALESCE'd for a
// polymorphic lookup (the GUID is in at most one target):
//
//	(SELECT "vs"."fullname" FROM "contact" AS "vs" WHERE "vs"."contactid" = "account"."primarycontactid")
//	COALESCE((SELECT … FROM "systemuser" …), (SELECT … FROM "team" …))
//
// The subquery reads the target without a row filter of its own: a
// lookup's name is what Dataverse sorts by, readable row or not. Column
// security does apply (plan.SortKey.Names): a name hidden from the caller
// reads NULL, except on the records a field share reveals, as the column
// reads anywhere else in the plan.
func (e *emitter) nameKey(k *plan.SortKey, o operand) {
	e.targetSubqueries(k, o, func(_ int, a string, t *plan.Table, name *plan.Column, access plan.NameAccess) {
		e.securedCol(a, t, name, access.Hidden, access.Shared)
	})
}

// targetSubqueries writes, for the lookup key k on operand o, one scalar
// subquery per target table, (SELECT <sel> FROM <target> AS vs WHERE
// vs.<pk> = col), COALESCE'd over the targets of a polymorphic lookup;
// sel writes the selected expression of target i.
func (e *emitter) targetSubqueries(k *plan.SortKey, o operand, sel func(i int, alias string, t *plan.Table, name *plan.Column, access plan.NameAccess)) {
	if len(k.Targets) == 0 {
		e.fail(diag.MalformedPlan, "name sort key without target tables")
		return
	}
	if e.p.Security == plan.SecurityOn && len(k.Names) != len(k.Targets) {
		e.fail(diag.MalformedPlan, "name sort key without its targets' name security")
		return
	}
	if len(k.Targets) > 1 {
		e.raw("COALESCE(")
	}
	for i, t := range k.Targets {
		if i > 0 {
			e.raw(", ")
		}
		if t == nil {
			e.fail(diag.MalformedPlan, "nil sort target table")
			return
		}
		pk, ok1 := t.Column(t.PrimaryKey)
		name, ok2 := t.Column(t.PrimaryName)
		if !ok1 || !ok2 {
			e.fail(diag.MalformedPlan, "sort target %q lacks its primary key %q or primary name %q", t.LogicalName, t.PrimaryKey, t.PrimaryName)
			return
		}
		var access plan.NameAccess
		if i < len(k.Names) {
			access = k.Names[i]
		}
		a := e.subAlias()
		e.raw("(SELECT ")
		sel(i, a, t, name, access)
		e.raw(" FROM ")
		e.ident(t.PhysicalName)
		e.raw(" AS ")
		e.ident(a)
		e.hint()
		e.raw(" WHERE ")
		e.colEq(pk, func() { e.qcol(a, pk) }, k.SortColumn(), func() { e.operand(o) })
		e.byte1(')')
	}
	if len(k.Targets) > 1 {
		e.byte1(')')
	}
}

// labelKey writes a choice's sort value: the option's rank in label order
// (plan.Column.Options is kept in that order), computed in Go so that every
// engine sorts alike whatever its collation, and written as integers, so
// that no label reaches the SQL text:
//
//	CASE "account"."industrycode" WHEN 1 THEN 1 WHEN 4 THEN 2 … END
//
// A value without a label (and NULL) gets NULL, as Dataverse's join to its
// labels yields: it ties with the NULLs, and the next key breaks the tie
// (in a grouped order, the stored value: groupedOrder).
func (e *emitter) labelKey(k *plan.SortKey, o operand) {
	c := k.SortColumn()
	if c == nil || len(c.Options) == 0 {
		e.fail(diag.MalformedPlan, "label sort key on a column without options")
		return
	}
	e.raw("CASE ")
	e.operand(o)
	for i, opt := range c.Options {
		e.raw(" WHEN ")
		e.int(opt.Value)
		e.raw(" THEN ")
		e.int(c.OptionRank(i, e.p.AccentSensitive))
	}
	e.raw(" END")
}

// computedKey writes a computed sort key: a string by its folding without
// trailing spaces alone (as string columns sort), under the pinned
// collation on SQL Server.
func (e *emitter) computedKey(p *plan.Plan, k *plan.SortKey, terms *orderTerms) {
	if p.Distinct || p.Aggregate {
		e.fail(diag.DialectUnsupported, "a computed sort key in a distinct or aggregate query")
		return
	}
	str := plan.ScalarKind(k.Expr) == plan.KString
	t := e.termStart(terms)
	if str && e.fold(true) {
		e.foldInto(func() { e.trimmed(func() { e.scalar(k.Expr) }) }, nil)
	} else {
		e.scalar(k.Expr)
		e.collateText(str)
	}
	e.termEnd(terms, t, k.Desc, true)
}
