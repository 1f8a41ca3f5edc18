package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// MySQL and MariaDB keep running a statement whose client went away:
// go-sql-driver/mysql answers a cancelled context by closing its socket,
// and the server notices only when it next writes to it, which a long
// scan or sort may not do for minutes. killOnCancel makes cancellation
// reach the server: each connection learns its CONNECTION_ID() when it
// opens, and a statement whose context ends while it runs (or while its
// rows are read) is stopped with KILL CONNECTION from a separate
// connection. KILL QUERY would be lost when it reaches the server before
// the statement does (the driver has already sent it, or is sending it,
// as the context ends), and the statement would then run on; killing the
// connection stops it whenever it arrives. A connection that saw a kill is
// never reused anyway.
func killOnCancel(base driver.Connector) driver.Connector {
	k := &killingConnector{base: base}
	killer := sql.OpenDB(base)
	killer.SetMaxIdleConns(0) // kills are rare: hold no connection between them
	killer.SetMaxOpenConns(2)
	k.killer = killer
	return k
}

type killingConnector struct {
	base   driver.Connector
	killer *sql.DB
}

func (k *killingConnector) Driver() driver.Driver { return k.base.Driver() }

// mysqlConn is what the wrapper needs of go-sql-driver/mysql's connection.
type mysqlConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

func (k *killingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := k.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	mc, ok := c.(mysqlConn)
	if !ok {
		return c, nil // another driver shape: plain cancellation
	}
	id, err := connectionID(ctx, mc)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &killConn{mysqlConn: mc, id: id, k: k}, nil
}

func connectionID(ctx context.Context, c driver.QueryerContext) (uint64, error) {
	rows, err := c.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return 0, err
	}
	switch v := dest[0].(type) {
	case int64:
		return uint64(v), nil
	case uint64:
		return v, nil
	case []byte:
		return strconv.ParseUint(string(v), 10, 64)
	}
	return 0, errors.New("mysql: CONNECTION_ID() returned an unexpected type")
}

type killConn struct {
	mysqlConn
	id     uint64
	k      *killingConnector
	killed atomic.Bool
}

// watch kills the connection's statement if ctx ends before stop is
// called.
func (c *killConn) watch(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	cancel := context.AfterFunc(ctx, func() {
		c.killed.Store(true)
		kctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		// The id is the server's own integer, not a caller's value; KILL
		// takes no bind parameter.
		c.k.killer.ExecContext(kctx, "KILL CONNECTION "+strconv.FormatUint(c.id, 10))
	})
	return func() {
		// A kill that has started may not have marked the connection yet:
		// mark it here, before database/sql can hand the connection to the
		// next statement, which the late kill would interrupt.
		if !cancel() {
			c.killed.Store(true)
		}
	}
}

func (c *killConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	stop := c.watch(ctx)
	rows, err := c.mysqlConn.QueryContext(ctx, query, args)
	if err != nil {
		stop()
		return nil, err
	}
	return watchRows(rows, stop), nil
}

func (c *killConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	stop := c.watch(ctx)
	defer stop()
	return c.mysqlConn.ExecContext(ctx, query, args)
}

func (c *killConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.mysqlConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ms, ok := st.(mysqlStmt)
	if !ok {
		return st, nil
	}
	return &killStmt{mysqlStmt: ms, c: c}, nil
}

// IsValid keeps a connection that saw a kill out of the pool.
func (c *killConn) IsValid() bool { return !c.killed.Load() && c.mysqlConn.IsValid() }

func (c *killConn) ResetSession(ctx context.Context) error {
	if c.killed.Load() {
		return driver.ErrBadConn
	}
	return c.mysqlConn.ResetSession(ctx)
}

type mysqlStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
	driver.NamedValueChecker
}

type killStmt struct {
	mysqlStmt
	c *killConn
}

func (s *killStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	stop := s.c.watch(ctx)
	rows, err := s.mysqlStmt.QueryContext(ctx, args)
	if err != nil {
		stop()
		return nil, err
	}
	return watchRows(rows, stop), nil
}

func (s *killStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	stop := s.c.watch(ctx)
	defer stop()
	return s.mysqlStmt.ExecContext(ctx, args)
}

// killRows keeps watching while rows stream: the statement runs until the
// last row is read.
type killRows struct {
	mysqlRows
	stop func()
	done bool
}

// mysqlRows is the driver's rows with the column-type interfaces
// database/sql looks for (ColumnTypes).
type mysqlRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
	driver.RowsNextResultSet
}

func watchRows(rows driver.Rows, stop func()) driver.Rows {
	mr, ok := rows.(mysqlRows)
	if !ok {
		stop() // unknown shape: stop watching rather than hide its interfaces
		return rows
	}
	return &killRows{mysqlRows: mr, stop: stop}
}

func (r *killRows) Next(dest []driver.Value) error {
	err := r.mysqlRows.Next(dest)
	if err == io.EOF && !r.done {
		r.done = true
		r.stop()
	}
	return err
}

func (r *killRows) Close() error {
	if !r.done {
		r.done = true
		r.stop()
	}
	return r.mysqlRows.Close()
}
