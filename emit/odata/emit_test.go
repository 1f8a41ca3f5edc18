package odata_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/emit/odata"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// cases: one per construct. Each golden holds the URL (or the error) in
// both flavors.
var cases = []struct{ name, fetch string }{
	{"select", `<fetch><entity name="account"><attribute name="name"/><attribute name="primarycontactid"/><attribute name="ownerid"/></entity></fetch>`},
	{"compare", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="name" operator="eq" value="O'Bryan &amp; Sons+1"/>
		<condition attribute="revenue" operator="ge" value="1000.50"/>
		<condition attribute="numberofemployees" operator="lt" value="10"/>
		<condition attribute="donotemail" operator="eq" value="true"/>
		<condition attribute="primarycontactid" operator="eq" value="{AA000000-0000-4000-8000-000000000001}"/>
		<condition attribute="createdon" operator="gt" value="2026-01-01T10:00:00Z"/>
		<condition attribute="address1_latitude" operator="le" value="47.5"/></filter></entity></fetch>`},
	{"literals", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="address1_latitude" operator="ge" value="1000000"/>
		<condition attribute="address1_latitude" operator="lt" value="0.0000015"/>
		<condition attribute="revenue" operator="gt" value=".5"/>
		<condition attribute="numberofemployees" operator="le" value="1000000"/></filter></entity></fetch>`},
	{"ne-null", `<fetch><entity name="account"><attribute name="name"/><filter type="or">
		<condition attribute="name" operator="ne" value="x"/>
		<condition attribute="accountnumber" operator="null"/>
		<condition attribute="address1_city" operator="not-null"/></filter></entity></fetch>`},
	{"precedence", `<fetch><entity name="account"><attribute name="name"/><filter type="or">
		<filter><condition attribute="name" operator="eq" value="a"/><condition attribute="statecode" operator="eq" value="0"/></filter>
		<filter type="or"><condition attribute="name" operator="eq" value="b"/><condition attribute="numberofemployees" operator="gt" value="5"/></filter>
		</filter></entity></fetch>`},
	{"like", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="name" operator="like" value="%on_line%"/>
		<condition attribute="name" operator="begins-with" value="Con"/>
		<condition attribute="name" operator="not-end-with" value="Ltd"/></filter></entity></fetch>`},
	{"like-class", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="name" operator="like" value="[a-c]%"/></filter></entity></fetch>`},
	{"like-refused", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="name" operator="like" value="a%b"/></filter></entity></fetch>`},
	{"in-notin", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="address1_city" operator="in"><value>Paris</value><value>O'Hare</value></condition>
		<condition attribute="industrycode" operator="not-in"><value>1</value><value>2</value></condition></filter></entity></fetch>`},
	{"between", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="revenue" operator="between"><value>5</value><value>2000</value></condition>
		<condition attribute="numberofemployees" operator="not-between"><value>1</value><value>9</value></condition></filter></entity></fetch>`},
	{"relative-date", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="createdon" operator="last-x-days" value="7"/></filter></entity></fetch>`},
	{"identity", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="ownerid" operator="eq-useroruserteams"/></filter></entity></fetch>`},
	{"hierarchy", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="accountid" operator="under" value="aa000000-0000-4000-8000-000000000001"/></filter></entity></fetch>`},
	{"multi-select", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="new_tags" operator="contain-values"><value>1</value><value>3</value></condition></filter></entity></fetch>`},
	{"valueof", `<fetch><entity name="account"><attribute name="name"/><filter>
		<condition attribute="name" operator="eq" valueof="accountnumber"/></filter></entity></fetch>`},
	{"order-top-count", `<fetch top="5"><entity name="account"><attribute name="name"/>
		<order attribute="revenue" descending="true"/><order attribute="name"/></entity></fetch>`},
	{"order-lookup", `<fetch><entity name="account"><attribute name="name"/><order attribute="primarycontactid"/></entity></fetch>`},
	{"page1", `<fetch count="20" page="1" returntotalrecordcount="true"><entity name="account"><attribute name="name"/></entity></fetch>`},
	{"page2", `<fetch count="20" page="2"><entity name="account"><attribute name="name"/></entity></fetch>`},
	{"expand-outer", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/></link-entity></entity></fetch>`},
	{"expand-inner", `<fetch><entity name="opportunity"><attribute name="name"/>
		<link-entity name="account" from="accountid" to="customerid" alias="a"><attribute name="name"/>
		<filter><condition attribute="address1_city" operator="eq" value="Paris"/></filter></link-entity></entity></fetch>`},
	{"expand-nested", `<fetch><entity name="opportunity"><attribute name="name"/>
		<link-entity name="account" from="accountid" to="customerid" alias="a"><attribute name="name"/>
		<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/>
		<link-entity name="businessunit" from="businessunitid" to="owningbusinessunit" alias="bu" link-type="outer"><attribute name="name"/></link-entity></link-entity>
		<filter><condition attribute="address1_city" operator="eq" value="Paris"/></filter></link-entity></entity></fetch>`},
	{"expand-nested-inner", `<fetch><entity name="opportunity"><attribute name="name"/>
		<link-entity name="account" from="accountid" to="customerid" alias="a">
		<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc"><attribute name="fullname"/></link-entity></link-entity></entity></fetch>`},
	{"expand-owner", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="systemuser" from="systemuserid" to="ownerid" alias="o" link-type="outer"><attribute name="fullname"/></link-entity></entity></fetch>`},
	{"filter-owner-team", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="team" from="teamid" to="ownerid" alias="t"><filter><condition attribute="name" operator="eq" value="Key Accounts"/></filter></link-entity></entity></fetch>`},
	{"outer-filter", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/>
		<filter><condition attribute="lastname" operator="eq" value="Chen"/></filter></link-entity></entity></fetch>`},
	{"link-order", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/><order attribute="fullname"/></link-entity></entity></fetch>`},
	{"one-to-many-columns", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="parentcustomerid" to="accountid" alias="c"><attribute name="fullname"/></link-entity></entity></fetch>`},
	{"no-relationship", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="lastname" to="name" alias="c"><attribute name="fullname"/></link-entity></entity></fetch>`},
	{"first-row", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="matchfirstrowusingcrossapply" alias="c"><attribute name="fullname"/></link-entity></entity></fetch>`},
	{"exists", `<fetch><entity name="account"><attribute name="name"/>
		<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="exists">
		<filter><condition attribute="lastname" operator="eq" value="Chen"/></filter></link-entity></entity></fetch>`},
	{"any-notany", `<fetch><entity name="account"><attribute name="name"/><filter type="or">
		<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="any"/>
		<link-entity name="opportunity" from="customerid" to="accountid" link-type="not any"><filter><condition attribute="statecode" operator="eq" value="0"/></filter></link-entity>
		</filter></entity></fetch>`},
	{"all-notall", `<fetch><entity name="account"><attribute name="name"/><filter>
		<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="all"><filter><condition attribute="emailaddress1" operator="not-null"/></filter></link-entity>
		<link-entity name="opportunity" from="customerid" to="accountid" link-type="not all"><filter><condition attribute="estimatedvalue" operator="gt" value="100"/></filter></link-entity>
		</filter></entity></fetch>`},
	{"aggregate", `<fetch aggregate="true"><entity name="account"><attribute name="address1_city" groupby="true" alias="address1_city"/>
		<attribute name="revenue" aggregate="sum" alias="total"/><attribute name="accountid" aggregate="count" alias="n"/>
		<filter><condition attribute="statecode" operator="eq" value="0"/></filter></entity></fetch>`},
	{"aggregate-count", `<fetch aggregate="true"><entity name="account"><attribute name="accountid" aggregate="count" alias="n"/></entity></fetch>`},
	{"countcolumn-distinct", `<fetch aggregate="true"><entity name="account"><attribute name="address1_city" aggregate="countcolumn" distinct="true" alias="n"/></entity></fetch>`},
	{"dategrouping", `<fetch aggregate="true"><entity name="account"><attribute name="createdon" groupby="true" dategrouping="year" alias="y"/><attribute name="accountid" aggregate="count" alias="n"/></entity></fetch>`},
	{"order-aggregate", `<fetch aggregate="true"><entity name="account"><attribute name="address1_city" groupby="true" alias="address1_city"/><attribute name="accountid" aggregate="count" alias="n"/><order alias="n"/></entity></fetch>`},
	{"distinct", `<fetch distinct="true"><entity name="account"><attribute name="address1_city"/><order attribute="address1_city"/></entity></fetch>`},
	{"alias", `<fetch><entity name="account"><attribute name="name" alias="n"/></entity></fetch>`},
	{"rowaggregate", `<fetch><entity name="account"><attribute name="accountid" rowaggregate="CountChildren" alias="children"/><attribute name="name"/></entity></fetch>`},
}

func TestEmit(t *testing.T) {
	cat, err := engine.LoadMetadataFile("../../engine/sampledata/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	opts := plan.Options{
		Catalog: cat,
		Now:     time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC),
		Zone:    time.UTC,
		Caller:  &plan.Caller{UserID: "aa000000-0000-4000-8000-000000000002", TeamIDs: []string{"cc000000-0000-4000-8000-000000000001"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := fetchxml.Parse(diag.NewSource(tc.name+".xml", []byte(tc.fetch)))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			// The third line plans under an accent-sensitive collation,
			// the only one whose string comparisons v4 can say.
			for _, fl := range []struct {
				name, flavor string
				sensitive    bool
			}{{odata.Dataverse, odata.Dataverse, false}, {odata.V4, odata.V4, false}, {"v4 accent-sensitive", odata.V4, true}} {
				o := opts
				o.AccentSensitive = fl.sensitive
				p, err := plan.Build(q, o)
				if err != nil {
					t.Fatal(err)
				}
				u, err := odata.Emit(q, p, odata.Options{Flavor: fl.flavor})
				if err != nil {
					u = "error: " + err.Error()
				}
				b.WriteString(fl.name + ": " + u + "\n")
			}
			testkit.Golden(t, filepath.Join("testdata", tc.name+".golden"), []byte(b.String()))
		})
	}
}

func TestOptions(t *testing.T) {
	cat, err := engine.LoadMetadataFile("../../engine/sampledata/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	u, err := odata.Emit(q, p, odata.Options{Base: "https://org.crm.dynamics.com/api/data/v9.2/"})
	if err != nil || u != "https://org.crm.dynamics.com/api/data/v9.2/accounts?$select=name,accountid" {
		t.Errorf("base: %q, %v", u, err)
	}
	if _, err := odata.Emit(q, p, odata.Options{Flavor: "v5"}); err == nil || !strings.Contains(err.Error(), "VE5") {
		t.Errorf("bad flavor: %v", err)
	}
	// Plan-level rows no URL says: refused, never dropped.
	after := *p
	after.After = []*plan.Value{{Kind: plan.KString, V: "x"}}
	if _, err := odata.Emit(q, &after, odata.Options{}); err == nil || !strings.Contains(err.Error(), "VE4002") {
		t.Errorf("keyset continuation: %v", err)
	}
	part := *p
	part.Partition = &plan.PartitionLimit{Top: 1}
	if _, err := odata.Emit(q, &part, odata.Options{}); err == nil || !strings.Contains(err.Error(), "VE4002") {
		t.Errorf("per-partition limit: %v", err)
	}
	up, err := plan.Build(q, plan.Options{Catalog: plan.Untyped{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odata.Emit(q, up, odata.Options{}); err == nil || !strings.Contains(err.Error(), "VE4002") || !strings.Contains(err.Error(), "entity set") {
		t.Errorf("untyped: %v", err)
	}
}

// TestNoPanic emits every shipped FetchXML document that plans against the
// sample metadata, in both flavors: a URL or a VE4002, never a panic or
// another code.
func TestNoPanic(t *testing.T) {
	cat, err := engine.LoadMetadataFile("../../engine/sampledata/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, g := range []string{"../../examples/*.xml", "../../parse/fetchxml/testdata/*.xml", "../../testdata/bench/*.xml", "../../emit/queryexpression/testdata/*.xml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	opts := plan.Options{Catalog: cat, Now: time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC), Zone: time.UTC,
		Caller: &plan.Caller{UserID: "aa000000-0000-4000-8000-000000000002"}}
	n := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q, err := fetchxml.Parse(diag.NewSource(f, text))
		if err != nil {
			continue
		}
		p, err := plan.Build(q, opts)
		if err != nil {
			continue
		}
		for _, fl := range []string{odata.Dataverse, odata.V4} {
			n++
			if _, err := odata.Emit(q, p, odata.Options{Flavor: fl}); err != nil && !strings.Contains(err.Error(), "VE4002") {
				t.Errorf("%s (%s): %v", f, fl, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no documents planned")
	}
}
