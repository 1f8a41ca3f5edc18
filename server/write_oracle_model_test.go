package server_test

// The write oracle's reading of the security model: which rows a user may
// create, change, delete, assign, append and append to, and which secured
// columns they may set. It is written from the model's data and spec
// §1a (security-and-testing.md), walking up from the row (owner's
// managers, unit's parents) where package security walks down from the
// user; it never calls package security beyond its types.

import (
	"slices"
	"strings"

	"github.com/vecompile/vecompile/security"
)

// oracleModel answers write questions over one drawn model.
type oracleModel struct {
	m *security.Model
}

// recordRef is what a decision needs of a record.
type recordRef struct {
	table, id, owner, bu string
}

// privilege names as the model spells them.
const (
	pCreate   = "Create"
	pRead     = "Read"
	pWrite    = "Write"
	pDelete   = "Delete"
	pAppend   = "Append"
	pAppendTo = "AppendTo"
	pAssign   = "Assign"
	pShare    = "Share"
)

var oraclePrivileges = []string{pCreate, pRead, pWrite, pDelete, pAppend, pAppendTo, pAssign, pShare}

// oracleShareBit is the principalobjectaccess right of a privilege (spec §1a
// table of rights bits).
var oracleShareBit = map[string]security.Rights{
	pRead: 1, pWrite: 2, pAppend: 4, pAppendTo: 16, pCreate: 32, pDelete: 65536, pShare: 262144, pAssign: 524288,
}

func (o oracleModel) user(id string) *security.UserDef {
	for i := range o.m.Users {
		if o.m.Users[i].ID == id {
			return &o.m.Users[i]
		}
	}
	return nil
}

func (o oracleModel) team(id string) *security.TeamDef {
	for i := range o.m.Teams {
		if o.m.Teams[i].ID == id {
			return &o.m.Teams[i]
		}
	}
	return nil
}

func (o oracleModel) isBU(id string) bool {
	for _, b := range o.m.BusinessUnits {
		if b.ID == id {
			return true
		}
	}
	return false
}

// home is a user's or a team's business unit.
func (o oracleModel) home(principal string) string {
	if u := o.user(principal); u != nil {
		return u.BusinessUnitID
	}
	if t := o.team(principal); t != nil {
		return t.BusinessUnitID
	}
	return ""
}

// teamsOf are the teams the user is a member of, owner and access alike.
func (o oracleModel) teamsOf(user string) []security.TeamDef {
	var out []security.TeamDef
	for _, t := range o.m.Teams {
		if slices.Contains(t.Members, user) {
			out = append(out, t)
		}
	}
	return out
}

// roleDepth is the deepest level a role grants priv on table at.
func (o oracleModel) roleDepth(oracleRoleID, table, priv string) security.Depth {
	best := security.None
	for _, r := range o.m.Roles {
		if r.ID != oracleRoleID {
			continue
		}
		for _, p := range r.Privileges {
			if strings.EqualFold(p.Table, table) && strings.EqualFold(p.Privilege, priv) {
				d, _ := security.DepthByName(p.Depth)
				best = max(best, d)
			}
		}
	}
	return best
}

// teamOwnsRows: owner teams own rows and hold roles; access teams do neither.
func teamOwnsRows(t security.TeamDef) bool { return t.Type != security.AccessTeam }

// teamHolds: the team's own roles grant priv on table at some depth.
func (o oracleModel) teamHolds(t security.TeamDef, table, priv string) bool {
	if !teamOwnsRows(t) {
		return false
	}
	for _, a := range t.Roles {
		if o.roleDepth(a.RoleID, table, priv) > security.None {
			return true
		}
	}
	return false
}

// roleGrant is one role assignment's reach for a privilege.
type roleGrant struct {
	depth security.Depth
	bu    string
	// basic: the grant's User level covers the user's own rows (a direct
	// assignment, or a team role with "direct user basic" inheritance).
	basic bool
}

func (o oracleModel) grants(user, table, priv string) []roleGrant {
	u := o.user(user)
	if u == nil {
		return nil
	}
	var out []roleGrant
	for _, a := range u.Roles {
		bu := a.BusinessUnitID
		if bu == "" {
			bu = u.BusinessUnitID
		}
		if d := o.roleDepth(a.RoleID, table, priv); d > security.None {
			out = append(out, roleGrant{d, bu, true})
		}
	}
	for _, t := range o.teamsOf(user) {
		if !teamOwnsRows(t) {
			continue
		}
		for _, a := range t.Roles {
			bu := a.BusinessUnitID
			if bu == "" {
				bu = t.BusinessUnitID
			}
			if d := o.roleDepth(a.RoleID, table, priv); d > security.None {
				out = append(out, roleGrant{d, bu, t.Inheritance == security.DirectUserBasic})
			}
		}
	}
	return out
}

// holds: some role grants priv on table at some depth (the privilege
// check, which sharing and hierarchy sit behind).
func (o oracleModel) holds(user, table, priv string) bool {
	return len(o.grants(user, table, priv)) > 0
}

// under reports whether unit bu is ancestor or one of its descendants,
// walking up from bu.
func (o oracleModel) under(bu, ancestor string) bool {
	for seen := 0; bu != "" && seen <= len(o.m.BusinessUnits); seen++ {
		if bu == ancestor {
			return true
		}
		next := ""
		for _, b := range o.m.BusinessUnits {
			if b.ID == bu {
				next = b.ParentID
			}
		}
		bu = next
	}
	return false
}

// allBUs: an Organization grant, or any grant, on an organization-owned
// table. Our drawn tables are user-owned.
func (o oracleModel) global(gs []roleGrant) bool {
	for _, g := range gs {
		if g.depth == security.Organization {
			return true
		}
	}
	return false
}

// reachesUnit: a Business Unit or Parent: Child grant covering bu.
func (o oracleModel) reachesUnit(gs []roleGrant, bu string) bool {
	for _, g := range gs {
		switch g.depth {
		case security.Organization:
			return true
		case security.BusinessUnit:
			if bu != "" && bu == g.bu {
				return true
			}
		case security.ParentChild:
			if bu != "" && o.under(bu, g.bu) {
				return true
			}
		}
	}
	return false
}

// sharedWith: a principalobjectaccess row gives principal the right on
// the record.
func (o oracleModel) sharedWith(principal string, r recordRef, priv string) bool {
	for _, s := range o.m.Shares {
		if strings.EqualFold(s.Table, r.table) && s.ObjectID == r.id && s.PrincipalID == principal && (s.Rights|s.Inherited)&oracleShareBit[priv] != 0 {
			return true
		}
	}
	return false
}

// hierarchyLevels is how far below the user hierarchy security reaches
// for priv: Read to the configured depth, Write, Append and AppendTo the
// direct reports only, every other privilege nowhere (spec §1a).
func (o oracleModel) hierarchyLevels(table, priv string) int {
	h := o.m.Hierarchy
	if !h.Enabled {
		return 0
	}
	for _, t := range o.m.Tables {
		if strings.EqualFold(t.Name, table) && t.HierarchyExcluded {
			return 0
		}
	}
	switch priv {
	case pRead:
		if h.Depth == 0 {
			return 3
		}
		return h.Depth
	case pWrite, pAppend, pAppendTo:
		return 1
	}
	return 0
}

// manages reports whether user is above report in the hierarchy, at most
// levels levels up from the report.
func (o oracleModel) manages(user, report string, levels int) bool {
	if levels == 0 || user == report {
		return false
	}
	me, r := o.user(user), o.user(report)
	if me == nil || r == nil {
		return false
	}
	if o.m.Hierarchy.Model == security.PositionHierarchy {
		if me.PositionID == "" {
			return false
		}
		pos := r.PositionID
		for i := 0; i < levels && pos != ""; i++ {
			parent := ""
			for _, p := range o.m.Positions {
				if p.ID == pos {
					parent = p.ParentID
				}
			}
			if parent != "" && parent == me.PositionID {
				return true
			}
			pos = parent
		}
		return false
	}
	// Manager hierarchy: the manager is in the report's unit or above it.
	if !o.under(r.BusinessUnitID, me.BusinessUnitID) {
		return false
	}
	cur := r
	for i := 0; i < levels && cur != nil && cur.ManagerID != ""; i++ {
		if cur.ManagerID == user {
			return true
		}
		cur = o.user(cur.ManagerID)
	}
	return false
}

// reaches: may user exercise priv on the existing record r? shares says
// whether sharing counts (not for a row being created); hierarchy whether
// the manager hierarchy counts.
func (o oracleModel) reaches(user string, r recordRef, priv string, shares, hierarchy bool) bool {
	gs := o.grants(user, r.table, priv)
	if len(gs) == 0 {
		return false // the privilege check comes first
	}
	if o.global(gs) || o.reachesUnit(gs, r.bu) {
		return true
	}
	if r.owner == user && slices.ContainsFunc(gs, func(g roleGrant) bool { return g.basic }) {
		return true
	}
	mine := o.teamsOf(user)
	for _, t := range mine {
		if t.ID == r.owner && o.teamHolds(t, r.table, priv) {
			return true
		}
	}
	if shares {
		if o.sharedWith(user, r, priv) {
			return true
		}
		for _, t := range mine {
			if o.sharedWith(t.ID, r, priv) {
				return true
			}
		}
	}
	levels := o.hierarchyLevels(r.table, priv)
	if !hierarchy || levels == 0 {
		return false
	}
	for _, u := range o.m.Users {
		if !o.manages(user, u.ID, levels) {
			continue
		}
		if r.owner == u.ID || shares && o.sharedWith(u.ID, r, priv) {
			return true
		}
		for _, t := range o.teamsOf(u.ID) {
			if t.ID == r.owner && o.teamHolds(t, r.table, priv) || shares && o.sharedWith(t.ID, r, priv) {
				return true
			}
		}
	}
	return false
}

// secured reports whether the column is under column security.
func (o oracleModel) secured(table, col string) bool {
	for _, t := range o.m.Tables {
		if strings.EqualFold(t.Name, table) && slices.ContainsFunc(t.SecuredColumns, func(c string) bool { return strings.EqualFold(c, col) }) {
			return true
		}
	}
	return false
}

// admin: an administrator-class role, direct or through an owner team,
// carries full column access.
func (o oracleModel) admin(user string) bool {
	u := o.user(user)
	if u == nil {
		return false
	}
	roles := slices.Clone(u.Roles)
	for _, t := range o.teamsOf(user) {
		if teamOwnsRows(t) {
			roles = append(roles, t.Roles...)
		}
	}
	for _, a := range roles {
		for _, r := range o.m.Roles {
			if r.ID == a.RoleID && r.Admin {
				return true
			}
		}
	}
	return false
}

// mayWriteColumn: may user set a secured column, on create (a profile's
// Create) or on update of record id (a profile's Update, or a field share
// with update on that record)?
func (o oracleModel) mayWriteColumn(user, table, col, id string, create bool) bool {
	if !o.secured(table, col) || o.admin(user) {
		return true
	}
	principals := []string{user}
	for _, t := range o.teamsOf(user) {
		principals = append(principals, t.ID)
	}
	for _, f := range o.m.FieldProfiles {
		in := slices.Contains(f.Users, user) || slices.ContainsFunc(f.Teams, func(t string) bool { return slices.Contains(principals, t) })
		for _, c := range f.Columns {
			if in && strings.EqualFold(c.Table, table) && strings.EqualFold(c.Column, col) && (create && c.Create || !create && c.Update) {
				return true
			}
		}
	}
	if create {
		return false
	}
	for _, f := range o.m.FieldShares {
		if f.Update && strings.EqualFold(f.Table, table) && strings.EqualFold(f.Column, col) && f.ObjectID == id && slices.Contains(principals, f.PrincipalID) {
			return true
		}
	}
	return false
}

// canOwn: a user, or an owner team, able to read the table (Dataverse
// refuses to give a record to an owner who could not read it).
func (o oracleModel) canOwn(principal, table string) bool {
	if o.user(principal) != nil {
		return o.holds(principal, table, pRead)
	}
	if t := o.team(principal); t != nil {
		return o.teamHolds(*t, table, pRead)
	}
	return false
}

// isPrincipal: a user or an owner team (a possible owner at all).
func (o oracleModel) isPrincipal(id string) bool {
	if o.user(id) != nil {
		return true
	}
	t := o.team(id)
	return t != nil && teamOwnsRows(*t)
}
