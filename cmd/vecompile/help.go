package main

import (
	"flag"
	"fmt"
	"io"
)

// commandHelp is each command's -h text before its flags: what it does and
// an example a person can paste.
var commandHelp = map[string]string{
	"exec": `Usage: vecompile exec [flags] [FILE|-]

Runs a FetchXML or QueryExpression query (or --odata REQUEST) and prints the
rows. Without --db it runs on the embedded sample database.

Examples:
  vecompile exec examples/open-opportunities.xml
  vecompile exec --format json --user aa000000-0000-4000-8000-000000000009 examples/open-opportunities.xml
  vecompile exec --db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' query.xml
`,
	"sql": `Usage: vecompile sql [flags] [FILE|-]

Prints the SQL of a query and its bind parameters. Without --db or --metadata
it compiles untyped: names as written, literal types from their form.

Examples:
  vecompile sql --dialect sqlserver examples/open-opportunities.xml
  vecompile sql --metadata engine/sampledata/metadata.json examples/pipeline-by-city.xml --dialect mysql
`,
	"plan": `Usage: vecompile plan [flags] [FILE|-]

Prints the plan: data sources, joins, order, limits, the caller's context and,
with a principal, each injected security predicate and what produced it.

Example:
  vecompile plan --policy sample --metadata engine/sampledata/metadata.json \
      --user aa000000-0000-4000-8000-000000000009 examples/open-opportunities.xml
`,
	"convert": `Usage: vecompile convert --to qe|fetchxml|odata [flags] [FILE|-]

Prints the query in another language: QueryExpression JSON, FetchXML, or a Web
API (OData v4) request URL. What the target cannot carry is an error at its
position, never dropped.

Examples:
  vecompile convert --to qe examples/open-opportunities.xml
  vecompile convert --to fetchxml --odata "contacts?\$filter=not (numberofchildren gt 2)&\$top=5"
`,
	"odata": `Usage: vecompile odata [flags] [FILE|-]

Prints a Web API (OData v4) request URL for a FetchXML or QueryExpression
query (the same as 'vecompile convert --to odata').

Example:
  vecompile odata --flavor v4 --base https://org.example/api/data/v9.2/ examples/contacts-without-email.xml
`,
	"serve": `Usage: vecompile serve [flags]

Runs the adapter server: the virtual-entity SDK methods and an OData v4
endpoint, every request run as the mapped user. Without --db it serves the
embedded sample, secured by the sample's model.

Example:
  head -c 48 /dev/urandom | base64 > secret
  vecompile serve --jwt-secret-file secret --jwt-issuer dev --jwt-audience api://vecompile
`,
	"security init": `Usage: vecompile security init --db DSN [--policy FILE|sample]

Creates the security tables in the database and, with --policy, stores that
model in them.

Example:
  vecompile security init --db sqlite:crm.db --policy sample
`,
}

// setUsage makes fs's -h print the command's help, then its own flags.
func setUsage(fs *flag.FlagSet, cmd string, stderr io.Writer) {
	fs.Usage = func() {
		fmt.Fprint(stderr, commandHelp[cmd], "\nFlags:\n")
		fs.PrintDefaults()
	}
}
