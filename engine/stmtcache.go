package engine

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// stmtCache keeps prepared statements by SQL text. Emitted statements
// differ only in their bind parameters, so a repeated query shape skips
// the driver's prepare: the pure-Go SQLite driver compiles every query it
// is given, and go-sql-driver/mysql prepares and closes a statement per
// call with arguments. It is bounded: when full it is emptied, which
// costs a re-prepare, never a wrong statement.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// stmtCacheSize bounds the prepared statements kept per database.
const stmtCacheSize = 256

// prepared returns the cached statement for text, preparing it once;
// cached says it came from the cache rather than a prepare of this call.
func (db *DB) prepared(ctx context.Context, text string) (st *sql.Stmt, cached bool, err error) {
	c := &db.stmts
	c.mu.Lock()
	st, ok := c.stmts[text]
	c.mu.Unlock()
	if ok {
		return st, true, nil
	}
	// Prepared on the database, not the request: a cached statement must
	// not die with the context of the request that first ran it.
	st, err = db.SQL.PrepareContext(context.WithoutCancel(ctx), text)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[text]; ok { // another goroutine was first
		st.Close()
		return old, true, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for k, s := range c.stmts {
			s.Close() // closes once the queries using it have finished
			delete(c.stmts, k)
		}
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[text] = st
	return st, false, nil
}

// forget drops a statement that failed, so that a schema change (a table
// dropped and made again) prepares it afresh.
func (db *DB) forget(text string) {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[text]; ok {
		st.Close()
		delete(c.stmts, text)
	}
}

// query runs an emitted statement through the statement cache. A cached
// statement that the database has invalidated (a schema change altered
// its result type) is forgotten and prepared again once, so the caller
// never sees the stale plan; any other failure is the driver's error, and
// the statement is forgotten all the same.
func (db *DB) query(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	st, cached, err := db.prepared(ctx, text)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err == nil {
		return rows, nil
	}
	db.forget(text)
	if !cached || ctx.Err() != nil || !staleStatement(err) {
		return nil, err
	}
	if st, _, err = db.prepared(ctx, text); err != nil {
		return nil, err
	}
	rows, err = st.QueryContext(ctx, args...)
	if err != nil {
		db.forget(text)
	}
	return rows, err
}

// closeStmts closes the cached statements (Close calls it).
func (db *DB) closeStmts() {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.stmts {
		s.Close()
		delete(c.stmts, k)
	}
}

// staleStatement reports whether err says a prepared statement no longer
// fits the schema: PostgreSQL's "cached plan must not change result type"
// (0A000) or a statement the server no longer knows (26000), MySQL's
// ER_NEED_REPREPARE (1615) or unknown statement handler (1243), SQLite's
// SQLITE_SCHEMA.
func staleStatement(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "0A000" && strings.Contains(pg.Message, "cached plan") || pg.Code == "26000"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1615 || my.Number == 1243
	}
	return strings.Contains(err.Error(), "SQLITE_SCHEMA") || strings.Contains(err.Error(), "database schema has changed")
}
