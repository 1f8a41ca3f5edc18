package security

import (
	"slices"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// TableInfo is what the row filter needs to know of a table instance's
// table: its name, primary key, and which columns it has (nil HasColumn:
// untyped, every column assumed present).
type TableInfo struct {
	Name       string
	PrimaryKey string
	HasColumn  func(string) bool
	// KeyEncodes, when set, reports whether a record id can be one of the
	// table's keys (an integer key exposed as GUIDs has a namespace): a
	// share naming another id reveals no row and is left out.
	KeyEncodes func(string) bool
}

func (t TableInfo) has(col string) bool { return t.HasColumn == nil || t.HasColumn(col) }

// typed reports a known column list (company scoping by column needs one).
func (t TableInfo) typed() bool { return t.HasColumn != nil }

// Dataverse's and F&O's column names the filters use.
const (
	ColOwner        = "ownerid"
	ColOwningBU     = "owningbusinessunit"
	ColCompany      = "dataareaid"
	maxInListValues = 2000 // well under every engine's bind-parameter limit
)

// RowFilter is the session's read filter for one table instance:
//
//	(ownerid IN owners OR owningbusinessunit IN units OR pk IN shared)  -- Dataverse grants: OR
//	AND dataareaid IN companies                                         -- F&O company scoping
//	AND EXISTS(policy query) AND …                                      -- XDS policies: AND
//
// Every list is a constant resolved from the model now, so the values
// reach the database as bind parameters. A nil filter with a nil error
// means no rows (the planner emits FALSE); an empty filter means every
// row. A table the principal holds no Read privilege on is
// MissingPrivilege, as Dataverse fails such a request. policies names what
// produced the filter.
//
// Results are cached per table shape: callers must not modify them (the
// planner copies the policy links it renames).
func (s *Session) RowFilter(t TableInfo) (*ast.Filter, []string, error) {
	key := filterKey{strings.ToLower(t.Name), strings.ToLower(t.PrimaryKey), t.has(ColOwner), t.has(ColOwningBU), t.typed() && t.has(ColCompany)}
	s.mu.Lock()
	r, ok := s.filters[key]
	s.mu.Unlock()
	if !ok {
		r.filter, r.policies, r.err = s.rowFilter(t)
		s.mu.Lock()
		s.filters[key] = r
		s.mu.Unlock()
	}
	return r.filter, r.policies, r.err
}

type filterKey struct {
	table, pk            string
	owner, unit, company bool
}

type filterResult struct {
	filter   *ast.Filter
	policies []string
	err      error
}

func (s *Session) rowFilter(t TableInfo) (*ast.Filter, []string, error) {
	name := strings.ToLower(t.Name)
	a := s.Access(name, Read)
	if a.Depth == None {
		return nil, nil, s.MissingPrivilege(name, Read, "no role grants it at any depth")
	}
	policies := slices.Clone(a.Sources)
	root := &ast.Filter{Type: ast.And}
	if !a.All {
		grants := &ast.Filter{Type: ast.Or}
		if len(a.Owners) > 0 && t.has(ColOwner) {
			grants.Items = append(grants.Items, in(ColOwner, a.Owners))
		}
		if len(a.BusinessUnits) > 0 && t.has(ColOwningBU) {
			grants.Items = append(grants.Items, in(ColOwningBU, a.BusinessUnits))
		}
		shared := a.Shared
		if t.KeyEncodes != nil {
			shared = slices.DeleteFunc(slices.Clone(shared), func(id string) bool { return !t.KeyEncodes(id) })
		}
		if len(shared) > 0 && t.PrimaryKey != "" {
			grants.Items = append(grants.Items, in(t.PrimaryKey, shared))
		}
		if len(grants.Items) == 0 {
			return nil, policies, nil // granted, but nothing reachable: no rows
		}
		for _, it := range grants.Items {
			if c := it.(*ast.Condition); len(c.Values) > maxInListValues {
				return nil, nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.SecurityDenied,
					"%s: the %s list for %s has %d values, more than %d bind parameters; use team ownership or business units rather than mass sharing",
					s.Who, c.Attribute.Text, name, len(c.Values), maxInListValues)}.Err()
			}
		}
		root.Items = append(root.Items, grants)
	}
	if s.c.table(name).Company || (t.typed() && t.has(ColCompany)) {
		if len(s.companies) == 0 {
			return nil, append(policies, "company:none"), nil
		}
		root.Items = append(root.Items, in(ColCompany, s.companies))
		policies = append(policies, "company:"+strings.Join(s.companies, ","))
	}
	for _, p := range s.c.model.Policies {
		if !s.policyApplies(p) {
			continue
		}
		for _, con := range p.Constrained {
			if con.Table != name {
				continue
			}
			policies = append(policies, "xds:"+p.Name)
			l := s.policyLink(p, con)
			if l == nil {
				// The policy query matches no primary row, so no
				// constrained row passes it.
				return nil, append(policies, "company:none"), nil
			}
			root.Items = append(root.Items, l)
		}
	}
	return root, policies, nil
}

// policyApplies: a policy with a role context applies to holders of one of
// its roles (by name or id); without one, to everybody.
func (s *Session) policyApplies(p XDSPolicy) bool {
	if len(p.Roles) == 0 {
		return true
	}
	for _, r := range s.roles {
		for _, want := range p.Roles {
			if strings.EqualFold(want, r.Name) || canonical(want) == r.ID {
				return true
			}
		}
	}
	return false
}

// Constrained stands, in a policy query's valueof, for the constrained
// table instance; the planner replaces it with that instance's alias.
const Constrained = "$constrained"

// XDSAlias prefixes the aliases of policy-query data sources, so plans and
// the verifier can tell them from the user's links.
const XDSAlias = "xds_"

// policyLink is EXISTS (primary row related to the constrained row and in
// the policy's ranges), company-correlated when the primary table is per
// company. It is nil when no primary row can match: the primary table is
// per company and the session sees none (an empty IN would be refused as
// a malformed query, not read as "no rows").
func (s *Session) policyLink(p XDSPolicy, con Constraint) *ast.LinkEntity {
	if s.c.table(p.PrimaryTable).Company && len(s.companies) == 0 {
		return nil
	}
	f := &ast.Filter{Type: ast.And}
	for _, r := range p.Ranges {
		op, _ := ast.OperatorByFetchName(r.Operator)
		c := &ast.Condition{Attribute: ast.Name{Text: r.Column}, Operator: op}
		for _, v := range r.Values {
			c.Values = append(c.Values, &ast.Value{Text: v})
		}
		f.Items = append(f.Items, c)
	}
	if s.c.table(p.PrimaryTable).Company {
		f.Items = append(f.Items, in(ColCompany, s.companies))
		if s.c.table(con.Table).Company {
			// The primary row must be in the constrained row's company, or a
			// cross-company query would match another company's customer.
			f.Items = append(f.Items, &ast.Condition{Attribute: ast.Name{Text: ColCompany}, Operator: ast.OpEq,
				ValueOf: ast.Name{Text: Constrained + "." + ColCompany}})
		}
	}
	l := &ast.LinkEntity{
		Name:     ast.Name{Text: p.PrimaryTable},
		From:     ast.Name{Text: p.PrimaryKey},
		To:       ast.Name{Text: con.Column},
		Alias:    ast.Name{Text: XDSAlias + aliasSafe(p.Name)},
		LinkType: ast.Any,
	}
	if len(f.Items) > 0 {
		l.Filters = []*ast.Filter{f}
	}
	return l
}

func aliasSafe(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// in is col IN values. The values come from the caller's context (owners,
// units, shares, companies): callers test for an empty list first and read
// it as "no rows", since an IN without values is not a false predicate but
// a malformed condition (VE1007).
func in(col string, values []string) *ast.Condition {
	c := &ast.Condition{Attribute: ast.Name{Text: col}, Operator: ast.OpIn, Values: make([]*ast.Value, len(values))}
	for i, v := range values {
		c.Values[i] = &ast.Value{Text: v}
	}
	return c
}

// ValidatePolicies checks the XDS ranges' operator names and value counts
// (run once, at load, so RowFilter never meets an unknown operator and no
// range becomes an IN without values).
func (c *Compiled) ValidatePolicies() error {
	for _, p := range c.model.Policies {
		for _, r := range p.Ranges {
			op, ok := ast.OperatorByFetchName(r.Operator)
			if !ok {
				return modelError("XDS policy %q: unknown operator %q", p.Name, r.Operator)
			}
			if want, ok := operandCount(op.Info().Shape, len(r.Values)); !ok {
				return modelError("XDS policy %q: range on %s: operator %s takes %s, not %d", p.Name, r.Column, r.Operator, want, len(r.Values))
			}
		}
	}
	return nil
}

// operandCount reports whether n values fit an operator's shape, and the
// count it takes.
func operandCount(s ast.Shape, n int) (string, bool) {
	switch s {
	case ast.NoOperand:
		return "no value", n == 0
	case ast.OneValue, ast.OneInt:
		return "one value", n == 1
	case ast.TwoValues:
		return "two values", n == 2
	}
	return "one or more values", n > 0
}
