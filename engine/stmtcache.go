package engine

import (
	"context"
	"database/sql"
	"sync"
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

// prepared returns the cached statement for text, preparing it once.
func (db *DB) prepared(ctx context.Context, text string) (*sql.Stmt, error) {
	c := &db.stmts
	c.mu.Lock()
	st, ok := c.stmts[text]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	// Prepared on the database, not the request: a cached statement must
	// not die with the context of the request that first ran it.
	st, err := db.SQL.PrepareContext(context.WithoutCancel(ctx), text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[text]; ok { // another goroutine was first
		st.Close()
		return old, nil
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
	return st, nil
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

// query runs an emitted statement through the statement cache. A
// statement that fails is forgotten; the error is the driver's either way.
func (db *DB) query(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, text)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
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
