package security

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// Compiled is a validated, indexed Model. It is immutable and safe for
// concurrent use; sessions are cheap views of it.
type Compiled struct {
	model    *Model
	bus      map[string]*BusinessUnitDef
	children map[string][]string // business unit → child units
	users    map[string]*UserDef
	teams    map[string]*TeamDef
	roles    map[string]*RoleDef
	// grants[role][table][privilege] is the role's depth.
	grants map[string]map[string]*[numPrivileges]Depth
	// memberOf[user] are the user's teams, in model order.
	memberOf map[string][]*TeamDef
	// reports[manager] are the direct reports.
	reports map[string][]string
	// groupTeams[entra object id] are the group teams of an Entra group.
	groupTeams map[string][]*TeamDef
	// positions by id, their child positions and the users in each.
	positions     map[string]*PositionDef
	subPositions  map[string][]string
	positionUsers map[string][]string
	tables        map[string]*TableDef
	// shares[table] are the POA rows of the table.
	shares  map[string][]*ShareDef
	portal  map[string]string // contact → user
	secured map[string][]string
}

func modelError(format string, args ...any) error {
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadSecurityModel, format, args...)}.Err()
}

// canonical lower-cases a GUID-shaped id (ids are compared as text).
func canonical(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Compile validates m and indexes it. Unknown privilege or depth names,
// dangling references and business-unit cycles are BadSecurityModel.
func Compile(m *Model) (*Compiled, error) {
	c := &Compiled{
		model:         m,
		bus:           map[string]*BusinessUnitDef{},
		children:      map[string][]string{},
		users:         map[string]*UserDef{},
		teams:         map[string]*TeamDef{},
		roles:         map[string]*RoleDef{},
		grants:        map[string]map[string]*[numPrivileges]Depth{},
		memberOf:      map[string][]*TeamDef{},
		reports:       map[string][]string{},
		groupTeams:    map[string][]*TeamDef{},
		positions:     map[string]*PositionDef{},
		subPositions:  map[string][]string{},
		positionUsers: map[string][]string{},
		tables:        map[string]*TableDef{},
		shares:        map[string][]*ShareDef{},
		portal:        map[string]string{},
		secured:       map[string][]string{},
	}
	for i := range m.BusinessUnits {
		b := &m.BusinessUnits[i]
		b.ID, b.ParentID = canonical(b.ID), canonical(b.ParentID)
		c.bus[b.ID] = b
	}
	for _, b := range m.BusinessUnits {
		if b.ParentID == "" {
			continue
		}
		if c.bus[b.ParentID] == nil {
			return nil, modelError("business unit %s: parent %s is not a business unit", b.ID, b.ParentID)
		}
		c.children[b.ParentID] = append(c.children[b.ParentID], b.ID)
	}
	for _, b := range m.BusinessUnits { // a cycle would make subtrees endless
		seen := map[string]bool{}
		for id := b.ID; id != ""; id = c.bus[id].ParentID {
			if seen[id] {
				return nil, modelError("business unit %s: the parent chain has a cycle", b.ID)
			}
			seen[id] = true
		}
	}
	for i := range m.Roles {
		r := &m.Roles[i]
		r.ID = canonical(r.ID)
		c.roles[r.ID] = r
		byTable := map[string]*[numPrivileges]Depth{}
		for _, p := range r.Privileges {
			priv, ok := PrivilegeByName(p.Privilege)
			if !ok {
				return nil, modelError("role %q: unknown privilege %q", r.Name, p.Privilege)
			}
			d, ok := DepthByName(p.Depth)
			if !ok {
				return nil, modelError("role %q: unknown depth %q", r.Name, p.Depth)
			}
			t := strings.ToLower(p.Table)
			if byTable[t] == nil {
				byTable[t] = new([numPrivileges]Depth)
			}
			byTable[t][priv] = max(byTable[t][priv], d)
		}
		c.grants[r.ID] = byTable
	}
	checkRoles := func(owner string, as []RoleAssignment) error {
		for i := range as {
			as[i].RoleID, as[i].BusinessUnitID = canonical(as[i].RoleID), canonical(as[i].BusinessUnitID)
			if c.roles[as[i].RoleID] == nil {
				return modelError("%s: role %s is not a role", owner, as[i].RoleID)
			}
			if bu := as[i].BusinessUnitID; bu != "" && c.bus[bu] == nil {
				return modelError("%s: role assignment in unknown business unit %s", owner, bu)
			}
		}
		return nil
	}
	for i := range m.Users {
		u := &m.Users[i]
		u.ID, u.BusinessUnitID, u.ManagerID = canonical(u.ID), canonical(u.BusinessUnitID), canonical(u.ManagerID)
		if c.bus[u.BusinessUnitID] == nil {
			return nil, modelError("user %s: business unit %q is not a business unit", u.ID, u.BusinessUnitID)
		}
		if err := checkRoles("user "+u.ID, u.Roles); err != nil {
			return nil, err
		}
		c.users[u.ID] = u
	}
	for _, u := range m.Users {
		if u.ManagerID != "" {
			c.reports[u.ManagerID] = append(c.reports[u.ManagerID], u.ID)
		}
	}
	if err := c.indexPositions(m); err != nil {
		return nil, err
	}
	for i := range m.Teams {
		t := &m.Teams[i]
		t.ID, t.BusinessUnitID = canonical(t.ID), canonical(t.BusinessUnitID)
		if c.bus[t.BusinessUnitID] == nil {
			return nil, modelError("team %s: business unit %q is not a business unit", t.ID, t.BusinessUnitID)
		}
		if t.Type == AccessTeam && len(t.Roles) > 0 {
			return nil, modelError("team %s: an access team cannot hold roles", t.ID)
		}
		switch t.Type {
		case OwnerTeam, AccessTeam:
			if t.EntraObjectID != "" {
				return nil, modelError("team %s: only group teams (type 2, 3) have an Entra group", t.ID)
			}
		case EntraSecurityGroupTeam, EntraOfficeGroupTeam:
			t.EntraObjectID = canonical(t.EntraObjectID)
			if t.EntraObjectID == "" {
				return nil, modelError("team %s: a group team needs its Entra group's object id", t.ID)
			}
			c.groupTeams[t.EntraObjectID] = append(c.groupTeams[t.EntraObjectID], t)
		default:
			return nil, modelError("team %s: unknown team type %d (0 owner, 1 access, 2 Entra security group, 3 Entra Office group)", t.ID, t.Type)
		}
		if err := checkRoles("team "+t.ID, t.Roles); err != nil {
			return nil, err
		}
		c.teams[t.ID] = t
		for j, mem := range t.Members {
			t.Members[j] = canonical(mem)
			c.memberOf[t.Members[j]] = append(c.memberOf[t.Members[j]], t)
		}
	}
	for i := range m.Tables {
		t := &m.Tables[i]
		t.Name = strings.ToLower(t.Name)
		c.tables[t.Name] = t
		for _, col := range t.SecuredColumns {
			col = strings.ToLower(col)
			if col == ColOwner || col == ColOwningBU || col == ColCompany {
				// Row filters read these; securing them would hide the rows' own keys.
				return nil, modelError("table %s: column %s cannot be secured", t.Name, col)
			}
			c.secured[t.Name] = append(c.secured[t.Name], col)
		}
	}
	for i := range m.Shares {
		s := &m.Shares[i]
		s.Table, s.ObjectID, s.PrincipalID = strings.ToLower(s.Table), canonical(s.ObjectID), canonical(s.PrincipalID)
		if c.users[s.PrincipalID] == nil && c.teams[s.PrincipalID] == nil {
			return nil, modelError("share of %s %s: principal %s is neither a user nor a team", s.Table, s.ObjectID, s.PrincipalID)
		}
		c.shares[s.Table] = append(c.shares[s.Table], s)
	}
	for i := range m.FieldProfiles {
		f := &m.FieldProfiles[i]
		for j := range f.Users {
			f.Users[j] = canonical(f.Users[j])
		}
		for j := range f.Teams {
			f.Teams[j] = canonical(f.Teams[j])
		}
		for j := range f.Columns {
			f.Columns[j].Table, f.Columns[j].Column = strings.ToLower(f.Columns[j].Table), strings.ToLower(f.Columns[j].Column)
		}
	}
	for i := range m.FieldShares {
		f := &m.FieldShares[i]
		f.Table, f.Column = strings.ToLower(f.Table), strings.ToLower(f.Column)
		f.ObjectID, f.PrincipalID = canonical(f.ObjectID), canonical(f.PrincipalID)
		if c.users[f.PrincipalID] == nil && c.teams[f.PrincipalID] == nil {
			return nil, modelError("field share of %s.%s on %s: principal %s is neither a user nor a team", f.Table, f.Column, f.ObjectID, f.PrincipalID)
		}
		if !slices.Contains(c.secured[f.Table], f.Column) {
			return nil, modelError("field share of %s.%s on %s: the column is not secured", f.Table, f.Column, f.ObjectID)
		}
	}
	for i := range m.Policies {
		p := &m.Policies[i]
		if p.PrimaryTable == "" || p.PrimaryKey == "" || len(p.Constrained) == 0 {
			return nil, modelError("XDS policy %q needs a primary table, its key and at least one constrained table", p.Name)
		}
		p.PrimaryTable, p.PrimaryKey = strings.ToLower(p.PrimaryTable), strings.ToLower(p.PrimaryKey)
		for j := range p.Constrained {
			p.Constrained[j].Table = strings.ToLower(p.Constrained[j].Table)
			p.Constrained[j].Column = strings.ToLower(p.Constrained[j].Column)
		}
		// A misspelt role context would apply the policy to nobody: XDS's
		// unset-context pitfall (spec §1c), so it is a model error.
		for _, want := range p.Roles {
			if !c.namesRole(want) {
				return nil, modelError("XDS policy %q: role context %q is not a role", p.Name, want)
			}
		}
	}
	for _, pm := range m.Portal.Contacts {
		uid := canonical(pm.UserID)
		if c.users[uid] == nil {
			return nil, modelError("portal contact %s: user %s is not a user", pm.ContactID, pm.UserID)
		}
		c.portal[canonical(pm.ContactID)] = uid
	}
	if a := canonical(m.Portal.AnonymousUserID); a != "" && c.users[a] == nil {
		return nil, modelError("anonymous portal user %s is not a user", a)
	}
	if m.Hierarchy.Depth < 0 || m.Hierarchy.Depth > 100 {
		return nil, modelError("hierarchy depth %d is outside 1–100", m.Hierarchy.Depth)
	}
	switch m.Hierarchy.Model {
	case "", ManagerHierarchy, PositionHierarchy:
	default:
		return nil, modelError("hierarchy model %q: want %q or %q", m.Hierarchy.Model, ManagerHierarchy, PositionHierarchy)
	}
	if err := c.ValidatePolicies(); err != nil {
		return nil, err
	}
	return c, nil
}

// indexPositions checks the position tree (known parents, no cycles, users
// in known positions) and indexes it.
func (c *Compiled) indexPositions(m *Model) error {
	for i := range m.Positions {
		p := &m.Positions[i]
		p.ID, p.ParentID = canonical(p.ID), canonical(p.ParentID)
		if c.positions[p.ID] != nil {
			return modelError("position %s is defined twice", p.ID)
		}
		c.positions[p.ID] = p
	}
	for _, p := range m.Positions {
		if p.ParentID == "" {
			continue
		}
		if c.positions[p.ParentID] == nil {
			return modelError("position %s: parent %s is not a position", p.ID, p.ParentID)
		}
		c.subPositions[p.ParentID] = append(c.subPositions[p.ParentID], p.ID)
	}
	for _, p := range m.Positions { // a cycle would make the walk below endless
		seen := map[string]bool{}
		for id := p.ID; id != ""; id = c.positions[id].ParentID {
			if seen[id] {
				return modelError("position %s: the parent chain has a cycle", p.ID)
			}
			seen[id] = true
		}
	}
	for i := range m.Users {
		u := &m.Users[i]
		u.PositionID = canonical(u.PositionID)
		if u.PositionID == "" {
			continue
		}
		if c.positions[u.PositionID] == nil {
			return modelError("user %s: position %s is not a position", u.ID, u.PositionID)
		}
		c.positionUsers[u.PositionID] = append(c.positionUsers[u.PositionID], u.ID)
	}
	return nil
}

// namesRole reports whether s is a role's name or id (as policyApplies
// matches them).
func (c *Compiled) namesRole(s string) bool {
	if c.roles[canonical(s)] != nil {
		return true
	}
	for _, r := range c.roles {
		if strings.EqualFold(r.Name, s) {
			return true
		}
	}
	return false
}

// subtree returns bu and its descendants.
func (c *Compiled) subtree(bu string, into []string) []string {
	into = append(into, bu)
	for _, ch := range c.children[bu] {
		into = c.subtree(ch, into)
	}
	return into
}

// table returns the table's settings (defaults for unlisted tables).
func (c *Compiled) table(name string) TableDef {
	if t := c.tables[strings.ToLower(name)]; t != nil {
		return *t
	}
	return TableDef{Name: strings.ToLower(name)}
}

// Model returns the model the Compiled was built from.
func (c *Compiled) Model() *Model { return c.model }

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func describeRole(r *RoleDef) string { return fmt.Sprintf("role:%s", r.Name) }
