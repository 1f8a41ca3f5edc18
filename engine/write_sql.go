package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// WriteKind is the statement EmitWrite builds.
type WriteKind uint8

const (
	Insert WriteKind = iota
	Update
	Delete
)

var writeKindNames = [...]string{"insert", "update", "delete"}

func (k WriteKind) String() string { return writeKindNames[k] }

// Assignment sets one column; a nil Value writes NULL.
type Assignment struct {
	Column *plan.Column
	Value  *plan.Value
	// Target is the table a lookup value names (the EntityReference's
	// LogicalName, lower case as the column's Targets spell it), or the
	// column's only target; "" for a null, for a plain GUID given to a
	// lookup with several targets, and for other columns.
	Target string
}

// EmitWrite builds the INSERT, UPDATE or DELETE of one row of t, addressed
// by its primary key, in dialect d. Every value is a bind parameter,
// converted as the query emitter converts it (datetimes as text on SQLite,
// booleans as 1/0 where the dialect has no boolean parameters). Insert
// takes the key among set (the caller adds it); Update and Delete take it
// as key. An Update with nothing to set is a BadAttributeValue error.
func EmitWrite(d sqlemit.Dialect, t *plan.Table, kind WriteKind, key *plan.Value, set []Assignment) (*sqlemit.Statement, error) {
	if t == nil || t.PrimaryKey == "" {
		return nil, writeError(diag.MissingMetadata, "the table has no primary key: it cannot be written by key")
	}
	pk, ok := t.Column(t.PrimaryKey)
	if !ok {
		return nil, writeError(diag.MissingMetadata, "table %s: primary key column %q is not in the metadata", t.LogicalName, t.PrimaryKey)
	}
	w := &writer{caps: d.Caps(), table: t.PhysicalName}
	switch kind {
	case Insert:
		if len(set) == 0 {
			return nil, writeError(diag.BadAttributeValue, "nothing to insert into %s", t.LogicalName)
		}
		w.b.WriteString("INSERT INTO ")
		w.ident(t.PhysicalName)
		w.b.WriteString(" (")
		for i, a := range set {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.ident(a.Column.PhysicalName)
		}
		w.b.WriteString(") VALUES (")
		for i, a := range set {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.param(a.Value, a.Column)
		}
		w.b.WriteByte(')')
	case Update:
		if len(set) == 0 {
			return nil, writeError(diag.BadAttributeValue, "nothing to update on %s", t.LogicalName)
		}
		w.b.WriteString("UPDATE ")
		w.ident(t.PhysicalName)
		w.b.WriteString(" SET ")
		for i, a := range set {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.ident(a.Column.PhysicalName)
			w.b.WriteString(" = ")
			w.param(a.Value, a.Column)
		}
		w.whereKey(pk, key)
	case Delete:
		w.b.WriteString("DELETE FROM ")
		w.ident(t.PhysicalName)
		w.whereKey(pk, key)
	default:
		return nil, writeError(diag.MalformedPlan, "unknown write kind %d", kind)
	}
	if w.err != nil {
		return nil, w.err
	}
	st := &sqlemit.Statement{SQL: w.b.String(), Args: w.args}
	if pk.Key != nil {
		st.KeyMaps = []*plan.KeyMap{pk.Key}
	}
	return st, nil
}

type writer struct {
	caps  sqlemit.Caps
	table string // the written table's physical name
	b     strings.Builder
	args  []any
	err   error
}

func (w *writer) whereKey(pk *plan.Column, key *plan.Value) {
	if key == nil {
		w.err = writeError(diag.MissingAttribute, "no primary key value")
		return
	}
	w.b.WriteString(" WHERE ")
	if pk.Key != nil {
		w.keyMapWhere(pk, key)
		return
	}
	if pk.Type.Kind() == plan.KGuid && pk.Guid == plan.GuidAnyCase && !w.caps.Has(sqlemit.CaseInsensitive) {
		// A key column holding both cases: as the query emitter compares it.
		w.b.WriteString("LOWER(")
		w.ident(pk.PhysicalName)
		w.b.WriteString(")")
	} else {
		w.ident(pk.PhysicalName)
	}
	w.b.WriteString(" = ")
	w.param(key, pk)
}

func (w *writer) ident(name string) {
	switch w.caps.Quote {
	case sqlemit.QuoteBacktick:
		w.b.WriteString("`" + strings.ReplaceAll(name, "`", "``") + "`")
	case sqlemit.QuoteBracket:
		w.b.WriteString("[" + strings.ReplaceAll(name, "]", "]]") + "]")
	default:
		w.b.WriteString(`"` + strings.ReplaceAll(name, `"`, `""`) + `"`)
	}
}

func (w *writer) param(v *plan.Value, c *plan.Column) {
	w.args = append(w.args, writeArg(w.caps, v, c))
	n := len(w.args)
	switch w.caps.Params {
	case sqlemit.ParamDollar:
		w.b.WriteString("$" + strconv.Itoa(n))
	case sqlemit.ParamAtP:
		w.b.WriteString("@p" + strconv.Itoa(n))
	default:
		w.b.WriteByte('?')
	}
}

// writeArg converts a value for the driver the way the query emitter binds
// the same value, so that a written row matches the queries that read it.
func writeArg(caps sqlemit.Caps, v *plan.Value, c *plan.Column) any {
	if v == nil || v.V == nil {
		return nil
	}
	switch x := v.V.(type) {
	case time.Time:
		x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
		if caps.Has(sqlemit.TimeText) {
			if c != nil && c.DateBehavior == plan.DateOnly {
				return x.Format("2006-01-02")
			}
			return x.Format("2006-01-02 15:04:05.999999999")
		}
		return x
	case bool:
		if caps.Has(sqlemit.BoolParams) {
			return x
		}
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		if v.Kind == plan.KDecimal && caps.Has(sqlemit.DecimalFloat) {
			f, err := strconv.ParseFloat(x, 64)
			if err == nil {
				return f
			}
		}
		if v.Kind == plan.KGuid && c != nil && c.Type.Kind() == plan.KGuid {
			// Written in the column's storage form (upper case, 16 bytes);
			// a column holding both cases takes the canonical lower case.
			return c.Guid.Bind(strings.ToLower(x))
		}
		return x
	}
	return v.V
}

func mismatch(c *plan.Column, v any) error {
	shown := fmt.Sprint(v)
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return writeError(diag.TypeMismatch, "%s is %s: %q does not fit", c.LogicalName, c.Type, shown)
}

func writeError(code diag.Code, format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: code, Msg: fmt.Sprintf(format, args...)}}.Err()
}

// keyMapWhere addresses the row of a key-map id (a string or composite
// key, plan/keymap.go) as the query emitter does: EXISTS in the key map an
// entry with the id whose tuple is the row's key, parts compared exactly.
func (w *writer) keyMapWhere(pk *plan.Column, key *plan.Value) {
	id := strings.ToLower(fmt.Sprint(key.V))
	// The first part IN the map's entry, for the key's index; then every
	// part compared exactly (emit/sql's keyMapIn).
	w.ident(w.table)
	w.b.WriteByte('.')
	w.ident(pk.Key.Parts[0].PhysicalName)
	w.b.WriteString(" IN (SELECT vkm.")
	w.ident(sqlemit.KeyMapColumn(0))
	w.b.WriteString(" FROM ")
	w.ident(pk.Key.Table)
	w.b.WriteString(" AS vkm WHERE vkm.")
	w.ident("id")
	w.b.WriteString(" = ")
	w.args = append(w.args, id)
	w.placeholderAt(len(w.args))
	w.b.WriteString(") AND EXISTS (SELECT 1 FROM ")
	w.ident(pk.Key.Table)
	w.b.WriteString(" AS vkm WHERE vkm.")
	w.ident("id")
	w.b.WriteString(" = ")
	w.args = append(w.args, id)
	w.placeholderAt(len(w.args))
	kinds := pk.Key.Kinds()
	for i, p := range pk.Key.Parts {
		mapCol := func() {
			w.b.WriteString("vkm.")
			w.ident(sqlemit.KeyMapColumn(i))
		}
		rowCol := func() {
			w.ident(w.table)
			w.b.WriteByte('.')
			w.ident(p.PhysicalName)
		}
		w.b.WriteString(" AND ")
		mapCol()
		w.b.WriteString(" = ")
		rowCol()
		if kinds[i] != plan.KString {
			continue
		}
		switch w.caps.Keys {
		case sqlemit.KeysSQLite:
			w.b.WriteString(" COLLATE BINARY")
		case sqlemit.KeysMySQL, sqlemit.KeysSQLServer:
			typ := "BINARY"
			if w.caps.Keys == sqlemit.KeysSQLServer {
				typ = "VARBINARY(MAX)"
			}
			w.b.WriteString(" AND CAST(")
			mapCol()
			w.b.WriteString(" AS " + typ + ") = CAST(")
			rowCol()
			w.b.WriteString(" AS " + typ + ")")
		}
	}
	w.b.WriteByte(')')
}

func (w *writer) placeholderAt(n int) {
	switch w.caps.Params {
	case sqlemit.ParamDollar:
		w.b.WriteString("$" + strconv.Itoa(n))
	case sqlemit.ParamAtP:
		w.b.WriteString("@p" + strconv.Itoa(n))
	default:
		w.b.WriteByte('?')
	}
}
