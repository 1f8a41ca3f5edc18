package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/security"
)

// normalized is a model's JSON with every list sorted, for comparing
// models that went through the tables (row order is not model order).
func normalized(t *testing.T, m *security.Model) string {
	t.Helper()
	c := *m
	slices.SortFunc(c.BusinessUnits, func(a, b security.BusinessUnitDef) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(c.Users, func(a, b security.UserDef) int { return strings.Compare(a.ID, b.ID) })
	for i := range c.Users {
		slices.SortFunc(c.Users[i].Roles, func(a, b security.RoleAssignment) int {
			return strings.Compare(a.RoleID+a.BusinessUnitID, b.RoleID+b.BusinessUnitID)
		})
	}
	slices.SortFunc(c.Teams, func(a, b security.TeamDef) int { return strings.Compare(a.ID, b.ID) })
	for i := range c.Teams {
		slices.Sort(c.Teams[i].Members)
	}
	slices.SortFunc(c.Roles, func(a, b security.RoleDef) int { return strings.Compare(a.ID, b.ID) })
	for i := range c.Roles {
		slices.SortFunc(c.Roles[i].Privileges, func(a, b security.PrivilegeDef) int {
			return strings.Compare(a.Table+a.Privilege+a.Depth, b.Table+b.Privilege+b.Depth)
		})
	}
	slices.SortFunc(c.Shares, func(a, b security.ShareDef) int {
		return strings.Compare(a.ObjectID+a.PrincipalID, b.ObjectID+b.PrincipalID)
	})
	slices.SortFunc(c.Tables, func(a, b security.TableDef) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(c.Positions, func(a, b security.PositionDef) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(c.FieldShares, func(a, b security.FieldShareDef) int {
		return strings.Compare(a.Table+a.Column+a.ObjectID+a.PrincipalID, b.Table+b.Column+b.ObjectID+b.PrincipalID)
	})
	slices.SortFunc(c.Portal.Contacts, func(a, b security.PortalMapping) int { return strings.Compare(a.ContactID, b.ContactID) })
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSecurityTablesRoundTrip: the sample's policy file stored in the
// security tables and read back is the same model, on every engine.
func TestSecurityTablesRoundTrip(t *testing.T) {
	ctx := context.Background()
	sample, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	want := normalized(t, sample.Model())
	for name, dsn := range testkit.Engines(t) {
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		prefix := fmt.Sprintf("st%d_%d_", os.Getpid(), time.Now().UnixNano()%100000)
		if _, err := engine.LoadFixture(ctx, db, prefix); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer engine.DropFixture(ctx, db, prefix)
		defer engine.DropSecurity(ctx, db, prefix)
		if _, ok, err := engine.LoadSecurity(ctx, db, prefix); ok || err != nil {
			t.Fatalf("%s: a database without security tables has a model: %v %v", name, ok, err)
		}
		if err := engine.InitSecurity(ctx, db, prefix, sample.Model()); err != nil {
			t.Fatalf("%s: init: %v", name, err)
		}
		// Twice is harmless: tables exist, rows are skipped.
		if err := engine.InitSecurity(ctx, db, prefix, sample.Model()); err != nil {
			t.Fatalf("%s: second init: %v", name, err)
		}
		c, ok, err := engine.LoadSecurity(ctx, db, prefix)
		if err != nil || !ok {
			t.Fatalf("%s: load: %v %v", name, ok, err)
		}
		if got := normalized(t, c.Model()); got != want {
			t.Errorf("%s: the model read from the tables differs from the policy file:\n%s\nwant\n%s", name, got, want)
		}
	}
}

// TestSecurityPositionsRoundTrip: a model with position hierarchy, an
// Entra group team and a field share stored in fresh security tables (systemuser gets
// positionid, team azureactivedirectoryobjectid) reads back the same, on
// every engine; an existing systemuser without positionid reads
// users without positions and refuses to store new users' positions.
func TestSecurityPositionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	const (
		bu   = "b1000000-0000-4000-8000-000000000001"
		top  = "91000000-0000-4000-8000-000000000001"
		sub  = "91000000-0000-4000-8000-000000000002"
		boss = "a1000000-0000-4000-8000-000000000001"
		rep  = "a1000000-0000-4000-8000-000000000002"
		role = "d1000000-0000-4000-8000-000000000001"
	)
	m := &security.Model{
		BusinessUnits: []security.BusinessUnitDef{{ID: bu, Name: "Root"}},
		Roles:         []security.RoleDef{{ID: role, Name: "Reader", Privileges: []security.PrivilegeDef{{Table: "account", Privilege: "Read", Depth: "User"}}}},
		Users: []security.UserDef{
			{ID: boss, Name: "Boss", BusinessUnitID: bu, PositionID: top, Roles: []security.RoleAssignment{{RoleID: role}}},
			{ID: rep, Name: "Rep", BusinessUnitID: bu, PositionID: sub},
		},
		Positions:   []security.PositionDef{{ID: top, Name: "Top"}, {ID: sub, Name: "Sub", ParentID: top}},
		Tables:      []security.TableDef{{Name: "account", SecuredColumns: []string{"revenue"}}},
		FieldShares: []security.FieldShareDef{{Table: "account", Column: "revenue", ObjectID: "acc00000-0000-4000-8000-000000000001", PrincipalID: rep, Read: true, Update: true}},
		Teams: []security.TeamDef{{ID: "e1000000-0000-4000-8000-000000000001", Name: "Readers (Entra)", BusinessUnitID: bu,
			Type: security.EntraSecurityGroupTeam, EntraObjectID: "6a000000-0000-4000-8000-000000000001", Roles: []security.RoleAssignment{{RoleID: role}}}},
		Hierarchy: security.HierarchySettings{Enabled: true, Depth: 2, Model: security.PositionHierarchy},
	}
	want := normalized(t, m)
	for name, dsn := range testkit.Engines(t) {
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		prefix := fmt.Sprintf("sp%d_%d_", os.Getpid(), time.Now().UnixNano()%100000)
		drop := func() {
			engine.DropSecurity(ctx, db, prefix)
			for _, d := range []string{"systemuser", "businessunit", "position", "team", "teammembership"} {
				db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+prefix+d)
			}
		}
		defer drop()
		if err := engine.InitSecurity(ctx, db, prefix, m); err != nil {
			t.Fatalf("%s: init: %v", name, err)
		}
		c, ok, err := engine.LoadSecurity(ctx, db, prefix)
		if err != nil || !ok {
			t.Fatalf("%s: load: %v %v", name, ok, err)
		}
		if got := normalized(t, c.Model()); got != want {
			t.Errorf("%s: the model read from the tables differs:\n%s\nwant\n%s", name, got, want)
		}
		s, err := c.Session(security.Principal{UserID: boss})
		if err != nil {
			t.Fatal(err)
		}
		if a := s.Access("account", security.Read); !slices.Contains(a.Owners, rep) {
			t.Errorf("%s: the boss does not reach the rep's rows through the stored positions: %v", name, a.Owners)
		}
		// A Dataverse-shaped systemuser without positionid.
		drop()
		if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE "+prefix+"systemuser (systemuserid CHAR(36) NOT NULL PRIMARY KEY, fullname VARCHAR(200), businessunitid CHAR(36), parentsystemuserid CHAR(36), isdisabled BOOLEAN)"); err != nil {
			t.Fatal(err)
		}
		if err := engine.InitSecurity(ctx, db, prefix, m); err == nil || !strings.Contains(err.Error(), "positionid") {
			t.Errorf("%s: storing positions in a systemuser without positionid: %v, want an error naming the column", name, err)
		}
		noPos := *m
		noPos.Users = []security.UserDef{{ID: boss, Name: "Boss", BusinessUnitID: bu, Roles: []security.RoleAssignment{{RoleID: role}}}}
		noPos.FieldShares = nil
		if err := engine.InitSecurity(ctx, db, prefix, &noPos); err != nil {
			t.Fatalf("%s: init without positions: %v", name, err)
		}
		c, ok, err = engine.LoadSecurity(ctx, db, prefix)
		if err != nil || !ok {
			t.Fatalf("%s: load without positionid: %v %v", name, ok, err)
		}
		if u := c.Model().Users; len(u) != 1 || u[0].PositionID != "" {
			t.Errorf("%s: users read without positionid: %+v", name, u)
		}
	}
}
