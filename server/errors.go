package server

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/vecompile/vecompile/internal/diag"
)

// errorBody is Dataverse's error shape: {"error":{"code":"0x…","message":…}},
// plus the stable vecompile code.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		VECode  string `json:"vecode,omitempty"`
	} `json:"error"`
}

// statusClientClosed is the status of a request whose client hung up
// (nginx's 499 "Client Closed Request"): written to no one, it keeps the
// request out of the 5xx counts and error lines.
const statusClientClosed = 499

// statusOf maps an error to the HTTP status and the Dataverse error code
// (hex, as the Web API reports them).
func statusOf(code diag.Code) (int, string) {
	switch code {
	case diag.Unauthenticated:
		return http.StatusUnauthorized, "0x80048306"
	case diag.Forbidden, diag.SecurityDenied, diag.MissingPrivilege, diag.PrincipalRefused, diag.CompanyDenied, diag.HiddenColumnWrite:
		return http.StatusForbidden, "0x80040220" // PrivilegeDenied
	case diag.NotFound, diag.NoSuchKey:
		return http.StatusNotFound, "0x80040217" // ObjectDoesNotExist
	case diag.RequestTooLarge:
		return http.StatusRequestEntityTooLarge, "0x8004431A"
	case diag.HeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge, "0x8004431A"
	case diag.NotAcceptable:
		return http.StatusNotAcceptable, "0x80040203"
	case diag.PreconditionFailed:
		return http.StatusPreconditionFailed, "0x80060882" // ConcurrencyVersionMismatch
	case diag.VersionNotProvided:
		return http.StatusBadRequest, "0x80060883" // ConcurrencyVersionNotProvided
	case diag.IdempotencyKeyReused:
		return http.StatusUnprocessableEntity, "0x80040203"
	case diag.FailedDependency:
		return http.StatusFailedDependency, "0x80040216"
	case diag.OutcomeUnknown:
		return http.StatusBadGateway, "0x80040216"
	case diag.UnsupportedMedia:
		return http.StatusUnsupportedMediaType, "0x80040203"
	case diag.MethodNotAllowed:
		return http.StatusMethodNotAllowed, "0x80040203"
	case diag.UnsupportedFunction, diag.ComputedMayFail:
		// A canonical function a generic client sends that vecompile does
		// not compute: a feature not implemented, not a bad request.
		return http.StatusNotImplemented, "0x80040203"
	case diag.AggregateLimit:
		return http.StatusBadRequest, "0x8004E023" // AggregateQueryRecordLimit exceeded
	case diag.QuickFindLimit:
		return http.StatusBadRequest, "0x8004E024" // QuickFindQueryRecordLimitExceeded
	case diag.Conflict:
		return http.StatusConflict, "0x80040237" // DuplicateRecord
	case diag.WriteRejected:
		return http.StatusBadRequest, "0x80040265" // IsvAborted: a plug-in refused
	case diag.QueryTimeout:
		return http.StatusGatewayTimeout, "0x80040216"
	case diag.ClientClosed:
		return statusClientClosed, "0x80040216"
	case diag.Unavailable, diag.Overloaded, diag.ShuttingDown:
		return http.StatusServiceUnavailable, "0x80040216"
	case diag.DatabaseError, diag.MalformedPlan, diag.SecurityUnverified, diag.BadSecurityModel, diag.NoSecurityModel, diag.KeyMapFailed:
		return http.StatusInternalServerError, "0x80040216" // UnExpected
	case "":
		return http.StatusInternalServerError, "0x80040216"
	}
	// Parse, resolve, emit and request errors are the caller's.
	return http.StatusBadRequest, "0x80040203" // InvalidArgument
}

// writeError writes err as a Dataverse error body. Database failures that
// mean "down" become 503 with Retry-After; internal errors are logged by
// the middleware, and their text is not sent.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = classify(r.Context(), err)
	code := diag.CodeOf(err)
	status, hex := statusOf(code)
	var body errorBody
	body.Error.Code = hex
	body.Error.VECode = string(code)
	body.Error.Message = message(err)
	if sw, ok := w.(*statusWriter); ok {
		sw.code = string(code)
	}
	if status == http.StatusInternalServerError {
		body.Error.Message = "internal error (see the server log, request " + requestID(r.Context()) + ")"
		if sw, ok := w.(*statusWriter); ok {
			sw.cause = err.Error() // logged with the request line
		} else {
			logErr(r.Context(), err)
		}
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// message is the client-facing text: the diag messages without file
// positions for request bodies (they are named "request").
func message(err error) string {
	var list diag.ErrorList
	if errors.As(err, &list) {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			parts = append(parts, e.Error())
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}

// classify turns driver failures into the server's codes: a cancelled or
// timed-out query is QueryTimeout, an unreachable database Unavailable, a
// constraint violation Conflict.
func classify(ctx context.Context, err error) error {
	code := diag.CodeOf(err)
	if code != "" && code != diag.DatabaseError {
		return err
	}
	cause := rootCause(err)
	switch {
	case errors.Is(context.Cause(ctx), errShuttingDown):
		return diagErr(diag.ShuttingDown, "the server is shutting down and cancelled the request before it changed anything; retry")
	case errors.Is(ctx.Err(), context.Canceled):
		// net/http cancels a request's context when its client closes the
		// connection: nobody reads this answer, and it is no failure of
		// the server's (not a 504, nor an error line).
		return diagErr(diag.ClientClosed, "the client closed the connection; the request was cancelled")
	case errors.Is(cause, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return diagErr(diag.QueryTimeout, "the query took longer than the server's timeout and was cancelled")
	case errors.Is(cause, context.Canceled):
		return diagErr(diag.QueryTimeout, "the request was cancelled")
	case isCancelled(cause):
		return diagErr(diag.QueryTimeout, "the query took longer than the server's timeout and was cancelled")
	case outOfConnections(cause):
		return diagErr(diag.Overloaded, "the database refuses more connections (its connection limit is reached: lower --db-conns or raise the database's limit); retry later")
	case isDown(cause):
		return diagErr(diag.Unavailable, "the database cannot be reached; retry later")
	case isTransient(cause):
		return diagErr(diag.Overloaded, "the database is busy (out of resources, or the request was a deadlock victim); retry later")
	case isConstraint(cause):
		return diagErr(diag.Conflict, "the write breaks a key or constraint of the table (duplicate id, or a lookup to a missing row)")
	case isBadValue(cause):
		return diagErr(diag.ValueOutOfRange, "the database refused a value: %s", badValueText(cause))
	}
	return err
}

// isBadValue recognizes the database refusing a value rather than failing:
// PostgreSQL's data exceptions (class 22: out of range, too long, bad
// encoding, invalid datetime) and program limits (class 54: too many
// columns or arguments, statement too complex); MySQL's out of range
// (1264), too long (1406), incorrect value (1366, 1292), truncated (1265),
// and a packet over max_allowed_packet; SQLite's too big, mismatch and
// range errors; and the drivers' refusals to encode a parameter. The
// decoder checks values against the metadata first (engine.DecodeValue),
// so these are what the metadata does not say. They are 400, never 500.
func isBadValue(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "54")
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1264, 1406, 1366, 1292, 1265, 1367, 1411, 1690, 1153:
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 18, 20, 25: // SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE
			return true
		}
		return false
	}
	if errors.Is(err, mysql.ErrPktTooLarge) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to encode args[") || strings.Contains(msg, "sql: converting argument")
}

// badValueText is the database's own sentence about the value, without
// the driver's prefixes or PostgreSQL's detail (which may quote other
// rows).
func badValueText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Message
	}
	return err.Error()
}

// rootCause finds the driver error inside diag wrappers (ErrorList does
// not unwrap).
func rootCause(err error) error {
	var list diag.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			if e.Err != nil {
				return e.Err
			}
		}
	}
	return err
}

func isDown(err error) bool {
	var ne net.Error
	var pgc *pgconn.ConnectError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), // the server closed the connection
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &pgc), errors.As(err, &ne):
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, class 08 connection exceptions.
		return strings.HasPrefix(pe.Code, "57P0") || strings.HasPrefix(pe.Code, "08")
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "conn closed")
}

// outOfConnections recognizes a database that answers but refuses a new
// connection for its connection limit: PostgreSQL's too_many_connections
// (53300, also "remaining connection slots are reserved"), MySQL's
// ER_CON_COUNT_ERROR (1040) and a user's MAX_USER_CONNECTIONS
// (ER_USER_LIMIT_REACHED, 1226). A dial error that wraps it is not
// "down".
func outOfConnections(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53300"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1040 || me.Number == 1226
	}
	return false
}

// isTransient recognizes database errors that a retry may not meet:
// PostgreSQL's insufficient resources (class 53: too many connections,
// out of memory, disk full), serialization failures and deadlocks (40001,
// 40P01); MySQL's too many connections (1040), lock wait timeout (1205)
// and deadlock (1213). They are 503 with Retry-After, not 500.
func isTransient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "53") || pe.Code == "40001" || pe.Code == "40P01"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1040 || me.Number == 1205 || me.Number == 1213
	}
	return false
}

// isCancelled recognizes a query the database stopped on the context's
// cancellation: PostgreSQL's query_canceled, SQLite's interrupt.
func isCancelled(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57014"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == 9 // SQLITE_INTERRUPT
	}
	return false
}

func isConstraint(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "23")
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, 1451, 1452, 1048, 1364:
			return true
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == 19 // SQLITE_CONSTRAINT and its extended codes
	}
	return false
}
