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
it compiles untyped: names as written, literal types from their form;
all-attributes is "alias".*, identity operators bind the caller's id as :caller
(the --user value when given) and read teams, business unit and reports from
Dataverse's tables; hierarchy operators assume parent<table>id and warn.

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

With Microsoft Entra ID (keys found by discovery, refreshed as Entra rotates them):
  vecompile serve --oidc-issuer https://login.microsoftonline.com/TENANT/v2.0 \
    --entra-tenant TENANT --jwt-audience api://vecompile,APP-ID
`,
	"index advise": `Usage: vecompile index advise [flags] PATH...

Reads queries (FetchXML .xml, QueryExpression .json, OData .odata files with
one request a line, or directories of them), compiles each against the
metadata (--db, --metadata, or the embedded sample's) and prints, per dialect,
the CREATE INDEX statements their SQL can use, each once with the queries that
need it. docs/performance.md says when to create them.

Example:
  vecompile index advise --dialect postgres --user aa000000-0000-4000-8000-000000000009 examples/
`,
	"security init": `Usage: vecompile security init --db DSN [--policy FILE|sample] [--check]

Creates the security tables in the database, adds the columns existing ones
lack (--check lists them and changes nothing) and, with --policy, stores
that model in them.

Example:
  vecompile security init --db sqlite:crm.db --policy sample
`,
	"sample load": `Usage: vecompile sample load --db DSN [--replace]

Loads the embedded sample into a database: its eight tables and rows, its
metadata (in a vecompile_metadata table, so that --db alone types every
column exactly) and its security model (the security tables). A database
that already has one of these tables is refused unless --replace.

Example:
  vecompile sample load --db 'postgres://postgres@127.0.0.1:5432/crm?sslmode=disable'
  vecompile sample load --db 'sqlite:crm.db?create=true'
`,
	"load": `Usage: vecompile load --model model.json --db DSN [--replace]

Loads an export of Azure Synapse Link for Dataverse into a database: a table
per entity of model.json, typed by its attributes' dataType, and the rows of
its CSV partitions (<entity>/*.csv beside model.json) in file order, in one
transaction: a record written again replaces the earlier version, a row with
IsDelete True deletes it. A bad row is an error at file:line:col (VE1021)
and nothing is kept. Tables that exist are refused unless --replace. Query
the result with --metadata model.json.

Example:
  vecompile load --model lake/model.json --db 'sqlite:crm.db?create=true'
  vecompile exec --db sqlite:crm.db --metadata lake/model.json query.xml
`,
	"metadata": `Usage: vecompile metadata --db DSN
       vecompile metadata --metadata FILE

Prints the metadata vecompile infers from the database, in the --metadata
file format: GUID columns (by type, key or lookup name, and values) with
their storage forms, lookups and their targets without foreign keys by
Dataverse's naming (<target>id, parent<table>id as the hierarchy, ownerid,
owningbusinessunit, customerid …), primary names by convention. Correct it
and pass it back with --metadata.

With --metadata FILE, converts the organization's $metadata document (GET
[org]/api/data/v9.2/$metadata) or Synapse Link's model.json to that format,
without GUID storage forms (--db probes them), for you to add what the
document does not carry: choice labels, memo, money, multi-select and
date-only types.

Example:
  vecompile metadata --db sqlite:crm.db > crm.json
  vecompile exec --db sqlite:crm.db --metadata crm.json query.xml
`,
	"security template": `Usage: vecompile security template --db DSN

Prints a starting policy file for the database's tables: its business units
and users (from businessunit and systemuser when present), one role giving
each user their own rows of owned tables and every row of the others, and a
comment on each part saying what to change.

Example:
  vecompile security template --db sqlite:crm.db > policy.json
  vecompile security init --db sqlite:crm.db --policy policy.json
`,
}

// setUsage makes fs's -h print the command's help, then its own flags.
func setUsage(fs *flag.FlagSet, cmd string, stderr io.Writer) {
	fs.Usage = func() {
		fmt.Fprint(stderr, commandHelp[cmd], "\nFlags:\n")
		fs.PrintDefaults()
	}
}
