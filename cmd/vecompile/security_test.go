package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// TestSecurityCLI: exec, sql and plan as principals of the sample's model,
// and security init on a database file (testdata/security-*.golden).
func TestSecurityCLI(t *testing.T) {
	const (
		john  = "--user=aa000000-0000-4000-8000-000000000002"
		priya = "--user=aa000000-0000-4000-8000-000000000004"
		kenji = "--user=aa000000-0000-4000-8000-000000000006"
		meta  = "--metadata=../../engine/sampledata/metadata.json"
		now   = "--now=2026-03-15T13:20:00Z"
	)
	accounts := `<fetch><entity name="account"><attribute name="name"/><attribute name="revenue"/><attribute name="ownerid"/><order attribute="name"/></entity></fetch>`
	linked := `<fetch><entity name="account"><attribute name="name"/><attribute name="revenue"/>
<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/><attribute name="birthdate"/></link-entity>
<link-entity name="opportunity" from="customerid" to="accountid" link-type="exists"><filter><condition attribute="statecode" operator="eq" value="0"/></filter></link-entity>
<filter><condition attribute="revenue" operator="gt" value="100"/></filter></entity></fetch>`
	db := "--db=sqlite:" + sampleFile(t)
	cases := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"security-exec-salesperson", []string{"exec", priya, "-"}, accounts},
		{"security-exec-manager", []string{"exec", john, "-"}, accounts},
		{"security-plan-manager", []string{"plan", john, now, meta, "--policy=sample", "-"}, linked},
		{"security-sql-salesperson", []string{"sql", priya, now, meta, "--policy=sample", "-"}, linked},
		{"security-exec-portal", []string{"exec", "--portal-contact=c0000000-0000-4000-8000-000000000001", "-"}, `<fetch top="3"><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`},
		{"security-exec-anonymous", []string{"exec", "--anonymous", "--format=jsonl", "-"}, `<fetch aggregate="true"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>`},
		{"security-error-portal-admin", []string{"exec", "--portal-contact=c0000000-0000-4000-8000-000000000002", "-"}, accounts},
		{"security-error-no-privilege", []string{"exec", kenji, "-"}, `<fetch><entity name="contact"><attribute name="fullname"/></entity></fetch>`},
		{"security-error-two-principals", []string{"exec", john, "--anonymous", "-"}, accounts},
		{"security-error-groups-anonymous", []string{"exec", "--anonymous", "--groups=6a000000-0000-4000-8000-000000000001", "-"}, accounts},
		{"security-sql-off", []string{"sql", john, "-"}, accounts},
		{"security-init-schema", []string{"security", "init", "--print-schema=postgres"}, ""},
		{"security-init-db", []string{"security", "init", db, "--policy=sample"}, ""},
		// After init the database holds the model: --user runs secured from the tables.
		{"security-exec-db-tables", []string{"exec", db, priya, "--format=csv", "-"}, accounts},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
			got := stdout.String() + "--- stderr (exit " + string(rune('0'+code)) + ")\n" + stderr.String()
			testkit.Golden(t, filepath.Join("testdata", tc.name+".golden"), []byte(got))
		})
	}
}

// TestSecurityInitMissingColumns: a Dataverse-shaped systemuser without
// isdisabled is listed by --check (nothing changes), completed by init,
// and the model then loads from the tables.
func TestSecurityInitMissingColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := engine.Open(ctx, "sqlite:"+path+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE businessunit (businessunitid TEXT PRIMARY KEY, name TEXT, parentbusinessunitid TEXT);
CREATE TABLE systemuser (systemuserid TEXT PRIMARY KEY, fullname TEXT, businessunitid TEXT, parentsystemuserid TEXT);
INSERT INTO businessunit VALUES ('bb000000-0000-4000-8000-0000000000ff', 'Their unit', NULL);
INSERT INTO systemuser VALUES ('aa000000-0000-4000-8000-0000000000ff', 'Their user', 'bb000000-0000-4000-8000-0000000000ff', NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cli := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, append(args, "--db=sqlite:"+path), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := cli("security", "init", "--check"); code != 1 || out != "missing column: systemuser.isdisabled BOOLEAN\n" {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	if code, out := cli("security", "init", "--check"); code != 1 || !strings.Contains(out, "isdisabled") {
		t.Fatalf("check changed the table: exit %d\n%s", code, out)
	}
	if code, out := cli("security", "init", "--policy=sample"); code != 0 || !strings.HasPrefix(out, "added column: systemuser.isdisabled BOOLEAN\nsecurity tables ready") {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	if code, out := cli("security", "init", "--check"); code != 0 || out != "security tables: no column missing\n" {
		t.Fatalf("check after init: exit %d\n%s", code, out)
	}
	db, err = engine.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := engine.LoadSecurity(ctx, db, ""); err != nil || !ok {
		t.Fatalf("the model does not load after init: %v %v", ok, err)
	}
}

// TestSecurityTemplate: the template of the sample's database compiles as
// it is, and a user run under it reads exactly the rows they own.
func TestSecurityTemplate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := engine.Open(ctx, "sqlite:"+path+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.LoadFixtureForm(ctx, db, "", engine.FixtureForm{Guid: plan.GuidUpper, NoForeignKeys: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"security", "template", "--db=sqlite:" + path}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	c, err := security.ParsePolicy("template.json", stdout.Bytes())
	if err != nil {
		t.Fatalf("the template does not compile: %v\n%s", err, stdout.String())
	}
	m := c.Model()
	if len(m.Users) != 10 || len(m.BusinessUnits) != 3 || m.Comment == "" || len(m.Roles) != 1 {
		t.Errorf("template: %d users, %d units, %d roles", len(m.Users), len(m.BusinessUnits), len(m.Roles))
	}
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	code := run(ctx, []string{"exec", "--db=sqlite:" + path, "--policy=" + policy, "--user=" + engine.SampleRepID, "--format=csv", "-"},
		strings.NewReader(`<fetch><entity name="account"><attribute name="name"/><attribute name="ownerid"/><order attribute="name"/></entity></fetch>`), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exec under the template: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 5 { // header and Sam Taylor's four accounts
		t.Errorf("the rep reads %d rows under the template, want 4:\n%s", len(lines)-1, stdout.String())
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, engine.SampleRepID) {
			t.Errorf("a row the rep does not own: %s", l)
		}
	}
}

// TestMetadataCommand: vecompile metadata prints the inferred catalog as a
// metadata file that --metadata reads back.
func TestMetadataCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"metadata", "--db=sqlite:" + sampleFile(t)}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	cat, err := engine.ParseMetadata("inferred.json", stdout.Bytes())
	if err != nil {
		t.Fatalf("the output does not read back: %v", err)
	}
	tb, ok := cat.Table("account")
	if !ok || tb.Hierarchy() == nil {
		t.Fatalf("account or its hierarchy missing from\n%s", stdout.String())
	}
	if c, _ := tb.Column("ownerid"); c.Type != plan.TOwner || !c.GuidDeclared {
		t.Errorf("account.ownerid: %s, storage declared %v", c.Type, c.GuidDeclared)
	}
	var stderr2 bytes.Buffer
	if code := run(context.Background(), []string{"metadata"}, strings.NewReader(""), &stdout, &stderr2); code == 0 || !strings.Contains(stderr2.String(), "VE5004") {
		t.Errorf("metadata without --db: exit %d: %s", code, stderr2.String())
	}
}

// TestSampleLoadCommand: vecompile sample load fills an SQLite file that
// exec then reads, secured, with --db alone; a second load is refused.
func TestSampleLoadCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crm.db")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"sample", "load", "--db=sqlite:" + path + "?create=true"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"sample", "load", "--db=sqlite:" + path}, strings.NewReader(""), &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "--replace") {
		t.Errorf("second load: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	const q = `<fetch><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`
	code := run(ctx, []string{"exec", "--db=sqlite:" + path, "--user=" + engine.SampleRepID, "--format=csv", "-"}, strings.NewReader(q), &stdout, &stderr)
	var sample bytes.Buffer
	run(ctx, []string{"exec", "--user=" + engine.SampleRepID, "--format=csv", "-"}, strings.NewReader(q), &sample, &stderr)
	if code != 0 || stdout.String() != sample.String() || strings.Count(stdout.String(), "\n") < 2 {
		t.Errorf("exec as the rep on the loaded file: exit %d:\n%s\nthe embedded sample:\n%s%s", code, stdout.String(), sample.String(), stderr.String())
	}
}
