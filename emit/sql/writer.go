package sql

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The low-level writers: the buffer, identifiers, placeholders, columns.

// raw appends s. The buffer is written by index (len == cap, fill level
// e.n) so that appending stores no pointer: no GC write barrier per write.
func (e *emitter) raw(s string) {
	if len(s) > len(e.buf)-e.n {
		e.grow(len(s))
	}
	e.n += copy(e.buf[e.n:], s)
}

func (e *emitter) grow(need int) {
	nb := make([]byte, 2*len(e.buf)+need)
	copy(nb, e.buf[:e.n])
	e.buf = nb
}

// again appends a copy of the text at [start, end).
func (e *emitter) again(start, end int) {
	old := e.buf // grow keeps the old array intact
	if end-start > len(e.buf)-e.n {
		e.grow(end - start)
	}
	e.n += copy(e.buf[e.n:], old[start:end])
}

// text returns the statement; the buffer is never written again.
func (e *emitter) text() string { return unsafe.String(unsafe.SliceData(e.buf), e.n) }

func (e *emitter) byte1(c byte) {
	if e.n >= len(e.buf) {
		e.grow(1)
	}
	e.buf[e.n] = c
	e.n++
}

func (e *emitter) int(n int64) {
	var tmp [24]byte
	e.rawBytes(strconv.AppendInt(tmp[:0], n, 10))
}

// ident writes a quoted identifier, doubling the closing quote inside.
func (e *emitter) ident(name string) {
	if len(name) > e.limits.Ident && e.limits.Ident > 0 {
		e.longIdent(name)
	}
	open, close := e.open, e.close
	if strings.IndexByte(name, close) < 0 {
		// One capacity check and one copy for the usual identifier.
		if len(name)+2 > len(e.buf)-e.n {
			e.grow(len(name) + 2)
		}
		b := e.buf[e.n : e.n+len(name)+2]
		b[0] = open
		copy(b[1:], name)
		b[len(b)-1] = close
		e.n += len(b)
		return
	}
	e.byte1(open)
	for {
		i := strings.IndexByte(name, close)
		if i < 0 {
			break
		}
		e.raw(name[:i+1])
		e.byte1(close)
		name = name[i+1:]
	}
	e.raw(name)
	e.byte1(close)
}

// alias writes the positional output alias c<i>.
func (e *emitter) alias(i int) {
	var tmp [24]byte
	buf := append(tmp[:0], 'c')
	buf = strconv.AppendInt(buf, int64(i), 10)
	e.ident(string(buf)) // does not escape: ident only reads it
}

// bind appends an argument and writes its placeholder.
func (e *emitter) bind(a any) {
	e.args = append(e.args, a)
	if len(e.args) == e.limits.Params+1 && e.limits.Params > 0 {
		e.check.paramAt = e.n
	}
	e.placeholder(len(e.args))
}

func (e *emitter) placeholder(n int) {
	switch e.caps.Params {
	case ParamDollar:
		e.byte1('$')
		e.int(int64(n))
	case ParamAtP:
		e.raw("@p")
		e.int(int64(n))
	case ParamQuestionNumbered:
		e.byte1('?')
		e.int(int64(n))
	default:
		e.byte1('?')
	}
}

// col writes "source"."column".
func (e *emitter) col(r *plan.ColumnRef) {
	if r == nil || r.Source == nil || r.Column == nil {
		e.fail(diag.MalformedPlan, "column reference without a source or column")
		return
	}
	if e.bare != nil && e.isRoot(r.Source) {
		e.ident(r.Column.PhysicalName) // an index key: the table's own column
		return
	}
	if isKeyMap(r.Column) && !r.Source.Security.Hides(r.Column) {
		e.keyTuple(r.Source.Name, r.Source, r.Column) // each part secured as the source secures it
		return
	}
	e.securedCol(r.Source.Name, r.Source.Table, r.Column, r.Source.Security.Hides(r.Column), r.Source.Security.SharedKeys(r.Column))
}

// securedCol writes alias.column as column security lets the caller read
// it: the column; or, hidden, NULL of its own type (the value is never
// evaluated); or, hidden but field-shared on the records keys, the column
// on those records and NULL on the others.
func (e *emitter) securedCol(alias string, t *plan.Table, c *plan.Column, hidden bool, keys []*plan.Value) {
	switch {
	case hidden && len(keys) > 0: // none: NULL below, never IN ()
		pk, ok := t.Column(t.PrimaryKey)
		if !ok {
			e.fail(diag.MalformedPlan, "shared column %s of a table without a primary key", c.LogicalName)
			return
		}
		e.raw("CASE WHEN ")
		if isKeyMap(pk) {
			e.keyMapIn(alias, nil, pk, keys, false)
		} else {
			e.conv(e.valueConv(pk), func() { e.qcol(alias, pk) })
			e.raw(" IN (")
			for i, k := range keys {
				if i > 0 {
					e.raw(", ")
				}
				e.paramFor(k, pk)
			}
			e.byte1(')')
		}
		e.raw(" THEN ")
		e.qcol(alias, c)
		e.raw(" END")
	case hidden:
		e.raw("CASE WHEN 1=0 THEN ")
		e.qcol(alias, c)
		e.raw(" END")
	default:
		e.qcol(alias, c)
	}
}

// qcol writes alias.column for a column of a data source.
func (e *emitter) qcol(alias string, c *plan.Column) {
	if c == nil {
		e.fail(diag.MalformedPlan, "data source %q without its join column", alias)
		return
	}
	if isKeyMap(c) {
		e.keyTuple(alias, nil, c)
		return
	}
	e.ident(alias)
	e.byte1('.')
	e.ident(c.PhysicalName)
}

// table writes "physical" AS "alias" and the NOLOCK hint.
func (e *emitter) table(ds *plan.DataSource) {
	if ds.Table == nil {
		e.fail(diag.MalformedPlan, "data source %q has no table", ds.Name)
		return
	}
	if len(ds.Name) > e.limits.Ident && e.limits.Ident > 0 && e.check.aliasOver == nil && e.tooLong(ds.Name) {
		e.check.aliasOver = ds
	}
	e.ident(ds.Table.PhysicalName)
	e.raw(" AS ")
	e.ident(ds.Name)
	e.hint()
}

func (e *emitter) hint() {
	if e.nolock {
		e.raw(" WITH (NOLOCK)")
	}
}

func (e *emitter) rawBytes(s []byte) {
	if len(s) > len(e.buf)-e.n {
		e.grow(len(s))
	}
	e.n += copy(e.buf[e.n:], s)
}
