package plan_test

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// rootFirstCatalog: account's lookups point at a contact (N:1) and at its
// parent account; contacts point back at their account (1:N from it); a
// note table has no primary key.
func rootFirstCatalog() plan.MapCatalog {
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "primarycontactid", Type: plan.TLookup, Targets: []string{"contact"}},
		{LogicalName: "parentaccountid", Type: plan.TLookup, Targets: []string{"account"}},
	}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "contact", PrimaryKey: "contactid", PrimaryName: "fullname", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier},
		{LogicalName: "fullname", Type: plan.TString},
		{LogicalName: "parentcustomerid", Type: plan.TCustomer, Targets: []string{"account"}},
	}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "note", Columns: []*plan.Column{
		{LogicalName: "noteid", Type: plan.TUniqueidentifier},
		{LogicalName: "contactid", Type: plan.TLookup, Targets: []string{"contact"}},
	}}))
	return cat
}

func buildFetch(t *testing.T, cat plan.Catalog, src string) *plan.Plan {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return p
}

func orderNames(p *plan.Plan) string {
	var names []string
	for _, k := range p.Orders {
		if k.Column != nil {
			names = append(names, k.Column.Source.Name+"."+k.Column.Column.LogicalName)
		}
	}
	return strings.Join(names, ",")
}

// TestToOneTieBreakers: a source joined to one row per parent (its whole
// key equated with a parent column) adds no tie-breaker; a source joined
// to many, below it or not, does; and RootFirst holds only for outer to-one
// joins with root-only filters and orders.
func TestToOneTieBreakers(t *testing.T) {
	cat := rootFirstCatalog()
	pc := `<link-entity name="contact" from="contactid" to="primarycontactid" link-type="outer" alias="pc"><attribute name="fullname"/>%s</link-entity>`
	link := func(body string) string { return strings.Replace(pc, "%s", body, 1) }
	for _, c := range []struct {
		name, body, fetch string
		orders            string
		rootFirst         bool
	}{
		{"outer to one", link(""), ` top="5"`, "account.accountid", true},
		{"inner to one", strings.Replace(link(""), "outer", "inner", 1), ` top="5"`, "account.accountid", false},
		{"to one, then to many below it", link(`<link-entity name="account" from="primarycontactid" to="contactid" link-type="outer" alias="x"/>`), "", "account.accountid,x.accountid", false},
		{"to many", `<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="kids"><attribute name="fullname"/></link-entity>`, "", "account.accountid,kids.contactid", false},
		{"to one twice", link(`<link-entity name="account" from="accountid" to="parentcustomerid" link-type="outer" alias="back"/>`), ` count="3"`, "account.accountid", true},
		{"order on the link", link(`<order attribute="fullname"/>`), ` top="5"`, "pc.fullname,account.accountid", false},
		{"root filter on the link", link("") + `<filter><condition entityname="pc" attribute="fullname" operator="not-null"/></filter>`, ` top="5"`, "account.accountid", false},
		{"link filter in ON", link(`<filter><condition attribute="fullname" operator="not-null"/></filter>`), ` top="5"`, "account.accountid", true},
		{"exists stays a root filter", link("") + `<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="exists"/>`, ` top="5"`, "account.accountid", true},
		{"distinct", link(""), ` distinct="true" top="5"`, "account.name,pc.fullname", false},
		{"no join", "", ` top="5"`, "account.accountid", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := `<fetch` + c.fetch + `><entity name="account"><attribute name="name"/>` + c.body + `</entity></fetch>`
			p := buildFetch(t, cat, src)
			if got := orderNames(p); got != c.orders {
				t.Errorf("orders %s, want %s", got, c.orders)
			}
			if p.RootFirst != c.rootFirst {
				t.Errorf("RootFirst %v, want %v", p.RootFirst, c.rootFirst)
			}
		})
	}
}

// TestVerifyRootFirst: Verify refuses RootFirst on a plan whose joins
// could drop or repeat root rows.
func TestVerifyRootFirst(t *testing.T) {
	cat := rootFirstCatalog()
	ok := buildFetch(t, cat, `<fetch top="5"><entity name="account"><attribute name="name"/><link-entity name="contact" from="contactid" to="primarycontactid" link-type="outer" alias="pc"/></entity></fetch>`)
	if err := plan.Verify(ok); err != nil || !ok.RootFirst {
		t.Fatalf("eligible plan: RootFirst %v, %v", ok.RootFirst, err)
	}
	for _, src := range []string{
		`<fetch top="5"><entity name="account"><attribute name="name"/><link-entity name="contact" from="contactid" to="primarycontactid" link-type="inner" alias="pc"/></entity></fetch>`,
		`<fetch top="5"><entity name="account"><attribute name="name"/><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="kids"/></entity></fetch>`,
		`<fetch top="5"><entity name="account"><attribute name="name"/><order entityname="pc" attribute="fullname"/><link-entity name="contact" from="contactid" to="primarycontactid" link-type="outer" alias="pc"/></entity></fetch>`,
	} {
		p := buildFetch(t, cat, src)
		if p.RootFirst {
			t.Fatalf("%s: RootFirst set", src)
		}
		cp := *p
		cp.RootFirst = true
		if err := plan.Verify(&cp); err == nil || !strings.Contains(err.Error(), "ordered and limited before joins") {
			t.Errorf("%s: Verify accepted RootFirst: %v", src, err)
		}
	}
}
