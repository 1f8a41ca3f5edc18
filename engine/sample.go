package engine

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// The sample database: metadata.json (the schema, in the metadata format),
// data.sql (the rows, as portable INSERT statements) and schema.sql (the
// SQLite DDL generated from metadata.json, for reading; a test keeps it in
// sync).
var (
	//go:embed sampledata/metadata.json
	sampleMetadata []byte
	//go:embed sampledata/data.sql
	sampleData []byte
)

// Well-known records of the sample.
const (
	// SampleCEOID is María García, top of the manager chain (business unit
	// Contoso, the root).
	SampleCEOID = "aa000000-0000-4000-8000-000000000001"
	// SampleManagerID is John Smith (Contoso Sales): two direct reports,
	// five users within two levels; member of the Contoso Sales and Key
	// Accounts teams.
	SampleManagerID = "aa000000-0000-4000-8000-000000000002"
	// SampleRepID is Sam Taylor (Contoso Sales), who manages nobody.
	SampleRepID = "aa000000-0000-4000-8000-000000000009"
	// SampleParentAccountID is Contoso Ltd, root of an account hierarchy:
	// Contoso Pharmaceuticals and Contoso Retail below it, Contoso Retail
	// Seattle below Contoso Retail.
	SampleParentAccountID = "acc00000-0000-4000-8000-000000000001"
)

// SampleUsers maps handles to sample user ids, for tests and examples:
// "ceo" (María García), "manager" (John Smith), "rep" (Sam Taylor),
// "europe" (Björn Larsson, who manages the Sales Europe users), "service"
// (Zoë Müller) and "integration" (a disabled application user).
var SampleUsers = map[string]string{
	"ceo":         SampleCEOID,
	"manager":     SampleManagerID,
	"rep":         SampleRepID,
	"europe":      "aa000000-0000-4000-8000-000000000005",
	"service":     "aa000000-0000-4000-8000-000000000003",
	"integration": "aa000000-0000-4000-8000-00000000000a",
}

// OpenSample creates a fresh in-memory SQLite database holding the sample
// and returns it with its catalog.
func OpenSample(ctx context.Context) (*DB, plan.Catalog, error) {
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		return nil, nil, err
	}
	cat, err := LoadFixture(ctx, db, "")
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, cat, nil
}

// SampleCatalog is the sample's catalog with table physical names
// prefixed by prefix, without a database.
func SampleCatalog(prefix string) (plan.Catalog, error) {
	doc, err := sampleDoc()
	if err != nil {
		return nil, err
	}
	return doc.catalog(prefix, diag.NewSource("sampledata/metadata.json", sampleMetadata))
}

func sampleDoc() (*metaDoc, error) {
	doc, _, err := parseMetaDoc("sampledata/metadata.json", sampleMetadata)
	if err != nil {
		return nil, err
	}
	r := &treeReader{src: diag.NewSource("sampledata/metadata.json", sampleMetadata), code: diag.BadMetadataFile}
	doc.resolve(r)
	return doc, r.errs.Err()
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

func prefixError(prefix string) error {
	return diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("fixture table prefix %q: use letters, digits and underscores", prefix)}}.Err()
}

// DropFixture drops the sample's tables created by LoadFixture with prefix,
// and the optional directory tables (position) InitSecurity added.
func DropFixture(ctx context.Context, db *DB, prefix string) error {
	if !prefixRE.MatchString(prefix) {
		return prefixError(prefix)
	}
	doc, err := sampleDoc()
	if err != nil {
		return err
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return dbError(err, "")
	}
	defer conn.Close()
	for _, q := range sampleDDL(doc, db.Dialect, prefix, FixtureForm{}).drop {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return db.errorf("dropping the sample: %v\n%s", err, q)
		}
	}
	// InitSecurity adds the optional directory tables the sample lacks
	// (position, which systemuser refers to): they go with the sample.
	for _, t := range security.Tables {
		if t.Directory && t.Optional {
			if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+db.quote(prefix+t.Name)); err != nil {
				return db.errorf("dropping the sample: %v", err)
			}
		}
	}
	return nil
}

// LoadFixture creates the sample's tables in db (SQLite, PostgreSQL or
// MySQL/MariaDB), dropping any that exist, and loads the sample rows. Table
// names get prefix (letters, digits and underscores), so that tests sharing
// a database do not clash; the returned catalog's physical names carry it.
// Types per dialect: GUIDs are CHAR(36) (PostgreSQL uuid), datetimes
// DATETIME (PostgreSQL timestamp), dates DATE, money DECIMAL(19,4),
// booleans BOOLEAN (MySQL TINYINT(1)); MySQL tables are utf8mb4_bin.
func LoadFixture(ctx context.Context, db *DB, prefix string) (plan.Catalog, error) {
	return LoadFixtureForm(ctx, db, prefix, FixtureForm{})
}

// FixtureForm is how LoadFixtureForm stores the sample, to try vecompile
// on data shaped as other tools write it. The zero value is LoadFixture's
// form.
type FixtureForm struct {
	// Guid is the GUIDs' storage: GuidLower (the default: CHAR(36), on
	// PostgreSQL uuid), GuidUpper (upper-case text, as SQL Server exports
	// them), GuidAnyCase (upper case in every other row), GuidNative
	// (PostgreSQL uuid, MariaDB UUID) or GuidBinary (16 bytes: SQLite
	// BLOB, MySQL BINARY(16), PostgreSQL bytea).
	Guid plan.GuidStorage
	// GuidType is the GUID columns' declared SQL type; empty: the form's
	// usual one (upper and any case CHAR(36), on PostgreSQL TEXT).
	GuidType string
	// NoForeignKeys leaves the foreign keys out, as exports do.
	NoForeignKeys bool
	// Probe returns the catalog with the GUID storage forms read from the
	// database (ProbeGuidStorage), as vecompile does when it opens a
	// database with a metadata file; otherwise they are set from Guid.
	Probe bool
}

// guidType is the GUID columns' SQL type.
func (f FixtureForm) guidType(dialect string) string {
	if f.GuidType != "" {
		return f.GuidType
	}
	switch {
	case f.Guid == plan.GuidBinary && dialect == Postgres:
		return "BYTEA"
	case f.Guid == plan.GuidBinary && dialect == MySQL:
		return "BINARY(16)"
	case f.Guid == plan.GuidBinary:
		return "BLOB"
	case f.Guid == plan.GuidNative, f.Guid == plan.GuidLower && dialect == Postgres:
		return "UUID"
	case dialect == Postgres:
		return "TEXT"
	}
	return "CHAR(36)"
}

// guidValue is a sample GUID as the form stores it in row j.
func (f FixtureForm) guidValue(g string, row int) any {
	switch f.Guid {
	case plan.GuidAnyCase:
		if row%2 == 1 {
			return plan.GuidUpper.Bind(g)
		}
		return g
	case plan.GuidUpper, plan.GuidBinary:
		return f.Guid.Bind(g)
	}
	return g
}

// LoadFixtureForm is LoadFixture storing the sample in form f.
func LoadFixtureForm(ctx context.Context, db *DB, prefix string, f FixtureForm) (plan.Catalog, error) {
	cat, err := loadFixture(ctx, db, prefix, f)
	if err != nil {
		return nil, err
	}
	if f.Probe {
		// After loadFixture released its connection: an in-memory SQLite
		// database has one.
		if err := ProbeGuidStorage(ctx, db, cat); err != nil {
			return nil, err
		}
		return cat, nil
	}
	if f != (FixtureForm{}) {
		for _, t := range cat {
			for _, c := range t.Columns {
				if c.Type.Kind() == plan.KGuid {
					c.Guid = f.Guid
				}
			}
		}
	}
	return cat, nil
}

func loadFixture(ctx context.Context, db *DB, prefix string, f FixtureForm) (plan.MapCatalog, error) {
	if !prefixRE.MatchString(prefix) {
		return nil, prefixError(prefix)
	}
	doc, err := sampleDoc()
	if err != nil {
		return nil, err
	}
	inserts, err := parseDataSQL(sampleData)
	if err != nil {
		return nil, err
	}
	r := &treeReader{code: diag.BadMetadataFile}
	cat := doc.build(prefix, r)
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, dbError(err, "")
	}
	defer conn.Close()
	exec := func(q string, args ...any) error {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return db.errorf("loading the sample: %v\n%s", err, q)
		}
		return nil
	}
	ddl := sampleDDL(doc, db.Dialect, prefix, f)
	for _, q := range ddl.drop {
		if err := exec(q); err != nil {
			return nil, err
		}
	}
	for _, q := range ddl.create {
		if err := exec(q); err != nil {
			return nil, err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbError(err, "")
	}
	for _, ins := range inserts {
		q, args, err := ins.statement(doc, db, prefix, f)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			tx.Rollback()
			return nil, db.errorf("loading the sample into %s: %v", ins.table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, dbError(err, "")
	}
	for _, q := range ddl.after {
		if err := exec(q); err != nil {
			return nil, err
		}
	}
	return cat, nil
}

// fixtureDDL is the statements that (re)create the sample's tables.
type fixtureDDL struct {
	drop   []string
	create []string
	after  []string // constraints added once the rows are in
}

// foreignKey is one single-column foreign key of the generated schema.
type foreignKey struct {
	entity, target *entityDef
	attr           *attrDef
	targetAttr     *attrDef
}

// foreignKeys lists the foreign keys the schema declares: every 1:N
// relationship whose lookup has a single target, and the intersect
// columns of N:N relationships.
func (d *metaDoc) foreignKeys() []foreignKey {
	var out []foreignKey
	seen := map[string]bool{}
	add := func(ent, attr, target, targetAttr string) {
		e, t := d.entity(ent), d.entity(target)
		if e == nil || t == nil {
			return
		}
		a, ta := e.attr(attr), t.attr(targetAttr)
		if a == nil || ta == nil {
			return
		}
		if a.Type.Kind() == plan.KGuid && a.Type != plan.TUniqueidentifier && len(a.Targets) > 1 {
			return // polymorphic lookup
		}
		key := strings.ToLower(e.LogicalName + "." + a.LogicalName)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, foreignKey{entity: e, attr: a, target: t, targetAttr: ta})
	}
	for _, r := range d.rels {
		if r.ManyToMany {
			e1, e2 := d.entity(r.Entity1), d.entity(r.Entity2)
			if e1 != nil && e2 != nil {
				add(r.IntersectEntity, r.Entity1Attr, r.Entity1, e1.PrimaryID)
				add(r.IntersectEntity, r.Entity2Attr, r.Entity2, e2.PrimaryID)
			}
			continue
		}
		add(r.ReferencingEntity, r.ReferencingAttribute, r.ReferencedEntity, r.ReferencedAttribute)
	}
	return out
}

// sqlType is an attribute's column type in a dialect.
func sqlType(dialect string, a *attrDef, f FixtureForm) string {
	switch a.Type.Kind() {
	case plan.KGuid:
		return f.guidType(dialect)
	case plan.KString:
		if a.Type == plan.TMemo {
			return "TEXT"
		}
		return fmt.Sprintf("VARCHAR(%d)", a.maxLength())
	case plan.KMulti:
		return "TEXT"
	case plan.KInt:
		if a.Type == plan.TBigInt {
			return "BIGINT"
		}
		if dialect == MySQL {
			return "INT"
		}
		return "INTEGER"
	case plan.KDecimal:
		if a.Type == plan.TMoney {
			return "DECIMAL(19,4)"
		}
		return fmt.Sprintf("DECIMAL(23,%d)", a.precision())
	case plan.KFloat:
		if dialect == MySQL {
			return "DOUBLE"
		}
		return "DOUBLE PRECISION"
	case plan.KBool:
		if dialect == MySQL {
			return "TINYINT(1)"
		}
		return "BOOLEAN"
	case plan.KDateTime:
		if a.Behavior == plan.DateOnly {
			return "DATE"
		}
		if dialect == Postgres {
			return "TIMESTAMP"
		}
		return "DATETIME"
	}
	return "TEXT"
}

func sampleDDL(doc *metaDoc, dialect, prefix string, f FixtureForm) fixtureDDL {
	var ddl fixtureDDL
	q := func(s string) string { return quoteIdent(dialect, s) }
	var fks []foreignKey
	if !f.NoForeignKeys {
		fks = doc.foreignKeys()
	}
	var tables []string
	for _, e := range doc.entities {
		tables = append(tables, q(prefix+e.PhysicalName))
	}
	switch dialect {
	case Postgres:
		ddl.drop = append(ddl.drop, "DROP TABLE IF EXISTS "+strings.Join(tables, ", ")+" CASCADE")
	case MySQL:
		ddl.drop = append(ddl.drop, "SET FOREIGN_KEY_CHECKS = 0", "DROP TABLE IF EXISTS "+strings.Join(tables, ", "), "SET FOREIGN_KEY_CHECKS = 1")
	default:
		for i := len(tables) - 1; i >= 0; i-- {
			ddl.drop = append(ddl.drop, "DROP TABLE IF EXISTS "+tables[i])
		}
	}
	for _, e := range doc.entities {
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE %s (", q(prefix+e.PhysicalName))
		for i, a := range e.Attrs {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n  %s %s", q(a.PhysicalName), sqlType(dialect, a, f))
			if strings.EqualFold(a.LogicalName, e.PrimaryID) {
				b.WriteString(" NOT NULL PRIMARY KEY")
			}
		}
		for _, fk := range fks {
			if fk.entity != e {
				continue
			}
			if dialect == SQLite {
				fmt.Fprintf(&b, ",\n  FOREIGN KEY (%s) REFERENCES %s (%s)", q(fk.attr.PhysicalName), q(prefix+fk.target.PhysicalName), q(fk.targetAttr.PhysicalName))
			} else {
				ddl.after = append(ddl.after, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)",
					q(prefix+e.PhysicalName), q(constraintName(prefix, e.PhysicalName, fk.attr.PhysicalName)), q(fk.attr.PhysicalName), q(prefix+fk.target.PhysicalName), q(fk.targetAttr.PhysicalName)))
			}
		}
		b.WriteString("\n)")
		if dialect == MySQL {
			b.WriteString(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
		}
		ddl.create = append(ddl.create, b.String())
	}
	return ddl
}

// constraintName is a foreign key's name, within MySQL's 64 characters.
func constraintName(prefix, table, column string) string {
	n := prefix + table + "_" + column + "_fk"
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// SchemaSQL is the sample's DDL for a dialect (SQLite, Postgres or MySQL),
// as LoadFixture runs it: the CREATE TABLE statements, then, outside
// SQLite, the foreign keys that LoadFixture adds after loading the rows.
func SchemaSQL(dialect, prefix string) (string, error) {
	if dialect != SQLite && dialect != Postgres && dialect != MySQL {
		return "", diag.ErrorList{&diag.Error{Code: diag.BadFlag, Msg: fmt.Sprintf("unknown dialect %q: use sqlite, postgres or mysql", dialect)}}.Err()
	}
	if !prefixRE.MatchString(prefix) {
		return "", prefixError(prefix)
	}
	doc, err := sampleDoc()
	if err != nil {
		return "", err
	}
	ddl := sampleDDL(doc, dialect, prefix, FixtureForm{})
	var b strings.Builder
	for _, s := range append(ddl.create, ddl.after...) {
		b.WriteString(s)
		b.WriteString(";\n\n")
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// dataInsert is one INSERT statement of data.sql.
type dataInsert struct {
	table string
	cols  []string
	rows  [][]dataLit
}

// dataLit is a literal of data.sql.
type dataLit struct {
	kind byte // 's' string, 'n' number, 'b' boolean, 'z' NULL
	text string
}

// statement renders the insert for a dialect, with bind parameters typed
// by the column types.
func (ins *dataInsert) statement(doc *metaDoc, db *DB, prefix string, f FixtureForm) (string, []any, error) {
	e := doc.entity(ins.table)
	if e == nil {
		return "", nil, db.errorf("sample data: unknown table %q", ins.table)
	}
	attrs := make([]*attrDef, len(ins.cols))
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (", db.quote(prefix+e.PhysicalName))
	for i, c := range ins.cols {
		if attrs[i] = e.attr(c); attrs[i] == nil {
			return "", nil, db.errorf("sample data: unknown column %s.%s", ins.table, c)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(db.quote(attrs[i].PhysicalName))
	}
	b.WriteString(") VALUES ")
	var args []any
	for j, row := range ins.rows {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for i, lit := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			v, err := lit.value(attrs[i])
			if err != nil {
				return "", nil, db.errorf("sample data: %s.%s row %d: %v", ins.table, ins.cols[i], j+1, err)
			}
			if g, ok := v.(string); ok && attrs[i].Type.Kind() == plan.KGuid {
				v = f.guidValue(g, j)
			}
			args = append(args, v)
			b.WriteString(db.placeholder(len(args)))
		}
		b.WriteString(")")
	}
	return b.String(), args, nil
}

func (l dataLit) value(a *attrDef) (any, error) {
	switch l.kind {
	case 'z':
		return nil, nil
	case 'b':
		if a.Type.Kind() != plan.KBool {
			return nil, fmt.Errorf("boolean literal for a %s column", a.Type)
		}
		return l.text == "TRUE", nil
	case 'n':
		switch a.Type.Kind() {
		case plan.KInt:
			return strconv.ParseInt(l.text, 10, 64)
		case plan.KFloat:
			return strconv.ParseFloat(l.text, 64)
		case plan.KDecimal:
			return l.text, nil
		}
		return nil, fmt.Errorf("number literal %s for a %s column", l.text, a.Type)
	}
	switch a.Type.Kind() {
	case plan.KInt, plan.KDecimal, plan.KFloat, plan.KBool:
		return nil, fmt.Errorf("text literal for a %s column", a.Type)
	}
	return l.text, nil
}

// parseDataSQL reads data.sql: INSERT INTO t (cols) VALUES (…), (…);
// statements and -- comments.
func parseDataSQL(src []byte) ([]*dataInsert, error) {
	p := &dataParser{s: string(src)}
	var out []*dataInsert
	for {
		p.space()
		if p.i >= len(p.s) {
			return out, nil
		}
		ins, err := p.insert()
		if err != nil {
			line := 1 + strings.Count(p.s[:p.i], "\n")
			return nil, diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: fmt.Sprintf("sampledata/data.sql:%d: %v", line, err)}}.Err()
		}
		out = append(out, ins)
	}
}

type dataParser struct {
	s string
	i int
}

func (p *dataParser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case strings.HasPrefix(p.s[p.i:], "--"):
			if j := strings.IndexByte(p.s[p.i:], '\n'); j >= 0 {
				p.i += j + 1
			} else {
				p.i = len(p.s)
			}
		default:
			return
		}
	}
}

func (p *dataParser) word() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] == '_' || p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9') {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

func (p *dataParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("expected %q", c)
	}
	p.i++
	return nil
}

func (p *dataParser) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *dataParser) insert() (*dataInsert, error) {
	if !strings.EqualFold(p.word(), "INSERT") || !strings.EqualFold(p.word(), "INTO") {
		return nil, fmt.Errorf("expected INSERT INTO")
	}
	ins := &dataInsert{table: p.word()}
	if ins.table == "" {
		return nil, fmt.Errorf("expected a table name")
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	for {
		c := p.word()
		if c == "" {
			return nil, fmt.Errorf("expected a column name")
		}
		ins.cols = append(ins.cols, c)
		if p.peek() == ',' {
			p.i++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		break
	}
	if !strings.EqualFold(p.word(), "VALUES") {
		return nil, fmt.Errorf("expected VALUES")
	}
	for {
		if err := p.expect('('); err != nil {
			return nil, err
		}
		var row []dataLit
		for {
			l, err := p.literal()
			if err != nil {
				return nil, err
			}
			row = append(row, l)
			if p.peek() == ',' {
				p.i++
				continue
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
			break
		}
		if len(row) != len(ins.cols) {
			return nil, fmt.Errorf("%s: row %d has %d values for %d columns", ins.table, len(ins.rows)+1, len(row), len(ins.cols))
		}
		ins.rows = append(ins.rows, row)
		switch p.peek() {
		case ',':
			p.i++
			continue
		case ';':
			p.i++
			return ins, nil
		}
		return nil, fmt.Errorf("expected ',' or ';'")
	}
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?`)

func (p *dataParser) literal() (dataLit, error) {
	switch c := p.peek(); {
	case c == '\'':
		var b strings.Builder
		p.i++
		for {
			j := strings.IndexByte(p.s[p.i:], '\'')
			if j < 0 {
				return dataLit{}, fmt.Errorf("unterminated string")
			}
			b.WriteString(p.s[p.i : p.i+j])
			p.i += j + 1
			if p.i < len(p.s) && p.s[p.i] == '\'' {
				b.WriteByte('\'')
				p.i++
				continue
			}
			return dataLit{kind: 's', text: b.String()}, nil
		}
	case c == '-' || c >= '0' && c <= '9':
		m := numberRE.FindString(p.s[p.i:])
		if m == "" {
			return dataLit{}, fmt.Errorf("bad number")
		}
		p.i += len(m)
		return dataLit{kind: 'n', text: m}, nil
	}
	switch w := strings.ToUpper(p.word()); w {
	case "NULL":
		return dataLit{kind: 'z'}, nil
	case "TRUE", "FALSE":
		return dataLit{kind: 'b', text: w}, nil
	}
	return dataLit{}, fmt.Errorf("expected a literal")
}
