package loadtest_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/server/loadtest"
)

// TestBoundedLoad drives a real listening, secured server for a few
// seconds per scenario and backend: every reply must be 2xx. Figures are
// logged, never asserted (the machine is shared).
func TestBoundedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	backends := map[string]string{"sqlite": ""}
	if dsn := os.Getenv(testkit.PostgresEnv); dsn != "" {
		backends["postgres"] = dsn
	}
	for name, dsn := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e, err := loadtest.Start(ctx, loadtest.EnvOptions{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c := loadtest.Client(8)
			o := loadtest.Options{Concurrency: 8, Duration: 1500 * time.Millisecond, SampleEvery: 250 * time.Millisecond, Memory: loadtest.SelfMemory}
			for _, s := range []loadtest.Scenario{e.Retrieve(), e.RetrieveMultiple()} {
				r := loadtest.Run(ctx, s.Name, o, loadtest.HTTP(c, e.Base, s))
				t.Log(r)
				if r.Requests < 10 {
					t.Errorf("%s: only %d requests completed", s.Name, r.Requests)
				}
				if r.Errors != 0 || r.ServerErrors() != 0 || r.Status[200] != r.Requests {
					t.Errorf("%s: %d errors, statuses %v, first %q", s.Name, r.Errors, r.Status, r.FirstError)
				}
				if len(r.Memory) < 2 || r.Memory[0].RSS == 0 || r.Memory[0].Heap == 0 {
					t.Errorf("%s: memory was not sampled: %v", s.Name, r.Memory)
				}
			}
			// The direct baseline runs the same statements and finds rows.
			for _, mk := range []func() (loadtest.Do, error){e.DirectRetrieve, e.DirectMultiple} {
				do, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				r := loadtest.Run(ctx, "direct", loadtest.Options{Concurrency: 2, MaxRequests: 200}, do)
				if r.Errors != 0 || r.Requests != 200 {
					t.Errorf("direct: %v", r)
				}
			}
		})
	}
}

// TestLoadCountsFailures: a scenario the server refuses is counted as
// errors, so the zero-error assertion above can fail.
func TestLoadCountsFailures(t *testing.T) {
	ctx := context.Background()
	e, err := loadtest.Start(ctx, loadtest.EnvOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.Retrieve()
	s.Header = s.Header.Clone()
	s.Header.Set("X-VE-User-Id", "aa000000-0000-4000-8000-0000000000ff") // unknown to the model
	r := loadtest.Run(ctx, "refused", loadtest.Options{Concurrency: 2, MaxRequests: 20}, loadtest.HTTP(loadtest.Client(2), e.Base, s))
	if r.Errors != 20 || r.Status[403] != 20 || r.FirstError != "HTTP 403" {
		t.Errorf("refused requests: %v (statuses %v)", r, r.Status)
	}
}

// TestMerge: results merged are one run's: counts, times and statuses
// summed, quantiles over every latency of every part.
func TestMerge(t *testing.T) {
	run := func(d time.Duration, n int64) *loadtest.Result {
		return loadtest.Run(context.Background(), "x", loadtest.Options{MaxRequests: n}, func(context.Context, int, int64) (int, error) {
			time.Sleep(d)
			return 200, nil
		})
	}
	fast, slow := run(0, 90), run(3*time.Millisecond, 10)
	m := loadtest.Merge("x", fast, slow)
	if m.Runs != 2 || m.Requests != 100 || m.Status[200] != 100 || m.Elapsed != fast.Elapsed+slow.Elapsed || m.CPU != fast.CPU+slow.CPU {
		t.Fatalf("merged %v (cpu %s), parts %v, %v", m, m.CPU, fast, slow)
	}
	// 90 requests of ~0 and 10 of ≥3 ms: the median is a fast one, the
	// 99th percentile a slow one, and the maximum the slowest.
	if m.P50 >= time.Millisecond || m.P99 < 3*time.Millisecond || m.Max != max(fast.Max, slow.Max) {
		t.Errorf("p50 %s, p99 %s, max %s", m.P50, m.P99, m.Max)
	}
}

// TestCompareRuns runs the floor comparison briefly on SQLite (and
// PostgreSQL when configured): every cell answers 2xx and the floor's
// statements find rows. Figures are not asserted.
func TestCompareRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	o := loadtest.CompareOptions{Engine: "sqlite", Reads: []loadtest.Read{loadtest.ReadA, loadtest.ReadB}, Conns: []int{2},
		Variants: []string{"floor", "secured", "unsecured"}, Duration: 300 * time.Millisecond, Slices: 3}
	engines := []string{"sqlite"}
	if dsn := os.Getenv(testkit.PostgresEnv); dsn != "" {
		o.DSN = dsn
		engines = append(engines, "postgres")
	}
	for _, e := range engines {
		o.Engine = e
		rows, err := loadtest.Compare(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 {
			t.Fatalf("%s: %d cells, want 6", e, len(rows))
		}
		for _, r := range rows {
			t.Log(r.BenchLine())
			if r.Result.Requests == 0 || r.Result.Status[200] != r.Result.Requests {
				t.Errorf("%s: %v", r.Variant, r.Result)
			}
			// Three slices of 100 ms each, merged.
			if r.Result.Runs != 3 || r.Result.Elapsed < 300*time.Millisecond {
				t.Errorf("%s: %d runs merged, measured for %s; want three slices of 100 ms", r.Variant, r.Result.Runs, r.Result.Elapsed)
			}
		}
	}
	// The floor sent the servers' requests finds each key from them; the
	// advised indexes are created first, and named.
	var out strings.Builder
	o.Engine, o.Variants, o.FloorSameRequest, o.AdvisedIndexes, o.Out = "sqlite", []string{"floor"}, true, true, &out
	rows, err := loadtest.Compare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "index for read b: CREATE INDEX") {
		t.Errorf("no advised index for read b was created:\n%s", out.String())
	}
	for _, r := range rows {
		if r.Result.Requests == 0 || r.Result.Status[200] != r.Result.Requests {
			t.Errorf("floor sent the servers' requests, read %s: %v", r.Read, r.Result)
		}
	}
}
