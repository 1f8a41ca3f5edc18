package plan_test

import (
	"slices"

	"github.com/vecompile/vecompile/security"
)

// The independent reading of the security model that the row tests compare
// with (see security_rows_test.go).

// canRead is the reference: may user read the row (table, key, owner,
// owning business unit) under model m? It walks up from the row (owner's
// managers, business unit's parents) where the implementation walks down.
// needPriv reports whether the user holds Read on the table at all.
func canRead(m *security.Model, user, table, key, owner, bu string) (ok, needPriv bool) {
	usr := findUser(m, user)
	type g struct {
		depth       security.Depth
		bu          string
		direct      bool
		inheritUser bool
	}
	var grants []g
	depthOf := func(roleID string) security.Depth {
		best := security.None
		for _, r := range m.Roles {
			if r.ID != roleID {
				continue
			}
			for _, p := range r.Privileges {
				if p.Table == table && p.Privilege == "Read" {
					d, _ := security.DepthByName(p.Depth)
					best = max(best, d)
				}
			}
		}
		return best
	}
	for _, a := range usr.Roles {
		b := a.BusinessUnitID
		if b == "" {
			b = usr.BusinessUnitID
		}
		if d := depthOf(a.RoleID); d > security.None {
			grants = append(grants, g{d, b, true, true})
		}
	}
	teamHolds := func(tm security.TeamDef) bool {
		if tm.Type != security.OwnerTeam {
			return false
		}
		for _, a := range tm.Roles {
			if depthOf(a.RoleID) > security.None {
				return true
			}
		}
		return false
	}
	myTeams := map[string]security.TeamDef{}
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			myTeams[tm.ID] = tm
			if tm.Type != security.OwnerTeam {
				continue
			}
			for _, a := range tm.Roles {
				b := a.BusinessUnitID
				if b == "" {
					b = tm.BusinessUnitID
				}
				if d := depthOf(a.RoleID); d > security.None {
					grants = append(grants, g{d, b, false, tm.Inheritance == security.DirectUserBasic})
				}
			}
		}
	}
	if len(grants) == 0 {
		return false, false
	}
	for _, td := range m.Tables {
		if td.Name == table && td.Ownership == security.OrganizationOwned {
			return true, true
		}
	}
	isUnder := func(child, ancestor string) bool { // business unit ancestry, walking up
		for b := child; b != ""; {
			if b == ancestor {
				return true
			}
			u := findBU(m, b)
			if u == nil {
				return false
			}
			b = u.ParentID
		}
		return false
	}
	for _, gr := range grants {
		switch {
		case gr.depth == security.Organization:
			return true, true
		case gr.depth == security.BusinessUnit && bu == gr.bu:
			return true, true
		case gr.depth == security.ParentChild && isUnder(bu, gr.bu):
			return true, true
		case owner == user && gr.inheritUser:
			return true, true
		}
	}
	if tm, ok := myTeams[owner]; ok && teamHolds(tm) {
		return true, true
	}
	sharedWith := func(principal string) bool {
		for _, sh := range m.Shares {
			if sh.Table == table && sh.ObjectID == key && sh.PrincipalID == principal && (sh.Rights|sh.Inherited)&security.RightRead != 0 {
				return true
			}
		}
		return false
	}
	if sharedWith(user) {
		return true, true
	}
	for id := range myTeams {
		if sharedWith(id) {
			return true, true
		}
	}
	excluded := false
	for _, td := range m.Tables {
		excluded = excluded || td.Name == table && td.HierarchyExcluded
	}
	if m.Hierarchy.Enabled && !excluded {
		depth := m.Hierarchy.Depth
		if depth == 0 {
			depth = 3
		}
		// managedBy: is user a manager of report within depth levels, in
		// the report's business unit or one above it? With position
		// hierarchy: is the report's position below user's, within depth
		// levels, whatever their business units?
		managedBy := func(report string) bool {
			cur := findUser(m, report)
			if cur == nil {
				return false
			}
			if m.Hierarchy.Model == security.PositionHierarchy {
				if usr.PositionID == "" || report == user {
					return false
				}
				pos := cur.PositionID
				for i := 0; i < depth && pos != ""; i++ {
					var parent string
					for _, p := range m.Positions {
						if p.ID == pos {
							parent = p.ParentID
						}
					}
					if parent == usr.PositionID {
						return true
					}
					pos = parent
				}
				return false
			}
			above := false
			for b := findBU(m, cur.BusinessUnitID); b != nil && !above; b = findBU(m, b.ParentID) {
				above = b.ID == usr.BusinessUnitID
			}
			if !above {
				return false
			}
			for i := 0; i < depth && cur != nil && cur.ManagerID != ""; i++ {
				if cur.ManagerID == user {
					return true
				}
				cur = findUser(m, cur.ManagerID)
			}
			return false
		}
		if findUser(m, owner) != nil && managedBy(owner) {
			return true, true
		}
		for _, tm := range m.Teams {
			reportMember := false
			for _, mem := range tm.Members {
				reportMember = reportMember || managedBy(mem)
			}
			if !reportMember {
				continue
			}
			if tm.ID == owner && teamHolds(tm) || sharedWith(tm.ID) {
				return true, true
			}
		}
		for _, u := range m.Users {
			if managedBy(u.ID) && sharedWith(u.ID) {
				return true, true
			}
		}
	}
	return false, true
}

func findUser(m *security.Model, id string) *security.UserDef {
	for i := range m.Users {
		if m.Users[i].ID == id {
			return &m.Users[i]
		}
	}
	return nil
}

func findBU(m *security.Model, id string) *security.BusinessUnitDef {
	for i := range m.BusinessUnits {
		if m.BusinessUnits[i].ID == id {
			return &m.BusinessUnits[i]
		}
	}
	return nil
}

// canReadColumn: column security from the model's data (admins read all).
func canReadColumn(m *security.Model, user, table, col string) bool {
	secured := false
	for _, td := range m.Tables {
		secured = secured || td.Name == table && slices.Contains(td.SecuredColumns, col)
	}
	if !secured {
		return true
	}
	usr := findUser(m, user)
	var teams []string
	roles := slices.Clone(usr.Roles)
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			teams = append(teams, tm.ID)
			roles = append(roles, tm.Roles...)
		}
	}
	for _, a := range roles {
		for _, r := range m.Roles {
			if r.ID == a.RoleID && r.Admin {
				return true
			}
		}
	}
	for _, f := range m.FieldProfiles {
		in := slices.Contains(f.Users, user)
		for _, tm := range teams {
			in = in || slices.Contains(f.Teams, tm)
		}
		for _, c := range f.Columns {
			if in && c.Table == table && c.Column == col && c.Read {
				return true
			}
		}
	}
	return false
}

// canReadColumnOn is canReadColumn for one record: a field share of the
// column on that record with the user or one of their teams reveals it.
func canReadColumnOn(m *security.Model, user, table, col, key string) bool {
	if canReadColumn(m, user, table, col) {
		return true
	}
	principals := []string{user}
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			principals = append(principals, tm.ID)
		}
	}
	for _, f := range m.FieldShares {
		if f.Read && f.Table == table && f.Column == col && f.ObjectID == key && slices.Contains(principals, f.PrincipalID) {
			return true
		}
	}
	return false
}
