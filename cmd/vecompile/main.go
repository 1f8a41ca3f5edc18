// Command vecompile compiles Dataverse queries to SQL and runs them.
//
//	vecompile exec [--db DSN] [--format table|json|jsonl|csv] [--now RFC3339] [--timezone IANA] [--user GUID] [FILE|-]
//	vecompile sql  [--dialect postgres|sqlite|mysql|sqlserver] [--db DSN | --metadata FILE] [FILE|-]
//	vecompile plan [--db DSN | --metadata FILE] [FILE|-]
//	vecompile convert --to qe|fetchxml [FILE|-]
//	vecompile convert --to odata [--flavor dataverse|v4] [--base URL] [--db DSN | --metadata FILE] [FILE|-]
//	vecompile odata [--flavor dataverse|v4] [--base URL] [--db DSN | --metadata FILE] [FILE|-]
//	vecompile security init --db DSN [--policy FILE]
//	vecompile index advise [--dialect LIST] [--db DSN | --metadata FILE] PATH...
//
// exec, sql and plan run as a principal with --user, --portal-contact or
// --anonymous once a security model exists (--policy, or security tables).
//
// Every command reads FetchXML or QueryExpression JSON (detected from the
// content).
//
// It turns flags into library calls and nothing more; see package vecompile.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/emit/odata"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

const usage = `vecompile compiles Dataverse FetchXML and QueryExpression to SQL and runs them with Dataverse's semantics.

Usage:
  vecompile exec [flags] [FILE|-]   run the query (default: the embedded sample database)
  vecompile sql  [flags] [FILE|-]   print the SQL and its parameters
  vecompile plan [flags] [FILE|-]   print the plan (an EXPLAIN for FetchXML)
  vecompile convert --to qe|fetchxml [FILE|-]
                                    print the query in the other language
  vecompile convert --to odata [FILE|-]   (or: vecompile odata)
                                    print a Web API (OData v4) request URL
  vecompile serve [flags]           run the adapter server (virtual-entity methods, OData v4)
  vecompile security init --db DSN [--policy FILE] [--check]
                                    create the security tables (and store a policy file's model)
  vecompile security template --db DSN
                                    print a starting policy file for the database's tables
  vecompile metadata --db DSN       print the metadata inferred from the database (a --metadata file)
  vecompile metadata --metadata FILE
                                    convert a $metadata document or model.json to a --metadata file
  vecompile sample load --db DSN [--replace]
                                    load the embedded sample (rows, metadata, security model) into a database
  vecompile load --model model.json --db DSN [--replace]
                                    load a Synapse Link export (model.json and its CSV partitions) into a database
  vecompile index advise [flags] PATH...
                                    print the indexes (plain and expression) the queries' SQL can use, per dialect
  vecompile token [flags]           print a development token for a local 'serve'
  vecompile version                 print the version and the revision it was built from

Run 'vecompile COMMAND -h' for the flags of a command.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "exec", "sql", "plan":
	case "convert":
		return runConvert(ctx, "convert", args, stdin, stdout, stderr)
	case "odata":
		return runConvert(ctx, "odata", append([]string{"--to=odata"}, args...), stdin, stdout, stderr)
	case "security":
		return runSecurity(ctx, args, stdout, stderr)
	case "metadata":
		return runMetadata(ctx, args, stdout, stderr)
	case "sample":
		return runSampleLoad(ctx, args, stdout, stderr)
	case "load":
		return runLoad(ctx, args, stdout, stderr)
	case "index":
		return runIndex(ctx, args, stdout, stderr)
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "token":
		return runToken(ctx, args, stdout, stderr)
	case "version":
		return runVersion(args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "vecompile: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	fs := flag.NewFlagSet("vecompile "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, cmd, stderr)
	dialect, format := new("postgres"), new("table")
	switch cmd {
	case "sql":
		fs.StringVar(dialect, "dialect", "postgres", "SQL dialect: postgres, sqlite, mysql or sqlserver (default with --db: the database's)")
	case "exec":
		fs.StringVar(format, "format", "table", "output format: table, json, jsonl or csv")
	}
	var (
		dsn       = fs.String("db", "", "database DSN: sqlite:PATH, postgres://user@host:port/db?sslmode=disable, mysql://user[:password]@host:port/db")
		metadata  = fs.String("metadata", "", "metadata file (instead of introspecting --db): vecompile's JSON, the organization's $metadata (CSDL) or Synapse Link's model.json")
		now       = fs.String("now", "", "the clock for relative dates, RFC 3339 (default: now)")
		zone      = fs.String("timezone", "UTC", "the caller's IANA time zone")
		weekStart = fs.String("week-start", "sunday", "first day of the week")
		user      = fs.String("user", "", "the calling user's id (GUID)")
		bu        = fs.String("businessunit", "", "the caller's business unit id, when the database has no systemuser table")
		teams     = fs.String("teams", "", "comma-separated team ids of the caller, when the database has no team tables")
		reports   = fs.String("reports", "", "comma-separated ids of the caller's reports (hierarchy security), when the database has none")
		language  = fs.Int64("language", 1033, "the caller's UI language id for eq-userlanguage")
		depth     = fs.Int("hierarchy-depth", 3, "manager-chain depth for eq-useroruserhierarchy")
		fiscal    = fs.String("fiscal-start", "", "fiscal year start, MM-DD (enables fiscal operators)")
		period    = fs.String("fiscal-period", "quarterly", "fiscal period type: annual, semiannual, quarterly, monthly or fourweekly")
		odataReq  = fs.String("odata", "", "an OData request to run instead of a query file: 'accounts?$filter=…'")
	)
	collation := addCollationFlags(fs)
	sec := addSecurityFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "vecompile %s: one query file at most, got %d\n", cmd, fs.NArg())
		return 2
	}
	var name string
	var text []byte
	var err error
	if *odataReq == "" {
		if name, text, err = readInput(fs.Arg(0), stdin); err != nil {
			return fail(stderr, flagError("%v", err))
		}
	} else if fs.NArg() > 0 {
		return fail(stderr, flagError("--odata and a query file: give one"))
	}
	if err := checkCallerFlags(fs, *user); err != nil {
		return fail(stderr, err)
	}
	cfg := vecompile.Config{DSN: *dsn, MetadataFile: *metadata, UserID: *user, HierarchyDepth: *depth}
	if cmd == "exec" && *dsn == "" {
		cfg.Sample = true
	}
	if cfg.Zone, err = time.LoadLocation(*zone); err != nil {
		return fail(stderr, flagError("--timezone: unknown time zone %q", *zone))
	}
	if *now != "" {
		if cfg.Now, err = time.Parse(time.RFC3339, *now); err != nil {
			return fail(stderr, flagError("--now: %q is not an RFC 3339 time", *now))
		}
	}
	if cfg.WeekStart, err = parseWeekday(*weekStart); err != nil {
		return fail(stderr, err)
	}
	if *fiscal != "" {
		if cfg.Fiscal, err = parseFiscal(*fiscal, *period); err != nil {
			return fail(stderr, err)
		}
	}
	cfg.LanguageID = *language
	if cfg.AccentSensitive, err = collation.accentSensitive(); err != nil {
		return fail(stderr, err)
	}
	if flagSet(fs, "businessunit") || flagSet(fs, "teams") || flagSet(fs, "reports") {
		// The parts the flags give; the user tables, when the database
		// has them, give the rest (and win). A part nobody gives makes
		// the operators that need it fail, naming the flag.
		cfg.Caller = &plan.Caller{BusinessUnitID: *bu, TeamIDs: splitList(*teams), Reports: splitList(*reports), LanguageID: *language}
		if len(cfg.Caller.Reports) > 0 {
			cfg.Caller.Unknown = plan.CallerReportTeams // no flag gives the reports' teams
		}
		for _, f := range []struct {
			name string
			part plan.CallerParts
		}{{"businessunit", plan.CallerBusinessUnit}, {"teams", plan.CallerTeams}, {"reports", plan.CallerReports}} {
			if !flagSet(fs, f.name) {
				cfg.Caller.Unknown |= f.part
			}
		}
	}

	if err := sec.apply(&cfg, *user); err != nil {
		return fail(stderr, err)
	}
	c, err := vecompile.Open(ctx, cfg)
	if err != nil {
		return fail(stderr, err)
	}
	defer c.Close()
	var q *ast.Query
	if *odataReq != "" {
		q, err = c.ParseOData(*odataReq)
	} else {
		q, err = c.Parse(name, text)
	}
	if err != nil {
		return fail(stderr, err)
	}
	p, err := c.Plan(q)
	if err != nil {
		return fail(stderr, err)
	}
	securityNotice(cmd, p, *user, stderr)
	for _, w := range p.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	switch cmd {
	case "plan":
		fmt.Fprint(stdout, plan.Format(p))
	case "sql":
		name := *dialect
		if !flagSet(fs, "dialect") && c.DB() != nil {
			name = c.DB().Dialect // --db without --dialect: the database's own
		}
		st, err := c.SQL(p, name)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintln(stdout, st.SQL+";")
		fmt.Fprintf(stdout, "-- args: %s\n", formatArgs(st.Args))
	case "exec":
		res, err := c.Exec(ctx, p)
		if err != nil {
			return fail(stderr, err)
		}
		if err := engine.Write(stdout, res, *format); err != nil {
			return fail(stderr, err)
		}
	}
	return 0
}

// runConvert is 'vecompile convert': parse, then print in the target
// language.
func runConvert(ctx context.Context, cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, cmd, stderr)
	to := fs.String("to", "", "target language: qe (QueryExpression JSON), fetchxml or odata (a Web API URL)")
	flavor := fs.String("flavor", "dataverse", "odata: dataverse (Microsoft.Dynamics.CRM functions, _x_value lookups) or v4 (standard OData only)")
	base := fs.String("base", "", "odata: base URL prepended to the entity set (default: a relative URL)")
	dsn := fs.String("db", "", "odata: database DSN whose metadata to use")
	metadata := fs.String("metadata", "", "odata: JSON metadata file (default: the embedded sample's metadata)")
	user := fs.String("user", "", "odata: the calling user's id, for identity operators (resolved into the URL)")
	now := fs.String("now", "", "odata: the clock for relative dates, RFC 3339 (resolved into the URL; default: now)")
	zone := fs.String("timezone", "UTC", "odata: the caller's IANA time zone for relative dates")
	collation := addCollationFlags(fs)
	odataIn := fs.String("odata", "", "convert this OData request ('accounts?$filter=…') instead of a FetchXML or QueryExpression file; its entity sets and navigation properties come from the metadata (--db, --metadata, default the sample's)")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "vecompile %s: one query file at most, got %d\n", cmd, fs.NArg())
		return 2
	}
	if *to == "" {
		return fail(stderr, flagError("convert: --to is required (qe or fetchxml)"))
	}
	if *odataIn != "" && fs.NArg() > 0 {
		return fail(stderr, flagError("convert: --odata and a query file are exclusive"))
	}
	if err := checkCallerFlags(fs, *user); err != nil {
		return fail(stderr, err)
	}
	// open is the compiler with metadata that OData in or out needs.
	open := func() (*vecompile.Compiler, error) {
		cfg := vecompile.Config{DSN: *dsn, MetadataFile: *metadata, Sample: *dsn == "" && *metadata == "", UserID: *user}
		var err error
		// The collation decides which string comparisons --flavor v4 can
		// say (emit/odata/collation.go).
		if cfg.AccentSensitive, err = collation.accentSensitive(); err != nil {
			return nil, err
		}
		if cfg.Zone, err = time.LoadLocation(*zone); err != nil {
			return nil, flagError("--timezone: unknown time zone %q", *zone)
		}
		if *now != "" {
			if cfg.Now, err = time.Parse(time.RFC3339, *now); err != nil {
				return nil, flagError("--now: %q is not an RFC 3339 time", *now)
			}
		}
		return vecompile.Open(ctx, cfg)
	}
	var (
		c   *vecompile.Compiler
		q   *ast.Query
		err error
	)
	if *odataIn != "" {
		if c, err = open(); err != nil {
			return fail(stderr, err)
		}
		defer c.Close()
		if q, err = c.ParseOData(*odataIn); err != nil {
			return fail(stderr, err)
		}
	} else {
		name, text, err := readInput(fs.Arg(0), stdin)
		if err != nil {
			return fail(stderr, flagError("%v", err))
		}
		if q, err = vecompile.Parse(name, text); err != nil {
			return fail(stderr, err)
		}
	}
	if *to == "odata" {
		if c == nil {
			if c, err = open(); err != nil {
				return fail(stderr, err)
			}
			defer c.Close()
		}
		u, err := c.OData(q, odata.Options{Flavor: *flavor, Base: *base})
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintln(stdout, u)
		return 0
	}
	out, err := vecompile.Convert(q, *to)
	if err != nil {
		return fail(stderr, err)
	}
	stdout.Write(out)
	return 0
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func readInput(arg string, stdin io.Reader) (string, []byte, error) {
	if arg == "" || arg == "-" {
		b, err := io.ReadAll(stdin)
		return "<stdin>", b, err
	}
	b, err := os.ReadFile(arg)
	return arg, b, err
}

// flagError is a usage error with the stable code VE5004.
func flagError(format string, args ...any) error {
	return diag.Errorf(nil, diag.NoSpan, diag.BadFlag, format, args...)
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, err)
	return 1
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseWeekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) || strings.EqualFold(s, d.String()[:3]) {
			return d, nil
		}
	}
	return 0, flagError("--week-start: %q is not a day of the week", s)
}

var periodTypes = map[string]int{"annual": 2000, "semiannual": 2001, "semi-annual": 2001, "quarterly": 2002, "monthly": 2003, "fourweekly": 2004, "four-weekly": 2004}

func parseFiscal(start, period string) (*plan.Fiscal, error) {
	t, err := time.Parse("01-02", start)
	if err != nil {
		return nil, flagError("--fiscal-start: %q is not MM-DD", start)
	}
	pt, ok := periodTypes[strings.ToLower(period)]
	if !ok {
		if n, err := strconv.Atoi(period); err == nil && n >= 2000 && n <= 2004 {
			pt = n
		} else {
			return nil, flagError("--fiscal-period: %q is not annual, semiannual, quarterly, monthly or fourweekly", period)
		}
	}
	return &plan.Fiscal{Start: time.Date(2000, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), PeriodType: pt}, nil
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			parts[i] = strconv.Quote(v)
		case time.Time:
			parts[i] = v.UTC().Format(time.RFC3339Nano)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// collationFlags are --accent-sensitive and --base-language, shared by
// exec, sql, plan, serve, convert and odata.
type collationFlags struct {
	sensitive *bool
	lcid      *int
}

func addCollationFlags(fs *flag.FlagSet) collationFlags {
	return collationFlags{
		sensitive: fs.Bool("accent-sensitive", false, "compare, sort and group strings with accents significant (default: accent-insensitive, Dataverse's default collation)"),
		lcid:      fs.Int("base-language", 0, "the organization's base language LCID; the accent-sensitive ones of spec §5.3 (1035, 1053 …) set --accent-sensitive"),
	}
}

func (f collationFlags) accentSensitive() (bool, error) {
	if *f.lcid < 0 {
		return false, flagError("--base-language: %d is not an LCID", *f.lcid)
	}
	return *f.sensitive || plan.AccentSensitiveLanguage(*f.lcid), nil
}

// runMetadata prints the catalog introspected from a database in the
// metadata file format, for a person to correct and pass back with
// --metadata.
func runMetadata(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile metadata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "metadata", stderr)
	dsn := fs.String("db", "", "the database to introspect")
	file := fs.String("metadata", "", "a metadata file to print in vecompile's format: the organization's $metadata (CSDL) or Synapse Link's model.json")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if (*dsn == "") == (*file == "") || fs.NArg() > 0 {
		return fail(stderr, flagError("metadata: give --db DSN or --metadata FILE, and nothing else"))
	}
	var cat plan.Catalog
	if *file != "" {
		// A $metadata or model.json document, converted for a person to
		// complete (choice labels, date behaviours) and pass back.
		var err error
		if cat, err = engine.LoadMetadataFile(*file); err != nil {
			return fail(stderr, err)
		}
	} else {
		db, err := engine.Open(ctx, *dsn)
		if err != nil {
			return fail(stderr, err)
		}
		defer db.Close()
		if cat, err = engine.Introspect(ctx, db); err != nil {
			return fail(stderr, err)
		}
	}
	mc, ok := cat.(plan.MapCatalog)
	if !ok {
		return fail(stderr, flagError("metadata: the database's catalog cannot be listed"))
	}
	write := engine.WriteMetadata
	if *file != "" {
		write = engine.WriteConvertedMetadata
	}
	if err := write(stdout, mc); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// runSampleLoad loads the embedded sample into a database
// (engine.LoadSample).
func runSampleLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "load" {
		fmt.Fprintln(stderr, "usage: vecompile sample load --db DSN [--replace]")
		return 2
	}
	fs := flag.NewFlagSet("vecompile sample load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "sample load", stderr)
	dsn := fs.String("db", "", "the database to load the sample into: sqlite:PATH?create=true, postgres://…, mysql://…")
	replace := fs.Bool("replace", false, "drop and reload the sample's tables when the database has them")
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dsn == "" || fs.NArg() > 0 {
		return fail(stderr, flagError("sample load: give --db DSN"))
	}
	db, err := engine.Open(ctx, *dsn)
	if err != nil {
		return fail(stderr, err)
	}
	defer db.Close()
	if err := engine.LoadSample(ctx, db, *replace); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintln(stdout, "sample loaded: 8 tables, their metadata (vecompile_metadata) and the security model; try: vecompile exec --db DSN --user aa000000-0000-4000-8000-000000000009 query.xml")
	return 0
}

// runLoad loads a Synapse Link for Dataverse export into a database
// (engine.LoadSynapse) and prints its summary.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "load", stderr)
	model := fs.String("model", "", "the export's model.json; its CSV partitions are read from <entity>/*.csv beside it")
	dsn := fs.String("db", "", "the database to load into: sqlite:PATH?create=true, postgres://…, mysql://…")
	replace := fs.Bool("replace", false, "drop and reload the export's tables when the database has them")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *model == "" || *dsn == "" || fs.NArg() > 0 {
		return fail(stderr, flagError("load: give --model model.json and --db DSN"))
	}
	db, err := engine.Open(ctx, *dsn)
	if err != nil {
		return fail(stderr, err)
	}
	defer db.Close()
	sum, err := engine.LoadSynapse(ctx, db, *model, *replace)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprint(stdout, sum)
	fmt.Fprintf(stdout, "try: vecompile exec --db DSN --metadata %s query.xml\n", *model)
	return 0
}
