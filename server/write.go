package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// WriteRequest is one Create, Update or Delete as hooks and the security
// model see it. Values are by column logical name (as the metadata spells
// it), as JSON values (string, json.Number, bool, nil, arrays for
// multi-select, EntityReference / OptionSetValue / Money objects); hooks
// may set Go numbers and time.Time too. Values is nil for Delete.
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

	set     []engine.Assignment // Values decoded: what is checked and written
	idem    *idemEntry          // a keyed create's key, written in its transaction
	cond    *precondition       // what the row's current version must be (Update, Delete)
	version int64               // the row version written (tables with versionnumber)
}

// written is what the statement writes besides the key: the decoded
// values and the new row version.
func (w *WriteRequest) written() []engine.Assignment {
	if w.version == 0 {
		return w.set
	}
	vc, _ := versionCol(w.Table)
	return append(slices.Clone(w.set), engine.Assignment{Column: vc, Value: &plan.Value{Kind: plan.KInt, V: w.version}})
}

// Assignments are Values decoded for their columns (engine.DecodeValue),
// sorted by column: exactly what the statement writes. A Security
// implementation judges these, never Values, which hooks may still change
// (the write is decoded and checked again after them).
func (w *WriteRequest) Assignments() []engine.Assignment { return slices.Clone(w.set) }

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
	// ConcurrencyBehavior and (Delete) RowVersion: UpdateRequest's and
	// DeleteRequest's optimistic concurrency (concurrency.go).
	ConcurrencyBehavior any    `json:"ConcurrencyBehavior"`
	RowVersion          string `json:"RowVersion"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var b writeBody
	if err := s.decodeJSON(r, &b); err != nil {
		return err
	}
	if b.Target == nil {
		return diagErr(diag.MissingAttribute, "Create needs a Target entity")
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	id, replayed, err := s.createRecord(r.Context(), p, b.Target.LogicalName, b.Target.Id, spellings(b.Target.Attributes), key)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
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
	cond, err := sdkPrecondition(b.ConcurrencyBehavior, b.Target.RowVersion)
	if err != nil {
		return err
	}
	if err := s.updateRecord(r.Context(), p, b.Target.LogicalName, b.Target.Id, spellings(b.Target.Attributes), cond); err != nil {
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
	cond, err := sdkPrecondition(b.ConcurrencyBehavior, b.RowVersion)
	if err != nil {
		return err
	}
	if err := s.deleteRecord(r.Context(), p, b.EntityName, b.Id, cond); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createRecord creates a row and returns its id; with an Idempotency-Key
// (key) a create this caller already made with the key is not made again:
// its id is returned with replayed set.
func (s *Server) createRecord(ctx context.Context, p *Principal, entity, id string, attrs []spelling, key string) (string, bool, error) {
	t, err := s.table(entity)
	if err != nil {
		return "", false, err
	}
	vals, err := canonicalAttributes(t, attrs)
	if err != nil {
		return "", false, err
	}
	// The id: Target.Id, else the primary key attribute, else a new one.
	if key, ok, err := primaryKey(t, vals); err != nil {
		return "", false, err
	} else if ok {
		if g, _ := plan.CanonicalGUID(id); id != "" && g != key {
			return "", false, diagErr(diag.ConflictingOptions, "Target.Id and the %s attribute differ", t.PrimaryKey)
		}
		id = key
	}
	if id != "" {
		if id, err = guid(id); err != nil {
			return "", false, err
		}
		if pk, ok := t.Column(t.PrimaryKey); ok && !pk.Guid.Encodes(id) {
			return "", false, diagErr(diag.KeyNotEncoded, "%s: id %s is not one its integer key can take (ids are GUIDs beginning %s)", t.LogicalName, id, plan.IntKeyPrefix)
		}
	}
	var entry *idemEntry
	if key != "" {
		if err := s.ensureIdemTable(ctx); err != nil {
			return "", false, err
		}
		entry = newIdemEntry(p, key, t.LogicalName, id, vals)
		if got, err := s.lookupKey(ctx, entry); err != nil || got != nil {
			if err != nil {
				return "", false, err
			}
			rec, err := replay(entry, got)
			return rec, err == nil, err
		}
	}
	if pk, _ := t.Column(t.PrimaryKey); id == "" && (pk == nil || pk.Guid != plan.GuidInteger && pk.Key == nil) {
		id = newGUID() // an integer key left empty is the database's to generate, a key map's id computed from the key (write)
	}
	wr := &WriteRequest{Table: t, Kind: engine.Insert, ID: id, Values: vals}
	if entry != nil {
		entry.record = id
		wr.idem = entry
	}
	err = s.write(ctx, p, wr)
	id = wr.ID
	if errors.Is(err, errKeyTaken) { // a concurrent create with the key committed first: its answer is ours
		got, lerr := s.lookupKey(ctx, entry)
		if lerr != nil || got == nil {
			return "", false, diagErr(diag.Conflict, "a concurrent create holds this Idempotency-Key")
		}
		rec, err := replay(entry, got)
		return rec, err == nil, err
	}
	return id, false, err
}

func (s *Server) updateRecord(ctx context.Context, p *Principal, entity, id string, attrs []spelling, cond *precondition) error {
	t, err := s.table(entity)
	if err != nil {
		return err
	}
	vals, err := canonicalAttributes(t, attrs)
	if err != nil {
		return err
	}
	if key, ok, err := primaryKey(t, vals); err != nil {
		return err
	} else if ok {
		if g, _ := plan.CanonicalGUID(id); id == "" {
			id = key
		} else if g != key {
			return diagErr(diag.ConflictingOptions, "the primary key of a record cannot change")
		}
	}
	if id, err = recordID(t, id); err != nil {
		return err
	}
	return s.write(ctx, p, &WriteRequest{Table: t, Kind: engine.Update, ID: id, Values: vals, cond: cond})
}

// primaryKey takes the primary key attribute out of canonical values,
// decoded as a GUID.
func primaryKey(t *plan.Table, vals map[string]any) (string, bool, error) {
	pk, ok := t.Column(t.PrimaryKey)
	if !ok {
		return "", false, nil
	}
	v, given := vals[pk.LogicalName]
	if !given {
		return "", false, nil
	}
	delete(vals, pk.LogicalName)
	a, err := engine.DecodeValue(pk, v)
	if err != nil {
		return "", false, err
	}
	if a.Value == nil {
		return "", false, diagErr(diag.TypeMismatch, "%s.%s is the record's id: it cannot be null", t.LogicalName, pk.LogicalName)
	}
	return a.Value.V.(string), true, nil
}

func (s *Server) deleteRecord(ctx context.Context, p *Principal, entity, id string, cond *precondition) error {
	t, err := s.table(entity)
	if err != nil {
		return err
	}
	if id, err = recordID(t, id); err != nil {
		return err
	}
	return s.write(ctx, p, &WriteRequest{Table: t, Kind: engine.Delete, ID: id, cond: cond})
}

// write runs one write in a transaction: the values decoded once, the
// existing row (locked), the security check on the decoded values, the
// hooks, then (when hooks ran) the values decoded and checked again, then
// the statement built from the decoded values; Update and Delete of a
// missing row are NotFound. Security.CheckWrite runs inside the
// transaction, so it must not need another database connection (SQLite
// in memory has one).
func (s *Server) write(ctx context.Context, p *Principal, wr *WriteRequest) error {
	if err := s.prepare(p, wr, true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	db := s.cfg.DB
	km := keyMapOf(wr.Table)
	if km != nil {
		if err := db.EnsureKeyMaps(ctx, []*plan.KeyMap{km}); err != nil {
			return err
		}
	}
	tx, shared, err := s.beginWrite(ctx) // shared: a $batch change set's, which the batch commits
	if err != nil {
		return err
	}
	if !shared {
		defer tx.Rollback()
	}
	if wr.cond != nil && wr.Kind != engine.Insert {
		etag, found, err := s.rowETag(ctx, tx, wr.Table, wr.ID, true)
		if err != nil {
			return err
		}
		if err := wr.cond.check(wr.Table, wr.ID, etag, found); err != nil {
			return err
		}
	}
	_, secured := s.cfg.Security.(insecure)
	secured = !secured
	check := func() error {
		if secured {
			if err := s.readTargets(ctx, tx, wr); err != nil {
				return err
			}
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
		if km != nil {
			// An id computed from a key: a row the caller cannot read is
			// answered as a missing one (keymap.go).
			if ok, err := s.readableInTx(ctx, tx, p, wr.Table, wr.ID); err != nil || !ok {
				if err != nil {
					return err
				}
				return diagErr(diag.NotFound, "%s with id %s does not exist", wr.Table.LogicalName, wr.ID)
			}
		}
		wr.Before = before
		if d, ok := s.cfg.Security.(ownerDefaulter); ok && wr.Kind == engine.Update {
			// The unit follows a new owner; which owner is new is known now.
			if err := d.defaultOwner(p, wr); err != nil {
				return err
			}
			if err := wr.decode(); err != nil {
				return err
			}
		}
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
	if len(hooks) > 0 { // a hook may have set an owner or a lookup: decode and check what is now written
		if err := s.prepare(p, wr, false); err != nil {
			return err
		}
		if secured {
			if err := check(); err != nil {
				return err
			}
		}
	}
	if _, ok := versionCol(wr.Table); ok && wr.Kind != engine.Delete {
		wr.version = nextVersion()
	}
	if err := s.expandKeyLookups(ctx, tx, wr); err != nil {
		return err
	}
	var tuple []any
	if km != nil && wr.Kind == engine.Insert {
		if tuple, err = keyMapCreate(wr, km); err != nil {
			return err
		}
	} else if km != nil && wr.Kind == engine.Update {
		if err := keyPartChange(wr, km); err != nil {
			return err
		}
	}
	st, err := s.writeStatement(wr)
	if err != nil {
		return err
	}
	var res sql.Result
	if wr.Kind == engine.Insert && wr.ID == "" {
		err = s.insertGenerated(ctx, tx, wr, st)
	} else {
		res, err = tx.ExecContext(ctx, st.SQL, st.Args...)
	}
	if err != nil {
		return dbErr(err)
	}
	if wr.Kind != engine.Insert {
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return diagErr(diag.NotFound, "%s with id %s does not exist", wr.Table.LogicalName, wr.ID)
		}
	}
	if tuple != nil { // the created row's id, recorded with the row
		if err := db.RecordKeyTx(ctx, tx, km, wr.ID, tuple); err != nil {
			return err
		}
	}
	if wr.idem != nil {
		if err := s.rememberKey(ctx, tx, wr.idem); err != nil {
			return err
		}
	}
	if shared {
		if ws, ok := ctx.Value(batchWritesKey).(*[]*WriteRequest); ok {
			*ws = append(*ws, wr) // for the change set's COMMIT, should it be in doubt
		}
		return nil
	}
	return s.commit(ctx, tx, wr)
}

// ownerDefaulter is a Security that fills in a created row's owner and a
// created or assigned row's business unit (SecurityModel: the acting user;
// the owner's business unit).
type ownerDefaulter interface {
	defaultOwner(p *Principal, w *WriteRequest) error
}

// prepare decodes a write's values (Delete has none): one spelling per
// column, the Company lookup stored as its code, the default owner and
// business unit (first pass only: a hook that drops the owner is refused
// by the check), then every value decoded once.
func (s *Server) prepare(p *Principal, wr *WriteRequest, first bool) error {
	if wr.Kind == engine.Delete {
		wr.Values, wr.set = nil, nil
		return nil
	}
	if wr.Values == nil {
		wr.Values = map[string]any{}
	}
	vals, err := canonicalAttributes(wr.Table, spellings(wr.Values))
	if err != nil {
		return err
	}
	wr.Values = vals
	if vc, ok := versionCol(wr.Table); ok {
		if _, set := vals[vc.LogicalName]; set {
			return diagErr(diag.ReadOnlyAttribute, "%s.%s is the row version the server maintains: it cannot be written (send it as If-Match or RowVersion to require it)", wr.Table.LogicalName, vc.LogicalName)
		}
	}
	if s.companies != nil {
		if err := s.companies.rewriteWrite(wr.Table, wr.Values); err != nil {
			return err
		}
	}
	if d, ok := s.cfg.Security.(ownerDefaulter); ok && first {
		if err := d.defaultOwner(p, wr); err != nil {
			return err
		}
	}
	return wr.decode()
}

// readOwnership reads a row's owner and owning business unit in tx (locking
// it when lock, on engines with FOR UPDATE); nil when there is no such row.
// Columns the table lacks stay empty (organization-owned tables).
func (s *Server) readOwnership(ctx context.Context, tx *sql.Tx, t *plan.Table, id string, lock bool) (*security.RowRef, error) {
	if pk, ok := t.Column(t.PrimaryKey); ok && !pk.Guid.Encodes(id) {
		return nil, nil // an id outside the table's integer key encoding: no such row
	}
	cols := []string{t.PrimaryKey}
	for _, c := range []string{security.ColOwner, security.ColOwningBU} {
		if _, ok := t.Column(c); ok {
			cols = append(cols, c)
		}
	}
	vals, found, err := s.readByID(ctx, tx, t, id, ColumnSet{Columns: cols}, lock)
	if err != nil || !found {
		return nil, err
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

// readByID reads one row by key in q as stored (no row security), its
// columns in the plan's order, locking it when lock is set (PostgreSQL,
// MySQL; SQLite serializes writers); found is false when there is no such
// row.
func (s *Server) readByID(ctx context.Context, q querier, t *plan.Table, id string, cols ColumnSet, lock bool) ([]any, bool, error) {
	pl, err := plan.Build(byIDQuery(t, id, cols), plan.Options{Catalog: s.catalog.all, Now: s.cfg.Now(), AccentSensitive: s.cfg.AccentSensitive})
	if err != nil {
		return nil, false, err
	}
	d, err := s.sqlDialect()
	if err != nil {
		return nil, false, err
	}
	st, err := sqlemit.Emit(pl, d)
	if err != nil {
		return nil, false, err
	}
	text := st.SQL
	if lock && (s.cfg.DB.Dialect == engine.Postgres || s.cfg.DB.Dialect == engine.MySQL) {
		text += " FOR UPDATE" // the row cannot change between the check and the write
	}
	rows, err := q.QueryContext(ctx, text, st.Args...)
	if err != nil {
		return nil, false, dbErr(err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, dbErrOrNil(rows.Err())
	}
	vals := make([]any, len(pl.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, false, dbErr(err)
	}
	return vals, true, nil
}

// sqlDialect is the SQL dialect of the configured database.
func (s *Server) sqlDialect() (sqlemit.Dialect, error) {
	d, ok := sqlemit.DialectByName(s.cfg.DB.Dialect)
	if !ok {
		return nil, diagErr(diag.DatabaseError, "no SQL dialect %q", s.cfg.DB.Dialect)
	}
	return d, nil
}

// readTargets reads the rows the write's decoded lookups point at, for
// Append and AppendTo: the table the EntityReference names, else each of
// the lookup's targets. A lookup naming a missing row is NotFound, as
// Dataverse fails it; a plain GUID found in two target tables is
// BadValueShape (the caller names the table).
func (s *Server) readTargets(ctx context.Context, tx *sql.Tx, wr *WriteRequest) error {
	wr.Targets = nil
	for _, a := range wr.set {
		c := a.Column
		if a.Value == nil || !engine.IsLookup(c.Type) || ownershipColumns[strings.ToLower(c.LogicalName)] {
			continue
		}
		id, _ := a.Value.V.(string)
		names := c.Targets
		if a.Target != "" {
			names = []string{a.Target}
		}
		var found []*security.RowRef
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
				found = append(found, ref)
			}
		}
		switch len(found) {
		case 0:
			return diagErr(diag.NotFound, "%s.%s: no %s with id %s", wr.Table.LogicalName, c.LogicalName, strings.Join(names, " or "), id)
		case 1:
		default:
			return diagErr(diag.BadValueShape, "%s.%s: id %s names a row of %s and of %s: give the EntityReference's LogicalName", wr.Table.LogicalName, c.LogicalName, id, found[0].Table, found[1].Table)
		}
		if wr.Targets == nil {
			wr.Targets = map[string]*security.RowRef{}
		}
		wr.Targets[strings.ToLower(c.LogicalName)] = found[0]
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
		return guidHex(x[:])
	case []byte:
		if len(x) == 16 {
			return guidHex(x)
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

// writeStatement builds the statement from the decoded values.
func (s *Server) writeStatement(wr *WriteRequest) (*sqlemit.Statement, error) {
	d, err := s.sqlDialect()
	if err != nil {
		return nil, err
	}
	pk, _ := wr.Table.Column(wr.Table.PrimaryKey)
	key := &plan.Value{Kind: plan.KGuid, V: wr.ID}
	var set []engine.Assignment
	if wr.Kind == engine.Insert && wr.ID != "" && pk.Key == nil { // "": an integer key the database generates; a key map's id is no column
		set = append(set, engine.Assignment{Column: pk, Value: key})
	}
	set = append(set, wr.written()...)
	return engine.EmitWrite(d, wr.Table, wr.Kind, key, set)
}

// insertGenerated runs the INSERT of a row whose integer key the database
// generates (identity, serial, AUTO_INCREMENT, SQLite's INTEGER PRIMARY
// KEY) and sets wr.ID to the generated key's GUID: RETURNING on
// PostgreSQL and SQLite, the driver's last insert id on MySQL/MariaDB (one
// row per statement, in this transaction's connection).
func (s *Server) insertGenerated(ctx context.Context, tx *sql.Tx, wr *WriteRequest, st *sqlemit.Statement) error {
	var n int64
	if s.cfg.DB.Dialect == engine.MySQL {
		res, err := tx.ExecContext(ctx, st.SQL, st.Args...)
		if err != nil {
			return err
		}
		if n, err = res.LastInsertId(); err != nil {
			return err
		}
	} else {
		pk, _ := wr.Table.Column(wr.Table.PrimaryKey)
		ret := st.SQL + " RETURNING " + s.cfg.DB.Quote(pk.PhysicalName)
		if err := tx.QueryRowContext(ctx, ret, st.Args...).Scan(&n); err != nil {
			return err
		}
	}
	wr.ID = plan.IntKeyGUID(n)
	if wr.idem != nil {
		wr.idem.record = wr.ID
	}
	return nil
}

func dbErr(err error) error {
	return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: err.Error(), Err: err}}.Err()
}

// newGUID is a random (version 4) GUID, lower case.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return guidHex(b[:])
}

// guidHex is 16 bytes in GUID text form, lower case, in byte order.
func guidHex(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// contextTimeout bounds a statement by d from now. A request's context
// already carries the deadline wrap set from the same timeout; when that
// deadline comes first, it is the bound, and a second timer would only
// cost a context and a timer per statement.
func contextTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	ctx := r.Context()
	if dl, ok := ctx.Deadline(); ok && !dl.After(time.Now().Add(d)) {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
