package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

const schemaHeader = `-- vecompile sample schema for SQLite, generated from metadata.json by
-- engine.SchemaSQL("sqlite", ""); PostgreSQL and MariaDB variants come from
-- engine.SchemaSQL("postgres" | "mysql", prefix). Regenerate with
-- go test ./engine -run TestSampleSchemaFile -update.

`

// schema.sql is documentation generated from metadata.json: keep it in sync.
func TestSampleSchemaFile(t *testing.T) {
	ddl, err := SchemaSQL(SQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(schemaHeader + ddl)
	path := filepath.Join("sampledata", "schema.sql")
	if *testkit.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("sampledata/schema.sql is stale: go test ./engine -run TestSampleSchemaFile -update")
	}
}

func TestSchemaSQLDialects(t *testing.T) {
	for dialect, wants := range map[string][]string{
		Postgres: {`CREATE TABLE "p_account"`, `"accountid" UUID NOT NULL PRIMARY KEY`, `"createdon" TIMESTAMP`, `"birthdate" DATE`, `"donotemail" BOOLEAN`, `"revenue" DECIMAL(19,4)`,
			`ALTER TABLE "p_account" ADD CONSTRAINT "p_account_parentaccountid_fk" FOREIGN KEY ("parentaccountid") REFERENCES "p_account" ("accountid")`},
		MySQL: {"CREATE TABLE `p_account`", "`accountid` CHAR(36) NOT NULL PRIMARY KEY", "`createdon` DATETIME", "`donotemail` TINYINT(1)", "`address1_latitude` DOUBLE,",
			"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", "FOREIGN KEY (`teamid`) REFERENCES `p_team` (`teamid`)"},
		SQLite: {`"accountid" CHAR(36) NOT NULL PRIMARY KEY`, `"createdon" DATETIME`, `"donotemail" BOOLEAN`, `FOREIGN KEY ("primarycontactid") REFERENCES "p_contact" ("contactid")`},
	} {
		ddl, err := SchemaSQL(dialect, "p_")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(ddl, w) {
				t.Errorf("%s DDL lacks %s", dialect, w)
			}
		}
		// Polymorphic owner lookups have no foreign key.
		if strings.Contains(ddl, "ownerid") && regexp.MustCompile(`FOREIGN KEY \(.ownerid.\)`).MatchString(ddl) {
			t.Errorf("%s DDL has a foreign key on ownerid", dialect)
		}
	}
	if _, err := SchemaSQL("oracle", ""); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("unknown dialect: %v", err)
	}
	if _, err := SchemaSQL(SQLite, "x; DROP"); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("bad prefix: %v", err)
	}
}

func count(t *testing.T, db *DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.SQL.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var systemRequired = map[string]bool{"name": true, "fullname": true, "lastname": true, "createdon": true, "ownerid": true,
	"owningbusinessunit": true, "statecode": true, "statuscode": true, "versionnumber": true}

func TestSampleContents(t *testing.T) {
	ctx := context.Background()
	db, cat, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for table, want := range map[string]int64{"businessunit": 3, "systemuser": 10, "usersettings": 10, "team": 4, "teammembership": 14, "account": 40, "contact": 60, "opportunity": 80} {
		if got := count(t, db, "SELECT count(*) FROM "+table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	guidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	dtRE := regexp.MustCompile(`^202[4-7]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$`)
	dateRE := regexp.MustCompile(`^(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]$`)
	mcat := cat.(plan.MapCatalog)
	for _, tb := range mcat {
		for _, c := range tb.Columns {
			var vals []any
			r, err := db.Query(ctx, &sqlemit.Statement{SQL: fmt.Sprintf("SELECT CAST(%s AS TEXT) FROM %s", c.PhysicalName, tb.PhysicalName)})
			if err != nil {
				t.Fatal(err)
			}
			nulls := 0
			for _, row := range r.Rows {
				vals = append(vals, row[0].Value)
				if row[0].Value == nil {
					nulls++
				}
			}
			if c.IsPrimaryKey && nulls > 0 {
				t.Errorf("%s.%s: null primary key", tb.LogicalName, c.LogicalName)
			}
			// Business columns of the main tables all hold some NULLs;
			// system-required ones (as in Dataverse) none.
			switch tb.LogicalName {
			case "account", "contact", "opportunity":
				if c.IsPrimaryKey || systemRequired[c.LogicalName] {
					break
				}
				if nulls == 0 {
					t.Errorf("%s.%s holds no NULL", tb.LogicalName, c.LogicalName)
				}
			}
			for _, v := range vals {
				if v == nil {
					continue
				}
				s := fmt.Sprint(v)
				switch {
				case c.Type.Kind() == plan.KGuid && !guidRE.MatchString(s):
					t.Errorf("%s.%s: %q is not a lower-case canonical GUID", tb.LogicalName, c.LogicalName, s)
				case c.Type == plan.TDateTime && c.DateBehavior != plan.DateOnly && !dtRE.MatchString(s):
					t.Errorf("%s.%s: %q is not a 2024–2027 'YYYY-MM-DD HH:MM:SS' datetime", tb.LogicalName, c.LogicalName, s)
				case c.Type == plan.TDateTime && c.DateBehavior == plan.DateOnly && !dateRE.MatchString(s):
					t.Errorf("%s.%s: %q is not a 'YYYY-MM-DD' date", tb.LogicalName, c.LogicalName, s)
				}
			}
			// Lookups point at existing rows of a target.
			if len(c.Targets) > 0 {
				var union []string
				for _, target := range c.Targets {
					tt, _ := cat.Table(target)
					union = append(union, fmt.Sprintf("SELECT %s FROM %s", tt.PrimaryKey, tt.PhysicalName))
				}
				q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL AND %s NOT IN (%s)", tb.PhysicalName, c.PhysicalName, c.PhysicalName, strings.Join(union, " UNION ALL "))
				if n := count(t, db, q); n != 0 {
					t.Errorf("%s.%s: %d dangling references", tb.LogicalName, c.LogicalName, n)
				}
			}
		}
	}
	for _, name := range []string{"Café Ünïcode", "100% Natural", "A_B Corp", "[Brackets] Ltd", "lowercase llc", "Contoso Ltd"} {
		if count(t, db, "SELECT count(*) FROM account WHERE name = ?", name) != 1 {
			t.Errorf("no account %q", name)
		}
	}
	if count(t, db, "SELECT count(*) FROM account WHERE parentaccountid = ?", SampleParentAccountID) != 2 ||
		count(t, db, "SELECT count(*) FROM account a JOIN account p ON a.parentaccountid = p.accountid WHERE p.parentaccountid = ?", SampleParentAccountID) != 1 {
		t.Error("Contoso Ltd is not a three-level hierarchy")
	}
	for _, year := range []string{"2024", "2025", "2026", "2027"} {
		if count(t, db, "SELECT count(*) FROM opportunity WHERE substr(createdon, 1, 4) = ?", year) == 0 {
			t.Errorf("no opportunity created in %s", year)
		}
	}
	if count(t, db, "SELECT count(*) FROM account WHERE new_tags LIKE '%,%'") == 0 {
		t.Error("no multi-value new_tags")
	}
	if count(t, db, "SELECT count(*) FROM systemuser WHERE isdisabled = 1") != 1 {
		t.Error("want exactly one disabled user")
	}
}

// data.sql is portable SQL: it runs as written in SQLite after schema.sql,
// giving the same rows LoadFixture loads.
func TestSampleFilesRunVerbatim(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema, err := os.ReadFile(filepath.Join("sampledata", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, string(schema)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, string(sampleData)); err != nil {
		t.Fatal(err)
	}
	sample, _, err := OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sample.Close()
	for _, table := range []string{"account", "contact", "opportunity", "systemuser"} {
		q := &sqlemit.Statement{SQL: "SELECT * FROM " + table + " ORDER BY 1"}
		a, err := db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sample.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ja, jb bytes.Buffer
		Write(&ja, a, "jsonl")
		Write(&jb, b, "jsonl")
		if ja.String() != jb.String() {
			t.Errorf("%s: data.sql run verbatim differs from LoadFixture", table)
		}
	}
}

func TestLoadFixtureTwiceAndPrefix(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 2; i++ {
		cat, err := LoadFixture(ctx, db, "t_")
		if err != nil {
			t.Fatalf("load %d: %v", i+1, err)
		}
		acc, _ := cat.Table("account")
		if acc.PhysicalName != "t_account" || acc.LogicalName != "account" {
			t.Errorf("prefixed table: %+v", acc)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM t_account"); n != 40 {
		t.Errorf("%d accounts after loading twice", n)
	}
	if _, err := LoadFixture(ctx, db, "bad-prefix"); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("bad prefix: %v", err)
	}
	cat, err := SampleCatalog("x_")
	if err != nil {
		t.Fatal(err)
	}
	if tb, _ := cat.Table("opportunity"); tb.PhysicalName != "x_opportunity" {
		t.Errorf("SampleCatalog prefix: %q", tb.PhysicalName)
	}
}

func TestParseDataSQLErrors(t *testing.T) {
	for _, src := range []string{
		"INSERT account (a) VALUES (1);",
		"INSERT INTO account (a VALUES (1);",
		"INSERT INTO account (a) VALUES (1, 2);",
		"INSERT INTO account (a) VALUES ('x);",
		"INSERT INTO account (a) VALUES (1)",
		"INSERT INTO account (a) VALUES (x);",
	} {
		if _, err := parseDataSQL([]byte(src)); err == nil {
			t.Errorf("parseDataSQL(%q) succeeded", src)
		}
	}
	ins, err := parseDataSQL([]byte("-- c\nINSERT INTO t (a, b, c, d) VALUES ('it''s', -1.50, NULL, true), ('', 2, FALSE, 'x');"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]dataLit{{{'s', "it's"}, {'n', "-1.50"}, {'z', ""}, {'b', "TRUE"}}, {{'s', ""}, {'n', "2"}, {'b', "FALSE"}, {'s', "x"}}}
	if fmt.Sprint(ins[0].rows) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", ins[0].rows, want)
	}
}
