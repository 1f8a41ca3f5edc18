package server

import (
	"context"
	"net/http"
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
