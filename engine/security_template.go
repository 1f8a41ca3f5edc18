package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// Fixed ids of the template's own records (the security tables' "5ec…"
// range), so that running the template twice gives the same file.
const (
	templateRoleID = "5ec00000-0000-4000-8000-00000000a001"
	templateUnitID = "5ec00000-0000-4000-8000-00000000b001"
)

// SecurityTemplate is a starting policy for the database's tables: its
// business units and users when it has Dataverse-shaped businessunit and
// systemuser tables (else one unit to rename), one role granting every
// user its own rows (User depth) of each table with an ownerid column and
// every row of the others (organization-owned), and a comment on each part
// saying what to change. The model compiles as it is; vecompile security
// init --policy FILE stores it.
func SecurityTemplate(ctx context.Context, db *DB) (*security.Model, error) {
	cat, err := Introspect(ctx, db)
	if err != nil {
		return nil, err
	}
	m := &security.Model{Comment: "A starting policy written by vecompile security template for this database's tables. " +
		"Edit it (roles and their depths: None, User, BusinessUnit, ParentChild, Organization; users' roles; teams; column security), " +
		"then store it with: vecompile security init --db DSN --policy FILE. Comments grant nothing."}
	directory := map[string]bool{}
	for _, t := range security.Tables {
		directory[t.Name] = true
	}
	role := security.RoleDef{ID: templateRoleID, Name: "Basic user",
		Comment: "Each user reads and changes the rows they own (User depth) of owned tables, and reads every row of organization-owned ones. Widen a depth to BusinessUnit, ParentChild or Organization to share more."}
	mc, _ := cat.(plan.MapCatalog)
	names := make([]string, 0, len(mc))
	for name := range mc {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := mc[name]
		if name == MetadataTable || directory[name] && !isUserFacing(name) {
			continue
		}
		_, owned := t.Column("ownerid")
		def := security.TableDef{Name: t.LogicalName}
		if owned {
			def.Comment = "user-owned (ownerid)"
			for _, p := range []string{"Read", "Write", "Create", "Delete", "Append", "AppendTo", "Assign", "Share"} {
				role.Privileges = append(role.Privileges, security.PrivilegeDef{Table: t.LogicalName, Privilege: p, Depth: "User"})
			}
		} else {
			def.Ownership = security.OrganizationOwned
			def.Comment = "organization-owned (no ownerid column): read is all or nothing"
			role.Privileges = append(role.Privileges, security.PrivilegeDef{Table: t.LogicalName, Privilege: "Read", Depth: "Organization"})
		}
		m.Tables = append(m.Tables, def)
	}
	m.Roles = []security.RoleDef{role}
	if err := templateDirectory(ctx, db, cat, m); err != nil {
		return nil, err
	}
	return m, nil
}

// isUserFacing: directory tables a policy grants reads on (users, units
// and teams are queried like other tables).
func isUserFacing(name string) bool {
	return name == "systemuser" || name == "businessunit" || name == "team"
}

// templateDirectory fills the units and users from the database's
// businessunit and systemuser tables, or one unit to rename.
func templateDirectory(ctx context.Context, db *DB, cat plan.Catalog, m *security.Model) error {
	read := func(table string, cols []string, fn func([]string)) (bool, error) {
		t, ok := cat.Table(table)
		if !ok {
			return false, nil
		}
		var sel []string
		for _, c := range cols {
			col, ok := t.Column(c)
			if !ok {
				return false, nil
			}
			sel = append(sel, db.quote(col.PhysicalName))
		}
		q := fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", strings.Join(sel, ", "), db.quote(t.PhysicalName))
		return true, queryRows(ctx, db, q, nil, len(cols), fn)
	}
	id := func(s string) string {
		g, _ := readGUID(s)
		return g
	}
	ok, err := read("businessunit", []string{"businessunitid", "name", "parentbusinessunitid"}, func(r []string) {
		m.BusinessUnits = append(m.BusinessUnits, security.BusinessUnitDef{ID: id(r[0]), Name: r[1], ParentID: id(r[2])})
	})
	if err != nil {
		return err
	}
	if !ok || len(m.BusinessUnits) == 0 {
		m.BusinessUnits = []security.BusinessUnitDef{{ID: templateUnitID, Name: "Organization"}}
		m.Comment += " The database has no businessunit table: one unit stands for the organization; give your users and units."
	}
	_, err = read("systemuser", []string{"systemuserid", "fullname", "businessunitid", "parentsystemuserid"}, func(r []string) {
		m.Users = append(m.Users, security.UserDef{ID: id(r[0]), Name: r[1], BusinessUnitID: id(r[2]), ManagerID: id(r[3]),
			Roles: []security.RoleAssignment{{RoleID: templateRoleID}}})
	})
	return err
}
