package security

import (
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

// TestRedTeamWrites: writes that would put rows where the caller's
// privileges do not reach, or hand out rights nobody holds (README.md, Security,
// "Red-team checks").
func TestRedTeamWrites(t *testing.T) {
	m := testModel()
	const tNoRole = "e0000000-0000-4000-8000-000000000009"
	m.Teams = append(m.Teams, TeamDef{ID: tNoRole, BusinessUnitID: buSales})
	m.Roles = append(m.Roles, RoleDef{ID: rWriter, Name: "Writer", Privileges: []PrivilegeDef{
		{Table: "account", Privilege: "Read", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Write", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Create", Depth: "User"},
		{Table: "account", Privilege: "Assign", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Share", Depth: "BusinessUnit"},
	}})
	m.Users = append(m.Users, UserDef{ID: uWriter, BusinessUnitID: buSales, Roles: []RoleAssignment{{RoleID: rWriter}}})
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(Principal{UserID: uWriter})
	if err != nil {
		t.Fatal(err)
	}
	mine := &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000001", OwnerID: uWriter, OwningBusinessUnit: buSales}
	cases := []struct {
		name     string
		w        Change
		code     diag.Code
		mentions string
	}{
		{"assign to an owner team holding Read", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: tOwner}}, "", ""},
		{"assign to an access team (access teams own nothing)", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: tAccess}}, diag.SecurityDenied, "access team"},
		{"assign to an owner team without Read", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: tNoRole}}, diag.MissingPrivilege, "prvReadAccount"},
		{"assign to a disabled or unknown user", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: "a0000000-0000-4000-8000-0000000000ff"}}, diag.PrincipalRefused, ""},
		{"create my own row in my unit", Change{Op: OpCreate, After: &RowRef{Table: "account", OwnerID: uWriter, OwningBusinessUnit: buSales}}, "", ""},
		{"create my own row in a unit Create does not reach", Change{Op: OpCreate, After: &RowRef{Table: "account", OwnerID: uWriter, OwningBusinessUnit: buOther}}, diag.MissingPrivilege, "prvCreateAccount"},
		{"share unknown rights bits", Change{Op: OpShare, Before: mine, Rights: RightRead | 1<<30, ShareWith: uMid}, diag.SecurityDenied, "rights"},
		{"update that changes the table", Change{Op: OpUpdate, Before: mine, After: &RowRef{Table: "contact", OwnerID: uWriter}}, diag.SecurityDenied, "table"},
		{"assign that changes the table", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "contact", OwnerID: uMid}}, diag.SecurityDenied, "table"},
		// Dataverse lets the Assign privilege move a row out of the caller's
		// reach; the new owner only needs Read on the table.
		{"update moving a row to another unit's user", Change{Op: OpUpdate, Before: mine, After: &RowRef{Table: "account", OwnerID: uBoss}}, "", ""},
	}
	for _, c := range cases {
		err := s.CheckWrite(c.w)
		if diag.CodeOf(err) != c.code || c.mentions != "" && !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: got %v, want %q mentioning %q", c.name, err, c.code, c.mentions)
		}
	}
}

// TestRedTeamPolicyRoleContext: an XDS policy whose role context names no
// role would apply to nobody (the policy silently off); it is a model error.
func TestRedTeamPolicyRoleContext(t *testing.T) {
	m := testModel()
	m.Policies[0].Roles = []string{"Usre"} // misspelt "User"
	if _, err := Compile(m); diag.CodeOf(err) != diag.BadSecurityModel || !strings.Contains(err.Error(), "Usre") {
		t.Errorf("misspelt role context: got %v, want %s naming it", err, diag.BadSecurityModel)
	}
	m = testModel()
	m.Policies[0].Roles = []string{"user", rBU} // by name, any case, or by id
	if _, err := Compile(m); err != nil {
		t.Errorf("role context by name and id: %v", err)
	}
}

// TestRedTeamWriteErrorsRevealNothing: a refused write on a row the caller
// cannot read names the privilege and the row's key (the caller's own
// input), never the row's owner or business unit.
func TestRedTeamWriteErrorsRevealNothing(t *testing.T) {
	s := writeModel(t)
	foreign := &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000003", OwnerID: uBoss, OwningBusinessUnit: buRoot}
	for _, w := range []Change{
		{Op: OpUpdate, Before: foreign},
		{Op: OpDelete, Before: foreign},
		{Op: OpShare, Before: foreign, Rights: RightRead, ShareWith: uMid},
		{Op: OpUpdate, Before: &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000001", OwnerID: uWriter, OwningBusinessUnit: buSales},
			Lookups: []Lookup{{"primarycontactid", RowRef{Table: "contact", ID: "0c000000-0000-4000-8000-000000000002", OwnerID: uBoss, OwningBusinessUnit: buRoot}}}},
	} {
		err := s.CheckWrite(w)
		if diag.CodeOf(err) != diag.MissingPrivilege {
			t.Errorf("%s: got %v, want %s", w.Op, err, diag.MissingPrivilege)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, uBoss) || strings.Contains(msg, buRoot) {
			t.Errorf("%s: the error reveals the unreadable row's owner or unit: %s", w.Op, msg)
		}
	}
}

// TestRedTeamHierarchyBusinessUnit: manager hierarchy reaches a report only
// when the manager is in the report's business unit or a parent of it
// (spec §1a, hierarchy security); a manager in a sibling unit gets nothing
// through the hierarchy.
func TestRedTeamHierarchyBusinessUnit(t *testing.T) {
	const (
		uMgr   = "a0000000-0000-4000-8000-000000000020"
		uRep   = "a0000000-0000-4000-8000-000000000021"
		uRep2  = "a0000000-0000-4000-8000-000000000022"
		uChief = "a0000000-0000-4000-8000-000000000023"
	)
	m := testModel()
	m.Users = append(m.Users,
		UserDef{ID: uChief, BusinessUnitID: buRoot, Roles: []RoleAssignment{{RoleID: rUser}}},
		UserDef{ID: uMgr, BusinessUnitID: buOther, ManagerID: uChief, Roles: []RoleAssignment{{RoleID: rUser}}},
		UserDef{ID: uRep, BusinessUnitID: buSales, ManagerID: uMgr},  // sibling unit of the manager's
		UserDef{ID: uRep2, BusinessUnitID: buOther, ManagerID: uMgr}, // the manager's own unit
	)
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		manager      string
		reaches, not []string
	}{
		{uMgr, []string{uRep2}, []string{uRep}},
		{uChief, []string{uMgr, uRep, uRep2}, nil}, // the root unit is a parent of every unit
	} {
		s, err := c.Session(Principal{UserID: tc.manager})
		if err != nil {
			t.Fatal(err)
		}
		for _, priv := range []Privilege{Read, Write} {
			owners := s.Access("account", priv).Owners
			for _, r := range tc.reaches {
				if priv == Read || r != uRep && r != uRep2 || tc.manager == uMgr {
					if !slices.Contains(owners, r) {
						t.Errorf("%s %s: owners %v lack report %s", tc.manager, priv, owners, r)
					}
				}
			}
			for _, r := range tc.not {
				if slices.Contains(owners, r) {
					t.Errorf("%s %s: owners %v include %s, a report in a unit outside the manager's", tc.manager, priv, owners, r)
				}
			}
		}
	}
}
