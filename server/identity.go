package server

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The headers naming the acting user. Exactly one may be given; none is
// the anonymous principal (when allowed).
const (
	HeaderUserID   = "X-VE-User-Id"   // Dataverse systemuserid
	HeaderObjectID = "X-VE-Object-Id" // directory (Entra ID) object id
	HeaderContact  = "X-VE-Contact-Id"
	// HeaderGroups lists the acting user's Entra group object ids,
	// comma-separated, as the calling service resolved them (the token's
	// groups claim): membership of the model's group teams.
	HeaderGroups = "X-VE-Groups"
)

// IdentityKind says what an external identity is.
type IdentityKind uint8

const (
	DataverseUser IdentityKind = iota // a systemuserid
	DirectoryUser                     // a directory object id
	PortalContact                     // a Power Pages contact id
	Anonymous
)

var identityKindNames = [...]string{"user", "objectid", "contact", "anonymous"}

func (k IdentityKind) String() string { return identityKindNames[k] }

// Principal is who a request acts as: the calling application (from the
// token) and the acting user, mapped to the backend.
type Principal struct {
	App   string
	Roles []string
	// Token is the verified token the application called with (Entra:
	// its tenant and service principal object id).
	Token    *Claims
	Kind     IdentityKind
	External string // the id as the header gave it ("" for Anonymous)
	// BackendID is the mapped backend user id (DataverseUser,
	// DirectoryUser) or contact id (PortalContact).
	BackendID string
	// Caller is the caller context for identity operators (users only).
	Caller *plan.Caller
	// Groups are the acting user's Entra group object ids (HeaderGroups):
	// lower-case, sorted, each once.
	Groups []string
}

// Directory maps an external identity to a backend user or contact id;
// ok false means unmapped (403).
type Directory interface {
	Resolve(ctx context.Context, kind IdentityKind, external string) (backendID string, ok bool, err error)
}

// MapDirectory is a fixed mapping, keyed by kind and lower-case external
// id.
type MapDirectory map[IdentityKind]map[string]string

// Resolve implements Directory.
func (m MapDirectory) Resolve(_ context.Context, kind IdentityKind, external string) (string, bool, error) {
	id, ok := m[kind][strings.ToLower(external)]
	return id, ok, nil
}

// TableDirectory reads the mapping from a table of the backend database
// with columns (kind, external id, backend id); kind holds "user",
// "objectid" or "contact". Lookups are bind parameters.
type TableDirectory struct {
	DB                                 *engine.DB
	Table, KindCol, ExternalCol, IDCol string
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Resolve implements Directory.
func (d *TableDirectory) Resolve(ctx context.Context, kind IdentityKind, external string) (string, bool, error) {
	for _, n := range []string{d.Table, d.KindCol, d.ExternalCol, d.IDCol} {
		if !identRE.MatchString(n) {
			return "", false, configError(diag.BadFlag, "mapping table: %q is not a plain identifier", n)
		}
	}
	ph := func(n string) string {
		if d.DB.Dialect == engine.Postgres {
			return "$" + n
		}
		return "?"
	}
	q := "SELECT " + d.IDCol + " FROM " + d.Table + " WHERE " + d.KindCol + " = " + ph("1") + " AND LOWER(" + d.ExternalCol + ") = " + ph("2")
	var id string
	err := d.DB.SQL.QueryRowContext(ctx, q, kind.String(), strings.ToLower(external)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: "reading the user mapping: " + err.Error(), Err: err}}.Err()
	}
	return id, true, nil
}

// Security is what the server asks of the security model (package
// security): a row-security provider for the principal's queries, and a
// decision on each write. Implementations must fail closed.
type Security interface {
	// Rows returns the plan security provider for the principal; nil
	// with a nil error means security is off for this principal (only the
	// insecure model does that).
	Rows(ctx context.Context, p *Principal) (plan.SecurityProvider, error)
	// CheckWrite allows (nil) or refuses one write. It must judge
	// w.Assignments(), the decoded values the statement writes, never
	// w.Values (the raw attributes); it runs again after the hooks.
	CheckWrite(ctx context.Context, p *Principal, w *WriteRequest) error
}

// insecure is the model of --insecure: everything is allowed.
type insecure struct{}

func (insecure) Rows(context.Context, *Principal) (plan.SecurityProvider, error) { return nil, nil }
func (insecure) CheckWrite(context.Context, *Principal, *WriteRequest) error     { return nil }

// identityHeaders may each be given once: a repeated one (two lines, or
// values joined by commas where one id is expected) is refused rather than
// read as its first or last value. HeaderGroups is a comma-separated
// list, given in one line.
var identityHeaders = []string{"Authorization", HeaderUserID, HeaderObjectID, HeaderContact, HeaderGroups}

// identityKeys are identityHeaders' canonical keys, in the same order.
var identityKeys = []string{hAuthorization, hUserID, hObjectID, hContact, hGroups}

// application checks the request's identity headers are given once each,
// verifies the bearer token and the adapter role.
func (s *Server) application(r *http.Request) (*Claims, error) {
	for i, h := range identityHeaders {
		vals := r.Header[identityKeys[i]]
		if len(vals) > 1 || len(vals) == 1 && h != HeaderGroups && strings.Contains(vals[0], ",") {
			return nil, diagErr(diag.RepeatedHeader, "the %s header is given more than once: give it once", h)
		}
	}
	h := headerValue(r.Header, hAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, authErr("no bearer token")
	}
	claims, err := s.cfg.Auth.Verify(strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	noteCaller(r.Context(), claims)
	role := s.cfg.Auth.Role
	if role == "" {
		role = DefaultAdapterRole
	}
	if !claims.HasRole(role) {
		return nil, diagErr(diag.Forbidden, "the application %q does not hold the %s role", claims.App, role)
	}
	if claims.Delegated {
		// The role lets its holder name any acting user: a user's token
		// carrying it (an app role assigned to users) is not the
		// application's.
		return nil, diagErr(diag.Forbidden, "the %s role must be held by an application: this is a delegated token (scp) of user %q", role, claims.ObjectID)
	}
	return claims, nil
}

// authenticate verifies the bearer token and the adapter role, then maps
// the acting user.
// applicationOnly authenticates the calling application without an
// acting user, for the endpoints that serve the same answer to every
// caller ($metadata, the service document).
func (s *Server) applicationOnly(r *http.Request) (*Principal, error) {
	claims, err := s.application(r)
	if err != nil {
		return nil, err
	}
	return &Principal{App: claims.App, Roles: claims.Roles, Token: claims, Kind: Anonymous}, nil
}

func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	claims, err := s.application(r)
	if err != nil {
		return nil, err
	}
	p := &Principal{App: claims.App, Roles: claims.Roles, Token: claims, Kind: Anonymous}
	var given int
	for _, hk := range [...]struct {
		key  string
		kind IdentityKind
	}{{hUserID, DataverseUser}, {hObjectID, DirectoryUser}, {hContact, PortalContact}} {
		if v := strings.TrimSpace(headerValue(r.Header, hk.key)); v != "" {
			given++
			p.Kind, p.External = hk.kind, v
		}
	}
	switch {
	case given > 1:
		return nil, diagErr(diag.Forbidden, "name the acting user in one header only (%s, %s or %s)", HeaderUserID, HeaderObjectID, HeaderContact)
	case given == 0 && !s.cfg.AllowAnonymous:
		return nil, diagErr(diag.Forbidden, "no acting user (%s, %s or %s) and anonymous access is off", HeaderUserID, HeaderObjectID, HeaderContact)
	case given > 0:
		id, ok, err := s.cfg.Users.Resolve(r.Context(), p.Kind, p.External)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, diagErr(diag.Forbidden, "the acting %s %q is not mapped to a backend user", p.Kind, p.External)
		}
		p.BackendID = id
	}
	if p.Groups, err = groupsHeader(r.Header[hGroups]); err != nil {
		return nil, err
	}
	if len(p.Groups) > 0 && p.Kind != DataverseUser && p.Kind != DirectoryUser {
		return nil, diagErr(diag.Forbidden, "%s applies to users only, not to %s principals", HeaderGroups, p.Kind)
	}
	// With a security model, the principal is resolved now: a refused one
	// (unknown to the model, disabled, a portal user holding an admin role)
	// is 403 on every endpoint, and portal and anonymous principals run as
	// their mapped user, which identity operators (eq-userid) then see.
	userID := p.BackendID
	if au, ok := s.cfg.Security.(interface {
		ActingUser(context.Context, *Principal) (string, error)
	}); ok {
		uid, err := au.ActingUser(r.Context(), p)
		if err != nil {
			return nil, err
		}
		userID = uid
	} else if p.Kind == PortalContact || p.Kind == Anonymous {
		return p, nil
	}
	if p.Caller, err = s.caller(r.Context(), userID); err != nil {
		return nil, err
	}
	if tm, ok := s.cfg.Security.(interface {
		TeamIDs(*Principal) ([]string, error)
	}); ok && len(p.Groups) > 0 && p.Caller != nil {
		// Group teams count for eq-userteams as listed teams do; the cached
		// caller context is shared, so it is copied.
		ids, err := tm.TeamIDs(p)
		if err != nil {
			return nil, err
		}
		c := *p.Caller
		c.TeamIDs = sortedUnion(c.TeamIDs, ids)
		p.Caller = &c
	}
	return p, nil
}

// maxGroups bounds the group ids of one request (Entra puts at most 200
// in a token before it switches to an overage claim).
const maxGroups = 1000

// groupsHeader reads HeaderGroups: GUIDs, comma-separated, in one or more
// header lines.
func groupsHeader(lines []string) ([]string, error) {
	var out []string
	for _, line := range lines {
		for _, g := range strings.Split(line, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			id, err := guid(g)
			if err != nil {
				return nil, diagErr(diag.SyntaxError, "%s: %q is not a group object id (a GUID)", HeaderGroups, g)
			}
			out = append(out, id)
		}
	}
	if len(out) > maxGroups {
		return nil, diagErr(diag.LimitExceeded, "%s: %d groups; at most %d", HeaderGroups, len(out), maxGroups)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// sortedUnion is a ∪ b, sorted, each once.
func sortedUnion(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// caller loads the caller context of a backend user (business unit,
// teams, reports) from Dataverse-shaped user tables when the database has
// them, cached briefly; otherwise it is the id alone.
func (s *Server) caller(ctx context.Context, userID string) (*plan.Caller, error) {
	if c := s.callers.get(userID); c != nil {
		return c, nil
	}
	var c *plan.Caller
	if _, ok := s.cfg.Catalog.Table("systemuser"); ok {
		loaded, err := engine.LoadCaller(ctx, s.cfg.DB, s.cfg.Catalog, userID, s.cfg.HierarchyDepth)
		switch code := diag.CodeOf(err); {
		case err == nil:
			c = loaded
		case code == diag.UnknownCaller:
			return nil, diagErr(diag.Forbidden, "the mapped backend user %q does not exist", userID)
		case code == diag.NoCallerTables:
		default:
			return nil, err
		}
	}
	if c == nil {
		id, _ := plan.CanonicalGUID(userID)
		if id == "" {
			id = userID
		}
		// No user tables: the id alone. Operators needing the unit,
		// teams or reports are refused rather than match nothing.
		c = &plan.Caller{UserID: id, Unknown: plan.CallerContext}
	}
	s.callers.put(userID, c)
	return c, nil
}

type callerCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedCaller
}

type cachedCaller struct {
	c  *plan.Caller
	at time.Time
}

func newCallerCache(ttl time.Duration) *callerCache {
	return &callerCache{ttl: ttl, m: map[string]cachedCaller{}}
}

func (cc *callerCache) get(id string) *plan.Caller {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	e, ok := cc.m[id]
	if !ok || time.Since(e.at) > cc.ttl {
		return nil
	}
	return e.c
}

func (cc *callerCache) put(id string, c *plan.Caller) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.m) > 10000 { // bounded: drop everything rather than grow
		clear(cc.m)
	}
	cc.m[id] = cachedCaller{c: c, at: time.Now()}
}

// SameIDs maps a Dataverse user id to the backend user of the same id (a
// backend that is itself Dataverse-shaped, as the sample is), and with
// Contacts a portal contact id to the same contact id (the security model
// then maps the contact to its user); other kinds are unmapped.
type SameIDs struct{ Contacts bool }

// Resolve implements Directory.
func (d SameIDs) Resolve(_ context.Context, kind IdentityKind, external string) (string, bool, error) {
	if kind != DataverseUser && !(kind == PortalContact && d.Contacts) {
		return "", false, nil
	}
	id, ok := plan.CanonicalGUID(external)
	return id, ok, nil
}
