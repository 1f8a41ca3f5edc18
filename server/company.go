package server

import (
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The Company lookup of finance and operations virtual entities (spec
// fetchxml.md §7.3): beside the Company Code mserp_dataareaid (the 4-char
// dataAreaId), a company-striped entity has mserp_dataareaid_id, a lookup
// to the native cdm_company table. The backend stores only the code, so
// the profile maps codes to the cdm_company ids of the Dataverse
// environment (Naming.Companies): the lookup is a second catalog column
// over the backend's dataAreaId, conditions on it are rewritten to the
// code before planning, its values leave as company ids, and writes
// setting it store the code. Sorting by it sorts by code, which is what
// Dataverse shows as the lookup's name.
const (
	companyCodeField   = "mserp_dataareaid"
	companyLookupField = "mserp_dataareaid_id"
	companyTable       = "cdm_company"
)

// companyColumn is the lookup column over a table's company code column.
func companyColumn(code *plan.Column) *plan.Column {
	return &plan.Column{LogicalName: companyLookupField, PhysicalName: code.PhysicalName, Type: plan.TLookup, Targets: []string{companyTable}}
}

// companyIDs indexes Naming.Companies both ways (codes lower-cased, ids
// canonical).
type companyIDs struct {
	byCode, byID map[string]string
}

func newCompanyIDs(m map[string]string) (*companyIDs, error) {
	if len(m) == 0 {
		return nil, nil
	}
	c := &companyIDs{byCode: map[string]string{}, byID: map[string]string{}}
	for code, id := range m {
		g, ok := plan.CanonicalGUID(id)
		if !ok {
			return nil, configError(diag.BadFlag, "company %q: %q is not a GUID", code, id)
		}
		c.byCode[strings.ToLower(code)], c.byID[g] = g, strings.ToLower(code)
	}
	return c, nil
}

// code is the company code of a cdm_company id; an unknown id maps to a
// value no code equals, so a condition on it matches nothing.
func (c *companyIDs) code(id string) string {
	if g, ok := plan.CanonicalGUID(id); ok {
		if code, ok := c.byID[g]; ok {
			return code
		}
	}
	return "\x00unknown company " + id
}

// rewriteQuery turns conditions on the Company lookup into conditions on
// the Company Code.
func (c *companyIDs) rewriteQuery(q *ast.Query) {
	ast.Inspect(q, func(n ast.Node) bool {
		cond, ok := n.(*ast.Condition)
		if !ok || !strings.EqualFold(cond.Attribute.Text, companyLookupField) || cond.ValueOf.IsSet() {
			return true
		}
		cond.Attribute.Text = companyCodeField
		for _, v := range cond.Values {
			v.Text, v.Kind = c.code(v.Text), ast.KindString
		}
		return true
	})
}

// rewriteRows replaces the codes read through the lookup column by company
// ids (null for a code the map does not know).
func (c *companyIDs) rewriteRows(cols []*plan.OutputColumn, rows []engine.Row) {
	for i, oc := range cols {
		if oc.Column == nil || oc.Aggregate != ast.NoAggregate || !strings.EqualFold(oc.Column.LogicalName, companyLookupField) || !strings.EqualFold(oc.Column.Targets[0], companyTable) {
			continue
		}
		for _, r := range rows {
			if i < len(r) && r[i].Value != nil {
				code, _ := r[i].Value.(string)
				if id, ok := c.byCode[strings.ToLower(code)]; ok {
					r[i].Value = id
				} else {
					r[i].Value = nil
				}
			}
		}
	}
}

// rewriteWrite stores a Company lookup set by a write as the code; values
// are keyed by logical name (canonicalAttributes), the lookup decoded as
// every written value is.
func (c *companyIDs) rewriteWrite(t *plan.Table, values map[string]any) error {
	lookup, ok := t.Column(companyLookupField)
	if !ok {
		return nil
	}
	v, ok := values[lookup.LogicalName]
	if !ok {
		return nil
	}
	codeCol, has := t.Column(companyCodeField)
	if !has {
		return nil
	}
	a, err := engine.DecodeValue(lookup, v)
	if err != nil {
		return err
	}
	delete(values, lookup.LogicalName)
	code := ""
	if a.Value != nil {
		g, _ := a.Value.V.(string)
		var known bool
		if code, known = c.byID[g]; !known {
			return diagErr(diag.BadLiteral, "%s: no company with id %q", companyLookupField, g)
		}
	}
	if cur, set := values[codeCol.LogicalName]; set {
		if s, _ := cur.(string); !strings.EqualFold(s, code) || (cur == nil) != (a.Value == nil) {
			return diagErr(diag.ConflictingOptions, "%s and %s name different companies", companyCodeField, companyLookupField)
		}
	}
	if a.Value == nil {
		values[codeCol.LogicalName] = nil
	} else {
		values[codeCol.LogicalName] = code
	}
	return nil
}
