package loadtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// The comparison runs, in one process and one run, the adapter server
// (secured and unsecured) against a floor: a plain net/http handler that
// runs the same statement, prepared once, and writes its rows with
// encoding/json. The ratio to the floor is what the server costs beyond
// the database and the HTTP stack.

// Read is one of the compared reads: the OData request the server gets
// and the FetchXML whose statement the floor runs (the statement the
// secured server sends for the same read, or the unsecured one).
type Read struct {
	Name string
	// Path is the OData request for the i-th key (read a rotates over
	// the readable accounts; read b ignores the key).
	Path func(key string) string
	// Fetch is the same read as FetchXML, for the floor's statement.
	Fetch func(key string) string
	// ByKey says the read rotates over the readable accounts.
	ByKey bool
}

// ReadA is one account by key; ReadB is the opportunities filtered,
// ordered, top 10, with the customer's name expanded.
var (
	ReadA = Read{
		Name:  "a (account by key)",
		ByKey: true,
		Path: func(key string) string {
			return "/odata/accounts(" + key + ")?$select=name,accountnumber,revenue"
		},
		Fetch: func(key string) string {
			return `<fetch top="2"><entity name="account"><attribute name="accountid"/><attribute name="name"/><attribute name="accountnumber"/><attribute name="revenue"/><filter><condition attribute="accountid" operator="eq" value="` + key + `"/></filter></entity></fetch>`
		},
	}
	ReadB = Read{
		Name: "b (opportunities, top 10, customer expanded)",
		Path: func(string) string {
			q := url.Values{}
			q.Set("$select", "name,estimatedvalue,closeprobability")
			q.Set("$filter", "statecode eq 0 and estimatedvalue gt 1")
			q.Set("$orderby", "estimatedvalue desc")
			q.Set("$top", "10")
			q.Set("$expand", "customerid_account($select=name)")
			return "/odata/opportunities?" + strings.ReplaceAll(q.Encode(), "+", "%20")
		},
		Fetch: func(string) string {
			return `<fetch top="10"><entity name="opportunity"><attribute name="opportunityid"/><attribute name="name"/><attribute name="estimatedvalue"/><attribute name="closeprobability"/>` +
				`<filter><condition attribute="statecode" operator="eq" value="0"/><condition attribute="estimatedvalue" operator="gt" value="1"/></filter><order attribute="estimatedvalue" descending="true"/>` +
				`<link-entity name="account" from="accountid" to="customerid" link-type="outer" alias="c"><attribute name="accountid"/><attribute name="name"/></link-entity></entity></fetch>`
		},
	}
)

// CompareOptions choose what one comparison run measures.
type CompareOptions struct {
	// Engine is "sqlite" (a temporary SQLite file holding the sample) or
	// "postgres" (the sample loaded into DSN with a unique prefix).
	Engine, DSN string
	Reads       []Read
	Conns       []int
	// Variants are among "floor", "secured", "unsecured" (the floor is
	// needed for the ratios).
	Variants []string
	Duration time.Duration
	// Out receives the table as each row is measured.
	Out io.Writer
}

// CompareRow is one measured cell.
type CompareRow struct {
	Engine, Read, Variant string
	Conns                 int
	Result                *Result
}

// Compare measures every read × connection count × variant for one
// engine, the floor first for each, and prints one line per cell with
// its ratio to the floor and its added latency.
func Compare(ctx context.Context, o CompareOptions) ([]CompareRow, error) {
	db, closeDB, err := openCompareDB(ctx, o.Engine, o.DSN)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	envs := map[string]*Env{}
	for _, v := range o.Variants {
		if v == "floor" {
			continue
		}
		if v != "secured" && v != "unsecured" {
			return nil, fmt.Errorf("unknown variant %q (floor, secured, unsecured)", v)
		}
		e, err := Start(ctx, EnvOptions{DB: db.db, Catalog: db.cat, Insecure: v == "unsecured"})
		if err != nil {
			return nil, err
		}
		defer e.Close()
		envs[v] = e
	}
	// The floor runs the secured statement when the secured server is
	// compared (the same SQL), else the unsecured one.
	ref := envs["secured"]
	if ref == nil {
		if ref, err = Start(ctx, EnvOptions{DB: db.db, Catalog: db.cat, Insecure: true}); err != nil {
			return nil, err
		}
		defer ref.Close()
	}
	var rows []CompareRow
	for _, rd := range o.Reads {
		keys := ref.IDs
		if !rd.ByKey {
			keys = keys[:1]
		}
		floor, err := startFloor(ctx, ref, rd, keys)
		if err != nil {
			return nil, err
		}
		defer floor.close()
		for _, c := range o.Conns {
			client := Client(c)
			var base *Result
			for _, v := range o.Variants {
				s := Scenario{Name: v}
				var target string
				if v == "floor" {
					target = floor.base
					for i := range keys {
						s.Requests = append(s.Requests, Request{Method: "GET", Path: "/" + strconv.Itoa(i)})
					}
				} else {
					e := envs[v]
					target, s.Header = e.Base, e.Header
					for _, k := range keys {
						s.Requests = append(s.Requests, Request{Method: "GET", Path: rd.Path(k)})
					}
				}
				Run(ctx, "warm-up", Options{Concurrency: c, Duration: min(o.Duration/4, time.Second)}, HTTP(client, target, s))
				r := Run(ctx, v, Options{Concurrency: c, Duration: o.Duration}, HTTP(client, target, s))
				if ctx.Err() != nil {
					return rows, ctx.Err()
				}
				if r.Errors > 0 {
					return rows, fmt.Errorf("%s %s read %s, %d connections: %d errors, first: %s", o.Engine, v, rd.Name, c, r.Errors, r.FirstError)
				}
				if v == "floor" {
					base = r
				}
				rows = append(rows, CompareRow{Engine: o.Engine, Read: rd.Name, Variant: v, Conns: c, Result: r})
				if o.Out != nil {
					fmt.Fprintln(o.Out, compareLine(o.Engine, rd.Name, c, r, base))
				}
			}
			client.CloseIdleConnections()
		}
	}
	return rows, nil
}

// BenchLine is the cell in Go benchmark format (one iteration is one
// request; ns/op is the wall time per completed request), so that rounds
// and runs compare with benchstat.
func (r CompareRow) BenchLine() string {
	read, _, _ := strings.Cut(r.Read, " ")
	return fmt.Sprintf("BenchmarkServer/%s/read=%s/conns=%d/%s \t%d\t%.0f ns/op\t%.0f req/s\t%d p50-µs\t%d p99-µs\t%.1f cpu-µs/req",
		r.Engine, read, r.Conns, r.Variant, r.Result.Requests, float64(r.Result.Elapsed.Nanoseconds())/float64(r.Result.Requests),
		r.Result.RPS(), r.Result.P50.Microseconds(), r.Result.P99.Microseconds(), float64(r.Result.CPUPerRequest().Nanoseconds())/1e3)
}

// CompareHeader is the table's header line.
const CompareHeader = "| engine | read | conns | variant | req/s | p50 µs | p99 µs | × floor | added p50 µs | added p99 µs | CPU µs/req | CPU × floor |\n|---|---|---|---|---|---|---|---|---|---|---|---|"

func compareLine(engineName, read string, conns int, r, floor *Result) string {
	ratio, addP50, addP99, cpuRatio := "—", "—", "—", "—"
	if floor != nil && floor != r {
		ratio = strconv.FormatFloat(r.RPS()/floor.RPS(), 'f', 2, 64)
		cpuRatio = strconv.FormatFloat(float64(r.CPUPerRequest())/float64(floor.CPUPerRequest()), 'f', 2, 64)
		addP50 = strconv.FormatInt((r.P50 - floor.P50).Microseconds(), 10)
		addP99 = strconv.FormatInt((r.P99 - floor.P99).Microseconds(), 10)
	}
	return fmt.Sprintf("| %s | %s | %d | %s | %.0f | %d | %d | %s | %s | %s | %.0f | %s |",
		engineName, read, conns, r.Name, r.RPS(), r.P50.Microseconds(), r.P99.Microseconds(), ratio, addP50, addP99,
		float64(r.CPUPerRequest().Nanoseconds())/1e3, cpuRatio)
}

// sharedDB is the database the compared servers share.
type sharedDB struct {
	db  *engine.DB
	cat plan.Catalog
}

// openCompareDB opens the engine's database holding the sample: a
// temporary SQLite file (an in-memory database would hold one
// connection, which is not how a file-backed server runs), or the
// PostgreSQL DSN with the sample loaded under a unique prefix.
func openCompareDB(ctx context.Context, engineName, dsn string) (*sharedDB, func(), error) {
	var (
		s       = &sharedDB{}
		cleanup []func()
		err     error
	)
	done := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	prefix := ""
	switch engineName {
	case "sqlite":
		dir, err := os.MkdirTemp("", "vecompile-compare")
		if err != nil {
			return nil, nil, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		dsn = "sqlite:" + filepath.Join(dir, "sample.db") + "?create=true"
	case "postgres", "mysql":
		if dsn == "" {
			return nil, nil, fmt.Errorf("%s needs a DSN", engineName)
		}
		prefix = fmt.Sprintf("cmp%d_%d_", os.Getpid(), time.Now().UnixNano()%1_000_000)
	default:
		return nil, nil, fmt.Errorf("unknown engine %q (sqlite, postgres, mysql)", engineName)
	}
	if s.db, err = engine.Open(ctx, dsn); err != nil {
		done()
		return nil, nil, err
	}
	db := s.db
	cleanup = append(cleanup, func() { db.Close() })
	if s.cat, err = engine.LoadFixture(ctx, db, prefix); err != nil {
		done()
		return nil, nil, err
	}
	if prefix != "" {
		cleanup = append(cleanup, func() { engine.DropFixture(context.Background(), db, prefix) })
	}
	return s, done, nil
}

// floorServer is the plain handler: GET /{i} runs the read's statement
// for the i-th key and writes {"value":[{column: value}]}.
type floorServer struct {
	base  string
	close func()
}

func startFloor(ctx context.Context, ref *Env, rd Read, keys []string) (*floorServer, error) {
	var (
		text string
		args [][]any
	)
	for _, k := range keys {
		st, err := ref.statement(rd.Fetch(k))
		if err != nil {
			return nil, err
		}
		if text != "" && st.SQL != text {
			return nil, fmt.Errorf("read %s: the statement differs between keys", rd.Name)
		}
		text = st.SQL
		args = append(args, st.Args)
	}
	stmt, err := ref.DB.SQL.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || i < 0 || i >= len(args) {
			http.NotFound(w, r)
			return
		}
		if err := floorRead(r.Context(), w, stmt, args[i]); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stmt.Close()
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return &floorServer{base: "http://" + ln.Addr().String(), close: func() { srv.Close(); stmt.Close() }}, nil
}

// floorRead is what a hand-written handler does: query, scan each row
// into a map by column name, encode the page.
func floorRead(ctx context.Context, w http.ResponseWriter, stmt *sql.Stmt, args []any) error {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var page []map[string]any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				m[c] = string(b)
			} else {
				m[c] = vals[i]
			}
		}
		page = append(page, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(page) == 0 {
		return fmt.Errorf("the floor's statement returned no row")
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"value": page})
}
