package vecompile_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	vecompile "github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// TestSecurityFailsClosed: every misconfiguration of a secured compiler is
// an error or no rows, never the unsecured rows (README.md, Security,
// "Red-team checks").
func TestSecurityFailsClosed(t *testing.T) {
	ctx := context.Background()
	const (
		priya    = "aa000000-0000-4000-8000-000000000004"
		disabled = "aa000000-0000-4000-8000-00000000000a"
	)
	sample, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	m := *sample.Model()
	m.Users = append([]security.UserDef(nil), m.Users...)
	for i := range m.Users {
		if m.Users[i].ID == priya {
			m.Users[i].Roles = nil // her teams hold no roles either
		}
	}
	withNoRoles, err := security.Compile(&m)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"roles": [{"id": "x", "privileges": [{"table": "account", "privilege": "Read", "depth": "Everything"}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts := `<fetch><entity name="account"><attribute name="accountid"/></entity></fetch>`
	cases := []struct {
		name  string
		sec   vecompile.SecurityConfig
		query string
		code  diag.Code // at Open, Plan or Exec
	}{
		{"unknown user", vecompile.SecurityConfig{Principal: security.Principal{UserID: "aa000000-0000-4000-8000-0000000000ff"}}, accounts, diag.PrincipalRefused},
		{"disabled user", vecompile.SecurityConfig{Principal: security.Principal{UserID: disabled}}, accounts, diag.PrincipalRefused},
		{"unmapped portal contact", vecompile.SecurityConfig{Principal: security.Principal{PortalContactID: "c0000000-0000-4000-8000-0000000000ff"}}, accounts, diag.PrincipalRefused},
		{"user without roles", vecompile.SecurityConfig{Principal: security.Principal{UserID: priya}, Model: withNoRoles}, accounts, diag.MissingPrivilege},
		{"table absent from the model", vecompile.SecurityConfig{Principal: security.Principal{UserID: priya}}, `<fetch><entity name="usersettings"><attribute name="systemuserid"/></entity></fetch>`, diag.MissingPrivilege},
		{"link to a table absent from the model", vecompile.SecurityConfig{Principal: security.Principal{UserID: priya}}, `<fetch><entity name="account"><attribute name="accountid"/><link-entity name="team" from="teamid" to="ownerid" link-type="outer"/></entity></fetch>`, diag.MissingPrivilege},
		{"malformed policy file", vecompile.SecurityConfig{Principal: security.Principal{UserID: priya}, PolicyFile: bad}, accounts, diag.BadSecurityModel},
		{"model without a principal", vecompile.SecurityConfig{Model: sample}, accounts, diag.PrincipalRefused},
		{"policy file without a principal", vecompile.SecurityConfig{PolicyFile: bad}, accounts, diag.PrincipalRefused},
	}
	for _, c := range cases {
		comp, err := vecompile.Open(ctx, vecompile.Config{Sample: true, Security: c.sec})
		if err == nil {
			var q *ast.Query
			q, err = comp.Parse("q.xml", []byte(c.query))
			if err == nil {
				var p *plan.Plan
				if p, err = comp.Plan(q); err == nil {
					var res *engine.Result
					if res, err = comp.Exec(ctx, p); err == nil {
						t.Errorf("%s: %d rows (security %v), want %s", c.name, len(res.Rows), p.Security, c.code)
					}
				}
			}
			comp.Close()
		}
		if diag.CodeOf(err) != c.code {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
}
