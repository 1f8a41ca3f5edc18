package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/plan"
)

// Field is one named value of a row.
type Field struct {
	Name  string
	Value any // nil, string, int64, json.Number, float64, bool or []int64
	// Related is, for a lookup whose plan read its related record
	// (plan.Options.LookupNames), that record's name and table; nil
	// otherwise.
	Related *Related
	// Formatted is the field's formatted value once Formatter.Apply ran
	// (nil: none).
	Formatted *Formatted
}

// String prints the name and value, as fmt prints a Field without the
// formatting it may carry.
func (f Field) String() string { return fmt.Sprintf("{%v %v}", f.Name, f.Value) }

// Related is what a row holds about a lookup's related record.
type Related struct {
	// Name is the record's primary name; HasName is false when there is
	// none to show: the record is missing, or column security hides the
	// name from the caller.
	Name    string
	HasName bool
	// Table is the logical name of the target table holding the record:
	// the target of a lookup with one, the target that matched for a
	// polymorphic lookup (owners, customers); "" when none matched.
	Table string
}

// Row is one result row: its fields in output column order. Null values
// are present (Value nil) so that every row has every column; the JSON
// forms omit them.
type Row []Field

// Get returns the value of the named column.
func (r Row) Get(name string) (any, bool) {
	for _, f := range r {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// MarshalJSON writes the row as an object with keys in column order and
// null values omitted, as FetchXML results over the Web API are.
func (r Row) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, f := range r {
		if f.Value == nil {
			continue
		}
		// Annotations precede their property, as the Web API writes them.
		for _, a := range f.annotations() {
			if !first {
				b.WriteByte(',')
			}
			first = false
			if err := writeJSONValue(&b, f.Name+"@"+a[0]); err != nil {
				return nil, err
			}
			b.WriteByte(':')
			if err := writeJSONValue(&b, a[1]); err != nil {
				return nil, err
			}
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		if err := writeJSONValue(&b, f.Name); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := writeJSONValue(&b, f.Value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// The OData instance annotations of formatted values.
const (
	FormattedValueAnnotation    = "OData.Community.Display.V1.FormattedValue"
	LookupLogicalNameAnnotation = "Microsoft.Dynamics.CRM.lookuplogicalname"
)

// annotations are a formatted field's instance annotations (term, value):
// the formatted value, and a lookup's related table.
func (f Field) annotations() [][2]string {
	if f.Formatted == nil {
		return nil
	}
	var out [][2]string
	if f.Formatted.HasValue {
		out = append(out, [2]string{FormattedValueAnnotation, f.Formatted.Value})
	}
	if f.Formatted.LookupLogicalName != "" {
		out = append(out, [2]string{LookupLogicalNameAnnotation, f.Formatted.LookupLogicalName})
	}
	return out
}

func writeJSONValue(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// Result is a query's rows in Dataverse's shape.
type Result struct {
	Columns []string // output names, in order
	Rows    []Row
	// MoreRecords is set by Shape when the statement returned the extra
	// row that paging asks for.
	MoreRecords bool
	// CountRequested is set by Shape from the plan's
	// ReturnTotalRecordCount; TotalRecordCount is then meaningful.
	CountRequested                bool
	TotalRecordCount              int
	TotalRecordCountLimitExceeded bool
}

// SetTotal records a total record count, capped at
// plan.TotalRecordCountLimit (5,000) as Dataverse does; a larger count sets
// TotalRecordCountLimitExceeded.
func (r *Result) SetTotal(n int64) {
	r.TotalRecordCountLimitExceeded = n > plan.TotalRecordCountLimit
	if n > plan.TotalRecordCountLimit {
		n = plan.TotalRecordCountLimit
	}
	r.TotalRecordCount = int(n)
}

// Query runs an emitted statement and types its values by st.Columns (see
// the package documentation for the typing rules). A statement without
// Columns (hand-written SQL) yields untyped values named by the driver.
// Driver errors are DatabaseError.
func (db *DB) Query(ctx context.Context, st *sqlemit.Statement) (*Result, error) {
	if err := db.EnsureKeyMaps(ctx, st.KeyMaps); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, st.SQL, st.Args)
	if err != nil {
		return nil, dbError(err, "")
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, dbError(err, "")
	}
	n := len(names)
	res := &Result{}
	kinds := make([]outKind, n)
	switch len(st.Columns) {
	case 0:
		res.Columns = names
	case n - sqlemit.LookupNameColumns(st.LookupNames):
		res.Columns = make([]string, 0, len(st.Columns))
		for i, oc := range st.Columns {
			res.Columns = append(res.Columns, oc.Name)
			kinds[i] = columnKind(oc)
		}
	default:
		return nil, db.errorf("the statement returns %d columns but its plan has %d output columns", n, len(st.Columns))
	}
	lookupAt := lookupColumns(st)
	var mapped []keyRow      // ids read, recorded in their key maps once the rows are closed
	scan := make([]any, 2*n) // the values and the pointers Scan fills them through
	vals, ptrs := scan[:n:n], scan[n:]
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, dbError(err, "")
		}
		row := make(Row, len(res.Columns))
		for i := range row {
			switch kinds[i] {
			case outFiscalYear, outFiscalPeriod:
				row[i] = Field{Name: res.Columns[i], Value: fiscalLabel(vals[i], kinds[i], st.Columns[i])}
			case outKeyMap:
				row[i] = Field{Name: res.Columns[i]}
				km := st.Columns[i].Column.Key
				if id, tuple, ok := tupleID(vals[i], km); ok {
					row[i].Value = id
					mapped = append(mapped, keyRow{km: km, id: id, tuple: tuple})
				}
			default:
				row[i] = Field{Name: res.Columns[i], Value: convert(vals[i], kinds[i])}
			}
		}
		if len(st.LookupNames) > 0 {
			relate(row, st.LookupNames, lookupAt, vals[len(row):])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "")
	}
	if len(mapped) > 0 {
		rows.Close() // the pool may hold one connection (in-memory SQLite)
		if err := db.recordKeys(ctx, mapped); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Shape applies the plan's paging to a result: with PageSize > 0 the
// statement fetched PageSize+1 rows; the extra row is dropped and
// MoreRecords set. It also records whether a total count was asked for.
func Shape(p *plan.Plan, r *Result) {
	if p == nil || r == nil {
		return
	}
	r.CountRequested = p.ReturnTotalRecordCount
	if p.PageSize > 0 && int64(len(r.Rows)) > p.PageSize {
		r.Rows = r.Rows[:p.PageSize]
		r.MoreRecords = true
	}
}

// Run is Query followed by Shape.
func (db *DB) Run(ctx context.Context, p *plan.Plan, st *sqlemit.Statement) (*Result, error) {
	r, err := db.Query(ctx, st)
	if err != nil {
		return nil, err
	}
	Shape(p, r)
	return r, nil
}

// Count runs a statement returning one integer (a count statement) and
// returns it.
func (db *DB) Count(ctx context.Context, st *sqlemit.Statement) (int64, error) {
	var v any
	if err := db.EnsureKeyMaps(ctx, st.KeyMaps); err != nil {
		return 0, err
	}
	rows, err := db.query(ctx, st.SQL, st.Args)
	if err != nil {
		return 0, dbError(err, "")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, dbError(err, "")
		}
		return 0, db.errorf("count statement returned no row")
	}
	if err := rows.Scan(&v); err != nil {
		return 0, dbError(err, "")
	}
	n, ok := toInt(v)
	if !ok {
		return 0, db.errorf("count statement returned %v, not an integer", v)
	}
	return n, nil
}

// lookupColumns is, per lookup name of st, the index of its output column
// (-1 when the plan does not return it).
func lookupColumns(st *sqlemit.Statement) []int {
	at := make([]int, len(st.LookupNames))
	for i, ln := range st.LookupNames {
		at[i] = -1
		for j, oc := range st.Columns {
			if oc == ln.Column {
				at[i] = j
			}
		}
	}
	return at
}

// relate attaches the lookup names a statement read after its output
// columns (vals) to the row's lookup fields (columns at).
func relate(row Row, names []*plan.LookupName, at []int, vals []any) {
	v := 0
	for i, ln := range names {
		rel := &Related{}
		if x := vals[v]; x != nil {
			rel.Name, rel.HasName = toText(x), true
		}
		v++
		if len(ln.Targets) == 1 {
			rel.Table = ln.Targets[0].LogicalName
		} else {
			if t, ok := toInt(vals[v]); ok && t >= 0 && int(t) < len(ln.Targets) {
				rel.Table = ln.Targets[t].LogicalName
			}
			v++
		}
		if c := at[i]; c >= 0 && row[c].Value != nil {
			row[c].Related = rel
		}
	}
}
