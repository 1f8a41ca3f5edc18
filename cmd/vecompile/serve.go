package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

// runServe is 'vecompile serve': the adapter server until SIGINT or
// SIGTERM, then a graceful shutdown.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "serve", stderr)
	var (
		addr       = fs.String("addr", "127.0.0.1:8080", "listen address")
		dsn        = fs.String("db", "", "backend database DSN (default: the embedded SQLite sample)")
		metadata   = fs.String("metadata", "", "metadata file (instead of introspecting --db): vecompile's JSON, the organization's $metadata (CSDL) or Synapse Link's model.json")
		entities   = fs.String("entities", "", "comma-separated logical names of the exposed entities (default: every table)")
		naming     = fs.String("naming", "", "naming profile: 'mserp' exposes backend tables as finance and operations virtual entities (mserp_<physical name>)")
		companies  = fs.String("companies", "", `with --naming mserp: JSON file {"usmf": "<cdm_company id>", …} mapping company codes to the environment's cdm_company ids (adds the Company lookup mserp_dataareaid_id)`)
		users      = fs.String("users", "", `JSON file mapping acting identities to backend ids: {"user":{ID:BACKEND},"objectid":{…},"contact":{…}}`)
		userTable  = fs.String("user-table", "", "backend table mapping identities, with columns kind, external_id, backend_id")
		anonymous  = fs.Bool("allow-anonymous", false, "let requests without an acting-user header through as the anonymous principal")
		insecure   = fs.Bool("insecure", false, "serve without a security model (every acting user reads and writes every exposed row)")
		policy     = fs.String("policy", "", "security model: a JSON policy file, or 'sample' for the embedded sample's (default: the database's security tables; on the embedded sample, the sample's)")
		reload     = fs.Duration("security-reload", 30*time.Second, "re-read the database's security tables this often (0: at start only); cached sessions live 30s")
		pagingKey  = fs.String("paging-key-file", "", "file holding the paging-cookie signing key (default: random per start)")
		timeout    = fs.Duration("query-timeout", server.DefaultQueryTimeout, "query timeout; cancellation reaches the database")
		maxBody    = fs.Int64("max-body", server.DefaultMaxBody, "largest request body, bytes")
		dbConns    = fs.Int("db-conns", 0, "database connection pool size, open and idle alike (0: 4 × the CPUs; keep it under the database's own connection limit)")
		drain      = fs.Duration("drain", 5*time.Second, "on SIGTERM, answer /readyz 503 this long while still serving, before no longer accepting")
		grace      = fs.Duration("grace", 10*time.Second, "on SIGTERM, after the drain, wait this long for in-flight requests before cancelling them")
		logFormat  = fs.String("log", "json", "log format: json or text")
		metricsPub = fs.Bool("metrics-public", false, "serve /metrics without a token (default: the same bearer token and role as the API)")
		gcPercent  = fs.Int("gc-percent", server.DefaultGCPercent, "garbage collector target, as GOGC (the GOGC environment variable, when set, stands unless this flag is given)")
	)
	collation := addCollationFlags(fs)
	authFlags := addAuthFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var handler slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *logFormat == "text" {
		handler = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(handler)

	if *dbConns < 0 || *drain < 0 || *grace < 0 || *reload < 0 {
		return fail(stderr, flagError("--db-conns, --drain, --grace and --security-reload cannot be negative"))
	}
	gc, gcSource, err := server.SetGCPercent(*gcPercent, flagSet(fs, "gc-percent"))
	if err != nil {
		return fail(stderr, flagError("--gc-percent: %v", err))
	}
	cfg := server.Config{Logger: log, AllowAnonymous: *anonymous, Insecure: *insecure, QueryTimeout: *timeout, MaxBody: *maxBody, DBConns: *dbConns, Drain: *drain, MetricsPublic: *metricsPub}
	if cfg.AccentSensitive, err = collation.accentSensitive(); err != nil {
		return fail(stderr, err)
	}
	if cfg.Auth, err = authFlags.verifier(ctx, log); err != nil {
		return fail(stderr, err)
	}
	if *pagingKey != "" {
		b, err := os.ReadFile(*pagingKey)
		if err != nil {
			return fail(stderr, flagError("--paging-key-file: %v", err))
		}
		cfg.PagingKey = b
	}

	c, err := vecompile.Open(ctx, vecompile.Config{DSN: *dsn, Sample: *dsn == "", MetadataFile: *metadata})
	if err != nil {
		return fail(stderr, err)
	}
	defer c.Close()
	cfg.DB, cfg.Catalog = c.DB(), c.Catalog()
	if *entities != "" {
		for _, e := range strings.Split(*entities, ",") {
			cfg.Entities = append(cfg.Entities, strings.TrimSpace(e))
		}
	}
	switch *naming {
	case "":
	case "mserp":
		cfg.Naming = server.VirtualEntityProfile()
		if *companies != "" {
			b, err := os.ReadFile(*companies)
			if err != nil {
				return fail(stderr, flagError("--companies: %v", err))
			}
			if err := json.Unmarshal(b, &cfg.Naming.Companies); err != nil {
				return fail(stderr, flagError("--companies %s: %v", *companies, err))
			}
		}
	default:
		return fail(stderr, flagError("--naming: unknown profile %q (mserp)", *naming))
	}
	if *companies != "" && *naming != "mserp" {
		return fail(stderr, flagError("--companies needs --naming mserp"))
	}
	switch {
	case *users != "" && *userTable != "":
		return fail(stderr, flagError("give --users or --user-table, not both"))
	case *users != "":
		if cfg.Users, err = loadUserMap(*users); err != nil {
			return fail(stderr, err)
		}
	case *userTable != "":
		cfg.Users = &server.TableDirectory{DB: c.DB(), Table: *userTable, KindCol: "kind", ExternalCol: "external_id", IDCol: "backend_id"}
	}
	// The security model: --policy, else the database's security tables,
	// else on the embedded sample the sample's; none is refused unless
	// --insecure.
	var model *security.Compiled
	fromTables := false
	switch {
	case *insecure && *policy != "":
		return fail(stderr, flagError("--insecure and --policy contradict each other"))
	case *insecure:
	case *policy == "sample":
		model, err = engine.SampleSecurity()
	case *policy != "":
		model, err = security.LoadPolicyFile(*policy)
	default:
		var ok bool
		model, ok, err = engine.LoadSecurity(ctx, c.DB(), "")
		fromTables = ok
		if !ok && err == nil && *dsn == "" {
			model, err = engine.SampleSecurity()
		}
	}
	if err != nil {
		return fail(stderr, err)
	}
	if model == nil && !*insecure {
		log.Error("refusing to start: no security model (the database has no security tables and no --policy was given); give --insecure to serve without one")
		return fail(stderr, diag.ErrorList{&diag.Error{Code: diag.NoSecurityModel, Msg: "no security model: refusing to serve data unsecured (create the security tables with 'vecompile security init', give --policy FILE|sample, or --insecure to run without one)"}}.Err())
	}
	var sm *server.SecurityModel
	if model != nil {
		sm = server.NewSecurityModel(model)
		cfg.Security = sm
	}
	if cfg.Users == nil {
		log.Warn("no user mapping given: Dataverse user ids map to the backend user of the same id, portal contact ids to the same contact (--users or --user-table to map them)")
		cfg.Users = server.SameIDs{Contacts: true}
	}
	srv, err := server.New(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, flagError("--addr: %v", err))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if fromTables && *reload > 0 {
		go reloadSecurity(ctx, c.DB(), sm, *reload, log)
	}
	log.Info("serving", "addr", ln.Addr().String(), "db", c.DB().Dialect, "security", securitySource(*insecure, *policy, fromTables), "security_reload", reloadSource(fromTables, *reload), "gc_percent", gc, "gc_percent_from", gcSource)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ctx, ln, *grace); err != nil {
		return fail(stderr, err)
	}
	log.Info("stopped")
	return 0
}

func reloadSource(fromTables bool, every time.Duration) string {
	switch {
	case !fromTables:
		return "none (the model is not read from the database)"
	case every == 0:
		return "off (--security-reload 0)"
	}
	return "every " + every.String()
}

func securitySource(insecure bool, policy string, fromTables bool) string {
	switch {
	case insecure:
		return "OFF (--insecure)"
	case policy != "":
		return "on (policy " + policy + ")"
	case fromTables:
		return "on (security tables)"
	}
	return "on (the sample's model)"
}

// reloadSecurity re-reads the security tables every interval; a failed
// read keeps the model in force (logged), so an edit in progress never
// opens access.
func reloadSecurity(ctx context.Context, db *engine.DB, sm *server.SecurityModel, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, ok, err := engine.LoadSecurity(ctx, db, "")
		switch {
		case err != nil:
			log.Error("reloading the security tables failed; the previous model stays in force", "err", err.Error())
		case !ok:
			log.Error("the security tables are gone; the previous model stays in force")
		default:
			sm.SetModel(m)
		}
	}
}

// loadUserMap reads {"user":{…},"objectid":{…},"contact":{…}}.
func loadUserMap(path string) (server.MapDirectory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, flagError("--users: %v", err)
	}
	var raw map[string]map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, flagError("--users %s: %v", path, err)
	}
	out := server.MapDirectory{}
	for kind, m := range raw {
		var k server.IdentityKind
		switch kind {
		case "user":
			k = server.DataverseUser
		case "objectid":
			k = server.DirectoryUser
		case "contact":
			k = server.PortalContact
		default:
			return nil, flagError("--users %s: unknown kind %q (user, objectid, contact)", path, kind)
		}
		out[k] = map[string]string{}
		for ext, id := range m {
			out[k][strings.ToLower(ext)] = id
		}
	}
	return out, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
