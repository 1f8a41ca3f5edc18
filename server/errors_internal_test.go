package server

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vecompile/vecompile/internal/diag"
)

// TestClassifyTransient: database errors a retry may not meet (out of
// connections, deadlocks) are 503 with Retry-After; other database errors
// stay internal (500).
func TestClassifyTransient(t *testing.T) {
	wrap := func(err error) error {
		return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: err.Error(), Err: err}}.Err()
	}
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"postgres too many connections", &pgconn.PgError{Code: "53300"}, http.StatusServiceUnavailable},
		{"postgres out of memory", &pgconn.PgError{Code: "53200"}, http.StatusServiceUnavailable},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, http.StatusServiceUnavailable},
		{"postgres serialization", &pgconn.PgError{Code: "40001"}, http.StatusServiceUnavailable},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, http.StatusServiceUnavailable},
		{"mysql deadlock", &mysql.MySQLError{Number: 1213}, http.StatusServiceUnavailable},
		{"mysql lock wait", &mysql.MySQLError{Number: 1205}, http.StatusServiceUnavailable},
		{"postgres syntax error", &pgconn.PgError{Code: "42601"}, http.StatusInternalServerError},
		{"mysql unknown column", &mysql.MySQLError{Number: 1054}, http.StatusInternalServerError},
	} {
		got, _ := statusOf(diag.CodeOf(classify(context.Background(), wrap(c.err))))
		if got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
}

// TestClassifyOutOfConnectionsApartFromDown: a database refusing a
// connection for its limit is 503 VE6020, one that cannot be reached 503
// VE6009: the operator acts differently on each.
func TestClassifyOutOfConnectionsApartFromDown(t *testing.T) {
	wrap := func(err error) error {
		return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: err.Error(), Err: err}}.Err()
	}
	for _, c := range []struct {
		name string
		err  error
		want diag.Code
	}{
		{"postgres too many connections", &pgconn.PgError{Code: "53300", Severity: "FATAL"}, diag.Overloaded},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, diag.Overloaded},
		{"mysql user connection limit", &mysql.MySQLError{Number: 1226}, diag.Overloaded},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, diag.Overloaded},
		{"postgres shutting down", &pgconn.PgError{Code: "57P01"}, diag.Unavailable},
		{"postgres starting up", &pgconn.PgError{Code: "57P03"}, diag.Unavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, diag.Unavailable},
		{"bad connection", driver.ErrBadConn, diag.Unavailable},
		{"postgres NUL in text", &pgconn.PgError{Code: "22021"}, diag.ValueOutOfRange},
		{"postgres too many arguments", &pgconn.PgError{Code: "54023"}, diag.ValueOutOfRange},
		{"mysql value too long", &mysql.MySQLError{Number: 1406}, diag.ValueOutOfRange},
		{"mysql out of range", &mysql.MySQLError{Number: 1264}, diag.ValueOutOfRange},
		{"mysql packet too large", mysql.ErrPktTooLarge, diag.ValueOutOfRange},
		{"pgx cannot encode", fmt.Errorf("failed to encode args[0]: unable to encode"), diag.ValueOutOfRange},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, diag.Conflict},
	} {
		got := diag.CodeOf(classify(context.Background(), wrap(c.err)))
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
