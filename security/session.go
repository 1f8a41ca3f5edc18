package security

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vecompile/vecompile/internal/diag"
)

// Principal is who a query or write runs as: a user, a portal contact
// (mapped to a user) or the anonymous portal user. Company settings are
// F&O's: without CrossCompany a query sees the user's default company;
// with it, Companies (or, when empty, every allowed company).
type Principal struct {
	UserID          string
	PortalContactID string
	Anonymous       bool
	CrossCompany    bool
	Companies       []string
	// Groups are the Entra object ids of the groups the user belongs to
	// (the token's groups claim, as the caller resolved it): the user is a
	// member of the group teams of those groups.
	Groups []string
}

// Session is a principal resolved against a model: its teams, reports,
// companies and, per table and privilege, the computed access. Sessions
// are safe for concurrent use.
type Session struct {
	c    *Compiled
	user *UserDef
	// Who describes the principal for plans and errors.
	Who        string
	teams      []*TeamDef // memberships, owner and access teams
	principals []string   // the user and all their teams
	roles      []*RoleDef // every role, direct or through owner teams
	companies  []string
	admin      bool

	mu      sync.Mutex
	access  map[accessKey]*Access
	filters map[filterKey]filterResult
	hidden  map[string][]string
	shares  map[string]map[string][]string // ColumnShares by table
}

type accessKey struct {
	table string
	priv  Privilege
}

func refused(format string, args ...any) error {
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.PrincipalRefused, format, args...)}.Err()
}

// Session resolves a principal. Unknown or disabled users, unmapped portal
// contacts, a missing anonymous user, and portal or anonymous users holding
// an administrator-class role are PrincipalRefused; a requested company the
// user may not access is CompanyDenied.
func (c *Compiled) Session(p Principal) (*Session, error) {
	s := &Session{c: c, access: map[accessKey]*Access{}, filters: map[filterKey]filterResult{}, hidden: map[string][]string{}, shares: map[string]map[string][]string{}}
	portal := false
	var uid string
	switch {
	case p.Anonymous:
		uid, portal = canonical(c.model.Portal.AnonymousUserID), true
		if uid == "" {
			return nil, refused("anonymous access: the model names no anonymous portal user")
		}
		s.Who = "anonymous portal user " + uid
	case p.PortalContactID != "":
		contact := canonical(p.PortalContactID)
		if uid = c.portal[contact]; uid == "" {
			return nil, refused("portal contact %s is not mapped to a user", contact)
		}
		portal = true
		s.Who = fmt.Sprintf("portal contact %s as user %s", contact, uid)
	default:
		uid = canonical(p.UserID)
		s.Who = "user " + uid
	}
	u := c.users[uid]
	if u == nil {
		return nil, refused("%s: not a user of the security model", s.Who)
	}
	if u.Disabled {
		return nil, refused("%s is disabled", s.Who)
	}
	s.user = u
	s.principals = append(s.principals, u.ID)
	for _, t := range c.memberOf[u.ID] {
		s.teams = append(s.teams, t)
		s.principals = append(s.principals, t.ID)
	}
	for _, g := range p.Groups {
		for _, t := range c.groupTeams[canonical(g)] {
			if !slices.Contains(s.teams, t) {
				s.teams = append(s.teams, t)
				s.principals = append(s.principals, t.ID)
			}
		}
	}
	for _, a := range u.Roles {
		s.roles = append(s.roles, c.roles[a.RoleID])
	}
	for _, t := range s.teams {
		for _, a := range t.Roles {
			s.roles = append(s.roles, c.roles[a.RoleID])
		}
	}
	for _, r := range s.roles {
		if r.Admin {
			s.admin = true
			if portal {
				return nil, refused("%s holds the administrator-class role %q: portal users may not", s.Who, r.Name)
			}
		}
	}
	switch {
	case p.CrossCompany && len(p.Companies) == 0:
		s.companies = lowerAll(u.Companies)
	case p.CrossCompany:
		for _, co := range p.Companies {
			co = strings.ToLower(co)
			if !slices.Contains(lowerAll(u.Companies), co) {
				return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.CompanyDenied, "%s may not access company %q", s.Who, co)}.Err()
			}
			s.companies = append(s.companies, co)
		}
	default:
		co := strings.ToLower(u.DefaultCompany)
		if co == "" && len(u.Companies) > 0 {
			co = strings.ToLower(u.Companies[0])
		}
		if co != "" {
			s.companies = []string{co}
		}
	}
	s.companies = sortedUnique(s.companies)
	return s, nil
}

func lowerAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToLower(x)
	}
	return out
}

// UserID is the user the session runs as.
func (s *Session) UserID() string { return s.user.ID }

// TeamIDs are the ids of the principal's teams: listed memberships and
// the group teams of the principal's Entra groups.
func (s *Session) TeamIDs() []string {
	out := make([]string, len(s.teams))
	for i, t := range s.teams {
		out[i] = t.ID
	}
	return out
}

// BusinessUnitID is the user's home business unit.
func (s *Session) BusinessUnitID() string { return s.user.BusinessUnitID }

// Companies are the companies the session's queries see.
func (s *Session) Companies() []string { return s.companies }

// Access is what a principal may reach with one privilege on one table:
// the union of its grants. Rows are reachable when All is set, or their
// owner is in Owners, their owning business unit in BusinessUnits, or
// their key in Shared.
type Access struct {
	Table     string
	Privilege Privilege
	// Depth is the deepest level any grant gives; None fails the
	// privilege check.
	Depth Depth
	// All: every row (Organization depth, or an organization-owned table
	// with any depth).
	All bool
	// Owners: principals whose rows are reachable (the user and teams
	// holding the privilege; with hierarchy security and Read, Write,
	// Append or AppendTo, reports and their teams: hierarchyLevels).
	Owners []string
	// BusinessUnits: owning business units reachable at Business Unit and
	// Parent: Child depth, per role assignment (modernized business units).
	BusinessUnits []string
	// Shared: keys of rows shared (principalobjectaccess) with the user,
	// their teams or, through the hierarchy, their reports and the
	// reports' teams, with the privilege's bit.
	Shared []string
	// Sources say what granted the access: roles, shares, hierarchy.
	Sources []string
}

// Access computes (and caches) the session's access for a privilege on a
// table.
func (s *Session) Access(table string, priv Privilege) *Access {
	k := accessKey{strings.ToLower(table), priv}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.access[k]; a != nil {
		return a
	}
	a := s.compute(k.table, priv)
	s.access[k] = a
	return a
}

type grant struct {
	depth Depth
	bu    string
	role  *RoleDef
	team  *TeamDef // nil for a direct assignment
}

func (s *Session) grants(table string, priv Privilege) []grant {
	var out []grant
	add := func(as []RoleAssignment, home string, team *TeamDef) {
		for _, a := range as {
			g := s.c.grants[a.RoleID][table]
			if g == nil || g[priv] == None {
				continue
			}
			bu := a.BusinessUnitID
			if bu == "" {
				bu = home
			}
			out = append(out, grant{g[priv], bu, s.c.roles[a.RoleID], team})
		}
	}
	add(s.user.Roles, s.user.BusinessUnitID, nil)
	for _, t := range s.teams {
		if t.Type.OwnsRows() {
			add(t.Roles, t.BusinessUnitID, t)
		}
	}
	return out
}

// teamHolds reports whether a team's own roles grant priv on table.
func (c *Compiled) teamHolds(t *TeamDef, table string, priv Privilege) bool {
	if !t.Type.OwnsRows() {
		return false
	}
	for _, a := range t.Roles {
		if g := c.grants[a.RoleID][table]; g != nil && g[priv] > None {
			return true
		}
	}
	return false
}

func (s *Session) compute(table string, priv Privilege) *Access {
	a := &Access{Table: table, Privilege: priv}
	gs := s.grants(table, priv)
	userBasic := false
	for _, g := range gs {
		a.Depth = max(a.Depth, g.depth)
		a.Sources = append(a.Sources, describeGrant(g))
		if g.team == nil || g.team.Inheritance == DirectUserBasic {
			userBasic = true
		}
		switch g.depth {
		case BusinessUnit:
			a.BusinessUnits = append(a.BusinessUnits, g.bu)
		case ParentChild:
			a.BusinessUnits = s.c.subtree(g.bu, a.BusinessUnits)
		case Organization:
			a.All = true
		}
	}
	a.Sources = sortedUnique(a.Sources)
	def := s.c.table(table)
	if a.Depth == None {
		return a
	}
	if a.All || def.Ownership == OrganizationOwned {
		// Column security still applies; rows do not need a predicate.
		a.All, a.BusinessUnits = true, nil
		return a
	}
	if userBasic {
		a.Owners = append(a.Owners, s.user.ID)
	}
	for _, t := range s.teams {
		if s.c.teamHolds(t, table, priv) {
			a.Owners = append(a.Owners, t.ID)
		}
	}
	// Sharing counts only once the privilege check passed (it did).
	a.Shared = s.c.sharedWith(table, priv.Right(), s.principals, a.Shared)
	if n := len(a.Shared); n > 0 {
		a.Sources = append(a.Sources, fmt.Sprintf("shares:%d", n))
	}
	h := s.c.model.Hierarchy
	if depth := hierarchyLevels(h, priv); h.Enabled && !def.HierarchyExcluded && depth > 0 {
		var reports []string
		if h.Model == PositionHierarchy {
			// Positions cross business units (spec §1a).
			reports = s.c.positionReportsOf(s.user, depth)
		} else {
			// The manager must be in the report's unit or a parent of it
			// (spec §1a); reports elsewhere are not reached through the
			// hierarchy.
			reports = slices.DeleteFunc(s.c.reportsOf(s.user.ID, depth), func(r string) bool {
				return !s.c.atOrAbove(s.user.BusinessUnitID, s.c.users[r].BusinessUnitID)
			})
		}
		if len(reports) > 0 {
			var rp []string
			for _, r := range reports {
				rp = append(rp, r)
				for _, t := range s.c.memberOf[r] {
					rp = append(rp, t.ID)
					if s.c.teamHolds(t, table, priv) {
						a.Owners = append(a.Owners, t.ID)
					}
				}
			}
			a.Owners = append(a.Owners, reports...)
			a.Shared = s.c.sharedWith(table, priv.Right(), rp, a.Shared)
			if h.Model == PositionHierarchy {
				a.Sources = append(a.Sources, fmt.Sprintf("position hierarchy:%d users below", len(reports)))
			} else {
				a.Sources = append(a.Sources, fmt.Sprintf("hierarchy:%d reports", len(reports)))
			}
		}
	}
	a.Owners = sortedUnique(a.Owners)
	a.BusinessUnits = sortedUnique(a.BusinessUnits)
	a.Shared = sortedUnique(a.Shared)
	return a
}

// hierarchyLevels is how many levels below the caller hierarchy security
// reaches with priv (spec §1a): Read to the configured depth (default 3);
// Write, Append and AppendTo the direct reports only; Create, Delete,
// Assign and Share not at all, as they come only from roles and shares.
func hierarchyLevels(h HierarchySettings, priv Privilege) int {
	switch priv {
	case Read:
		if h.Depth == 0 {
			return 3
		}
		return h.Depth
	case Write, Append, AppendTo:
		return 1
	}
	return 0
}

func describeGrant(g grant) string {
	s := fmt.Sprintf("%s(%s@%s)", describeRole(g.role), g.depth, g.bu)
	if g.team != nil {
		s += " via team " + g.team.Name
	}
	return s
}

// sharedWith appends the keys of table rows shared with any of principals
// with the bit set in the rights or inherited rights.
func (c *Compiled) sharedWith(table string, bit Rights, principals []string, into []string) []string {
	for _, sh := range c.shares[table] {
		if (sh.Rights|sh.Inherited)&bit != 0 && slices.Contains(principals, sh.PrincipalID) {
			into = append(into, sh.ObjectID)
		}
	}
	return into
}

// atOrAbove reports whether unit is bu or one of its ancestors.
func (c *Compiled) atOrAbove(unit, bu string) bool {
	for seen := 0; bu != "" && seen <= len(c.bus); seen++ { // Compile refused cycles; the bound is belt and braces
		if bu == unit {
			return true
		}
		b := c.bus[bu]
		if b == nil {
			return false
		}
		bu = b.ParentID
	}
	return false
}

// reportsOf lists the users below manager, at most depth levels down.
func (c *Compiled) reportsOf(manager string, depth int) []string {
	var out []string
	level := []string{manager}
	seen := map[string]bool{manager: true}
	for d := 0; d < depth && len(level) > 0; d++ {
		var next []string
		for _, m := range level {
			for _, r := range c.reports[m] {
				if !seen[r] {
					seen[r] = true
					next = append(next, r)
				}
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

// positionReportsOf lists the users in the positions below u's, at most
// depth levels down (the first level are u's direct reports), u excluded.
func (c *Compiled) positionReportsOf(u *UserDef, depth int) []string {
	if u.PositionID == "" {
		return nil
	}
	var out []string
	level := []string{u.PositionID}
	for d := 0; d < depth && len(level) > 0; d++ {
		var next []string
		for _, p := range level {
			next = append(next, c.subPositions[p]...)
		}
		for _, p := range next {
			for _, id := range c.positionUsers[p] {
				if id != u.ID {
					out = append(out, id)
				}
			}
		}
		level = next
	}
	return out
}

// MissingPrivilege is the error for a principal without priv on table,
// named as Dataverse names privileges (prvReadAccount).
func (s *Session) MissingPrivilege(table string, priv Privilege, detail string) error {
	msg := fmt.Sprintf("%s is missing the %s privilege (%s on %s)", s.Who, PrivilegeName(table, priv), priv, table)
	if detail != "" {
		msg += ": " + detail
	}
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.MissingPrivilege, "%s", msg)}.Err()
}

// PrivilegeName is Dataverse's privilege name: prv + privilege + table
// (prvReadAccount, prvAppendToOpportunity).
func PrivilegeName(table string, priv Privilege) string {
	if table == "" {
		return "prv" + priv.String()
	}
	return "prv" + priv.String() + strings.ToUpper(table[:1]) + table[1:]
}

// HiddenColumns lists the secured columns of table the session may not
// read (they come back NULL). Administrator-class roles read every column.
func (s *Session) HiddenColumns(table string) []string {
	s.mu.Lock()
	h, ok := s.hidden[table]
	s.mu.Unlock()
	if !ok {
		h = s.deniedColumns(table, func(p ColumnPermission) bool { return p.Read })
		s.mu.Lock()
		s.hidden[table] = h
		s.mu.Unlock()
	}
	return h
}

// ColumnShares lists, per hidden column of table, the records whose value
// of that column is shared with the principal or its teams for reading
// (principalobjectattributeaccess): those records read it, the others read
// NULL. Columns without such records are absent.
func (s *Session) ColumnShares(table string) map[string][]string {
	table = strings.ToLower(table)
	s.mu.Lock()
	out, ok := s.shares[table]
	s.mu.Unlock()
	if !ok {
		out = s.columnShares(table)
		s.mu.Lock()
		s.shares[table] = out
		s.mu.Unlock()
	}
	return out
}

// columnShares computes ColumnShares (which caches it per table).
func (s *Session) columnShares(table string) map[string][]string {
	hidden := s.HiddenColumns(table)
	var out map[string][]string
	for _, f := range s.c.model.FieldShares {
		if f.Read && f.Table == table && slices.Contains(hidden, f.Column) && slices.Contains(s.principals, f.PrincipalID) {
			if out == nil {
				out = map[string][]string{}
			}
			if !slices.Contains(out[f.Column], f.ObjectID) {
				out[f.Column] = append(out[f.Column], f.ObjectID)
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// fieldShared reports whether column col of record id is shared with the
// principal or its teams with the permission.
func (s *Session) fieldShared(table, col, id string, allowed func(FieldShareDef) bool) bool {
	table, col, id = strings.ToLower(table), strings.ToLower(col), canonical(id)
	for _, f := range s.c.model.FieldShares {
		if f.Table == table && f.Column == col && f.ObjectID == id && allowed(f) && slices.Contains(s.principals, f.PrincipalID) {
			return true
		}
	}
	return false
}

func (s *Session) deniedColumns(table string, allowed func(ColumnPermission) bool) []string {
	table = strings.ToLower(table)
	secured := s.c.secured[table]
	if len(secured) == 0 || s.admin {
		return nil
	}
	var out []string
	for _, col := range secured {
		if !s.columnAllowed(table, col, allowed) {
			out = append(out, col)
		}
	}
	return out
}

func (s *Session) columnAllowed(table, col string, allowed func(ColumnPermission) bool) bool {
	for _, f := range s.c.model.FieldProfiles {
		member := slices.Contains(f.Users, s.user.ID)
		for _, t := range s.teams {
			member = member || slices.Contains(f.Teams, t.ID)
		}
		if !member {
			continue
		}
		for _, p := range f.Columns {
			if p.Table == table && p.Column == col && allowed(p) {
				return true
			}
		}
	}
	return false
}
