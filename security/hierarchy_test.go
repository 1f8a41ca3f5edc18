package security

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// hierarchyRights is the spec's table (§1a): what hierarchy security adds
// over a report's rows, by privilege and level below the caller.
var hierarchyRights = map[Privilege][2]bool{ // {direct reports, beyond}
	Read:     {true, true},
	Write:    {true, false},
	Append:   {true, false},
	AppendTo: {true, false},
	Create:   {false, false},
	Delete:   {false, false},
	Assign:   {false, false},
	Share:    {false, false},
}

const rEvery = "d0000000-0000-4000-8000-0000000000a1"

// hierarchyModels are testModel and positionModel with boss holding every
// account privilege at User depth. In both, mid is boss's direct report
// and leaf is two levels down (depth 2 reaches both); mid and leaf each
// hold a share of one row with every right.
func hierarchyModels() map[HierarchyModel]*Model {
	every := RoleDef{ID: rEvery, Name: "Every privilege"}
	for p := Create; p < numPrivileges; p++ {
		every.Privileges = append(every.Privileges, PrivilegeDef{Table: "account", Privilege: p.String(), Depth: "User"})
	}
	out := map[HierarchyModel]*Model{}
	for model, m := range map[HierarchyModel]*Model{ManagerHierarchy: testModel(), PositionHierarchy: positionModel()} {
		m.Roles = append(m.Roles, every)
		for i := range m.Users {
			if m.Users[i].ID == uBoss {
				m.Users[i].Roles = []RoleAssignment{{RoleID: rEvery}}
			}
		}
		m.Shares = append(m.Shares,
			ShareDef{Table: "account", ObjectID: rowSharedWithMid.ID, PrincipalID: uMid, Rights: allRights()},
			ShareDef{Table: "account", ObjectID: rowSharedWithLeaf.ID, PrincipalID: uLeaf, Rights: allRights()})
		out[model] = m
	}
	return out
}

var (
	rowOfBoss         = RowRef{Table: "account", ID: "0c000000-0000-4000-8000-000000000001", OwnerID: uBoss, OwningBusinessUnit: buRoot}
	rowOfMid          = RowRef{Table: "account", ID: "0c000000-0000-4000-8000-000000000002", OwnerID: uMid, OwningBusinessUnit: buSales}
	rowOfLeaf         = RowRef{Table: "account", ID: "0c000000-0000-4000-8000-000000000003", OwnerID: uLeaf, OwningBusinessUnit: buEurope}
	rowSharedWithMid  = RowRef{Table: "account", ID: "0c000000-0000-4000-8000-000000000004", OwnerID: uPortal, OwningBusinessUnit: buRoot}
	rowSharedWithLeaf = RowRef{Table: "account", ID: "0c000000-0000-4000-8000-000000000005", OwnerID: uPortal, OwningBusinessUnit: buRoot}
)

// TestHierarchyRights: every privilege at each level below the caller, for
// both hierarchy models, over rows the reports own and rows shared with
// them; the caller's own row is reachable with every privilege.
func TestHierarchyRights(t *testing.T) {
	for model, m := range hierarchyModels() {
		c, err := Compile(m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Session(Principal{UserID: uBoss})
		if err != nil {
			t.Fatal(err)
		}
		for p := Create; p < numPrivileges; p++ {
			want, ok := hierarchyRights[p]
			if !ok {
				t.Fatalf("privilege %s missing from the hierarchy rights table", p)
			}
			for _, r := range []struct {
				row   RowRef
				reach bool
			}{
				{rowOfBoss, true},
				{rowOfMid, want[0]}, {rowSharedWithMid, want[0]},
				{rowOfLeaf, want[1]}, {rowSharedWithLeaf, want[1]},
			} {
				err := s.need(r.row, p, true)
				if (err == nil) != r.reach {
					t.Errorf("%s hierarchy, %s on %s owned by %s: got %v, want reachable=%v", model, p, r.row.ID, r.row.OwnerID, err, r.reach)
				}
				if err != nil && (diag.CodeOf(err) != diag.MissingPrivilege || !strings.Contains(err.Error(), PrivilegeName("account", p))) {
					t.Errorf("%s hierarchy, %s on %s: %v does not name %s", model, p, r.row.ID, err, PrivilegeName("account", p))
				}
			}
		}
	}
}

// TestHierarchyWrites: the same rights through CheckWrite, as the server
// asks them. A manager updates a direct report's row and links to it, but
// neither deletes, assigns, shares it nor creates rows for the report.
func TestHierarchyWrites(t *testing.T) {
	mid, leaf, mine := rowOfMid, rowOfLeaf, rowOfBoss
	cases := []struct {
		name string
		w    Change
		priv string // the missing privilege, "" when allowed
	}{
		{"update a direct report's row", Change{Op: OpUpdate, Before: &mid, Columns: []string{"name"}}, ""},
		{"update a row two levels down", Change{Op: OpUpdate, Before: &leaf, Columns: []string{"name"}}, "prvWriteAccount"},
		{"link my row to a direct report's", Change{Op: OpUpdate, Before: &mine, Lookups: []Lookup{{"parentaccountid", mid}}}, ""},
		{"link a direct report's row to mine", Change{Op: OpUpdate, Before: &mid, Lookups: []Lookup{{"parentaccountid", mine}}}, ""},
		{"link my row to one two levels down", Change{Op: OpUpdate, Before: &mine, Lookups: []Lookup{{"parentaccountid", leaf}}}, "prvAppendToAccount"},
		{"delete a direct report's row", Change{Op: OpDelete, Before: &mid}, "prvDeleteAccount"},
		{"assign a direct report's row to me", Change{Op: OpAssign, Before: &mid, After: &RowRef{Table: "account", OwnerID: uBoss}}, "prvAssignAccount"},
		{"update moving a direct report's row to me", Change{Op: OpUpdate, Before: &mid, After: &RowRef{Table: "account", OwnerID: uBoss}}, "prvAssignAccount"},
		{"share a direct report's row", Change{Op: OpShare, Before: &mid, Rights: RightRead, ShareWith: uLeaf2}, "prvShareAccount"},
		{"create a row owned by a direct report", Change{Op: OpCreate, After: &RowRef{Table: "account", OwnerID: uMid}}, "prvCreateAccount"},
		{"create my own row", Change{Op: OpCreate, After: &RowRef{Table: "account"}}, ""},
		{"delete my own row", Change{Op: OpDelete, Before: &mine}, ""},
	}
	for model, m := range hierarchyModels() {
		c, err := Compile(m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Session(Principal{UserID: uBoss})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			err := s.CheckWrite(tc.w)
			name := fmt.Sprintf("%s hierarchy, %s", model, tc.name)
			switch {
			case tc.priv == "" && err != nil:
				t.Errorf("%s: %v", name, err)
			case tc.priv != "" && (diag.CodeOf(err) != diag.MissingPrivilege || !strings.Contains(err.Error(), tc.priv)):
				t.Errorf("%s: got %v, want %s missing", name, err, tc.priv)
			}
		}
	}
}

// TestHierarchyRightsProperty: random manager and position hierarchies,
// business units and shares, every user holding every account privilege
// at User depth only. For every user, privilege and row, the session
// reaches the row exactly when the reference does: the user's own row, a
// row shared with the user with the privilege's bit, or, through the
// hierarchy, a row owned by or shared with a report within the
// privilege's levels (spec §1a: Read to the configured depth; Write,
// Append and AppendTo the direct reports; Create, Delete, Assign and Share
// never). The reference walks up from the row's owner; the session walks
// down from the caller.
func TestHierarchyRightsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	id := func(kind, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012d", kind, i) }
	for round := range 60 {
		const nUsers, nPositions, nRows = 9, 6, 14
		m := &Model{
			BusinessUnits: []BusinessUnitDef{{ID: id(0xb0, 0)}, {ID: id(0xb0, 1), ParentID: id(0xb0, 0)}, {ID: id(0xb0, 2), ParentID: id(0xb0, 1)}, {ID: id(0xb0, 3), ParentID: id(0xb0, 0)}},
			Hierarchy:     HierarchySettings{Enabled: rng.IntN(5) != 0, Depth: rng.IntN(4)},
		}
		if rng.IntN(2) == 0 {
			m.Hierarchy.Model = PositionHierarchy
		}
		every := RoleDef{ID: rEvery, Name: "Every privilege"}
		for p := Create; p < numPrivileges; p++ {
			every.Privileges = append(every.Privileges, PrivilegeDef{Table: "account", Privilege: p.String(), Depth: "User"})
		}
		m.Roles = []RoleDef{every}
		for i := range nPositions {
			p := PositionDef{ID: id(0x90, i), Name: fmt.Sprint("p", i)}
			if i > 0 && rng.IntN(4) != 0 {
				p.ParentID = id(0x90, rng.IntN(i))
			}
			m.Positions = append(m.Positions, p)
		}
		for i := range nUsers {
			u := UserDef{ID: id(0xa0, i), BusinessUnitID: m.BusinessUnits[rng.IntN(len(m.BusinessUnits))].ID, Roles: []RoleAssignment{{RoleID: rEvery}}}
			if i > 0 && rng.IntN(5) != 0 {
				u.ManagerID = id(0xa0, rng.IntN(i))
			}
			if rng.IntN(4) != 0 {
				u.PositionID = id(0x90, rng.IntN(nPositions))
			}
			m.Users = append(m.Users, u)
		}
		rows := make([]RowRef, nRows)
		for i := range rows {
			owner := m.Users[rng.IntN(nUsers)]
			rows[i] = RowRef{Table: "account", ID: id(0x0c, i), OwnerID: owner.ID, OwningBusinessUnit: owner.BusinessUnitID}
		}
		for range rng.IntN(10) {
			m.Shares = append(m.Shares, ShareDef{Table: "account", ObjectID: rows[rng.IntN(nRows)].ID, PrincipalID: m.Users[rng.IntN(nUsers)].ID, Rights: Rights(rng.Uint32()) & allRights()})
		}
		c, err := Compile(m)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, u := range m.Users {
			s, err := c.Session(Principal{UserID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			for p := Create; p < numPrivileges; p++ {
				for _, r := range rows {
					want := hierarchyReference(m, u.ID, p, r)
					if got := s.need(r, p, true) == nil; got != want {
						t.Fatalf("round %d (%s hierarchy, enabled %v, depth %d): %s %s on row %s owned by %s: session %v, reference %v",
							round, m.Hierarchy.Model, m.Hierarchy.Enabled, m.Hierarchy.Depth, u.ID, p, r.ID, r.OwnerID, got, want)
					}
				}
			}
		}
	}
}

// hierarchyReference is the reference reading of §1a for one user,
// privilege and row, in a model without teams.
func hierarchyReference(m *Model, user string, p Privilege, r RowRef) bool {
	sharedWith := func(principal string) bool {
		for _, sh := range m.Shares {
			if sh.ObjectID == r.ID && sh.PrincipalID == principal && (sh.Rights|sh.Inherited)&p.Right() != 0 {
				return true
			}
		}
		return false
	}
	if r.OwnerID == user || sharedWith(user) {
		return true
	}
	if !m.Hierarchy.Enabled {
		return false
	}
	levels := 0
	switch p {
	case Read:
		levels = cmp.Or(m.Hierarchy.Depth, 3)
	case Write, Append, AppendTo:
		levels = 1
	}
	userOf := func(id string) *UserDef {
		for i := range m.Users {
			if m.Users[i].ID == id {
				return &m.Users[i]
			}
		}
		return nil
	}
	me := userOf(user)
	// reports: is report below the caller, within levels?
	below := func(report string) bool {
		ru := userOf(report)
		if ru == nil || report == user {
			return false
		}
		if m.Hierarchy.Model == PositionHierarchy {
			pos := ru.PositionID
			for range levels {
				parent := ""
				for _, q := range m.Positions {
					if q.ID == pos {
						parent = q.ParentID
					}
				}
				if parent == "" {
					return false
				}
				if me.PositionID != "" && parent == me.PositionID {
					return true
				}
				pos = parent
			}
			return false
		}
		// Manager hierarchy: the caller's unit must be the report's or above.
		above := false
		for bu := ru.BusinessUnitID; bu != "" && !above; {
			above = bu == me.BusinessUnitID
			parent := ""
			for _, b := range m.BusinessUnits {
				if b.ID == bu {
					parent = b.ParentID
				}
			}
			bu = parent
		}
		if !above {
			return false
		}
		cur := ru
		for range levels {
			if cur.ManagerID == "" {
				return false
			}
			if cur.ManagerID == user {
				return true
			}
			cur = userOf(cur.ManagerID)
		}
		return false
	}
	if below(r.OwnerID) {
		return true
	}
	for _, u := range m.Users {
		if below(u.ID) && sharedWith(u.ID) {
			return true
		}
	}
	return false
}
