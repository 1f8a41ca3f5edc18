package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// ProbeGuidStorage sets the storage form (plan.Column.Guid) of every GUID
// column of cat that the metadata did not declare (GuidDeclared), from
// the database: a native type (PostgreSQL uuid, MariaDB UUID) is
// GuidNative; PostgreSQL bytea and MySQL BINARY(16) / VARBINARY(16) are
// GuidBinary; other columns are read, one statement per table scanning
// the first GuidProbeRows rows of the table, and are GuidBinary when
// SQLite stores blobs in them, otherwise GuidUpper, GuidAnyCase or
// GuidLower by the case of the hex letters they hold (an empty column is
// GuidLower, the canonical form). A SQLite column holding both text and
// blobs is refused.
//
// The probe is a bounded sample, so that opening a large database costs
// at most GuidProbeRows rows per table with GUID text columns: it is exact
// for a table of at most that many rows; past them it assumes the rest
// are stored as the sample is (one application writes a column's GUIDs
// one way), and a row in another case would not match an upper- or
// lower-case comparison. A metadata file that declares "guidStorage"
// ("anycase" where the cases are mixed) skips the probe.
//
// Only a plan.MapCatalog is probed; its columns are updated in place, so
// call it before the catalog is shared. Tables and columns the database
// lacks are left as they are.
func ProbeGuidStorage(ctx context.Context, db *DB, cat plan.Catalog) error {
	m, ok := cat.(plan.MapCatalog)
	if !ok || db == nil {
		return nil
	}
	tables, known, err := readSchema(ctx, db)
	if err != nil || !known {
		return err
	}
	physical := map[string]*introTable{}
	for _, t := range tables {
		physical[strings.ToLower(t.name)] = t
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		t := m[name]
		pt := physical[strings.ToLower(t.PhysicalName)]
		if pt == nil {
			continue
		}
		var scan []*plan.Column
		for _, c := range t.Columns {
			if c.Type.Kind() != plan.KGuid || c.GuidDeclared {
				continue
			}
			decl, ok := pt.colType(c.PhysicalName)
			if !ok {
				continue
			}
			if g, ok := guidStorageOfType(db.Dialect, decl); ok {
				c.Guid = g
				continue
			}
			scan = append(scan, c)
		}
		if len(scan) > 0 {
			if err := probeGuidValues(ctx, db, t, scan); err != nil {
				// A table dropped since the schema was read (a database
				// others work in) is not an error: it has nothing to probe.
				if exists, xerr := tableExists(ctx, db, t.PhysicalName); xerr == nil && !exists {
					continue
				}
				return err
			}
		}
	}
	return nil
}

func (t *introTable) colType(name string) (string, bool) {
	for _, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return c.typ, true
		}
	}
	return "", false
}

// guidStorageOfType is the form a declared type fixes, if any.
func guidStorageOfType(dialect, decl string) (plan.GuidStorage, bool) {
	t := strings.ToLower(strings.TrimSpace(decl))
	switch dialect {
	case Postgres:
		switch t {
		case "uuid":
			return plan.GuidNative, true
		case "bytea":
			return plan.GuidBinary, true
		}
	case MySQL:
		switch t {
		case "uuid":
			return plan.GuidNative, true
		case "binary(16)", "varbinary(16)":
			return plan.GuidBinary, true
		}
	}
	// SQLite's declared type is an affinity, not a storage: read the values.
	return 0, false
}

// probeGuidValues reads, in one scan of t, whether each column holds
// upper-case letters, lower-case letters, blobs and text.
// GuidProbeRows bounds the rows ProbeGuidStorage reads per table.
const GuidProbeRows = 1000

func probeGuidValues(ctx context.Context, db *DB, t *plan.Table, cols []*plan.Column) error {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		q := db.quote(c.PhysicalName)
		switch db.Dialect {
		case SQLite:
			// GLOB is native and case-sensitive; lower() and upper() are
			// Go functions on vecompile's connections, ten times slower.
			fmt.Fprintf(&b, "MAX(CASE WHEN typeof(%[1]s) = 'text' AND %[1]s GLOB '*[A-Z]*' THEN 1 ELSE 0 END), "+
				"MAX(CASE WHEN typeof(%[1]s) = 'text' AND %[1]s GLOB '*[a-z]*' THEN 1 ELSE 0 END), "+
				"MAX(CASE WHEN typeof(%[1]s) = 'blob' THEN 1 ELSE 0 END), MAX(CASE WHEN typeof(%[1]s) = 'text' THEN 1 ELSE 0 END)", q)
		case MySQL:
			// A case-insensitive collation would call 'A' = 'a': compare bytes.
			fmt.Fprintf(&b, "MAX(CASE WHEN CAST(%[1]s AS BINARY) <> CAST(LOWER(%[1]s) AS BINARY) THEN 1 ELSE 0 END), "+
				"MAX(CASE WHEN CAST(%[1]s AS BINARY) <> CAST(UPPER(%[1]s) AS BINARY) THEN 1 ELSE 0 END), 0, 0", q)
		default:
			fmt.Fprintf(&b, "MAX(CASE WHEN CAST(%[1]s AS TEXT) <> LOWER(CAST(%[1]s AS TEXT)) THEN 1 ELSE 0 END), "+
				"MAX(CASE WHEN CAST(%[1]s AS TEXT) <> UPPER(CAST(%[1]s AS TEXT)) THEN 1 ELSE 0 END), 0, 0", q)
		}
	}
	b.WriteString(" FROM (SELECT * FROM ")
	b.WriteString(db.quote(t.PhysicalName))
	fmt.Fprintf(&b, " LIMIT %d) AS %s", GuidProbeRows, db.quote("probe"))
	var rec []string
	if err := queryRows(ctx, db, b.String(), nil, 4*len(cols), func(r []string) { rec = r }); err != nil {
		return err
	}
	if rec == nil {
		return nil
	}
	for i, c := range cols {
		upper, lower, blob, text := rec[4*i] == "1", rec[4*i+1] == "1", rec[4*i+2] == "1", rec[4*i+3] == "1"
		switch {
		case blob && text:
			return diag.ErrorList{&diag.Error{Code: diag.BadMetadataFile, Msg: fmt.Sprintf(
				"column %s.%s holds GUIDs both as text and as blobs; store one form, or declare \"guidStorage\" in a metadata file (--metadata)", t.PhysicalName, c.PhysicalName)}}.Err()
		case blob:
			c.Guid = plan.GuidBinary
		case upper && lower:
			c.Guid = plan.GuidAnyCase
		case upper:
			c.Guid = plan.GuidUpper
		default:
			c.Guid = plan.GuidLower
		}
	}
	return nil
}
