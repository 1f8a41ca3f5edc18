package engine

import (
	"context"
	_ "embed"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/security"
)

//go:embed sampledata/security.json
var sampleSecurity []byte

// SampleSecurity is the embedded sample's security model: the business
// unit tree, users and teams of the sample data, with roles (System
// Administrator, Sales Manager, Salesperson, Regional Reader, Portal
// Reader, Team Owner Read, Head Office Reader), shares, hierarchy security
// (depth 2), column security on account.revenue and contact.birthdate, and
// portal mappings.
func SampleSecurity() (*security.Compiled, error) {
	return security.ParsePolicy("sampledata/security.json", sampleSecurity)
}

// SecurityTablesPresent reports whether the database holds a security
// model: the role, roleprivileges and systemuserroles tables (with
// physical names prefix+name).
func SecurityTablesPresent(ctx context.Context, db *DB, prefix string) (bool, error) {
	for _, t := range []string{"role", "roleprivileges", "systemuserroles"} {
		ok, err := tableExists(ctx, db, prefix+t)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// LoadSecurity reads the security model from the database's security
// tables (security.Tables; optional ones may be absent). ok is false when
// the database has no security model (SecurityTablesPresent); one holding
// only part of the model's tables is BadSecurityModel.
func LoadSecurity(ctx context.Context, db *DB, prefix string) (c *security.Compiled, ok bool, err error) {
	if ok, err := SecurityTablesPresent(ctx, db, prefix); err != nil || !ok {
		if err == nil {
			err = partialSecurityTables(ctx, db, prefix)
		}
		return nil, false, err
	}
	rows := map[string][]security.Row{}
	for _, t := range security.Tables {
		exists, err := tableExists(ctx, db, prefix+t.Name)
		if err != nil {
			return nil, true, err
		}
		if !exists {
			if t.Optional {
				continue
			}
			return nil, true, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "security tables: %s is missing (vecompile security init creates it)", prefix+t.Name)}.Err()
		}
		present, err := presentColumns(ctx, db, prefix+t.Name, t.Columns)
		if err != nil {
			return nil, true, err
		}
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = db.quote(c.Name)
			if !present[i] {
				names[i] = "NULL" // an optional column the table lacks
			}
		}
		q := "SELECT " + strings.Join(names, ", ") + " FROM " + db.quote(prefix+t.Name) + " ORDER BY " + names[0]
		r, err := db.SQL.QueryContext(ctx, q)
		if err != nil {
			return nil, true, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "security tables: reading %s: %v", prefix+t.Name, unwrapAll(err))}.Err()
		}
		for r.Next() {
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return nil, true, dbError(err, "")
			}
			rows[t.Name] = append(rows[t.Name], security.Row(vals))
		}
		if err := r.Close(); err != nil {
			return nil, true, dbError(err, "")
		}
		if err := r.Err(); err != nil {
			return nil, true, dbError(err, "")
		}
	}
	m, err := security.FromRows(rows)
	if err != nil {
		return nil, true, err
	}
	c, err = security.Compile(m)
	return c, true, err
}

// partialSecurityTables fails when a database lacks a model's required
// tables but holds another of its (non-directory) tables: half a model is
// a broken one, and reading it as "no model" would run queries unsecured.
func partialSecurityTables(ctx context.Context, db *DB, prefix string) error {
	for _, t := range security.Tables {
		if t.Directory {
			continue
		}
		ok, err := tableExists(ctx, db, prefix+t.Name)
		if err != nil {
			return err
		}
		if ok {
			return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "security tables: %s is present but %srole, %sroleprivileges or %ssystemuserroles is missing (vecompile security init creates them)", prefix+t.Name, prefix, prefix, prefix)}.Err()
		}
	}
	return nil
}

// MissingColumn is a column an existing security table lacks.
type MissingColumn struct {
	Table, Column, Type string
}

func (m MissingColumn) String() string { return m.Table + "." + m.Column + " " + m.Type }

// MissingSecurityColumns lists the required columns that the existing
// security tables lack (a Dataverse-shaped systemuser without isdisabled):
// the loader would read them and fail. Optional columns are not listed.
func MissingSecurityColumns(ctx context.Context, db *DB, prefix string) ([]MissingColumn, error) {
	var out []MissingColumn
	for _, t := range security.Tables {
		ok, err := tableExists(ctx, db, prefix+t.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, c := range t.Columns {
			if c.Optional {
				continue
			}
			ok, err := columnExists(ctx, db, prefix+t.Name, c.Name)
			if err != nil {
				return nil, err
			}
			if !ok {
				out = append(out, MissingColumn{Table: prefix + t.Name, Column: c.Name, Type: c.SQLType()})
			}
		}
	}
	return out, nil
}

// InitSecurity creates the security tables that are absent, adds to the
// existing ones the required columns they lack (MissingSecurityColumns;
// nullable: existing rows read NULL), and, when m is given, stores the
// model, skipping rows whose key is already there (a Dataverse-shaped
// database keeps its own users, units and teams).
func InitSecurity(ctx context.Context, db *DB, prefix string, m *security.Model) error {
	missing, err := MissingSecurityColumns(ctx, db, prefix)
	if err != nil {
		return err
	}
	for _, c := range missing {
		if _, err := db.SQL.ExecContext(ctx, "ALTER TABLE "+db.quote(c.Table)+" ADD COLUMN "+db.quote(c.Column)+" "+c.Type); err != nil {
			return dbError(err, "")
		}
	}
	for _, stmt := range strings.Split(security.SchemaSQL(db.Dialect, prefix), ";\n") {
		if i := strings.Index(stmt, "CREATE TABLE"); i >= 0 {
			if _, err := db.SQL.ExecContext(ctx, stmt[i:]); err != nil {
				return dbError(err, "")
			}
		}
	}
	if m == nil {
		return nil
	}
	stored := security.Rows(m)
	for _, t := range security.Tables {
		present, err := presentColumns(ctx, db, prefix+t.Name, t.Columns)
		if err != nil {
			return err
		}
		var names, marks []string
		for i, c := range t.Columns {
			if !present[i] {
				continue
			}
			names = append(names, db.quote(c.Name))
			marks = append(marks, db.placeholder(len(marks)+1))
		}
		table := db.quote(prefix + t.Name)
		insert := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
		for _, r := range stored[t.Name] {
			var row []any // the values of the columns the table has
			for i, v := range r {
				if present[i] {
					row = append(row, v)
				} else if v != nil {
					return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, "security tables: %s has no column %s, which the model needs (add it to the table)", prefix+t.Name, t.Columns[i].Name)}.Err()
				}
			}
			// A row is there when its key is (link rows: its other columns).
			key, vals := names[:1], row[:1]
			if t.Link {
				key, vals = names[1:], row[1:]
			}
			var conds []string
			var args []any
			for i, k := range key {
				if vals[i] == nil {
					conds = append(conds, k+" IS NULL")
					continue
				}
				args = append(args, vals[i])
				conds = append(conds, k+" = "+db.placeholder(len(args)))
			}
			var n int64
			if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE "+strings.Join(conds, " AND "), args...).Scan(&n); err != nil {
				return dbError(err, "")
			}
			if n > 0 {
				continue
			}
			if _, err := db.SQL.ExecContext(ctx, insert, row...); err != nil {
				return dbError(err, "")
			}
		}
	}
	return nil
}

// DropSecurity drops the security tables that are not directory tables
// (those belong to the Dataverse-shaped data), for tests under a prefix.
func DropSecurity(ctx context.Context, db *DB, prefix string) error {
	if !prefixRE.MatchString(prefix) {
		return prefixError(prefix)
	}
	for _, t := range security.Tables {
		if t.Directory {
			continue
		}
		if _, err := db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+db.quote(prefix+t.Name)); err != nil {
			return dbError(err, "")
		}
	}
	return nil
}

// presentColumns says which of a table's security columns it has: all but
// the optional ones are assumed (reading a missing one fails with the
// database's error); an optional one is probed.
func presentColumns(ctx context.Context, db *DB, table string, cols []security.StoredColumn) ([]bool, error) {
	out := make([]bool, len(cols))
	for i, c := range cols {
		out[i] = true
		if !c.Optional {
			continue
		}
		ok, err := columnExists(ctx, db, table, c.Name)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}
