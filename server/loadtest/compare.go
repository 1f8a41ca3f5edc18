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
	"slices"
	"strconv"
	"strings"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
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
	// Key is the entity's key property and Expand the expanded
	// navigation (none when empty): what a peer's reply is checked on
	// before it is measured.
	Key, Expand string
}

// ReadA is one account by key; ReadB is the opportunities filtered,
// ordered, top 10, with the customer's name expanded.
var (
	ReadA = Read{
		Name:  "a (account by key)",
		ByKey: true,
		Key:   "accountid",
		Path: func(key string) string {
			return "/odata/accounts(" + key + ")?$select=name,accountnumber,revenue"
		},
		Fetch: func(key string) string {
			return `<fetch top="2"><entity name="account"><attribute name="accountid"/><attribute name="name"/><attribute name="accountnumber"/><attribute name="revenue"/><filter><condition attribute="accountid" operator="eq" value="` + key + `"/></filter></entity></fetch>`
		},
	}
	ReadB = Read{
		Name:   "b (opportunities, top 10, customer expanded)",
		Key:    "opportunityid",
		Expand: "customerid_account",
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
	// CAP is the CAP project's directory (cmd/vecompile-load/testdata/cap):
	// when set, SAP CAP is measured on SQLite after the floor, and every
	// cell gets its ratio to CAP. When it cannot run (no node, not
	// installed, a reply that differs from the server's), its rows say
	// why and the run goes on. Empty: no CAP rows.
	CAP string
	// FloorSameRequest sends the floor the servers' requests (the OData
	// URL, the bearer token and acting-user headers), which it reads past
	// to the key, instead of GET /{i}: the floor then differs from the
	// servers only by what they do with a request, not by the bytes the
	// generator writes and net/http parses.
	FloorSameRequest bool
	// AdvisedIndexes creates, before anything is measured, the indexes
	// `vecompile index advise` prints for the reads' secured statements
	// (sqlemit.Indexes), on the shared database: every variant reads
	// through them, CAP too where its own SQL can use them.
	AdvisedIndexes bool
	// Slices splits each cell's Duration into this many runs, taken in
	// turns with the other variants' in a rotating order (0 or 1: each
	// variant runs once, for the whole Duration, one after the other).
	Slices int
}

// CompareRow is one measured cell.
type CompareRow struct {
	Engine, Read, Variant string
	Conns                 int
	Result                *Result
}

// Compare measures every read × connection count × variant for one
// engine: the floor, CAP (SQLite, when o.CAP is set) and the servers, in
// o.Slices interleaved turns, and prints one line per cell with its
// ratios to the floor and to CAP and its added latency.
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
	if o.AdvisedIndexes {
		if err := createAdvisedIndexes(ctx, ref, o.Reads, o.Out); err != nil {
			return nil, err
		}
	}
	peer, err := startPeer(ctx, o, db, envs)
	if err != nil {
		return nil, err
	}
	defer peer.close()
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
		capSkip := peer.check(ctx, rd, keys)
		for _, c := range o.Conns {
			client := Client(c)
			variants := o.Variants
			if peer.enabled() {
				// CAP right after the floor, so that every later cell has its
				// ratio to CAP.
				variants = slices.Insert(slices.Clone(variants), min(1, len(variants)), "cap")
			}
			cells := make([]*compareCell, len(variants))
			for i, v := range variants {
				cells[i] = &compareCell{variant: v}
				if v == "cap" && capSkip != "" {
					cells[i].skip = capSkip
					continue
				}
				cells[i].target, cells[i].scenario, cells[i].serverCPU = cellTarget(o, v, rd, keys, floor, peer, envs, ref)
				warm := min(o.Duration/4, time.Second)
				if v == "cap" {
					// V8 compiles CAP's hot paths during the first
					// thousand or so requests: a longer warm-up.
					warm = min(o.Duration, 3*time.Second)
				}
				Run(ctx, "warm-up", Options{Concurrency: c, Duration: warm}, HTTP(client, cells[i].target, cells[i].scenario))
			}
			// Every variant is measured in slices, taken in turns whose
			// order rotates, so that a change in the machine's load during
			// the cell falls on every variant alike.
			n := max(o.Slices, 1)
			for k := range n {
				for j := range cells {
					cell := cells[(j+k)%len(cells)]
					if cell.skip != "" {
						continue
					}
					opt := Options{Concurrency: c, Duration: o.Duration / time.Duration(n), ServerCPU: cell.serverCPU}
					r := Run(ctx, cell.variant, opt, HTTP(client, cell.target, cell.scenario))
					if ctx.Err() != nil {
						return rows, ctx.Err()
					}
					if r.Errors > 0 && cell.variant == "cap" {
						// The peer is optional: a CAP that fails under load
						// gives no figure, and the run goes on.
						cell.skip = fmt.Sprintf("CAP failed under load: %d errors, first: %s; its output: %s", r.Errors, r.FirstError, peer.cap.out.tail())
						continue
					}
					if r.Errors > 0 {
						return rows, fmt.Errorf("%s %s read %s, %d connections: %d errors, first: %s", o.Engine, cell.variant, rd.Name, c, r.Errors, r.FirstError)
					}
					cell.parts = append(cell.parts, r)
				}
			}
			var base, capR *Result
			for _, cell := range cells {
				if cell.skip != "" {
					if o.Out != nil {
						fmt.Fprintln(o.Out, skippedLine(o.Engine, rd.Name, c, cell.variant, cell.skip))
					}
					continue
				}
				r := Merge(cell.variant, cell.parts...)
				switch cell.variant {
				case "floor":
					base = r
				case "cap":
					capR = r
				}
				rows = append(rows, CompareRow{Engine: o.Engine, Read: rd.Name, Variant: cell.variant, Conns: c, Result: r})
				if o.Out != nil {
					fmt.Fprintln(o.Out, compareLine(o.Engine, rd.Name, c, r, base, capR))
				}
			}
			client.CloseIdleConnections()
		}
	}
	return rows, nil
}

// compareCell is one variant of one read at one connection count: where
// its requests go, and the slices measured so far (or why it is skipped).
type compareCell struct {
	variant, target string
	scenario        Scenario
	serverCPU       func() time.Duration
	skip            string
	parts           []*Result
}

// cellTarget is where variant v's requests for read rd go, and the
// requests: the floor's own (GET /{i}) unless o.FloorSameRequest, CAP's
// and the servers' the OData URL.
func cellTarget(o CompareOptions, v string, rd Read, keys []string, floor *floorServer, peer *comparePeer, envs map[string]*Env, ref *Env) (string, Scenario, func() time.Duration) {
	s := Scenario{Name: v}
	switch v {
	case "floor":
		for i, k := range keys {
			if o.FloorSameRequest {
				s.Header = ref.Header
				s.Requests = append(s.Requests, Request{Method: "GET", Path: rd.Path(k)})
			} else {
				s.Requests = append(s.Requests, Request{Method: "GET", Path: "/" + strconv.Itoa(i)})
			}
		}
		return floor.base, s, nil
	case "cap":
		// CAP runs in its own process: its CPU time is added to this
		// one's (the generator's), as the in-process servers' is.
		for _, k := range keys {
			s.Requests = append(s.Requests, Request{Method: "GET", Path: rd.Path(k)})
		}
		return peer.cap.base, s, peer.cap.cpu
	}
	e := envs[v]
	s.Header = e.Header
	for _, k := range keys {
		s.Requests = append(s.Requests, Request{Method: "GET", Path: rd.Path(k)})
	}
	return e.Base, s, nil
}

// comparePeer is CAP in one comparison: running (cap), or the reason its
// rows are skipped (skip); neither when o.CAP is empty or the engine is
// not SQLite.
type comparePeer struct {
	cap  *capPeer
	skip string
	// ref is the unsecured server CAP's replies are checked against.
	ref    *Env
	client *http.Client
	stop   []func()
}

// startPeer starts CAP for a SQLite comparison with o.CAP set, on the
// comparison's data file; a CAP that cannot start is a skip reason, not
// an error. Only the unsecured server it is checked against can fail the
// run.
func startPeer(ctx context.Context, o CompareOptions, db *sharedDB, envs map[string]*Env) (*comparePeer, error) {
	p := &comparePeer{}
	if o.CAP == "" || o.Engine != "sqlite" {
		return p, nil
	}
	if p.skip = CAPSkipReason(o.CAP); p.skip != "" {
		return p, nil
	}
	if p.ref = envs["unsecured"]; p.ref == nil {
		e, err := Start(ctx, EnvOptions{DB: db.db, Catalog: db.cat, Insecure: true})
		if err != nil {
			return nil, err
		}
		p.ref = e
		p.stop = append(p.stop, e.Close)
	}
	c, err := startCAP(ctx, o.CAP, db.file)
	if err != nil {
		if ctx.Err() != nil {
			p.close()
			return nil, ctx.Err()
		}
		p.skip = err.Error()
		return p, nil
	}
	p.cap, p.client = c, Client(1)
	p.stop = append(p.stop, c.close, p.client.CloseIdleConnections)
	return p, nil
}

// enabled says CAP has rows in this comparison (measured or skipped).
func (p *comparePeer) enabled() bool { return p.cap != nil || p.skip != "" }

// check is why CAP's rows for the read are skipped ("" when CAP is
// measured): the start's failure, or a reply that differs from the
// unsecured server's.
func (p *comparePeer) check(ctx context.Context, rd Read, keys []string) string {
	if p.cap == nil {
		return p.skip
	}
	if err := checkPeer(ctx, p.client, p.cap.base, p.ref, rd, keys); err != nil {
		return "CAP's reply differs from the unsecured server's: " + err.Error()
	}
	return ""
}

func (p *comparePeer) close() {
	for i := len(p.stop) - 1; i >= 0; i-- {
		p.stop[i]()
	}
	p.stop = nil
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
// "× CAP" is the cell's throughput over CAP's in the same read and
// connection count, and "CAP CPU ÷ CPU" CAP's CPU per request over the
// cell's (both read as "n times CAP"; the CPU ratio is the steadier on a
// shared machine).
const CompareHeader = "| engine | read | conns | variant | req/s | p50 µs | p99 µs | × floor | × CAP | added p50 µs | added p99 µs | CPU µs/req | CPU × floor | CAP CPU ÷ CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"

func compareLine(engineName, read string, conns int, r, floor, capR *Result) string {
	ratio, capRatio, addP50, addP99, cpuRatio, capCPU := "—", "—", "—", "—", "—", "—"
	if capR != nil && capR != r {
		capRatio = strconv.FormatFloat(r.RPS()/capR.RPS(), 'f', 2, 64)
		capCPU = strconv.FormatFloat(float64(capR.CPUPerRequest())/float64(r.CPUPerRequest()), 'f', 2, 64)
	}
	if floor != nil && floor != r {
		ratio = strconv.FormatFloat(r.RPS()/floor.RPS(), 'f', 2, 64)
		cpuRatio = strconv.FormatFloat(float64(r.CPUPerRequest())/float64(floor.CPUPerRequest()), 'f', 2, 64)
		addP50 = strconv.FormatInt((r.P50 - floor.P50).Microseconds(), 10)
		addP99 = strconv.FormatInt((r.P99 - floor.P99).Microseconds(), 10)
	}
	return fmt.Sprintf("| %s | %s | %d | %s | %.0f | %d | %d | %s | %s | %s | %s | %.0f | %s | %s |",
		engineName, read, conns, r.Name, r.RPS(), r.P50.Microseconds(), r.P99.Microseconds(), ratio, capRatio, addP50, addP99,
		float64(r.CPUPerRequest().Nanoseconds())/1e3, cpuRatio, capCPU)
}

// skippedLine is a cell that was not measured, with the reason.
func skippedLine(engineName, read string, conns int, variant, why string) string {
	why = strings.ReplaceAll(strings.Join(strings.Fields(why), " "), "|", "\\|")
	if r := []rune(why); len(r) > 600 {
		why = string(r[:600]) + "…"
	}
	return fmt.Sprintf("| %s | %s | %d | %s | skipped: %s | | | | | | | | | |", engineName, read, conns, variant, why)
}

// sharedDB is the database the compared servers share.
type sharedDB struct {
	db  *engine.DB
	cat plan.Catalog
	// file is the SQLite data file ("" on other engines), which CAP reads.
	file string
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
		s.file = filepath.Join(dir, "sample.db")
		dsn = "sqlite:" + s.file + "?create=true"
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
	byPath := map[string]int{} // the servers' request for key i, when the floor is sent those
	for i, k := range keys {
		byPath[rd.Path(k)] = i
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, ok := byPath[r.URL.RequestURI()]
		var err error
		if !ok {
			i, err = strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		}
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

// createAdvisedIndexes creates the indexes the reads' statements can use,
// as `vecompile index advise` prints them, and names each on out. They
// are dropped with the database (the temporary SQLite file, or the
// fixture's prefixed tables on PostgreSQL).
func createAdvisedIndexes(ctx context.Context, ref *Env, reads []Read, out io.Writer) error {
	d, _ := sqlemit.DialectByName(ref.DB.Dialect)
	made := map[string]bool{}
	for _, rd := range reads {
		p, err := ref.plan(rd.Fetch(ref.IDs[0]))
		if err != nil {
			return err
		}
		ixs, err := sqlemit.Indexes(p, d)
		if err != nil {
			return err
		}
		for _, ix := range ixs {
			if made[ix.Name()] {
				continue
			}
			made[ix.Name()] = true
			ddl := ix.CreateSQL(d)
			if _, err := ref.DB.SQL.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("read %s: %s: %w", rd.Name, ddl, err)
			}
			if out != nil {
				fmt.Fprintf(out, "index for read %s: %s\n", rd.Name[:1], ddl)
			}
		}
	}
	return nil
}
