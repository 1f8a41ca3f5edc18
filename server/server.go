// Package server is the thin adapter server: the virtual-entity data
// provider methods (Retrieve, RetrieveMultiple, Create, Update, Delete,
// PerformAction) with the SDK's JSON shapes, an OData v4 endpoint and a
// catalog, over the compiler and the engine. Every request is
// authenticated (a bearer JWT whose application holds the adapter role),
// runs as the acting user named in a header, and reaches the database as
// bind parameters only.
//
// Security enforcement plugs in through Security; without one New refuses
// to build a server unless Config.Insecure is set, so a missing model is
// never silent. The OData query-option parser plugs in through
// Config.ODataParser.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// Limits a server applies to every request.
const (
	DefaultMaxBody      = 1 << 20 // bytes of a request body
	DefaultMaxDepth     = 64      // JSON nesting of a request body
	DefaultQueryTimeout = 30 * time.Second
	// MaxPageSize is Dataverse's page cap: RetrieveMultiple and OData
	// never return more rows per page.
	MaxPageSize = 5000
)

// ODataParser turns an OData request (entity set and query options, as
// "accounts?$select=name&$filter=…", percent-encoded as received) into a
// query. The default is package parse/odata (standard v4 flavour) over the
// exposed entities.
type ODataParser func(request string) (*ast.Query, error)

// DefaultODataParser is parse/odata over the exposed tables of cat.
func DefaultODataParser(exposed plan.MapCatalog) ODataParser {
	schema := vecompile.ODataSchema(exposed)
	return func(request string) (*ast.Query, error) {
		return odataparse.Parse(diag.NewSource("odata", []byte(request)), schema, odataparse.Options{Flavor: "v4", NullInclusive: plan.NullInclusive})
	}
}

// Config is everything a server is built from.
type Config struct {
	DB      *engine.DB
	Catalog plan.Catalog
	// Entities lists the exposed tables by logical name (after Naming).
	// Empty: every table of the catalog, when the catalog can list them.
	Entities []string
	// Naming translates Dataverse-side names to backend names (nil: none).
	Naming *Naming

	Auth  *JWTVerifier
	Users Directory
	// AllowAnonymous lets requests without an acting-user header through
	// as the anonymous principal.
	AllowAnonymous bool

	// Security enforces row and write security. Nil is refused unless
	// Insecure is set, which New logs.
	Security Security
	Insecure bool

	// PagingKey signs paging cookies; nil: a random key per server (cookies
	// then do not survive a restart).
	PagingKey []byte

	MaxBody      int64
	MaxDepth     int
	QueryTimeout time.Duration
	// DBConns bounds the PostgreSQL or MySQL connection pool, open and idle
	// alike, so that connections are reused instead of opened per request
	// (database/sql keeps two idle ones by default). 0: 4 × GOMAXPROCS.
	DBConns     int
	ODataParser ODataParser // nil: DefaultODataParser
	// ODataExpandParser parses OData GETs for nested $expand results. Nil:
	// DefaultODataExpandParser when ODataParser is nil too; a server
	// given only an ODataParser runs its queries as they are (links come
	// back flat) and refuses collection-valued $expand.
	ODataExpandParser ODataExpandParser

	Logger *slog.Logger
	Now    func() time.Time // the clock for tokens and relative dates
	// HierarchyDepth is the manager-chain depth of the caller context.
	HierarchyDepth int
	// AccentSensitive compares, sorts and groups strings with accents
	// significant (plan.Options.AccentSensitive); false is Dataverse's
	// default accent-insensitive collation.
	AccentSensitive bool
	// MetricsPublic serves /metrics without a token; otherwise it needs
	// the API's bearer token and adapter role (no acting user).
	MetricsPublic bool
}

// Server serves one configuration. Register hooks and actions before the
// first request.
type Server struct {
	cfg     Config
	catalog *exposure
	log     *slog.Logger
	metrics *metrics
	paging  *cookieSigner
	mu      sync.RWMutex
	hooks   map[string][]WriteHook
	actions map[string]*Action
	callers *callerCache
	handler http.Handler
	// companies maps the Company lookup of the naming profile (nil: none).
	companies *companyIDs
}

// New builds a server. It fails without a database, a token verifier, a
// user directory, or a security model (unless Insecure).
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.DB == nil:
		return nil, configError(diag.BadFlag, "the server needs a database")
	case cfg.Catalog == nil:
		return nil, configError(diag.BadFlag, "the server needs metadata (a catalog)")
	case cfg.Auth == nil:
		return nil, configError(diag.BadFlag, "the server needs a token verifier (JWT keys)")
	case cfg.Auth.Issuer == "" || cfg.Auth.Audience == "":
		return nil, configError(diag.BadFlag, "the token verifier needs the issuer and the audience to check")
	case len(cfg.Auth.Secret) == 0 && len(cfg.Auth.Keys) == 0:
		return nil, configError(diag.BadFlag, "the token verifier has no keys (an HS256 secret or RS256/ES256 public keys)")
	case cfg.Users == nil:
		return nil, configError(diag.BadFlag, "the server needs a user directory (acting-user mapping)")
	case cfg.Security == nil && !cfg.Insecure:
		return nil, configError(diag.NoSecurityModel, "no security model: refusing to serve data unsecured (give a security model, or --insecure to run without one)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = DefaultMaxDepth
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	if cfg.HierarchyDepth <= 0 {
		cfg.HierarchyDepth = 3
	}
	if cfg.DB.Dialect != engine.SQLite {
		n := cfg.DBConns
		if n <= 0 {
			n = 4 * runtime.GOMAXPROCS(0)
		}
		cfg.DB.SQL.SetMaxOpenConns(n)
		cfg.DB.SQL.SetMaxIdleConns(n)
	}
	if cfg.Security == nil {
		cfg.Security = insecure{}
		cfg.Logger.Warn("security is OFF: --insecure given, every acting user reads and writes every exposed row")
	}
	key := cfg.PagingKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	cat := cfg.Catalog
	if cfg.Naming != nil {
		var err error
		if cat, err = cfg.Naming.Apply(cat); err != nil {
			return nil, err
		}
	}
	exp, err := newExposure(cat, cfg.Entities)
	if err != nil {
		return nil, err
	}
	var companies *companyIDs
	if cfg.Naming != nil {
		if companies, err = newCompanyIDs(cfg.Naming.Companies); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		catalog: exp,
		log:     cfg.Logger,
		metrics: newMetrics(),
		paging:  &cookieSigner{key: key},
		hooks:   map[string][]WriteHook{},
		actions: map[string]*Action{},
		callers: newCallerCache(30 * time.Second),

		companies: companies,
	}
	if s.cfg.ODataParser == nil {
		m := plan.MapCatalog{}
		for _, t := range exp.tables {
			m.Add(t)
		}
		s.cfg.ODataParser = DefaultODataParser(m)
		if s.cfg.ODataExpandParser == nil {
			s.cfg.ODataExpandParser = DefaultODataExpandParser(m)
		}
	}
	s.routes()
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully: no new connections, in-flight requests get up to grace to
// finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

func (s *Server) routes() {
	m := http.NewServeMux()
	// Operational endpoints: no acting user; probes need no token.
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	if s.cfg.MetricsPublic {
		m.HandleFunc("GET /metrics", s.metrics.serve)
	} else {
		m.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			if _, err := s.application(r); err != nil {
				writeError(w, r, err)
				return
			}
			s.metrics.serve(w, r)
		})
	}
	// The adapter endpoints.
	ve := func(name string, h handlerFunc) {
		m.Handle("POST /api/ve/v1/"+name, s.wrap(name, h))
	}
	ve("Retrieve", s.retrieve)
	ve("RetrieveMultiple", s.retrieveMultiple)
	ve("Create", s.create)
	ve("Update", s.update)
	ve("Delete", s.delete)
	ve("PerformAction", s.performAction)
	m.Handle("GET /api/ve/v1/catalog", s.wrap("catalog", s.catalogList))
	m.Handle("GET /odata/{$}", s.wrap("odata-service", s.odataService))
	m.Handle("GET /odata/$metadata", s.wrap("odata-metadata", s.odataMetadata))
	m.Handle("GET /odata/{res}", s.wrap("odata-get", s.odataGet))
	m.Handle("GET /odata/{res}/$count", s.wrap("odata-count", s.odataCount))
	m.Handle("POST /odata/{res}", s.wrap("odata-post", s.odataPost))
	m.Handle("PATCH /odata/{res}", s.wrap("odata-patch", s.odataPatch))
	m.Handle("DELETE /odata/{res}", s.wrap("odata-delete", s.odataDelete))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, diagErr(diag.NotFound, "no endpoint %s %s", r.Method, r.URL.Path))
	})
	s.handler = s.observe(m)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz pings the database: 503 with Retry-After while it is down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.DB.SQL.PingContext(ctx); err != nil {
		writeError(w, r, diagErr(diag.Unavailable, "the database cannot be reached"))
		return
	}
	s.healthz(w, r)
}

// exposure is the catalog the requests see: only exposed tables, in a
// fixed order for listings.
type exposure struct {
	all    plan.Catalog
	tables []*plan.Table
	byName map[string]*plan.Table
	bySet  map[string]*plan.Table
}

// Lister is a catalog that can list its tables (plan.MapCatalog and the
// naming profile's catalog are).
type Lister interface {
	Tables() []*plan.Table
}

func newExposure(cat plan.Catalog, names []string) (*exposure, error) {
	e := &exposure{all: cat, byName: map[string]*plan.Table{}, bySet: map[string]*plan.Table{}}
	if len(names) == 0 {
		switch c := cat.(type) {
		case plan.MapCatalog:
			for _, t := range c {
				names = append(names, t.LogicalName)
			}
		case Lister:
			for _, t := range c.Tables() {
				names = append(names, t.LogicalName)
			}
		default:
			return nil, configError(diag.BadFlag, "the catalog cannot list its tables: name the exposed entities")
		}
	}
	slices.Sort(names)
	for _, n := range names {
		t, ok := cat.Table(n)
		if !ok || t.Untyped {
			return nil, configError(diag.UnknownEntity, "exposed entity %q is not in the metadata", n)
		}
		if _, dup := e.byName[strings.ToLower(t.LogicalName)]; dup {
			continue
		}
		e.tables = append(e.tables, t)
		e.byName[strings.ToLower(t.LogicalName)] = t
		set := t.EntitySetName
		if set == "" {
			set = t.LogicalName + "s"
		}
		e.bySet[strings.ToLower(set)] = t
	}
	return e, nil
}

// Table implements plan.Catalog over the exposed tables only, so a query
// joining an unexposed table fails to resolve (UnknownEntity).
func (e *exposure) Table(name string) (*plan.Table, bool) {
	t, ok := e.byName[strings.ToLower(name)]
	return t, ok
}

func (e *exposure) entitySet(t *plan.Table) string {
	if t.EntitySetName != "" {
		return t.EntitySetName
	}
	return t.LogicalName + "s"
}

func configError(code diag.Code, format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: code, Msg: fmt.Sprintf(format, args...)}}.Err()
}

func diagErr(code diag.Code, format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: code, Msg: fmt.Sprintf(format, args...)}}.Err()
}
