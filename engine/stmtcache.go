package engine

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
)

// Prepared statements are kept per connection, on every engine: pgx's own
// cache on PostgreSQL (see queryPostgres), and on SQLite and MySQL a cache
// of the driver's statements inside each driver connection (stmtConn). An
// emitted statement differs between requests only in its bind parameters,
// so a repeated query shape skips the driver's prepare: the pure-Go SQLite
// driver compiles every query it is given, and go-sql-driver/mysql
// prepares and closes a server-side statement per call with arguments
// (three round trips instead of one).
//
// Why at the driver connection and not a *sql.Stmt shared by the pool (as
// before) or a cache keyed by *sql.Conn: database/sql never uses a driver
// connection from two goroutines at once (every call on it, including a
// Rows' Next and Close, runs under the connection's lock), so a cache
// that lives inside the connection is only ever touched by one goroutine,
// needs no lock of its own, and shares no statement between requests:
// issue 9's race (a statement closed under a query on another connection)
// cannot occur. Its life is the connection's: database/sql closes a
// connection that broke or was killed (a MySQL connection stopped with
// KILL CONNECTION on cancellation reports itself invalid, killConn), and
// Close closes its statements with it, so no cached statement outlives
// its connection.

// stmtCacheSize bounds the statements kept per connection. MySQL limits
// the prepared statements of the whole server (max_prepared_stmt_count,
// 16,382 by default): 128 per connection leaves room for a pool of 64
// (the default pool of a 16-core machine) and other clients.
const stmtCacheSize = 128

// cacheStatements wraps a connector so that each of its connections keeps
// its prepared statements (stmtConn).
func cacheStatements(base driver.Connector) driver.Connector { return &stmtConnector{base: base} }

type stmtConnector struct{ base driver.Connector }

func (c *stmtConnector) Driver() driver.Driver { return c.base.Driver() }

func (c *stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(preparingConn)
	if !ok {
		return conn, nil // another driver shape: no cache
	}
	return &stmtConn{base: pc, stmts: make(map[string]*list.Element)}, nil
}

// preparingConn is what the cache needs of a driver connection (both
// modernc.org/sqlite's and go-sql-driver/mysql's, the latter wrapped by
// killConn, have it).
type preparingConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
}

// cacheableStmt is a driver statement that runs with a context.
type cacheableStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

// stmtConn is a driver connection with an LRU of its prepared statements,
// by SQL text. Every query goes through the cache (the prepared path, as
// database/sql's own statements took before); an Exec only when it has
// arguments (DDL, BEGIN, KILL and the like are run once).
type stmtConn struct {
	base  preparingConn
	stmts map[string]*list.Element // of *cachedStmt, in lru
	lru   list.List                // most recently used first
}

// cachedStmt is one prepared statement of a connection.
type cachedStmt struct {
	query string
	st    cacheableStmt
	// busy: rows read from it are open. A second query of the same text on
	// the connection meanwhile (a transaction reading while it iterates)
	// gets a statement of its own, since re-running this one would reset
	// the open rows (SQLite reuses the statement's handle for its rows).
	busy bool
	// evicted: out of the cache while busy; closed when its rows close.
	evicted bool
}

// lookup returns the statement for query, preparing and caching it on a
// miss; cached says it came from the cache. It answers driver.ErrSkip when
// the statement is busy (database/sql then prepares a statement for this
// call and closes it after).
func (c *stmtConn) lookup(ctx context.Context, query string) (cs *cachedStmt, cached bool, err error) {
	if el, ok := c.stmts[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			return nil, false, driver.ErrSkip
		}
		c.lru.MoveToFront(el)
		return cs, true, nil
	}
	st, err := c.base.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	cst, ok := st.(cacheableStmt)
	if !ok {
		st.Close()
		return nil, false, driver.ErrSkip
	}
	cs = &cachedStmt{query: query, st: cst}
	c.stmts[query] = c.lru.PushFront(cs)
	if c.lru.Len() > stmtCacheSize {
		c.evict(c.lru.Back().Value.(*cachedStmt))
	}
	return cs, false, nil
}

// evict takes cs out of the cache; it is closed now, or by its rows'
// Close when they are open.
func (c *stmtConn) evict(cs *cachedStmt) {
	if el, ok := c.stmts[cs.query]; ok && el.Value == cs {
		delete(c.stmts, cs.query)
		c.lru.Remove(el)
	}
	if cs.busy {
		cs.evicted = true
		return
	}
	cs.st.Close()
}

// run runs do on query's statement. A statement that fails is evicted
// (the next query prepares it afresh), unless the context ended: the
// statement is not at fault then, and a MySQL connection killed on
// cancellation is discarded with its cache anyway. A cached statement the
// database reports stale (its table was made again under it) is prepared
// again and run once more, so the caller never sees the stale plan.
func (c *stmtConn) run(ctx context.Context, query string, do func(*cachedStmt) error) error {
	cs, cached, err := c.lookup(ctx, query)
	if err != nil {
		return err
	}
	if err = do(cs); err == nil || ctx.Err() != nil {
		return err
	}
	c.evict(cs)
	if !cached || !staleStatement(err) {
		return err
	}
	if cs, _, err = c.lookup(ctx, query); err != nil {
		return err
	}
	if err = do(cs); err != nil && ctx.Err() == nil {
		c.evict(cs)
	}
	return err
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	var rows driver.Rows
	err := c.run(ctx, query, func(cs *cachedStmt) error {
		r, err := cs.st.QueryContext(ctx, args)
		if err != nil {
			return err
		}
		cs.busy = true
		rows = &stmtRows{Rows: r, c: c, cs: cs}
		return nil
	})
	return rows, err
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		if ex, ok := c.base.(driver.ExecerContext); ok {
			return ex.ExecContext(ctx, query, args)
		}
		return nil, driver.ErrSkip
	}
	var res driver.Result
	err := c.run(ctx, query, func(cs *cachedStmt) (err error) {
		res, err = cs.st.ExecContext(ctx, args)
		return err
	})
	return res, err
}

// release is called when rows read from cs close.
func (c *stmtConn) release(cs *cachedStmt) {
	cs.busy = false
	if cs.evicted {
		cs.st.Close()
	}
}

// Close closes the connection's statements, then the connection.
func (c *stmtConn) Close() error {
	for el := c.lru.Front(); el != nil; el = el.Next() {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			cs.evicted = true // closed with its rows
			continue
		}
		cs.st.Close() // a failure here changes nothing: the connection goes
	}
	c.stmts, c.lru = nil, list.List{}
	return c.base.Close()
}

// The rest of the connection is the driver's; the defaults of an
// interface the driver lacks are database/sql's.

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) { return c.base.Prepare(query) }

func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.base.PrepareContext(ctx, query)
}

// Begin is driver.Conn's; database/sql calls BeginTx.
func (c *stmtConn) Begin() (driver.Tx, error) { return c.base.Begin() }

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.base.BeginTx(ctx, opts)
}

func (c *stmtConn) Ping(ctx context.Context) error {
	if p, ok := c.base.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *stmtConn) ResetSession(ctx context.Context) error {
	if r, ok := c.base.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *stmtConn) IsValid() bool {
	if v, ok := c.base.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *stmtConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.base.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// stmtRows are rows of a cached statement: closing them frees it.
type stmtRows struct {
	driver.Rows
	c  *stmtConn
	cs *cachedStmt
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.c.release(r.cs)
		r.cs = nil
	}
	return err
}

// The column-type interfaces database/sql looks for (Rows.ColumnTypes),
// passed on from the driver's rows.

func (r *stmtRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *stmtRows) ColumnTypeLength(i int) (int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *stmtRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *stmtRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *stmtRows) HasNextResultSet() bool {
	x, ok := r.Rows.(driver.RowsNextResultSet)
	return ok && x.HasNextResultSet()
}

func (r *stmtRows) NextResultSet() error {
	if x, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return x.NextResultSet()
	}
	return io.EOF // database/sql's reading of "no further result set"
}

// query runs an emitted statement; the connection it runs on prepares it
// once (see above).
func (db *DB) query(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	if err := sqlemit.UnboundParam(args); err != nil {
		return nil, err // untyped mode's :caller, never bound
	}
	var (
		rows *sql.Rows
		err  error
	)
	if db.Dialect == Postgres {
		rows, err = db.queryPostgres(ctx, text, args)
	} else {
		rows, err = db.SQL.QueryContext(ctx, text, args...)
	}
	if err != nil && ctx.Err() == nil && deadConnection(err) {
		// The pool handed out a connection the database or a cancelled
		// request closed (pgx closes a connection whose query was
		// cancelled; a backend can be terminated): a read changes
		// nothing, so it is run once more, on another connection. A
		// database that is down fails again, and is reported so.
		rows, err = db.SQL.QueryContext(ctx, text, args...)
	}
	return rows, err
}

// deadConnection reports whether err says the connection a statement was
// sent on is closed: by the database (EOF, reset, broken pipe, a
// terminated backend), or by the driver (pgx's "conn closed",
// go-sql-driver's invalid connection). A refused dial is not: the next
// connection would be refused too.
func deadConnection(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P01" // admin_shutdown: this backend was terminated
	}
	return strings.Contains(err.Error(), "conn closed")
}

// queryPostgres runs text through pgx's own statement cache: each pooled
// connection prepares a statement the first time it runs its text and
// keeps it in an LRU of StatementCacheCapacity (512 unless the DSN sets
// statement_cache_capacity; default_query_exec_mode=cache_statement).
// pgx forgets a statement whose query failed, so a stale one (the schema
// changed under it) is prepared again by the one retry.
func (db *DB) queryPostgres(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	rows, err := db.SQL.QueryContext(ctx, text, args...)
	if err != nil && ctx.Err() == nil && staleStatement(err) {
		rows, err = db.SQL.QueryContext(ctx, text, args...)
	}
	return rows, err
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
