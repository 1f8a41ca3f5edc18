package vecompile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/security"
)

// TestFormattedExec: exec --formatted's library path on SQLite,
// PostgreSQL and MariaDB (the sample loaded into each) prints exactly what
// the CLI's golden holds for the embedded sample: labels, lookup names
// with their tables (a team owner among them), money, numbers and dates
// for the caller's language and zone, read with the caller's security.
func TestFormattedExec(t *testing.T) {
	ctx := context.Background()
	const john = "aa000000-0000-4000-8000-000000000002" // as the CLI's --user: the caller and the principal
	cases := []struct{ golden, fetch string }{
		{"exec-formatted-json", `<fetch top="3"><entity name="account"><attribute name="name"/><attribute name="ownerid"/><attribute name="primarycontactid"/><attribute name="new_tags"/><attribute name="statecode"/><attribute name="donotemail"/><attribute name="numberofemployees"/><attribute name="new_contractend"/><filter><condition attribute="accountnumber" operator="in"><value>ACC-0039</value><value>ACC-0001</value><value>ACC-0002</value></condition></filter><order attribute="name"/></entity></fetch>`},
		// distinct: the names follow the grouped lookup values.
		{"exec-formatted-distinct", `<fetch distinct="true"><entity name="account"><attribute name="address1_city"/><attribute name="ownerid"/><filter><condition attribute="address1_city" operator="in"><value>東京</value><value>Seattle</value><value>seattle</value></condition></filter><order attribute="address1_city"/><order attribute="ownerid"/></entity></fetch>`},
	}
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "crm.db") + "?create=true"}
	for k, v := range ownEngineDatabases(t, "vcformat") {
		dsns[k] = v
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			db, err := engine.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			err = engine.LoadSample(ctx, db, false)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			c, err := vecompile.Open(ctx, vecompile.Config{DSN: dsn, UserID: john, Formatted: true, LanguageID: 1033,
				Security: vecompile.SecurityConfig{Principal: security.Principal{UserID: john}}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, tc := range cases {
				golden, err := os.ReadFile("cmd/vecompile/testdata/" + tc.golden + ".golden")
				if err != nil {
					t.Fatal(err)
				}
				want, _, _ := strings.Cut(string(golden), "--- stderr")
				q, err := c.Parse("query.xml", []byte(tc.fetch))
				if err != nil {
					t.Fatal(err)
				}
				p, err := c.Plan(q)
				if err != nil {
					t.Fatal(err)
				}
				res, err := c.Exec(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := engine.Write(&b, res, "json"); err != nil {
					t.Fatal(err)
				}
				if b.String() != want {
					t.Errorf("%s: got\n%s\nwant\n%s", tc.golden, b.String(), want)
				}
			}
		})
	}
}
