// Package refeval is the reference interpreter of the property harness
// (internal/prove): it evaluates a FetchXML query tree over in-memory rows
// with Dataverse's semantics, so that the rows the engines return can be
// checked against an answer computed another way. It is test support and
// never imports emit/... or plan.
//
// # What it consumes, and why
//
// refeval reads the AST (package ast) together with its own schema
// (Database: tables, typed columns, rows), not the plan. The plan is where
// the planner's decisions live: operator lowering, the IS NULL branches of
// negative operators, folded comparisons, the resolved intervals of
// relative-date operators, join kinds, the all / not all rewrite. Reading
// it would make refeval agree with a planner bug. From the AST it resolves
// names itself and applies each operator from its definition:
//
//   - three-valued logic (Tri), with Dataverse's null-inclusive negative
//     operators (nullInclusive, the same choice as plan.NullInclusive; a
//     test keeps the two lists equal);
//   - case-insensitive string comparison by Unicode simple lower-casing
//     (accents significant, as the README states for every engine);
//   - T-SQL LIKE with % _ [set] [^set] [a-z], matched by its own matcher;
//   - relative-date and fiscal intervals recomputed from the operator, the
//     clock, the zone and the fiscal calendar with package time and month
//     arithmetic alone (never plan/calendar), for User Local columns in the
//     caller's zone and for Date Only and Time-Zone Independent columns on
//     the wall clock (a date is in an interval when its day meets it);
//   - identity operators against Env.Caller, hierarchy operators over a
//     table's self lookup, multi-select contain-values;
//   - joins per link type, exists / in, any / not any / all / not all,
//     matchfirstrowusingcrossapply (the matching row with the lowest
//     primary key), entityname and valueof conditions, aggregates (over
//     joins too), day / week / month / quarter / year / fiscal grouping,
//     distinct, NULLs first ascending, lookups by name and choices by label,
//     root then link orders, the stable-paging tie-breakers, top,
//     count/page and the total record count.
//
// It supports what the generator (internal/gen) produces; anything else
// is an error, never a silent guess.
//
// Where the engines deliberately differ from Dataverse (the README's
// choices table) refeval follows the README. Strings sort as Dataverse's
// collation sorts them: by their folding without trailing spaces alone, by
// code point, as vecompile's ORDER BY fold(RTRIM(col)) does on binary
// collations; spellings that tie go to the next key.
//
// It never imports plan or an emitter: an oracle that shared their code would
// share their bugs.
package refeval
