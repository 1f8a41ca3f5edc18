package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// MetadataTable is the optional table holding a metadata document: when a
// database has a table vecompile_metadata(document TEXT) with one row,
// Introspect returns that document's catalog instead of reading the
// schema, so that types SQL cannot tell apart (Money, Picklist, Owner,
// date-only text in SQLite) are exact.
const MetadataTable = "vecompile_metadata"

// IdempotencyTable is the table the adapter server keeps keyed creates in
// (server.Config.IdempotencyTable); introspection leaves it out.
const IdempotencyTable = "vecompile_idempotency"

// Introspect reads the catalog from the database's schema: the tables and
// views of the current schema (PostgreSQL), database (MySQL) or file
// (SQLite). Logical names are the lower-cased physical names; see the
// package documentation for the type mapping. Single-column foreign keys
// become 1:N relationships, and GUID columns holding one become Lookup
// columns; a self-referencing foreign key whose column name starts with
// "parent" is the table's hierarchical relationship.
func Introspect(ctx context.Context, db *DB) (plan.Catalog, error) {
	if doc, ok, err := metadataDocument(ctx, db); err != nil {
		return nil, err
	} else if ok {
		cat, err := ParseMetadata(MetadataTable, doc)
		if err != nil {
			return nil, err
		}
		if err := ProbeGuidStorage(ctx, db, cat); err != nil {
			return nil, err
		}
		return cat, nil
	}
	tables, known, err := readSchema(ctx, db)
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, db.errorf("introspection: unknown dialect %q", db.Dialect)
	}
	if err := findGuidColumns(ctx, db, tables); err != nil {
		return nil, err
	}
	cat := buildIntrospected(tables)
	if err := ProbeGuidStorage(ctx, db, cat); err != nil {
		return nil, err
	}
	return cat, nil
}

// readSchema reads the database's tables, columns and keys in its
// dialect's catalog; known is false for a dialect it cannot read.
func readSchema(ctx context.Context, db *DB) (tables []*introTable, known bool, err error) {
	switch db.Dialect {
	case SQLite:
		tables, err = introspectSQLite(ctx, db)
	case Postgres:
		tables, err = introspectPostgres(ctx, db)
	case MySQL:
		tables, err = introspectMySQL(ctx, db)
	default:
		return nil, false, nil
	}
	return tables, true, err
}

type introTable struct {
	name string
	cols []introCol
	pk   []string // in key order
	fks  []introFK
	// pkAt is SQLite's position of each pk column (pragma table_info's pk).
	pkAt map[string]int
}

type introCol struct {
	name, typ string
	guid      bool // holds GUIDs (declared type, key or lookup name, values)
}

type introFK struct {
	name, col, refTable, refCol string
	multi                       bool
	// group names the constraint a column of a multi-column foreign key
	// belongs to; its columns are listed in the constraint's order.
	group string
}

// queryRows runs q and hands each row's scanned strings to fn. Rows are
// read to the end before fn's caller issues another query, as an
// in-memory SQLite database has a single connection.
func queryRows(ctx context.Context, db *DB, q string, args []any, n int, fn func([]string)) error {
	rows, err := db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return dbError(err, "")
	}
	defer rows.Close()
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var all [][]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return dbError(err, "")
		}
		rec := make([]string, n)
		for i, v := range vals {
			if v != nil {
				rec[i] = toText(v)
			}
		}
		all = append(all, rec)
	}
	if err := rows.Err(); err != nil {
		return dbError(err, "")
	}
	rows.Close()
	for _, rec := range all {
		fn(rec)
	}
	return nil
}

type tableSet struct {
	list   []*introTable
	byName map[string]*introTable
}

func (s *tableSet) get(name string) *introTable {
	if s.byName == nil {
		s.byName = map[string]*introTable{}
	}
	t := s.byName[name]
	if t == nil {
		t = &introTable{name: name}
		s.byName[name] = t
		s.list = append(s.list, t)
	}
	return t
}

func introspectSQLite(ctx context.Context, db *DB) ([]*introTable, error) {
	var s tableSet
	err := queryRows(ctx, db, `SELECT m.name, p.name, p.type, p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY m.name, p.cid`, nil, 4, func(r []string) {
		t := s.get(r[0])
		t.cols = append(t.cols, introCol{name: r[1], typ: r[2]})
		if r[3] != "" && r[3] != "0" {
			t.pk = append(t.pk, r[1])
			if t.pkAt == nil {
				t.pkAt = map[string]int{}
			}
			t.pkAt[r[1]], _ = strconv.Atoi(r[3])
		}
	})
	if err != nil {
		return nil, err
	}
	for _, t := range s.list {
		sort.SliceStable(t.pk, func(i, j int) bool { return t.pkAt[t.pk[i]] < t.pkAt[t.pk[j]] })
	}
	type fkKey struct {
		table, id string
	}
	counts := map[fkKey]int{}
	var fks []struct {
		key fkKey
		fk  introFK
	}
	err = queryRows(ctx, db, `SELECT m.name, f.id, f."table", f."from", f."to" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq`, nil, 5, func(r []string) {
		k := fkKey{r[0], r[1]}
		counts[k]++
		fks = append(fks, struct {
			key fkKey
			fk  introFK
		}{k, introFK{col: r[3], refTable: r[2], refCol: r[4], group: r[1]}})
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fks {
		f.fk.multi = counts[f.key] > 1
		t := s.byName[f.key.table]
		if t != nil {
			t.fks = append(t.fks, f.fk)
		}
	}
	return s.list, nil
}

func introspectPostgres(ctx context.Context, db *DB) ([]*introTable, error) {
	var s tableSet
	err := queryRows(ctx, db, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`, nil, 3, func(r []string) {
		t := s.get(r[0])
		t.cols = append(t.cols, introCol{name: r[1], typ: r[2]})
	})
	if err != nil {
		return nil, err
	}
	err = queryRows(ctx, db, `SELECT c.relname, a.attname
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
WHERE k.contype = 'p' AND n.nspname = current_schema()
ORDER BY c.relname, array_position(k.conkey, a.attnum)`, nil, 2, func(r []string) {
		if t := s.byName[r[0]]; t != nil {
			t.pk = append(t.pk, r[1])
		}
	})
	if err != nil {
		return nil, err
	}
	err = queryRows(ctx, db, `SELECT c.relname, k.conname, a.attname, rc.relname, ra.attname, cardinality(k.conkey)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(att, ratt, ord)
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.att
JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.ratt
WHERE k.contype = 'f' AND n.nspname = current_schema() AND rn.nspname = current_schema()
ORDER BY c.relname, k.conname, u.ord`, nil, 6, func(r []string) {
		if t := s.byName[r[0]]; t != nil {
			t.fks = append(t.fks, introFK{name: r[1], col: r[2], refTable: r[3], refCol: r[4], multi: r[5] != "1", group: r[1]})
		}
	})
	if err != nil {
		return nil, err
	}
	return s.list, nil
}

func introspectMySQL(ctx context.Context, db *DB) ([]*introTable, error) {
	var s tableSet
	err := queryRows(ctx, db, `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`, nil, 4, func(r []string) {
		t := s.get(r[0])
		t.cols = append(t.cols, introCol{name: r[1], typ: r[2]})
	})
	if err != nil {
		return nil, err
	}
	err = queryRows(ctx, db, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`, nil, 2, func(r []string) {
		if t := s.byName[r[0]]; t != nil {
			t.pk = append(t.pk, r[1])
		}
	})
	if err != nil {
		return nil, err
	}
	type fkKey struct{ table, name string }
	counts := map[fkKey]int{}
	var fks []struct {
		key fkKey
		fk  introFK
	}
	err = queryRows(ctx, db, `SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, nil, 5, func(r []string) {
		k := fkKey{r[0], r[1]}
		counts[k]++
		fks = append(fks, struct {
			key fkKey
			fk  introFK
		}{k, introFK{name: r[1], col: r[2], refTable: r[3], refCol: r[4], group: r[1]}})
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fks {
		f.fk.multi = counts[f.key] > 1
		if t := s.byName[f.key.table]; t != nil {
			t.fks = append(t.fks, f.fk)
		}
	}
	return s.list, nil
}

// sqlTypeToPlan maps a declared SQL type to a Dataverse type.
func sqlTypeToPlan(decl string) (plan.Type, plan.DateBehavior) {
	t := strings.ToLower(strings.TrimSpace(decl))
	base, args, _ := strings.Cut(t, "(")
	args, _, _ = strings.Cut(args, ")")
	words := strings.Fields(base)
	if len(words) == 0 {
		return plan.TUnknown, plan.UserLocal
	}
	first := words[0]
	switch {
	case first == "uuid" || first == "uniqueidentifier" || first == "guid":
		return plan.TUniqueidentifier, plan.UserLocal
	case (first == "char" || first == "character" || first == "nchar") && len(words) == 1 && strings.TrimSpace(args) == "36":
		return plan.TUniqueidentifier, plan.UserLocal
	case first == "tinyint" && strings.TrimSpace(args) == "1", first == "bool", first == "boolean":
		return plan.TBoolean, plan.UserLocal
	case first == "bit" && (args == "" || strings.TrimSpace(args) == "1"):
		return plan.TBoolean, plan.UserLocal
	}
	switch first {
	case "bigint", "int8", "bigserial", "serial8":
		return plan.TBigInt, plan.UserLocal
	case "int", "integer", "int4", "int2", "smallint", "mediumint", "tinyint", "serial", "serial4", "smallserial", "serial2":
		return plan.TInteger, plan.UserLocal
	case "numeric", "decimal", "dec", "fixed", "number":
		return plan.TDecimal, plan.UserLocal
	case "money", "smallmoney":
		return plan.TMoney, plan.UserLocal
	case "double", "float", "float4", "float8", "real":
		return plan.TDouble, plan.UserLocal
	case "date":
		return plan.TDateTime, plan.DateOnly
	case "datetime", "timestamp", "timestamptz", "datetime2", "smalldatetime", "datetimeoffset":
		return plan.TDateTime, plan.UserLocal
	case "text", "varchar", "character", "char", "nvarchar", "nchar", "varchar2", "nvarchar2", "clob", "tinytext",
		"mediumtext", "longtext", "ntext", "string", "citext", "name", "enum", "set", "json", "jsonb":
		return plan.TString, plan.UserLocal
	}
	return plan.TUnknown, plan.UserLocal
}

// declaredLimits reads the limits a declared SQL type carries into c:
// VARCHAR(n)'s length, NUMERIC(p,s)'s digits and decimal places, so that
// written values are checked as the database would check them (SQLite,
// which checks nothing, included).
func declaredLimits(c *plan.Column, decl string) {
	base, args, ok := strings.Cut(strings.ToLower(decl), "(")
	if !ok {
		return
	}
	args, _, _ = strings.Cut(args, ")")
	var nums []int
	for _, a := range strings.Split(args, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err != nil || n < 0 {
			return
		}
		nums = append(nums, n)
	}
	switch {
	case c.Type == plan.TString && strings.Contains(base, "char") && len(nums) == 1 && nums[0] > 0:
		c.MaxLength = nums[0]
	case c.Type == plan.TDecimal && len(nums) >= 1 && nums[0] > 0:
		c.Digits = nums[0]
		c.HasPrecision = true
		if len(nums) == 2 && nums[1] <= nums[0] {
			c.Precision = nums[1]
		}
	}
}

func buildIntrospected(tables []*introTable) plan.MapCatalog {
	byName := map[string]*introTable{}
	var keep []*introTable
	for _, t := range tables {
		k := strings.ToLower(t.name)
		if k == MetadataTable || strings.HasSuffix(k, IdempotencyTable) || strings.HasPrefix(k, plan.KeyMapTableName("")) || byName[k] != nil {
			continue
		}
		byName[k] = t
		keep = append(keep, t)
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].name < keep[j].name })
	// vid: the virtual id of a table keyed by a string or several columns
	// (keyMapParts), exposed through its key map.
	vid := map[*introTable]string{}
	for _, t := range keep {
		if keyMapParts(t) != nil {
			vid[t] = keyMapIDName(t)
		}
	}
	pkOf := func(t *introTable) string {
		if id := vid[t]; id != "" {
			return id
		}
		if len(t.pk) == 1 {
			return strings.ToLower(t.pk[0])
		}
		if len(t.pk) == 0 {
			want := strings.ToLower(t.name) + "id"
			for _, c := range t.cols {
				if strings.ToLower(c.name) == want {
					return want
				}
			}
		}
		return ""
	}
	// intKey: the table's single-column primary key is an integer, exposed
	// as GUIDs (plan.GuidInteger).
	intKey := func(t *introTable) bool {
		if t == nil || len(t.pk) != 1 {
			return false
		}
		for _, c := range t.cols {
			if strings.EqualFold(c.name, t.pk[0]) {
				typ, _ := sqlTypeToPlan(c.typ)
				return typ.Kind() == plan.KInt
			}
		}
		return false
	}
	rels := map[string][]*plan.Relationship{}
	lookups := map[string]string{} // "table.column" → target table logical name
	keyLookups := map[*introTable][]keyLookup{}
	for _, t := range keep {
		logical := strings.ToLower(t.name)
		hier := false
		for _, fk := range t.fks {
			target := byName[strings.ToLower(fk.refTable)]
			if target != nil && vid[target] != "" {
				continue // a key-map lookup (keyLookupsOf)
			}
			if fk.multi || target == nil {
				continue
			}
			tlogical := strings.ToLower(target.name)
			refCol := strings.ToLower(fk.refCol)
			if refCol == "" {
				if refCol = pkOf(target); refCol == "" {
					continue
				}
			}
			col := strings.ToLower(fk.col)
			name := fk.name
			if name == "" {
				name = tlogical + "_" + logical + "_" + col
			}
			r := &plan.Relationship{
				SchemaName: name, Kind: plan.OneToMany,
				ReferencedTable: tlogical, ReferencedColumn: refCol,
				ReferencingTable: logical, ReferencingColumn: col,
			}
			if tlogical == logical && strings.HasPrefix(col, "parent") && !hier {
				r.Hierarchical, hier = true, true
			}
			rels[logical] = append(rels[logical], r)
			if tlogical != logical {
				rels[tlogical] = append(rels[tlogical], r)
			}
			if _, dup := lookups[logical+"."+col]; !dup {
				lookups[logical+"."+col] = tlogical
			}
		}
	}
	for _, t := range keep {
		logical := strings.ToLower(t.name)
		for _, kl := range keyLookupsOf(t, byName, vid) {
			tlogical := strings.ToLower(kl.target.name)
			r := &plan.Relationship{
				SchemaName: kl.schema, Kind: plan.OneToMany,
				ReferencedTable: tlogical, ReferencedColumn: vid[kl.target],
				ReferencingTable: logical, ReferencingColumn: kl.name,
			}
			rels[logical] = append(rels[logical], r)
			if tlogical != logical {
				rels[tlogical] = append(rels[tlogical], r)
			}
			keyLookups[t] = append(keyLookups[t], kl)
		}
	}
	// Lookups without foreign keys, by Dataverse's naming.
	named := map[string][]string{} // "table.column" → targets
	for _, t := range keep {
		logical := strings.ToLower(t.name)
		pk := pkOf(t)
		for _, c := range t.cols {
			cl := strings.ToLower(c.name)
			if !c.guid || cl == pk {
				continue
			}
			if _, done := lookups[logical+"."+cl]; done {
				continue
			}
			targets := lookupTargetsByName(logical, cl, byName, pkOf)
			if len(targets) == 0 {
				continue
			}
			named[logical+"."+cl] = targets
			hier := false
			for _, r := range rels[logical] {
				hier = hier || r.Hierarchical
			}
			for _, target := range targets {
				r := &plan.Relationship{
					SchemaName: target + "_" + logical + "_" + cl, Kind: plan.OneToMany,
					ReferencedTable: target, ReferencedColumn: pkOf(byName[target]),
					ReferencingTable: logical, ReferencingColumn: cl,
				}
				if target == logical && cl == "parent"+logical+"id" && !hier {
					r.Hierarchical = true
				}
				rels[logical] = append(rels[logical], r)
				if target != logical {
					rels[target] = append(rels[target], r)
				}
			}
		}
	}
	cat := plan.MapCatalog{}
	for _, t := range keep {
		logical := strings.ToLower(t.name)
		pk := pkOf(t)
		nt := plan.Table{
			LogicalName:   logical,
			PhysicalName:  t.name,
			EntitySetName: pluralize(logical),
			PrimaryKey:    pk,
			Relationships: rels[logical],
		}
		names := map[string]bool{}
		for _, c := range t.cols {
			cl := strings.ToLower(c.name)
			if names[cl] {
				continue
			}
			names[cl] = true
			typ, beh := sqlTypeToPlan(c.typ)
			if c.guid {
				typ = plan.TUniqueidentifier
			}
			col := &plan.Column{LogicalName: cl, PhysicalName: c.name, Type: typ, DateBehavior: beh}
			declaredLimits(col, c.typ)
			if cl == pk && intKey(t) {
				// An integer key: exposed as GUIDs (Edm.Guid), stored as is.
				col.Type, col.Guid, col.GuidDeclared = plan.TUniqueidentifier, plan.GuidInteger, true
			}
			target, isFK := lookups[logical+"."+cl]
			if isFK && cl != pk && typ.Kind() == plan.KInt && intKey(byName[target]) {
				// A foreign key to an integer key: a lookup holding the integer.
				col.Type, col.Targets, col.Guid, col.GuidDeclared = plan.TLookup, []string{target}, plan.GuidInteger, true
			} else if isFK && cl != pk && typ == plan.TUniqueidentifier {
				col.Type, col.Targets = plan.TLookup, []string{target}
			} else if targets, ok := named[logical+"."+cl]; ok {
				col.Type, col.Targets = lookupType(cl), targets
			}
			nt.Columns = append(nt.Columns, col)
		}
		if id := vid[t]; id != "" {
			// The id of a string or composite key: virtual (BindKeyMap).
			nt.Columns = append(nt.Columns, &plan.Column{LogicalName: id, Type: plan.TUniqueidentifier})
		}
		for _, kl := range keyLookups[t] {
			nt.Columns = append(nt.Columns, &plan.Column{LogicalName: kl.name, Type: plan.TLookup, Targets: []string{strings.ToLower(kl.target.name)}})
		}
		nt.PrimaryName = conventionalPrimaryName(logical, func(c string) bool { return names[c] })
		cat.Add(plan.NewTable(nt))
	}
	for _, t := range keep { // keys first, then the lookups holding them
		if id := vid[t]; id != "" {
			nt, _ := cat.Table(strings.ToLower(t.name))
			c, _ := nt.Column(id)
			if BindKeyMap(cat, nt, c, lowerAll(keyMapParts(t))) != nil {
				nt.PrimaryKey, c.IsPrimaryKey = "", false // cannot happen: keyMapParts checked the parts
			}
		}
	}
	for _, t := range keep {
		nt, _ := cat.Table(strings.ToLower(t.name))
		for _, kl := range keyLookups[t] {
			c, _ := nt.Column(kl.name)
			if BindKeyMap(cat, nt, c, kl.cols) != nil {
				c.Type, c.Targets = plan.TUniqueidentifier, nil
			}
		}
	}
	return cat
}

// keyMapParts are the key columns of a table whose primary key is one
// string column or several string and integer columns (none holding
// GUIDs), in key order: exposed with a virtual id through a key map. Nil
// for any other table.
func keyMapParts(t *introTable) []string {
	if len(t.pk) == 0 {
		return nil
	}
	for _, name := range t.pk {
		var col *introCol
		for i := range t.cols {
			if strings.EqualFold(t.cols[i].name, name) {
				col = &t.cols[i]
			}
		}
		if col == nil || col.guid {
			return nil
		}
		typ, _ := sqlTypeToPlan(col.typ)
		k, ok := plan.KeyPartKind(typ)
		if !ok || (len(t.pk) == 1 && k != plan.KString) {
			return nil
		}
	}
	return t.pk
}

// keyMapIDName is the virtual id of a key-map table: <table>id, or
// <table>_keyid when a column has that name (a string key named so).
func keyMapIDName(t *introTable) string {
	name := strings.ToLower(t.name) + "id"
	for _, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return strings.ToLower(t.name) + "_keyid"
		}
	}
	return name
}

// keyLookup is a foreign key to a key-map table, exposed as a virtual
// lookup holding the target's id.
type keyLookup struct {
	name, schema string
	target       *introTable
	cols         []string // the foreign key's columns (logical), in the target key's order
}

// keyLookupsOf lists t's foreign keys to key-map tables (vid) that
// reference the whole key: each a virtual lookup named <target>id, or
// <first column>_<target>id when that name is taken.
func keyLookupsOf(t *introTable, byName map[string]*introTable, vid map[*introTable]string) []keyLookup {
	type group struct {
		target   *introTable
		schema   string
		cols     []string
		refCols  []string
		multiple bool
	}
	var groups []*group
	at := map[string]*group{}
	for _, fk := range t.fks {
		target := byName[strings.ToLower(fk.refTable)]
		if target == nil || vid[target] == "" {
			continue
		}
		key := fk.group + "\x00" + fk.refTable
		if !fk.multi {
			key = "\x00single\x00" + fk.col + "\x00" + fk.refTable
		}
		g := at[key]
		if g == nil {
			g = &group{target: target, schema: fk.name}
			at[key] = g
			groups = append(groups, g)
		}
		g.cols = append(g.cols, strings.ToLower(fk.col))
		g.refCols = append(g.refCols, fk.refCol)
	}
	used := map[string]bool{}
	for _, c := range t.cols {
		used[strings.ToLower(c.name)] = true
	}
	if id := vid[t]; id != "" {
		used[id] = true
	}
	var out []keyLookup
	for _, g := range groups {
		parts := keyMapParts(g.target)
		if len(parts) != len(g.cols) {
			continue
		}
		var ordered []string
		for _, p := range parts {
			i := slices.IndexFunc(g.refCols, func(rc string) bool { return rc == "" && len(parts) == 1 || strings.EqualFold(rc, p) })
			if i < 0 {
				break
			}
			ordered = append(ordered, g.cols[i])
		}
		if len(ordered) != len(parts) {
			continue
		}
		tlogical := strings.ToLower(g.target.name)
		name := tlogical + "id"
		if used[name] {
			name = ordered[0] + "_" + tlogical + "id"
		}
		if used[name] {
			continue
		}
		used[name] = true
		schema := g.schema
		if schema == "" {
			schema = tlogical + "_" + strings.ToLower(t.name) + "_" + name
		}
		out = append(out, keyLookup{name: name, schema: schema, target: g.target, cols: ordered})
	}
	return out
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToLower(x)
	}
	return out
}

// tableExists reports whether the current schema has a table or view.
func tableExists(ctx context.Context, db *DB, name string) (bool, error) {
	var q string
	switch db.Dialect {
	case SQLite:
		q = `SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND lower(name) = lower(?)`
	case Postgres:
		q = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')`
	case MySQL:
		q = `SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`
	default:
		return false, db.errorf("unknown dialect %q", db.Dialect)
	}
	var n int64
	if err := db.SQL.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, dbError(err, "")
	}
	return n > 0, nil
}

// columnExists reports whether table (which exists) has the column.
func columnExists(ctx context.Context, db *DB, table, column string) (bool, error) {
	var q string
	switch db.Dialect {
	case SQLite:
		q = `SELECT count(*) FROM pragma_table_info(?) WHERE lower(name) = lower(?)`
	case Postgres:
		q = `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`
	case MySQL:
		q = `SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`
	default:
		return false, db.errorf("unknown dialect %q", db.Dialect)
	}
	var n int64
	if err := db.SQL.QueryRowContext(ctx, q, table, column).Scan(&n); err != nil {
		return false, dbError(err, "")
	}
	return n > 0, nil
}

// metadataDocument reads the document of the vecompile_metadata table.
func metadataDocument(ctx context.Context, db *DB) ([]byte, bool, error) {
	ok, err := tableExists(ctx, db, MetadataTable)
	if err != nil || !ok {
		return nil, false, err
	}
	var docs []string
	err = queryRows(ctx, db, "SELECT document FROM "+db.quote(MetadataTable), nil, 1, func(r []string) {
		if strings.TrimSpace(r[0]) != "" {
			docs = append(docs, r[0])
		}
	})
	if err != nil {
		return nil, false, err
	}
	switch len(docs) {
	case 0:
		return nil, false, nil
	case 1:
		return []byte(docs[0]), true, nil
	}
	return nil, false, diag.ErrorList{&diag.Error{Code: diag.BadMetadataFile, Msg: MetadataTable + " holds more than one document: keep one row"}}.Err()
}

// Dataverse's column names for lookups whose target the name does not
// spell: owners, customers and the system columns.
var namedLookups = map[string][]string{
	"ownerid":            {"systemuser", "team"},
	"owninguser":         {"systemuser"},
	"owningteam":         {"team"},
	"owningbusinessunit": {"businessunit"},
	"createdby":          {"systemuser"},
	"modifiedby":         {"systemuser"},
	"createdonbehalfby":  {"systemuser"},
	"modifiedonbehalfby": {"systemuser"},
	"customerid":         {"account", "contact"},
	"parentcustomerid":   {"account", "contact"},
}

// lookupTargetsByName infers the targets of GUID column col of table from
// Dataverse's naming, among the tables that exist and have a primary key:
// namedLookups; parent<table>id (the table's own hierarchy); otherwise
// <target>id for the longest table name that ends the column's name
// (primarycontactid → contact, transactioncurrencyid →
// transactioncurrency).
func lookupTargetsByName(table, col string, tables map[string]*introTable, pkOf func(*introTable) string) []string {
	exists := func(name string) bool { t := tables[name]; return t != nil && pkOf(t) != "" }
	if names, ok := namedLookups[col]; ok {
		var out []string
		for _, n := range names {
			if exists(n) {
				out = append(out, n)
			}
		}
		return out
	}
	if col == "parent"+table+"id" && exists(table) {
		return []string{table}
	}
	base, ok := strings.CutSuffix(col, "id")
	if !ok {
		return nil
	}
	best := ""
	for name := range tables {
		if strings.HasSuffix(base, name) && len(name) > len(best) && exists(name) && pkOf(tables[name]) == name+"id" {
			best = name
		}
	}
	if best == "" {
		return nil
	}
	return []string{best}
}

// lookupType is the attribute type of a lookup found by name: owners are
// Owner, customers Customer, the rest Lookup.
func lookupType(col string) plan.Type {
	switch col {
	case "ownerid":
		return plan.TOwner
	case "customerid", "parentcustomerid":
		return plan.TCustomer
	}
	return plan.TLookup
}

// guidSample bounds the rows findGuidColumns reads per table.
const guidSample = 50

// findGuidColumns marks the columns that hold GUIDs: a GUID type
// (uuid, uniqueidentifier, char(36)), or, for text and binary columns,
// values that are all GUIDs (text in any case, with or without braces, or
// 16 bytes) among the first rows of the table; in an empty table a column
// named as a key or a lookup (<table>id, ownerid, …) with a text type.
func findGuidColumns(ctx context.Context, db *DB, tables []*introTable) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if strings.EqualFold(t.name, MetadataTable) {
			continue
		}
		var cand []int
		for i := range t.cols {
			c := &t.cols[i]
			typ, _ := sqlTypeToPlan(c.typ)
			switch {
			case typ == plan.TUniqueidentifier:
				c.guid = true
			case typ == plan.TString || typ == plan.TUnknown:
				if guidCandidateType(c.typ) {
					cand = append(cand, i)
				}
			}
		}
		if len(cand) == 0 {
			continue
		}
		cols := make([]string, len(cand))
		for i, k := range cand {
			cols[i] = db.quote(t.cols[k].name)
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM " + db.quote(t.name) + " LIMIT " + fmt.Sprint(guidSample)
		seen := make([]int, len(cand))
		bad := make([]bool, len(cand))
		err := queryRows(ctx, db, q, nil, len(cand), func(r []string) {
			for i, v := range r {
				if v == "" {
					continue
				}
				seen[i]++
				if _, ok := readGUID(v); !ok {
					bad[i] = true
				}
			}
		})
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr // cancelled or past its deadline: not a changed table
			}
			// The table changed since the schema was read (a database
			// others work in): judge by names alone.
			seen = make([]int, len(cand))
		}
		for i, k := range cand {
			c := &t.cols[k]
			switch {
			case seen[i] > 0:
				c.guid = !bad[i]
			default:
				c.guid = guidName(t.name, c.name) && !strings.Contains(strings.ToLower(c.typ), "blob")
			}
		}
	}
	return nil
}

// guidCandidateType: text and binary types can hold GUIDs; long texts
// and JSON are not read.
func guidCandidateType(decl string) bool {
	d := strings.ToLower(decl)
	for _, w := range []string{"json", "clob", "longtext", "mediumtext"} {
		if strings.Contains(d, w) {
			return false
		}
	}
	return d == "" || strings.Contains(d, "char") || strings.Contains(d, "text") || strings.Contains(d, "uniqueidentifier") ||
		strings.Contains(d, "blob") || strings.Contains(d, "binary(16)") || d == "bytea" || strings.HasPrefix(d, "guid")
}

// guidName: a column named as Dataverse names keys and lookups.
func guidName(table, col string) bool {
	t, c := strings.ToLower(table), strings.ToLower(col)
	if c == t+"id" {
		return true
	}
	if _, ok := namedLookups[c]; ok {
		return true
	}
	return false
}

// conventionalPrimaryName is a table's primary name attribute by Dataverse's
// conventions, for sources that do not say (a database, a $metadata
// document): name, fullname, <prefix>_name for a custom table, title,
// subject; "" when the table has none of them.
func conventionalPrimaryName(logical string, has func(string) bool) string {
	prefix, _, hasPrefix := strings.Cut(logical, "_")
	for _, cand := range []string{"name", "fullname", prefix + "_name", "title", "subject"} {
		if cand == prefix+"_name" && !hasPrefix {
			continue
		}
		if has(cand) {
			return cand
		}
	}
	return ""
}
