// Package loadtest is a bounded load generator for the adapter server:
// a fixed number of workers send requests over keep-alive connections for
// a duration (or a request budget), recording every latency in a
// histogram, the status codes, and the server's memory over time. The same
// loop times the direct driver (the server's SQL through database/sql), so
// that what the server adds can be reported.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Request is one HTTP request of a scenario.
type Request struct {
	Method, Path string
	Body         []byte
}

// Scenario is what each worker sends, round robin over Requests.
type Scenario struct {
	Name     string
	Requests []Request
	// Header is sent with every request (the bearer token, the acting user).
	Header http.Header
}

// Options bound a run: it stops at Duration or after MaxRequests (when
// positive), whichever comes first.
type Options struct {
	Concurrency int
	Duration    time.Duration
	MaxRequests int64
	// SampleEvery is the period of memory samples (0: none).
	SampleEvery time.Duration
	// Memory reads the server's memory (nil: none).
	Memory func() MemSample
	// ServerCPU reads the CPU time of a server running in another process
	// (nil: none), which Result.CPU then includes.
	ServerCPU func() time.Duration
}

// MemSample is the server's memory at a moment of the run.
type MemSample struct {
	At        time.Duration
	RSS, Heap uint64 // bytes; 0 when unknown
}

// Result is a run's figures.
type Result struct {
	Name       string
	Requests   int64
	Errors     int64 // transport errors and non-2xx
	Status     map[int]int64
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	Max        time.Duration
	Memory     []MemSample
	// CPU is this process's CPU time (user and system) during the run,
	// plus Options.ServerCPU's: the server's and the generator's work,
	// a figure that other load on a shared machine disturbs less than
	// the throughput.
	CPU time.Duration
	// Runs is how many runs the result merges (1 for Run's own).
	Runs int
	// hist holds the latencies, for Merge.
	hist *histogram
}

// Merge is the results of several runs of one server as one: requests,
// errors, elapsed and CPU time summed, quantiles over every latency.
// Compare measures in interleaved slices and merges each variant's.
func Merge(name string, rs ...*Result) *Result {
	m := &Result{Name: name, Status: map[int]int64{}, hist: &histogram{}}
	for _, r := range rs {
		m.Runs += r.Runs
		m.Requests += r.Requests
		m.Errors += r.Errors
		m.Elapsed += r.Elapsed
		m.CPU += r.CPU
		for s, c := range r.Status {
			m.Status[s] += c
		}
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
		if r.hist != nil {
			m.hist.merge(r.hist)
		}
		m.Memory = append(m.Memory, r.Memory...)
	}
	m.P50, m.P99, m.Max = m.hist.quantile(0.50), m.hist.quantile(0.99), m.hist.max
	return m
}

// CPUPerRequest is the process CPU time per completed request.
func (r *Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// RPS is completed requests per second.
func (r *Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// ServerErrors counts 5xx replies.
func (r *Result) ServerErrors() int64 {
	var n int64
	for s, c := range r.Status {
		if s >= 500 {
			n += c
		}
	}
	return n
}

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d requests in %.1fs = %.0f/s; p50 %s p99 %s max %s; errors %d (5xx %d)",
		r.Name, r.Requests, r.Elapsed.Seconds(), r.RPS(), us(r.P50), us(r.P99), us(r.Max), r.Errors, r.ServerErrors())
	if r.FirstError != "" {
		fmt.Fprintf(&b, "; first error: %s", r.FirstError)
	}
	return b.String()
}

func us(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + "µs" }

// histogram counts latencies per microsecond up to histMax, above it in
// one overflow bucket (the maximum is kept exactly).
const histMax = 50_000

type histogram struct {
	counts [histMax + 1]uint32
	max    time.Duration
	n      int64
}

func (h *histogram) add(d time.Duration) {
	i := int(d / time.Microsecond)
	if i > histMax {
		i = histMax
	}
	h.counts[i]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the smallest latency with at least q of the samples at or
// below it (microsecond resolution).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	want := int64(q * float64(h.n))
	if want < 1 {
		want = 1
	}
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= want {
			if i == histMax {
				return h.max
			}
			return time.Duration(i) * time.Microsecond
		}
	}
	return h.max
}

// Do is one unit of work: it returns the HTTP status (0 for a call that is
// not HTTP) or an error.
type Do func(ctx context.Context, worker int, i int64) (status int, err error)

// Run runs do from Concurrency workers until the duration or the request
// budget is used up, or ctx ends.
func Run(ctx context.Context, name string, o Options, do Do) *Result {
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Duration > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, o.Duration)
		defer c2()
	}
	res := &Result{Name: name, Status: map[int]int64{}, Runs: 1}
	var (
		issued   atomic.Int64
		mu       sync.Mutex
		total    = &histogram{}
		firstErr atomic.Value
		errs     atomic.Int64
		wg       sync.WaitGroup
	)
	cpu := processCPU
	if o.ServerCPU != nil {
		cpu = func() time.Duration { return processCPU() + o.ServerCPU() }
	}
	start, cpu0 := time.Now(), cpu()
	stopSampling := make(chan struct{})
	samplingDone := make(chan struct{})
	go func() {
		defer close(samplingDone)
		if o.Memory == nil || o.SampleEvery <= 0 {
			return
		}
		t := time.NewTicker(o.SampleEvery)
		defer t.Stop()
		sample := func() {
			m := o.Memory()
			m.At = time.Since(start)
			mu.Lock()
			res.Memory = append(res.Memory, m)
			mu.Unlock()
		}
		sample()
		for {
			select {
			case <-stopSampling:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	for w := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &histogram{}
			status := map[int]int64{}
			for ctx.Err() == nil {
				i := issued.Add(1)
				if o.MaxRequests > 0 && i > o.MaxRequests {
					break
				}
				t0 := time.Now()
				st, err := do(ctx, w, i)
				d := time.Since(t0)
				if err != nil && ctx.Err() != nil {
					break // the run ended during the request: not counted
				}
				h.add(d)
				status[st]++
				if err != nil || st >= 300 {
					errs.Add(1)
					if err == nil {
						err = fmt.Errorf("HTTP %d", st)
					}
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			mu.Lock()
			total.merge(h)
			for s, c := range status {
				res.Status[s] += c
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed, res.CPU = time.Since(start), cpu()-cpu0
	close(stopSampling)
	<-samplingDone
	res.Requests, res.Errors = total.n, errs.Load()
	if e, ok := firstErr.Load().(string); ok {
		res.FirstError = e
	}
	res.P50, res.P99, res.Max = total.quantile(0.50), total.quantile(0.99), total.max
	res.hist = total
	return res
}

// Client is an HTTP client with one keep-alive connection per worker.
func Client(concurrency int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// HTTP is the Do of a scenario against base (http://host:port): the
// response body is read in full, as a client would.
func HTTP(c *http.Client, base string, s Scenario) Do {
	return func(ctx context.Context, _ int, i int64) (int, error) {
		rq := s.Requests[int(i)%len(s.Requests)]
		var body io.Reader
		if rq.Body != nil {
			body = bytes.NewReader(rq.Body)
		}
		req, err := http.NewRequestWithContext(ctx, rq.Method, base+rq.Path, body)
		if err != nil {
			return 0, err
		}
		for k, v := range s.Header {
			req.Header[k] = v
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, err
	}
}

// SelfMemory samples this process (a server running in the load
// generator's process): RSS from /proc and the Go heap in use.
func SelfMemory() MemSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return MemSample{RSS: rss(os.Getpid()), Heap: ms.HeapInuse}
}

// ProcessMemory samples another process's RSS (the heap is unknown).
func ProcessMemory(pid int) func() MemSample {
	return func() MemSample { return MemSample{RSS: rss(pid)} }
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rss reads VmRSS of a process (Linux); 0 when unavailable.
func rss(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// MemoryGrowth is the change between the median of the first and of the
// last third of the samples (bytes; positive is growth), a trend that
// single garbage-collection peaks do not dominate.
func MemoryGrowth(s []MemSample, field func(MemSample) uint64) int64 {
	if len(s) < 3 {
		return 0
	}
	third := len(s) / 3
	med := func(part []MemSample) uint64 {
		v := make([]uint64, len(part))
		for i, m := range part {
			v[i] = field(m)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	return int64(med(s[len(s)-third:])) - int64(med(s[:third]))
}
