package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/vecompile/vecompile"
)

// runIndex is 'vecompile index advise': the indexes a set of queries can
// use, per dialect (vecompile.Compiler.AdviseIndexes).
func runIndex(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "advise" {
		fmt.Fprintln(stderr, "usage: vecompile index advise [--dialect LIST] [--covering] [--db DSN | --metadata FILE] PATH...")
		return 2
	}
	fs := flag.NewFlagSet("vecompile index advise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "index advise", stderr)
	dialects := fs.String("dialect", "postgres,sqlite,mysql,sqlserver", "comma-separated SQL dialects to advise for (default with --db: the database's)")
	dsn := fs.String("db", "", "database DSN whose metadata the queries compile against")
	metadata := fs.String("metadata", "", "metadata file (instead of --db; without either, the embedded sample's)")
	user := fs.String("user", "", "the calling user's id (GUID), for queries with identity operators (eq-userid …)")
	covering := fs.Bool("covering", false, "PostgreSQL and SQL Server: include in each ordered or filtered index the columns its queries read (INCLUDE), so that pages are read from the index alone")
	collation := addCollationFlags(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		return fail(stderr, flagError("index advise: give the query files or directories"))
	}
	cfg := vecompile.Config{DSN: *dsn, MetadataFile: *metadata, Sample: *dsn == "" && *metadata == "", UserID: *user}
	var err error
	if cfg.AccentSensitive, err = collation.accentSensitive(); err != nil {
		return fail(stderr, err)
	}
	queries, err := vecompile.ReadQueryFiles(fs.Args())
	if err != nil {
		return fail(stderr, err)
	}
	c, err := vecompile.Open(ctx, cfg)
	if err != nil {
		return fail(stderr, err)
	}
	defer c.Close()
	list := splitList(*dialects)
	if !flagSet(fs, "dialect") && c.DB() != nil && *dsn != "" {
		list = []string{c.DB().Dialect}
	}
	advice, err := c.AdviseIndexesWith(queries, list, vecompile.AdviseOptions{Covering: *covering})
	if err != nil {
		return fail(stderr, err)
	}
	if err := vecompile.WriteIndexAdvice(stdout, advice); err != nil {
		return fail(stderr, err)
	}
	return 0
}
