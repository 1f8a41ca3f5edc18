package sql

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// Index is an index the statement of a plan can use: keys written as the
// emitter writes the expressions, unqualified, so that the engine matches
// them (an expression index is used only when the query's expression is
// the index's, as written).
type Index struct {
	Table string // physical name
	// Keys are the key parts, each with its direction and NULL placement.
	Keys []IndexKey
	// For says what the index serves: "order", "filter and order",
	// "filter" or "join".
	For string
	// Include are non-key columns (quoted) the index stores in its leaf
	// rows (INCLUDE: PostgreSQL 11+, SQL Server), so that a page reading
	// only them and the keys is answered from the index alone, its sort
	// keys too: `vecompile index advise --covering` (CoveringColumns).
	Include []string
}

// IndexKey is one key part: a column or an expression.
type IndexKey struct {
	Text       string // the column (quoted) or the expression
	Expression bool
	Desc       bool
	// Nulls is the NULL placement written after the direction ("NULLS
	// FIRST", "NULLS LAST"), when the dialect writes one.
	Nulls string
	// Collation is the collation the query compares the column by, when
	// the dialect pins one (SQL Server): the index serves it when the
	// column has that collation.
	Collation string
}

// Expression reports whether a key part is an expression.
func (ix Index) Expression() bool {
	for _, k := range ix.Keys {
		if k.Expression {
			return true
		}
	}
	return false
}

// Name is a stable name for the index: vc_<table>_<hash of its keys
// and included columns>.
func (ix Index) Name() string {
	h := sha256.New()
	h.Write([]byte(ix.Table))
	for _, k := range ix.Keys {
		h.Write([]byte{0})
		h.Write([]byte(k.Text))
		if k.Desc {
			h.Write([]byte(" DESC"))
		}
		h.Write([]byte(k.Nulls))
	}
	for _, c := range ix.Include { // a covering index is another index
		h.Write([]byte{1})
		h.Write([]byte(c))
	}
	t := ix.Table
	if len(t) > 40 {
		t = t[:40]
	}
	return "vc_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, t) + "_" + hex.EncodeToString(h.Sum(nil)[:4])
}

// CreateSQL is the index's CREATE INDEX statement in dialect d. MySQL
// writes an expression key part in its own parentheses (functional key
// parts, MySQL 8.0.13+; MariaDB has none, see docs/performance.md).
func (ix Index) CreateSQL(d Dialect) string {
	var b strings.Builder
	q := func(s string) { b.WriteString(quoteName(d.Caps().Quote, s)) }
	b.WriteString("CREATE INDEX ")
	q(ix.Name())
	b.WriteString(" ON ")
	q(ix.Table)
	b.WriteString(" (")
	for i, k := range ix.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if k.Expression && (d.Caps().Quote == QuoteBacktick || d.Caps().Quote == QuoteDouble) {
			b.WriteString("(" + k.Text + ")")
		} else {
			b.WriteString(k.Text)
		}
		if k.Desc {
			b.WriteString(" DESC")
		}
		if k.Nulls != "" {
			b.WriteString(" " + k.Nulls)
		}
	}
	b.WriteString(")")
	if len(ix.Include) > 0 {
		b.WriteString(" INCLUDE (" + strings.Join(ix.Include, ", ") + ")")
	}
	return b.String()
}

// coveringLength is the longest string column an index includes: an
// index row has a size limit (about 2.7 kB on PostgreSQL; SQL Server's
// included columns have none, but a page of wide rows gains little).
const coveringLength = 400

// CoveringColumns are the columns of p's root table that p reads and ix,
// one of p's root indexes (order or filter), does not hold as a key: what
// ix must include to answer p's pages alone. None in a dialect without
// INCLUDE (SQLite, MySQL) or for another table's index. Long text (Memo,
// a string without a declared limit or over coveringLength characters)
// is left out: the index then still orders and seeks, and reads those
// columns from the table.
func CoveringColumns(p *plan.Plan, d Dialect, ix Index) []string {
	if d.Name() != "postgres" && d.Name() != "sqlserver" || p.Root == nil || p.Root.Table == nil ||
		ix.Table != p.Root.Table.PhysicalName || ix.For == "join" {
		return nil
	}
	var out []string
	for _, oc := range p.Columns {
		if oc.Source != p.Root || oc.Aggregate != ast.NoAggregate || oc.RowAggregate != nil {
			continue
		}
		name, ok := CoveringColumn(d, oc.Column)
		if !ok || slices.ContainsFunc(ix.Keys, func(k IndexKey) bool { return k.Text == name }) || slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// CoveringColumn is column c as an index includes it in dialect d
// (quoted), false for a column no index includes: a key-map id (no column
// holds it) and long text (Memo, a string without a declared limit or
// over coveringLength characters).
func CoveringColumn(d Dialect, c *plan.Column) (string, bool) {
	if c == nil || c.Key != nil {
		return "", false
	}
	if c.Type.Kind() == plan.KString && (c.Type == plan.TMemo || c.MaxLength <= 0 || c.MaxLength > coveringLength) {
		return "", false
	}
	return quoteName(d.Caps().Quote, c.PhysicalName), true
}

// Note is what the index needs beyond its statement: on SQL Server, the
// collation the query compares its string keys by (the index serves the
// query when the column has it; otherwise index a computed column "col
// COLLATE …", see docs/performance.md).
func (ix Index) Note() string {
	var cols []string
	coll := ""
	for _, k := range ix.Keys {
		if k.Collation != "" {
			cols = append(cols, k.Text)
			coll = k.Collation
		}
	}
	if len(cols) == 0 {
		return ""
	}
	return "serves the query when " + strings.Join(cols, ", ") + " use the collation " + coll
}

// Key is the index's identity for deduplication: its table and keys.
func (ix Index) Key() string {
	var b strings.Builder
	b.WriteString(ix.Table)
	for _, k := range ix.Keys {
		b.WriteString("\x00" + k.Text)
		if k.Desc {
			b.WriteString(" DESC")
		}
		b.WriteString(k.Nulls)
	}
	return b.String()
}

func quoteName(q QuoteStyle, s string) string {
	switch q {
	case QuoteBacktick:
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	case QuoteBracket:
		return "[" + strings.ReplaceAll(s, "]", "]]") + "]"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Indexes lists the indexes the statement Emit writes for p can use on
// dialect d:
//
//   - on the root table, the columns its filter compares for equality (as
//     the comparison writes them: folded, trimmed), then its order's terms
//     on root columns, as ORDER BY writes them (the string folding first,
//     with the NULL placement), ending with the primary key: one index
//     reads the first page in order and seeks a keyset page's bound;
//   - without an order, the equality columns, then one range-compared
//     column;
//   - on every joined table, the column it joins on.
//
// A key that binds a value (a lookup's name, a label rank from the
// caller's security) stops the order's keys: no index expression holds a
// parameter.
func Indexes(p *plan.Plan, d Dialect) ([]Index, error) {
	var e emitter
	if err := e.init(p, d); err != nil {
		return nil, err
	}
	e.bare = p.Root
	var eq, rng []IndexKey
	for _, t := range conjuncts(p.Root.Filter) {
		k, isEq, ok := e.filterKey(t)
		switch {
		case !ok:
		case isEq:
			eq = appendKey(eq, k)
		case len(rng) == 0:
			rng = append(rng, k)
		}
	}
	order := e.orderKeys(p)
	if e.err != nil {
		return nil, e.err
	}
	var out []Index
	if p.Root.Table != nil && !e.byPrimaryKey(p.Root.Table, eq) {
		switch {
		case len(order) > 0:
			keys := eq
			for _, k := range order {
				keys = appendKey(keys, k)
			}
			why := "order"
			if len(eq) > 0 {
				why = "filter and order"
			}
			out = append(out, Index{Table: p.Root.Table.PhysicalName, Keys: keys, For: why})
		case len(eq)+len(rng) > 0:
			keys := eq
			for _, k := range rng {
				keys = appendKey(keys, k)
			}
			out = append(out, Index{Table: p.Root.Table.PhysicalName, Keys: keys, For: "filter"})
		}
	}
	var joins func(ds *plan.DataSource)
	joins = func(ds *plan.DataSource) {
		for _, j := range ds.Joins {
			if j.Table != nil && j.Child != nil && !j.Child.IsPrimaryKey && j.Child.LogicalName != j.Table.PrimaryKey {
				out = append(out, Index{Table: j.Table.PhysicalName, Keys: []IndexKey{{Text: quoteName(e.caps.Quote, j.Child.PhysicalName)}}, For: "join"})
			}
			joins(j)
		}
	}
	joins(p.Root)
	return out, nil
}

// byPrimaryKey reports whether the root's filter compares its primary key,
// as stored, for equality: at most one row, which the primary key's own
// index finds, so no index is advised for the root (one on the key alone
// would repeat it). A key compared through an expression (an any-case
// GUID's LOWER) is not the key's index, and keeps its advice.
func (e *emitter) byPrimaryKey(t *plan.Table, eq []IndexKey) bool {
	pk, ok := t.Column(t.PrimaryKey)
	if !ok {
		return false
	}
	plain := quoteName(e.caps.Quote, pk.PhysicalName)
	return slices.ContainsFunc(eq, func(k IndexKey) bool { return !k.Expression && k.Text == plain })
}

// uncollated moves a pinned COLLATE clause (collate.go) out of the key's
// text: no index key part carries one.
func (e *emitter) uncollated(k IndexKey, col *plan.Column) IndexKey {
	for _, c := range []string{e.caps.Collation, e.caps.CollationAccents} {
		if c != "" && strings.HasSuffix(k.Text, " COLLATE "+c) {
			k.Text = strings.TrimSuffix(k.Text, " COLLATE "+c)
			k.Collation = c
			k.Expression = k.Text != quoteName(e.caps.Quote, col.PhysicalName)
		}
	}
	return k
}

func appendKey(keys []IndexKey, k IndexKey) []IndexKey {
	for _, x := range keys {
		if x.Text == k.Text {
			return keys // an index names an expression once
		}
	}
	return append(keys, k)
}

func conjuncts(x plan.Expr) []plan.Expr {
	if a, ok := x.(*plan.And); ok {
		var out []plan.Expr
		for _, t := range a.Terms {
			out = append(out, conjuncts(t)...)
		}
		return out
	}
	if x == nil {
		return nil
	}
	return []plan.Expr{x}
}

// capture writes w into a scratch region of the buffer and returns its
// text; ok is false when it bound a value.
func (e *emitter) capture(w func()) (string, bool) {
	n, args := e.n, len(e.args)
	w()
	text := string(e.buf[n:e.n])
	bound := len(e.args) != args
	e.n, e.args = n, e.args[:args]
	return text, !bound && e.err == nil
}

// filterKey is the index key of one root filter term that an index can
// seek: a comparison of a root column with a value (equality, IN, IS
// NULL, or a range), written as the comparison writes its column.
func (e *emitter) filterKey(x plan.Expr) (k IndexKey, eq, ok bool) {
	var col *plan.ColumnRef
	var fold, pad bool
	switch t := x.(type) {
	case *plan.Compare:
		if _, isVal := t.Right.(*plan.Value); !isVal || t.Op == plan.Ne {
			return k, false, false
		}
		col, fold, eq = t.Left, t.Fold, t.Op == plan.Eq
		pad = eq
		if e.sortOrderCompare(t) {
			// A keyset bound compares the sort key (expr.go): the text
			// ORDER BY writes, which the order's index holds.
			fold, pad = true, true
		}
	case *plan.InList:
		if t.Not {
			return k, false, false
		}
		col, fold, eq, pad = t.Col, t.Fold, true, true
	case *plan.IsNull:
		if t.Not {
			return k, false, false
		}
		col, eq = t.Col, true
	default:
		return k, false, false
	}
	if col == nil || !e.isRoot(col.Source) || col.Column == nil {
		return k, false, false
	}
	text, ok := e.capture(func() {
		if _, isGuid := guidColumn(col.Column); isGuid {
			e.conv(e.valueConv(col.Column), func() { e.col(col) })
			return
		}
		lower := e.fold(fold)
		if pad {
			e.eqCol(col, lower)
		} else {
			e.lowerCol(col, lower)
		}
	})
	if !ok {
		return k, false, false
	}
	return e.uncollated(IndexKey{Text: text, Expression: text != quoteName(e.caps.Quote, col.Column.PhysicalName)}, col.Column), eq, true
}

// orderKeys are the ORDER BY terms of p's leading value keys on root
// columns, as orderBy writes them.
func (e *emitter) orderKeys(p *plan.Plan) []IndexKey {
	if p.Aggregate || p.Distinct {
		return nil
	}
	var out []IndexKey
	for _, k := range p.Orders {
		if k == nil || k.Column == nil || !e.isRoot(k.Column.Source) || k.By != plan.SortValue {
			break
		}
		var terms orderTerms
		n, args := e.n, len(e.args)
		e.sortKey(p, k, false, &terms)
		bound := len(e.args) != args
		if e.err != nil || bound {
			e.n, e.args = n, e.args[:args]
			break
		}
		for i := 0; i < terms.n; i++ {
			t := terms.at(i)
			end := e.n
			if i+1 < terms.n {
				end = terms.at(i + 1).mark
			}
			text := string(e.buf[t.start:t.end])
			tail := string(e.buf[t.end:end])
			key := IndexKey{Text: text, Expression: text != quoteName(e.caps.Quote, k.Column.Column.PhysicalName)}
			key.Desc = strings.HasPrefix(tail, " DESC")
			if i := strings.Index(tail, "NULLS "); i >= 0 {
				key.Nulls = tail[i:]
			}
			out = appendKey(out, e.uncollated(key, k.Column.Column))
		}
		e.n, e.args = n, e.args[:args]
	}
	if e.err != nil {
		e.err = nil
		return nil
	}
	return out
}
