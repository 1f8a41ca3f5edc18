package odata

import "strings"

// Schema is the metadata the lowering needs: OData names (entity sets,
// navigation properties) are not FetchXML's (logical names, link-entity
// from/to). The root package adapts plan.Catalog to it, so that parse
// does not depend on plan.
type Schema interface {
	// EntitySet returns the logical name of the table behind an entity
	// set name.
	EntitySet(set string) (table string, ok bool)
	// Navigation resolves a navigation property of a table.
	Navigation(table, property string) (Navigation, bool)
	// PrimaryKey is the logical name of a table's primary key ("" if
	// unknown); $count in $apply counts it.
	PrimaryKey(table string) string
}

// Typed is implemented by a Schema that knows its columns' types: a
// folding function (tolower, toupper) on a column it knows is not a
// string is refused instead of dropped.
type Typed interface {
	PropertyKind(table, property string) (isString, known bool)
}

// NavigationHinter is implemented by a Schema that can say why a name is
// not one of a table's navigation properties when a client may expect it
// (a name it no longer declares, one Dataverse declares that it does not
// serve): the hint ends the error's message.
type NavigationHinter interface {
	NavigationHint(table, property string) string
}

// Navigation is a navigation property as a link-entity: the related
// table, the link's from (a column of the related table) and to (a column
// of the table the property belongs to).
type Navigation struct {
	Table      string
	From, To   string
	Collection bool // collection-valued (1:N, N:N): only lambdas may use it
}

// Conventional is the schema of untyped mode: entity sets are the English
// plurals of logical names (accounts, opportunities) and primary keys are
// "<table>id"; navigation properties are unknown.
type Conventional struct{}

// EntitySet implements Schema by undoing the English plural.
func (Conventional) EntitySet(set string) (string, bool) {
	s := strings.ToLower(set)
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 3:
		return s[:len(s)-3] + "y", true
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"), strings.HasSuffix(s, "zes"):
		return s[:len(s)-2], true
	case strings.HasSuffix(s, "s") && len(s) > 1:
		return s[:len(s)-1], true
	}
	return s, true
}

// Navigation implements Schema: untyped mode knows no relationships.
func (Conventional) Navigation(table, property string) (Navigation, bool) { return Navigation{}, false }

// PrimaryKey implements Schema by Dataverse's naming convention.
func (Conventional) PrimaryKey(table string) string { return table + "id" }
