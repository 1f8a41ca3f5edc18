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

// write runs one write in a transaction: the security check, the hooks,
// then the statement; Update and Delete of a missing row are NotFound.
func (s *Server) write(ctx context.Context, p *Principal, wr *WriteRequest) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	// The check comes before the transaction: a model that reads the
	// database must not wait for the connection the transaction holds
	// (SQLite in memory has one).
	if err := s.cfg.Security.CheckWrite(ctx, p, wr); err != nil {
		return err
	}
	db := s.cfg.DB
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(err)
	}
	defer tx.Rollback()
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
