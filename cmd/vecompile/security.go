package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// securityFlags are the principal and model flags of exec, sql and plan.
type securityFlags struct {
	portal, policy, companies, groups *string
	anonymous, crossCompany           *bool
}

func addSecurityFlags(fs *flag.FlagSet) *securityFlags {
	return &securityFlags{
		portal:       fs.String("portal-contact", "", "run as the user a portal contact (GUID) is mapped to"),
		anonymous:    fs.Bool("anonymous", false, "run as the model's anonymous portal user"),
		policy:       fs.String("policy", "", "security model: a JSON policy file, or 'sample' for the embedded sample's (default: the database's security tables; exec on the sample: the sample's)"),
		crossCompany: fs.Bool("cross-company", false, "F&O: query every company the user may access (or --companies), not the default one"),
		companies:    fs.String("companies", "", "F&O: comma-separated companies (dataAreaId) of a cross-company query"),
		groups:       fs.String("groups", "", "comma-separated Entra group object ids of --user: membership of the model's group teams"),
	}
}

// apply puts the principal and model into cfg: --user, --portal-contact
// or --anonymous name the principal (one of them).
func (f *securityFlags) apply(cfg *vecompile.Config, user string) error {
	n := 0
	for _, set := range []bool{user != "", *f.portal != "", *f.anonymous} {
		if set {
			n++
		}
	}
	if n > 1 {
		return flagError("--user, --portal-contact and --anonymous are exclusive")
	}
	if *f.groups != "" && user == "" {
		return flagError("--groups needs --user: portal and anonymous principals have no Entra groups")
	}
	p := security.Principal{UserID: user, PortalContactID: *f.portal, Anonymous: *f.anonymous, CrossCompany: *f.crossCompany || *f.companies != "", Companies: splitList(*f.companies), Groups: splitList(*f.groups)}
	cfg.Security = vecompile.SecurityConfig{Principal: p}
	switch *f.policy {
	case "":
	case "sample":
		m, err := engine.SampleSecurity()
		if err != nil {
			return err
		}
		cfg.Security.Model = m
	default:
		cfg.Security.PolicyFile = *f.policy
	}
	if n == 0 && *f.policy != "" {
		return flagError("--policy needs a principal: --user, --portal-contact or --anonymous")
	}
	return nil
}

// securityNotice makes running unsecured visible on exec and sql (plan
// prints "security: off" itself): without a principal the rows are the
// system's view, and a --user without a model only sets the caller.
func securityNotice(cmd string, p *plan.Plan, user string, stderr io.Writer) {
	if cmd == "plan" || p.Security != plan.SecurityOff {
		return
	}
	if user != "" {
		fmt.Fprintln(stderr, "vecompile: security is off (no security model configured); --user only sets the caller for identity operators")
		return
	}
	fmt.Fprintln(stderr, "vecompile: security is off (no principal: --user, --portal-contact or --anonymous); rows are not filtered for any user")
}

// runSecurity is 'vecompile security init': create the security tables
// (those absent) in a database, and with --policy store a policy file's
// model in them.
func runSecurity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "template" {
		return runSecurityTemplate(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(stderr, "usage: vecompile security init --db DSN [--policy FILE] [--check] [--print-schema]\n       vecompile security template --db DSN")
		return 2
	}
	fs := flag.NewFlagSet("vecompile security init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "security init", stderr)
	dsn := fs.String("db", "", "database DSN to create the security tables in")
	policy := fs.String("policy", "", "a JSON policy file to store in the tables ('sample': the embedded sample's)")
	printSchema := fs.String("print-schema", "", "print the schema for a dialect (sqlite, postgres, mysql) instead")
	check := fs.Bool("check", false, "list the columns the existing security tables lack and change nothing (exit 1 when some are missing)")
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *printSchema != "" {
		fmt.Fprint(stdout, security.SchemaSQL(*printSchema, ""))
		return 0
	}
	if *dsn == "" {
		return fail(stderr, flagError("security init: --db is required"))
	}
	var m *security.Model
	switch *policy {
	case "":
	case "sample":
		c, err := engine.SampleSecurity()
		if err != nil {
			return fail(stderr, err)
		}
		m = c.Model()
	default:
		c, err := security.LoadPolicyFile(*policy)
		if err != nil {
			return fail(stderr, err)
		}
		m = c.Model()
	}
	db, err := engine.Open(ctx, *dsn)
	if err != nil {
		return fail(stderr, err)
	}
	defer db.Close()
	missing, err := engine.MissingSecurityColumns(ctx, db, "")
	if err != nil {
		return fail(stderr, err)
	}
	if *check {
		if len(missing) == 0 {
			fmt.Fprintln(stdout, "security tables: no column missing")
			return 0
		}
		for _, c := range missing {
			fmt.Fprintf(stdout, "missing column: %s\n", c)
		}
		return 1
	}
	if err := engine.InitSecurity(ctx, db, "", m); err != nil {
		return fail(stderr, err)
	}
	for _, c := range missing {
		fmt.Fprintf(stdout, "added column: %s\n", c)
	}
	var names []string
	for _, t := range security.Tables {
		names = append(names, t.Name)
	}
	fmt.Fprintf(stdout, "security tables ready: %s\n", strings.Join(names, ", "))
	return 0
}

// runSecurityTemplate prints a starting policy file for a database's
// tables (engine.SecurityTemplate).
func runSecurityTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile security template", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "security template", stderr)
	dsn := fs.String("db", "", "the database whose tables the policy covers")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dsn == "" {
		return fail(stderr, flagError("security template: --db is required"))
	}
	db, err := engine.Open(ctx, *dsn)
	if err != nil {
		return fail(stderr, err)
	}
	defer db.Close()
	m, err := engine.SecurityTemplate(ctx, db)
	if err != nil {
		return fail(stderr, err)
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fail(stderr, err)
	}
	stdout.Write(append(out, '\n'))
	return 0
}
