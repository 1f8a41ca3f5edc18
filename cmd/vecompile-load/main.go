// Command vecompile-load measures the adapter server under load: it starts
// a secured server on loopback over the sample (SQLite, or --db loaded
// with a unique prefix) or targets a running one (--url with --token and
// --user), drives Retrieve by id and RetrieveMultiple (10 rows, 2 links)
// for --duration each, and reports requests/s, p50/p99 latency, the
// direct driver's p50/p99 on the same SQL, and the server's memory over
// time.
//
//	go run ./cmd/vecompile-load -duration 60s            # the full run
//	go run ./cmd/vecompile-load -duration 60s -db "$VECOMPILE_POSTGRES_DSN"
//
// With -compare it runs the whole-server comparison of
// docs/performance.md instead: the floor (a plain net/http handler running
// the same prepared statement and writing encoding/json), the server
// secured and unsecured, reads a and b, over 1 and 8 connections, on
// SQLite and (with -db) PostgreSQL, printing req/s, p50/p99, the added
// latency and the ratio to the floor from one run, each cell measured in
// -slices interleaved turns with the other variants':
//
//	go run ./cmd/vecompile-load -compare -duration 5s -db "$VECOMPILE_POSTGRES_DSN"
//
// The process runs with vecompile serve's collector target
// (server.DefaultGCPercent) unless GOGC is set or -gc-percent given.
//
// SAP CAP is the optional peer on SQLite: the project in testdata/cap,
// once installed (npm ci --prefix cmd/vecompile-load/testdata/cap), is
// started on the same data file and measured after the floor, and every
// cell gets its ratio to CAP ("× CAP"); without node or the install its
// rows say skipped. -cap=false leaves it out.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/server"
	"github.com/vecompile/vecompile/server/loadtest"
)

func main() {
	var (
		dsn         = flag.String("db", "", "backend DSN for the in-process server (default: the embedded SQLite sample)")
		url         = flag.String("url", "", "target a running server instead (base URL; needs --token)")
		token       = flag.String("token", "", "bearer token for --url")
		user        = flag.String("user", loadtest.DefaultUser, "acting user (X-VE-User-Id)")
		ids         = flag.String("ids", "", "comma-separated account ids for Retrieve against --url")
		pid         = flag.Int("server-pid", 0, "with --url: the server's process id, for its RSS")
		duration    = flag.Duration("duration", 10*time.Second, "length of each scenario")
		concurrency = flag.Int("c", 16, "concurrent connections")
		scenarios   = flag.String("scenarios", "Retrieve,RetrieveMultiple", "scenarios to run")
		direct      = flag.Bool("direct", true, "also time the direct driver on the same SQL (in-process server only)")
		insecure    = flag.Bool("insecure", false, "in-process server without the security model")
		every       = flag.Duration("sample", 5*time.Second, "memory sampling period")
		cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and generator) to this file")
		compare     = flag.Bool("compare", false, "run the floor/secured/unsecured comparison (see the package comment)")
		engines     = flag.String("engines", "", "with -compare: engines to compare (default sqlite, and postgres when -db is given)")
		reads       = flag.String("reads", "a,b", "with -compare: reads to compare")
		conns       = flag.String("conns", "1,8", "with -compare: connection counts")
		variants    = flag.String("variants", "floor,secured,unsecured", "with -compare: servers to measure (floor first, for the ratios)")
		count       = flag.Int("count", 1, "with -compare: rounds of the whole table (a shared machine is noisy: compare with benchstat)")
		benchOut    = flag.String("benchout", "", "with -compare: also write every cell in Go benchmark format to this file, for benchstat")
		capOn       = flag.Bool("cap", true, "with -compare: also measure SAP CAP on SQLite, the \"× CAP\" column (its rows say skipped when node or the installed project is missing)")
		capDir      = flag.String("cap-dir", defaultCAPDir(), "with -compare: the CAP project (install: npm ci --prefix DIR)")
		indexes     = flag.Bool("indexes", false, "with -compare: first create on the compared database the indexes `vecompile index advise` prints for the reads (CAP reads through them too)")
		gcPercent   = flag.Int("gc-percent", server.DefaultGCPercent, "garbage collector target of this process (the in-process servers, the floor and the generator), as vecompile serve's --gc-percent: GOGC, when set, stands unless this flag is given")
		slices      = flag.Int("slices", 4, "with -compare: measure each cell in this many slices, taken in turns with the other variants' in a rotating order, so that the machine's changing load falls on every variant alike (1: one after the other)")
		floorSame   = flag.Bool("floor-same-request", false, "with -compare: send the floor the servers' requests (OData URL, token and acting-user headers) instead of GET /{i}")
	)
	flag.Parse()
	gcGiven := false
	flag.Visit(func(f *flag.Flag) { gcGiven = gcGiven || f.Name == "gc-percent" })
	gc, gcFrom, err := server.SetGCPercent(*gcPercent, gcGiven)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vecompile-load: -gc-percent:", err)
		os.Exit(2)
	}
	fmt.Printf("GC target %d%% (%s), as vecompile serve runs\n", gc, gcFrom)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vecompile-load:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *compare {
		peer := ""
		if *capOn {
			peer = *capDir
		}
		if err := runCompare(ctx, *dsn, *engines, *reads, *conns, *variants, peer, *duration, *count, *benchOut, *floorSame, *indexes, *slices); err != nil {
			fmt.Fprintln(os.Stderr, "vecompile-load:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, *dsn, *url, *token, *user, *ids, *pid, *duration, *concurrency, *scenarios, *direct, *insecure, *every); err != nil {
		fmt.Fprintln(os.Stderr, "vecompile-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, url, token, user, ids string, pid int, d time.Duration, c int, scenarios string, direct, insecure bool, every time.Duration) error {
	fmt.Printf("GOMAXPROCS %d, %d connections, %s per scenario\n", runtime.GOMAXPROCS(0), c, d)
	var env *loadtest.Env
	mem := loadtest.SelfMemory
	if url == "" {
		var err error
		// Server errors (5xx) are logged on stderr with their cause.
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		if env, err = loadtest.Start(ctx, loadtest.EnvOptions{DSN: dsn, User: user, Insecure: insecure, Logger: logger}); err != nil {
			return err
		}
		defer env.Close()
		fmt.Printf("in-process server %s on %s (memory: this process, server and generator together)\n", env.Base, env.DB.Dialect)
	} else {
		if token == "" {
			return fmt.Errorf("--url needs --token")
		}
		h := http.Header{}
		h.Set("Authorization", "Bearer "+token)
		h.Set(server.HeaderUserID, user)
		env = &loadtest.Env{Base: strings.TrimRight(url, "/"), Header: h}
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				env.IDs = append(env.IDs, id)
			}
		}
		mem = nil
		if pid > 0 {
			mem = loadtest.ProcessMemory(pid)
		}
		direct = false
	}
	client := loadtest.Client(c)
	for _, name := range strings.Split(scenarios, ",") {
		var s loadtest.Scenario
		var mk func() (loadtest.Do, error)
		switch strings.TrimSpace(name) {
		case "Retrieve":
			if len(env.IDs) == 0 {
				return fmt.Errorf("Retrieve needs --ids against --url")
			}
			s, mk = env.Retrieve(), env.DirectRetrieve
		case "RetrieveMultiple":
			s, mk = env.RetrieveMultiple(), env.DirectMultiple
		default:
			return fmt.Errorf("unknown scenario %q", name)
		}
		// A short warm-up fills the pools and caches.
		loadtest.Run(ctx, "warm-up", loadtest.Options{Concurrency: c, Duration: time.Second}, loadtest.HTTP(client, env.Base, s))
		r := loadtest.Run(ctx, s.Name, loadtest.Options{Concurrency: c, Duration: d, SampleEvery: every, Memory: mem}, loadtest.HTTP(client, env.Base, s))
		fmt.Println(r)
		for _, m := range r.Memory {
			fmt.Printf("  t=%5.1fs rss %6.1f MiB heap %6.1f MiB\n", m.At.Seconds(), mib(m.RSS), mib(m.Heap))
		}
		if len(r.Memory) >= 3 {
			fmt.Printf("  growth (median of last third - first third): rss %+.1f MiB, heap %+.1f MiB\n",
				float64(loadtest.MemoryGrowth(r.Memory, func(m loadtest.MemSample) uint64 { return m.RSS }))/(1<<20),
				float64(loadtest.MemoryGrowth(r.Memory, func(m loadtest.MemSample) uint64 { return m.Heap }))/(1<<20))
		}
		if direct {
			do, err := mk()
			if err != nil {
				return err
			}
			dr := loadtest.Run(ctx, s.Name+" direct driver", loadtest.Options{Concurrency: c, Duration: min(d, 10*time.Second)}, do)
			fmt.Println(dr)
			// Added latency is service time: one connection, so that queueing
			// behind other requests on two cores does not count.
			lat := loadtest.Options{Concurrency: 1, Duration: min(d, 10*time.Second)}
			r1 := loadtest.Run(ctx, s.Name+" 1 connection", lat, loadtest.HTTP(client, env.Base, s))
			d1 := loadtest.Run(ctx, s.Name+" direct driver 1 connection", lat, do)
			fmt.Println(r1)
			fmt.Println(d1)
			fmt.Printf("  added by the server (1 connection): p50 %+dµs, p99 %+dµs\n", (r1.P50 - d1.P50).Microseconds(), (r1.P99 - d1.P99).Microseconds())
		}
		if r.Errors > 0 {
			return fmt.Errorf("%s: %d errors", s.Name, r.Errors)
		}
	}
	return nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func runCompare(ctx context.Context, dsn, engines, reads, conns, variants, capDir string, d time.Duration, count int, benchOut string, floorSame, indexes bool, slices int) error {
	if count < 1 || slices < 1 {
		return fmt.Errorf("-count and -slices must be at least 1 (given %d and %d)", count, slices)
	}
	if engines == "" {
		engines = "sqlite"
		if dsn != "" {
			engines += ",postgres"
		}
	}
	o := loadtest.CompareOptions{DSN: dsn, Duration: d, Out: os.Stdout, Variants: splitList(variants), CAP: capDir, FloorSameRequest: floorSame, AdvisedIndexes: indexes, Slices: slices}
	for _, r := range splitList(reads) {
		switch r {
		case "a":
			o.Reads = append(o.Reads, loadtest.ReadA)
		case "b":
			o.Reads = append(o.Reads, loadtest.ReadB)
		default:
			return fmt.Errorf("unknown read %q (a, b)", r)
		}
	}
	for _, c := range splitList(conns) {
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			return fmt.Errorf("bad connection count %q", c)
		}
		o.Conns = append(o.Conns, n)
	}
	fmt.Printf("GOMAXPROCS %d, %s per cell in %d interleaved slices, %s\n", runtime.GOMAXPROCS(0), d, slices, time.Now().UTC().Format(time.RFC3339))
	if capDir != "" {
		if why := loadtest.CAPSkipReason(capDir); why != "" {
			fmt.Printf("SAP CAP (%s): skipped: %s\n", capDir, why)
		} else {
			fmt.Printf("SAP CAP: %s, %s\n", capDir, capVersions(capDir))
		}
	}
	var bench io.Writer
	if benchOut != "" {
		f, err := os.Create(benchOut)
		if err != nil {
			return err
		}
		defer f.Close()
		bench = f
		fmt.Fprintf(f, "goos: %s\ngoarch: %s\npkg: github.com/vecompile/vecompile/cmd/vecompile-load\n", runtime.GOOS, runtime.GOARCH)
	}
	for round := range count {
		fmt.Printf("round %d\n%s\n", round+1, loadtest.CompareHeader)
		for _, e := range splitList(engines) {
			o.Engine = e
			rows, err := loadtest.Compare(ctx, o)
			if err != nil {
				return err
			}
			if bench != nil {
				for _, r := range rows {
					fmt.Fprintln(bench, r.BenchLine())
				}
			}
		}
	}
	return nil
}

// defaultCAPDir is the CAP project beside this command's source: found
// from the working directory (the repository's root, as the commands in
// the package comment run), else from the source file's path, which go
// run records.
func defaultCAPDir() string {
	const rel = "cmd/vecompile-load/testdata/cap"
	if _, err := os.Stat(rel); err == nil {
		return rel
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "testdata", "cap")
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	return rel
}

// capVersions names the installed CAP packages' versions, for the record.
func capVersions(dir string) string {
	var out []string
	for _, p := range []string{"@sap/cds", "@cap-js/sqlite", "better-sqlite3"} {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", p, "package.json"))
		if err != nil {
			continue
		}
		var v struct{ Version string }
		if json.Unmarshal(b, &v) == nil {
			out = append(out, p+" "+v.Version)
		}
	}
	node, _ := exec.Command("node", "--version").Output()
	return strings.Join(append(out, "node "+strings.TrimSpace(string(node))), ", ")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
