// Package queryexpression parses a Dataverse QueryExpression (or
// QueryByAttribute) serialized as JSON into the ast.Query that every front
// end produces.
//
// The JSON uses the SDK's property names exactly as the Web API complex
// types and the DataContract serialization spell them (spec §4.1, §4.3):
// PascalCase, case-sensitive. An unknown property is an UnknownAttribute
// error with its JSON path; so is a misspelt or lower-case one. A property
// given twice in one object is DuplicateElement (encoding/json would keep
// the last silently). A property
// whose value is null is treated as absent, as the SDK serializes unset
// members. "@odata.type" and "$type" are accepted on any object and
// ignored, except at the root, where a value containing "QueryByAttribute"
// selects that class. SubQueryExpression and ForceSeek (internal members
// of the Web API complex types) are not accepted. Without a discriminator the root is a
// QueryByAttribute when it has an "Attributes" or a "Values" property, a
// QueryExpression otherwise.
//
// Mapping onto the tree (member for member with FetchXML):
//
//   - LinkEntity.LinkFromAttributeName is FetchXML's to (the parent's
//     column) and LinkToAttributeName is FetchXML's from (the linked
//     table's column). LinkToEntityName is the linked table; the parent
//     table LinkFromEntityName is accepted and not checked.
//   - ColumnSet.Columns become plain attributes, then AttributeExpressions
//     become attributes with alias, aggregate, group-by and date grouping;
//     any aggregate or group-by makes the query an aggregate query.
//   - Criteria and LinkCriteria are the entity's one filter; a filter with
//     nothing in it (the SDK always serializes one) is dropped. A filter's
//     items are its Conditions, then its Filters, then its
//     AnyAllFilterLinkEntity.
//   - CompareColumns=true makes Values[0] the compared column (valueof), on
//     the same table.
//   - PageInfo Count and PageNumber of 0 are the SDK's "not set".
//   - QueryByAttribute becomes an And filter of Attributes[i] Equal
//     Values[i].
//
// Enums are accepted by member name ("Equal", "LeftOuter", "Or",
// "Descending", "CountColumn", "FiscalYear") or by number. Condition
// operator numbers are the compiled SDK's (ast.OperatorByQENumber). Caveat
// (spec §2.1 (*)): for the hierarchy operators the compiled enum says
// Under=75, NotUnder=76, UnderOrEqual=77, Above=78, AboveOrEqual=79 while
// the SDK's doc comments and the PCF typings say Above=75, Under=76,
// NotUnder=77, AboveOrEqual=78, UnderOrEqual=79. We follow the compiled
// values; send names to be safe. An unknown name or number is UnknownEnum.
//
// Condition values are plain JSON scalars (string → KindString, number →
// KindNumber, true/false → KindBool, null → KindNull) or the typed form
// {"Type": "System.String", "Value": …} with the types System.String,
// System.Int32, System.Int64, System.Decimal, System.Double,
// System.Boolean, System.Guid and System.DateTime. Value.Text is the
// invariant text form (numbers as written in the JSON).
//
// Validations are FetchXML's where they are structural: operand counts
// per operator (OperandCount), integer operands (BadLiteral), link types
// by placement (MisplacedLinkType), TopCount with PageInfo or with
// ReturnTotalRecordCount (ConflictingOptions), 15 links, 500 conditions
// and links, 5,000 rows (LimitExceeded), duplicate link and attribute
// aliases (DuplicateAlias), filters and links nested deeper than 64
// (TooDeep). Every error carries the JSON path of what it is about
// (diag.Error.Path, e.g. "$.Criteria.Conditions[2].Operator") and the
// Source; malformed JSON is a single SyntaxError (TooDeep beyond 512 JSON
// levels) positioned at line:col.
//
// The JSON is decoded token by token (encoding/json's Decoder) into values
// that keep their byte ranges, so the tree's nodes carry spans into the
// JSON as FetchXML's do: a node spans its object, a name or literal its
// JSON value, OpSpan the Operator value. Later stages' errors (unknown
// column, type mismatch) therefore point at line:col in the JSON. Nodes
// QueryExpression does not write (QueryByAttribute's filter) have
// diag.NoSpan. Table and column names are not checked here: the planner
// resolves them.
//
// Like every front end it imports only ast and internal/diag.
package queryexpression
