package plan

import (
	"fmt"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Plan is a compiled query: a tree of data sources (as X++'s
// QueryBuildDataSource), the output columns, sort keys and row limits.
// Plans are immutable once Build returns them; emitters and the executor
// only read them.
type Plan struct {
	Root    *DataSource
	Columns []*OutputColumn // in result order
	Orders  []*SortKey      // applied in order; the root primary key is the last tie-breaker where one exists

	Aggregate bool
	Distinct  bool

	// Top limits the rows (fetch/@top). Zero means no limit.
	Top int64
	// Paging: PageSize > 0 means page PageNumber (1-based) of PageSize rows.
	// The emitter asks for PageSize+1 rows so the executor can tell whether
	// more records exist.
	PageSize   int64
	PageNumber int64
	// ReturnTotalRecordCount asks for the total count (capped at 5,000).
	ReturnTotalRecordCount bool
	// AggregateLimit is, for aggregate plans, the most input rows (the
	// joined, filtered rows before grouping) Dataverse aggregates:
	// AggregateRecordLimit (50,000), or fetch/@aggregatelimit, which can
	// only lower it. The executor counts the input first and refuses a
	// larger one (AggregateQueryRecordLimit exceeded, 0x8004E023). Zero for
	// other plans.
	AggregateLimit int64

	NoLock  bool
	Options []string // query hints, validated names

	// QuickFind is the root's quick-find filter (isquickfindfields) and
	// QuickFindLimit the record limit it is held to (0: none). The executor
	// counts the rows the quick-find filter matches, with the caller's
	// security, before it runs the query: Dataverse evaluates that filter
	// before the others and refuses a search matching more rows.
	QuickFind      Expr
	QuickFindLimit int64
	// Security states whether a security model filtered this plan.
	Security SecurityMode
	// AccentSensitive says strings compare, sort and group with accents
	// significant (Options.AccentSensitive); false folds accents as
	// internal/collate does.
	AccentSensitive bool
	// Context is what relative dates and identity operators were resolved
	// against, for printing.
	Context Context
	// Source is the query text the plan was built from, and Span its
	// entity: emitters report a construct an engine cannot take (see Span
	// on the plan's nodes) at its position in Source, or at Span.
	Source *diag.Source
	Span   diag.Span
	// Warnings are what untyped mode assumed in place of metadata (a
	// table's hierarchy taken to be parent<table>id), positioned, code
	// AssumedMetadata: the plan is built on them, and the CLI prints them
	// on standard error so that no assumption is silent.
	Warnings diag.ErrorList
	// LookupNames are the lookup output columns whose related record the
	// statement also reads (Options.LookupNames), for formatted values.
	LookupNames []*LookupName
	// Partition, when set, limits the rows per value of one root column
	// (LimitPerPartition): a collection-valued $expand's $skip/$top per
	// parent, applied in the statement rather than after reading them all.
	Partition *PartitionLimit
	// After, when set, keeps the rows strictly after these values of the
	// sort keys (Orders[i] has value After[i]; nil is NULL) in the plan's
	// order, NULLs first ascending and last descending: a keyset page's
	// continuation. The emitter writes it as the dialect lets an index
	// seek it (a row-value comparison where every key ascends and has a
	// value, otherwise a bound on the first key and the OR-expansion).
	After []*Value
	// AfterPart, with After, keeps one of the ranges that follow a NULL
	// value, the first of After (at AfterAt, with later keys): among the
	// rows tied with the values before it, the rest of the NULL rows
	// (AfterNullRange), then, on an ascending key, those with a value
	// (AfterValueRange), then every row after the values before it
	// (AfterRest; none when the NULL is the first key's). Each is one
	// seek of an index on the sort keys, where the whole continuation,
	// the OR of them, is not; the server reads them in order until the
	// page is full (server/paging_nulls.go).
	AfterPart AfterPart
	AfterAt   int
	// RootFirst says the root's rows can be filtered (security included),
	// ordered and limited before the joins: every join from the root is
	// an outer join to at most one row (DataSource.ToOne), and so are
	// theirs; every sort key reads the root alone; no filter outside the
	// joins' ON clauses reads a joined source; rows, not groups, and no
	// per-partition limit. Build sets it (rootfirst.go) and Verify checks
	// it. With a row limit (Top, a page, a keyset continuation) the
	// emitter then limits the root in a derived table and joins the rows
	// it keeps: the same rows, in the same order.
	RootFirst bool
}

// LookupName is a lookup output column's related record, read in the
// same statement as the rows: the primary name of the target row the
// value points to (the first target holding it, for polymorphic lookups),
// as a SortName key reads it, column security included (Names), and,
// for a lookup with several targets, which one holds it.
type LookupName struct {
	Column  *OutputColumn
	Targets []*Table
	// Names are what the caller may read of each target's primary name
	// (parallel to Targets), as SortKey.Names; nil with security off.
	Names []NameAccess
}

// Key is the name read as a SortName key on the column reads it.
func (n *LookupName) Key() *SortKey {
	return &SortKey{Column: &ColumnRef{Source: n.Column.Source, Column: n.Column.Column}, By: SortName, Targets: n.Targets, Names: n.Names}
}

// Known reports whether sp was set from the query text. Nodes the planner
// adds itself (tie-breaker keys, security filters) carry the zero Span.
func Known(sp diag.Span) bool { return sp.End > 0 }

// SecurityMode says whether security predicates were injected.
type SecurityMode uint8

const (
	SecurityOff SecurityMode = iota // no model configured: explicit, printed by `plan`
	SecurityOn
)

// JoinKind is how a data source relates to its parent.
type JoinKind uint8

const (
	JoinRoot     JoinKind = iota
	JoinInner             // P JOIN L ON P.to = L.from AND F
	JoinOuter             // P LEFT JOIN L ON P.to = L.from AND F
	JoinFirstRow          // matchfirstrowusingcrossapply: one matching row, parent dropped without match
	JoinSubquery          // the source of an Exists / InSubquery expression
)

var joinKindNames = [...]string{"root", "inner", "outer", "first-row", "subquery"}

func (k JoinKind) String() string { return joinKindNames[k] }

// DataSource is one table instance in the plan. Joined children appear in
// Joins; sources of EXISTS / IN tests hang off Exists and InSubquery
// expressions in Filter.
type DataSource struct {
	// Name is the result prefix and the SQL alias: the root's logical name,
	// or the link's alias (generated as <name>1, <name>2 … when absent).
	Name  string
	Table *Table
	Join  JoinKind
	// LinkType is the FetchXML link type this source came from (Inner for
	// the root).
	LinkType ast.LinkType
	// Parent is the column on the parent (FetchXML to), Child the column on
	// this table (FetchXML from). Nil for the root.
	Parent *ColumnRef
	Child  *Column
	// Filter is this source's predicate: the WHERE clause for the root, the
	// ON clause for joins, the subquery's WHERE for subquery sources. Nil is
	// TRUE.
	Filter Expr
	// Security is the injected row filter; nil when security is off.
	Security *SecurityFilter
	// Joins are the joined children, in document order.
	Joins []*DataSource
	// Span is the entity or link-entity in the query text.
	Span diag.Span
}

// SecurityFilter is a row filter injected for the caller. The verifier
// checks that every secured source carries one.
type SecurityFilter struct {
	Expr     Expr
	Policies []string // what produced it: roles, shares, policies
	// Hidden are the source's columns under column security the caller
	// may not read: every reference reads NULL (select, filter, order,
	// group, aggregate, join keys).
	Hidden []*Column
	// Shared are hidden columns that some records share with the caller
	// (field sharing): those records read the column, the others NULL.
	// They stay in Hidden, so that joins, hierarchy walks and row
	// aggregates through them are refused as for any hidden column; only
	// the column's own reads (select, filter, order, group, aggregate)
	// see the shared records.
	Shared []SharedColumn
	// Internal marks the sources of a policy query (XDS), which read the
	// primary table on the policy's behalf and carry no filter of their own.
	Internal bool
}

// SharedColumn is a hidden column readable on the records Keys.
type SharedColumn struct {
	Column *Column
	Keys   []*Value // primary keys, KGuid
}

// SharedKeys returns the keys of the records on which hidden column c is
// shared with the caller (nil: none).
func (f *SecurityFilter) SharedKeys(c *Column) []*Value {
	if f == nil {
		return nil
	}
	for _, s := range f.Shared {
		if s.Column == c {
			return s.Keys
		}
	}
	return nil
}

// Hides reports whether column c of the source is hidden from the caller.
func (f *SecurityFilter) Hides(c *Column) bool {
	if f == nil {
		return false
	}
	for _, h := range f.Hidden {
		if h == c {
			return true
		}
	}
	return false
}

// OutputColumn is one result column.
type OutputColumn struct {
	// Name is the result key: the logical name for root columns,
	// "alias.column" for link columns, the attribute alias where given.
	Name   string
	Source *DataSource
	Column *Column // nil for aggregate count(*)

	Aggregate    ast.AggregateFunc
	Distinct     bool // countcolumn distinct
	GroupBy      bool
	DateGrouping ast.DateGrouping
	// Zone is the time zone date grouping is computed in (UTC when the
	// attribute says usertimezone="false").
	Zone *time.Location
	// Fiscal settings for fiscal-period / fiscal-year grouping.
	Fiscal *Fiscal
	// RowAggregate, when set, makes the column rowaggregate="CountChildren"
	// (spec §1.3): per row, an integer, the number of rows of Source's
	// table whose RowAggregate.ReferencingColumn (the hierarchical parent
	// lookup) equals this row's RowAggregate.ReferencedColumn (its primary
	// key): direct children, one level. Column is the attribute named, which
	// only names the result. The count includes rows the caller cannot
	// read: no security filter applies to it.
	RowAggregate *Relationship
	// All is all-attributes in untyped mode: every column the database
	// holds for Source (SQL "alias".*), which no metadata lists; Column is
	// nil and Name is "<source>.*".
	All bool
	// Span is the attribute (or all-attributes) in the query text.
	Span diag.Span
}

// AfterPart is which part of a continuation after a NULL first value a
// plan keeps (Plan.AfterPart).
type AfterPart int

const (
	AfterWhole      AfterPart = iota // every row after the values
	AfterNullRange                   // tied before AfterAt, its key NULL, after the later values
	AfterValueRange                  // tied before AfterAt, its key with a value (ascending)
	AfterRest                        // after the values before AfterAt
)

// SortKey is one ORDER BY term: a column, or an output column (aggregate
// alias). NULLs sort first ascending and last descending on every dialect.
type SortKey struct {
	Column *ColumnRef
	Output *OutputColumn
	Desc   bool
	// By is what the key compares (spec §1.4, §5.8): the stored value, a
	// lookup's related primary name, or a choice's option label. Name and
	// label ties go to the next key (as under Dataverse's collation), but
	// in a distinct or aggregate plan, where the stored value breaks them.
	By SortBy
	// Targets are, for SortName, the lookup's target tables, each with a
	// primary key and a primary name column; the key is the primary name
	// of the target row the value points to (the first target holding it,
	// for polymorphic lookups such as owners).
	Targets []*Table
	// Names are, for SortName in a plan with security on, what the caller
	// may read of each target's primary name (parallel to Targets): column
	// security can hide it, on every record or all but the field-shared
	// ones, and a hidden name sorts as NULL, so that which rows a top or a
	// page returns never depends on a value the caller may not read. Nil
	// with security off.
	Names []NameAccess
	// Expr, when set, is a computed sort key (OData $orderby on canonical
	// functions or arithmetic): Column and Output are nil, By is
	// SortValue; strings sort by their folding, then as computed.
	Expr Scalar
	// Span is the order in the query text.
	Span diag.Span
}

// NameAccess is what a caller may read of a sort target's primary name.
type NameAccess struct {
	// Hidden: column security hides the name (it reads NULL) …
	Hidden bool
	// Shared: … except on these records (primary keys, KGuid), whose name
	// a field share reveals to the caller.
	Shared []*Value
}

// SortBy is what a sort key compares.
type SortBy uint8

const (
	// SortValue: the stored value (every column, and choices under
	// fetch/@useraworderby="true").
	SortValue SortBy = iota
	// SortName: a lookup, by the related record's primary name (then by
	// the stored GUID in a distinct or aggregate plan).
	SortName
	// SortLabel: a choice (Picklist, State, Status), by the option's rank
	// in label order (Column.Options; then by the stored value in a
	// distinct or aggregate plan); values without a label rank as a missing
	// label (NULL) would.
	SortLabel
)

// SortColumn is the column a key sorts: the column, or the output
// column's.
func (k *SortKey) SortColumn() *Column {
	switch {
	case k.Column != nil:
		return k.Column.Column
	case k.Output != nil:
		return k.Output.Column
	}
	return nil
}

// ColumnRef is a column of a data source.
type ColumnRef struct {
	Source *DataSource
	Column *Column
}

// Context records what the planner resolved relative and identity
// operators against.
type Context struct {
	Now       time.Time
	Zone      *time.Location
	WeekStart time.Weekday
	Fiscal    *Fiscal
	Caller    *Caller
	// ReadsClock says a relative date was resolved against Now: the
	// plan holds today's boundaries, so a cache must not reuse it later.
	ReadsClock bool
}

// Fiscal holds the organization's fiscal calendar (spec §2.4).
type Fiscal struct {
	// Start is the start of a fiscal year; only its month and day are used.
	Start time.Time
	// PeriodType: 2000 annual, 2001 semi-annual, 2002 quarterly, 2003
	// monthly, 2004 four-weekly.
	PeriodType int
}

// Caller is the identity identity operators resolve against.
type Caller struct {
	UserID         string
	BusinessUnitID string
	TeamIDs        []string
	// Reports are the users below the caller in the hierarchy security
	// model, to the configured depth (not including the caller).
	Reports []string
	// ReportTeams are the teams of the caller's reports.
	ReportTeams []string
	LanguageID  int64
	// TimeZone is the caller's time zone from the user's settings
	// (usersettings.timezonecode); nil when unknown. Formatted values show
	// dates in it.
	TimeZone *time.Location
	// Unknown marks the parts nobody gave (no user table holds them and
	// no flag set them): an operator that needs one is refused, naming
	// the flag, rather than matching nothing. Zero: everything is known.
	Unknown CallerParts
}

// Check refuses a caller that has no user id, or whose ids (user,
// business unit, teams, reports, reports' teams) are not GUIDs: identity
// operators bind them, and an id that is not one would bind "" and match
// nothing, silently. The error (VE5004) names the field as its path.
func (c *Caller) Check() error {
	var errs diag.ErrorList
	bad := func(path, what, id string) {
		if _, ok := CanonicalGUID(id); !ok {
			errs.Add(&diag.Error{Span: diag.NoSpan, Path: path, Code: diag.BadFlag, Msg: fmt.Sprintf("the caller's %s %q is not a GUID", what, id)})
		}
	}
	if c.UserID == "" {
		errs.Add(&diag.Error{Span: diag.NoSpan, Path: "Caller.UserID", Code: diag.BadFlag, Msg: "the caller has no user id: its business unit, teams and reports are the user's (give --user)"})
	} else {
		bad("Caller.UserID", "user id", c.UserID)
	}
	if c.BusinessUnitID != "" {
		bad("Caller.BusinessUnitID", "business unit id", c.BusinessUnitID)
	}
	for _, l := range []struct {
		field, what string
		ids         []string
	}{{"TeamIDs", "team id", c.TeamIDs}, {"Reports", "report's user id", c.Reports}, {"ReportTeams", "report's team id", c.ReportTeams}} {
		for i, id := range l.ids {
			bad(fmt.Sprintf("Caller.%s[%d]", l.field, i), l.what, id)
		}
	}
	return errs.Err()
}

// CallerParts is a set of parts of the caller context.
type CallerParts uint8

const (
	CallerBusinessUnit CallerParts = 1 << iota // BusinessUnitID (--businessunit)
	CallerTeams                                // TeamIDs (--teams)
	CallerReports                              // Reports (--reports)
	CallerReportTeams                          // ReportTeams (the user tables only)
)

// CallerContext is every part but the user id.
const CallerContext = CallerBusinessUnit | CallerTeams | CallerReports | CallerReportTeams

// Expr is a boolean or scalar expression of a plan. Sealed.
type Expr interface{ expr() }

// And is a conjunction; an empty And is TRUE.
type And struct{ Terms []Expr }

// Or is a disjunction; an empty Or is FALSE.
type Or struct{ Terms []Expr }

// Not is SQL NOT under three-valued logic.
type Not struct{ X Expr }

// NotTrue is "X IS NOT TRUE": true when X is false or unknown. Used for
// link-type all / not all, where an unknown filter does not count as
// satisfied.
type NotTrue struct{ X Expr }

// Const is TRUE or FALSE.
type Const struct{ Value bool }

// CmpOp is a comparison operator.
type CmpOp uint8

const (
	Eq CmpOp = iota
	Ne
	Lt
	Le
	Gt
	Ge
)

var cmpOpNames = [...]string{"=", "<>", "<", "<=", ">", ">="}

func (o CmpOp) String() string { return cmpOpNames[o] }

// Compare is Left op Right. Right is a *Value or a *ColumnRef. Fold makes a
// string comparison case-insensitive. Without Fold, a comparison of a
// string column compares sort keys (the folding without trailing spaces:
// what ORDER BY sorts by, = meaning tied in the order), so that keyset
// paging agrees with the order. The planner has already added any IS
// NULL branch the operator needs.
type Compare struct {
	Op    CmpOp
	Left  *ColumnRef
	Right Operand
	Fold  bool
	Span  diag.Span // the condition
}

// IsNull is "col IS NULL" (or IS NOT NULL).
type IsNull struct {
	Col *ColumnRef
	Not bool
}

// InList is "col IN (values)" (or NOT IN).
type InList struct {
	Col    *ColumnRef
	Values []*Value
	Not    bool
	Fold   bool
	Span   diag.Span // the condition
}

// Like is a case-insensitive T-SQL LIKE match with a parsed pattern.
type Like struct {
	Col     *ColumnRef
	Pattern Pattern
	Not     bool
	Span    diag.Span // the condition
}

// Exists is [NOT] EXISTS (SELECT 1 FROM Source WHERE Source.Child =
// Source.Parent AND Source.Filter AND Source.Security), with Source.Joins
// joined inside the subquery.
type Exists struct {
	Source *DataSource
	Not    bool
}

// InSubquery is Source.Parent IN (SELECT Source.Child FROM Source WHERE …):
// link-type "in".
type InSubquery struct {
	Source *DataSource
}

// MultiContains tests a multi-select choice column (stored as text, option
// values joined by ",") for any of the values.
type MultiContains struct {
	Col    *ColumnRef
	Values []int64
	Not    bool
	Span   diag.Span // the condition
}

// DatePart extracts a calendar field of a datetime column in a time zone,
// for per-row fiscal and grouping tests.
type DatePart struct {
	Part DatePartKind
	Col  *ColumnRef
	Zone *time.Location
	// Fiscal is the calendar of PartFiscalPeriod (nil for the other parts).
	Fiscal *Fiscal
}

// DatePartKind is a calendar field.
type DatePartKind uint8

const (
	PartYear DatePartKind = iota
	PartQuarter
	PartMonth
	PartWeek // week of year, as DATEPART(week) with Sunday start
	PartDay  // day of month
	PartDayOfYear
	// PartFiscalPeriod is the fiscal period (1 … periods per year) of the
	// local date in Fiscal, as calendar.FiscalPeriodOf computes it: for
	// calendars whose periods do not all start on the 1st of a month
	// (four-weekly, or a fiscal year starting on another day).
	PartFiscalPeriod
	// PartHour, PartMinute and PartSecond are the wall clock's (OData's
	// hour(), minute(), second(): whole seconds).
	PartHour
	PartMinute
	PartSecond
	// PartDate is the date as the integer yyyymmdd and PartTime the time
	// of day in whole seconds as hhmmss (OData's date() and time(), KDate
	// and KTime).
	PartDate
	PartTime
)

// PartIn is "DatePart IN (values)": in-fiscal-period on every year (the
// calendar month for calendars whose periods start on the 1st of a month,
// else PartFiscalPeriod).
type PartIn struct {
	Part   *DatePart
	Values []int64
	Span   diag.Span // the condition
}

// Hierarchy tests a hierarchical table's primary key against the anchor's
// descendants (Under) or ancestors (Above), at most 100 levels.
type Hierarchy struct {
	Col      *ColumnRef
	Rel      *Relationship
	Table    *Table
	Anchor   *Value
	Above    bool
	OrEqual  bool
	Not      bool
	MaxDepth int
	// Walk is the walked table's instance inside the recursive query when
	// security is on: its SecurityFilter keeps the walk to rows the caller
	// may read, so no unreadable row links two readable ones (nil when
	// security is off).
	Walk *DataSource
	Span diag.Span // the condition
}

// Operand is the right side of a Compare.
type Operand interface{ operand() }

// Value is a typed literal. It always reaches the database as a bind
// parameter.
type Value struct {
	Kind Kind
	// V is string (KString, KGuid: lower-case canonical, KDecimal: decimal
	// text, KMulti), int64 (KInt), float64 (KFloat), bool (KBool) or
	// time.Time (KDateTime, UTC or wall clock per the column's behaviour).
	V any
}

func (*And) expr()           {}
func (*Or) expr()            {}
func (*Not) expr()           {}
func (*NotTrue) expr()       {}
func (*Const) expr()         {}
func (*Compare) expr()       {}
func (*IsNull) expr()        {}
func (*InList) expr()        {}
func (*Like) expr()          {}
func (*Exists) expr()        {}
func (*InSubquery) expr()    {}
func (*MultiContains) expr() {}
func (*PartIn) expr()        {}
func (*Hierarchy) expr()     {}

// Param is a bind parameter whose value is given when the statement runs,
// not when it is compiled: in untyped mode without a caller, identity
// operators compare with the caller's user id, Param{Name: CallerParam}.
// It is the V of a Value; emitters bind it as is, and it must be replaced
// (emit/sql.BindParams) before the statement reaches a database.
type Param struct{ Name string }

// CallerParam names the caller's user id parameter.
const CallerParam = "caller"

// String is the parameter as argument lists print it: ":caller".
func (p Param) String() string { return ":" + p.Name }

func (*Value) operand()     {}
func (*ColumnRef) operand() {}

// Pattern is a parsed T-SQL LIKE pattern: a sequence of literal runs,
// % (any run), _ (any one) and [set] / [^set] classes.
type Pattern []PatternElem

// PatternElem is one element of a Pattern.
type PatternElem struct {
	Kind PatternKind
	// Lit is the literal text (PatLiteral), or the class members
	// (PatClass): single runes and ranges "a-z" as written.
	Lit     string
	Negated bool // [^set]
}

// PatternKind is a pattern element's kind.
type PatternKind uint8

const (
	PatLiteral PatternKind = iota
	PatAnyRun              // %
	PatAnyOne              // _
	PatClass               // [set] or [^set]
)

// Inspect calls f on x and, while f returns true, on the operands of its
// And, Or, Not and NotTrue nodes, depth first. Subquery sources (Exists,
// InSubquery) are not entered: their expressions belong to their source.
func Inspect(x Expr, f func(Expr) bool) {
	if x == nil || !f(x) {
		return
	}
	switch x := x.(type) {
	case *And:
		for _, t := range x.Terms {
			Inspect(t, f)
		}
	case *Or:
		for _, t := range x.Terms {
			Inspect(t, f)
		}
	case *Not:
		Inspect(x.X, f)
	case *NotTrue:
		Inspect(x.X, f)
	}
}
