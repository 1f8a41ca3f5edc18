package plan

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vecompile/vecompile/internal/collate"
)

// Catalog resolves logical table names to metadata. Three implementations
// exist: a JSON metadata file, database introspection, and the untyped
// catalog (names as written, types inferred from literals).
type Catalog interface {
	// Table returns the table with the given logical name.
	Table(logicalName string) (*Table, bool)
}

// Type is a column's Dataverse attribute type.
type Type uint8

const (
	TUnknown Type = iota // untyped mode: inferred from the literal
	TString
	TMemo
	TInteger
	TBigInt
	TDecimal
	TDouble
	TMoney
	TBoolean
	TDateTime
	TUniqueidentifier
	TLookup
	TOwner
	TCustomer
	TPicklist
	TState
	TStatus
	TMultiSelectPicklist // stored as text: option values joined by ","
)

var typeNames = [...]string{"unknown", "String", "Memo", "Integer", "BigInt", "Decimal", "Double", "Money", "Boolean", "DateTime", "Uniqueidentifier", "Lookup", "Owner", "Customer", "Picklist", "State", "Status", "MultiSelectPicklist"}

func (t Type) String() string { return typeNames[t] }

// TypeByName parses a Dataverse AttributeType name (case-insensitive).
// "EntityName" and other name-like types map to TString.
func TypeByName(s string) (Type, bool) {
	for i, n := range typeNames {
		if i > 0 && strings.EqualFold(n, s) {
			return Type(i), true
		}
	}
	switch strings.ToLower(s) {
	case "entityname", "virtual", "text", "nvarchar":
		return TString, true
	case "int", "integer32":
		return TInteger, true
	case "guid":
		return TUniqueidentifier, true
	case "bool":
		return TBoolean, true
	case "float":
		return TDouble, true
	case "date", "dateonly":
		return TDateTime, true
	}
	return TUnknown, false
}

// Kind is how values of a type behave.
type Kind uint8

const (
	KUnknown Kind = iota
	KString
	KInt
	KDecimal
	KFloat
	KBool
	KDateTime
	KGuid
	KMulti
	// KDate and KTime are computed values only (OData's date() and
	// time()): a calendar date held as the integer yyyymmdd and a time of
	// day in whole seconds as hhmmss, so that they compare and sort as
	// integers on every engine. No column has them.
	KDate
	KTime
)

// Kind classifies the type.
func (t Type) Kind() Kind {
	switch t {
	case TString, TMemo:
		return KString
	case TInteger, TBigInt, TPicklist, TState, TStatus:
		return KInt
	case TDecimal, TMoney:
		return KDecimal
	case TDouble:
		return KFloat
	case TBoolean:
		return KBool
	case TDateTime:
		return KDateTime
	case TUniqueidentifier, TLookup, TOwner, TCustomer:
		return KGuid
	case TMultiSelectPicklist:
		return KMulti
	}
	return KUnknown
}

// DateBehavior is a datetime column's DateTimeBehavior (spec §2.5).
type DateBehavior uint8

const (
	UserLocal DateBehavior = iota
	DateOnly
	TimeZoneIndependent
)

var dateBehaviorNames = [...]string{"UserLocal", "DateOnly", "TimeZoneIndependent"}

func (b DateBehavior) String() string { return dateBehaviorNames[b] }

// DateBehaviorByName parses a DateTimeBehavior name (case-insensitive).
func DateBehaviorByName(s string) (DateBehavior, bool) {
	for i, n := range dateBehaviorNames {
		if strings.EqualFold(n, s) {
			return DateBehavior(i), true
		}
	}
	return 0, false
}

// Table is one entity's metadata. Tables are immutable once built.
type Table struct {
	LogicalName   string
	PhysicalName  string // SQL table name
	EntitySetName string // OData collection name
	PrimaryKey    string // logical name of the primary key column ("" if none)
	PrimaryName   string // logical name of the primary name column
	Columns       []*Column
	Relationships []*Relationship
	// Untyped tables accept any column name and type nothing.
	Untyped bool

	byName map[string]*Column
	synth  *synthesized // untyped tables: the columns handed out so far
}

// synthesized interns an untyped table's columns, so that every lookup of
// a name returns the same *Column (plans compare columns by identity).
type synthesized struct {
	mu   sync.Mutex
	cols map[string]*Column
}

// Column is one attribute's metadata.
type Column struct {
	LogicalName  string
	PhysicalName string
	Type         Type
	DateBehavior DateBehavior
	Targets      []string // lookup target tables
	// Options are a choice column's option labels (Picklist, State,
	// Status), in one language, in label order: NewTable sorts them
	// (SortOptions), so an option's position is its rank when sorting by
	// label. Nil when the metadata gives none.
	Options      []Option
	IsPrimaryKey bool
	// MaxLength is a String or Memo column's limit in characters (Unicode
	// code points, as PostgreSQL's and MySQL's VARCHAR count them); 0
	// leaves the type's Dataverse maximum.
	MaxLength int
	// Precision is a Decimal, Money or Double column's decimal places
	// when HasPrecision; written values are rounded to it.
	Precision    int
	HasPrecision bool
	// Digits is the total number of digits a Decimal column holds when
	// the database declares it (NUMERIC(p,s) read by introspection); 0
	// leaves Dataverse's range for the type.
	Digits int
	// Guid is how the database stores a GUID column's values (Kind
	// KGuid): the emitter binds values in that form and converts a column
	// only where two forms meet, so that every comparison matches
	// case-insensitively, as Dataverse's uniqueidentifier does.
	Guid GuidStorage
	// GuidDeclared: the metadata gave Guid, so no probe of the database
	// replaces it.
	GuidDeclared bool
	// Key, on a GuidKeyMap column, is the string or composite key the
	// column exposes as GUIDs (keymap.go): the column is virtual, its
	// value computed from Key.Parts.
	Key *KeyMap
	// foldRanks[i] is the accent-insensitive rank of Options[i]
	// (OptionRank).
	foldRanks []int32
}

// VersionColumn is Dataverse's row version column (versionnumber): an
// integer the server reads with a row for its ETag.
const VersionColumn = "versionnumber"

// GuidStorage is a GUID column's storage form. The zero value is the
// canonical form: lower-case text, which a native GUID type (PostgreSQL
// uuid) also compares with.
type GuidStorage uint8

const (
	// GuidLower: text, lower-case 8-4-4-4-12 (vecompile's sample).
	GuidLower GuidStorage = iota
	// GuidUpper: text, upper-case (SQL Server's exports, .NET's "D"
	// format upper-cased): values bind upper-cased.
	GuidUpper
	// GuidAnyCase: text in both cases: the column is compared through
	// LOWER(), which an ordinary index cannot serve.
	GuidAnyCase
	// GuidNative: a GUID type (PostgreSQL uuid, SQL Server
	// uniqueidentifier, MariaDB UUID), which compares case-insensitively
	// by itself.
	GuidNative
	// GuidBinary: 16 bytes in RFC 4122 (big-endian) order, as MySQL's
	// UUID_TO_BIN(x) and Python's uuid.bytes write them (BINARY(16),
	// SQLite BLOB). Their byte order is the canonical text's order.
	GuidBinary
	// GuidInteger: the column holds an integer key (identity, serial) and
	// is exposed as GUIDs in the integer key namespace (IntKeyPrefix) (intkey.go): values bind as
	// the integer they encode, read values are encoded.
	GuidInteger
	// GuidKeyMap: a virtual column exposing a string or composite key (or
	// a lookup holding one) as UUIDv5 ids (keymap.go, Column.Key): read
	// values are computed from the key's parts, conditions join the key
	// map.
	GuidKeyMap
)

var guidStorageNames = [...]string{"lower", "upper", "anycase", "native", "binary", "integer", "keymap"}

func (g GuidStorage) String() string {
	if int(g) < len(guidStorageNames) {
		return guidStorageNames[g]
	}
	return "unknown"
}

// GuidStorageByName parses a storage form name (lower, upper, anycase,
// native, binary, integer; case-insensitive).
func GuidStorageByName(s string) (GuidStorage, bool) {
	for i, n := range guidStorageNames {
		if strings.EqualFold(n, s) {
			return GuidStorage(i), true
		}
	}
	return 0, false
}

// Bind returns the driver value of a canonical (lower-case) GUID compared
// with or written to a column stored in form g: upper-cased for GuidUpper,
// 16 bytes for GuidBinary, the integer it encodes for GuidInteger, the
// text itself otherwise. A value that is not a canonical GUID (or, for
// GuidInteger, not an integer key's GUID: see Encodes) is returned as it
// is.
func (g GuidStorage) Bind(canonical string) any {
	switch g {
	case GuidInteger:
		if n, ok := IntKeyOf(canonical); ok {
			return n
		}
	case GuidUpper:
		return strings.ToUpper(canonical)
	case GuidBinary:
		if b, ok := GUIDBytes(canonical); ok {
			return b
		}
	}
	return canonical
}

// Encodes reports whether GUID text s can be a value of a column stored
// in form g: any GUID, except for GuidInteger, whose values are the GUIDs
// of the integer key namespace (IntKeyPrefix).
func (g GuidStorage) Encodes(s string) bool {
	if g == GuidInteger {
		_, ok := IntKeyOf(s)
		return ok
	}
	_, ok := CanonicalGUID(s)
	return ok
}

// GUIDBytes returns the 16 bytes of a GUID (with or without braces, any
// case) in RFC 4122 order.
func GUIDBytes(s string) ([]byte, bool) {
	g, ok := CanonicalGUID(s)
	if !ok {
		return nil, false
	}
	b := make([]byte, 0, 16)
	for i := 0; i < len(g); i++ {
		if g[i] == '-' {
			continue
		}
		b = append(b, unhex(g[i])<<4|unhex(g[i+1]))
		i++
	}
	return b, true
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// Option is one value of a choice column and its label.
type Option struct {
	Value int64
	Label string
}

// CompareOptions orders options by label as Dataverse's accent-sensitive
// collations do: labels compared case-insensitively (Unicode simple
// folding, accents significant), then as written, then by value. It is the
// order of Column.Options.
func CompareOptions(a, b Option) int { return CompareOptionsAs(a, b, true) }

// CompareOptionsAs orders options by label case-insensitively, and
// accent-insensitively unless accentSensitive (internal/collate's folding,
// as vecompile's string comparisons), then as written, then by value.
func CompareOptionsAs(a, b Option, accentSensitive bool) int {
	if c := compareFold(a.Label, b.Label, !accentSensitive); c != 0 {
		return c
	}
	if c := strings.Compare(a.Label, b.Label); c != 0 {
		return c
	}
	return cmp.Compare(a.Value, b.Value)
}

// compareFold compares two strings rune by rune after folding, without
// allocating.
func compareFold(a, b string, accents bool) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if c := cmp.Compare(collate.FoldRune(ra, accents), collate.FoldRune(rb, accents)); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// OptionRank is the 1-based rank of c.Options[i] in label order: its
// position for accent-sensitive order, and under CompareOptionsAs otherwise
// (computed by NewTable; counted here for a column built without it).
func (c *Column) OptionRank(i int, accentSensitive bool) int64 {
	if accentSensitive {
		return int64(i + 1)
	}
	if len(c.foldRanks) == len(c.Options) {
		return int64(c.foldRanks[i])
	}
	return int64(foldRank(c.Options, i))
}

// foldRank counts the options ordered before opts[i] accent-insensitively.
func foldRank(opts []Option, i int) int {
	r := 1
	for j := range opts {
		if j != i && CompareOptionsAs(opts[j], opts[i], false) < 0 {
			r++
		}
	}
	return r
}

// rankOptions fills c.foldRanks.
func (c *Column) rankOptions() {
	if len(c.Options) == 0 || len(c.foldRanks) == len(c.Options) {
		return
	}
	idx := make([]int, len(c.Options))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return CompareOptionsAs(c.Options[a], c.Options[b], false) })
	ranks := make([]int32, len(idx))
	for r, i := range idx {
		ranks[i] = int32(r + 1)
	}
	c.foldRanks = ranks
}

// SortOptions puts options in label order (CompareOptions). A slice already
// in order is not written to, so sorting a shared column's options twice
// is safe.
func SortOptions(opts []Option) {
	if !slices.IsSortedFunc(opts, CompareOptions) {
		slices.SortFunc(opts, CompareOptions)
	}
}

// RelationshipKind distinguishes 1:N from N:N.
type RelationshipKind uint8

const (
	OneToMany RelationshipKind = iota
	ManyToMany
)

// Relationship is a 1:N relationship (Referencing* holds the lookup) or an
// N:N one through IntersectTable.
type Relationship struct {
	SchemaName        string
	Kind              RelationshipKind
	ReferencedTable   string // the "one" side
	ReferencedColumn  string // usually its primary key
	ReferencingTable  string // the "many" side
	ReferencingColumn string // the lookup column
	Hierarchical      bool   // self-referential and flagged hierarchical
	// The organization's navigation property names, when the metadata
	// gives them (a CSDL $metadata; Dataverse's
	// ReferencingEntityNavigationPropertyName and
	// ReferencedEntityNavigationPropertyName): the lookup's single-valued
	// one (primarycontactid) and the collection-valued one on the
	// referenced table (contact_customer_accounts). Empty: unknown.
	ReferencingNavigation, ReferencedNavigation string
	// N:N only.
	Table1, Table2                     string
	IntersectTable                     string
	IntersectColumn1, IntersectColumn2 string
}

// NewTable builds a table and indexes its columns by logical name. Column
// logical names are matched case-insensitively, as Dataverse does.
func NewTable(t Table) *Table {
	nt := t
	nt.byName = make(map[string]*Column, len(t.Columns))
	for _, c := range t.Columns {
		if c.PhysicalName == "" {
			c.PhysicalName = c.LogicalName
		}
		SortOptions(c.Options)
		c.rankOptions()
		nt.byName[strings.ToLower(c.LogicalName)] = c
		if c.LogicalName == t.PrimaryKey {
			c.IsPrimaryKey = true
		}
	}
	if nt.PhysicalName == "" {
		nt.PhysicalName = nt.LogicalName
	}
	return &nt
}

// Column looks up a column by logical name. Untyped tables synthesize one.
func (t *Table) Column(name string) (*Column, bool) {
	if c, ok := t.byName[name]; ok {
		return c, true
	}
	if c, ok := t.byName[strings.ToLower(name)]; ok {
		return c, true
	}
	if t.Untyped && t.synth != nil {
		key := strings.ToLower(name)
		t.synth.mu.Lock()
		defer t.synth.mu.Unlock()
		if c, ok := t.synth.cols[key]; ok {
			return c, true
		}
		c := &Column{LogicalName: name, PhysicalName: name, IsPrimaryKey: strings.EqualFold(name, t.PrimaryKey)}
		if t.synth.cols == nil {
			t.synth.cols = map[string]*Column{}
		}
		t.synth.cols[key] = c
		return c, true
	}
	return nil, false
}

// Hierarchy returns the table's hierarchical self-relationship, if any.
func (t *Table) Hierarchy() *Relationship {
	for _, r := range t.Relationships {
		if r.Hierarchical && r.ReferencedTable == t.LogicalName && r.ReferencingTable == t.LogicalName {
			return r
		}
	}
	return nil
}

// MapCatalog is a Catalog over a fixed set of tables.
type MapCatalog map[string]*Table

// Table implements Catalog (case-insensitive).
func (m MapCatalog) Table(name string) (*Table, bool) {
	if t, ok := m[name]; ok {
		return t, true
	}
	t, ok := m[strings.ToLower(name)]
	return t, ok
}

// Add registers t under its logical name.
func (m MapCatalog) Add(t *Table) { m[strings.ToLower(t.LogicalName)] = t }

// Untyped is the catalog of untyped mode: every name exists, as written;
// the primary key of table t is assumed to be "<t>id", Dataverse's
// convention.
type Untyped struct{}

// Table implements Catalog.
func (Untyped) Table(name string) (*Table, bool) {
	return NewUntypedTable(name), true
}

// NewUntypedTable returns a table that accepts any column name; its primary
// key is assumed to be "<name>id", Dataverse's convention.
func NewUntypedTable(name string) *Table {
	return &Table{LogicalName: name, PhysicalName: name, PrimaryKey: name + "id", Untyped: true, synth: &synthesized{}}
}
