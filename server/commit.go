package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// A write whose COMMIT fails in a way that does not say whether the
// database applied it (the connection died, was reset or timed out while
// COMMIT was in flight) is in doubt. Answering "retry later" would make
// clients that retry create duplicates or trip over their own write, so
// the server finds out: it re-reads the row by key on another connection
// until the database answers or the window ends, and answers as if COMMIT
// had returned when the write is there (Create: the row with its id
// exists; Update: the row holds every written value; Delete: the row is
// gone), 503 with Retry-After when it is verifiably not there (a retry is
// then safe), and otherwise 502 VE6033 without Retry-After: the outcome is
// unknown and the client must read before it writes again.

// commitTx commits, and writeCheck reads a write back; tests replace them
// to fail around COMMIT and to keep the database from answering.
var (
	commitTx   = func(tx *sql.Tx) error { return tx.Commit() }
	writeCheck = (*Server).writeIsThere
)

// commit commits tx, which holds the writes wrs (one, or a $batch change
// set's), and resolves a COMMIT in doubt.
func (s *Server) commit(ctx context.Context, tx *sql.Tx, wrs ...*WriteRequest) error {
	err := commitTx(tx)
	if err == nil {
		return nil
	}
	if !commitInDoubt(err) {
		return dbErr(err)
	}
	logWarn(ctx, "COMMIT failed without an answer; reading the row back to find out whether it committed", err)
	// The request's own deadline may be what cut COMMIT short: the check
	// gets a window of its own, bounded like a query.
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.QueryTimeout)
	defer cancel()
	unknown := func() error {
		what := "the records it wrote"
		if len(wrs) > 0 {
			what = wrs[0].Table.LogicalName + " " + wrs[0].ID
			if len(wrs) > 1 {
				what += fmt.Sprintf(" and the %d other records of the change set", len(wrs)-1)
			}
		}
		return diagErr(diag.OutcomeUnknown, "the database connection failed during COMMIT and the database could not tell whether the write was applied: read %s before writing again", what)
	}
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		there, verr := s.applied(vctx, wrs)
		if errors.Is(verr, errPartlyThere) {
			logWarn(ctx, "the outcome of a COMMIT stays unknown", verr)
			return unknown()
		}
		if verr == nil {
			if there {
				return nil
			}
			return diagErr(diag.Unavailable, "the database connection failed during COMMIT and the write is verifiably not there: it was not applied; retry")
		}
		select {
		case <-vctx.Done():
			logWarn(ctx, "the outcome of a COMMIT stays unknown", verr)
			return unknown()
		case <-time.After(wait):
		}
	}
}

// errPartlyThere: some writes of a transaction read back as applied and
// others not (someone wrote the rows since): the outcome stays unknown.
var errPartlyThere = errors.New("some of the transaction's writes are there and some are not")

// applied reads the writes of one transaction back: applied when every
// write is there, or a create is (the transaction is atomic, and a row
// with the id just created is there only if it committed); not applied
// when none is.
func (s *Server) applied(ctx context.Context, wrs []*WriteRequest) (bool, error) {
	if len(wrs) == 0 {
		return false, errPartlyThere
	}
	there := 0
	for _, wr := range wrs {
		ok, err := writeCheck(s, ctx, wr)
		if err != nil {
			return false, err
		}
		if ok {
			if wr.Kind == engine.Insert {
				return true, nil
			}
			there++
		}
	}
	switch there {
	case len(wrs):
		return true, nil
	case 0:
		return false, nil
	}
	return false, errPartlyThere
}

// commitInDoubt says whether a COMMIT error leaves the outcome unknown: a
// refusal by the database itself (a serialization failure at COMMIT, a
// deferred constraint) means rolled back; a transaction database/sql
// already rolled back is ErrTxDone; anything else (a broken connection,
// a timeout, a cancelled context) may have come after the database
// committed.
func commitInDoubt(err error) bool {
	var pe *pgconn.PgError
	var me *mysql.MySQLError
	var se *sqlite.Error
	switch {
	case errors.Is(err, sql.ErrTxDone), errors.As(err, &pe), errors.As(err, &me):
		return false
	case errors.As(err, &se):
		return se.Code()&0xff == 10 // SQLITE_IOERR: the journal may or may not be synced
	}
	return true
}

// writeIsThere re-reads the written row by key on a connection of the
// pool (not the failed one) and says whether the write is applied.
func (s *Server) writeIsThere(ctx context.Context, wr *WriteRequest) (bool, error) {
	cols := []string{wr.Table.PrimaryKey}
	if wr.Kind == engine.Update {
		for _, a := range wr.written() {
			cols = append(cols, a.Column.LogicalName)
		}
	}
	pl, err := plan.Build(byIDQuery(wr.Table, wr.ID, ColumnSet{Columns: cols}), plan.Options{Catalog: s.catalog.all, Now: s.cfg.Now(), AccentSensitive: s.cfg.AccentSensitive})
	if err != nil {
		return false, err
	}
	res, err := s.cfg.DB.Exec(ctx, pl)
	if err != nil {
		return false, err
	}
	switch wr.Kind {
	case engine.Insert:
		return len(res.Rows) == 1, nil
	case engine.Delete:
		return len(res.Rows) == 0, nil
	}
	if len(res.Rows) != 1 {
		return false, nil // deleted since: the update cannot be shown applied
	}
	row := res.Rows[0]
	for i, a := range wr.written() {
		if i+1 >= len(row) || !sameValue(a, row[i+1].Value) {
			return false, nil
		}
	}
	return true, nil
}

// sameValue compares a written value with the value read back, in the
// column's kind: numbers as numbers, times as instants, GUIDs and
// multi-select lists canonical.
func sameValue(a engine.Assignment, read any) bool {
	if a.Value == nil || read == nil {
		return a.Value == nil && read == nil
	}
	return canonical(a.Column, a.Value.V) == canonical(a.Column, read)
}

func canonical(c *plan.Column, v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []int64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ",")
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	s := strings.TrimSpace(toString(v))
	switch c.Type.Kind() {
	case plan.KDecimal, plan.KInt:
		if r, ok := new(big.Rat).SetString(s); ok {
			return r.RatString()
		}
	case plan.KFloat:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	case plan.KGuid:
		if g, ok := plan.CanonicalGUID(s); ok {
			return g
		}
	case plan.KDateTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return s
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case interface{ String() string }:
		return x.String()
	}
	return ""
}
