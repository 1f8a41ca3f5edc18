package engine

import (
	"encoding/json"
	"fmt"
	"math"
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
	w := &writer{caps: d.Caps()}
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
	return &sqlemit.Statement{SQL: w.b.String(), Args: w.args}, nil
}

type writer struct {
	caps sqlemit.Caps
	b    strings.Builder
	args []any
	err  error
}

func (w *writer) whereKey(pk *plan.Column, key *plan.Value) {
	if key == nil {
		w.err = writeError(diag.MissingAttribute, "no primary key value")
		return
	}
	w.b.WriteString(" WHERE ")
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

// ValueFor types a decoded JSON value (from encoding/json with UseNumber)
// for column c: strings, numbers, booleans, RFC 3339 datetimes or dates,
// GUIDs, and for multi-select choices an array of option values. The SDK's
// wrapped forms are accepted too: {"Value": x} (OptionSetValue, Money) and
// {"Id": guid, "LogicalName": …} (EntityReference). A value that does not
// fit the column is a TypeMismatch error; nil is NULL.
func ValueFor(c *plan.Column, v any) (*plan.Value, error) {
	if m, ok := v.(map[string]any); ok {
		switch {
		case hasKey(m, "Id"):
			v = m["Id"]
		case hasKey(m, "Value"):
			v = m["Value"]
		default:
			return nil, mismatch(c, v)
		}
	}
	if v == nil {
		return nil, nil
	}
	k := c.Type.Kind()
	switch k {
	case plan.KString:
		if s, ok := v.(string); ok {
			return &plan.Value{Kind: k, V: s}, nil
		}
	case plan.KInt:
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return &plan.Value{Kind: k, V: i}, nil
			}
		}
	case plan.KDecimal:
		if n, ok := v.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err == nil && !strings.ContainsAny(string(n), "eE") {
				return &plan.Value{Kind: k, V: string(n)}, nil
			}
		}
	case plan.KFloat:
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil && !math.IsInf(f, 0) {
				return &plan.Value{Kind: k, V: f}, nil
			}
		}
	case plan.KBool:
		if b, ok := v.(bool); ok {
			return &plan.Value{Kind: k, V: b}, nil
		}
	case plan.KDateTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return &plan.Value{Kind: k, V: t}, nil
			}
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return &plan.Value{Kind: k, V: t.UTC()}, nil
			}
		}
	case plan.KGuid:
		if s, ok := v.(string); ok {
			if g, ok := plan.CanonicalGUID(s); ok {
				return &plan.Value{Kind: k, V: g}, nil
			}
		}
	case plan.KMulti:
		if list, ok := v.([]any); ok {
			parts := make([]string, 0, len(list))
			for _, e := range list {
				n, ok := e.(json.Number)
				if !ok {
					return nil, mismatch(c, v)
				}
				i, err := n.Int64()
				if err != nil {
					return nil, mismatch(c, v)
				}
				parts = append(parts, strconv.FormatInt(i, 10))
			}
			return &plan.Value{Kind: k, V: strings.Join(parts, ",")}, nil
		}
	case plan.KUnknown:
		switch x := v.(type) {
		case string:
			return &plan.Value{Kind: plan.KString, V: x}, nil
		case bool:
			return &plan.Value{Kind: plan.KBool, V: x}, nil
		case json.Number:
			if i, err := x.Int64(); err == nil {
				return &plan.Value{Kind: plan.KInt, V: i}, nil
			}
			return &plan.Value{Kind: plan.KDecimal, V: string(x)}, nil
		}
	}
	return nil, mismatch(c, v)
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
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
