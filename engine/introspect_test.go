package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// checkIntrospected asserts what introspection must find in the sample
// loaded with prefix p.
func checkIntrospected(t *testing.T, cat plan.Catalog, p string) {
	t.Helper()
	tbl := func(name string) *plan.Table {
		t.Helper()
		tb, ok := cat.Table(p + name)
		if !ok {
			t.Fatalf("table %s%s not found", p, name)
		}
		return tb
	}
	for _, name := range []string{"businessunit", "systemuser", "usersettings", "team", "teammembership", "account", "contact", "opportunity"} {
		tb := tbl(name)
		if tb.LogicalName != p+name || tb.PhysicalName != p+name {
			t.Errorf("%s: logical %q physical %q", name, tb.LogicalName, tb.PhysicalName)
		}
	}
	type colWant struct {
		table, col string
		typ        plan.Type
		beh        plan.DateBehavior
		targets    string
	}
	owner := colWant{"account", "ownerid", plan.TUniqueidentifier, plan.UserLocal, ""}
	if p == "" {
		// Dataverse's names: ownerid is an Owner of the users and teams.
		owner = colWant{"account", "ownerid", plan.TOwner, plan.UserLocal, "systemuser,team"}
	}
	for _, w := range []colWant{
		owner,
		{"account", "accountid", plan.TUniqueidentifier, plan.UserLocal, ""},
		{"account", "name", plan.TString, plan.UserLocal, ""},
		{"account", "description", plan.TString, plan.UserLocal, ""},
		{"account", "revenue", plan.TDecimal, plan.UserLocal, ""},
		{"account", "numberofemployees", plan.TInteger, plan.UserLocal, ""},
		{"account", "industrycode", plan.TInteger, plan.UserLocal, ""},
		{"account", "versionnumber", plan.TBigInt, plan.UserLocal, ""},
		{"account", "address1_latitude", plan.TDouble, plan.UserLocal, ""},
		{"account", "donotemail", plan.TBoolean, plan.UserLocal, ""},
		{"account", "createdon", plan.TDateTime, plan.UserLocal, ""},
		{"account", "primarycontactid", plan.TLookup, plan.UserLocal, p + "contact"},
		{"account", "parentaccountid", plan.TLookup, plan.UserLocal, p + "account"},
		{"account", "owningbusinessunit", plan.TLookup, plan.UserLocal, p + "businessunit"},
		{"contact", "birthdate", plan.TDateTime, plan.DateOnly, ""},
		{"contact", "parentcustomerid", plan.TLookup, plan.UserLocal, p + "account"},
		{"teammembership", "teamid", plan.TLookup, plan.UserLocal, p + "team"},
		{"usersettings", "systemuserid", plan.TUniqueidentifier, plan.UserLocal, ""},
		{"systemuser", "isdisabled", plan.TBoolean, plan.UserLocal, ""},
	} {
		c, ok := tbl(w.table).Column(w.col)
		if !ok {
			t.Errorf("%s.%s missing", w.table, w.col)
			continue
		}
		if c.Type != w.typ || c.DateBehavior != w.beh || strings.Join(c.Targets, ",") != w.targets {
			t.Errorf("%s.%s = %s/%s/%v, want %s/%s/%s", w.table, w.col, c.Type, c.DateBehavior, c.Targets, w.typ, w.beh, w.targets)
		}
	}
	// The declared limits written values are checked against.
	acct := tbl("account")
	for _, w := range []struct {
		col                  string
		maxLen, digits, prec int
		hasPrec              bool
	}{
		{"name", 160, 0, 0, false},
		{"accountnumber", 20, 0, 0, false},
		{"description", 0, 0, 0, false}, // TEXT
		{"revenue", 0, 19, 4, true},
		{"numberofemployees", 0, 0, 0, false},
	} {
		c, _ := acct.Column(w.col)
		if c.MaxLength != w.maxLen || c.Digits != w.digits || c.Precision != w.prec || c.HasPrecision != w.hasPrec {
			t.Errorf("account.%s limits: length %d digits %d precision %d/%v, want %d %d %d/%v", w.col, c.MaxLength, c.Digits, c.Precision, c.HasPrecision, w.maxLen, w.digits, w.prec, w.hasPrec)
		}
	}
	for table, pk := range map[string]string{"account": "accountid", "contact": "contactid", "usersettings": "systemuserid", "teammembership": "teammembershipid"} {
		if got := tbl(table).PrimaryKey; got != pk {
			t.Errorf("%s primary key %q, want %q", table, got, pk)
		}
		if c, _ := tbl(table).Column(pk); !c.IsPrimaryKey {
			t.Errorf("%s.%s not flagged primary key", table, pk)
		}
	}
	if got := tbl("account").PrimaryName; got != "name" {
		t.Errorf("account primary name %q", got)
	}
	if got := tbl("contact").PrimaryName; got != "fullname" {
		t.Errorf("contact primary name %q", got)
	}
	for table, col := range map[string]string{"account": "parentaccountid", "systemuser": "parentsystemuserid", "businessunit": "parentbusinessunitid"} {
		h := tbl(table).Hierarchy()
		if h == nil || h.ReferencingColumn != col || h.ReferencedColumn != table+"id" {
			t.Errorf("%s hierarchy: %+v", table, h)
		}
	}
	// contact.parentcustomerid → account, seen from both tables.
	for _, table := range []string{"account", "contact"} {
		found := false
		for _, r := range tbl(table).Relationships {
			if r.ReferencedTable == p+"account" && r.ReferencedColumn == "accountid" && r.ReferencingTable == p+"contact" && r.ReferencingColumn == "parentcustomerid" && !r.Hierarchical {
				found = true
			}
		}
		if !found {
			t.Errorf("%s lacks the contact → account relationship: %+v", table, tbl(table).Relationships)
		}
	}
	// Owner columns have no foreign key: named by Dataverse's convention
	// they relate to the users and teams (not under a prefix, which the
	// names do not carry).
	owners := 0
	for _, r := range tbl("account").Relationships {
		if r.ReferencingColumn == "ownerid" {
			owners++
		}
	}
	if want := map[bool]int{true: 2, false: 0}[p == ""]; owners != want {
		t.Errorf("%d owner relationships, want %d", owners, want)
	}
}

func TestIntrospectSample(t *testing.T) {
	ctx := context.Background()
	db, _, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	checkIntrospected(t, cat, "")
	if got := cat.(plan.MapCatalog); len(got) != 8 {
		t.Errorf("%d tables, want 8", len(got))
	}
}

func TestIntrospectEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, _ plan.Catalog) {
		cat, err := Introspect(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		checkIntrospected(t, cat, testPrefix)
		if db.Dialect != SQLite {
			// Relationship names are the constraint names.
			h := func() *plan.Relationship { tb, _ := cat.Table(testPrefix + "account"); return tb.Hierarchy() }()
			if h == nil || h.SchemaName != testPrefix+"account_parentaccountid_fk" {
				t.Errorf("hierarchy schema name: %+v", h)
			}
		}
	})
}

func TestIntrospectMetadataTable(t *testing.T) {
	ctx := context.Background()
	db, _, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE vecompile_metadata (document TEXT)"); err != nil {
		t.Fatal(err)
	}
	// An empty table changes nothing.
	cat, err := Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := cat.Table("account"); acc == nil || func() plan.Type { c, _ := acc.Column("revenue"); return c.Type }() != plan.TDecimal {
		t.Fatal("empty vecompile_metadata must fall back to introspection")
	}
	if _, ok := cat.Table("vecompile_metadata"); ok {
		t.Error("vecompile_metadata must not be a table of the catalog")
	}
	if _, err := db.SQL.ExecContext(ctx, "INSERT INTO vecompile_metadata VALUES (?)", string(sampleMetadata)); err != nil {
		t.Fatal(err)
	}
	cat, err = Introspect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := cat.Table("account")
	for col, typ := range map[string]plan.Type{"revenue": plan.TMoney, "industrycode": plan.TPicklist, "ownerid": plan.TOwner, "new_tags": plan.TMultiSelectPicklist} {
		if c, _ := acc.Column(col); c == nil || c.Type != typ {
			t.Errorf("account.%s from the document: %+v, want %s", col, c, typ)
		}
	}
	if _, err := db.SQL.ExecContext(ctx, "INSERT INTO vecompile_metadata VALUES ('{}')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Introspect(ctx, db); diag.CodeOf(err) != diag.BadMetadataFile {
		t.Errorf("two documents: %v, want %s", err, diag.BadMetadataFile)
	}
	if _, err := db.SQL.ExecContext(ctx, "DELETE FROM vecompile_metadata; INSERT INTO vecompile_metadata VALUES ('{\"entities\": 5}')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Introspect(ctx, db); diag.CodeOf(err) != diag.BadMetadataFile || !strings.Contains(err.Error(), "vecompile_metadata:1:14") {
		t.Errorf("bad document: %v", err)
	}
}

func TestSQLTypeToPlan(t *testing.T) {
	for decl, want := range map[string]struct {
		typ plan.Type
		beh plan.DateBehavior
	}{
		"uuid":                        {plan.TUniqueidentifier, plan.UserLocal},
		"CHAR(36)":                    {plan.TUniqueidentifier, plan.UserLocal},
		"character(36)":               {plan.TUniqueidentifier, plan.UserLocal},
		"character varying(36)":       {plan.TString, plan.UserLocal},
		"char(10)":                    {plan.TString, plan.UserLocal},
		"tinyint(1)":                  {plan.TBoolean, plan.UserLocal},
		"tinyint(4)":                  {plan.TInteger, plan.UserLocal},
		"boolean":                     {plan.TBoolean, plan.UserLocal},
		"int(11)":                     {plan.TInteger, plan.UserLocal},
		"INTEGER":                     {plan.TInteger, plan.UserLocal},
		"bigint(20)":                  {plan.TBigInt, plan.UserLocal},
		"bigint unsigned":             {plan.TBigInt, plan.UserLocal},
		"numeric(19,4)":               {plan.TDecimal, plan.UserLocal},
		"DECIMAL(23,2)":               {plan.TDecimal, plan.UserLocal},
		"double precision":            {plan.TDouble, plan.UserLocal},
		"REAL":                        {plan.TDouble, plan.UserLocal},
		"date":                        {plan.TDateTime, plan.DateOnly},
		"DATETIME":                    {plan.TDateTime, plan.UserLocal},
		"timestamp without time zone": {plan.TDateTime, plan.UserLocal},
		"timestamp with time zone":    {plan.TDateTime, plan.UserLocal},
		"text":                        {plan.TString, plan.UserLocal},
		"varchar(160)":                {plan.TString, plan.UserLocal},
		"":                            {plan.TUnknown, plan.UserLocal},
		"blob":                        {plan.TUnknown, plan.UserLocal},
	} {
		typ, beh := sqlTypeToPlan(decl)
		if typ != want.typ || beh != want.beh {
			t.Errorf("sqlTypeToPlan(%q) = %s/%s, want %s/%s", decl, typ, beh, want.typ, want.beh)
		}
	}
}
