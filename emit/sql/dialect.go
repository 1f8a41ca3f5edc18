package sql

import "strings"

// Dialect describes a SQL target. The emitter never looks at Name: it
// branches on Caps only, so a new engine that behaves like an existing one
// (CockroachDB, DuckDB, Azure SQL …) is a new DialectSpec value, not new
// code.
type Dialect interface {
	// Name is the canonical dialect name ("postgres", "sqlite", "mysql",
	// "sqlserver"), for messages and golden-file directories.
	Name() string
	// Caps is everything the emitter needs to know about the target.
	Caps() Caps
}

// Caps describes a dialect's syntax and semantics.
type Caps struct {
	Flags  Flag
	Params ParamStyle
	Quote  QuoteStyle
	Dates  DateStyle
	Like   ClassStyle
	Concat ConcatStyle
	Fold   FoldStyle
	// Collation, when set, is written after every string column that is
	// compared, sorted, grouped or made distinct (collate.go);
	// CollationAccents is the accent-sensitive plan's.
	Collation, CollationAccents string
	// List is how a long IN list is bound (inlist.go).
	List ListStyle
	// Keys is how a string or composite key's tuple is read and compared
	// exactly (keymap.go).
	Keys KeyStyle
	// Limits are the engine's limits on one statement (limits.go).
	Limits Limits
}

// Has reports whether every flag in f is set.
func (c Caps) Has(f Flag) bool { return c.Flags&f == f }

// Flag is one boolean capability.
type Flag uint32

const (
	// NullsOrdering: the engine sorts NULLs last ascending, so ORDER BY
	// needs explicit NULLS FIRST / NULLS LAST (PostgreSQL). Without it the
	// engine's default is already "NULLs first ascending, last descending".
	NullsOrdering Flag = 1 << iota
	// TopFetch: row limits are T-SQL TOP (n) and OFFSET … ROWS FETCH NEXT
	// … ROWS ONLY (which needs an ORDER BY); otherwise LIMIT … OFFSET ….
	TopFetch
	// Lateral: JOIN LATERAL (…) ON TRUE exists.
	Lateral
	// CrossApply: CROSS APPLY (…) exists.
	CrossApply
	// IsTrue: "X IS NOT TRUE" exists (boolean expressions are values).
	IsTrue
	// BoolParams: booleans bind as Go bool; otherwise as int64 1 / 0.
	BoolParams
	// CaseInsensitive: string comparison, IN and LIKE are already
	// case-insensitive (SQL Server's default collation): no LOWER().
	CaseInsensitive
	// ZoneNames: "ts AT TIME ZONE 'UTC' AT TIME ZONE $zone" with IANA
	// names (PostgreSQL).
	ZoneNames
	// TimeText: datetimes bind as text 'YYYY-MM-DD HH:MM:SS[.fff]'
	// (SQLite); otherwise as time.Time.
	TimeText
	// DecimalFloat: decimal values bind as float64 (SQLite); otherwise as
	// their decimal text.
	DecimalFloat
	// AvgIntTruncates: AVG over an integer column returns an integer, so
	// the emitter casts the input to DECIMAL(38, 10) (SQL Server).
	AvgIntTruncates
	// GroupByOrdinal: GROUP BY 1, 2 refers to select-list positions.
	GroupByOrdinal
	// RecursiveKeyword: recursive CTEs are spelled WITH RECURSIVE.
	RecursiveKeyword
	// TableHints: WITH (NOLOCK) table hints and OPTION (…) query hints,
	// including OPTION (MAXRECURSION n) for hierarchy CTEs.
	TableHints
	// TypedParams: a bare parameter has no type of its own and needs a
	// CAST where the context does not give one (PostgreSQL CASE branches).
	TypedParams
	// BitMinMaxCast: MIN and MAX refuse the Boolean type (SQL Server's
	// bit, error 8117); they aggregate CAST(x AS INT) and cast back to BIT.
	BitMinMaxCast
	// BoolAndOr: MIN and MAX do not exist for boolean (PostgreSQL); the
	// minimum is BOOL_AND(x), the maximum BOOL_OR(x).
	BoolAndOr
	// ZoneFunction: vecompile_local(ts, $zone) (ZoneFunctionName) turns a
	// stored UTC datetime into the zone's wall clock, with IANA names: a
	// function vecompile's SQLite connections register, as they register
	// vecompile_fold.
	ZoneFunction
	// PadSpace: = and IN ignore trailing spaces, as SQL Server (so
	// Dataverse) does; otherwise the emitter trims them (pad.go).
	PadSpace
	// Unhex: UNHEX(text) turns hexadecimal digits into bytes (SQLite ≥
	// 3.41, MySQL, MariaDB), to compare a binary GUID column with a text
	// one.
	Unhex
	// NoCase: "x COLLATE NOCASE" compares ASCII letters case-insensitively
	// (SQLite), natively: a GUID column holding both cases is compared so
	// rather than through LOWER(), which vecompile's SQLite connections
	// replace with a slower Unicode-aware Go function.
	NoCase
	// ZoneWindows: "ts AT TIME ZONE 'UTC' AT TIME ZONE $zone" with the
	// Windows name of the IANA zone (SQL Server 2016+, zonewin.go); a zone
	// without one keeps the offset CASE.
	ZoneWindows
	// RowValues: (a, b) > (x, y) compares row values in order, each
	// element as the same comparison alone would (PostgreSQL, SQLite
	// 3.15+), which an index on (a, b) seeks: the keyset continuation's
	// form (keyset.go). Not MariaDB: a row comparison of its UUID column
	// with a bound value does not follow the column's ORDER BY (keyset
	// pages lost rows in TestKeysetPagingAscending).
	RowValues
	// FoldCollateC: a folded string is pinned to the "C" collation
	// (PostgreSQL), so folded strings compare and sort by code point, as
	// docs/semantics.md says, whatever the database's or the column's
	// collation (which a locale's strcoll would apply, and which differs
	// between databases), and the fold's ASCII branch is a byte map,
	// LOWER(x COLLATE "C"), several times cheaper than a locale's LOWER.
	FoldCollateC
)

// ParamStyle is the bind-parameter placeholder syntax.
type ParamStyle uint8

const (
	ParamQuestion ParamStyle = iota // ?
	ParamDollar                     // $1, $2 …
	ParamAtP                        // @p1, @p2 …
	// ParamQuestionNumbered is SQLite's ?1, ?2 …: a repeated expression
	// (a zone's offset CASE, a fiscal key, a grouping key) binds its
	// arguments once, as PostgreSQL's $n do.
	ParamQuestionNumbered
)

// Numbered reports whether the same placeholder text may appear twice and
// bind the same argument.
func (p ParamStyle) Numbered() bool { return p != ParamQuestion }

// QuoteStyle is the identifier quoting syntax.
type QuoteStyle uint8

const (
	QuoteDouble   QuoteStyle = iota // "x", " doubled
	QuoteBacktick                   // `x`, ` doubled
	QuoteBracket                    // [x], ] doubled
)

// DateStyle is the family of date functions.
type DateStyle uint8

const (
	DateExtract  DateStyle = iota // EXTRACT(MONTH FROM x), x + n * INTERVAL '1 minute'
	DateStrftime                  // strftime('%m', x, '+n minutes')
	DateMySQL                     // MONTH(x), DATE_ADD(x, INTERVAL n MINUTE)
	DateDatepart                  // DATEPART(month, x), DATEADD(minute, n, x)
)

// ClassStyle is how a LIKE pattern with [set] classes is matched.
type ClassStyle uint8

const (
	ClassLike      ClassStyle = iota // LIKE understands [set] natively (T-SQL)
	ClassSimilarTo                   // SIMILAR TO (PostgreSQL)
	ClassRegexp                      // REGEXP '^…$' (MySQL, MariaDB)
	ClassGlob                        // GLOB (SQLite)
)

// ConcatStyle is string concatenation.
type ConcatStyle uint8

const (
	ConcatPipes ConcatStyle = iota // a || b
	ConcatFunc                     // CONCAT(a, b)
	ConcatPlus                     // a + b
)

// FoldStyle is how an engine compared with LOWER() folds accents as well
// (Dataverse's accent-insensitive default collation; the table is
// internal/collate's). CaseInsensitive dialects fold by their collation.
type FoldStyle uint8

const (
	FoldReplace   FoldStyle = iota // REPLACE(…REPLACE(LOWER(x), 'à', 'a')…, 'ȳ', 'y'): portable, long
	FoldTranslate                  // translate(LOWER(x), 'à…', 'a…'), the table as two literals (PostgreSQL)
	FoldFunction                   // vecompile_fold(x), registered on the connection (vecompile's SQLite)
)

// FoldFunctionName is the SQL function a FoldFunction dialect calls: a
// deterministic one-argument function computing collate.Fold (NULL stays
// NULL), which package engine registers on every SQLite connection.
const FoldFunctionName = "vecompile_fold"

// ZoneFunctionName is the SQL function a ZoneFunction dialect calls:
// vecompile_local(ts, zone) is the UTC datetime text ts as the wall clock
// of IANA zone zone, as text 'YYYY-MM-DD HH:MM:SS[.fff]' (NULL stays NULL).
// Package engine registers it on every SQLite connection.
const ZoneFunctionName = "vecompile_local"

// DialectSpec is a Dialect given by value. The four built-in dialects are
// DialectSpecs; callers may define their own.
type DialectSpec struct {
	DialectName  string
	Capabilities Caps
}

// Name implements Dialect.
func (s *DialectSpec) Name() string { return s.DialectName }

// Caps implements Dialect.
func (s *DialectSpec) Caps() Caps { return s.Capabilities }

// The built-in dialects.
var (
	Postgres Dialect = &DialectSpec{"postgres", Caps{
		Flags:  NullsOrdering | Lateral | IsTrue | BoolParams | ZoneNames | GroupByOrdinal | RecursiveKeyword | TypedParams | BoolAndOr | RowValues | FoldCollateC,
		Params: ParamDollar, Quote: QuoteDouble, Dates: DateExtract, Like: ClassSimilarTo, Concat: ConcatPipes, Fold: FoldTranslate,
		List: ListArray, Keys: KeysPostgres, Limits: postgresLimits,
	}}
	SQLite Dialect = &DialectSpec{"sqlite", Caps{
		Flags:  ZoneFunction | IsTrue | TimeText | DecimalFloat | GroupByOrdinal | RecursiveKeyword | Unhex | NoCase | RowValues,
		Params: ParamQuestionNumbered, Quote: QuoteDouble, Dates: DateStrftime, Like: ClassGlob, Concat: ConcatPipes, Fold: FoldFunction,
		List: ListJSONEach, Keys: KeysSQLite, Limits: sqliteLimits,
	}}
	MySQL Dialect = &DialectSpec{"mysql", Caps{
		Flags:  IsTrue | GroupByOrdinal | RecursiveKeyword | Unhex,
		Params: ParamQuestion, Quote: QuoteBacktick, Dates: DateMySQL, Like: ClassRegexp, Concat: ConcatFunc,
		List: ListJSONTable, Keys: KeysMySQL, Limits: mysqlLimits,
	}}
	SQLServer Dialect = &DialectSpec{"sqlserver", Caps{
		Flags:  TopFetch | CrossApply | CaseInsensitive | AvgIntTruncates | TableHints | BitMinMaxCast | PadSpace | ZoneWindows,
		Params: ParamAtP, Quote: QuoteBracket, Dates: DateDatepart, Like: ClassLike, Concat: ConcatPlus,
		Collation: "Latin1_General_CI_AI", CollationAccents: "Latin1_General_CI_AS",
		List: ListOpenJSON, Keys: KeysSQLServer, Limits: sqlserverLimits,
	}}
)

// Dialects lists the built-in dialects.
func Dialects() []Dialect { return []Dialect{Postgres, SQLite, MySQL, SQLServer} }

// DialectByName returns a built-in dialect: "postgres" (or "postgresql",
// "pg"), "sqlite" (or "sqlite3"), "mysql" (or "mariadb"), "sqlserver" (or
// "mssql", "tsql"). Names are case-insensitive.
func DialectByName(name string) (Dialect, bool) {
	switch strings.ToLower(name) {
	case "postgres", "postgresql", "pg", "pgx":
		return Postgres, true
	case "sqlite", "sqlite3":
		return SQLite, true
	case "mysql", "mariadb":
		return MySQL, true
	case "sqlserver", "mssql", "tsql", "t-sql":
		return SQLServer, true
	}
	return nil, false
}
