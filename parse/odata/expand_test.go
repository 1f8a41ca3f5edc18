package odata_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

func expansionSchema(t *testing.T) odata.Schema {
	t.Helper()
	_, cat, err := engine.OpenSample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return vecompile.ODataSchema(cat)
}

func parseExpansion(t *testing.T, s odata.Schema, req string) (*odata.Expansion, error) {
	t.Helper()
	return odata.ParseExpansion(diag.NewSource("q", []byte(req)), s, odata.Options{Flavor: odata.V4, NullInclusive: plan.NullInclusive})
}

// TestLowerExpansion: single-valued expands become uniquely aliased outer
// links that read the related key, collection-valued ones are described
// (not in the query) with their per-parent options, and their nested
// requests lower for the related table with the foreign key read.
func TestLowerExpansion(t *testing.T) {
	s := expansionSchema(t)
	x, err := parseExpansion(t, s, "contacts?$select=fullname&$expand=parentcustomerid_account($select=name;$expand=primarycontactid($select=fullname;$expand=parentcustomerid_account($select=name)),contact_customer_accounts($select=fullname;$filter=startswith(fullname,'A');$orderby=fullname%20desc;$top=2;$skip=1;$count=true))")
	if err != nil {
		t.Fatal(err)
	}
	links := x.Query.Entity.Links
	if len(links) != 1 || links[0].Alias.Text != "parentcustomerid_account" || links[0].LinkType != ast.Outer {
		t.Fatalf("links: %s", ast.Dump(x.Query))
	}
	inner := links[0].Links
	if len(inner) != 1 || inner[0].Alias.Text != "primarycontactid" || len(inner[0].Links) != 1 || inner[0].Links[0].Alias.Text != "parentcustomerid_account_2" {
		t.Fatalf("nested links are not uniquely aliased: %s", ast.Dump(x.Query))
	}
	// The related key is read, hidden, where $select did not name it.
	names := func(as []*ast.Attribute) (out []string) {
		for _, a := range as {
			out = append(out, a.Name.Text)
		}
		return out
	}
	if got := strings.Join(names(links[0].Attributes), ","); got != "name,accountid" {
		t.Errorf("account link attributes: %s", got)
	}
	root := x.Level
	if root.Prefix != "" || len(root.Single) != 1 || len(root.Many) != 0 {
		t.Fatalf("root level: %+v", root)
	}
	acc := root.Single[0]
	if acc.Property != "parentcustomerid_account" || acc.Level.Prefix != "parentcustomerid_account." || acc.Level.Key != "accountid" || strings.Join(acc.Level.Hidden, ",") != "accountid" {
		t.Errorf("account level: %+v", acc.Level)
	}
	if p := acc.Level.Single[0].Level.Single[0].Level.Prefix; p != "parentcustomerid_account_2." {
		t.Errorf("third level prefix %q", p)
	}
	if len(acc.Level.Many) != 1 {
		t.Fatalf("collection under the account: %+v", acc.Level)
	}
	c := acc.Level.Many[0]
	if c.Property != "contact_customer_accounts" || c.Nav.Table != "contact" || c.Nav.From != "parentcustomerid" || c.Nav.To != "accountid" ||
		!c.HasTop || c.Top != 2 || c.Skip != 1 || !c.Count {
		t.Errorf("collection expand: %+v", c)
	}
	sub, err := c.Lower()
	if err != nil {
		t.Fatal(err)
	}
	ent := sub.Query.Entity
	if ent.Name.Text != "contact" || strings.Join(names(ent.Attributes), ",") != "fullname,parentcustomerid" || strings.Join(sub.Level.Hidden, ",") != "parentcustomerid" ||
		len(ent.Filters) != 1 || len(ent.Orders) != 1 || !ent.Orders[0].Descending.Value || sub.Query.Top.Set || sub.Query.Page.Set {
		t.Errorf("nested request: %s (hidden %v)", ast.Dump(sub.Query), sub.Level.Hidden)
	}
	// Lower, unchanged, still refuses the collection (the CLI has no
	// nested results).
	r, err := odata.ParseRequest(diag.NewSource("q", []byte("accounts?$expand=contact_customer_accounts")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odata.Lower(r, s, odata.Options{}); err == nil || !strings.Contains(errorLines(err), "1:18 VE1014") {
		t.Errorf("Lower of a collection $expand: %v", err)
	}
}

// TestLowerExpansionErrors: refusals carry their code at the position of
// what the user wrote (nested options included, before percent-decoding).
func TestLowerExpansionErrors(t *testing.T) {
	s := expansionSchema(t)
	deep := "account_parent_account($expand=account_parent_account($expand=account_parent_account($expand=account_parent_account)))"
	for _, c := range []struct{ req, want string }{
		{"accounts?$expand=contact_customer_accounts($levels=2)", "1:44 VE1014"},
		{"accounts?$expand=contact_customer_accounts($filter=fractionalseconds(createdon) eq 1)", "1:52 VE1018"},
		{"accounts?$expand=contact_customer_accounts(%24filter%3Dfractionalseconds(createdon)%20eq%201)", "1:56 VE1018"},
		{"accounts?$expand=primarycontactid($expand=account_primary_contact($orderby=totalseconds(createdon)))", "1:76 VE1018"},
		{"accounts?$expand=contact_customer_accounts($top=1;$top=2)", "1:51 VE1008"},
		{"accounts?$expand=*", "1:18 VE1014"},
		{"accounts?$expand=contact_customer_accounts/$ref", "1:18 VE1014"},
		{"accounts?$expand=primarycontactid($filter=fullname eq 'x')", "1:35 VE1014"},
		{"accounts?$expand=nosuch", "1:18 VE2002"},
		// Only the names $metadata declares: a one-target lookup's is its
		// own name, a customer lookup's <lookup>_<target> (as in Dataverse).
		{"accounts?$expand=primarycontactid_contact", "1:18 VE2002"},
		{"contacts?$select=fullname&$expand=parentcustomerid", "1:35 VE2002"},
		{"contacts?$expand=parentcustomerid_account($expand=primarycontactid_contact)", "1:51 VE2002"},
		{"accounts?$expand=" + deep, "1:111 VE1014"},
		{"accounts?$expand=" + strings.Repeat("primarycontactid,", 15) + "parentaccountid", "1:273 VE1010"},
	} {
		_, err := parseExpansion(t, s, c.req)
		if got := errorLines(err); err == nil || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %s …", c.req, got, c.want)
		}
	}
}
