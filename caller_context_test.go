package vecompile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// TestCallerWithoutUserTables: on a copy of the data without user tables
// (upper-case GUIDs, as exported), --user alone makes eq-userid work; the
// operators that need teams, reports or the unit are refused at their
// position naming the flags, until the flags give them; with systemuser
// but no teammembership, the unit and reports come from the table.
func TestCallerWithoutUserTables(t *testing.T) {
	ctx := context.Background()
	rep := engine.SampleRepID // Sam Taylor: owns four accounts, member of Contoso Sales
	const (
		eqUser  = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/></filter></entity></fetch>`
		neUser  = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="ne-userid"/></filter></entity></fetch>`
		teams   = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserteams"/></filter></entity></fetch>`
		hier    = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserhierarchy"/></filter></entity></fetch>`
		buQuery = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="owningbusinessunit" operator="eq-businessid"/></filter></entity></fetch>`
	)
	open := func(t *testing.T, drop []string, caller *plan.Caller) *vecompile.Compiler {
		path := filepath.Join(t.TempDir(), "crm.db")
		db, err := engine.Open(ctx, "sqlite:"+path+"?create=true")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.LoadFixtureForm(ctx, db, "", engine.FixtureForm{Guid: plan.GuidUpper, GuidType: "TEXT", NoForeignKeys: true}); err != nil {
			t.Fatal(err)
		}
		for _, tbl := range drop {
			if _, err := db.SQL.ExecContext(ctx, "DROP TABLE "+tbl); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		c, err := vecompile.Open(ctx, vecompile.Config{DSN: "sqlite:" + path, MetadataFile: "engine/sampledata/metadata.json", UserID: rep, Caller: caller})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	rows := func(t *testing.T, c *vecompile.Compiler, q string) (int, error) {
		t.Helper()
		parsed, err := c.Parse("q.xml", []byte(q))
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Plan(parsed)
		if err != nil {
			return 0, err
		}
		res, err := c.Exec(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Rows), nil
	}
	refused := func(t *testing.T, c *vecompile.Compiler, q, flag string) {
		t.Helper()
		_, err := rows(t, c, q)
		if diag.CodeOf(err) != diag.MissingCaller || !strings.Contains(err.Error(), "q.xml:1:") || !strings.Contains(err.Error(), flag) {
			t.Errorf("want a positioned %s naming %s, got %v", diag.MissingCaller, flag, err)
		}
	}
	userTables := []string{"teammembership", "usersettings", "systemuser", "team"}

	t.Run("no user tables, --user alone", func(t *testing.T) {
		c := open(t, userTables, nil)
		if n, err := rows(t, c, eqUser); err != nil || n != 4 {
			t.Errorf("eq-userid: %d rows, %v; want 4", n, err)
		}
		if n, err := rows(t, c, neUser); err != nil || n != 36 {
			t.Errorf("ne-userid: %d rows, %v; want 36", n, err)
		}
		refused(t, c, teams, "--teams")
		refused(t, c, hier, "--reports")
		refused(t, c, buQuery, "--businessunit")
	})
	t.Run("no user tables, flags", func(t *testing.T) {
		c := open(t, userTables, &plan.Caller{TeamIDs: []string{"EE000000-0000-4000-8000-000000000003"}, Unknown: plan.CallerBusinessUnit | plan.CallerReports})
		if n, err := rows(t, c, teams); err != nil || n != 7 {
			t.Errorf("eq-useroruserteams with --teams: %d rows, %v; want 7", n, err)
		}
		refused(t, c, hier, "--reports")
	})
	t.Run("systemuser without teammembership", func(t *testing.T) {
		c := open(t, []string{"teammembership"}, nil)
		if n, err := rows(t, c, hier); err != nil || n != 4 {
			t.Errorf("eq-useroruserhierarchy from systemuser: %d rows, %v; want 4", n, err)
		}
		if n, err := rows(t, c, buQuery); err != nil || n == 0 {
			t.Errorf("eq-businessid from systemuser: %d rows, %v", n, err)
		}
		refused(t, c, teams, "--teams")
	})
}

// TestCallerIDsNotGUIDs: the library refuses a caller whose ids are not
// GUIDs, or caller parts without a user, with VE5004 naming the field:
// vecompile.Open (no database needed), plan.Build with Options.Caller, and
// the untyped :caller parameter (sql.BindParams). Before, each bound "" and
// the identity operators matched nothing, silently.
func TestCallerIDsNotGUIDs(t *testing.T) {
	ctx := context.Background()
	const (
		user = "aa000000-0000-4000-8000-000000000002"
		team = "cc000000-0000-4000-8000-000000000001"
	)
	refused := func(t *testing.T, what string, err error, path string) {
		t.Helper()
		if diag.CodeOf(err) != diag.BadFlag || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want %s naming %s", what, err, diag.BadFlag, path)
		}
	}
	for _, c := range []struct {
		name string
		cfg  vecompile.Config
		path string
	}{
		{"user not a GUID", vecompile.Config{UserID: "notaguid"}, "Caller.UserID"},
		{"business unit not a GUID", vecompile.Config{UserID: user, Caller: &plan.Caller{BusinessUnitID: "bu-1"}}, "Caller.BusinessUnitID"},
		{"a team not a GUID", vecompile.Config{UserID: user, Caller: &plan.Caller{TeamIDs: []string{team, "team-2"}}}, "Caller.TeamIDs[1]"},
		{"a report not a GUID", vecompile.Config{UserID: user, Caller: &plan.Caller{Reports: []string{""}}}, "Caller.Reports[0]"},
		{"parts without a user", vecompile.Config{Caller: &plan.Caller{TeamIDs: []string{team}}}, "Caller.UserID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			comp, err := vecompile.Open(ctx, c.cfg)
			if err == nil {
				comp.Close()
			}
			refused(t, "Open", err, c.path)
			caller := plan.Caller{UserID: c.cfg.UserID}
			if c.cfg.Caller != nil {
				caller = *c.cfg.Caller
				caller.UserID = c.cfg.UserID
			}
			q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserteams"/></filter></entity></fetch>`)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = plan.Build(q, plan.Options{Caller: &caller})
			refused(t, "plan.Build", err, c.path)
		})
	}
	// Any GUID form is accepted (braces, upper case, no hyphens).
	comp, err := vecompile.Open(ctx, vecompile.Config{UserID: "{AA000000-0000-4000-8000-000000000002}", Caller: &plan.Caller{TeamIDs: []string{"CC000000000040008000000000000001"}}})
	if err != nil {
		t.Fatal(err)
	}
	comp.Close()
	// The untyped :caller parameter: a GUID in any form is bound canonical,
	// anything else is refused.
	params := []any{plan.Param{Name: plan.CallerParam}}
	for _, v := range []any{"notaguid", "", 42} {
		_, err := sqlemit.BindParams(params, map[string]any{plan.CallerParam: v})
		refused(t, fmt.Sprintf("BindParams(%#v)", v), err, ":caller")
	}
	got, err := sqlemit.BindParams(params, map[string]any{plan.CallerParam: "{AA000000-0000-4000-8000-000000000002}"})
	if err != nil || got[0] != user {
		t.Errorf("BindParams of a braced upper-case GUID: %v, %v; want %s", got, err, user)
	}
}
