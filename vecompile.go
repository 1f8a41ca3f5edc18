// Package vecompile is the library entry point: it ties the front ends,
// the planner, the emitters and the engine together, so that the CLI and
// the adapter server turn flags or requests into these calls and nothing
// more.
//
//	c, err := vecompile.Open(ctx, vecompile.Config{DSN: "sqlite:crm.db"})
//	q, err := c.Parse("query.xml", text)
//	p, err := c.Plan(q)
//	rows, err := c.Exec(ctx, p)
package vecompile

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	fetchxmlout "github.com/vecompile/vecompile/emit/fetchxml"
	"github.com/vecompile/vecompile/emit/odata"
	qeout "github.com/vecompile/vecompile/emit/queryexpression"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/parse/queryexpression"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// Config says where the data and metadata come from and who is asking.
type Config struct {
	// DSN of the database: sqlite:PATH, postgres://…, mysql://… Empty with
	// Sample set: the embedded sample database.
	DSN    string
	Sample bool
	// MetadataFile is a JSON metadata file; with a DSN it replaces
	// introspection. With neither, the compiler runs untyped.
	MetadataFile string

	Now       time.Time      // zero: the wall clock
	Zone      *time.Location // caller's time zone; nil: UTC
	WeekStart time.Weekday
	Fiscal    *plan.Fiscal

	// UserID is the caller. With a database that has Dataverse-shaped
	// user tables the rest of the caller context is read from them; the
	// parts no table holds come from Caller (its Unknown marks the parts
	// it does not give either; nil gives none). An identity operator
	// needing a part nobody gave is refused (plan.Caller.Unknown). Ids
	// that are not GUIDs, and Caller without a user id (here or in
	// Caller.UserID), are refused by Open (VE5004).
	UserID         string
	Caller         *plan.Caller
	HierarchyDepth int   // manager-chain depth for eq-useroruserhierarchy (default 3)
	LanguageID     int64 // the caller's UI language when no usersettings row gives it
	// QuickFindLimitDisabled is the organization setting that turns the
	// quick-find record limit (10,000 rows) off.
	QuickFindLimitDisabled bool
	QuickFindRecordLimit   int64 // the organization's quick-find record limit (0: 10,000)
	// AccentSensitive compares, sorts and groups strings with accents
	// significant (plan.Options.AccentSensitive); false is Dataverse's
	// default accent-insensitive collation.
	AccentSensitive bool

	// Formatted adds Dataverse's formatted values to Exec's results
	// (engine.Formatter): lookups' names are read in the same statement.
	// Dates show in the caller's zone from the user's settings, else Zone;
	// labels and numbers in the caller's language, else LanguageID.
	Formatted bool
	// CurrencySymbol is the symbol formatted money amounts carry ("":
	// "$").
	CurrencySymbol string

	// Security runs queries as a principal (see security.go).
	Security SecurityConfig
}

// Compiler compiles and runs queries for one configuration.
type Compiler struct {
	cfg     Config
	db      *engine.DB
	catalog plan.Catalog
	caller  *plan.Caller
	session *security.Session // nil: security off
}

// Open connects (when a database is configured), loads metadata and
// resolves the caller.
func Open(ctx context.Context, cfg Config) (*Compiler, error) {
	if err := checkCaller(cfg); err != nil {
		return nil, err
	}
	c := &Compiler{cfg: cfg}
	var err error
	switch {
	case cfg.DSN != "":
		if c.db, err = engine.Open(ctx, cfg.DSN); err != nil {
			return nil, err
		}
		if cfg.MetadataFile == "" {
			if c.catalog, err = engine.Introspect(ctx, c.db); err != nil {
				c.Close()
				return nil, err
			}
		}
	case cfg.Sample:
		if c.db, c.catalog, err = engine.OpenSample(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.MetadataFile != "" {
		if c.catalog, err = engine.LoadMetadataFile(cfg.MetadataFile); err != nil {
			c.Close()
			return nil, err
		}
		// The file describes the organization; the database says how it
		// stores GUIDs (attributes without "guidStorage").
		if c.db != nil {
			if err = engine.ProbeGuidStorage(ctx, c.db, c.catalog); err != nil {
				c.Close()
				return nil, err
			}
		}
	}
	if c.catalog == nil {
		c.catalog = plan.Untyped{}
	}
	if err = c.openSecurity(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if c.caller, err = c.resolveCaller(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// checkCaller refuses, before anything opens, a caller whose ids are not
// GUIDs, or Caller parts without a user (plan.Caller.Check, VE5004): the
// caller is UserID with Caller's parts, or Caller alone.
func checkCaller(cfg Config) error {
	if cfg.UserID == "" && cfg.Caller == nil {
		return nil
	}
	var c plan.Caller
	if cfg.Caller != nil {
		c = *cfg.Caller
	}
	if cfg.UserID != "" {
		c.UserID = cfg.UserID
	}
	return c.Check()
}

func (c *Compiler) resolveCaller(ctx context.Context) (*plan.Caller, error) {
	cfg := c.cfg
	if cfg.UserID == "" {
		return cfg.Caller, nil
	}
	depth := cfg.HierarchyDepth
	if depth <= 0 {
		depth = 3
	}
	flags := cfg.Caller
	if flags == nil {
		flags = &plan.Caller{Unknown: plan.CallerContext}
	}
	if c.db != nil {
		caller, err := engine.LoadCaller(ctx, c.db, c.catalog, cfg.UserID, depth)
		switch {
		case err == nil:
			// The tables win; what they do not hold comes from the flags.
			fillCaller(caller, flags)
			if caller.Unknown&plan.CallerBusinessUnit != 0 && c.session != nil && c.session.UserID() == caller.UserID {
				caller.BusinessUnitID = c.session.BusinessUnitID()
				caller.Unknown &^= plan.CallerBusinessUnit
			}
			c.addGroupTeams(caller)
			return caller, nil
		case diag.CodeOf(err) != diag.NoCallerTables:
			// The database has user tables but not this user: say so
			// rather than run with a half-known caller.
			return nil, err
		}
	}
	caller := &plan.Caller{}
	*caller = *flags
	caller.UserID = cfg.UserID
	if caller.LanguageID == 0 {
		caller.LanguageID = cfg.LanguageID
	}
	// Without user tables, a security model still knows the user's unit
	// (eq-businessid, and what plan prints).
	if caller.BusinessUnitID == "" && c.session != nil && c.session.UserID() == caller.UserID {
		caller.BusinessUnitID = c.session.BusinessUnitID()
		caller.Unknown &^= plan.CallerBusinessUnit
	}
	c.addGroupTeams(caller)
	return caller, nil
}

// fillCaller gives c the parts it lacks (Unknown) that flags holds.
func fillCaller(c, flags *plan.Caller) {
	give := c.Unknown &^ flags.Unknown
	if give&plan.CallerBusinessUnit != 0 {
		c.BusinessUnitID = flags.BusinessUnitID
	}
	if give&plan.CallerTeams != 0 {
		c.TeamIDs = flags.TeamIDs
	}
	if give&plan.CallerReports != 0 {
		c.Reports = flags.Reports
	}
	if give&plan.CallerReportTeams != 0 {
		c.ReportTeams = flags.ReportTeams
	}
	c.Unknown &^= give
}

// addGroupTeams adds the group teams of the principal's Entra groups to
// the caller's teams, so that eq-userteams sees them as security does.
func (c *Compiler) addGroupTeams(caller *plan.Caller) {
	if c.session == nil || len(c.cfg.Security.Principal.Groups) == 0 || c.session.UserID() != caller.UserID {
		return
	}
	ids := append(append([]string(nil), caller.TeamIDs...), c.session.TeamIDs()...)
	slices.Sort(ids)
	caller.TeamIDs = slices.Compact(ids)
}

// Close releases the database.
func (c *Compiler) Close() error {
	if c.db != nil {
		return c.db.Close()
	}
	return nil
}

// Catalog is the metadata in use.
func (c *Compiler) Catalog() plan.Catalog { return c.catalog }

// DB is the database, or nil when none is configured.
func (c *Compiler) DB() *engine.DB { return c.db }

// Caller is the resolved caller context, or nil.
func (c *Compiler) Caller() *plan.Caller { return c.caller }

// Parse reads a query; the language is detected from the content: a
// document whose first non-space byte is '<' is FetchXML, '{' is
// QueryExpression (or QueryByAttribute) JSON.
func (c *Compiler) Parse(name string, text []byte) (*ast.Query, error) {
	return Parse(name, text)
}

// Parse is Compiler.Parse without a compiler: parsing needs no
// configuration.
func Parse(name string, text []byte) (*ast.Query, error) {
	src := diag.NewSource(name, text)
	trimmed := bytes.TrimLeft(text, " \t\r\n\ufeff")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return queryexpression.Parse(src)
	case len(trimmed) > 0 && trimmed[0] != '<':
		return nil, diag.ErrorList{diag.Errorf(src, diag.Span{Start: 0, End: 0}, diag.SyntaxError, "not a FetchXML document or QueryExpression JSON (an OData request goes to Compiler.ParseOData, or --odata on the command line)")}.Err()
	}
	return fetchxml.Parse(src)
}

// ParseOData reads an OData (Web API) request, "accounts?$filter=…" or a
// full URL, against the compiler's metadata: entity set names and
// navigation properties come from it (untyped: English plurals, no
// navigation). What has no FetchXML meaning is a VE1014 error.
func (c *Compiler) ParseOData(request string) (*ast.Query, error) {
	return odataparse.Parse(diag.NewSource("odata", []byte(request)), ODataSchema(c.catalog), odataparse.Options{NullInclusive: plan.NullInclusive})
}

// ODataSchema adapts a catalog to the OData parser's names: entity sets,
// N:1 navigation properties (plan.NavigationName: the lookup's name;
// lookup_target for customer, owner and multi-target lookups) and 1:N ones
// (plan.CollectionNavigationName: the relationship's schema name), the
// names the server's $metadata declares and emit/odata writes.
func ODataSchema(cat plan.Catalog) odataparse.Schema {
	m, ok := cat.(plan.MapCatalog)
	if !ok {
		return odataparse.Conventional{}
	}
	return catalogSchema(m)
}

type catalogSchema plan.MapCatalog

func (s catalogSchema) EntitySet(set string) (string, bool) {
	for _, t := range s {
		if strings.EqualFold(t.EntitySetName, set) {
			return t.LogicalName, true
		}
	}
	return "", false
}

func (s catalogSchema) Navigation(table, prop string) (odataparse.Navigation, bool) {
	// Only the names the server's $metadata declares (plan.NavigationName,
	// plan.CollectionNavigationName) navigate: the bare lookup name of a
	// customer lookup, or <lookup>_<target> of a one-target lookup, is an
	// unknown property, as in Dataverse.
	for _, t := range s {
		for _, r := range t.Relationships {
			if r.Kind != plan.OneToMany {
				continue
			}
			if strings.EqualFold(r.ReferencingTable, table) {
				if from, ok := plan.MapCatalog(s).Table(table); ok && strings.EqualFold(prop, plan.NavigationName(from, r.ReferencingColumn, r.ReferencedTable)) {
					return odataparse.Navigation{Table: r.ReferencedTable, From: r.ReferencedColumn, To: r.ReferencingColumn}, true
				}
			}
			if strings.EqualFold(r.ReferencedTable, table) && strings.EqualFold(prop, plan.CollectionNavigationName(r)) {
				return odataparse.Navigation{Table: r.ReferencingTable, From: r.ReferencingColumn, To: r.ReferencedColumn, Collection: true}, true
			}
		}
	}
	return odataparse.Navigation{}, false
}

// NavigationHint implements odataparse.NavigationHinter for owners: the
// per-target names before Dataverse's (ownerid_systemuser is owninguser)
// and Dataverse's polymorphic ownerid, which is not declared.
func (s catalogSchema) NavigationHint(table, prop string) string {
	t, ok := plan.MapCatalog(s).Table(table)
	if !ok {
		return ""
	}
	for _, c := range t.Columns {
		if c.Type != plan.TOwner {
			continue
		}
		if strings.EqualFold(prop, c.LogicalName) {
			return fmt.Sprintf("%s is the owner of either table (Dataverse's principal), which vecompile does not declare: use %s", c.LogicalName, ownerNavigations(t, c))
		}
		for _, target := range c.Targets {
			if name := plan.NavigationName(t, c.LogicalName, target); strings.EqualFold(prop, c.LogicalName+"_"+target) && !strings.EqualFold(name, prop) {
				return fmt.Sprintf("the owner's navigation to %s is named %s, as in Dataverse", target, name)
			}
		}
	}
	return ""
}

// ownerNavigations lists the navigation properties of owner column c.
func ownerNavigations(t *plan.Table, c *plan.Column) string {
	names := make([]string, len(c.Targets))
	for i, target := range c.Targets {
		names[i] = plan.NavigationName(t, c.LogicalName, target)
	}
	return strings.Join(names, " or ")
}

func (s catalogSchema) PrimaryKey(table string) string {
	if t, ok := plan.MapCatalog(s).Table(table); ok {
		return t.PrimaryKey
	}
	return ""
}

// PropertyKind implements odataparse.Typed: whether a column is a string
// (tolower() in $orderby folds strings only).
func (s catalogSchema) PropertyKind(table, property string) (isString, known bool) {
	t, ok := plan.MapCatalog(s).Table(table)
	if !ok {
		return false, false
	}
	c, ok := t.Column(property)
	if !ok {
		return false, false
	}
	return c.Type.Kind() == plan.KString, true
}

// Convert prints a parsed query in another language: "fetchxml" or "qe"
// (QueryExpression JSON). What the target cannot express is an
// UnsupportedFeature error, never dropped. "odata" needs metadata (entity
// set names, relationships): use Compiler.Convert or Compiler.OData; here
// it is an ODataUnsupported error.
func Convert(q *ast.Query, to string) ([]byte, error) {
	switch to {
	case "fetchxml", "xml":
		return fetchxmlout.Print(q)
	case "qe", "queryexpression", "json":
		return qeout.Print(q)
	case "odata":
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.ODataUnsupported, "conversion to OData needs metadata (entity set names, relationships): use Compiler.Convert")}.Err()
	}
	return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "unknown target language %q: use qe or fetchxml", to)}.Err()
}

// Convert is the package-level Convert with the compiler's metadata, so
// that "odata" works too (as OData with the default options).
func (c *Compiler) Convert(q *ast.Query, to string) ([]byte, error) {
	if to == "odata" {
		u, err := c.OData(q, odata.Options{})
		if err != nil {
			return nil, err
		}
		return []byte(u + "\n"), nil
	}
	return Convert(q, to)
}

// OData plans the query and prints it as a Web API request URL (package
// emit/odata); what OData cannot express faithfully is an
// ODataUnsupported error. Relative-date and identity operators are
// resolved against the configured clock and caller.
func (c *Compiler) OData(q *ast.Query, opt odata.Options) (string, error) {
	p, err := c.Plan(q)
	if err != nil {
		return "", err
	}
	return odata.Emit(q, p, opt)
}

// Plan compiles a parsed query against the configuration.
func (c *Compiler) Plan(q *ast.Query) (*plan.Plan, error) {
	return plan.Build(q, plan.Options{
		Catalog:        c.catalog,
		Now:            c.cfg.Now,
		Zone:           c.cfg.Zone,
		WeekStart:      c.cfg.WeekStart,
		Fiscal:         c.cfg.Fiscal,
		Caller:         c.caller,
		HierarchyDepth: c.cfg.HierarchyDepth,
		Security:       c.securityProvider(),

		QuickFindLimitDisabled: c.cfg.QuickFindLimitDisabled,
		QuickFindRecordLimit:   c.cfg.QuickFindRecordLimit,
		AccentSensitive:        c.cfg.AccentSensitive,
		LookupNames:            c.cfg.Formatted,
	})
}

// Formatter is the formatted values' renderer for the caller: the
// language and zone of the user's settings, else the configured ones.
func (c *Compiler) Formatter() *engine.Formatter {
	lcid, zone := c.cfg.LanguageID, c.cfg.Zone
	if c.caller != nil {
		if c.caller.LanguageID != 0 {
			lcid = c.caller.LanguageID
		}
		if c.caller.TimeZone != nil {
			zone = c.caller.TimeZone
		}
	}
	f := engine.NewFormatter(lcid, zone)
	if c.cfg.CurrencySymbol != "" {
		f.CurrencySymbol = c.cfg.CurrencySymbol
	}
	return f
}

// SQL emits the plan's SQL in the named dialect.
func (c *Compiler) SQL(p *plan.Plan, dialect string) (*sql.Statement, error) {
	d, ok := sql.DialectByName(dialect)
	if !ok {
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "unknown dialect %q: use postgres, sqlite, mysql or sqlserver", dialect)}.Err()
	}
	return sql.Emit(p, d)
}

// Exec runs the plan on the configured database.
func (c *Compiler) Exec(ctx context.Context, p *plan.Plan) (*engine.Result, error) {
	if c.db == nil {
		return nil, diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "no database: give --db DSN")}.Err()
	}
	r, err := c.db.Exec(ctx, p)
	if err == nil && c.cfg.Formatted {
		c.Formatter().Apply(p.Columns, r)
	}
	return r, err
}
