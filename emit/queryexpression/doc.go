// Package queryexpression prints an ast.Query as QueryExpression JSON: the
// SDK's property names (spec §4.1, §4.3), enums by member name, indented,
// properties in the SDK's declaration order, unset members left out. The
// output parses back with parse/queryexpression.
//
// Mapping (the inverse of parse/queryexpression): FetchXML to is
// LinkFromAttributeName, from is LinkToAttributeName, the link's table is
// LinkToEntityName and the parent's table LinkFromEntityName; plain
// attributes are ColumnSet.Columns unless one attribute needs an alias,
// aggregate, group-by or date grouping, in which case all of them are
// AttributeExpressions (so their order is kept); the entity's filter is
// Criteria (LinkCriteria on a link); valueof is CompareColumns with the
// column in Values[0]; a filter's any/all link-entity is its
// AnyAllFilterLinkEntity. Within a FilterExpression conditions come
// before nested filters and the any/all link (the class has one list of
// each), so the items of a FetchXML filter that interleaves them are
// reordered (And and Or are commutative; nothing is lost).
//
// Values: FetchXML literals (untyped) and strings are JSON strings, numbers
// JSON numbers, booleans true/false, null null; GUIDs and dates use the
// typed form {"Type": "System.Guid" | "System.DateTime", "Value": "…"}.
//
// What QueryExpression cannot carry is an error, never dropped. Dataverse's
// own FetchXmlToQueryExpression drops these silently (spec §4.2); we
// don't: each is an UnsupportedFeature (VE1014) error that names the
// feature and points at it (the FetchXML position when the query came from
// FetchXML). The features: cross-table valueof ("alias.col"; CompareColumns
// is same-table), useraworderby, latematerialize, aggregatelimit,
// attribute usertimezone, countcolumn distinct, rowaggregate, intersect on
// a link-entity, orders placed directly under <fetch>, more than one
// <filter> in an entity or link-entity, more than one any/all link-entity
// in one filter, and an aggregate attribute on <fetch> that disagrees with
// the attributes (QueryExpression derives it from AggregateType and
// HasGroupBy). Order EntityName is kept (OrderExpression has it in newer
// builds); every JoinOperator has a member.
package queryexpression
