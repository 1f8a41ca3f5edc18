package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// Session cache defaults: a session is the principal resolved against the
// model (teams, reports, per-table access), worth keeping across the
// requests of one user, but not for long: role and team changes must show.
const (
	DefaultSessionTTL  = 30 * time.Second
	DefaultMaxSessions = 10000
)

// SecurityModel is Security backed by a security model (package
// security): each request's principal becomes a security.Session (cached
// per principal for TTL, at most Max sessions), its reads get the
// session's row and column security (plan.ModelSecurity) and its writes
// Session.CheckWrite on the row before and after the change.
//
// Invalidation: a session lives at most TTL, so changes to the model's
// users, teams and roles reach every principal within TTL once the model is
// replaced (SetModel, which also drops every cached session at once);
// Invalidate drops the sessions without a new model. The model itself is
// what it was built from: a server reading the database's security tables
// reloads them with SetModel (vecompile serve --security-reload).
type SecurityModel struct {
	TTL time.Duration
	Max int
	now func() time.Time

	mu       sync.Mutex
	model    *security.Compiled
	sessions map[sessionKey]cachedSession
	// generation advances on SetModel and Invalidate: the server's
	// compiled-request cache keys on it.
	generation atomic.Uint64
}

// Generation is advanced by every SetModel and Invalidate.
func (sm *SecurityModel) Generation() uint64 { return sm.generation.Load() }

type cachedSession struct {
	s   *security.Session
	err error // refusals are cached too: they cost as much to compute
	at  time.Time
}

// NewSecurityModel serves m with the default cache bounds.
func NewSecurityModel(m *security.Compiled) *SecurityModel {
	return &SecurityModel{TTL: DefaultSessionTTL, Max: DefaultMaxSessions, now: time.Now, model: m, sessions: map[sessionKey]cachedSession{}}
}

// SetModel replaces the model and drops every cached session.
func (sm *SecurityModel) SetModel(m *security.Compiled) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.model = m
	clear(sm.sessions)
	sm.generation.Add(1)
}

// Invalidate drops every cached session.
func (sm *SecurityModel) Invalidate() {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	clear(sm.sessions)
	sm.generation.Add(1)
}

// Model is the model sessions are resolved against.
func (sm *SecurityModel) Model() *security.Compiled {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.model
}

// securityPrincipal is the model's view of a request principal: users by
// their backend id, portal contacts by theirs (the model maps them to a
// user), anonymous as the model's anonymous user.
func securityPrincipal(p *Principal) security.Principal {
	switch p.Kind {
	case PortalContact:
		return security.Principal{PortalContactID: p.BackendID}
	case Anonymous:
		return security.Principal{Anonymous: true}
	}
	return security.Principal{UserID: p.BackendID, Groups: p.Groups}
}

// Session resolves (or finds cached) the principal's session. Unknown,
// disabled or unmapped principals, and portal users holding an
// administrator-class role, are PrincipalRefused (403).
func (sm *SecurityModel) Session(p *Principal) (*security.Session, error) {
	sp := securityPrincipal(p)
	key := sessionKey{kind: p.Kind, user: strings.ToLower(sp.UserID), contact: strings.ToLower(sp.PortalContactID), groups: groupsKey(sp.Groups)}
	now := sm.now()
	sm.mu.Lock()
	e, ok := sm.sessions[key]
	m := sm.model
	sm.mu.Unlock()
	if ok && now.Sub(e.at) < sm.TTL {
		return e.s, e.err
	}
	s, err := m.Session(sp)
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.model != m { // replaced meanwhile: do not cache a stale session
		return s, err
	}
	if len(sm.sessions) >= sm.Max {
		sm.evict(now)
	}
	sm.sessions[key] = cachedSession{s: s, err: err, at: now}
	return s, err
}

// sessionKey is whom a cached session is for. The groups are part of it:
// the same user with other groups is another set of teams.
type sessionKey struct {
	kind                  IdentityKind
	user, contact, groups string
}

// groupsKey is the groups as one string that no other list gives: each
// is prefixed with its length, so that a group holding the separator
// cannot pass for two ("a,b" against "a" and "b"). No groups, no
// allocation.
func groupsKey(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(strconv.Itoa(len(g)))
		b.WriteByte(':')
		b.WriteString(g)
	}
	return b.String()
}

// evict drops expired sessions, and when none has expired, every session:
// the cache stays bounded without bookkeeping on the hot path.
func (sm *SecurityModel) evict(now time.Time) {
	for k, e := range sm.sessions {
		if now.Sub(e.at) >= sm.TTL {
			delete(sm.sessions, k)
		}
	}
	if len(sm.sessions) >= sm.Max {
		clear(sm.sessions)
	}
}

// ActingUser is the backend user a principal runs as (a portal contact's
// or the anonymous principal's mapped user).
func (sm *SecurityModel) ActingUser(_ context.Context, p *Principal) (string, error) {
	s, err := sm.Session(p)
	if err != nil {
		return "", err
	}
	return s.UserID(), nil
}

// Rows implements Security.
func (sm *SecurityModel) Rows(_ context.Context, p *Principal) (plan.SecurityProvider, error) {
	s, err := sm.Session(p)
	if err != nil {
		return nil, err
	}
	return plan.ModelSecurity{Session: s}, nil
}

// ownership columns: setting them is an assignment, not a lookup to append.
var ownershipColumns = map[string]bool{
	security.ColOwner: true, security.ColOwningBU: true, "owninguser": true, "owningteam": true,
}

// CheckWrite implements Security: the change as security.Change, from the
// row before it (read in the write's transaction) and the decoded values
// the statement writes (w.Assignments, never w.Values). It fails closed: a
// create of an owned table without an owner, an owner that is no
// principal of the model or not of the table its EntityReference names, a
// business unit the model does not hold, and a lookup whose target row
// was not read are refused.
func (sm *SecurityModel) CheckWrite(_ context.Context, p *Principal, w *WriteRequest) error {
	s, err := sm.Session(p)
	if err != nil {
		return err
	}
	table := strings.ToLower(w.Table.LogicalName)
	ch := security.Change{}
	after := security.RowRef{Table: table, ID: w.ID}
	if w.Before != nil {
		after.OwnerID, after.OwningBusinessUnit = w.Before.OwnerID, w.Before.OwningBusinessUnit
	}
	ownerSet := false
	for _, a := range w.set {
		n := strings.ToLower(a.Column.LogicalName)
		ch.Columns = append(ch.Columns, n)
		id := ""
		if a.Value != nil {
			id, _ = a.Value.V.(string)
		}
		switch {
		case n == security.ColOwner || n == security.ColOwningBU:
			if id == "" {
				return diagErr(diag.OwnerRequired, "%s.%s cannot be null or empty", table, n)
			}
			if n == security.ColOwningBU {
				if !s.IsBusinessUnit(id) {
					return diagErr(diag.NotFound, "%s.owningbusinessunit: no business unit with id %s", table, id)
				}
				after.OwningBusinessUnit = id
				continue
			}
			kind := s.PrincipalTable(id)
			if kind == "" {
				return diagErr(diag.PrincipalRefused, "%s.ownerid: %s is neither a user nor a team", table, id)
			}
			if a.Target != "" && a.Target != kind {
				return diagErr(diag.BadValueShape, "%s.ownerid: %s is a %s, not a %s as its LogicalName says", table, id, kind, a.Target)
			}
			after.OwnerID, ownerSet = id, true
		case ownershipColumns[n]:
			return diagErr(diag.OwnerRequired, "%s.%s is derived from ownerid and cannot be written", table, n)
		case engine.IsLookup(a.Column.Type) && a.Value != nil:
			t := w.Targets[n]
			if t == nil { // fail closed
				return diagErr(diag.SecurityDenied, "%s of %s: the row %s.%s points at was not read", w.Kind, table, table, n)
			}
			ch.Lookups = append(ch.Lookups, security.Lookup{Column: n, Target: *t})
		}
	}
	if w.Kind == engine.Insert {
		if _, owned := w.Table.Column(security.ColOwner); owned && !ownerSet {
			return diagErr(diag.OwnerRequired, "create of %s: the row has no owner", table)
		}
		ch.Op, ch.After = security.OpCreate, &after
		return s.CheckWrite(ch)
	}
	if w.Before == nil { // fail closed
		return diagErr(diag.SecurityDenied, "%s of %s %s: the existing row was not read", w.Kind, table, w.ID)
	}
	before := *w.Before
	before.Table = table
	ch.Before = &before
	if w.Kind == engine.Delete {
		ch.Op, ch.Columns, ch.Lookups = security.OpDelete, nil, nil
	} else {
		ch.Op, ch.After = security.OpUpdate, &after
	}
	return s.CheckWrite(ch)
}

// defaultOwner makes the acting user the owner of a row created without
// one, and the business unit of a row created or assigned without one its
// owner's, as Dataverse does: otherwise a user with user-depth access
// could create rows they cannot read back, or rows in no unit. An update
// is an assignment only once its existing row (w.Before) is read and its
// owner differs: naming the owner a row has already changes nothing (a
// client sending back a whole record must not need Assign, nor move the
// row out of a unit that is not its owner's). Values are keyed by logical
// name.
func (sm *SecurityModel) defaultOwner(p *Principal, w *WriteRequest) error {
	s, err := sm.Session(p)
	if err != nil {
		return err
	}
	ownerCol, owned := w.Table.Column(security.ColOwner)
	if !owned {
		return nil
	}
	if _, given := w.Values[ownerCol.LogicalName]; !given {
		if w.Kind != engine.Insert {
			return nil
		}
		w.Values[ownerCol.LogicalName] = s.UserID()
	}
	buCol, hasBU := w.Table.Column(security.ColOwningBU)
	if !hasBU {
		return nil
	}
	if _, given := w.Values[buCol.LogicalName]; given {
		return nil
	}
	owner, err := engine.DecodeValue(ownerCol, w.Values[ownerCol.LogicalName])
	if err != nil || owner.Value == nil {
		return nil // decode reports it
	}
	id := owner.Value.V.(string)
	if w.Kind != engine.Insert && (w.Before == nil || strings.EqualFold(id, w.Before.OwnerID)) {
		return nil
	}
	if home := s.HomeBusinessUnit(id); home != "" {
		w.Values[buCol.LogicalName] = home
	}
	return nil
}

// Cached is the number of cached sessions.
func (sm *SecurityModel) Cached() int {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return len(sm.sessions)
}

// TeamIDs are the principal's teams in the model, group teams of its
// Entra groups included (identity operators such as eq-userteams see
// them).
func (sm *SecurityModel) TeamIDs(p *Principal) ([]string, error) {
	s, err := sm.Session(p)
	if err != nil {
		return nil, err
	}
	return s.TeamIDs(), nil
}
