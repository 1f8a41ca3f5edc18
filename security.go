package vecompile

import (
	"context"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// SecurityConfig says who queries run as and where the security model
// comes from. With a zero Principal security is off (the system's view).
// With a principal, the model is Model, else PolicyFile, else the
// embedded sample's (Config.Sample), else the database's security tables;
// with no model, a user principal only sets the caller for identity
// operators (security off, which plans print), and a portal or anonymous
// principal is refused.
type SecurityConfig struct {
	Principal  security.Principal
	PolicyFile string
	Model      *security.Compiled
}

func (p SecurityConfig) hasPrincipal() bool {
	return p.Principal.UserID != "" || p.Principal.PortalContactID != "" || p.Principal.Anonymous
}

// openSecurity loads the model and resolves the principal. A portal or
// anonymous principal becomes the caller (its mapped user).
func (c *Compiler) openSecurity(ctx context.Context) error {
	cfg := c.cfg.Security
	if !cfg.hasPrincipal() {
		if cfg.Model != nil || cfg.PolicyFile != "" {
			// A model asked for security: running as nobody would be the
			// unsecured view, so say so rather than run it.
			return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.PrincipalRefused, "a security model is configured but no principal: set Principal (a user, portal contact or anonymous)")}.Err()
		}
		return nil
	}
	m := cfg.Model
	var err error
	switch {
	case m != nil:
	case cfg.PolicyFile != "":
		m, err = security.LoadPolicyFile(cfg.PolicyFile)
	case c.cfg.Sample && c.cfg.DSN == "":
		m, err = engine.SampleSecurity()
	case c.db != nil:
		m, _, err = engine.LoadSecurity(ctx, c.db, "")
	}
	if err != nil {
		return err
	}
	if m == nil {
		if cfg.Principal.UserID == "" {
			return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.PrincipalRefused, "portal and anonymous access need a security model (security tables or --policy)")}.Err()
		}
		return nil
	}
	if c.session, err = m.Session(cfg.Principal); err != nil {
		return err
	}
	if c.cfg.UserID == "" {
		c.cfg.UserID = c.session.UserID()
	}
	return nil
}

func (c *Compiler) securityProvider() plan.SecurityProvider {
	if c.session == nil {
		return nil
	}
	return plan.ModelSecurity{Session: c.session}
}

// Security is the session queries run under; nil when security is off.
func (c *Compiler) Security() *security.Session { return c.session }
