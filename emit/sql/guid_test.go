package sql

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// guidCatalog is account(accountid) and contact(contactid,
// parentcustomerid → account) with the given storage forms.
func guidCatalog(account, contact plan.GuidStorage) plan.MapCatalog {
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier, Guid: account},
		{LogicalName: "name", Type: plan.TString},
	}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "contact", PrimaryKey: "contactid", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier, Guid: contact},
		{LogicalName: "parentcustomerid", Type: plan.TLookup, Targets: []string{"account"}, Guid: contact},
	}}))
	return cat
}

func emitGuid(t *testing.T, cat plan.Catalog, fetch string, d Dialect) (*Statement, error) {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(fetch)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	return Emit(p, d)
}

// TestGuidStorageValues: a value is bound in the column's form, and only a
// column holding both cases is lowered.
func TestGuidStorageValues(t *testing.T) {
	const fetch = `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="in"><value>{ACC00000-0000-4000-8000-00000000000A}</value><value>acc00000-0000-4000-8000-00000000000b</value></condition></filter></entity></fetch>`
	for _, tc := range []struct {
		form plan.GuidStorage
		d    Dialect
		sql  string
		arg  any
	}{
		{plan.GuidLower, SQLite, `WHERE "account"."accountid" IN (?1, ?2)`, "acc00000-0000-4000-8000-00000000000a"},
		{plan.GuidUpper, SQLite, `WHERE "account"."accountid" IN (?1, ?2)`, "ACC00000-0000-4000-8000-00000000000A"},
		{plan.GuidAnyCase, SQLite, `WHERE "account"."accountid" COLLATE NOCASE IN (?1, ?2)`, "acc00000-0000-4000-8000-00000000000a"},
		{plan.GuidAnyCase, SQLServer, `WHERE [account].[accountid] IN (@p1, @p2)`, "acc00000-0000-4000-8000-00000000000a"},
		{plan.GuidNative, Postgres, `WHERE "account"."accountid" IN ($1, $2)`, "acc00000-0000-4000-8000-00000000000a"},
		{plan.GuidBinary, MySQL, "WHERE `account`.`accountid` IN (?, ?)", []byte{0xac, 0xc0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x0a}},
	} {
		st, err := emitGuid(t, guidCatalog(tc.form, tc.form), fetch, tc.d)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.form, tc.d.Name(), err)
		}
		if !strings.Contains(st.SQL, tc.sql) {
			t.Errorf("%s %s: want %s in\n%s", tc.form, tc.d.Name(), tc.sql, st.SQL)
		}
		got, want := formatArg(st.Args[0]), formatArg(tc.arg)
		if b, ok := tc.arg.([]byte); ok && !bytes.Equal(st.Args[0].([]byte), b) || got != want {
			t.Errorf("%s %s: first argument %s, want %s", tc.form, tc.d.Name(), got, want)
		}
	}
}

// TestGuidStorageJoins: columns of one form join as stored (their indexes
// serve the join); different forms meet in canonical text, or in bytes
// when one side is binary.
func TestGuidStorageJoins(t *testing.T) {
	const fetch = `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid"><attribute name="name"/></link-entity></entity></fetch>`
	for _, tc := range []struct {
		account, contact plan.GuidStorage
		d                Dialect
		on               string // "" : an error
	}{
		{plan.GuidUpper, plan.GuidUpper, SQLite, `ON "account1"."accountid" = "contact"."parentcustomerid"`},
		{plan.GuidBinary, plan.GuidBinary, MySQL, "ON `account1`.`accountid` = `contact`.`parentcustomerid`"},
		{plan.GuidAnyCase, plan.GuidAnyCase, SQLite, `ON "account1"."accountid" COLLATE NOCASE = "contact"."parentcustomerid" COLLATE NOCASE`},
		{plan.GuidLower, plan.GuidUpper, Postgres, `ON "account1"."accountid" = LOWER("contact"."parentcustomerid")`},
		{plan.GuidNative, plan.GuidUpper, Postgres, `ON CAST("account1"."accountid" AS CHAR(36)) = LOWER("contact"."parentcustomerid")`},
		{plan.GuidNative, plan.GuidUpper, SQLServer, `ON [account1].[accountid] = [contact].[parentcustomerid]`},
		{plan.GuidBinary, plan.GuidUpper, SQLite, `ON "account1"."accountid" = UNHEX(REPLACE("contact"."parentcustomerid", '-', ''))`},
		{plan.GuidBinary, plan.GuidUpper, Postgres, ""},
	} {
		st, err := emitGuid(t, guidCatalog(tc.account, tc.contact), fetch, tc.d)
		switch {
		case tc.on == "":
			if diag.CodeOf(err) != diag.DialectUnsupported {
				t.Errorf("%s/%s %s: want %s, got %v", tc.account, tc.contact, tc.d.Name(), diag.DialectUnsupported, err)
			}
		case err != nil:
			t.Errorf("%s/%s %s: %v", tc.account, tc.contact, tc.d.Name(), err)
		case !strings.Contains(st.SQL, tc.on):
			t.Errorf("%s/%s %s: want %s in\n%s", tc.account, tc.contact, tc.d.Name(), tc.on, st.SQL)
		}
	}
}

// TestGuidStorageSort: a GUID column holding both cases sorts and groups by
// its lower case, so that one GUID's spellings are one value.
func TestGuidStorageSort(t *testing.T) {
	cat := guidCatalog(plan.GuidAnyCase, plan.GuidAnyCase)
	st, err := emitGuid(t, cat, `<fetch><entity name="contact"><attribute name="contactid"/><order attribute="contactid" descending="true"/></entity></fetch>`, Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(st.SQL, `ORDER BY LOWER("contact"."contactid") DESC`) {
		t.Errorf("sort by the lower case:\n%s", st.SQL)
	}
	st, err = emitGuid(t, cat, `<fetch aggregate="true"><entity name="contact"><attribute name="parentcustomerid" alias="p" groupby="true"/><attribute name="contactid" alias="n" aggregate="count"/></entity></fetch>`, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.SQL, `MIN("contact"."parentcustomerid")`) || !strings.Contains(st.SQL, `GROUP BY `+FoldFunctionName+`("contact"."parentcustomerid")`) {
		t.Errorf("group by the folding:\n%s", st.SQL)
	}
}
