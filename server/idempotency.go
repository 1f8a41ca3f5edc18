package server

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
)

// Idempotency-Key on a create (SDK Create, OData POST) makes a retry of
// that create return the first answer instead of creating again. The key
// is remembered in a table the server creates on first use
// (Config.IdempotencyTable), written in the create's own transaction, so
// that a key is taken exactly when its row is, across restarts and every
// instance on the database. A key is scoped to the calling application and
// acting user, and remembered for IdempotencyRetention; the same key with
// another body is refused (VE6034), and a second create racing the first
// with the same key waits for it and answers as it did.

const (
	// IdempotencyRetention is how long a key is remembered.
	IdempotencyRetention = 24 * time.Hour
	// maxIdempotencyKey bounds a key's length (printable ASCII).
	maxIdempotencyKey = 200
)

// idempotency is the server's key table, created once.
type idempotency struct {
	mu      sync.Mutex
	ready   bool
	inserts int
}

// idemEntry is one keyed create: the scope (a digest of the caller and the
// key), the request's digest, and the record it created.
type idemEntry struct {
	scope, request, entity, record string
}

// errKeyTaken is a create that lost the race for its key.
var errKeyTaken = errors.New("idempotency key taken by a concurrent create")

// idempotencyKey reads the Idempotency-Key header: "" when absent.
func idempotencyKey(r *http.Request) (string, error) {
	vals := r.Header.Values("Idempotency-Key")
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", diagErr(diag.RepeatedHeader, "Idempotency-Key is given %d times: give it once", len(vals))
	}
	k := strings.TrimSpace(vals[0])
	if k == "" || len(k) > maxIdempotencyKey {
		return "", diagErr(diag.BadAttributeValue, "Idempotency-Key must be 1 to %d characters", maxIdempotencyKey)
	}
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return "", diagErr(diag.BadAttributeValue, "Idempotency-Key must be printable ASCII")
		}
	}
	return k, nil
}

// noIdempotencyKey refuses the header where it does not apply: updates and
// deletes are idempotent by key already.
func noIdempotencyKey(r *http.Request) error {
	if len(r.Header.Values("Idempotency-Key")) > 0 {
		return diagErr(diag.ConflictingOptions, "Idempotency-Key applies to creates; %s %s is idempotent by its key", r.Method, r.URL.Path)
	}
	return nil
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newIdemEntry is the entry of a keyed create of vals in entity by p.
func newIdemEntry(p *Principal, key, entity, id string, vals map[string]any) *idemEntry {
	body, _ := json.Marshal(vals) // sorted keys: one digest per canonical request
	return &idemEntry{
		scope:   digest(p.App, p.Kind.String(), p.BackendID, key),
		request: digest(strings.ToLower(entity), id, string(body)),
		entity:  strings.ToLower(entity),
	}
}

func (s *Server) idemTable() string {
	if s.cfg.IdempotencyTable != "" {
		return s.cfg.IdempotencyTable
	}
	return engine.IdempotencyTable
}

// placeholder is the n-th (1-based) bind parameter of the dialect.
func (s *Server) placeholder(n int) string {
	if s.cfg.DB.Dialect == engine.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// ensureIdemTable creates the key table on first use.
func (s *Server) ensureIdemTable(ctx context.Context) error {
	s.idem.mu.Lock()
	defer s.idem.mu.Unlock()
	if s.idem.ready {
		return nil
	}
	_, err := s.cfg.DB.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+s.idemTable()+
		` (scope CHAR(64) NOT NULL PRIMARY KEY, request CHAR(64) NOT NULL, entity VARCHAR(128) NOT NULL, record VARCHAR(36) NOT NULL, created BIGINT NOT NULL)`)
	if err != nil {
		return dbErr(err)
	}
	s.idem.ready = true
	return nil
}

// lookupKey finds a remembered create of the scope: nil when none (or
// expired).
func (s *Server) lookupKey(ctx context.Context, e *idemEntry) (*idemEntry, error) {
	var got idemEntry
	var created int64
	err := s.cfg.DB.SQL.QueryRowContext(ctx, `SELECT request, entity, record, created FROM `+s.idemTable()+` WHERE scope = `+s.placeholder(1), e.scope).
		Scan(&got.request, &got.entity, &got.record, &created)
	if errors.Is(err, sql.ErrNoRows) || err == nil && created < s.idemCutoff() {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	got.scope = e.scope
	return &got, nil
}

// idemCutoff is the creation time (Unix seconds, Config.Now's clock) before
// which a key has expired.
func (s *Server) idemCutoff() int64 {
	return s.cfg.Now().Add(-IdempotencyRetention).Unix()
}

// rememberKey writes the key in the create's transaction, and now and then
// forgets the expired ones. A key another create holds is errKeyTaken. The
// key's own expired row goes first, in the same transaction: lookupKey
// treats it as absent, so the insert must not trip over it (the sweep is
// only occasional).
func (s *Server) rememberKey(ctx context.Context, tx *sql.Tx, e *idemEntry) error {
	now := s.cfg.Now()
	cutoff := s.idemCutoff()
	// An expired row of this key is deleted first, so that the key can be
	// used again at once. It is looked for with a plain read: a DELETE that
	// finds nothing still takes InnoDB's gap lock, and two retries of one
	// key holding it would deadlock each other on their INSERTs.
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT created FROM `+s.idemTable()+` WHERE scope = `+s.placeholder(1), e.scope).Scan(&created)
	switch {
	case err == nil && created < cutoff:
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+s.idemTable()+` WHERE scope = `+s.placeholder(1)+` AND created < `+s.placeholder(2), e.scope, cutoff); err != nil {
			return dbErr(err)
		}
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return dbErr(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+s.idemTable()+` (scope, request, entity, record, created) VALUES (`+
		s.placeholder(1)+`, `+s.placeholder(2)+`, `+s.placeholder(3)+`, `+s.placeholder(4)+`, `+s.placeholder(5)+`)`,
		e.scope, e.request, e.entity, e.record, now.Unix())
	if err != nil {
		if isConstraint(err) {
			return errKeyTaken
		}
		return dbErr(err)
	}
	s.idem.mu.Lock()
	s.idem.inserts++
	sweep := s.idem.inserts%100 == 1
	s.idem.mu.Unlock()
	if sweep {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+s.idemTable()+` WHERE created < `+s.placeholder(1), cutoff); err != nil {
			return dbErr(err)
		}
	}
	return nil
}

// replay answers a keyed create from what was remembered: the first
// answer's record, or VE6034 when the key was used for another request.
func replay(e, got *idemEntry) (string, error) {
	if got.request != e.request {
		return "", diagErr(diag.IdempotencyKeyReused, "this Idempotency-Key was used for another create (of %s %s): use a new key for a new request", got.entity, got.record)
	}
	return got.record, nil
}
