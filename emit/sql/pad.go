package sql

import (
	"strings"

	"github.com/vecompile/vecompile/plan"
)

// Trailing spaces. Dataverse compares strings as SQL Server does, padded
// with spaces: 'Contoso' = 'Contoso  ' in =, <>, in, not-in, grouping,
// distinct, countcolumn distinct, <, >, <=, >=, ORDER BY and the sort-key
// comparisons of keyset paging (trimmed, order.go), so that values
// differing only by trailing spaces tie in the order and a page boundary
// between them neither repeats nor skips a row (LIKE keeps them, as on SQL
// Server). PadSpace dialects
// compare so natively (SQL Server); on the others the column is
// RTRIM(col) there and the value is bound without its trailing spaces, so
// every engine agrees: PostgreSQL and SQLite count trailing spaces, and
// so do MySQL 8's NO PAD utf8mb4_0900 collations (MariaDB's PAD SPACE
// collations do not, and RTRIM changes nothing for them).

// pads reports whether string column c is compared padded by trimming.
func (e *emitter) pads(c *plan.Column) bool {
	return !e.has(PadSpace) && c != nil && c.Type.Kind() == plan.KString
}

// eqCol writes a column compared for equality: folded when lower, and
// trimmed of trailing spaces (pads).
func (e *emitter) eqCol(r *plan.ColumnRef, lower bool) {
	if r == nil || !e.pads(r.Column) {
		e.lowerCol(r, lower)
		return
	}
	trimmed := func() {
		e.raw("RTRIM(")
		e.col(r)
		e.byte1(')')
	}
	if lower {
		e.foldInto(trimmed, func() { e.col(r) })
		return
	}
	trimmed()
}

// trimmed writes the string expression w writes as it sorts: without
// trailing spaces where the engine counts them (not PadSpace), as SQL
// Server compares and sorts; for a column the same text as an equality's
// (eqCol), so that one expression index serves both.
func (e *emitter) trimmed(w func()) {
	if e.has(PadSpace) {
		w()
		return
	}
	e.raw("RTRIM(")
	w()
	e.byte1(')')
}

// padValue is v without trailing spaces when compared with column c (pads);
// v itself otherwise.
func (e *emitter) padValue(v *plan.Value, c *plan.Column) *plan.Value {
	if v == nil || !e.pads(c) {
		return v
	}
	s, ok := v.V.(string)
	if !ok || !strings.HasSuffix(s, " ") {
		return v
	}
	return &plan.Value{Kind: v.Kind, V: strings.TrimRight(s, " ")}
}
