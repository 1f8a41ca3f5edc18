package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

const cdmModel = `{
  "name": "cdm", "description": "cdm", "version": "1.0",
  "entities": [
    {"$type": "LocalEntity", "name": "account", "annotations": [{"name": "Athena:PartitionGranularity", "value": "Year"}],
     "attributes": [
       {"name": "accountid", "dataType": "guid", "maxLength": -1},
       {"name": "name", "dataType": "string", "maxLength": 160},
       {"name": "revenue", "dataType": "decimal"},
       {"name": "statecode", "dataType": "int64"},
       {"name": "numberofemployees", "dataType": "int32"},
       {"name": "address1_latitude", "dataType": "double"},
       {"name": "donotemail", "dataType": "boolean"},
       {"name": "createdon", "dataType": "dateTime"},
       {"name": "modifiedon", "dataType": "dateTimeOffset"},
       {"name": "new_opened", "dataType": "date"},
       {"name": "ownerid", "dataType": "guid"},
       {"name": "parentaccountid", "dataType": "guid"},
       {"name": "primarycontactid", "dataType": "guid"},
       {"name": "new_mainsiteid", "dataType": "guid"}
     ],
     "partitions": [{"name": "2026", "location": "https://x.dfs.core.windows.net/c/account/2026.csv"}]},
    {"$type": "LocalEntity", "name": "contact",
     "attributes": [{"name": "contactid", "dataType": "guid"}, {"name": "fullname", "dataType": "string"}, {"name": "parentcustomerid", "dataType": "guid"}]},
    {"$type": "LocalEntity", "name": "new_site",
     "attributes": [{"name": "new_siteid", "dataType": "guid"}, {"name": "new_name", "dataType": "string"}]},
    {"$type": "LocalEntity", "name": "systemuser", "attributes": [{"name": "systemuserid", "dataType": "guid"}, {"name": "fullname", "dataType": "string"}]},
    {"$type": "LocalEntity", "name": "team", "attributes": [{"name": "teamid", "dataType": "guid"}, {"name": "name", "dataType": "string"}]}
  ],
  "relationships": [
    {"$type": "SingleKeyRelationship", "name": "account_main_site",
     "fromAttribute": {"entityName": "account", "attributeName": "new_mainsiteid"},
     "toAttribute": {"entityName": "new_site", "attributeName": "new_siteid"}}
  ]
}`

func TestCDMModel(t *testing.T) {
	cat, err := ParseMetadata("model.json", []byte(cdmModel))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table, col string
		typ        plan.Type
		behavior   plan.DateBehavior
		targets    []string
	}{
		{"account", "accountid", plan.TUniqueidentifier, plan.UserLocal, nil},
		{"account", "name", plan.TString, plan.UserLocal, nil},
		{"account", "revenue", plan.TDecimal, plan.UserLocal, nil},
		{"account", "statecode", plan.TBigInt, plan.UserLocal, nil},
		{"account", "numberofemployees", plan.TInteger, plan.UserLocal, nil},
		{"account", "address1_latitude", plan.TDouble, plan.UserLocal, nil},
		{"account", "donotemail", plan.TBoolean, plan.UserLocal, nil},
		{"account", "createdon", plan.TDateTime, plan.UserLocal, nil},
		{"account", "modifiedon", plan.TDateTime, plan.UserLocal, nil},
		{"account", "new_opened", plan.TDateTime, plan.DateOnly, nil},
		{"account", "ownerid", plan.TOwner, plan.UserLocal, []string{"systemuser", "team"}},
		{"account", "parentaccountid", plan.TLookup, plan.UserLocal, []string{"account"}},
		{"account", "primarycontactid", plan.TLookup, plan.UserLocal, []string{"contact"}},
		{"account", "new_mainsiteid", plan.TLookup, plan.UserLocal, []string{"new_site"}}, // from the relationship
		{"contact", "parentcustomerid", plan.TCustomer, plan.UserLocal, []string{"account", "contact"}},
	} {
		c := csdlColumn(t, cat, tc.table, tc.col)
		if c.Type != tc.typ || c.DateBehavior != tc.behavior || !slices.Equal(c.Targets, tc.targets) {
			t.Errorf("%s.%s: %s %s %v, want %s %s %v", tc.table, tc.col, c.Type, c.DateBehavior, c.Targets, tc.typ, tc.behavior, tc.targets)
		}
	}
	acc, _ := cat.Table("account")
	if acc.PrimaryKey != "accountid" || acc.PrimaryName != "name" || acc.EntitySetName != "accounts" {
		t.Errorf("account: key %q name %q set %q", acc.PrimaryKey, acc.PrimaryName, acc.EntitySetName)
	}
	site, _ := cat.Table("new_site")
	if site.PrimaryName != "new_name" {
		t.Errorf("new_site: primary name %q, want new_name", site.PrimaryName)
	}
	if r := relationship(acc, "account_main_site"); r == nil || r.ReferencedTable != "new_site" || r.ReferencingColumn != "new_mainsiteid" {
		t.Errorf("account_main_site: %+v", r)
	}
	hier := false
	for _, r := range acc.Relationships {
		hier = hier || (r.Hierarchical && r.ReferencingColumn == "parentaccountid")
	}
	if !hier {
		t.Error("parentaccountid is not account's hierarchy")
	}
}

// TestMetadataDetection: the three formats are told apart by content.
func TestMetadataDetection(t *testing.T) {
	for _, tc := range []struct{ doc, table string }{
		{`{"version": 1, "entities": [{"logicalName": "x", "attributes": [{"logicalName": "xid", "type": "Uniqueidentifier"}]}]}`, "x"},
		{`{"name": "cdm", "entities": [{"$type": "LocalEntity", "name": "y", "attributes": [{"name": "yid", "dataType": "guid"}]}]}`, "y"},
		{`{"version": "1.0", "entities": []}`, ""},
		{"\ufeff" + csdlEnvelope(`<EntityType Name="z"><Key><PropertyRef Name="zid" /></Key><Property Name="zid" Type="Edm.Guid" /></EntityType>`), "z"},
	} {
		cat, err := ParseMetadata("m", []byte(tc.doc))
		if err != nil {
			t.Errorf("%.40s…: %v", tc.doc, err)
			continue
		}
		if _, ok := cat.Table(tc.table); tc.table != "" && !ok {
			t.Errorf("%.40s…: no table %q", tc.doc, tc.table)
		}
	}
}

func TestCDMModelRefusals(t *testing.T) {
	ent := func(attrs string) string {
		return `{"name": "cdm", "entities": [{"$type": "LocalEntity", "name": "a", "attributes": [{"name": "aid", "dataType": "guid"}` + attrs + `]}]}`
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"data type", ent(`, {"name": "t", "dataType": "time"}`), `model.json:1:146: VE5003 $.entities[0].attributes[1].dataType: unknown dataType "time"`},
		{"no data type", ent(`, {"name": "t"}`), `$.entities[0].attributes[1]: missing "dataType"`},
		{"duplicate attribute", ent(`, {"name": "AID", "dataType": "guid"}`), `duplicate attribute "AID"`},
		{"unknown key", ent(`, {"name": "t", "dataType": "string", "nullable": true}`), `nullable`},
		{"max length", ent(`, {"name": "t", "dataType": "string", "maxLength": "x"}`), `$.entities[0].attributes[1].maxLength`},
		{"reference entity", `{"name": "cdm", "entities": [{"$type": "ReferenceEntity", "name": "a"}]}`, `only LocalEntity`},
		{"no name", `{"name": "cdm", "entities": [{"$type": "LocalEntity", "attributes": []}]}`, `$.entities[0]: missing "name"`},
		{"duplicate entity", `{"name": "cdm", "entities": [{"name": "a"}, {"name": "A"}]}`, `duplicate entity "A"`},
		{"no entities", `{"name": "cdm"}`, `missing "entities"`},
		{"relationship type", `{"name": "cdm", "entities": [], "relationships": [{"$type": "Other"}]}`, `SingleKeyRelationship`},
		{"relationship end", `{"name": "cdm", "entities": [{"name": "a", "attributes": [{"name": "aid", "dataType": "guid"}]}], "relationships": [{"$type": "SingleKeyRelationship", "fromAttribute": {"entityName": "a", "attributeName": "bid"}, "toAttribute": {"entityName": "b", "attributeName": "bid"}}]}`, `"bid" is not an attribute of "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetadata("model.json", []byte(tc.doc))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "VE5003") {
				t.Errorf("error %q, want it to contain %q and VE5003", err, tc.want)
			}
		})
	}
}
