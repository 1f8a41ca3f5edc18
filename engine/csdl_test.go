package engine

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// csdlEnvelope wraps schema elements in a $metadata document's envelope,
// with the base types every Dataverse document declares.
func csdlEnvelope(schema string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
<edmx:DataServices>
<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">
<EntityType Name="crmbaseentity" Abstract="true" />
<EntityType Name="principal" BaseType="mscrm.crmbaseentity" Abstract="true"><Key><PropertyRef Name="ownerid" /></Key><Property Name="ownerid" Type="Edm.Guid" /></EntityType>
` + schema + `
</Schema>
</edmx:DataServices>
</edmx:Edmx>`
}

const csdlUsers = `<EntityType Name="systemuser" BaseType="mscrm.principal">
<Property Name="systemuserid" Type="Edm.Guid" /><Property Name="fullname" Type="Edm.String" />
<Property Name="_createdby_value" Type="Edm.Guid" /><Property Name="_parentsystemuserid_value" Type="Edm.Guid" />
<NavigationProperty Name="createdby" Type="mscrm.systemuser" Partner="lk_systemuser_createdby"><ReferentialConstraint Property="_createdby_value" ReferencedProperty="systemuserid" /></NavigationProperty>
<NavigationProperty Name="parentsystemuserid" Type="mscrm.systemuser" Partner="user_parent_user"><ReferentialConstraint Property="_parentsystemuserid_value" ReferencedProperty="systemuserid" /></NavigationProperty>
<NavigationProperty Name="teammembership_association" Type="Collection(mscrm.team)" Partner="teammembership_association" />
</EntityType>
<EntityType Name="team" BaseType="mscrm.principal"><Property Name="teamid" Type="Edm.Guid" /><Property Name="name" Type="Edm.String" />
<NavigationProperty Name="teammembership_association" Type="Collection(mscrm.systemuser)" Partner="teammembership_association" /></EntityType>
<EntityType Name="teammembership"><Key><PropertyRef Name="teammembershipid" /></Key>
<Property Name="teammembershipid" Type="Edm.Guid" /><Property Name="teamid" Type="Edm.Guid" /><Property Name="systemuserid" Type="Edm.Guid" /></EntityType>
`

const csdlAccounts = `<EntityType Name="account" BaseType="mscrm.crmbaseentity"><Key><PropertyRef Name="accountid" /></Key>
<Property Name="accountid" Type="Edm.Guid" />
<Property Name="name" Type="Edm.String" MaxLength="160" Unicode="false"><Annotation Term="Org.OData.Core.V1.Description" String="x" /></Property>
<Property Name="revenue" Type="Edm.Decimal" Scale="Variable" /><Property Name="revenue_base" Type="Edm.Decimal" Scale="4" />
<Property Name="exchangerate" Type="Edm.Decimal" Scale="10" />
<Property Name="numberofemployees" Type="Edm.Int32" /><Property Name="statecode" Type="Edm.Int32" /><Property Name="statuscode" Type="Edm.Int32" />
<Property Name="versionnumber" Type="Edm.Int64" /><Property Name="address1_latitude" Type="Edm.Double" /><Property Name="donotemail" Type="Edm.Boolean" />
<Property Name="createdon" Type="Edm.DateTimeOffset" /><Property Name="new_opened" Type="Edm.Date" />
<Property Name="entityimage" Type="Edm.Binary" />
<Property Name="_ownerid_value" Type="Edm.Guid" /><Property Name="_parentaccountid_value" Type="Edm.Guid" /><Property Name="_primarycontactid_value" Type="Edm.Guid" />
<NavigationProperty Name="ownerid" Type="mscrm.principal" Partner="owner_accounts"><ReferentialConstraint Property="_ownerid_value" ReferencedProperty="ownerid" /></NavigationProperty>
<NavigationProperty Name="parentaccountid" Type="mscrm.account" Partner="account_parent_account"><ReferentialConstraint Property="_parentaccountid_value" ReferencedProperty="accountid" /></NavigationProperty>
<NavigationProperty Name="primarycontactid" Type="mscrm.contact"><ReferentialConstraint Property="_primarycontactid_value" ReferencedProperty="contactid" /></NavigationProperty>
<NavigationProperty Name="account_parent_account" Type="Collection(mscrm.account)" Partner="parentaccountid" />
</EntityType>
<EntityType Name="contact" BaseType="mscrm.crmbaseentity"><Key><PropertyRef Name="contactid" /></Key>
<Property Name="contactid" Type="Edm.Guid" /><Property Name="fullname" Type="Edm.String" /><Property Name="_parentcustomerid_value" Type="Edm.Guid" />
<NavigationProperty Name="parentcustomerid_account" Type="mscrm.account" Partner="contact_customer_accounts"><ReferentialConstraint Property="_parentcustomerid_value" ReferencedProperty="accountid" /></NavigationProperty>
<NavigationProperty Name="parentcustomerid_contact" Type="mscrm.contact" Partner="contact_customer_contacts"><ReferentialConstraint Property="_parentcustomerid_value" ReferencedProperty="contactid" /></NavigationProperty>
</EntityType>
<EntityContainer Name="System"><EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account" /><FunctionImport Name="WhoAmI" Function="Microsoft.Dynamics.CRM.WhoAmI" /></EntityContainer>
`

func parseCSDLTest(t *testing.T, schema string) plan.Catalog {
	t.Helper()
	cat, err := ParseMetadata("metadata.xml", []byte(csdlEnvelope(schema)))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func csdlColumn(t *testing.T, cat plan.Catalog, table, col string) *plan.Column {
	t.Helper()
	tb, ok := cat.Table(table)
	if !ok {
		t.Fatalf("no table %q", table)
	}
	c, ok := tb.Column(col)
	if !ok {
		t.Fatalf("no column %s.%s", table, col)
	}
	return c
}

func relationship(tb *plan.Table, name string) *plan.Relationship {
	for _, r := range tb.Relationships {
		if r.SchemaName == name {
			return r
		}
	}
	return nil
}

func TestCSDLTypes(t *testing.T) {
	cat := parseCSDLTest(t, csdlUsers+csdlAccounts)
	for _, tc := range []struct {
		col      string
		typ      plan.Type
		behavior plan.DateBehavior
	}{
		{"accountid", plan.TUniqueidentifier, plan.UserLocal},
		{"name", plan.TString, plan.UserLocal},
		{"revenue", plan.TMoney, plan.UserLocal}, // a _base sibling makes it money
		{"revenue_base", plan.TMoney, plan.UserLocal},
		{"exchangerate", plan.TDecimal, plan.UserLocal},
		{"numberofemployees", plan.TInteger, plan.UserLocal},
		{"statecode", plan.TState, plan.UserLocal},
		{"statuscode", plan.TStatus, plan.UserLocal},
		{"versionnumber", plan.TBigInt, plan.UserLocal},
		{"address1_latitude", plan.TDouble, plan.UserLocal},
		{"donotemail", plan.TBoolean, plan.UserLocal},
		{"createdon", plan.TDateTime, plan.UserLocal},
		{"new_opened", plan.TDateTime, plan.DateOnly},
		{"parentaccountid", plan.TLookup, plan.UserLocal},
		{"ownerid", plan.TOwner, plan.UserLocal},
	} {
		c := csdlColumn(t, cat, "account", tc.col)
		if c.Type != tc.typ || c.DateBehavior != tc.behavior {
			t.Errorf("account.%s: %s %s, want %s %s", tc.col, c.Type, c.DateBehavior, tc.typ, tc.behavior)
		}
		if c.PhysicalName != tc.col {
			t.Errorf("account.%s: physical name %q, want the logical name", tc.col, c.PhysicalName)
		}
	}
	tb, _ := cat.Table("account")
	if _, ok := tb.Column("entityimage"); ok {
		t.Error("Edm.Binary entityimage became a column")
	}
	if _, ok := tb.Column("_ownerid_value"); ok {
		t.Error("the lookup property kept its _x_value name")
	}
}

func TestCSDLTables(t *testing.T) {
	cat := parseCSDLTest(t, csdlUsers+csdlAccounts)
	for _, tc := range []struct{ table, set, id, name string }{
		{"account", "accounts", "accountid", "name"},     // EntitySet's name
		{"contact", "contacts", "contactid", "fullname"}, // no EntitySet: the plural
		{"systemuser", "systemusers", "systemuserid", "fullname"},
		{"team", "teams", "teamid", "name"}, // principal's key is teamid
		{"teammembership", "teammemberships", "teammembershipid", ""},
	} {
		tb, ok := cat.Table(tc.table)
		if !ok {
			t.Fatalf("no table %q", tc.table)
		}
		if tb.EntitySetName != tc.set || tb.PrimaryKey != tc.id || tb.PrimaryName != tc.name {
			t.Errorf("%s: set %q id %q name %q, want %q %q %q", tc.table, tb.EntitySetName, tb.PrimaryKey, tb.PrimaryName, tc.set, tc.id, tc.name)
		}
	}
	for _, abstract := range []string{"crmbaseentity", "principal"} {
		if _, ok := cat.Table(abstract); ok {
			t.Errorf("the abstract base type %s became a table", abstract)
		}
	}
}

func TestCSDLLookups(t *testing.T) {
	cat := parseCSDLTest(t, csdlUsers+csdlAccounts)
	for _, tc := range []struct {
		table, col string
		typ        plan.Type
		targets    []string
	}{
		{"account", "ownerid", plan.TOwner, []string{"systemuser", "team"}},
		{"account", "parentaccountid", plan.TLookup, []string{"account"}},
		{"account", "primarycontactid", plan.TLookup, []string{"contact"}},
		{"contact", "parentcustomerid", plan.TCustomer, []string{"account", "contact"}},
		{"systemuser", "createdby", plan.TLookup, []string{"systemuser"}},
	} {
		c := csdlColumn(t, cat, tc.table, tc.col)
		if c.Type != tc.typ || !slices.Equal(c.Targets, tc.targets) {
			t.Errorf("%s.%s: %s %v, want %s %v", tc.table, tc.col, c.Type, c.Targets, tc.typ, tc.targets)
		}
	}
	acc, _ := cat.Table("account")
	if r := relationship(acc, "account_parent_account"); r == nil || !r.Hierarchical || r.ReferencingColumn != "parentaccountid" || r.ReferencedColumn != "accountid" {
		t.Errorf("account_parent_account: %+v, want the hierarchy parentaccountid → accountid", r)
	}
	// Without a Partner, the relationship is named after its ends.
	if r := relationship(acc, "contact_account_primarycontactid"); r == nil || r.Hierarchical || r.ReferencedTable != "contact" {
		t.Errorf("contact_account_primarycontactid: %+v", r)
	}
	for _, owner := range []string{"systemuser_account_ownerid", "team_account_ownerid"} {
		if relationship(acc, owner) == nil {
			t.Errorf("no relationship %s for the owner through principal", owner)
		}
	}
	con, _ := cat.Table("contact")
	for _, name := range []string{"contact_customer_accounts", "contact_customer_contacts"} {
		if r := relationship(con, name); r == nil || r.ReferencingColumn != "parentcustomerid" || r.Hierarchical {
			t.Errorf("%s: %+v, want one relationship per target of parentcustomerid, none the hierarchy", name, r)
		}
	}
	su, _ := cat.Table("systemuser")
	if r := relationship(su, "lk_systemuser_createdby"); r == nil || r.Hierarchical {
		t.Errorf("lk_systemuser_createdby: %+v, want a self-reference that is not the hierarchy", r)
	}
	if r := relationship(su, "user_parent_user"); r == nil || !r.Hierarchical {
		t.Errorf("user_parent_user: %+v, want the hierarchy", r)
	}
	r := relationship(su, "teammembership_association")
	if r == nil || r.Kind != plan.ManyToMany || r.IntersectTable != "teammembership" || r.IntersectColumn1 != "systemuserid" || r.IntersectColumn2 != "teamid" {
		t.Errorf("teammembership_association: %+v, want N:N through teammembership", r)
	}
	n := 0
	for _, x := range su.Relationships {
		if x.SchemaName == "teammembership_association" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("teammembership_association appears %d times, want once (declared on both sides)", n)
	}
}

// TestCSDLFixture checks the sample's $metadata document against the
// sample's own metadata: the same tables, entity sets, keys and columns,
// each with the type the document can carry.
func TestCSDLFixture(t *testing.T) {
	data, err := os.ReadFile("../testdata/foreign/metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMetadata("metadata.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseMetadata("metadata.json", sampleMetadata)
	if err != nil {
		t.Fatal(err)
	}
	// What $metadata does not say: choice, memo, money and multi-select
	// types, and the time-zone-independent behaviour.
	lossy := map[string]plan.Type{"account.industrycode": plan.TInteger, "team.teamtype": plan.TInteger, "account.description": plan.TString,
		"account.revenue": plan.TDecimal, "opportunity.estimatedvalue": plan.TDecimal, "account.new_tags": plan.TString}
	for name, wt := range want.(plan.MapCatalog) {
		gt, ok := got.Table(name)
		if !ok {
			t.Errorf("no table %s", name)
			continue
		}
		if gt.EntitySetName != wt.EntitySetName || gt.PrimaryKey != wt.PrimaryKey || gt.PrimaryName != wt.PrimaryName {
			t.Errorf("%s: %q %q %q, want %q %q %q", name, gt.EntitySetName, gt.PrimaryKey, gt.PrimaryName, wt.EntitySetName, wt.PrimaryKey, wt.PrimaryName)
		}
		if len(gt.Columns) != len(wt.Columns) {
			t.Errorf("%s: %d columns, want %d", name, len(gt.Columns), len(wt.Columns))
		}
		for _, wc := range wt.Columns {
			gc, ok := gt.Column(wc.LogicalName)
			key := name + "." + wc.LogicalName
			switch {
			case !ok:
				t.Errorf("no column %s", key)
			case lossy[key] != plan.TUnknown:
				if gc.Type != lossy[key] {
					t.Errorf("%s: %s, want %s", key, gc.Type, lossy[key])
				}
			case gc.Type != wc.Type:
				t.Errorf("%s: %s, want %s", key, gc.Type, wc.Type)
			case gc.DateBehavior != wc.DateBehavior && key != "account.new_contractend":
				t.Errorf("%s: %s, want %s", key, gc.DateBehavior, wc.DateBehavior)
			}
		}
		for _, wr := range wt.Relationships {
			gr := relationship(gt, wr.SchemaName)
			if gr == nil {
				t.Errorf("%s: no relationship %s", name, wr.SchemaName)
				continue
			}
			// The document's navigation property names are kept (the
			// JSON format has none): the lookup's and its partner's
			// (owners' relationships are synthesized: no names).
			g := *gr
			if g.ReferencingNavigation != "" && g.ReferencedNavigation != g.SchemaName {
				t.Errorf("%s: relationship %s: navigation names %q, %q", name, g.SchemaName, g.ReferencingNavigation, g.ReferencedNavigation)
			}
			g.ReferencingNavigation, g.ReferencedNavigation = "", ""
			if g != *wr {
				t.Errorf("%s: relationship %+v, want %+v", name, g, *wr)
			}
			switch g.SchemaName {
			case "account_primary_contact", "contact_customer_accounts":
				want := map[string]string{"account_primary_contact": "primarycontactid", "contact_customer_accounts": "parentcustomerid_account"}[g.SchemaName]
				if gr.ReferencingNavigation != want {
					t.Errorf("%s: navigation property %q, want the document's %q", g.SchemaName, gr.ReferencingNavigation, want)
				}
			}
		}
	}
}

func TestCSDLRefusals(t *testing.T) {
	acc := func(body string) string {
		return csdlEnvelope(`<EntityType Name="account"><Key><PropertyRef Name="accountid" /></Key><Property Name="accountid" Type="Edm.Guid" />` + body + `</EntityType>`)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"malformed", `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>`, "metadata.xml:1:"},
		{"unclosed", "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n<a></b>", "metadata.xml:2:"},
		{"wrong root", `<fetch><entity name="account"/></fetch>`, "metadata.xml:1:1: VE5003 not a CSDL $metadata document"},
		{"version", `<edmx:Edmx Version="3.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"/>`, "unsupported CSDL version \"3.0\""},
		{"empty", `  `, "VE5003"},
		{"unknown element", csdlEnvelope(`<Entity Name="x"/>`), "metadata.xml:7:1: VE5003 Schema: unexpected element <Entity>"},
		{"property type", acc(`<Property Name="t" Type="Edm.TimeOfDay" />`), `EntityType[account]/Property[t]: unsupported property type "Edm.TimeOfDay"`},
		{"lookup not guid", acc(`<Property Name="_x_value" Type="Edm.String" />`), "must be Edm.Guid"},
		{"max length", acc(`<Property Name="s" Type="Edm.String" MaxLength="-3" />`), `MaxLength "-3"`},
		{"scale", acc(`<Property Name="d" Type="Edm.Decimal" Scale="12" />`), `Scale "12"`},
		{"nav target", acc(`<NavigationProperty Name="n" Type="mscrm.nothing" />`), `NavigationProperty[n]: Type "mscrm.nothing" is not an entity type`},
		{"constraint property", acc(`<NavigationProperty Name="p" Type="mscrm.account"><ReferentialConstraint Property="_p_value" ReferencedProperty="accountid" /></NavigationProperty>`), `Property "_p_value" is not a property of "account"`},
		{"referenced property", acc(`<Property Name="_p_value" Type="Edm.Guid" /><NavigationProperty Name="p" Type="mscrm.account"><ReferentialConstraint Property="_p_value" ReferencedProperty="name" /></NavigationProperty>`), `ReferencedProperty "name" is not the primary id`},
		{"two constraints", acc(`<NavigationProperty Name="p" Type="mscrm.account"><ReferentialConstraint Property="a" ReferencedProperty="b" /><ReferentialConstraint Property="a" ReferencedProperty="b" /></NavigationProperty>`), "more than one ReferentialConstraint"},
		{"composite key", csdlEnvelope(`<EntityType Name="x"><Key><PropertyRef Name="a" /><PropertyRef Name="b" /></Key><Property Name="a" Type="Edm.Guid" /><Property Name="b" Type="Edm.Guid" /></EntityType>`), "composite key"},
		{"no key", csdlEnvelope(`<EntityType Name="x"><Property Name="a" Type="Edm.Guid" /></EntityType>`), `entity type "x" has no key`},
		{"key type", csdlEnvelope(`<EntityType Name="x"><Key><PropertyRef Name="a" /></Key><Property Name="a" Type="Edm.String" /></EntityType>`), "Dataverse primary ids are Edm.Guid"},
		{"base type", csdlEnvelope(`<EntityType Name="x" BaseType="mscrm.nothing"><Key><PropertyRef Name="a" /></Key><Property Name="a" Type="Edm.Guid" /></EntityType>`), `BaseType "mscrm.nothing"`},
		{"duplicate type", csdlEnvelope(`<EntityType Name="principal" Abstract="true" />`), `duplicate entity type "principal"`},
		{"entity set", csdlEnvelope(`<EntityContainer Name="S"><EntitySet Name="xs" EntityType="Microsoft.Dynamics.CRM.x" /></EntityContainer>`), `EntitySet[xs]: EntityType "Microsoft.Dynamics.CRM.x"`},
		{"text", acc(`hello`), `unexpected text "hello"`},
		{"two hierarchies", acc(`<Property Name="_parentaccountid_value" Type="Edm.Guid" /><NavigationProperty Name="parentaccountid" Type="mscrm.account" Partner="a"><ReferentialConstraint Property="_parentaccountid_value" ReferencedProperty="accountid" /></NavigationProperty><NavigationProperty Name="parentaccountid2" Type="mscrm.account" Partner="b"><ReferentialConstraint Property="_parentaccountid_value" ReferencedProperty="accountid" /></NavigationProperty>`), `metadata.xml:7:`},
		{"duplicate column", acc(`<Property Name="_accountid_value" Type="Edm.Guid" />`), `duplicate attribute "accountid"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetadata("metadata.xml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "VE5003") {
				t.Errorf("error %q, want it to contain %q and VE5003", err, tc.want)
			}
		})
	}
}
