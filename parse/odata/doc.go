// Package odata reads OData v4 (Dataverse Web API) requests,
// "accounts?$select=…&$filter=…", into the FetchXML-shaped ast, so that an
// OData request plans and runs like FetchXML.
//
// # Two steps
//
// ParseRequest splits the request, percent-decodes each option value and
// parses it into a concrete syntax tree with a hand-written lexer
// (lexer.go) and recursive-descent parser (expr.go: expressions,
// $orderby; options.go: $select, $expand with nested options, $apply,
// $compute). grammar.go holds the tree and its participle grammar, the
// definition: the tests parse every input again with participle and
// require the same tree and the same error positions (participle's
// backtracking with lookahead 3 is followed on failure). No request goes
// through reflection. It checks syntax only. Lower resolves
// names against a Schema (entity sets, navigation properties, primary
// keys: the root package adapts plan.Catalog) and builds the ast.Query.
// Positions are byte offsets into the request as written, before
// decoding, so errors point at what the user typed.
//
// # What lowers to what
//
//   - property op literal → a condition (eq ne gt ge lt le; eq/ne null →
//     null/not-null; in (…) → in); _x_value → the lookup x
//   - contains / startswith / endswith → like; Dataverse keeps LIKE
//     wildcards live inside them (spec §3.2), so the text is carried as is;
//     the v4 flavor escapes %, _ and [ (standard OData: literal text)
//   - Microsoft.Dynamics.CRM.<ConditionOperator>(PropertyName=…,
//     PropertyValue=… | PropertyValues=[…] | PropertyValue1/2=…) → that
//     operator, the reverse of emit/odata
//   - nav/any(x: F), nav/all(x: F) on a collection → an any / all
//     link-entity in the filter; nav/prop on an N:1 navigation → an any link
//   - $select → attributes (none: every column, as OData returns);
//     $expand of an N:1 navigation → an outer link-entity aliased by the
//     navigation property; $orderby, $top, $count; $skip a multiple of $top
//     → count/page; $apply filter/groupby/aggregate → an aggregate or
//     distinct query
//
// # $expand for a server that nests
//
// A FetchXML result is flat. LowerExpansion (expand.go) lowers a request
// for a server that nests its $expand: single-valued expands are outer
// links aliased uniquely, reading the related key (hidden when not
// selected) so that a missing related row tells from a row of nulls;
// collection-valued ones are left out of the query and described
// (CollectionExpand: the navigation, per-parent $top/$skip/$count, and
// the nested $select/$filter/$orderby/$expand as a request for the related
// table, lowered with CollectionExpand.Lower). At most MaxExpands $expand
// items, collections nested at most MaxCollectionDepth deep.
//
// # not and nulls
//
// OData's logic is two-valued: a comparison with null is false, so
// "not (a gt 5)" holds for rows where a is null. FetchXML (SQL) is
// three-valued. not is therefore pushed down to the leaves (De Morgan) and
// each leaf is replaced by its exact complement: not eq → ne (FetchXML's
// ne already includes nulls), not gt → le or null, not in → not-in or
// null, not contains → not-like; which FetchXML operators include nulls
// is the planner's table, passed as Options.NullInclusive. Through an N:1
// path a missing related row reads as null: a leaf false on null becomes
// an any link, a leaf true on null a not-any link on its complement.
// not any / not all links negate lambdas.
//
// # Refusals
//
// What parses but has no FetchXML meaning is an UnsupportedFeature
// (VE1014) error at its position naming it, never dropped: arithmetic,
// functions other than the above, has, comparisons of two properties for
// eq/ne (null eq null is true in OData), $search, $compute, $expand of a
// collection in Lower (nested arrays: LowerExpansion describes it instead),
// $expand of *, of paths, $ref and $levels, nested options of a
// single-valued $expand other than $select/$expand and of a collection
// other than $select/$filter/$orderby/$top/$skip/$count/$expand,
// lambdas under lookup paths, $apply steps after an aggregation, literals
// no Dataverse column holds (durations, times of day, binary, spatial,
// INF/NaN).
//
// Like every front end it imports only ast and internal/diag.
package odata
