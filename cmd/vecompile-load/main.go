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
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
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
	)
	flag.Parse()
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
