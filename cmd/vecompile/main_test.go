package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
)

// The CLI's output for each case is compared with testdata/NAME.golden
// (stdout, then stderr and the exit code); -update rewrites them.
func TestCLI(t *testing.T) {
	const user = "--user=aa000000-0000-4000-8000-000000000002"
	sampleDB := "sqlite:" + sampleFile(t)
	cases := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"exec-table", []string{"exec", "../../examples/open-opportunities.xml"}, ""},
		{"exec-json", []string{"exec", "--format", "json", "../../examples/pipeline-by-city.xml"}, ""},
		{"exec-jsonl", []string{"exec", "--format=jsonl", "../../examples/open-opportunities.xml"}, ""},
		{"exec-csv", []string{"exec", "--format=csv", "../../examples/contacts-without-email.xml"}, ""},
		{"exec-user", []string{"exec", user, "--now=2026-03-15T13:20:00Z", "../../examples/my-team-accounts.xml"}, ""},
		{"index-advise-postgres", []string{"index", "advise", "--dialect=postgres", "--metadata=../../engine/sampledata/metadata.json", "testdata/advise"}, ""},
		{"index-advise-sqlite", []string{"index", "advise", "--dialect=sqlite", "--metadata=../../engine/sampledata/metadata.json", "testdata/advise"}, ""},
		{"index-advise-mysql", []string{"index", "advise", "--dialect=mysql", "--metadata=../../engine/sampledata/metadata.json", "testdata/advise"}, ""},
		{"index-advise-sqlserver", []string{"index", "advise", "--dialect=sqlserver", "--metadata=../../engine/sampledata/metadata.json", "testdata/advise"}, ""},
		{"error-index-advise-empty", []string{"index", "advise", "testdata/advise/none"}, ""},
		{"index-advise-by-key", []string{"index", "advise", "--dialect=postgres", "--metadata=../../engine/sampledata/metadata.json", "testdata/advise-bykey"}, ""},
		{"exec-stdin", []string{"exec", "-"}, `<fetch top="2"><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`},
		// Accent-insensitive by default; --accent-sensitive and the accent-sensitive base
		// languages of spec §5.3 (1053 Swedish) make accents significant.
		{"exec-accents", []string{"exec", "--format=csv", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="firstname" operator="eq" value="jose"/></filter></entity></fetch>`},
		{"exec-accent-sensitive", []string{"exec", "--format=csv", "--accent-sensitive", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="firstname" operator="eq" value="jose"/></filter></entity></fetch>`},
		{"sql-base-language", []string{"sql", "--dialect=sqlite", "--base-language=1053", "--metadata=../../engine/sampledata/metadata.json", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="firstname" operator="eq" value="jose"/></filter></entity></fetch>`},
		{"sql-base-language-insensitive", []string{"sql", "--dialect=sqlite", "--base-language=1036", "--metadata=../../engine/sampledata/metadata.json", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="firstname" operator="eq" value="jose"/></filter></entity></fetch>`},
		{"error-base-language", []string{"sql", "--base-language=-1", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="firstname" operator="eq" value="jose"/></filter></entity></fetch>`},
		{"sql-postgres", []string{"sql", "../../examples/open-opportunities.xml"}, ""},
		{"sql-sqlserver", []string{"sql", "--dialect=sqlserver", "../../examples/open-opportunities.xml"}, ""},
		{"sql-mysql-untyped", []string{"sql", "--dialect=mysql", "../../examples/contacts-without-email.xml"}, ""},
		// Untyped: all-attributes is "alias".*, identity operators bind :caller (or the --user
		// value) and read teams, business unit and reports from Dataverse's tables, hierarchy
		// operators assume parent<table>id and warn on standard error.
		{"sql-untyped-all-attributes", []string{"sql", "--dialect=sqlserver", "-"}, `<fetch top="5"><entity name="account"><all-attributes/><link-entity name="contact" from="parentcustomerid" to="accountid" alias="c" link-type="outer"><all-attributes/></link-entity></entity></fetch>`},
		{"sql-untyped-caller", []string{"sql", "--dialect=postgres", "../../examples/my-team-accounts.xml"}, ""},
		{"sql-untyped-user", []string{"sql", "--dialect=mysql", user, "--teams=cc000000-0000-4000-8000-000000000001", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter type="or"><condition attribute="ownerid" operator="eq-useroruserhierarchyandteams"/><condition attribute="owningbusinessunit" operator="eq-businessid"/></filter></entity></fetch>`},
		{"sql-untyped-hierarchy", []string{"sql", "--dialect=sqlite", "-"}, "<fetch>\n<entity name=\"account\"><attribute name=\"name\"/>\n<filter><condition attribute=\"accountid\" operator=\"eq-or-under\" value=\"{ACC00000-0000-4000-8000-000000000001}\"/></filter></entity></fetch>"},
		{"plan-untyped-caller", []string{"plan", "--now=2026-03-15T13:20:00Z", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userteams"/></filter></entity></fetch>`},
		// With security on, untyped mode does not read what security would filter: "alias".*
		// bypasses column security, and the caller context comes from the flags.
		{"error-untyped-all-attributes-secured", []string{"sql", "--policy=sample", user, "-"}, `<fetch><entity name="account"><all-attributes/></entity></fetch>`},
		{"error-untyped-caller-secured", []string{"sql", "--policy=sample", user, "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userteams"/></filter></entity></fetch>`},
		{"sql-sqlite-metadata", []string{"sql", "--dialect=sqlite", "--metadata=../../engine/sampledata/metadata.json", "../../examples/pipeline-by-city.xml"}, ""},
		{"plan-user", []string{"plan", user, "--now=2026-03-15T13:20:00Z", "--timezone=Europe/Paris", "--metadata=../../engine/sampledata/metadata.json", "--businessunit=bb000000-0000-4000-8000-000000000001", "--teams=", "--reports=", "../../examples/my-team-accounts.xml"}, ""},
		// An organization's $metadata document, detected by content, describes the user's database.
		{"exec-db-csdl", []string{"exec", "--db=" + sampleDB, "--metadata=../../testdata/foreign/metadata.xml", "--format=jsonl", "--user={AA000000-0000-4000-8000-000000000005}", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/><condition attribute="accountid" operator="under" value="{ACC00000-0000-4000-8000-000000000001}"/></filter><order attribute="name"/></entity></fetch>`},
		{"metadata-csdl", []string{"metadata", "--metadata=../../testdata/foreign/metadata.xml"}, ""},
		{"error-csdl", []string{"sql", "--metadata=testdata/bad-metadata.xml", "../../examples/open-opportunities.xml"}, ""},
		{"sql-db-dialect", []string{"sql", "--db=" + sampleDB, "../../examples/pipeline-by-city.xml"}, ""},
		{"exec-db-file", []string{"exec", "--db=" + sampleDB, "--format=jsonl", "../../examples/pipeline-by-city.xml"}, ""},
		{"plan-user-language", []string{"plan", user, "--language=1036", "--now=2026-03-15T13:20:00Z", "-"}, `<fetch><entity name="usersettings"><attribute name="systemuserid"/><filter><condition attribute="uilanguageid" operator="eq-userlanguage"/></filter></entity></fetch>`},
		// --formatted: Dataverse's formatted values (choice labels, lookup names with their
		// table, polymorphic owners included, money, numbers and dates in the caller's language
		// and zone from usersettings: John is en-US, Pacific; user 3 is de-DE, W. Europe).
		{"exec-formatted-table", []string{"exec", "--formatted", user, "--odata", "accounts?$select=name,address1_city,ownerid,revenue,industrycode,createdon&$filter=address1_city eq '東京' or name eq 'Contoso Ltd'&$orderby=name"}, ""},
		{"exec-formatted-json", []string{"exec", "--formatted", "--format=json", user, "-"}, `<fetch top="3"><entity name="account"><attribute name="name"/><attribute name="ownerid"/><attribute name="primarycontactid"/><attribute name="new_tags"/><attribute name="statecode"/><attribute name="donotemail"/><attribute name="numberofemployees"/><attribute name="new_contractend"/><filter><condition attribute="accountnumber" operator="in"><value>ACC-0039</value><value>ACC-0001</value><value>ACC-0002</value></condition></filter><order attribute="name"/></entity></fetch>`},
		{"exec-formatted-german", []string{"exec", "--formatted", "--format=jsonl", "--user=aa000000-0000-4000-8000-000000000003", "-"}, `<fetch top="2"><entity name="opportunity"><attribute name="name"/><attribute name="estimatedvalue"/><attribute name="estimatedclosedate"/><attribute name="createdon"/><attribute name="customerid"/><order attribute="estimatedvalue" descending="true"/></entity></fetch>`},
		// CSV and JSONL have no place for morerecords: a note on standard error says so.
		{"exec-formatted-csv-more", []string{"exec", "--formatted", "--format=csv", user, "-"}, `<fetch count="2"><entity name="contact"><attribute name="fullname"/><attribute name="parentcustomerid"/><attribute name="birthdate"/><order attribute="fullname"/></entity></fetch>`},
		{"exec-formatted-distinct", []string{"exec", "--formatted", "--format=json", user, "-"}, `<fetch distinct="true"><entity name="account"><attribute name="address1_city"/><attribute name="ownerid"/><filter><condition attribute="address1_city" operator="in"><value>東京</value><value>Seattle</value><value>seattle</value></condition></filter><order attribute="address1_city"/><order attribute="ownerid"/></entity></fetch>`},
		{"exec-formatted-currency", []string{"exec", "--formatted", "--currency-symbol=€", "--format=csv", user, "--odata", "accounts?$select=name,revenue&$filter=name eq 'Contoso Ltd'"}, ""},
		{"error-currency-without-formatted", []string{"exec", "--currency-symbol=€", "--odata", "accounts?$select=name"}, ""},
		{"exec-jsonl-more", []string{"exec", "--format=jsonl", "-"}, `<fetch count="1"><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`},
		{"error-syntax", []string{"sql", "-"}, "<fetch><entity name=\"account\">\n  <attribute name=\"name\">\n</fetch>"},
		{"error-unknown-column", []string{"exec", "-"}, "<fetch>\n<entity name=\"account\"><attribute name=\"nmae\"/></entity></fetch>"},
		{"error-bad-timezone", []string{"plan", "--timezone=Mars/Olympus", "-"}, "<fetch/>"},
		{"error-bad-dialect", []string{"sql", "--dialect=oracle", "../../examples/open-opportunities.xml"}, ""},
		{"error-missing-file", []string{"sql", "nope.xml"}, ""},
		{"error-no-caller", []string{"exec", "../../examples/my-team-accounts.xml"}, ""},
		// Caller ids that are not GUIDs, and caller parts without --user, are refused
		// (VE5004 at the id in the flag's value), never bound as "" to match nothing.
		{"error-user-not-guid", []string{"exec", "--user=notaguid", "../../examples/my-team-accounts.xml"}, ""},
		{"error-teams-not-guid", []string{"exec", user, "--teams=cc000000-0000-4000-8000-000000000001, team-two", "--businessunit=bu", "../../examples/my-team-accounts.xml"}, ""},
		{"error-teams-without-user", []string{"exec", "--teams=cc000000-0000-4000-8000-000000000001", "../../examples/my-team-accounts.xml"}, ""},
		{"error-untyped-user-not-guid", []string{"sql", "--dialect=postgres", "--user={notaguid}", "../../examples/my-team-accounts.xml"}, ""},
		{"error-untyped-businessunit-without-user", []string{"sql", "--dialect=postgres", "--businessunit=bb000000-0000-4000-8000-000000000001", "../../examples/my-team-accounts.xml"}, ""},
		{"error-convert-user-not-guid", []string{"convert", "--to=odata", "--user=x", "../../examples/my-team-accounts.xml"}, ""},
		{"error-unknown-command", []string{"run"}, ""},
		{"error-bad-dsn", []string{"exec", "--db=oracle://x", "../../examples/open-opportunities.xml"}, ""},
		{"exec-qe", []string{"exec", "../../examples/open-opportunities.json"}, ""},
		{"sql-qe", []string{"sql", "../../examples/open-opportunities.json"}, ""},
		{"plan-qe-stdin", []string{"plan", "--now=2026-03-15T13:20:00Z", "--metadata=../../engine/sampledata/metadata.json", "-"}, `{"EntityName": "account", "ColumnSet": {"Columns": ["name"]}, "Criteria": {"FilterOperator": "Or", "Conditions": [{"AttributeName": "name", "Operator": "BeginsWith", "Values": ["Contoso"]}, {"AttributeName": "numberofemployees", "Operator": "GreaterThan", "Values": [{"Type": "System.Int32", "Value": 1000}]}]}, "Orders": [{"AttributeName": "name"}], "TopCount": 3}`},
		{"exec-query-by-attribute", []string{"exec", "--format=jsonl", "-"}, `{"EntityName": "account", "ColumnSet": {"Columns": ["name"]}, "Attributes": ["address1_city"], "Values": ["Redmond"], "Orders": [{"AttributeName": "name"}]}`},
		{"convert-to-qe", []string{"convert", "--to", "qe", "../../examples/open-opportunities.xml"}, ""},
		{"convert-to-fetchxml", []string{"convert", "--to=fetchxml", "../../examples/open-opportunities.json"}, ""},
		{"convert-stdin", []string{"convert", "--to=qe", "-"}, `<fetch><entity name="contact"><attribute name="fullname"/><filter type="or"><condition attribute="emailaddress1" operator="null"/><condition attribute="lastname" operator="in"><value>Smith</value><value>Chen</value></condition></filter></entity></fetch>`},
		{"error-qe-path", []string{"sql", "-"}, `{"EntityName": "account", "Criteria": {"Conditions": [{"AttributeName": "name", "Operator": "Equal", "Values": ["a"]}, {"AttributeName": "name", "Operator": "Equals", "Values": ["b"]}]}}`},
		{"error-qe-unknown-property", []string{"exec", "-"}, `{"EntityName": "account", "ColumnSet": {"columns": ["name"]}}`},
		{"error-qe-syntax", []string{"plan", "-"}, "{\n  \"EntityName\": \"account\",\n  \"TopCount\": 5,,\n}"},
		{"error-qe-operands", []string{"exec", "-"}, `{"EntityName": "account", "Criteria": {"Conditions": [{"AttributeName": "createdon", "Operator": 33, "Values": []}]}}`},
		{"error-qe-unknown-column", []string{"exec", "-"}, `{"EntityName": "account", "ColumnSet": {"Columns": ["nmae"]}}`},
		{"error-convert-unsupported", []string{"convert", "--to=qe", "-"}, "<fetch useraworderby=\"true\">\n<entity name=\"account\"><attribute name=\"name\"/>\n<filter><condition attribute=\"name\" operator=\"eq\" valueof=\"pc.fullname\"/></filter></entity></fetch>"},
		{"error-convert-odata", []string{"convert", "--to=odata", "-"}, `<fetch><entity name="account"><attribute name="name"/><link-entity name="contact" from="contactid" to="primarycontactid" link-type="matchfirstrowusingcrossapply"><attribute name="fullname"/></link-entity></entity></fetch>`},
		{"convert-odata-owner", []string{"convert", "--to=odata", "../../examples/open-opportunities.xml"}, ""},
		{"convert-odata", []string{"convert", "--to=odata", "../../examples/contacts-without-email.xml"}, ""},
		{"convert-from-odata-fetchxml", []string{"convert", "--to=fetchxml", "--odata", "contacts?$select=fullname&$filter=not (numberofchildren gt 2) and parentcustomerid_account/name eq 'Contoso Ltd'&$orderby=fullname&$top=5"}, ""},
		{"convert-from-odata-qe", []string{"convert", "--to=qe", "--odata", "accounts?$select=name&$filter=contact_customer_accounts/any(c: c/emailaddress1 eq null)&$count=true"}, ""},
		{"error-convert-from-odata", []string{"convert", "--to=fetchxml", "--odata", "accounts?$filter=revenue add 1 gt 5"}, ""},
		{"convert-odata-stdin", []string{"convert", "--to", "odata", "-"}, `<fetch top="3"><entity name="contact"><attribute name="fullname"/><attribute name="parentcustomerid"/><filter type="or"><condition attribute="emailaddress1" operator="null"/><condition attribute="lastname" operator="in"><value>Smith</value><value>O'Neil</value></condition></filter><order attribute="fullname"/></entity></fetch>`},
		{"odata-v4-base", []string{"odata", "--flavor=v4", "--accent-sensitive", "--base", "https://org.example/api/data/v9.2/", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="begins-with" value="Con"/></filter></entity></fetch>`},
		// Under the default accent-insensitive collation a v4 string comparison has no faithful form.
		{"odata-v4-accents", []string{"odata", "--flavor=v4", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="begins-with" value="Con"/></filter></entity></fetch>`},
		{"odata-user-now", []string{"odata", "--user", "aa000000-0000-4000-8000-000000000002", "--now", "2026-03-15T13:20:00Z", "--timezone", "Europe/Paris", "-"}, `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/><condition attribute="createdon" operator="last-x-days" value="7"/></filter></entity></fetch>`},
		{"exec-odata-filter", []string{"exec", "--odata", "accounts?$select=name,address1_city&$filter=contains(name,'o') and not (address1_city eq 'Paris') and contact_customer_accounts/any(x: x/firstname ne null)&$orderby=name desc&$top=4"}, ""},
		{"exec-odata-apply", []string{"exec", "--odata", "opportunities?$apply=filter(statecode eq 0)/groupby((_customerid_value),aggregate($count as n,estimatedvalue with sum as total))&$orderby=total desc&$top=3"}, ""},
		{"exec-odata-plan", []string{"plan", "--now", "2026-03-15T13:20:00Z", "--metadata", "../../engine/sampledata/metadata.json", "--odata", "contacts?$select=fullname&$expand=parentcustomerid_account($select=name)&$filter=parentcustomerid_account/address1_city ne 'Paris'"}, ""},
		{"exec-odata-error-unsupported", []string{"sql", "--odata", "accounts?$filter=revenue add 1 gt 5 or year(createdon) eq 2024&$search=blue"}, ""},
		{"error-odata-v4-refused", []string{"odata", "--flavor=v4", "../../examples/contacts-without-email.xml"}, ""},
		{"error-convert-no-target", []string{"convert", "../../examples/open-opportunities.xml"}, ""},
		{"error-convert-bad-target", []string{"convert", "--to=sql", "../../examples/open-opportunities.xml"}, ""},
		// Flags after the file, as people type them; "--" ends the flags.
		{"flags-after-file", []string{"sql", "../../examples/contacts-without-email.xml", "--dialect", "mysql"}, ""},
		{"error-flags-dashdash", []string{"sql", "--", "../../examples/contacts-without-email.xml", "--dialect=mysql"}, ""},
		{"error-token-no-secret", []string{"token", "--jwt-issuer=dev"}, ""},
		{"error-version-args", []string{"version", "extra"}, ""},
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

// sampleFile writes the sample database to a SQLite file and returns its path.
func sampleFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	ctx := context.Background()
	db, err := engine.Open(ctx, "sqlite:"+path+"?create=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := engine.LoadFixture(ctx, db, ""); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadCommand: vecompile load puts a Synapse Link export in a
// database that exec then answers from with --metadata model.json; a
// second load is refused, a bad row is reported at file:line:col.
func TestLoadCommand(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "lake.db") + "?create=true"
	model := "../../testdata/foreign/synapse/model.json"
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"load", "--model", model, "--db", dsn}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"account: 40 rows (4 files, 43 records read", "1 replaced by a later version, 1 deleted", "loaded 8 tables"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	q := `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="under" value="{ACC00000-0000-4000-8000-000000000001}"/></filter><order attribute="name"/></entity></fetch>`
	if code := run(ctx, []string{"exec", "--db", dsn, "--metadata", model, "--format=csv", "-"}, strings.NewReader(q), &stdout, &stderr); code != 0 {
		t.Fatalf("exec: exit %d: %s", code, stderr.String())
	}
	if want := "name,accountid\nContoso Pharmaceuticals,acc00000-0000-4000-8000-000000000002\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("exec:\n%s\nwant it to begin with\n%s", stdout.String(), want)
	}
	stderr.Reset()
	if code := run(ctx, []string{"load", "--model", model, "--db", dsn}, strings.NewReader(""), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "VE5004") || !strings.Contains(stderr.String(), "--replace") {
		t.Errorf("second load: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"load", "--db", dsn}, strings.NewReader(""), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--model") {
		t.Errorf("no --model: exit %d: %s", code, stderr.String())
	}
}
