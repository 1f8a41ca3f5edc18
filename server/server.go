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
	"sync/atomic"
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
	// DBConns bounds the connection pool, open and idle alike, so that
	// connections are reused instead of opened per request (database/sql
	// keeps two idle ones by default). 0: 4 × GOMAXPROCS. An in-memory
	// SQLite database keeps its single connection.
	DBConns int
	// CompiledReads bounds the compiled-request cache (compiled.go):
	// reads whose request, security session and caller were compiled
	// before skip parse, plan and emit. 0 means
	// DefaultCompiledCacheSize; negative turns the cache off.
	CompiledReads int
	// Drain is how long /readyz answers 503 after the stop signal while
	// requests are still served, so that a load balancer takes the
	// instance out of rotation before it stops accepting (Serve). 0: none.
	Drain       time.Duration
	ODataParser ODataParser // nil: DefaultODataParser
	// ODataExpandParser parses OData GETs for nested $expand results. Nil:
	// DefaultODataExpandParser when ODataParser is nil too; a server
	// given only an ODataParser runs its queries as they are (links come
	// back flat) and refuses collection-valued $expand.
	ODataExpandParser ODataExpandParser

	Logger *slog.Logger
	// LogRepeatWindow rate-limits repeated failures in the log: the first
	// request failing with a given route, status and code is logged, the
	// same failures in the next window are counted and summarized in one
	// line. 0: DefaultLogRepeatWindow.
	LogRepeatWindow time.Duration
	Now             func() time.Time // the clock for relative dates and Idempotency-Key expiry
	// HierarchyDepth is the manager-chain depth of the caller context.
	HierarchyDepth int
	// AccentSensitive compares, sorts and groups strings with accents
	// significant (plan.Options.AccentSensitive); false is Dataverse's
	// default accent-insensitive collation.
	AccentSensitive bool
	// MetricsPublic serves /metrics without a token; otherwise it needs
	// the API's bearer token and adapter role (no acting user).
	MetricsPublic bool
	// IdempotencyTable is the table the server creates (on the first
	// create with an Idempotency-Key) to remember keyed creates: shared
	// by every instance on the database, kept IdempotencyRetention.
	// "": engine.IdempotencyTable.
	IdempotencyTable string
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
	repeats *repeatLimiter
	handler http.Handler
	// mux routes without observe: $batch runs its operations through it.
	mux http.Handler
	// draining is set once Serve has been told to stop: /readyz answers
	// 503 from then on.
	draining atomic.Bool
	// companies maps the Company lookup of the naming profile (nil: none).
	companies *companyIDs
	idem      idempotency
	// compiledReads is the compiled-request cache (nil: off).
	compiledReads *compiledCache
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
	case cfg.Users == nil:
		return nil, configError(diag.BadFlag, "the server needs a user directory (acting-user mapping)")
	case cfg.Security == nil && !cfg.Insecure:
		return nil, configError(diag.NoSecurityModel, "no security model: refusing to serve data unsecured (give a security model, or --insecure to run without one)")
	}
	if err := cfg.Auth.check(); err != nil {
		return nil, err
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
	if cfg.LogRepeatWindow <= 0 {
		cfg.LogRepeatWindow = DefaultLogRepeatWindow
	}
	if cfg.HierarchyDepth <= 0 {
		cfg.HierarchyDepth = 3
	}
	n := cfg.DBConns
	if n <= 0 {
		n = 4 * runtime.GOMAXPROCS(0)
	}
	cfg.DB.SetPool(n)
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
		repeats: newRepeatLimiter(cfg.LogRepeatWindow),

		companies: companies,
	}
	switch {
	case cfg.CompiledReads == 0:
		s.compiledReads = newCompiledCache(DefaultCompiledCacheSize)
	case cfg.CompiledReads > 0:
		s.compiledReads = newCompiledCache(cfg.CompiledReads)
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
	if cfg.DB != nil {
		// The key maps of string and composite keys exist before any
		// request joins them (engine.EnsureKeyMaps; reads create them too).
		if err := cfg.DB.EnsureKeyMaps(context.Background(), keyMapsOf(exp.tables)); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// errShuttingDown is the cause with which Serve cancels the requests
// still running when its grace period is over.
var errShuttingDown = errors.New("the server is shutting down")

// shutdownAnswerWait bounds how long Serve waits, after cancelling the
// requests that outlived the grace period, for them to answer.
const shutdownAnswerWait = 5 * time.Second

// Serve accepts connections on ln until ctx is done, then stops in three
// steps:
//
//  1. drain: for Config.Drain, /readyz answers 503 while every request is
//     still served, so that load balancers stop sending new ones;
//  2. grace: the listener closes, idle connections close, and in-flight
//     requests get up to grace to finish;
//  3. cancel: requests still running are cancelled (ShuttingDown, 503).
//     The cancellation reaches their transactions before COMMIT, so a
//     write either commits and is answered, or is rolled back and
//     answered 503: no client is left without an answer for a write
//     that happened. Their answers get a few more seconds to go out.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	base, cancelRequests := context.WithCancelCause(context.Background())
	defer cancelRequests(nil)
	hs := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes + netHeaderSlack,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	if s.cfg.Drain > 0 {
		s.log.Info("draining: /readyz answers 503, requests are still served", "drain", s.cfg.Drain.String())
		time.Sleep(s.cfg.Drain)
	}
	s.log.Info("shutting down: no new connections", "grace", grace.String(), "in_flight", s.metrics.inFlight.Load())
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(context.Background()) }()
	var err error
	select {
	case err = <-shut:
	case <-time.After(grace):
		s.log.Warn("grace period over: cancelling the requests still running", "in_flight", s.metrics.inFlight.Load())
		cancelRequests(errShuttingDown)
		select {
		case err = <-shut:
		case <-time.After(shutdownAnswerWait):
			s.log.Error("requests did not answer after their cancellation; closing their connections", "in_flight", s.metrics.inFlight.Load())
			err = hs.Close()
			<-shut
		}
	}
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
	m.Handle("POST /odata/$batch", s.wrap("odata-batch", s.odataBatch))
	m.Handle("POST /odata/{res}", s.wrap("odata-post", s.odataPost))
	m.Handle("PATCH /odata/{res}", s.wrap("odata-patch", s.odataPatch))
	m.Handle("DELETE /odata/{res}", s.wrap("odata-delete", s.odataDelete))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, unrouted(m, r))
	})
	s.mux = s.protocol(m)
	s.handler = s.observe(s.mux)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz pings the database: 503 with Retry-After while it is down, and
// from the stop signal on (draining).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, r, diagErr(diag.ShuttingDown, "the server is shutting down"))
		return
	}
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
