package sql

import (
	"slices"
	"strconv"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Key-map columns (plan.GuidKeyMap): a string or composite key exposed as
// UUIDv5 ids that no column holds (plan/keymap.go). The emitter writes
//
//	the column         its parts as a JSON array, from which package engine
//	                   computes the id (and records it in the key map)
//	column = value     EXISTS (SELECT 1 FROM map AS vkm WHERE vkm.id = ?
//	                   AND vkm.k1 = t.part1 …): the id joined to its tuple
//	column IN (…)      the same with vkm.id IN (…); <> and NOT IN as NOT EXISTS
//	column = column    part by part (a lookup's foreign key parts against the
//	                   key's parts), or, where only expressions are at hand,
//	                   the two tuples' exact text
//
// Key parts compare exactly, code point by code point (no case folding,
// trailing spaces significant), as the id is computed: an id names the
// tuple it was computed from and no other, whatever the column's collation.

// KeyStyle is how a dialect reads a key tuple and compares parts exactly.
type KeyStyle uint8

const (
	// KeysPostgres: json_build_array(…)::text; text equality is exact
	// under PostgreSQL's deterministic collations.
	KeysPostgres KeyStyle = iota
	// KeysSQLite: json_array(…); parts compared with COLLATE BINARY.
	KeysSQLite
	// KeysMySQL: JSON_ARRAY(…); parts compared with = (the index) and
	// again as bytes (CAST … AS BINARY), which neither folds case nor pads.
	KeysMySQL
	// KeysSQLServer: JSON_ARRAY(…) (SQL Server 2022); parts compared
	// with = and again as VARBINARY.
	KeysSQLServer
)

// keyMapAlias is the key map's alias in the subqueries written here.
const keyMapAlias = "vkm"

// keyTuple writes the tuple of key-map column c of data source alias as a
// JSON array; src, when known, decides which parts column security hides
// (a hidden part is NULL: the id cannot be computed, so it is NULL too).
func (e *emitter) keyTuple(alias string, src *plan.DataSource, c *plan.Column) {
	switch e.caps.Keys {
	case KeysPostgres:
		e.raw("json_build_array(")
	case KeysSQLite:
		e.raw("json_array(")
	default:
		e.raw("JSON_ARRAY(")
	}
	for i, p := range c.Key.Parts {
		if i > 0 {
			e.raw(", ")
		}
		e.keyPart(alias, src, p)
	}
	e.byte1(')')
	if e.caps.Keys == KeysPostgres {
		e.raw("::text")
	}
}

// keyPart writes one part of a key tuple, secured as the source secures it.
func (e *emitter) keyPart(alias string, src *plan.DataSource, p *plan.Column) {
	if src != nil && src.Table != nil {
		e.securedCol(alias, src.Table, p, src.Security.Hides(p), src.Security.SharedKeys(p))
		return
	}
	e.qcol(alias, p)
}

// keyExact writes a = b for two key parts of kind k, exactly (see KeyStyle).
func (e *emitter) keyExact(k plan.Kind, a, b func()) {
	a()
	e.raw(" = ")
	b()
	if k != plan.KString {
		return
	}
	switch e.caps.Keys {
	case KeysSQLite:
		e.raw(" COLLATE BINARY")
	case KeysMySQL, KeysSQLServer:
		typ := "BINARY"
		if e.caps.Keys == KeysSQLServer {
			typ = "VARBINARY(MAX)"
		}
		e.raw(" AND CAST(")
		a()
		e.raw(" AS " + typ + ") = CAST(")
		b()
		e.raw(" AS " + typ + ")")
	}
}

// keyMapIn writes the rows whose key-map id c is one of ids:
//
//	(alias.part1 IN (SELECT vkm.k1 FROM map AS vkm WHERE vkm.id IN (ids))
//	 AND EXISTS (SELECT 1 FROM map AS vkm WHERE vkm.id IN (ids)
//	             AND vkm.k1 = alias.part1 …))
//
// The IN lets the key's index find the candidate rows (an engine runs a
// correlated EXISTS per row of the table: SQLite, MariaDB); the EXISTS
// compares every part exactly. not writes NOT EXISTS alone.
func (e *emitter) keyMapIn(alias string, src *plan.DataSource, c *plan.Column, ids []*plan.Value, not bool) {
	if c.Key == nil || len(c.Key.Parts) == 0 {
		e.fail(diag.MalformedPlan, "key-map column %q without its key", c.LogicalName)
		return
	}
	if !slices.ContainsFunc(e.keyMaps, func(k *plan.KeyMap) bool { return k.Table == c.Key.Table }) {
		e.keyMaps = append(e.keyMaps, c.Key)
	}
	if not {
		e.raw("NOT ")
	} else {
		e.byte1('(')
		e.keyPart(alias, src, c.Key.Parts[0])
		e.raw(" IN (SELECT ")
		e.ident(keyMapAlias)
		e.byte1('.')
		e.ident(KeyMapColumn(0))
		e.keyMapFrom(c, ids)
		e.raw(") AND ")
	}
	e.raw("EXISTS (SELECT 1")
	e.keyMapFrom(c, ids)
	kinds := c.Key.Kinds()
	for i, p := range c.Key.Parts {
		e.raw(" AND ")
		e.keyExact(kinds[i], func() {
			e.ident(keyMapAlias)
			e.byte1('.')
			e.ident(KeyMapColumn(i))
		}, func() { e.keyPart(alias, src, p) })
	}
	e.byte1(')')
	if !not {
		e.byte1(')')
	}
}

// keyMapFrom writes " FROM map AS vkm WHERE vkm.id IN (ids)" (= for one).
func (e *emitter) keyMapFrom(c *plan.Column, ids []*plan.Value) {
	e.raw(" FROM ")
	e.ident(c.Key.Table)
	e.raw(" AS ")
	e.ident(keyMapAlias)
	e.raw(" WHERE ")
	e.ident(keyMapAlias)
	e.byte1('.')
	e.ident("id")
	if len(ids) == 1 {
		e.raw(" = ")
	} else {
		e.raw(" IN (")
	}
	for i, v := range ids {
		if i > 0 {
			e.raw(", ")
		}
		e.paramFor(v, c)
	}
	if len(ids) != 1 {
		e.byte1(')')
	}
}

// KeyMapColumn is the key map's column holding part i (0-based) of the
// tuple: k1, k2, … (package engine creates and fills the map).
func KeyMapColumn(i int) string { return "k" + strconv.Itoa(i+1) }

// keyCompare writes a comparison whose left side is a key-map column.
func (e *emitter) keyCompare(x *plan.Compare) {
	c := x.Left.Column
	switch r := x.Right.(type) {
	case *plan.Value:
		if x.Op != plan.Eq && x.Op != plan.Ne {
			e.fail(diag.KeyMapUnsupported, "%q is an id computed from a string or composite key: it can be compared with eq and ne only", c.LogicalName)
			return
		}
		e.keyMapIn(x.Left.Source.Name, x.Left.Source, c, []*plan.Value{r}, x.Op == plan.Ne)
	case *plan.ColumnRef:
		if x.Op != plan.Eq && x.Op != plan.Ne {
			e.fail(diag.KeyMapUnsupported, "%q is an id computed from a string or composite key: it can be compared with eq and ne only", c.LogicalName)
			return
		}
		if x.Op == plan.Ne {
			e.raw("NOT (")
		}
		e.keyJoin(x.Left.Source.Name, x.Left.Source, c, r.Source.Name, r.Source, r.Column)
		if x.Op == plan.Ne {
			e.byte1(')')
		}
	default:
		e.fail(diag.MalformedPlan, "comparison without a right operand")
	}
}

// keyJoin writes a = b for two key-map columns of the same key shape, part
// by part; a column of another form is refused (its values are GUIDs no
// part holds).
func (e *emitter) keyJoin(aAlias string, aSrc *plan.DataSource, a *plan.Column, bAlias string, bSrc *plan.DataSource, b *plan.Column) {
	if !sameKeyShape(a, b) {
		e.fail(diag.KeyMapUnsupported, "%q and %q cannot be compared: one is an id computed from a string or composite key, the other %s", a.LogicalName, b.LogicalName, shapeOf(a, b))
		return
	}
	kinds := a.Key.Kinds()
	e.byte1('(')
	for i := range a.Key.Parts {
		if i > 0 {
			e.raw(" AND ")
		}
		e.keyExact(kinds[i], func() { e.keyPart(aAlias, aSrc, a.Key.Parts[i]) }, func() { e.keyPart(bAlias, bSrc, b.Key.Parts[i]) })
	}
	e.byte1(')')
}

func sameKeyShape(a, b *plan.Column) bool {
	if a == nil || b == nil || a.Key == nil || b.Key == nil || len(a.Key.Parts) != len(b.Key.Parts) {
		return false
	}
	ka, kb := a.Key.Kinds(), b.Key.Kinds()
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}

func shapeOf(a, b *plan.Column) string {
	other := b
	if a.Key == nil {
		other = a
	}
	if other == nil || other.Key == nil {
		return "a GUID column"
	}
	return "a key of another shape"
}

// keyColEq is colEq's fallback for key-map columns written by expression
// only (hierarchy walks, sort subqueries): the two tuples' exact text.
func (e *emitter) keyColEq(a *plan.Column, wa func(), b *plan.Column, wb func()) {
	if !sameKeyShape(a, b) {
		e.fail(diag.KeyMapUnsupported, "%q and %q cannot be compared: one is an id computed from a string or composite key, the other %s", a.LogicalName, b.LogicalName, shapeOf(a, b))
		return
	}
	e.keyExact(plan.KString, wa, wb)
}

// isKeyMap reports whether c is a key-map column.
func isKeyMap(c *plan.Column) bool { return c != nil && c.Key != nil }

// keyNull writes a key-map column's null test: its id is null when any
// part is (a lookup's foreign key not set), never for a table's own key.
func (e *emitter) keyNull(x *plan.IsNull) {
	c := x.Col.Column
	e.byte1('(')
	for i, p := range c.Key.Parts {
		if i > 0 {
			if x.Not {
				e.raw(" AND ")
			} else {
				e.raw(" OR ")
			}
		}
		e.keyPart(x.Col.Source.Name, x.Col.Source, p)
		if x.Not {
			e.raw(" IS NOT NULL")
		} else {
			e.raw(" IS NULL")
		}
	}
	e.byte1(')')
}
