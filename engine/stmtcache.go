package engine

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
)

// stmtCache keeps prepared statements by SQL text, for SQLite and MySQL
// (PostgreSQL uses pgx's per-connection cache, see queryPostgres). Emitted statements
// differ only in their bind parameters, so a repeated query shape skips
// the driver's prepare: the pure-Go SQLite driver compiles every query it
// is given, and go-sql-driver/mysql prepares and closes a statement per
// call with arguments. It is bounded: when full it is emptied, which
// costs a re-prepare, never a wrong statement.
//
// Statements are shared by concurrent requests, so one is closed only
// once it has left the cache and no query holds it: a request that fails
// or is cancelled drops the statement from the cache, but never closes it
// under another request (which would fail with "sql: statement is
// closed").
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

// cachedStmt is a statement and the queries holding it.
type cachedStmt struct {
	st      *sql.Stmt
	holders int  // queries between acquire and release; guarded by stmtCache.mu
	dropped bool // out of the cache: closed when the last holder releases it
}

// stmtCacheSize bounds the prepared statements kept per database.
const stmtCacheSize = 256

// acquire returns the cached statement for text, preparing it once, and
// holds it until release; cached says it came from the cache rather than
// a prepare of this call. The prepare runs under ctx, the request's
// deadline: a prepare waits for a connection and, on PostgreSQL and
// MySQL, for the locks of the tables it names. The statement outlives
// ctx all the same (database/sql re-prepares it per connection with the
// context of the query that needs it).
func (db *DB) acquire(ctx context.Context, text string) (cs *cachedStmt, cached bool, err error) {
	c := &db.stmts
	c.mu.Lock()
	if cs, ok := c.stmts[text]; ok {
		cs.holders++
		c.mu.Unlock()
		return cs, true, nil
	}
	c.mu.Unlock()
	st, err := db.SQL.PrepareContext(ctx, text)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[text]; ok { // another goroutine was first
		st.Close()
		old.holders++
		return old, true, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for k, old := range c.stmts {
			c.dropLocked(k, old)
		}
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*cachedStmt)
	}
	cs = &cachedStmt{st: st, holders: 1}
	c.stmts[text] = cs
	return cs, false, nil
}

// release lets go of a statement acquire returned; a dropped statement
// is closed by its last holder. Rows still open on it keep it alive
// (database/sql closes the driver's statement when they close).
func (db *DB) release(cs *cachedStmt) {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.holders--
	if cs.dropped && cs.holders == 0 {
		cs.st.Close()
	}
}

// forget drops cs from the cache, so that a statement that failed (a
// table dropped and made again) is prepared afresh by the next query.
func (db *DB) forget(text string, cs *cachedStmt) {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmts[text] == cs {
		c.dropLocked(text, cs)
	}
}

// dropLocked takes cs out of the map; it is closed now if no query holds
// it, else by its last holder.
func (c *stmtCache) dropLocked(text string, cs *cachedStmt) {
	delete(c.stmts, text)
	cs.dropped = true
	if cs.holders == 0 {
		cs.st.Close()
	}
}

// query runs an emitted statement through the statement cache. A cached
// statement that the database has invalidated (a schema change altered
// its result type) is forgotten and prepared again once, so the caller
// never sees the stale plan; any other failure is the driver's error,
// and the statement is forgotten all the same unless the query was
// cancelled (the statement is not at fault then).
func (db *DB) query(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	if err := sqlemit.UnboundParam(args); err != nil {
		return nil, err // untyped mode's :caller, never bound
	}
	if db.Dialect == Postgres {
		return db.queryPostgres(ctx, text, args)
	}
	cs, cached, err := db.acquire(ctx, text)
	if err != nil {
		return nil, err
	}
	rows, err := cs.st.QueryContext(ctx, args...)
	db.release(cs)
	if err == nil {
		return rows, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	db.forget(text, cs)
	if !cached || !staleStatement(err) {
		return nil, err
	}
	if cs, _, err = db.acquire(ctx, text); err != nil {
		return nil, err
	}
	rows, err = cs.st.QueryContext(ctx, args...)
	db.release(cs)
	if err != nil && ctx.Err() == nil {
		db.forget(text, cs)
	}
	return rows, err
}

// queryPostgres runs text through pgx's own statement cache: each pooled
// connection prepares a statement the first time it runs its text and
// keeps it in an LRU of StatementCacheCapacity (512 unless the DSN sets
// statement_cache_capacity; default_query_exec_mode=cache_statement), so
// no database/sql statement, shared by every connection and re-prepared
// on each, stands between. pgx forgets a statement whose query failed,
// so a stale one (the schema changed under it) is prepared again by the
// one retry.
func (db *DB) queryPostgres(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	rows, err := db.SQL.QueryContext(ctx, text, args...)
	if err != nil && ctx.Err() == nil && staleStatement(err) {
		rows, err = db.SQL.QueryContext(ctx, text, args...)
	}
	return rows, err
}

// closeStmts closes the cached statements (Close calls it).
func (db *DB) closeStmts() {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cs := range c.stmts {
		c.dropLocked(k, cs)
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
