// Package ast is the one query tree that every front end (FetchXML,
// QueryExpression, OData) produces and the planner consumes. Its shape is
// FetchXML's, because QueryExpression maps onto FetchXML member for member
// and OData's query options lower into it.
//
// Nodes are sealed (unexported marker methods, as in go/ast) and carry a
// diag.Span into their source. Literals stay as written; the planner types
// them against the catalog.
//
// It imports only internal/diag: every front end and the planner depend on
// it, never the reverse.
package ast

import "github.com/vecompile/vecompile/internal/diag"

// Span is a byte range of the source.
type Span = diag.Span

// Node is any node of the tree.
type Node interface {
	Extent() Span // the node's byte range (its embedded Span field)
	node()
}

// FilterItem is a child of a Filter: *Condition, *Filter or *LinkEntity
// (any / not any / all / not all).
type FilterItem interface {
	Node
	filterItem()
}

// Name is an identifier as written, with its span. The zero Name is "not
// given".
type Name struct {
	Span
	Text string
}

// IsSet reports whether the name was given.
func (n Name) IsSet() bool { return n.Text != "" }

// Int is an optional integer attribute.
type Int struct {
	Span
	Value int64
	Set   bool
}

// Bool is an optional boolean attribute.
type Bool struct {
	Span
	Value bool
	Set   bool
}

// Query is the root: FetchXML <fetch>, a QueryExpression, or an OData request.
type Query struct {
	Span
	Source *diag.Source
	Entity *Entity

	Top                    Int
	Count                  Int // page size
	Page                   Int // 1-based page number
	PagingCookie           Name
	ReturnTotalRecordCount Bool
	Distinct               Bool
	Aggregate              Bool
	AggregateLimit         Int
	NoLock                 Bool
	LateMaterialize        Bool
	UseRawOrderBy          Bool
	Options                Name // comma-separated query hints (fetch/@options, QueryHints)
	DataSource             Name // "retained" / "archive"

	// Orders placed directly under <fetch> (legacy report form); they apply
	// to the root entity after its own orders.
	Orders []*Order
}

// Body is what an entity and a link-entity share.
type Body struct {
	AllAttributes Bool // <all-attributes/>
	Attributes    []*Attribute
	Orders        []*Order
	Filters       []*Filter // sibling filters are AND-combined
	Links         []*LinkEntity
}

// Entity is the root table of a query.
type Entity struct {
	Span
	Name Name
	Body
}

// LinkEntity joins a related table, or (inside a filter) tests related rows.
type LinkEntity struct {
	Span
	Name      Name
	From      Name // column on the linked table (QE LinkToAttributeName)
	To        Name // column on the parent (QE LinkFromAttributeName)
	Alias     Name
	LinkType  LinkType
	TypeSpan  Span // span of the link-type attribute value
	Intersect Bool
	Body
}

// Attribute is a selected column, possibly aggregated or grouped.
type Attribute struct {
	Span
	Name         Name
	Alias        Name
	Aggregate    AggregateFunc
	GroupBy      Bool
	DateGrouping DateGrouping
	UserTimeZone Bool // default true when not Set
	Distinct     Bool // countcolumn distinct
	RowAggregate Name // "CountChildren"
}

// Order sorts by a column (Attribute) or by an attribute alias (Alias).
type Order struct {
	Span
	Attribute  Name
	Alias      Name
	EntityName Name // alias of a link-entity whose column is sorted
	Descending Bool
	// Expr, when set, is a computed sort key (OData $orderby on a
	// canonical function or arithmetic); Attribute and Alias are then
	// unset.
	Expr Scalar
}

// Filter combines conditions, nested filters and any/all links.
type Filter struct {
	Span
	Type             LogicalOp
	Hint             Name // "union"
	IsQuickFindField Bool
	// QuickFindLimitOn and QuickFindLimitOff are the filter's
	// overridequickfindrecordlimitenabled / …disabled: force or bypass the
	// quick-find record limit (spec §1.5, §5.18).
	QuickFindLimitOn, QuickFindLimitOff Bool
	Items                               []FilterItem
}

// Condition is one predicate on one column.
type Condition struct {
	Span
	EntityName Name // alias of a link-entity: evaluated after the join
	Attribute  Name
	Operator   Operator
	OpSpan     Span
	Values     []*Value
	ValueOf    Name // column to compare with; "alias.col" across tables
}

// Value is a literal as written. Kind records what the front end knew of
// its type (FetchXML knows nothing: KindText).
type Value struct {
	Span
	Text string
	Kind LiteralKind
}

// LiteralKind is the type a front end gave a literal.
type LiteralKind uint8

const (
	KindText     LiteralKind = iota // untyped text (FetchXML): typed by the column
	KindString                      // a quoted string (OData, QE System.String)
	KindNumber                      // a number literal
	KindBool                        // true / false
	KindGuid                        // a GUID
	KindDateTime                    // a date or date-time
	KindNull                        // null
	KindTime                        // a time of day (OData's Edm.TimeOfDay), in computed values only
)

func (*Query) node()      {}
func (*Entity) node()     {}
func (*LinkEntity) node() {}
func (*Attribute) node()  {}
func (*Order) node()      {}
func (*Filter) node()     {}
func (*Condition) node()  {}
func (*Value) node()      {}

func (*Filter) filterItem()     {}
func (*Condition) filterItem()  {}
func (*LinkEntity) filterItem() {}

// LogicalOp is a filter's type.
type LogicalOp uint8

const (
	And LogicalOp = iota
	Or
)

func (o LogicalOp) String() string {
	if o == Or {
		return "or"
	}
	return "and"
}

// LinkType is a link-entity's link-type (QE JoinOperator). The numeric
// values are the SDK's JoinOperator values.
type LinkType uint8

const (
	Inner                        LinkType = 0
	Outer                        LinkType = 1 // QE LeftOuter
	Natural                      LinkType = 2 // legacy, QE only; rejected
	MatchFirstRowUsingCrossApply LinkType = 3
	In                           LinkType = 4
	Exists                       LinkType = 5
	Any                          LinkType = 6
	NotAny                       LinkType = 7
	All                          LinkType = 8
	NotAll                       LinkType = 9
)

var linkTypeNames = [...]struct{ fetch, qe string }{
	Inner:                        {"inner", "Inner"},
	Outer:                        {"outer", "LeftOuter"},
	Natural:                      {"natural", "Natural"},
	MatchFirstRowUsingCrossApply: {"matchfirstrowusingcrossapply", "MatchFirstRowUsingCrossApply"},
	In:                           {"in", "In"},
	Exists:                       {"exists", "Exists"},
	Any:                          {"any", "Any"},
	NotAny:                       {"not any", "NotAny"},
	All:                          {"all", "All"},
	NotAll:                       {"not all", "NotAll"},
}

// String is the FetchXML spelling.
func (t LinkType) String() string {
	if int(t) < len(linkTypeNames) {
		return linkTypeNames[t].fetch
	}
	return "invalid"
}

// QEName is the QueryExpression JoinOperator member name.
func (t LinkType) QEName() string {
	if int(t) < len(linkTypeNames) {
		return linkTypeNames[t].qe
	}
	return "invalid"
}

// IsFilterLink reports whether the link type is only valid inside a filter.
func (t LinkType) IsFilterLink() bool { return t >= Any && t <= NotAll }

// ReturnsColumns reports whether the linked columns reach the result.
func (t LinkType) ReturnsColumns() bool {
	return t == Inner || t == Outer || t == MatchFirstRowUsingCrossApply
}

// LinkTypeByFetchName looks up a FetchXML link-type value.
func LinkTypeByFetchName(s string) (LinkType, bool) {
	for i, n := range linkTypeNames {
		if n.fetch == s && LinkType(i) != Natural {
			return LinkType(i), true
		}
	}
	return 0, false
}

// LinkTypeByQEName looks up a JoinOperator member name.
func LinkTypeByQEName(s string) (LinkType, bool) {
	for i, n := range linkTypeNames {
		if n.qe == s {
			return LinkType(i), true
		}
	}
	return 0, false
}

// AggregateFunc is an attribute's aggregate (QE XrmAggregateType).
type AggregateFunc uint8

const (
	NoAggregate AggregateFunc = iota
	Count
	CountColumn
	Sum
	Avg
	Min
	Max
)

var aggregateNames = [...]string{"", "count", "countcolumn", "sum", "avg", "min", "max"}
var aggregateQENames = [...]string{"None", "Count", "CountColumn", "Sum", "Avg", "Min", "Max"}

func (a AggregateFunc) String() string { return aggregateNames[a] }

// QEName is the XrmAggregateType member name.
func (a AggregateFunc) QEName() string { return aggregateQENames[a] }

// AggregateByName looks up a FetchXML aggregate value.
func AggregateByName(s string) (AggregateFunc, bool) {
	for i, n := range aggregateNames {
		if i > 0 && n == s {
			return AggregateFunc(i), true
		}
	}
	return 0, false
}

// AggregateByQEName looks up an XrmAggregateType member name.
func AggregateByQEName(s string) (AggregateFunc, bool) {
	for i, n := range aggregateQENames {
		if n == s {
			return AggregateFunc(i), true
		}
	}
	return 0, false
}

// DateGrouping is an attribute's dategrouping (QE XrmDateTimeGrouping).
type DateGrouping uint8

const (
	NoDateGrouping DateGrouping = iota
	Day
	Week
	Month
	Quarter
	Year
	FiscalPeriod
	FiscalYear
)

var dateGroupingNames = [...]string{"", "day", "week", "month", "quarter", "year", "fiscal-period", "fiscal-year"}
var dateGroupingQENames = [...]string{"None", "Day", "Week", "Month", "Quarter", "Year", "FiscalPeriod", "FiscalYear"}

func (d DateGrouping) String() string { return dateGroupingNames[d] }

// QEName is the XrmDateTimeGrouping member name.
func (d DateGrouping) QEName() string { return dateGroupingQENames[d] }

// DateGroupingByName looks up a FetchXML dategrouping value.
func DateGroupingByName(s string) (DateGrouping, bool) {
	for i, n := range dateGroupingNames {
		if i > 0 && n == s {
			return DateGrouping(i), true
		}
	}
	return 0, false
}

// DateGroupingByQEName looks up an XrmDateTimeGrouping member name.
func DateGroupingByQEName(s string) (DateGrouping, bool) {
	for i, n := range dateGroupingQENames {
		if n == s {
			return DateGrouping(i), true
		}
	}
	return 0, false
}
