package engine_test

import (
	"context"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
)

// TestPartialSecurityTables: a database holding some of the model's tables
// (role without roleprivileges or systemuserroles, a lone
// principalobjectaccess) is a broken model, never "no model" (which would
// run the caller's queries unsecured).
func TestPartialSecurityTables(t *testing.T) {
	ctx := context.Background()
	for _, table := range []string{"role", "systemuserroles", "principalobjectaccess", "vecompile_xdspolicy"} {
		db, _, err := engine.OpenSample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE "`+table+`" (x TEXT)`); err != nil {
			t.Fatal(err)
		}
		c, ok, err := engine.LoadSecurity(ctx, db, "")
		if c != nil || diag.CodeOf(err) != diag.BadSecurityModel {
			t.Errorf("only %s present: got model %v, present %v, error %v; want %s", table, c != nil, ok, err, diag.BadSecurityModel)
		}
		db.Close()
	}
	// The sample's directory tables alone (systemuser, businessunit, team,
	// teammembership) are no model: security off, as documented.
	db, _, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, ok, err := engine.LoadSecurity(ctx, db, ""); c != nil || ok || err != nil {
		t.Errorf("directory tables only: got model %v, present %v, error %v; want no model", c != nil, ok, err)
	}
}
