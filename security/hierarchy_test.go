package security

import (
	"fmt"
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
