package security

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

const (
	rWriter = "d0000000-0000-4000-8000-000000000010"
	uWriter = "a0000000-0000-4000-8000-000000000010"
	uNoRead = "a0000000-0000-4000-8000-000000000011"
)

// writeModel: uWriter (business unit sales) holds a role with every
// privilege on account at BusinessUnit depth, Create/Append at User
// depth, AppendTo on contact at User depth; Update of revenue through a
// profile is not given. uNoRead holds nothing.
func writeModel(t *testing.T) *Session {
	t.Helper()
	m := testModel()
	m.Roles = append(m.Roles, RoleDef{ID: rWriter, Name: "Writer", Privileges: []PrivilegeDef{
		{Table: "account", Privilege: "Read", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Write", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Delete", Depth: "User"},
		{Table: "account", Privilege: "Create", Depth: "User"},
		{Table: "account", Privilege: "Assign", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Share", Depth: "BusinessUnit"},
		{Table: "account", Privilege: "Append", Depth: "User"},
		{Table: "contact", Privilege: "AppendTo", Depth: "User"},
	}})
	m.Users = append(m.Users,
		UserDef{ID: uWriter, BusinessUnitID: buSales, Roles: []RoleAssignment{{RoleID: rWriter}}},
		UserDef{ID: uNoRead, BusinessUnitID: buSales})
	m.FieldProfiles = append(m.FieldProfiles, FieldProfile{ID: "f2", Name: "Revenue readers", Users: []string{uWriter},
		Columns: []ColumnPermission{{Table: "account", Column: "revenue", Read: true}}})
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(Principal{UserID: uWriter})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckWrite(t *testing.T) {
	s := writeModel(t)
	mine := &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000001", OwnerID: uWriter, OwningBusinessUnit: buSales}
	colleague := &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000002", OwnerID: uMid, OwningBusinessUnit: buSales}
	foreign := &RowRef{Table: "account", ID: "0a000000-0000-4000-8000-000000000003", OwnerID: uBoss, OwningBusinessUnit: buRoot}
	myContact := RowRef{Table: "contact", ID: "0c000000-0000-4000-8000-000000000001", OwnerID: uWriter, OwningBusinessUnit: buSales}
	otherContact := RowRef{Table: "contact", ID: "0c000000-0000-4000-8000-000000000002", OwnerID: uBoss, OwningBusinessUnit: buRoot}
	cases := []struct {
		name     string
		w        Change
		code     diag.Code
		mentions string
	}{
		{"create own", Change{Op: OpCreate, After: &RowRef{Table: "account"}}, "", ""},
		{"create for a colleague (User-level Create)", Change{Op: OpCreate, After: colleague}, diag.MissingPrivilege, "prvCreateAccount"},
		{"create without the privilege", Change{Op: OpCreate, After: &RowRef{Table: "contact"}}, diag.MissingPrivilege, "prvCreateContact"},
		{"create for an access team", Change{Op: OpCreate, After: &RowRef{Table: "account", OwnerID: tAccess}}, diag.SecurityDenied, "access team"},
		{"create for an id that is no principal", Change{Op: OpCreate, After: &RowRef{Table: "account", OwnerID: buSales}}, diag.PrincipalRefused, buSales},
		{"create in a unit the model does not have", Change{Op: OpCreate, After: &RowRef{Table: "account", OwningBusinessUnit: uMid}}, diag.SecurityDenied, "not a business unit"},
		{"assign into a unit the model does not have", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: uMid, OwningBusinessUnit: "b0000000-0000-4000-8000-0000000000ff"}}, diag.SecurityDenied, "not a business unit"},
		{"assign to an access team", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: tAccess}}, diag.SecurityDenied, "access team"},
		{"update in my business unit", Change{Op: OpUpdate, Before: colleague, Columns: []string{"name"}}, "", ""},
		{"update outside it", Change{Op: OpUpdate, Before: foreign}, diag.MissingPrivilege, "prvWriteAccount"},
		{"update a secured column without update permission", Change{Op: OpUpdate, Before: mine, Columns: []string{"name", "revenue"}}, diag.HiddenColumnWrite, "revenue"},
		{"delete my own", Change{Op: OpDelete, Before: mine}, "", ""},
		{"delete a colleague's (User-level Delete)", Change{Op: OpDelete, Before: colleague}, diag.MissingPrivilege, "prvDeleteAccount"},
		{"assign to a colleague who can read accounts", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: uMid}}, "", ""},
		{"assign to a user who cannot read accounts", Change{Op: OpAssign, Before: mine, After: &RowRef{Table: "account", OwnerID: uNoRead}}, diag.MissingPrivilege, "prvReadAccount"},
		{"update that moves the owner needs Assign on the row", Change{Op: OpUpdate, Before: foreign, After: &RowRef{Table: "account", OwnerID: uWriter}}, diag.MissingPrivilege, "prvWriteAccount"},
		{"share what I hold", Change{Op: OpShare, Before: colleague, Rights: RightRead | RightWrite, ShareWith: uMid}, "", ""},
		{"share a right I do not hold on the row", Change{Op: OpShare, Before: colleague, Rights: RightDelete, ShareWith: uMid}, diag.MissingPrivilege, "prvDeleteAccount"},
		{"set a lookup to my contact", Change{Op: OpUpdate, Before: mine, Lookups: []Lookup{{"primarycontactid", myContact}}}, "", ""},
		{"set a lookup to a contact I cannot append to", Change{Op: OpUpdate, Before: mine, Lookups: []Lookup{{"primarycontactid", otherContact}}}, diag.MissingPrivilege, "prvAppendToContact"},
		{"set a lookup on a row I may not append", Change{Op: OpUpdate, Before: colleague, Lookups: []Lookup{{"primarycontactid", myContact}}}, diag.MissingPrivilege, "prvAppendAccount"},
	}
	for _, c := range cases {
		err := s.CheckWrite(c.w)
		if diag.CodeOf(err) != c.code || c.mentions != "" && !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: got %v, want %q mentioning %q", c.name, err, c.code, c.mentions)
		}
	}
	// A share with the write bit lets the principal write the shared row.
	sMid := session(t, Principal{UserID: uMid})
	shared := RowRef{Table: "account", ID: "0b000000-0000-4000-8000-000000000001", OwnerID: uBoss, OwningBusinessUnit: buRoot}
	if err := sMid.CheckWrite(Change{Op: OpUpdate, Before: &shared}); err != nil {
		t.Errorf("write through a share: %v", err)
	}
}
