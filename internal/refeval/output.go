package refeval

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// outCol is one output column of a non-aggregate query.
type outCol struct {
	name   string
	source string
	column string
	kind   Kind
}

// present is a value as the result carries it: a Date Only value as its
// date ("2006-01-02"), everything else as is.
func present(k Kind, v any) any {
	if t, ok := v.(time.Time); ok && k == DateOnly {
		return t.Format("2006-01-02")
	}
	return v
}

// joinedSources lists the sources that return rows, depth first in
// document order: the stable-paging tie-breakers after the root key.
func joinedSources(ev *evaluator, b *ast.Body, out []*source) []*source {
	for _, l := range b.Links {
		if l.LinkType.ReturnsColumns() {
			out = append(out, &source{name: l.Alias.Text, table: ev.table(l.Name.Text), body: &l.Body, link: l})
			out = joinedSources(ev, &l.Body, out)
		}
	}
	return out
}

func (ev *evaluator) rows(q *ast.Query, root *source, tuples []tuple) *Result {
	distinct := q.Distinct.Value
	var cols []outCol
	// Result names: an attribute's alias; else root and first-row link
	// columns by name (spec §1.8), other links' as alias.column.
	add := func(s *source, prefix string, b *ast.Body) {
		if b.AllAttributes.Value {
			fail("all-attributes is not generated")
		}
		for _, a := range b.Attributes {
			if a.Aggregate != ast.NoAggregate || a.GroupBy.Value {
				fail("aggregate attributes outside an aggregate query")
			}
			c := colName(s.table, a.Name.Text)
			name := prefix + c
			if a.Alias.IsSet() {
				name = a.Alias.Text
			}
			if slices.ContainsFunc(cols, func(o outCol) bool { return o.name == name }) {
				continue // the same column twice is returned once
			}
			cols = append(cols, outCol{name: name, source: s.name, column: c, kind: s.table.Column(c).Kind})
		}
	}
	add(root, "", root.body)
	srcs := joinedSources(ev, root.body, nil)
	for _, s := range srcs {
		prefix := s.name + "."
		if s.link.LinkType == ast.MatchFirstRowUsingCrossApply {
			prefix = ""
		}
		add(s, prefix, s.body)
	}
	if !distinct && !slices.ContainsFunc(cols, func(c outCol) bool { return c.name == root.table.PrimaryKey }) {
		cols = append(cols, outCol{name: root.table.PrimaryKey, source: root.name, column: root.table.PrimaryKey, kind: Guid})
	}
	// Sort keys: the root's orders, then (stable paging) the root's key
	// and the joined sources' keys; distinct queries end with every output
	// column instead.
	type key struct {
		get  func(tuple) any
		desc bool
	}
	var keys []key
	orderBy := func(s *source, o *ast.Order) {
		if o.Expr != nil {
			// A computed key (OData $orderby): strings by their folding,
			// then as computed.
			name := s.name
			get := func(t tuple) any {
				if t[name] == nil {
					return nil
				}
				return ev.scalar(s, t[name], o.Expr)
			}
			keys = append(keys, key{get: func(t tuple) any {
				if v := get(t); v != nil {
					return foldKey(v)
				}
				return nil
			}, desc: o.Descending.Value})
			return
		}
		if o.Alias.IsSet() || o.EntityName.IsSet() {
			fail("order by alias / entityname is not generated")
		}
		c := colName(s.table, o.Attribute.Text)
		name := s.name
		// Dataverse's collation ties strings that differ only in case,
		// accents or trailing spaces: the next key breaks the tie, not the
		// stored spelling. A lookup's name and a choice's label are the
		// whole key too, except in a distinct query, whose groups end with
		// no primary key: there the stored value follows.
		switch col := s.table.Column(c); {
		case col.Kind == Lookup:
			// The related record's primary name (README "Lookups sort by
			// name").
			target := ev.table(col.Target)
			keys = append(keys, key{get: func(t tuple) any { return foldKey(primaryName(target, t[name][c])) }, desc: o.Descending.Value})
			if !distinct {
				return
			}
		case col.Kind == String:
			keys = append(keys, key{get: func(t tuple) any { return foldKey(t[name][c]) }, desc: o.Descending.Value})
			return
		case col.Kind == Choice && len(col.Labels) > 0 && !q.UseRawOrderBy.Value:
			// The label (README "choices by label"): case-insensitively,
			// then as written (labels of one column are distinct); values
			// without a label tie.
			keys = append(keys,
				key{get: func(t tuple) any { return labelOf(col, t[name][c], true) }, desc: o.Descending.Value},
				key{get: func(t tuple) any { return labelOf(col, t[name][c], false) }, desc: o.Descending.Value})
			if !distinct {
				return
			}
		}
		keys = append(keys, key{get: func(t tuple) any { return t[name][c] }, desc: o.Descending.Value})
	}
	for _, o := range root.body.Orders {
		orderBy(root, o)
	}
	// Then the links' orders: a link's own after those of the links
	// joined below it (the planner's order: each body's links, then its
	// orders).
	var linkOrders func(b *ast.Body)
	linkOrders = func(b *ast.Body) {
		for _, l := range b.Links {
			if !l.LinkType.ReturnsColumns() {
				continue
			}
			linkOrders(&l.Body)
			for _, o := range l.Orders {
				orderBy(&source{name: l.Alias.Text, table: ev.table(l.Name.Text), body: &l.Body, link: l}, o)
			}
		}
	}
	linkOrders(root.body)
	if distinct {
		tuples = distinctGroups(cols, tuples)
	}
	if distinct {
		for _, c := range cols {
			if c.kind == String {
				// One spelling per group: its sort key is unique.
				keys = append(keys, key{get: func(t tuple) any { return foldKey(t[c.source][c.column]) }})
				continue
			}
			keys = append(keys, key{get: func(t tuple) any { return t[c.source][c.column] }})
		}
	} else {
		pk := root.table.PrimaryKey
		keys = append(keys, key{get: func(t tuple) any { return t[root.name][pk] }})
		for _, s := range srcs {
			name, spk := s.name, s.table.PrimaryKey
			keys = append(keys, key{get: func(t tuple) any { return t[name][spk] }})
		}
	}
	slices.SortStableFunc(tuples, func(a, b tuple) int {
		for _, k := range keys {
			c := compareValues(k.get(a), k.get(b))
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	res := &Result{Ordered: !distinct}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.name)
	}
	for _, t := range tuples {
		row := make(map[string]any, len(cols))
		for _, c := range cols {
			row[c.name] = present(c.kind, t[c.source][c.column])
		}
		res.Rows = append(res.Rows, row)
	}
	return limit(q, res)
}

// distinctGroups reduces the joined rows of a distinct query to one row
// per distinct output, strings compared by their case folding as
// Dataverse's collation compares them: each string column shows the
// least spelling (by code point) of its group. The rows returned hold the
// output columns only.
func distinctGroups(cols []outCol, tuples []tuple) []tuple {
	var out []tuple
	byKey := map[string]tuple{}
	for _, t := range tuples {
		kr := make(map[string]any, len(cols))
		for _, c := range cols {
			v := t[c.source][c.column]
			if c.kind == String {
				v = foldKey(v)
			}
			kr[c.name] = v
		}
		k := RowKey(kr)
		g, ok := byKey[k]
		if !ok {
			g = tuple{}
			for _, c := range cols {
				if g[c.source] == nil {
					g[c.source] = Row{}
				}
				g[c.source][c.column] = t[c.source][c.column]
			}
			byKey[k] = g
			out = append(out, g)
			continue
		}
		for _, c := range cols {
			if v, ok := t[c.source][c.column].(string); ok && c.kind == String {
				if cur, ok := g[c.source][c.column].(string); ok && v < cur {
					g[c.source][c.column] = v
				}
			}
		}
	}
	return out
}

// labelOf is a choice value's label (folded when fold), nil without one.
func labelOf(c *Column, v any, fold bool) any {
	n, ok := v.(int64)
	if !ok {
		return nil
	}
	l, ok := c.Labels[n]
	if !ok {
		return nil
	}
	if fold {
		return Fold(l)
	}
	return l
}

// primaryName is the primary name of target's row with key id (nil when
// there is none).
func primaryName(target *Table, id any) any {
	if id == nil || target.PrimaryName == "" {
		return nil
	}
	for _, r := range target.Rows {
		if equalKey(r[target.PrimaryKey], id) {
			return r[target.PrimaryName]
		}
	}
	return nil
}

// limit applies top or count/page.
func limit(q *ast.Query, res *Result) *Result {
	res.Total = len(res.Rows)
	if q.Top.Set && int64(len(res.Rows)) > q.Top.Value {
		res.Rows = res.Rows[:q.Top.Value]
	}
	if q.Count.Set && q.Count.Value > 0 {
		page := int64(1)
		if q.Page.Set {
			page = q.Page.Value
		}
		lo := min((page-1)*q.Count.Value, int64(len(res.Rows)))
		hi := min(lo+q.Count.Value, int64(len(res.Rows)))
		res.More = hi < int64(len(res.Rows))
		res.Rows = res.Rows[lo:hi]
	}
	return res
}

// RowKey is a canonical text of a row, for multiset comparison.
func RowKey(row map[string]any) string {
	names := make([]string, 0, len(row))
	for k := range row {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s;", k, Canon(row[k]))
	}
	return b.String()
}

// Canon renders a value canonically: numbers of every Go type by their
// exact rational value, instants in RFC 3339 UTC to the second.
func Canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case int64:
		return "n:" + big.NewRat(x, 1).RatString()
	case int:
		return "n:" + big.NewRat(int64(x), 1).RatString()
	case *big.Rat:
		return "n:" + x.RatString()
	case float64:
		r, ok := new(big.Rat).SetString(fmt.Sprintf("%.17g", x))
		if !ok {
			return fmt.Sprintf("f:%v", x)
		}
		return "n:" + r.RatString()
	case bool:
		return fmt.Sprintf("b:%v", x)
	case time.Time:
		return fmt.Sprintf("%q", x.UTC().Format("2006-01-02T15:04:05Z"))
	case []int64:
		return fmt.Sprintf("multi:%v", x)
	}
	return fmt.Sprintf("?%T:%v", v, v)
}

// foldKey is a string's sort key: its folding without trailing spaces, as
// SQL Server compares (nil stays nil: NULLs sort first).
func foldKey(v any) any {
	if s, ok := v.(string); ok {
		return Fold(strings.TrimRight(s, " "))
	}
	return v
}

// padKey is string s's sort key, as foldKey's.
func padKey(s string) string { return Fold(strings.TrimRight(s, " ")) }
