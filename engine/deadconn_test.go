package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/testkit"
)

// TestReadAfterTerminatedConnection: the pool's one PostgreSQL connection
// is terminated by the database (pg_terminate_backend, as an
// administrator or a failover would); the next read is sent on it, fails,
// and is run again on a new connection, so it answers.
func TestReadAfterTerminatedConnection(t *testing.T) {
	dsn := testkit.OptionalEngines(t)["postgres"]
	if dsn == "" {
		return // OptionalEngines said why (and fails under CI=true)
	}
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SQL.SetMaxOpenConns(1)
	db.SQL.SetMaxIdleConns(1)
	admin, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	pid := func() (n int64) {
		if err := db.SQL.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := pid()
	if _, err := admin.SQL.ExecContext(ctx, "SELECT pg_terminate_backend($1)", before); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the backend is gone once pg_stat_activity no longer lists it
		var n int
		if err := admin.SQL.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", before).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 100 {
			t.Fatal("the backend was not terminated")
		}
		time.Sleep(10 * time.Millisecond)
	}
	res, err := db.Query(ctx, &sqlemit.Statement{SQL: "SELECT 42 AS answer"})
	if err != nil {
		t.Fatalf("the read after the connection was terminated: %v", err)
	}
	if len(res.Rows) != 1 || fmt.Sprint(res.Rows[0][0].Value) != "42" {
		t.Errorf("the read answered %v", res.Rows)
	}
	if after := pid(); after == before {
		t.Errorf("the read ran on the terminated backend %d", before)
	}
}

// TestDeadConnection: what deadConnection takes for a closed connection,
// and what it does not (a refused dial, a query's own error).
func TestDeadConnection(t *testing.T) {
	for _, c := range []struct {
		err  error
		dead bool
	}{
		{driver.ErrBadConn, true},
		{mysql.ErrInvalidConn, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{io.EOF, true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{errors.New("conn closed"), true},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "42P01", Message: "relation does not exist"}, false},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false},
		{context.DeadlineExceeded, false},
		{errors.New("syntax error"), false},
	} {
		if got := deadConnection(c.err); got != c.dead {
			t.Errorf("deadConnection(%v) = %v, want %v", c.err, got, c.dead)
		}
	}
}
