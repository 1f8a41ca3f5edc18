package plan

import "strings"

// NavigationName is the single-valued navigation property of table t's
// lookup column to table target, named as Dataverse names it: the
// organization's name when the metadata gives one (a relationship's
// ReferencingNavigation, read from a CSDL $metadata); otherwise a
// one-target Lookup's is the lookup's own name (primarycontactid) and each
// target of a customer, owner or multi-target lookup's is
// <lookup>_<target> (parentcustomerid_account). The server's $metadata,
// its $expand and the OData emitter all name properties with it, so that
// an emitted URL is one the server declares.
func NavigationName(t *Table, lookup, target string) string {
	for _, r := range t.Relationships {
		if r.Kind == OneToMany && r.ReferencingNavigation != "" && strings.EqualFold(r.ReferencingTable, t.LogicalName) &&
			strings.EqualFold(r.ReferencingColumn, lookup) && strings.EqualFold(r.ReferencedTable, target) {
			return r.ReferencingNavigation
		}
	}
	if c, ok := t.Column(lookup); ok && c.Type == TLookup && len(c.Targets) == 1 {
		return c.LogicalName
	}
	return lookup + "_" + target
}

// CollectionNavigationName is the collection-valued navigation property
// of a 1:N relationship on its referenced table: the organization's name
// when the metadata gives one (ReferencedNavigation), else the
// relationship's schema name (contact_customer_accounts).
func CollectionNavigationName(r *Relationship) string {
	if r.ReferencedNavigation != "" {
		return r.ReferencedNavigation
	}
	return r.SchemaName
}
