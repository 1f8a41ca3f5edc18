package plan

import (
	"github.com/vecompile/vecompile/ast"
)

// Identity operators in untyped mode. Without metadata there is usually no
// database either, so no caller context was read: the caller's user id is
// the bind parameter Param{CallerParam} (or the --user value when given),
// and every other part of the context nobody gave is read, when the
// statement runs, from Dataverse's own tables, named as Dataverse names
// them:
//
//	business unit   systemuser.businessunitid of the caller
//	language        usersettings.uilanguageid of the caller
//	teams           teammembership.teamid of the caller's memberships
//	reports         systemuser rows below the caller through
//	                parentsystemuserid (the manager hierarchy), at most
//	                Options.HierarchyDepth levels, as engine.LoadCaller reads
//	                them
//	reports' teams  teammembership.teamid of the reports' memberships
//
// The parts a Caller gives (flags) are used as given.

// callerGUID is a caller id as a GUID value in canonical form.
func callerGUID(s string) *Value {
	g, _ := CanonicalGUID(s)
	return &Value{Kind: KGuid, V: g}
}

// untypedIdentity lowers an identity operator without a full caller
// context (caller may be nil: nothing is known).
func (b *builder) untypedIdentity(c *ast.Condition, col *ColumnRef, caller *Caller) Expr {
	known := func(p CallerParts) bool { return caller != nil && caller.Unknown&p == 0 }
	var user *Value
	if caller != nil {
		user = callerGUID(caller.UserID)
	} else {
		user = &Value{Kind: KGuid, V: Param{Name: CallerParam}}
	}
	isUser := func(ref *ColumnRef) Expr { return &Compare{Op: Eq, Left: ref, Right: user} }
	ids := func(list []string) Expr {
		vals := make([]*Value, 0, len(list))
		for _, id := range list {
			vals = append(vals, callerGUID(id))
		}
		if len(vals) == 0 {
			return &Const{Value: false}
		}
		return &InList{Col: col, Values: vals}
	}
	teams := func() Expr {
		if known(CallerTeams) {
			return ids(caller.TeamIDs)
		}
		return b.inConventional(col, "teammembership", "teamid", func(tm *DataSource) Expr {
			return isUser(b.conventionalRef(tm, "systemuserid"))
		})
	}
	reports := func(ref *ColumnRef) Expr {
		return b.reportsOf(ref, user)
	}
	reportsOf := func() Expr {
		if known(CallerReports) {
			return ids(caller.Reports)
		}
		return reports(col)
	}
	reportTeams := func() Expr {
		if known(CallerReportTeams) && known(CallerReports) {
			return ids(caller.ReportTeams)
		}
		return b.inConventional(col, "teammembership", "teamid", func(tm *DataSource) Expr {
			return reports(b.conventionalRef(tm, "systemuserid"))
		})
	}
	op := c.Operator
	switch op {
	case ast.OpEqUserID:
		return isUser(col)
	case ast.OpNeUserID:
		return b.nullable(op, col, &Compare{Op: Ne, Left: col, Right: user})
	case ast.OpEqBusinessID, ast.OpNeBusinessID:
		var e Expr
		if known(CallerBusinessUnit) && caller.BusinessUnitID != "" {
			e = &Compare{Op: Eq, Left: col, Right: callerGUID(caller.BusinessUnitID)}
		} else {
			e = b.inConventional(col, "systemuser", "businessunitid", func(su *DataSource) Expr {
				return isUser(b.conventionalRef(su, "systemuserid"))
			})
		}
		if op == ast.OpEqBusinessID {
			return e
		}
		return b.nullable(op, col, &Not{X: e})
	case ast.OpEqUserLanguage:
		if caller != nil {
			return &Compare{Op: Eq, Left: col, Right: &Value{Kind: KInt, V: caller.LanguageID}}
		}
		return b.inConventional(col, "usersettings", "uilanguageid", func(us *DataSource) Expr {
			return isUser(b.conventionalRef(us, "systemuserid"))
		})
	case ast.OpEqUserTeams:
		return teams()
	case ast.OpEqUserOrUserTeams:
		return &Or{Terms: []Expr{isUser(col), teams()}}
	case ast.OpEqUserOrUserHierarchy:
		return &Or{Terms: []Expr{isUser(col), reportsOf()}}
	case ast.OpEqUserOrUserHierarchyAndTeams:
		return &Or{Terms: []Expr{isUser(col), reportsOf(), teams(), reportTeams()}}
	}
	return nil
}

// reportsOf is "ref is one of user's reports": the systemuser rows below
// user through parentsystemuserid, at most Options.HierarchyDepth levels,
// user excluded.
func (b *builder) reportsOf(ref *ColumnRef, user *Value) Expr {
	su, _ := b.opt.Catalog.Table("systemuser")
	depth := b.opt.HierarchyDepth
	if depth <= 0 {
		depth = 3
	}
	rel := &Relationship{
		SchemaName:       "user_parent_user",
		ReferencedTable:  su.LogicalName,
		ReferencedColumn: "systemuserid",
		ReferencingTable: su.LogicalName, ReferencingColumn: "parentsystemuserid",
		Hierarchical: true,
	}
	return &Hierarchy{Col: ref, Rel: rel, Table: su, Anchor: user, MaxDepth: depth}
}

// inConventional is "col IN (SELECT t.pick FROM table AS t WHERE
// filter(t))" over one of Dataverse's tables, named as Dataverse names it.
func (b *builder) inConventional(col *ColumnRef, table, pick string, filter func(*DataSource) Expr) Expr {
	t, _ := b.opt.Catalog.Table(table)
	ds := b.a.source()
	ds.Name, ds.Table, ds.Join, ds.LinkType = b.autoName(t.LogicalName), t, JoinSubquery, ast.In
	ds.Parent = col
	ds.Child, _ = t.Column(pick)
	ds.Filter = filter(ds)
	return &InSubquery{Source: ds}
}

// conventionalRef is a column of a conventional table's source.
func (b *builder) conventionalRef(ds *DataSource, name string) *ColumnRef {
	c, _ := ds.Table.Column(name)
	return b.a.ref(ds, c)
}
