// Package sql emits SQL for a plan in one of four dialects: PostgreSQL,
// SQLite, MySQL/MariaDB and SQL Server (T-SQL).
//
//	d, _ := sql.DialectByName("postgres")
//	st, err := sql.Emit(p, d)        // the SELECT
//	cnt, err := sql.EmitCount(p, d)  // returntotalrecordcount: COUNT(*) over ≤ 5,001 rows
//	in, err := sql.EmitAggregateInput(p, d) // aggregate input rows, ≤ AggregateLimit+1
//
// A Statement is the SQL text, its arguments in placeholder order, and the
// plan's output columns: select-list item i is aliased c<i> and carries
// Statement.Columns[i]; the executor maps results by position.
//
// # Algorithm
//
// Emit makes two passes over the immutable plan tree.
//
//  1. A sizing walk (no allocation) estimates the text length and the
//     argument count and collects the Hierarchy tests, which are hoisted
//     into recursive CTEs at the top of the statement (T-SQL forbids WITH
//     inside subqueries, and "?" placeholders must appear in argument
//     order, so they are written first).
//
//  2. A rendering walk writes the statement into one byte buffer, sized by
//     the estimate, in textual order, appending each value to the argument
//     slice as its placeholder is written.
//
// The statement's shape:
//
//	[WITH [RECURSIVE] vh0 (…) AS (…), …]
//	SELECT [DISTINCT] [TOP (n)] <columns AS c0, c1 …>
//	FROM <root> <joins> [WHERE <security> AND <filter>]
//	[GROUP BY …] [ORDER BY …] [LIMIT … OFFSET … | OFFSET … FETCH …]
//	[OPTION (…)]
//
// Joins recurse through DataSource.Joins. An outer join whose children
// include a non-outer join is written as a parenthesized join group,
// LEFT JOIN (b JOIN c ON …) ON …, so an inner child only restricts b and
// never drops the outer parent's rows. Exists and InSubquery sources are
// rendered as correlated subqueries with their own joins. Expressions are
// written with the minimum of parentheses: an Or inside an And is wrapped,
// NOT always wraps its operand, IS NOT TRUE always wraps its operand.
//
// Errors never panic and never produce partial SQL: the first problem is
// recorded (diag.DialectUnsupported when the dialect cannot express a
// construct, diag.UnsupportedFeature for a date grouping it does not know,
// diag.FiscalSettings for an invalid fiscal calendar,
// diag.MalformedPlan when the plan breaks its contract — nil nodes,
// unknown enum values, cycles), rendering continues harmlessly, and Emit
// returns the error.
//
// # Builder choice
//
// The SQL is written by a small hand-written builder, not squirrel.
// Squirrel's builders are immutable values rebuilt through reflection on
// every call, and it quotes no identifiers and knows no T-SQL paging, so
// most of the text would be pre-formatted strings anyway. Measured on the
// plan of bench/medium.xml (3 links, 10 conditions, order, paging; 2-core
// machine shared with other jobs, go1.26): BenchmarkEmitMedium takes about
// 1.8–2.7 µs and 5 allocations (PostgreSQL, MySQL, SQL Server; 10 on
// SQLite, which converts datetimes and decimals), while
// BenchmarkSquirrelMedium builds the same statement from pre-quoted
// strings in about 16–25 µs and 210
// allocations — alone twice the whole parse+plan+emit budget (10 µs, 60
// allocations). The buffer is written by index (length = capacity, fill
// level kept in an int) rather than by append or strings.Builder: storing
// no pointer per write avoids a GC write barrier on every identifier and
// halved the time. Values of plan.Value are passed through as the same
// interface value when no conversion is needed, so binding allocates
// nothing.
//
// # Dialect capabilities
//
// The emitter branches on Caps only, never on the dialect name.
//
//	capability            postgres         sqlite            mysql/mariadb        sqlserver
//	placeholders          $1               ?1                ?                    @p1
//	identifiers           "x" ("")         "x" ("")          `x` (``)             [x] (]])
//	row limit             LIMIT $n         LIMIT ?n          LIMIT ?              TOP (@p)
//	paging                LIMIT … OFFSET … LIMIT … OFFSET …  LIMIT … OFFSET …     OFFSET … ROWS FETCH NEXT … ROWS ONLY
//	NULL order            NULLS FIRST/LAST engine default    engine default       engine default
//	first-row link        JOIN LATERAL     pk = (subquery)   pk = (subquery)      CROSS APPLY
//	IS NOT TRUE           yes              yes               yes                  CASE WHEN x THEN 1 ELSE 0 END = 0
//	case folding          LOWER()          LOWER() *         LOWER()              COLLATE Latin1_General_CI_AI
//	accent folding        translate()      vecompile_fold()* REPLACE chain        collation (AI)
//	LIKE with [classes]   SIMILAR TO       GLOB              REGEXP               LIKE
//	date parts            EXTRACT          strftime          YEAR() …             DATEPART
//	zone conversion       AT TIME ZONE     vecompile_local()* offset CASE         offset CASE
//	booleans bound as     bool             int64 1/0         int64 1/0            int64 1/0
//	datetimes bound as    time.Time        'YYYY-MM-DD …'    time.Time            time.Time
//	decimals bound as     text             float64           text                 text
//	AVG of integers       numeric          real              decimal              AVG(CAST(x AS DECIMAL(38, 10)))
//	MIN/MAX of Boolean    BOOL_AND/BOOL_OR MIN/MAX           MIN/MAX              CAST(MIN(CAST(x AS INT)) AS BIT)
//	GROUP BY on params    same $n          ordinal           ordinal              same @pN
//	recursive CTE         WITH RECURSIVE   WITH RECURSIVE    WITH RECURSIVE       WITH + OPTION (MAXRECURSION n)
//	NOLOCK, OPTION hints  ignored          ignored           ignored              WITH (NOLOCK), OPTION (…)
//
// (*) SQLite's built-in lower() folds ASCII only. Executors should replace
// it with a Unicode-aware function (modernc.org/sqlite
// RegisterDeterministicScalarFunction("lower", 1, …)), as package engine
// and this package's tests do; the SQL is the same either way. The
// accent folding vecompile_fold (FoldFunctionName) does not exist in
// SQLite: the executor registers it (collate.Fold), as package engine does;
// nor does vecompile_local (ZoneFunctionName, LocalTime), the conversion of
// a stored UTC datetime to an IANA zone's wall clock.
//
// # Semantic choices
//
// Values. Every plan value is a bind parameter; only emitter constants
// appear in the text (1=1, 0, 'UTC', ESCAPE '!', date-format strings,
// T-SQL hint names, TOP (1) and MAXRECURSION n, which T-SQL requires as a
// literal). LIMIT, OFFSET, TOP and the count cap are parameters too: every
// dialect accepts them there, and a parameterized statement text depends
// only on the query's shape. Datetimes keep the wall clock the plan holds
// ("no zone conversion": a time in another location is rebound as the same
// wall clock in UTC); on SQLite they are text 'YYYY-MM-DD HH:MM:SS', with
// fractional seconds only when non-zero, which compares correctly with the
// stored text; a midnight value compared with a Date Only column binds as
// 'YYYY-MM-DD', the way SQLite stores dates (and package engine's fixture
// does), so that the half-open day ranges of the planner hold. GUIDs are bound in the compared
// column's storage form (plan.GuidStorage; guid.go): lower-case text,
// upper-cased, or 16 bytes; a column holding both cases is compared
// through LOWER() (SQLite: COLLATE NOCASE), and two columns of different
// forms meet in canonical text or in bytes. On PostgreSQL they are left
// uncast (an untyped parameter compared with a uuid column takes its type).
//
// Security. The root's WHERE is (security) AND (filter), security first.
// A join's ON is child = parent AND security AND filter, also security
// first (the spec sketches ON … AND filter AND security; the order has no
// semantic effect and security-first matches WHERE). An outer join's
// security stays in its ON clause, never in WHERE. A SecurityFilter
// without an expression grants nothing (1=0).
//
// Case and accents. Strings fold as internal/collate's Fold: lower-cased,
// then (unless plan.Plan.AccentSensitive) each letter of its table (Latin
// letters whose NFD is an ASCII letter and combining marks) replaced by
// that letter. Fold compares and IN lists are fold(col) = ? except on SQL
// Server, whose collation folds already: pinned in the SQL as
// col COLLATE Latin1_General_CI_AI (CI_AS for the accent-sensitive
// setting) on every string column compared, sorted, grouped or made
// distinct, whatever the database's default (collate.go). fold(col) is LOWER(col) when accent-sensitive, and
// otherwise per Caps.Fold: translate(LOWER(col), 'à…', 'a…') with the
// table written as two literals, so that an expression index matches
// (PostgreSQL), vecompile_fold(col) (SQLite), a REPLACE chain over
// LOWER(col) with the table as constants (MySQL); a column is guarded,
// CASE WHEN OCTET_LENGTH(col) = CHAR_LENGTH(col) THEN LOWER(col) ELSE …
// END, as an ASCII string has nothing to unaccent (PostgreSQL lowers that
// branch under COLLATE "C", a byte map, and pins every fold to "C":
// FoldCollateC). A
// value with letters to unaccent is bound folded (Go); one that only needs
// lower-casing stays LOWER(?), one already folded is bound as it is. The
// MySQL and MariaDB test tables use DEFAULT CHARSET=utf8mb4
// COLLATE=utf8mb4_bin, so the folding demonstrably comes from the SQL and
// not from the collation.
//
// LIKE. The plan's T-SQL pattern is re-rendered in Go with literal parts
// and class members folded (collate.FoldRune: lower-cased as
// strings.ToLower, unaccented unless accent-sensitive, range ends too) and
// bound as one parameter; the column is folded in SQL.
//   - SQL Server: the T-SQL pattern, literal % _ [ bracketed ([%] [_] [[]).
//   - No class, other dialects: LIKE ? ESCAPE '!' with % _ ! escaped by '!'
//     (not backslash, the default escape of PostgreSQL and MySQL and a
//     string-literal escape in MySQL).
//   - PostgreSQL with classes: SIMILAR TO ? ESCAPE '!', escaping
//     | * + ? { } ( ) [ ] % _ ! outside classes and ASCII punctuation inside
//     them; PostgreSQL itself escapes . ^ $ and backslash.
//   - MySQL/MariaDB with classes: REGEXP '(?s)^…\z' (% → .*, _ → ., regex
//     metacharacters backslash-escaped, ASCII punctuation escaped inside
//     classes); (?s) lets . match a newline as % and _ do, and \z (not $)
//     refuses a trailing newline.
//   - SQLite with classes: GLOB (% → *, _ → ?, literal * ? [ bracketed).
//
// Classes match code-point ranges of the lower-cased text. NOT Like is
// NOT (…): NULL stays unknown (the planner adds IS NULL branches).
//
// First-row links (matchfirstrowusingcrossapply). The row chosen is the
// matching row with the lowest primary key on every dialect (Dataverse
// promises one arbitrary row; a fixed choice keeps dialects equal):
// CROSS APPLY (SELECT TOP (1) * … ORDER BY pk) on SQL Server,
// JOIN LATERAL (SELECT * … ORDER BY pk LIMIT 1) ON TRUE on PostgreSQL, and
// on MySQL/MariaDB and SQLite, which lack LATERAL (MariaDB entirely, MySQL
// before 8.0.14), JOIN t AS a ON a.pk = (SELECT a.pk FROM t AS a WHERE … ORDER
// BY a.pk LIMIT 1), where the inner alias shadows the outer one. Without a
// primary key that last form is DialectUnsupported.
//
// Multi-select contains. (',' || col || ',') LIKE ? with the parameter
// '%,<value>,%' built in Go (CONCAT on MySQL, + on SQL Server), OR'ed over
// the values; Not wraps the whole test in NOT (…).
//
// Date parts (PartIn, date grouping). The stored value is UTC (PostgreSQL:
// timestamp without time zone). The zone's UTC offset is a step function
// computed from Go's time package over 1970–2100 (transitions found with
// Time.ZoneBounds and a bisection fallback). PostgreSQL converts with
// col AT TIME ZONE 'UTC' AT TIME ZONE $zone when the location's name is an
// IANA name Go resolves to the same offsets, else it adds minutes like the
// others. SQLite, MySQL/MariaDB (no zone tables assumed) and SQL Server
// (which only knows Windows zone names, and the plan carries IANA
// locations) add the offset in minutes: one parameter for a fixed offset,
// else a CASE that binary-searches the transitions, nested at most
// log2(n) deep (9 for a DST zone's ~260 transitions; T-SQL allows 10).
// With numbered placeholders each distinct offset is bound once. Week is
// DATEPART(week) with Sunday-start weeks and week 1 holding 1 January,
// computed as (dayofyear - weekday + 12) / 7 with weekday 0 for Sunday on
// every dialect (on SQL Server independent of SET DATEFIRST).
//
// Fiscal periods per row (PartFiscalPeriod, fiscal-period / fiscal-year
// grouping). When every period starts on the 1st of a month the month
// decides: a CASE over calendar months. Other calendars (a fiscal year
// starting on another day, four-weekly periods) use integer arithmetic on
// the local year, month, day and day of year, exactly as
// calendar.FiscalPeriodOf (fiscal.go explains it): month-based periods
// start on min(start day, days in the month), with a Gregorian leap-year
// test for February; four-weekly periods count days from the fiscal-year
// start, days 364–365 staying in period 13. in-fiscal-period tests a range
// of months or days (BETWEEN two parameters) instead of the period. With
// numbered placeholders each date part is written once and its text
// repeated; no CASE holds another besides the zone's offset CASE.
//
// Aggregates. count → COUNT(*) over the joined rows; countcolumn →
// COUNT(col) or COUNT(DISTINCT col); sum, avg, min, max (of a Boolean,
// false < true: PostgreSQL has no MIN(boolean) and SQL Server none over
// bit, see the table). GROUP BY lists the
// grouping columns; a grouping expression with parameters is repeated
// verbatim where placeholders are numbered (the same $n / ?n / @pN bind, so the
// engine sees the same expression) and referenced by select-list position
// otherwise. ORDER BY on an output column uses its alias. A distinct or
// aggregate query ordering by a column it does not select is
// DialectUnsupported (PostgreSQL, SQL Server and strict MySQL reject it).
//
// Case-insensitive groups. Dataverse's collation groups strings by their
// folding, so on engines compared with LOWER() a string groupby column
// is GROUP BY fold(col) with MIN(col) in the select list (the least
// spelling shows, the same on every binary collation), countcolumn
// distinct of a string is COUNT(DISTINCT fold(col)), and a distinct
// query with a string column groups its DISTINCT rows again:
// SELECT MIN(d.c0) AS c0, d.c1 AS c1 FROM (SELECT DISTINCT …) AS d
// GROUP BY fold(d.c0), d.c1. SQL Server's collation does all this
// itself.
//
// Repeated sort expressions. A sort term whose expression (text and
// arguments) repeats an earlier term's is dropped, whatever its direction:
// it cannot change the order, and SQL Server refuses it (error 169). Two
// <order attribute="name"/> give one term.
//
// Sort keys by name and label (plan.SortName, plan.SortLabel). A lookup
// sorts by (SELECT vs.<primary name> FROM <target> AS vs WHERE vs.<pk> =
// col), COALESCE'd over the targets of a polymorphic lookup;
// a primary name column security hides (plan.SortKey.Names) is written as
// a hidden column is, NULL or CASE WHEN vs.<pk> IN (field-shared keys)
// THEN vs.<primary name> END; a
// choice by CASE col WHEN <value> THEN <rank> … END (ranks from the plan's
// options, in label order; no label text in the SQL; unlabelled values get
// NULL); the ranks are plan.Column.OptionRank's, accent-
// insensitive unless the plan is accent-sensitive. Names and labels that
// tie go to the next key; only a distinct or aggregate order (no primary
// key ends it) follows them with col. String keys (String, Memo, min/max
// of them, a computed string, a lookup's name) sort as Dataverse's
// collation does: fold(RTRIM(key)) alone, so that spellings differing in
// case, accents or trailing spaces tie and go to the next key (SQL Server:
// key COLLATE …, which ignores trailing spaces itself); a string primary
// key alone is followed by its stored value. An unfolded comparison of a
// string column (keyset paging) compares these sort keys. A distinct or aggregate
// query with such a key is
// wrapped, SELECT * FROM (<query>) AS v ORDER BY <keys over v.c<i>> with
// Top and paging outside: DISTINCT forbids ORDER BY expressions outside the
// select list (PostgreSQL, MySQL), and over a derived table no GROUP BY
// rule applies (T-SQL included).
//
// Row aggregates. rowaggregate="CountChildren" is a correlated scalar
// subquery in the select list, (SELECT COUNT(*) FROM t AS vs WHERE
// vs.parent = source.pk), with no security filter (Dataverse counts the
// children the caller cannot read), wrapped in CASE WHEN source.pk IS NULL
// THEN NULL ELSE … END on an outer link. Added subqueries use the alias vs
// (vs1, vs2 … when a data source of the plan has that name).
//
// Hierarchy. Each test becomes a CTE vh<i>(id, parent, depth) seeded with
// the anchor at depth 0 and extended to children (under) or parents
// (above) while depth < MaxDepth; the test is col [NOT] IN (SELECT id FROM
// vh<i> [WHERE depth > 0]) — strict unless OrEqual.
//
// Keyset continuation (plan.Plan.After, keyset.go). The rows after the
// last row of a page: (<ORDER BY terms>) > (<the same terms of the
// values>) where every key ascends with a value and the dialect has
// RowValues (an index on the terms seeks it); otherwise the bound on the
// first key and the OR-expansion over the keys. After a NULL first value:
// <first term> IS NULL AND <the rest's continuation> descending; ascending
// the plan may keep one of its ranges (plan.Plan.AfterPart), the NULL
// one so written, or <first term> IS NOT NULL; after a NULL in a later
// key (AfterAt), each range among the rows tied with the values before
// it, and the rows after those values (AfterRest).
//
// Per-partition limit (plan.Plan.Partition, partition.go). A collection
// $expand's $skip/$top per parent: where the plan lists the parents' keys
// and the dialect has Lateral or CrossApply, one subquery per key (the
// plan's WHERE, security included, and key = k.v, ORDER BY and LIMIT
// inside); otherwise ROW_NUMBER() OVER (PARTITION BY <key> ORDER BY …)
// over the filtered rows, kept by number.
//
// Count. EmitCount wraps the query without ORDER BY, Top and paging in
// SELECT COUNT(*) FROM (… LIMIT 5001) AS t (TOP (5001) on SQL Server);
// a plain query selects only 1. Statement.Columns is one synthetic
// count column. EmitAggregateInput counts an aggregate plan's input the
// same way: SELECT COUNT(*) FROM (SELECT 1 AS c0 FROM … WHERE … LIMIT
// AggregateLimit+1) AS t, the joins and filters without GROUP BY, so the
// executor can refuse an input over Dataverse's aggregate record limit.
package sql
