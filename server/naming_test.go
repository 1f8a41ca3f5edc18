package server_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/server"
)

// TestVirtualEntityNaming: a finance and operations style backend table is
// queried, written and described under its Dataverse virtual-entity names;
// SQL uses the backend's names.
func TestVirtualEntityNaming(t *testing.T) {
	ctx := context.Background()
	db, err := engine.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "fo.db")+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE CustCustomerV3Entity (RecGuid CHAR(36) PRIMARY KEY, CustomerAccount VARCHAR(20), dataAreaId VARCHAR(4), OrganizationName VARCHAR(100), CreditLimit DECIMAL(19,4))`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000001', 'US-001', 'usmf', 'Contoso Retail San Diego', 1000)`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000002', 'US-002', 'usmf', 'Forest Wholesales', 2500)`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000003', 'DE-001', 'demf', 'Contoso Europe', 0)`,
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := engine.Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fixture{"fo", db, cat}, func(c *server.Config) {
		c.Naming = server.VirtualEntityProfile()
		c.Users = server.MapDirectory{server.DataverseUser: {managerID: managerID}}
	})
	fx := `<fetch><entity name="mserp_custcustomerv3entity"><attribute name="mserp_customeraccount"/><attribute name="mserp_organizationname"/>
<filter><condition attribute="mserp_dataareaid" operator="eq" value="USMF"/></filter><order attribute="mserp_customeraccount"/></entity></fetch>`
	m := e.do("POST", "/api/ve/v1/RetrieveMultiple", fx).want(t, 200).json(t)
	list := entities(t, m)
	if m["EntityName"] != "mserp_custcustomerv3entity" || len(list) != 2 || attr(list[0], "mserp_customeraccount") != "US-001" ||
		attr(list[1], "mserp_organizationname") != "Forest Wholesales" || list[0]["Id"] != "f0000000-0000-4000-8000-000000000001" {
		t.Errorf("query under virtual-entity names: %v", m)
	}
	// Backend names are not visible on the Dataverse side.
	e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="CustCustomerV3Entity"/></fetch>`).wantError(t, 400, "", "VE2001")
	e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="mserp_custcustomerv3entity"><attribute name="CustomerAccount"/></entity></fetch>`).wantError(t, 400, "", "VE2002")
	// A write under Dataverse names lands in the backend's columns.
	id := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "mserp_custcustomerv3entity",
		"Attributes": map[string]any{"mserp_customeraccount": "US-003", "mserp_dataareaid": "usmf", "mserp_creditlimit": 10.5}}}).want(t, 200).json(t)["id"].(string)
	var acct, company string
	if err := db.SQL.QueryRowContext(ctx, `SELECT CustomerAccount, dataAreaId FROM CustCustomerV3Entity WHERE RecGuid = ?`, id).Scan(&acct, &company); err != nil || acct != "US-003" || company != "usmf" {
		t.Errorf("backend row: %q %q %v", acct, company, err)
	}
	// The catalog and $metadata speak Dataverse names.
	cat2 := e.do("GET", "/api/ve/v1/catalog", nil).want(t, 200).json(t)
	ent := cat2["Entities"].([]any)[0].(map[string]any)
	if ent["LogicalName"] != "mserp_custcustomerv3entity" || ent["PhysicalName"] != "CustCustomerV3Entity" || ent["EntitySetName"] != "mserp_custcustomerv3entities" {
		t.Errorf("catalog: %v", ent)
	}
	m = e.do("GET", "/odata/mserp_custcustomerv3entities?$select=mserp_customeraccount&$top=1", nil).want(t, 200).json(t)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["mserp_customeraccount"] == nil {
		t.Errorf("OData under virtual-entity names: %v", m)
	}
}

// TestCompanyLookup: with the environment's company ids, a company-striped
// entity has the Company lookup mserp_dataareaid_id: read as the company's
// id (EntityReference to cdm_company in the SDK, a GUID in OData), filtered
// by id, and written by id, while the backend keeps the code.
func TestCompanyLookup(t *testing.T) {
	const usmf, demf = "c0c00000-0000-4000-8000-0000000000a1", "c0c00000-0000-4000-8000-0000000000a2"
	ctx := context.Background()
	db, err := engine.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "fo.db")+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE CustCustomerV3Entity (RecGuid CHAR(36) PRIMARY KEY, CustomerAccount VARCHAR(20), dataAreaId VARCHAR(4))`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000001', 'US-001', 'usmf')`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000002', 'US-002', 'USMF')`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000003', 'DE-001', 'demf')`,
		`INSERT INTO CustCustomerV3Entity VALUES ('f0000000-0000-4000-8000-000000000004', 'XX-001', 'zzzz')`,
	} {
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := engine.Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fixture{"fo", db, cat}, func(c *server.Config) {
		c.Naming = server.VirtualEntityProfile()
		c.Naming.Companies = map[string]string{"USMF": usmf, "demf": demf}
		c.Users = server.MapDirectory{server.DataverseUser: {managerID: managerID}}
	})
	fx := `<fetch><entity name="mserp_custcustomerv3entity"><attribute name="mserp_customeraccount"/><attribute name="mserp_dataareaid_id"/>
<filter><condition attribute="mserp_dataareaid_id" operator="eq" value="` + usmf + `"/></filter><order attribute="mserp_customeraccount"/></entity></fetch>`
	list := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fx).want(t, 200).json(t))
	if len(list) != 2 || attr(list[0], "mserp_customeraccount") != "US-001" || attr(list[1], "mserp_customeraccount") != "US-002" {
		t.Fatalf("filter by company id: %v", list)
	}
	ref, _ := attr(list[0], "mserp_dataareaid_id").(map[string]any)
	if ref["Id"] != usmf || ref["LogicalName"] != "cdm_company" {
		t.Errorf("Company lookup value: %v", attr(list[0], "mserp_dataareaid_id"))
	}
	// An unknown id matches nothing; a code the map lacks reads null.
	none := strings.Replace(fx, usmf, "c0c00000-0000-4000-8000-0000000000ff", 1)
	if l := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", none).want(t, 200).json(t)); len(l) != 0 {
		t.Errorf("unknown company id matched %v", l)
	}
	od := e.do("GET", "/odata/mserp_custcustomerv3entities?$select=mserp_customeraccount,_mserp_dataareaid_id_value&$filter=_mserp_dataareaid_id_value%20ne%20"+usmf+"&$orderby=mserp_customeraccount", nil).want(t, 200).json(t)
	vals := od["value"].([]any)
	if len(vals) != 2 || vals[0].(map[string]any)["_mserp_dataareaid_id_value"] != demf || vals[1].(map[string]any)["_mserp_dataareaid_id_value"] != nil {
		t.Errorf("OData Company lookup: %v", vals)
	}
	// A write naming the company by id stores the code.
	id := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "mserp_custcustomerv3entity",
		"Attributes": map[string]any{"mserp_customeraccount": "DE-002", "mserp_dataareaid_id": map[string]any{"Id": demf, "LogicalName": "cdm_company"}}}}).want(t, 200).json(t)["id"].(string)
	var code string
	if err := db.SQL.QueryRowContext(ctx, `SELECT dataAreaId FROM CustCustomerV3Entity WHERE RecGuid = ?`, id).Scan(&code); err != nil || code != "demf" {
		t.Errorf("stored company code %q, %v", code, err)
	}
	e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "mserp_custcustomerv3entity",
		"Attributes": map[string]any{"mserp_dataareaid_id": "c0c00000-0000-4000-8000-0000000000ff"}}}).wantError(t, 400, "", "")
	md := string(e.do("GET", "/odata/$metadata", nil).want(t, 200).body)
	if !strings.Contains(md, `<Property Name="_mserp_dataareaid_id_value" Type="Edm.Guid"/>`) {
		t.Errorf("$metadata lacks the Company lookup")
	}
}
