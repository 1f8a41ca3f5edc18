package vecompile_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
)

// TestODataNotPartitions checks the lowering of not against OData's
// two-valued logic on the sample data: for every predicate P, the rows of
// P and the rows of "not (P)" are disjoint and together are every row.
// A complement that forgot the rows whose column is null (SQL's third
// value) fails it, as does a path or lambda negated on the wrong side.
func TestODataNotPartitions(t *testing.T) {
	ctx := context.Background()
	c, err := vecompile.Open(ctx, vecompile.Config{Sample: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type set = map[string]bool
	keys := func(entity, key, filter string) (set, error) {
		req := entity + "?$select=" + key
		if filter != "" {
			req += "&$filter=" + filter
		}
		res, err := execOData(ctx, c, req)
		if err != nil {
			return nil, err
		}
		out := set{}
		for _, row := range res.Rows {
			v, _ := row.Get(key)
			out[fmt.Sprint(v)] = true
		}
		return out, nil
	}
	cases := []struct{ entity, key, pred string }{
		{"accounts", "accountid", "revenue gt 1000000"},
		{"accounts", "accountid", "revenue le 1000000 and address1_city ne 'Paris'"},
		{"accounts", "accountid", "address1_city eq 'Seattle' or revenue lt 500000"},
		{"accounts", "accountid", "address1_city in ('Seattle','London','Paris')"},
		{"accounts", "accountid", "contains(name,'o') and not startswith(name,'C')"},
		{"accounts", "accountid", "address1_city eq null"},
		{"accounts", "accountid", "primarycontactid/firstname eq 'Yuki'"},
		{"accounts", "accountid", "primarycontactid/lastname ne 'Smith'"},
		{"accounts", "accountid", "primarycontactid/parentcustomerid_account/address1_city ne 'Seattle'"},
		{"accounts", "accountid", "contact_customer_accounts/any(x: x/emailaddress1 ne null)"},
		{"accounts", "accountid", "contact_customer_accounts/all(x: x/lastname eq 'Smith' or x/firstname gt 'M')"},
		{"accounts", "accountid", "contact_customer_accounts/any()"},
		{"accounts", "accountid", "Microsoft.Dynamics.CRM.In(PropertyName='address1_city',PropertyValues=['Seattle','Paris'])"},
		{"accounts", "accountid", "Microsoft.Dynamics.CRM.Between(PropertyName='revenue',PropertyValues=['100000','2000000'])"},
		{"contacts", "contactid", "parentcustomerid_account/revenue ge 1000000 or birthdate lt 1980-01-01"},
		{"contacts", "contactid", "emailaddress1 ne firstname"},
		{"opportunities", "opportunityid", "estimatedvalue gt 10000 and closeprobability le 50"},
	}
	for _, tc := range cases {
		all, err := keys(tc.entity, tc.key, "")
		if err != nil {
			t.Fatal(err)
		}
		yes, err := keys(tc.entity, tc.key, tc.pred)
		if err != nil {
			t.Errorf("%s: %v", tc.pred, err)
			continue
		}
		no, err := keys(tc.entity, tc.key, "not ("+tc.pred+")")
		if err != nil {
			t.Errorf("not (%s): %v", tc.pred, err)
			continue
		}
		for k := range yes {
			if no[k] {
				t.Errorf("%s: row %s matches P and not P", tc.pred, k)
			}
		}
		for k := range all {
			if !yes[k] && !no[k] {
				t.Errorf("%s: row %s matches neither P nor not P", tc.pred, k)
			}
		}
		if len(yes) == 0 || len(no) == 0 {
			t.Errorf("%s: %d rows match, %d do not: the case tests nothing", tc.pred, len(yes), len(no))
		}
	}
}

// execOData parses an OData request with c, plans it and runs it.
func execOData(ctx context.Context, c *vecompile.Compiler, request string) (*engine.Result, error) {
	q, err := c.ParseOData(request)
	if err != nil {
		return nil, err
	}
	p, err := c.Plan(q)
	if err != nil {
		return nil, err
	}
	return c.Exec(ctx, p)
}
