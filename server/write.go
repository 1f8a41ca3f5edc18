package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// WriteRequest is one Create, Update or Delete as hooks and the security
// model see it. Values are by logical column name, as JSON values
// (string, json.Number, bool, nil, arrays for multi-select); hooks may set
// Go numbers and time.Time too. Values is nil for Delete.
type WriteRequest struct {
	Table  *plan.Table
	Kind   engine.WriteKind
	ID     string
	Values map[string]any
	// Before is the existing row's ownership (Update, Delete), read in the
	// write's transaction (locked on PostgreSQL and MySQL) when security is
	// on; nil for Create.
	Before *security.RowRef
	// Targets are the rows the lookups set in Values point at, by lower-case
	// column name, read in the transaction when security is on.
	Targets map[string]*security.RowRef
}

// WriteTx is what a hook gets: the write's transaction, which commits only
// if every hook and the write succeed.
type WriteTx struct {
	Tx      *sql.Tx
	Dialect string
	Caller  *Principal
}

// WriteHook is per-entity business logic run inside the write's
// transaction before the row is written: it validates (returning Reject),
// derives values (setting w.Values) or reads other rows through tx.
type WriteHook func(ctx context.Context, tx *WriteTx, w *WriteRequest) error

// rejection is a hook's refusal; its message reaches the caller.
type rejection struct{ msg string }

func (r *rejection) Error() string { return r.msg }

// Reject is the error a hook returns to refuse a write with a message for
// the user (HTTP 400, WriteRejected).
func Reject(format string, args ...any) error {
	return &rejection{msg: fmt.Sprintf(format, args...)}
}

// OnWrite registers a hook for an exposed entity; hooks run in
// registration order.
func (s *Server) OnWrite(entity string, h WriteHook) error {
	t, ok := s.catalog.Table(entity)
	if !ok {
		return configError(diag.UnknownEntity, "hook for %q: the entity is not exposed", entity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(t.LogicalName)
	s.hooks[key] = append(s.hooks[key], h)
	return nil
}

type writeBody struct {
	Target     *Entity `json:"Target"`
	EntityName string  `json:"EntityName"`
	Id         string  `json:"Id"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var b writeBody
	if err := s.decodeJSON(r, &b); err != nil {
		return err
	}
	if b.Target == nil {
		return diagErr(diag.MissingAttribute, "Create needs a Target entity")
	}
	id, err := s.createRecord(r.Context(), p, b.Target.LogicalName, b.Target.Id, b.Target.Attributes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
	return nil
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var b writeBody
	if err := s.decodeJSON(r, &b); err != nil {
		return err
	}
	if b.Target == nil {
		return diagErr(diag.MissingAttribute, "Update needs a Target entity")
	}
	if err := s.updateRecord(r.Context(), p, b.Target.LogicalName, b.Target.Id, b.Target.Attributes); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var b writeBody
	if err := s.decodeJSON(r, &b); err != nil {
		return err
	}
	if err := s.deleteRecord(r.Context(), p, b.EntityName, b.Id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createRecord(ctx context.Context, p *Principal, entity, id string, attrs map[string]any) (string, error) {
	t, err := s.table(entity)
	if err != nil {
		return "", err
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	// The id: Target.Id, else the primary key attribute, else a new one.
	if v, ok := lookupFold(attrs, t.PrimaryKey); ok {
		sv, _ := v.(string)
		if id != "" && !strings.EqualFold(sv, id) {
			return "", diagErr(diag.ConflictingOptions, "Target.Id and the %s attribute differ", t.PrimaryKey)
		}
		id = sv
		deleteFold(attrs, t.PrimaryKey)
	}
	if id == "" {
		id = newGUID()
	}
	if id, err = guid(id); err != nil {
		return "", err
	}
	wr := &WriteRequest{Table: t, Kind: engine.Insert, ID: id, Values: attrs}
	return id, s.write(ctx, p, wr)
}

func (s *Server) updateRecord(ctx context.Context, p *Principal, entity, id string, attrs map[string]any) error {
	t, err := s.table(entity)
	if err != nil {
		return err
	}
	if v, ok := lookupFold(attrs, t.PrimaryKey); ok {
		sv, _ := v.(string)
		a, _ := plan.CanonicalGUID(sv)
		b, _ := plan.CanonicalGUID(id)
		if id == "" {
			id = sv
		} else if a != b {
			return diagErr(diag.ConflictingOptions, "the primary key of a record cannot change")
		}
		deleteFold(attrs, t.PrimaryKey)
	}
	if id, err = guid(id); err != nil {
		return err
	}
	return s.write(ctx, p, &WriteRequest{Table: t, Kind: engine.Update, ID: id, Values: attrs})
}

func (s *Server) deleteRecord(ctx context.Context, p *Principal, entity, id string) error {
	t, err := s.table(entity)
	if err != nil {
		return err
	}
	if id, err = guid(id); err != nil {
		return err
	}
	return s.write(ctx, p, &WriteRequest{Table: t, Kind: engine.Delete, ID: id})
}

// write runs one write in a transaction: the existing row (locked), the
// security check, the hooks, the check again when hooks changed the
// values, then the statement; Update and Delete of a missing row are
// NotFound. Security.CheckWrite runs inside the transaction, so it must not
// need another database connection (SQLite in memory has one).
func (s *Server) write(ctx context.Context, p *Principal, wr *WriteRequest) error {
	if s.companies != nil && wr.Values != nil {
		if err := s.companies.rewriteWrite(wr.Table, wr.Values); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	db := s.cfg.DB
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(err)
	}
	defer tx.Rollback()
	_, secured := s.cfg.Security.(insecure)
	secured = !secured
	check := func() error {
		if !secured {
			return s.cfg.Security.CheckWrite(ctx, p, wr)
		}
		if err := s.readTargets(ctx, tx, wr); err != nil {
			return err
		}
		return s.cfg.Security.CheckWrite(ctx, p, wr)
	}
	if secured && wr.Kind != engine.Insert {
		before, err := s.readOwnership(ctx, tx, wr.Table, wr.ID, true)
		if err != nil {
			return err
		}
		if before == nil {
			return diagErr(diag.NotFound, "%s with id %s does not exist", wr.Table.LogicalName, wr.ID)
		}
		wr.Before = before
	}
	if err := check(); err != nil {
		return err
	}
	s.mu.RLock()
	hooks := slices.Clone(s.hooks[strings.ToLower(wr.Table.LogicalName)])
	s.mu.RUnlock()
	wtx := &WriteTx{Tx: tx, Dialect: db.Dialect, Caller: p}
	for _, h := range hooks {
		if err := h(ctx, wtx, wr); err != nil {
			var rej *rejection
			if errors.As(err, &rej) {
				return diagErr(diag.WriteRejected, "%s", rej.msg)
			}
			return err
		}
	}
	if len(hooks) > 0 && secured { // a hook may have set an owner or a lookup
		if err := check(); err != nil {
			return err
		}
	}
	st, err := s.writeStatement(wr)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return dbErr(err)
	}
	if wr.Kind != engine.Insert {
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return diagErr(diag.NotFound, "%s with id %s does not exist", wr.Table.LogicalName, wr.ID)
		}
	}
	if err := tx.Commit(); err != nil {
		return dbErr(err)
	}
	return nil
}

// readOwnership reads a row's owner and owning business unit in tx (locking
// it when lock, on engines with FOR UPDATE); nil when there is no such row.
// Columns the table lacks stay empty (organization-owned tables).
func (s *Server) readOwnership(ctx context.Context, tx *sql.Tx, t *plan.Table, id string, lock bool) (*security.RowRef, error) {
	cols := []string{t.PrimaryKey}
	for _, c := range []string{security.ColOwner, security.ColOwningBU} {
		if _, ok := t.Column(c); ok {
			cols = append(cols, c)
		}
	}
	pl, err := plan.Build(byIDQuery(t, id, ColumnSet{Columns: cols}), plan.Options{Catalog: s.catalog.all, Now: s.cfg.Now(), AccentSensitive: s.cfg.AccentSensitive})
	if err != nil {
		return nil, err
	}
	d, ok := sqlemit.DialectByName(s.cfg.DB.Dialect)
	if !ok {
		return nil, diagErr(diag.DatabaseError, "no SQL dialect %q", s.cfg.DB.Dialect)
	}
	st, err := sqlemit.Emit(pl, d)
	if err != nil {
		return nil, err
	}
	q := st.SQL
	if lock && (s.cfg.DB.Dialect == engine.Postgres || s.cfg.DB.Dialect == engine.MySQL) {
		q += " FOR UPDATE" // the owner cannot change between the check and the write
	}
	rows, err := tx.QueryContext(ctx, q, st.Args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, dbErrOrNil(rows.Err())
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, dbErr(err)
	}
	ref := &security.RowRef{Table: strings.ToLower(t.LogicalName), ID: id}
	for i, c := range cols[1:] {
		g := guidText(vals[i+1])
		if c == security.ColOwner {
			ref.OwnerID = g
		} else {
			ref.OwningBusinessUnit = g
		}
	}
	return ref, nil
}

// readTargets reads the rows the write's lookups point at, for Append and
// AppendTo. A lookup naming a missing row is NotFound, as Dataverse fails
// it.
func (s *Server) readTargets(ctx context.Context, tx *sql.Tx, wr *WriteRequest) error {
	wr.Targets = nil
	for n, v := range wr.Values {
		c, ok := wr.Table.Column(n)
		if !ok || ownershipColumns[strings.ToLower(c.LogicalName)] || (c.Type != plan.TLookup && c.Type != plan.TCustomer && c.Type != plan.TOwner) {
			continue
		}
		id, ok := plan.CanonicalGUID(lookupID(v))
		if !ok {
			continue // null or malformed: the statement reports a bad value
		}
		names := c.Targets
		if ln := lookupName(v); ln != "" {
			names = []string{ln}
		}
		var found *security.RowRef
		for _, name := range names {
			t, ok := s.catalog.all.Table(name)
			if !ok || t.PrimaryKey == "" {
				continue
			}
			ref, err := s.readOwnership(ctx, tx, t, id, false)
			if err != nil {
				return err
			}
			if ref != nil {
				found = ref
				break
			}
		}
		if found == nil {
			return diagErr(diag.NotFound, "%s.%s: no %s with id %s", wr.Table.LogicalName, c.LogicalName, strings.Join(names, " or "), id)
		}
		if wr.Targets == nil {
			wr.Targets = map[string]*security.RowRef{}
		}
		wr.Targets[strings.ToLower(c.LogicalName)] = found
	}
	return nil
}

// guidText is a scanned key as canonical GUID text (pgx scans uuid as 16
// bytes).
func guidText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		g, _ := plan.CanonicalGUID(x)
		return g
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case []byte:
		if len(x) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
		}
		g, _ := plan.CanonicalGUID(string(x))
		return g
	}
	g, _ := plan.CanonicalGUID(fmt.Sprint(v))
	return g
}

func dbErrOrNil(err error) error {
	if err == nil {
		return nil
	}
	return dbErr(err)
}

func (s *Server) writeStatement(wr *WriteRequest) (*sqlemit.Statement, error) {
	d, ok := sqlemit.DialectByName(s.cfg.DB.Dialect)
	if !ok {
		return nil, diagErr(diag.DatabaseError, "no SQL dialect %q", s.cfg.DB.Dialect)
	}
	pk, _ := wr.Table.Column(wr.Table.PrimaryKey)
	key := &plan.Value{Kind: plan.KGuid, V: wr.ID}
	var set []engine.Assignment
	if wr.Kind == engine.Insert {
		set = append(set, engine.Assignment{Column: pk, Value: key})
	}
	names := make([]string, 0, len(wr.Values))
	for n := range wr.Values {
		names = append(names, n)
	}
	slices.Sort(names) // deterministic SQL text
	for _, n := range names {
		c, ok := wr.Table.Column(n)
		if !ok {
			return nil, diagErr(diag.UnknownColumn, "%s has no attribute %q", wr.Table.LogicalName, n)
		}
		if c.IsPrimaryKey {
			continue
		}
		v, err := engine.ValueFor(c, normalize(wr.Values[n]))
		if err != nil {
			return nil, err
		}
		set = append(set, engine.Assignment{Column: c, Value: v})
	}
	return engine.EmitWrite(d, wr.Table, wr.Kind, key, set)
}

// normalize turns the Go values hooks may set into the JSON forms ValueFor
// reads.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []int64:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = json.Number(strconv.FormatInt(n, 10))
		}
		return out
	}
	return v
}

func dbErr(err error) error {
	return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: err.Error(), Err: err}}.Err()
}

func lookupFold(m map[string]any, k string) (any, bool) {
	for n, v := range m {
		if strings.EqualFold(n, k) {
			return v, true
		}
	}
	return nil, false
}

func deleteFold(m map[string]any, k string) {
	for n := range m {
		if strings.EqualFold(n, k) {
			delete(m, n)
		}
	}
}

// newGUID is a random (version 4) GUID, lower case.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func contextTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}
