package plan

import "strings"

// NavigationName is the single-valued navigation property of table t's
// lookup column to table target, named as Dataverse names it: the
// organization's name when the metadata gives one (a relationship's
// ReferencingNavigation, read from a CSDL $metadata); otherwise a
// one-target Lookup's is the lookup's own name (primarycontactid), an
// owner's to systemuser and to team are Dataverse's owninguser and
// owningteam (OwnerNavigation), and each target of a customer or
// multi-target lookup's, or of an owner whose table has a column of that
// name, is <lookup>_<target> (parentcustomerid_account). The server's
// $metadata, its $expand and the OData emitter all name properties with
// it, so that an emitted URL is one the server declares.
func NavigationName(t *Table, lookup, target string) string {
	for _, r := range t.Relationships {
		if r.Kind == OneToMany && r.ReferencingNavigation != "" && strings.EqualFold(r.ReferencingTable, t.LogicalName) &&
			strings.EqualFold(r.ReferencingColumn, lookup) && strings.EqualFold(r.ReferencedTable, target) {
			return r.ReferencingNavigation
		}
	}
	c, ok := t.Column(lookup)
	if ok && c.Type == TLookup && len(c.Targets) == 1 {
		return c.LogicalName
	}
	if ok && c.Type == TOwner {
		if name := OwnerNavigation(target); name != "" {
			if _, clash := t.Column(name); !clash {
				return name
			}
		}
	}
	return lookup + "_" + target
}

// OwnerNavigation is Dataverse's navigation property from a record to its
// owner of table target: owninguser for a systemuser, owningteam for a
// team, "" for others. Dataverse reads them through the owninguser and
// owningteam columns, which hold the owner's id when the owner is of that
// table and null otherwise; following the owner lookup to that table is
// the same link. (Dataverse's ownerid navigation is typed principal, an
// abstract type of both; vecompile declares none.)
func OwnerNavigation(target string) string {
	switch strings.ToLower(target) {
	case "systemuser":
		return "owninguser"
	case "team":
		return "owningteam"
	}
	return ""
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
