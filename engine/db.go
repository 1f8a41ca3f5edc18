package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
)

// Dialect names, as DB.Dialect holds them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// DB is an open database and the SQL dialect it speaks.
type DB struct {
	SQL     *sql.DB
	Dialect string // SQLite, Postgres or MySQL
	// single: an in-memory SQLite database, whose every connection would
	// be another database; its pool stays at one connection.
	single bool
	// keys is the state of the key maps of string and composite keys
	// (keymap.go).
	keys keyMaps
}

// SetPool bounds the connection pool at n connections, and keeps as many
// idle, so that a busy server reuses its connections instead of opening
// one per request (database/sql keeps two idle by default). An in-memory
// SQLite database keeps its one connection.
func (db *DB) SetPool(n int) {
	if db.single || n <= 0 {
		return
	}
	db.SQL.SetMaxOpenConns(n)
	db.SQL.SetMaxIdleConns(n)
}

// Close closes the database (its connections close their statements).
func (db *DB) Close() error { return db.SQL.Close() }

func init() {
	// LOWER and UPPER on the embedded SQLite fold case as PostgreSQL does,
	// with Unicode case mapping instead of SQLite's ASCII-only folding. The
	// functions are registered on the "sqlite" driver, so every SQLite
	// connection this process opens has them; SQL printed for SQLite but
	// run by another SQLite build folds ASCII only.
	// vecompile_fold is the accent-insensitive folding the SQLite dialect
	// writes (sql.FoldFunction): internal/collate's, the table the other
	// engines' SQL spells out.
	for name, fold := range map[string]func(string) string{"lower": strings.ToLower, "upper": strings.ToUpper, sqlemit.FoldFunctionName: collate.Fold} {
		// An error means another package registered the name first.
		_ = sqlite.RegisterDeterministicScalarFunction(name, 1, foldFunc(fold))
	}
	// vecompile_local is the time-zone conversion the SQLite dialect
	// writes (sql.ZoneFunction).
	_ = sqlite.RegisterDeterministicScalarFunction(sqlemit.ZoneFunctionName, 2, localTime)
}

func foldFunc(fold func(string) string) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case string:
			return fold(v), nil
		case []byte:
			return fold(string(v)), nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		case float64:
			return strconv.FormatFloat(v, 'g', 15, 64), nil
		default:
			return fold(fmt.Sprint(v)), nil
		}
	}
}

// Open connects to a database. DSNs:
//
//	sqlite:PATH                 an existing SQLite file (sqlite:PATH?create=true creates it)
//	sqlite::memory:             a fresh in-memory SQLite database
//	postgres://user[:password]@host:port/db?sslmode=disable   (also postgresql://)
//	mysql://user[:password]@host:port/db                      (also mariadb://)
//
// MySQL connections report found rows (clientFoundRows=true), so rows
// affected count the rows an UPDATE matched, as the other engines do.
//
// A malformed DSN is a BadDSN error; a database that cannot be reached is a
// DatabaseError. Neither message repeats the password.
func Open(ctx context.Context, dsn string) (*DB, error) {
	scheme, _, ok := strings.Cut(dsn, ":")
	if strings.TrimSpace(dsn) == "" {
		return nil, dsnError("empty DSN: use sqlite:PATH, postgres://user@host:port/db or mysql://user@host:port/db")
	}
	if !ok {
		return nil, dsnError("DSN %s has no scheme: use sqlite:PATH, postgres://user@host:port/db or mysql://user@host:port/db", redactDSN(dsn))
	}
	var (
		db     *DB
		secret string
		err    error
	)
	switch strings.ToLower(scheme) {
	case "sqlite":
		db, err = openSQLite(dsn[len("sqlite:"):])
	case "postgres", "postgresql":
		db, secret, err = openPostgres(dsn)
	case "mysql", "mariadb":
		db, secret, err = openMySQL(dsn)
	default:
		return nil, dsnError("unknown DSN scheme %q: use sqlite:PATH, postgres://user@host:port/db or mysql://user@host:port/db", scheme)
	}
	if err != nil {
		return nil, err
	}
	if !db.single {
		// database/sql keeps 2 idle connections by default: under more
		// concurrent queries the others are closed after use and reopened
		// (and their statements prepared again). Keep as many idle as a
		// server opens (SetPool sets both bounds).
		db.SQL.SetMaxIdleConns(DefaultIdleConns())
	}
	if err := db.SQL.PingContext(ctx); err != nil {
		db.SQL.Close()
		return nil, dbError(err, secret)
	}
	return db, nil
}

// DefaultIdleConns is the idle connections Open keeps on every engine: 4 ×
// GOMAXPROCS, the server's default pool (server.Config.DBConns).
func DefaultIdleConns() int { return 4 * runtime.GOMAXPROCS(0) }

func openSQLite(rest string) (*DB, error) {
	path, rawQuery, _ := strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "//")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, dsnError("sqlite DSN: bad query string: %v", err)
	}
	create := false
	if c := q.Get("create"); c != "" {
		if create, err = strconv.ParseBool(c); err != nil {
			return nil, dsnError("sqlite DSN: create=%q is not a boolean", c)
		}
		q.Del("create")
	}
	memory := path == ":memory:"
	switch {
	case path == "":
		return nil, dsnError("sqlite DSN has no path: use sqlite:PATH or sqlite::memory:")
	case memory || create || strings.HasPrefix(path, "file:"):
	default:
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, dsnError("sqlite DSN: no database file %q (add ?create=true to create one)", path)
			}
			return nil, dsnError("sqlite DSN: %v", err)
		}
	}
	// time.Time arguments are written as 'YYYY-MM-DD HH:MM:SS', the
	// convention the sample and the emitter use for SQLite datetimes.
	if q.Get("_time_format") == "" {
		q.Set("_time_format", "datetime")
	}
	if len(q["_pragma"]) == 0 {
		q.Add("_pragma", "busy_timeout(5000)")
	}
	conn, err := sqlite.NewConnector(path + "?" + q.Encode())
	if err != nil {
		return nil, dsnError("sqlite DSN: %v", err)
	}
	sdb := sql.OpenDB(cacheStatements(conn))
	if memory {
		// Every connection to :memory: is a different database: keep one.
		sdb.SetMaxOpenConns(1)
		sdb.SetConnMaxLifetime(0)
		sdb.SetConnMaxIdleTime(0)
	}
	return &DB{SQL: sdb, Dialect: SQLite, single: memory}, nil
}

// A cancelled PostgreSQL statement gets pgCancelDelay before its cancel
// request is sent, and pgCancelWait in all before its connection is
// closed.
const (
	pgCancelDelay = 50 * time.Millisecond
	pgCancelWait  = 500 * time.Millisecond
)

func openPostgres(dsn string) (*DB, string, error) {
	secret := passwordOf(dsn)
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		secret, _ = u.User.Password()
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, "", dsnError("postgres DSN: %s", scrub(err.Error(), secret))
	}
	if _, ok := cfg.RuntimeParams["timezone"]; !ok {
		cfg.RuntimeParams["timezone"] = "UTC"
	}
	// A cancelled context (a deadline, a client gone, a shutdown) sends
	// PostgreSQL a cancel request, so the statement stops in the database
	// too; pgx's default only closes the socket, which leaves a backend
	// waiting on a lock or scanning until it next writes to the client,
	// and lets such backends pile up against max_connections. A
	// statement that ignores the cancel (a COMMIT already writing its
	// record) gets pgCancelWait to answer before the socket is closed. The
	// cancel request waits pgCancelDelay first: a statement about to end
	// anyway (most of those whose client hung up) then costs no cancel
	// connection, and its connection is back in the pool at once.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: pgCancelDelay, DeadlineDelay: pgCancelWait}
	}
	return &DB{SQL: stdlib.OpenDB(*cfg), Dialect: Postgres}, secret, nil
}

func openMySQL(dsn string) (*DB, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, "", dsnError("mysql DSN is not a URL: %s", scrub(unwrapAll(err).Error(), passwordOf(dsn)))
	}
	secret := ""
	if u.User != nil {
		secret, _ = u.User.Password()
	}
	red := u.Redacted()
	if u.User == nil || u.User.Username() == "" {
		return nil, "", dsnError("mysql DSN %s has no user: use mysql://user[:password]@host:port/db", red)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	} else if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, "", dsnError("mysql DSN %s: bad port %q", red, port)
	}
	dbname := strings.TrimPrefix(u.Path, "/")
	if dbname == "" || strings.Contains(dbname, "/") {
		return nil, "", dsnError("mysql DSN %s has no database name: use mysql://user@host:port/db", red)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd = secret
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.DBName = dbname
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Further query parameters are go-sql-driver/mysql's own
	// (multiStatements=true, tls=…, charset=…); time_zone defaults to UTC.
	godsn := cfg.FormatDSN()
	q := u.Query()
	if q.Get("time_zone") == "" {
		q.Set("time_zone", "'+00:00'")
	}
	sep := "?"
	if strings.Contains(godsn, "?") {
		sep = "&"
	}
	godsn += sep + q.Encode()
	full, err := mysql.ParseDSN(godsn)
	if err != nil {
		return nil, "", dsnError("mysql DSN %s: %s", red, scrub(err.Error(), secret))
	}
	// Found rows, not changed rows: an UPDATE writing the values a row
	// already holds affects it, as on PostgreSQL and SQLite, so the server
	// does not read "0 rows" as "no such row". The server's answers depend
	// on it, so a DSN turning it off is refused rather than ignored.
	if v := q.Get("clientFoundRows"); v != "" && !full.ClientFoundRows {
		return nil, "", dsnError("mysql DSN %s: clientFoundRows=%s: vecompile needs found-rows semantics (an unchanged update matches its row)", red, v)
	}
	full.ClientFoundRows = true
	conn, err := mysql.NewConnector(full)
	if err != nil {
		return nil, "", dsnError("mysql DSN %s: %s", red, scrub(err.Error(), secret))
	}
	return &DB{SQL: sql.OpenDB(cacheStatements(killOnCancel(conn))), Dialect: MySQL}, secret, nil
}

// redactDSN prints a DSN with its password replaced, or only its scheme
// when it does not parse as a URL.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	scheme, _, _ := strings.Cut(dsn, ":")
	return scheme + "://…"
}

// passwordOf finds the password of a URL-shaped DSN that url.Parse rejects.
func passwordOf(dsn string) string {
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, secret, "xxxxx")
	if esc := url.QueryEscape(secret); esc != secret {
		msg = strings.ReplaceAll(msg, esc, "xxxxx")
	}
	return msg
}

func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func dsnError(format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: diag.BadDSN, Msg: fmt.Sprintf(format, args...)}}.Err()
}

// dbError wraps a driver error as DatabaseError, without secret.
func dbError(err error, secret string) error {
	var coded diag.ErrorList
	if errors.As(err, &coded) {
		return err // refused before the database saw it (an unbound :caller)
	}
	return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: scrub(err.Error(), secret), Err: err}}.Err()
}

func (db *DB) errorf(format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: diag.DatabaseError, Msg: fmt.Sprintf(format, args...)}}.Err()
}

// placeholder is the n-th (1-based) bind parameter marker.
func (db *DB) placeholder(n int) string {
	if db.Dialect == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// quote quotes an identifier for the dialect.
func (db *DB) quote(ident string) string { return quoteIdent(db.Dialect, ident) }

// Quote quotes an identifier for the database's dialect.
func (db *DB) Quote(ident string) string { return quoteIdent(db.Dialect, ident) }

func quoteIdent(dialect, ident string) string {
	if dialect == MySQL {
		return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}
