package security

import (
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Ids of the test model: business units root ⊃ sales ⊃ europe, plus other.
const (
	buRoot   = "b0000000-0000-4000-8000-000000000001"
	buSales  = "b0000000-0000-4000-8000-000000000002"
	buEurope = "b0000000-0000-4000-8000-000000000003"
	buOther  = "b0000000-0000-4000-8000-000000000004"
	uBoss    = "a0000000-0000-4000-8000-000000000001"
	uMid     = "a0000000-0000-4000-8000-000000000002"
	uLeaf    = "a0000000-0000-4000-8000-000000000003"
	uLeaf2   = "a0000000-0000-4000-8000-000000000004"
	uPortal  = "a0000000-0000-4000-8000-000000000005"
	tOwner   = "e0000000-0000-4000-8000-000000000001"
	tAccess  = "e0000000-0000-4000-8000-000000000002"
	rUser    = "d0000000-0000-4000-8000-000000000001"
	rBU      = "d0000000-0000-4000-8000-000000000002"
	rDeep    = "d0000000-0000-4000-8000-000000000003"
	rOrg     = "d0000000-0000-4000-8000-000000000004"
	rAdmin   = "d0000000-0000-4000-8000-000000000005"
	rTeam    = "d0000000-0000-4000-8000-000000000006"
)

func role(id, name string, d string) RoleDef {
	return RoleDef{ID: id, Name: name, Privileges: []PrivilegeDef{
		{Table: "account", Privilege: "Read", Depth: d},
		{Table: "account", Privilege: "Write", Depth: d},
		{Table: "custtrans", Privilege: "Read", Depth: "Organization"},
	}}
}

func testModel() *Model {
	admin := role(rAdmin, "System Administrator", "Organization")
	admin.Admin = true
	return &Model{
		BusinessUnits: []BusinessUnitDef{{ID: buRoot}, {ID: buSales, ParentID: buRoot}, {ID: buEurope, ParentID: buSales}, {ID: buOther, ParentID: buRoot}},
		Roles:         []RoleDef{role(rUser, "User", "User"), role(rBU, "BU", "BusinessUnit"), role(rDeep, "Deep", "ParentChild"), role(rOrg, "Org", "Organization"), admin, role(rTeam, "TeamRole", "User")},
		Users: []UserDef{
			{ID: uBoss, BusinessUnitID: buRoot, Roles: []RoleAssignment{{RoleID: rUser}}, Companies: []string{"USMF", "DEMF"}, DefaultCompany: "usmf"},
			{ID: uMid, BusinessUnitID: buSales, ManagerID: uBoss, Roles: []RoleAssignment{{RoleID: rBU, BusinessUnitID: buOther}}},
			{ID: uLeaf, BusinessUnitID: buEurope, ManagerID: uMid},
			{ID: uLeaf2, BusinessUnitID: buEurope, ManagerID: uLeaf, Roles: []RoleAssignment{{RoleID: rDeep}}},
			{ID: uPortal, BusinessUnitID: buRoot, Roles: []RoleAssignment{{RoleID: rAdmin}}},
		},
		Teams: []TeamDef{
			{ID: tOwner, BusinessUnitID: buSales, Members: []string{uLeaf}, Roles: []RoleAssignment{{RoleID: rTeam}}},
			{ID: tAccess, BusinessUnitID: buSales, Type: AccessTeam, Members: []string{uLeaf, uMid}},
		},
		Shares: []ShareDef{
			{Table: "account", ObjectID: "0b000000-0000-4000-8000-000000000001", PrincipalID: tAccess, Rights: RightRead | RightWrite},
			{Table: "account", ObjectID: "0b000000-0000-4000-8000-000000000002", PrincipalID: uLeaf, Rights: RightWrite},
		},
		Tables: []TableDef{
			{Name: "account", SecuredColumns: []string{"revenue"}},
			{Name: "custtrans", Company: true},
			{Name: "custtable", Company: true},
		},
		Hierarchy: HierarchySettings{Enabled: true, Depth: 2},
		FieldProfiles: []FieldProfile{{ID: "f1", Name: "Finance", Teams: []string{tOwner},
			Columns: []ColumnPermission{{Table: "account", Column: "revenue", Read: true}}}},
		Policies: []XDSPolicy{
			{Name: "Customer group", PrimaryTable: "custtable", PrimaryKey: "accountnum", Constrained: []Constraint{{Table: "custtrans", Column: "accountnum"}},
				Ranges: []Range{{Column: "custgroup", Operator: "eq", Values: []string{"10"}}}, Roles: []string{"User"}},
			{Name: "Blocked", PrimaryTable: "custtable", PrimaryKey: "accountnum", Constrained: []Constraint{{Table: "custtrans", Column: "accountnum"}},
				Ranges: []Range{{Column: "blocked", Operator: "eq", Values: []string{"0"}}}},
		},
		Portal: PortalSettings{Contacts: []PortalMapping{{ContactID: "c0000000-0000-4000-8000-000000000001", UserID: uPortal}}, AnonymousUserID: uLeaf},
	}
}

func session(t *testing.T, p Principal) *Session {
	t.Helper()
	c, err := Compile(testModel())
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccessDepths(t *testing.T) {
	cases := []struct {
		user        string
		priv        Privilege
		depth       Depth
		all         bool
		owners, bus []string
		shared      int
	}{
		// User depth: own rows, plus hierarchy (mid, and leaf two levels down).
		{uBoss, Read, User, false, []string{uBoss, uLeaf, uMid, tOwner}, nil, 1},
		// Write: hierarchy only reaches direct reports.
		{uBoss, Write, User, false, []string{uBoss, uMid}, nil, 1},
		// Modernized business units: the role assigned in "other" grants there, not at home.
		{uMid, Read, BusinessUnit, false, []string{uLeaf, uLeaf2, uMid, tOwner}, []string{buOther}, 1},
		// Team role only (team privileges only): team-owned rows, not the member's own.
		{uLeaf, Read, User, false, []string{tOwner, uLeaf2}, nil, 1},
		// Deep: the subtree of the user's business unit.
		{uLeaf2, Read, ParentChild, false, []string{uLeaf2}, []string{buEurope}, 0},
	}
	for _, c := range cases {
		a := session(t, Principal{UserID: c.user}).Access("account", c.priv)
		if a.Depth != c.depth || a.All != c.all || !slices.Equal(a.Owners, sortedUnique(c.owners)) || !slices.Equal(a.BusinessUnits, c.bus) || len(a.Shared) != c.shared {
			t.Errorf("%s %s: got depth %s all %v owners %v units %v shared %v", c.user, c.priv, a.Depth, a.All, a.Owners, a.BusinessUnits, a.Shared)
		}
	}
}

func TestTeamInheritanceDirectUser(t *testing.T) {
	m := testModel()
	m.Teams[0].Inheritance = DirectUserBasic
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Session(Principal{UserID: uLeaf})
	if a := s.Access("account", Read); !slices.Contains(a.Owners, uLeaf) {
		t.Errorf("direct-user inheritance: the member's own rows are not reachable: %v", a.Owners)
	}
}

func TestRowFilterShape(t *testing.T) {
	s := session(t, Principal{UserID: uMid})
	f, policies, err := s.RowFilter(TableInfo{Name: "account", PrimaryKey: "accountid"})
	if err != nil {
		t.Fatal(err)
	}
	got := filterString(f)
	want := "(ownerid in [" + strings.Join(sortedUnique([]string{uLeaf, uLeaf2, uMid, tOwner}), " ") + "] or owningbusinessunit in [" + buOther + "] or accountid in [0b000000-0000-4000-8000-000000000001])"
	if got != want {
		t.Errorf("filter\n got %s\nwant %s", got, want)
	}
	if len(policies) == 0 || !strings.Contains(strings.Join(policies, ","), "role:BU") {
		t.Errorf("policies %v do not name the role", policies)
	}
	// No Read privilege at all: an error naming it, not an empty result.
	if _, _, err := s.RowFilter(TableInfo{Name: "contact", PrimaryKey: "contactid"}); diag.CodeOf(err) != diag.MissingPrivilege || !strings.Contains(err.Error(), "prvReadContact") {
		t.Errorf("no privilege: got %v", err)
	}
}

func TestCompanyAndXDS(t *testing.T) {
	// Default company only; two policies AND together; the role-bound one applies (boss holds "User").
	s := session(t, Principal{UserID: uBoss})
	f, policies, err := s.RowFilter(TableInfo{Name: "custtrans", PrimaryKey: "recid"})
	if err != nil {
		t.Fatal(err)
	}
	got := filterString(f)
	want := "dataareaid in [usmf] and any custtable(accountnum=accountnum: custgroup eq [10] and dataareaid in [usmf] and dataareaid eq [valueof $constrained.dataareaid]) and any custtable(accountnum=accountnum: blocked eq [0] and dataareaid in [usmf] and dataareaid eq [valueof $constrained.dataareaid])"
	if got != want {
		t.Errorf("filter\n got %s\nwant %s", got, want)
	}
	if !slices.Contains(policies, "xds:Customer group") || !slices.Contains(policies, "xds:Blocked") {
		t.Errorf("policies %v", policies)
	}
	// Cross-company: every allowed company; a company not allowed is refused.
	s = session(t, Principal{UserID: uBoss, CrossCompany: true})
	if !slices.Equal(s.Companies(), []string{"demf", "usmf"}) {
		t.Errorf("cross-company companies %v", s.Companies())
	}
	c, _ := Compile(testModel())
	if _, err := c.Session(Principal{UserID: uBoss, CrossCompany: true, Companies: []string{"jpmf"}}); diag.CodeOf(err) != diag.CompanyDenied {
		t.Errorf("foreign company: got %v", err)
	}
	// A user without companies sees no company rows (nil filter: deny), and the
	// role-bound policy does not apply to a user without the role.
	s = session(t, Principal{UserID: uLeaf2})
	if f, _, err := s.RowFilter(TableInfo{Name: "custtrans", PrimaryKey: "recid"}); err != nil || f != nil {
		t.Errorf("no company: got %v, %v; want deny", filterString(f), err)
	}
}

func TestPortalAndColumns(t *testing.T) {
	c, err := Compile(testModel())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Session(Principal{PortalContactID: "c0000000-0000-4000-8000-000000000001"}); diag.CodeOf(err) != diag.PrincipalRefused {
		t.Errorf("portal contact mapped to an administrator: %v", err)
	}
	if _, err := c.Session(Principal{PortalContactID: "c0000000-0000-4000-8000-000000000009"}); diag.CodeOf(err) != diag.PrincipalRefused {
		t.Errorf("unmapped contact: %v", err)
	}
	anon, err := c.Session(Principal{Anonymous: true})
	if err != nil || anon.UserID() != uLeaf {
		t.Errorf("anonymous: %v %v", anon, err)
	}
	// Column security: the Finance profile reaches uLeaf through the owner team.
	if h := anon.HiddenColumns("account"); len(h) != 0 {
		t.Errorf("profile member: hidden %v", h)
	}
	if h := session(t, Principal{UserID: uMid}).HiddenColumns("account"); !slices.Equal(h, []string{"revenue"}) {
		t.Errorf("no profile: hidden %v", h)
	}
	if h := session(t, Principal{UserID: uPortal}).HiddenColumns("account"); len(h) != 0 {
		t.Errorf("administrator: hidden %v", h)
	}
}

func TestModelValidation(t *testing.T) {
	for name, mut := range map[string]func(m *Model){
		"unknown depth":     func(m *Model) { m.Roles[0].Privileges[0].Depth = "Galaxy" },
		"unknown privilege": func(m *Model) { m.Roles[0].Privileges[0].Privilege = "Fly" },
		"dangling role":     func(m *Model) { m.Users[0].Roles[0].RoleID = "d9" },
		"bu cycle":          func(m *Model) { m.BusinessUnits[0].ParentID = buEurope },
		"access team roles": func(m *Model) { m.Teams[1].Roles = []RoleAssignment{{RoleID: rUser}} },
		"unknown operator":  func(m *Model) { m.Policies[0].Ranges[0].Operator = "sounds-like" },
		"in without values": func(m *Model) { m.Policies[0].Ranges[0] = Range{Column: "custgroup", Operator: "in"} },
		"eq with two":       func(m *Model) { m.Policies[0].Ranges[0].Values = []string{"10", "20"} },
		"null with a value": func(m *Model) { m.Policies[0].Ranges[0].Operator = "null" },
		"share principal":   func(m *Model) { m.Shares[0].PrincipalID = "nobody" },
		"secured owner":     func(m *Model) { m.Tables[0].SecuredColumns = []string{"ownerid"} },
	} {
		m := testModel()
		mut(m)
		if _, err := Compile(m); diag.CodeOf(err) != diag.BadSecurityModel {
			t.Errorf("%s: got %v, want %s", name, err, diag.BadSecurityModel)
		}
	}
	if _, err := ParsePolicy("p.json", []byte(`{"users": [], "rolez": []}`)); diag.CodeOf(err) != diag.BadSecurityModel {
		t.Errorf("unknown field: %v", err)
	}
}

// filterString prints a row filter compactly for assertions.
func filterString(f *ast.Filter) string {
	if f == nil {
		return "<deny>"
	}
	var parts []string
	for _, it := range f.Items {
		switch x := it.(type) {
		case *ast.Condition:
			var vs []string
			for _, v := range x.Values {
				vs = append(vs, v.Text)
			}
			if x.ValueOf.IsSet() {
				vs = append(vs, "valueof "+x.ValueOf.Text)
			}
			parts = append(parts, x.Attribute.Text+" "+x.Operator.String()+" ["+strings.Join(vs, " ")+"]")
		case *ast.Filter:
			parts = append(parts, "("+filterString(x)+")")
		case *ast.LinkEntity:
			inner := ""
			if len(x.Filters) > 0 {
				inner = filterString(x.Filters[0])
			}
			parts = append(parts, x.LinkType.String()+" "+x.Name.Text+"("+x.From.Text+"="+x.To.Text+": "+inner+")")
		}
	}
	sep := " and "
	if f.Type == ast.Or {
		sep = " or "
	}
	return strings.Join(parts, sep)
}

// Position hierarchy ids: ceo ⊃ vp ⊃ manager ⊃ rep.
const (
	pCEO = "90000000-0000-4000-8000-000000000001"
	pVP  = "90000000-0000-4000-8000-000000000002"
	pMgr = "90000000-0000-4000-8000-000000000003"
	pRep = "90000000-0000-4000-8000-000000000004"
)

// positionModel is testModel with position hierarchy: leaf2 (Europe) is
// CEO, boss (root unit) VP, mid manager, leaf rep. The positions run
// against the business units, which manager hierarchy would respect.
func positionModel() *Model {
	m := testModel()
	m.Hierarchy.Model = PositionHierarchy
	m.Positions = []PositionDef{{ID: pCEO, Name: "CEO"}, {ID: pVP, Name: "VP", ParentID: pCEO}, {ID: pMgr, Name: "Manager", ParentID: pVP}, {ID: pRep, Name: "Rep", ParentID: pMgr}}
	for i, p := range map[string]string{uLeaf2: pCEO, uBoss: pVP, uMid: pMgr, uLeaf: pRep} {
		for j := range m.Users {
			if m.Users[j].ID == i {
				m.Users[j].PositionID = p
			}
		}
	}
	return m
}

func TestPositionHierarchy(t *testing.T) {
	c, err := Compile(positionModel())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user   string
		priv   Privilege
		owners []string
		shared int
	}{
		// Depth 2 below CEO: VP (in the root unit, above Europe: manager
		// hierarchy would not reach it) and manager, and their teams.
		{uLeaf2, Read, []string{uLeaf2, uBoss, uMid}, 1},
		// Write reaches the positions directly below only.
		{uLeaf2, Write, []string{uLeaf2, uBoss}, 0},
		// VP: manager and rep, the rep's owner team holding the privilege.
		{uBoss, Read, []string{uBoss, uMid, uLeaf, tOwner}, 1},
		// The rep has no position below: no hierarchy rows.
		{uLeaf, Read, []string{tOwner}, 1},
	}
	for _, tc := range cases {
		s, err := c.Session(Principal{UserID: tc.user})
		if err != nil {
			t.Fatal(err)
		}
		a := s.Access("account", tc.priv)
		if !slices.Equal(a.Owners, sortedUnique(tc.owners)) || len(a.Shared) != tc.shared {
			t.Errorf("%s %s: owners %v shared %v; want owners %v, %d shared", tc.user, tc.priv, a.Owners, a.Shared, sortedUnique(tc.owners), tc.shared)
		}
		if tc.user != uLeaf && !slices.ContainsFunc(a.Sources, func(s string) bool { return strings.HasPrefix(s, "position hierarchy:") }) {
			t.Errorf("%s: sources %v do not name the position hierarchy", tc.user, a.Sources)
		}
	}
	// A table excluded from hierarchy security gets none of it.
	m := positionModel()
	m.Tables[0].HierarchyExcluded = true
	c2, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c2.Session(Principal{UserID: uLeaf2})
	if a := s.Access("account", Read); slices.Contains(a.Owners, uBoss) {
		t.Errorf("excluded table: owners %v reach the VP", a.Owners)
	}
}

func TestPositionValidation(t *testing.T) {
	for name, mut := range map[string]func(m *Model){
		"position cycle":   func(m *Model) { m.Positions[0].ParentID = pRep },
		"unknown parent":   func(m *Model) { m.Positions[1].ParentID = "90000000-0000-4000-8000-0000000000ff" },
		"unknown position": func(m *Model) { m.Users[0].PositionID = "90000000-0000-4000-8000-0000000000ff" },
		"twice":            func(m *Model) { m.Positions = append(m.Positions, m.Positions[0]) },
		"unknown model":    func(m *Model) { m.Hierarchy.Model = "matrix" },
	} {
		m := positionModel()
		mut(m)
		if _, err := Compile(m); diag.CodeOf(err) != diag.BadSecurityModel {
			t.Errorf("%s: got %v, want %s", name, err, diag.BadSecurityModel)
		}
	}
}

// TestEntraGroupTeam: a group team's members are the principals that bring
// its Entra group; they get its roles and its rows.
func TestEntraGroupTeam(t *testing.T) {
	const group = "6a000000-0000-4000-8000-000000000001"
	m := testModel()
	m.Teams = append(m.Teams, TeamDef{ID: "e0000000-0000-4000-8000-000000000003", BusinessUnitID: buOther, Type: EntraSecurityGroupTeam,
		EntraObjectID: strings.ToUpper(group), Roles: []RoleAssignment{{RoleID: rBU}}})
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	without, _ := c.Session(Principal{UserID: uLeaf})
	with, err := c.Session(Principal{UserID: uLeaf, Groups: []string{group}})
	if err != nil {
		t.Fatal(err)
	}
	if a := without.Access("account", Read); slices.Contains(a.BusinessUnits, buOther) {
		t.Errorf("without the group: units %v", a.BusinessUnits)
	}
	a := with.Access("account", Read)
	if !slices.Contains(a.BusinessUnits, buOther) || !slices.Contains(a.Owners, "e0000000-0000-4000-8000-000000000003") {
		t.Errorf("with the group: units %v owners %v, want the group team's unit and rows", a.BusinessUnits, a.Owners)
	}
	if !slices.Contains(with.TeamIDs(), "e0000000-0000-4000-8000-000000000003") || slices.Contains(without.TeamIDs(), "e0000000-0000-4000-8000-000000000003") {
		t.Errorf("team ids: with %v, without %v", with.TeamIDs(), without.TeamIDs())
	}
	for name, mut := range map[string]func(m *Model){
		"group team without a group": func(m *Model) {
			m.Teams = append(m.Teams, TeamDef{ID: "e9", BusinessUnitID: buRoot, Type: EntraOfficeGroupTeam})
		},
		"owner team with a group": func(m *Model) { m.Teams[0].EntraObjectID = group },
		"unknown team type":       func(m *Model) { m.Teams[0].Type = 7 },
	} {
		m := testModel()
		mut(m)
		if _, err := Compile(m); diag.CodeOf(err) != diag.BadSecurityModel {
			t.Errorf("%s: got %v, want %s", name, err, diag.BadSecurityModel)
		}
	}
}

// TestFieldShares: a secured column shared on one record is readable
// there (ColumnShares) and, with update access, writable there only.
func TestFieldShares(t *testing.T) {
	const rec1, rec2 = "0a000000-0000-4000-8000-000000000001", "0a000000-0000-4000-8000-000000000002"
	m := testModel()
	m.FieldShares = []FieldShareDef{
		{Table: "Account", Column: "Revenue", ObjectID: strings.ToUpper(rec1), PrincipalID: uMid, Read: true, Update: true},
		{Table: "account", Column: "revenue", ObjectID: rec2, PrincipalID: tAccess, Read: true}, // through a team: uMid is a member
		{Table: "account", Column: "revenue", ObjectID: "0a000000-0000-4000-8000-000000000003", PrincipalID: uBoss, Read: true},
	}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	mid, _ := c.Session(Principal{UserID: uMid})
	if got := mid.ColumnShares("account"); len(got) != 1 || !slices.Equal(got["revenue"], []string{rec1, rec2}) {
		t.Errorf("shares of uMid: %v, want revenue on %s and %s", got, rec1, rec2)
	}
	// A profile member reads the column everywhere: no shares are needed.
	if got, _ := c.Session(Principal{UserID: uLeaf}); got.ColumnShares("account") != nil {
		t.Errorf("profile member: shares %v", got.ColumnShares("account"))
	}
	before := func(id string) *RowRef {
		return &RowRef{Table: "account", ID: id, OwnerID: uMid, OwningBusinessUnit: buSales}
	}
	if err := mid.CheckWrite(Change{Op: OpUpdate, Before: before(rec1), Columns: []string{"revenue"}}); err != nil {
		t.Errorf("update of a column shared for update: %v", err)
	}
	for _, id := range []string{rec2, "0a000000-0000-4000-8000-000000000009"} {
		if err := mid.CheckWrite(Change{Op: OpUpdate, Before: before(id), Columns: []string{"revenue"}}); diag.CodeOf(err) != diag.HiddenColumnWrite {
			t.Errorf("update of revenue on %s (read-only share or none): %v", id, err)
		}
	}
	for name, mut := range map[string]func(m *Model){
		"unsecured column":  func(m *Model) { m.FieldShares[0].Column = "name" },
		"unknown principal": func(m *Model) { m.FieldShares[0].PrincipalID = "nobody" },
	} {
		m := testModel()
		m.FieldShares = []FieldShareDef{{Table: "account", Column: "revenue", ObjectID: rec1, PrincipalID: uMid, Read: true}}
		mut(m)
		if _, err := Compile(m); diag.CodeOf(err) != diag.BadSecurityModel {
			t.Errorf("%s: got %v, want %s", name, err, diag.BadSecurityModel)
		}
	}
}

// TestEmptyContextFailsClosed: a caller whose context lists are empty (no
// company, no owner, no unit, no share) gets no rows, never a condition
// with an empty IN list (which the planner refuses as VE1007).
func TestEmptyContextFailsClosed(t *testing.T) {
	m := testModel()
	// custinvoice is constrained by a policy whose primary table is per
	// company, but is not itself company-scoped (no dataareaid).
	m.Tables = append(m.Tables, TableDef{Name: "custinvoice", Ownership: OrganizationOwned})
	m.Roles[0].Privileges = append(m.Roles[0].Privileges, PrivilegeDef{Table: "custinvoice", Privilege: "Read", Depth: "Organization"})
	m.Policies[1].Constrained = append(m.Policies[1].Constrained, Constraint{Table: "custinvoice", Column: "accountnum"})
	for i := range m.Users {
		if m.Users[i].ID == uLeaf2 {
			m.Users[i].Roles = append(m.Users[i].Roles, RoleAssignment{RoleID: rUser})
		}
	}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	noCompany := func(t *testing.T, p Principal) *Session {
		s, err := c.Session(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Companies()) != 0 {
			t.Fatalf("%v has companies %v", p, s.Companies())
		}
		return s
	}
	typed := func(cols ...string) func(string) bool {
		return func(c string) bool { return slices.Contains(cols, c) }
	}
	for _, p := range []Principal{{UserID: uLeaf2}, {UserID: uLeaf2, CrossCompany: true}} {
		s := noCompany(t, p)
		for _, ti := range []TableInfo{
			{Name: "custinvoice", PrimaryKey: "custinvoiceid", HasColumn: typed("custinvoiceid", "accountnum")},
			{Name: "custinvoice", PrimaryKey: "custinvoiceid"},
			{Name: "custtrans", PrimaryKey: "recid"},
		} {
			f, policies, err := s.RowFilter(ti)
			if err != nil || f != nil {
				t.Errorf("%+v, %s: got %s, %v; want no rows", p, ti.Name, filterString(f), err)
			}
			if !slices.Contains(policies, "company:none") {
				t.Errorf("%+v, %s: policies %v do not say why", p, ti.Name, policies)
			}
		}
	}
	// A caller with companies gets the policy query, company-bound.
	s, _ := c.Session(Principal{UserID: uBoss})
	f, _, err := s.RowFilter(TableInfo{Name: "custinvoice", PrimaryKey: "custinvoiceid", HasColumn: typed("custinvoiceid", "accountnum")})
	if got := filterString(f); err != nil || !strings.Contains(got, "any custtable(accountnum=accountnum: blocked eq [0] and dataareaid in [usmf])") {
		t.Errorf("with a company: %s, %v", got, err)
	}
	// Every IN list any session builds has values (row filters of every
	// user of the model, on every table it names).
	for _, u := range m.Users {
		s, err := c.Session(Principal{UserID: u.ID})
		if err != nil {
			continue
		}
		for _, td := range m.Tables {
			f, _, err := s.RowFilter(TableInfo{Name: td.Name, PrimaryKey: td.Name + "id"})
			if err != nil {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if c, ok := n.(*ast.Condition); ok && c.Operator == ast.OpIn && len(c.Values) == 0 {
					t.Errorf("%s on %s: empty IN on %s", u.ID, td.Name, c.Attribute.Text)
				}
				return true
			})
		}
	}
}
