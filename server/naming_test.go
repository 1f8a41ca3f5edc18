package server_test

import (
	"context"
	"path/filepath"
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
