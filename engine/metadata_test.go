package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

func TestLoadMetadataFileSample(t *testing.T) {
	cat, err := LoadMetadataFile(filepath.Join("sampledata", "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	acc, ok := cat.Table("Account") // case-insensitive
	if !ok {
		t.Fatal("no account table")
	}
	if acc.PhysicalName != "account" || acc.EntitySetName != "accounts" || acc.PrimaryKey != "accountid" || acc.PrimaryName != "name" {
		t.Errorf("account table: %+v", acc)
	}
	wantCols := map[string]struct {
		typ     plan.Type
		beh     plan.DateBehavior
		targets string
	}{
		"accountid":         {plan.TUniqueidentifier, plan.UserLocal, ""},
		"revenue":           {plan.TMoney, plan.UserLocal, ""},
		"numberofemployees": {plan.TInteger, plan.UserLocal, ""},
		"industrycode":      {plan.TPicklist, plan.UserLocal, ""},
		"statecode":         {plan.TState, plan.UserLocal, ""},
		"statuscode":        {plan.TStatus, plan.UserLocal, ""},
		"createdon":         {plan.TDateTime, plan.UserLocal, ""},
		"new_contractend":   {plan.TDateTime, plan.TimeZoneIndependent, ""},
		"ownerid":           {plan.TOwner, plan.UserLocal, "systemuser,team"},
		"primarycontactid":  {plan.TLookup, plan.UserLocal, "contact"},
		"parentaccountid":   {plan.TLookup, plan.UserLocal, "account"},
		"new_tags":          {plan.TMultiSelectPicklist, plan.UserLocal, ""},
		"donotemail":        {plan.TBoolean, plan.UserLocal, ""},
		"address1_latitude": {plan.TDouble, plan.UserLocal, ""},
		"description":       {plan.TMemo, plan.UserLocal, ""},
		"versionnumber":     {plan.TBigInt, plan.UserLocal, ""},
	}
	for name, w := range wantCols {
		c, ok := acc.Column(name)
		if !ok {
			t.Errorf("account.%s missing", name)
			continue
		}
		if c.Type != w.typ || c.DateBehavior != w.beh || strings.Join(c.Targets, ",") != w.targets {
			t.Errorf("account.%s = %s/%s/%v, want %s/%s/%s", name, c.Type, c.DateBehavior, c.Targets, w.typ, w.beh, w.targets)
		}
		if c.IsPrimaryKey != (name == "accountid") {
			t.Errorf("account.%s IsPrimaryKey = %v", name, c.IsPrimaryKey)
		}
	}
	// Choice labels come in label order (plan.NewTable sorts them).
	labels := func(c *plan.Column) string {
		var b strings.Builder
		for _, o := range c.Options {
			fmt.Fprintf(&b, "%d %s; ", o.Value, o.Label)
		}
		return b.String()
	}
	opp, _ := cat.Table("opportunity")
	if c, _ := opp.Column("statecode"); labels(c) != "2 Lost; 0 Open; 1 Won; " {
		t.Errorf("opportunity.statecode options: %s", labels(c))
	}
	if c, _ := acc.Column("industrycode"); len(c.Options) != 33 || !strings.HasPrefix(labels(c), "1 Accounting; 4 Agriculture; ") ||
		!strings.Contains(labels(c), "25 Design; 26 eCommerce; 6 Education; ") || !strings.Contains(labels(c), "18 Insurance; 33 IT Services; 13 Logistics; ") {
		t.Errorf("account.industrycode options: %s", labels(c))
	}
	h := acc.Hierarchy()
	if h == nil || h.SchemaName != "account_parent_account" || h.ReferencingColumn != "parentaccountid" || h.ReferencedColumn != "accountid" {
		t.Errorf("account hierarchy: %+v", h)
	}
	con, _ := cat.Table("contact")
	if c, _ := con.Column("birthdate"); c == nil || c.DateBehavior != plan.DateOnly {
		t.Errorf("contact.birthdate: %+v", c)
	}
	// contact_customer_accounts is on both ends.
	for _, tbl := range []*plan.Table{acc, con} {
		found := false
		for _, r := range tbl.Relationships {
			if r.SchemaName == "contact_customer_accounts" && r.ReferencedTable == "account" && r.ReferencingTable == "contact" && r.ReferencingColumn == "parentcustomerid" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s lacks contact_customer_accounts", tbl.LogicalName)
		}
	}
	// The owner lookup's targets get synthesized relationships.
	var ownerRels []string
	for _, r := range acc.Relationships {
		if r.ReferencingTable == "account" && r.ReferencingColumn == "ownerid" {
			ownerRels = append(ownerRels, r.SchemaName+"→"+r.ReferencedTable)
		}
	}
	sort.Strings(ownerRels)
	if strings.Join(ownerRels, " ") != "systemuser_account_ownerid→systemuser team_account_ownerid→team" {
		t.Errorf("owner relationships: %v", ownerRels)
	}
	su, _ := cat.Table("systemuser")
	var nn *plan.Relationship
	for _, r := range su.Relationships {
		if r.Kind == plan.ManyToMany {
			nn = r
		}
	}
	if nn == nil || nn.IntersectTable != "teammembership" || nn.Table1 != "systemuser" || nn.Table2 != "team" || nn.IntersectColumn1 != "systemuserid" || nn.IntersectColumn2 != "teamid" {
		t.Errorf("teammembership_association: %+v", nn)
	}
	if h := su.Hierarchy(); h == nil || h.ReferencingColumn != "parentsystemuserid" {
		t.Errorf("systemuser hierarchy: %+v", h)
	}
	if opp, _ := cat.Table("opportunity"); opp.EntitySetName != "opportunities" {
		t.Errorf("opportunity entity set %q", opp.EntitySetName)
	}
}

// The example in the package documentation must load.
func TestDocExampleMetadata(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		if line == "//\t{" {
			in = true
		}
		if in {
			b.WriteString(strings.TrimPrefix(line, "//\t"))
			b.WriteByte('\n')
			if line == "//\t}" {
				break
			}
		}
	}
	cat, err := ParseMetadata("doc.go example", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	acc, _ := cat.Table("account")
	if acc.PhysicalName != "crm_account" {
		t.Errorf("physical name %q", acc.PhysicalName)
	}
	if c, _ := acc.Column("industrycode"); c.PhysicalName != "industry" {
		t.Errorf("industrycode physical name %q", c.PhysicalName)
	}
	if acc.Hierarchy() == nil {
		t.Error("no hierarchy")
	}
	if st, _ := cat.Table("systemuser"); st.PrimaryKey != "systemuserid" || st.EntitySetName != "systemusers" {
		t.Errorf("defaults not applied: %+v", st)
	}
}

func TestParseMetadataErrors(t *testing.T) {
	const (
		attrDoc = `{"entities": [{"logicalName": "a", "attributes": [%s]}]}`
		relDoc  = `{"entities": [{"logicalName": "a", "attributes": [{"logicalName": "aid", "type": "Uniqueidentifier"}, {"logicalName": "p1", "type": "Lookup"}, {"logicalName": "p2", "type": "Lookup"}]}, {"logicalName": "b", "attributes": [{"logicalName": "bid", "type": "Uniqueidentifier"}]}], "relationships": [%s]}`
	)
	attr := func(s string) string { return fmt.Sprintf(attrDoc, s) }
	rel := func(s string) string { return fmt.Sprintf(relDoc, s) }
	for _, tc := range []struct {
		name string
		doc  string
		at   string // the error points at the first occurrence of this text ("" = end of input)
		msg  string // substring of the first error
	}{
		{"syntax", "{\n  \"entities\": [\n    {\"logicalName\": \"a\",,}\n  ]\n}", ",}", "syntax error"},
		{"syntax after key", `{"entities" []}`, "[]", "syntax error"},
		{"bad literal", `{"entities": [], "version": tru}`, "}", "syntax error"},
		{"truncated", `{"entities": [`, "", "unexpected end"},
		{"trailing data", `{"entities": []} x`, "x", "syntax error"},
		{"not an object", `[]`, "[]", "expected an object"},
		{"missing entities", `{}`, "{}", `missing "entities"`},
		{"bad version", `{"version": 2, "entities": []}`, "2", "unsupported version"},
		{"unknown top field", "{\"entities\": [],\n \"tables\": []}", `"tables"`, `$.tables: unknown field "tables"`},
		{"unknown attribute field", attr(`{"logicalName": "x", "type": "String", "lenght": 5}`), `"lenght"`, `$.entities[0].attributes[0].lenght: unknown field`},
		{"wrong json type", `{"entities": [{"logicalName": 5}]}`, "5", "$.entities[0].logicalName: expected a string"},
		{"entities not an array", `{"entities": {}}`, "{}}", "expected an array"},
		{"missing logical name", `{"entities": [{"attributes": []}]}`, `{"attributes"`, `missing "logicalName"`},
		{"unknown type", attr(`{"logicalName": "x", "type": "Strng"}`), `"Strng"`, `$.entities[0].attributes[0].type: unknown attribute type "Strng"`},
		{"missing type", attr(`{"logicalName": "x"}`), `{"logicalName": "x"}`, `missing "type"`},
		{"bad behavior", attr(`{"logicalName": "d", "type": "DateTime", "dateTimeBehavior": "Local"}`), `"Local"`, "unknown dateTimeBehavior"},
		{"behavior on string", attr(`{"logicalName": "d", "type": "String", "dateTimeBehavior": "DateOnly"}`), `"DateOnly"`, "only allowed on DateTime"},
		{"targets on string", attr(`{"logicalName": "d", "type": "String", "targets": ["b"]}`), `["b"]`, "targets are only allowed"},
		{"targets not strings", attr(`{"logicalName": "d", "type": "Lookup", "targets": [1]}`), `1]`, "targets[0]: expected a string"},
		{"options on integer", attr(`{"logicalName": "d", "type": "Integer", "options": [{"value": 1, "label": "One"}]}`), `[{"value"`, "options are only allowed on Picklist"},
		{"option without label", attr(`{"logicalName": "d", "type": "Picklist", "options": [{"value": 1}]}`), `{"value": 1}`, `options[0]: missing "label"`},
		{"option without value", attr(`{"logicalName": "d", "type": "Picklist", "options": [{"label": "One"}]}`), `{"label"`, `options[0]: missing "value"`},
		{"option value not integer", attr(`{"logicalName": "d", "type": "State", "options": [{"value": "1", "label": "One"}]}`), `"1"`, "options[0].value: expected an integer"},
		{"option value twice", attr(`{"logicalName": "d", "type": "Status", "options": [{"value": 1, "label": "One"}, {"value": 1, "label": "Uno"}]}`), `1, "label": "Uno"`, "option value 1 appears twice"},
		{"option unknown field", attr(`{"logicalName": "d", "type": "Picklist", "options": [{"value": 1, "label": "One", "color": "red"}]}`), `"color"`, `unknown field "color"`},
		{"unknown guidStorage", attr(`{"logicalName": "d", "type": "Lookup", "guidStorage": "mixed"}`), `"mixed"`, `unknown guidStorage "mixed"`},
		{"guidStorage on string", attr(`{"logicalName": "d", "type": "String", "guidStorage": "upper"}`), `"upper"`, "guidStorage is only allowed"},
		{"precision on string", attr(`{"logicalName": "d", "type": "String", "precision": 2}`), `2}`, "precision is only allowed"},
		{"precision range", attr(`{"logicalName": "d", "type": "Decimal", "precision": 11}`), `11`, "out of range"},
		{"maxLength not integer", attr(`{"logicalName": "d", "type": "String", "maxLength": 1.5}`), `1.5`, "expected an integer"},
		{"duplicate entity", "{\"entities\": [{\"logicalName\": \"a\"},\n {\"logicalName\": \"A\"}]}", `{"logicalName": "A"}`, `duplicate entity "A"`},
		{"duplicate attribute", attr(`{"logicalName": "x", "type": "String"}, {"logicalName": "X", "type": "Integer"}`), `{"logicalName": "X"`, "duplicate attribute"},
		{"duplicate key", `{"entities": [], "entities": []}`, `"entities": []}`, `duplicate key "entities"`},
		{"bad primary id", `{"entities": [{"logicalName": "a", "primaryIdAttribute": "aid", "attributes": []}]}`, `"aid"`, `primary id attribute "aid"`},
		{"bad primary name", `{"entities": [{"logicalName": "a", "primaryNameAttribute": "nm", "attributes": []}]}`, `"nm"`, `primary name attribute "nm"`},
		{"relationship unknown entity", rel(`{"schemaName": "r", "referencedEntity": "c", "referencingEntity": "a", "referencingAttribute": "p1"}`), `{"schemaName": "r"`, `unknown entity "c"`},
		{"relationship unknown attribute", rel(`{"schemaName": "r", "referencedEntity": "a", "referencingEntity": "a", "referencingAttribute": "parentid"}`), `{"schemaName": "r"`, `"parentid" is not an attribute of "a"`},
		{"relationship both kinds", rel(`{"schemaName": "r", "referencedEntity": "a", "entity1": "b"}`), `{"schemaName": "r"`, "not both"},
		{"relationship missing name", rel(`{"referencedEntity": "a"}`), `{"referencedEntity"`, `missing "schemaName"`},
		{"1:n missing field", rel(`{"schemaName": "r", "referencedEntity": "a"}`), `{"schemaName": "r"`, `missing "referencingEntity"`},
		{"n:n missing field", rel(`{"schemaName": "r", "entity1": "a", "entity2": "b"}`), `{"schemaName": "r"`, `missing "intersectEntity"`},
		{"n:n unknown attribute", rel(`{"schemaName": "r", "entity1": "a", "entity2": "b", "intersectEntity": "a", "entity1IntersectAttribute": "aid", "entity2IntersectAttribute": "nope"}`), `{"schemaName": "r"`, `"nope" is not an attribute`},
		{"hierarchical not self", rel(`{"schemaName": "r", "referencedEntity": "b", "referencingEntity": "a", "referencingAttribute": "p1", "isHierarchical": true}`), "true}", "only a self-referential relationship (a → b)"},
		{"two hierarchies", rel(`{"schemaName": "r1", "referencedEntity": "a", "referencingEntity": "a", "referencingAttribute": "p1", "isHierarchical": true}, {"schemaName": "r2", "referencedEntity": "a", "referencingEntity": "a", "referencingAttribute": "p2", "isHierarchical": true}`), "true}]}", "already has the hierarchical relationship r1"},
		{"hierarchical not bool", rel(`{"schemaName": "r1", "referencedEntity": "a", "referencingEntity": "a", "referencingAttribute": "p1", "isHierarchical": "yes"}`), `"yes"`, "expected true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetadata("bad.json", []byte(tc.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if c := diag.CodeOf(err); c != diag.BadMetadataFile {
				t.Errorf("code %s, want %s", c, diag.BadMetadataFile)
			}
			var list diag.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("not an error list: %T", err)
			}
			first := list[0]
			off := len(tc.doc)
			if tc.at != "" {
				if off = strings.Index(tc.doc, tc.at); off < 0 {
					t.Fatalf("bad test: %q not in the document", tc.at)
				}
			}
			want := diag.NewSource("bad.json", []byte(tc.doc)).Position(diag.Pos(off))
			if got := first.Position(); got != want {
				t.Errorf("position %s, want %s (%v)", got, want, err)
			}
			if !strings.Contains(first.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", first.Msg, tc.msg)
			}
		})
	}
}

func TestLoadMetadataFileMissing(t *testing.T) {
	_, err := LoadMetadataFile(filepath.Join(t.TempDir(), "nope.json"))
	if diag.CodeOf(err) != diag.BadMetadataFile {
		t.Errorf("missing file: %v", err)
	}
}

const sql4cdsMetadata = "../../shared/corpus/sql4cds-fetchxml/test-metadata.json"

func TestLoadSQL4CDSMetadata(t *testing.T) {
	if _, err := os.Stat(sql4cdsMetadata); err != nil {
		t.Skipf("SQL 4 CDS corpus not present: %v", err)
	}
	cat, err := LoadSQL4CDSMetadata(sql4cdsMetadata, "MarkMpn.Sql4Cds.Engine.Tests")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"account", "audit", "contact", "new_customentity", "systemuser", "team"} {
		tb, ok := cat.Table(name)
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if tb.PrimaryKey != name+"id" {
			t.Errorf("%s primary key %q", name, tb.PrimaryKey)
		}
		if c, ok := tb.Column("versionnumber"); !ok || c.Type != plan.TBigInt {
			t.Errorf("%s.versionnumber: %+v", name, c)
		}
	}
	acc, _ := cat.Table("account")
	con, _ := cat.Table("contact")
	for _, tc := range []struct {
		t       *plan.Table
		col     string
		typ     plan.Type
		targets string
	}{
		{acc, "turnover", plan.TMoney, ""},
		{acc, "employees", plan.TInteger, ""},
		{acc, "createdon", plan.TDateTime, ""},
		{acc, "ownerid", plan.TOwner, "systemuser,team"},
		{acc, "primarycontactid", plan.TLookup, "contact"},
		{acc, "parentaccountid", plan.TLookup, "account"},
		{acc, "owneridname", plan.TString, ""},
		{con, "parentcustomerid", plan.TCustomer, "account,contact"},
		{con, "statecode", plan.TPicklist, ""},
	} {
		c, ok := tc.t.Column(tc.col)
		if !ok {
			t.Errorf("%s.%s missing", tc.t.LogicalName, tc.col)
			continue
		}
		if c.Type != tc.typ || strings.Join(c.Targets, ",") != tc.targets {
			t.Errorf("%s.%s = %s %v, want %s %s", tc.t.LogicalName, tc.col, c.Type, c.Targets, tc.typ, tc.targets)
		}
	}
	if acc.PrimaryName != "name" || con.PrimaryName != "fullname" {
		t.Errorf("primary names %q %q", acc.PrimaryName, con.PrimaryName)
	}
	if h := acc.Hierarchy(); h == nil || h.ReferencingColumn != "parentaccountid" {
		t.Errorf("account hierarchy: %+v", h)
	}
	if ce, _ := cat.Table("new_customentity"); ce.Hierarchy() != nil || ce.PrimaryName != "new_name" {
		t.Errorf("new_customentity: hierarchy %v, primary name %q", ce.Hierarchy(), ce.PrimaryName)
	}
	if su, _ := cat.Table("systemuser"); su.PrimaryName != "" {
		t.Errorf("systemuser primary name %q", su.PrimaryName)
	}
	audit, _ := cat.Table("audit")
	if c, _ := audit.Column("callinguserid"); strings.Join(c.Targets, ",") != "systemuser" {
		t.Errorf("audit.callinguserid targets %v", c.Targets)
	}
	// Relationship from the schema list, with its schema name.
	found := false
	for _, r := range acc.Relationships {
		if r.SchemaName == "account_primarycontact" && r.ReferencedTable == "contact" && r.ReferencingColumn == "primarycontactid" {
			found = true
		}
	}
	if !found {
		t.Error("account_primarycontact relationship missing")
	}

	cat2, err := LoadSQL4CDSMetadata(sql4cdsMetadata, "MarkMpn.Sql4Cds.Engine.FetchXml.Tests")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat2.Table("systemuser"); ok {
		t.Error("the FetchXml.Tests schema has no systemuser")
	}
	con2, _ := cat2.Table("contact")
	if _, ok := con2.Column("fullname"); ok || con2.PrimaryName != "" {
		t.Errorf("FetchXml.Tests contact has no fullname attribute: %+v", con2)
	}
	if _, err := LoadSQL4CDSMetadata(sql4cdsMetadata, "nope"); diag.CodeOf(err) != diag.BadMetadataFile || !strings.Contains(err.Error(), "MarkMpn.Sql4Cds.Engine.Tests") {
		t.Errorf("unknown schema: %v", err)
	}
}
