package server

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// pageFigures is one page's measurement: wall times through the server's
// path (the keyset continuation, emit, engine), the database's own times
// from EXPLAIN ANALYZE, and the top node's buffers.
type pageFigures struct {
	first      time.Duration // the warm-up run's wall time (0 without one)
	wall       []time.Duration
	exec, plan []float64 // ms: EXPLAIN ANALYZE Execution / Planning Time
	st         *sqlemit.Statement
	buffers    string
	head       string
	rows       [][]any // the page's rows, for comparing forms
}

// pageMeter runs pages as the server runs them and as EXPLAIN sees them.
type pageMeter struct {
	t    *testing.T
	ctx  context.Context
	db   *engine.DB
	runs int  // measured runs per page
	warm bool // one unmeasured run first (cold pages, hint bits)
}

// measure runs mk (the page's plan, built as the server builds it per
// request) warm-up plus m.runs times, wall-timing mk, emit and execute,
// then EXPLAINs the same statement as many times with TIMING OFF (the
// database's figure without per-node clock reads) and once with TIMING
// for the head. A page after a NULL first key runs as the server reads
// it, in parts (readInParts): its figures are the parts' summed, its
// buffers "a + b". Every run must return want rows.
func (m *pageMeter) measure(mk func() (*plan.Plan, error), want int) *pageFigures {
	t := m.t
	f := &pageFigures{}
	var st *sqlemit.Statement
	n := m.runs
	if m.warm {
		n++
	}
	var run *plan.Plan
	for i := 0; i < n; i++ {
		start := time.Now()
		var err error
		if run, err = mk(); err != nil {
			t.Fatal(err)
		}
		var res *engine.Result
		if readsInParts(run) {
			// After a NULL first key: two statements (paging_nulls.go).
			res, err = readInParts(m.ctx, m.db, run)
		} else if st, err = m.db.Emit(run); err == nil {
			res, err = m.db.ExecEmitted(m.ctx, run, st)
		}
		d := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != want {
			t.Fatalf("%d rows, want %d", len(res.Rows), want)
		}
		if m.warm && i == 0 {
			f.first = d
			continue
		}
		f.wall = append(f.wall, d)
		f.rows = rowValues(res)
	}
	// The statements the page ran: one, or the parts read after a NULL.
	sts := []*sqlemit.Statement{st}
	if readsInParts(run) {
		sts = sts[:0]
		if _, err := readParts(m.ctx, m.db, run, func(p *plan.Plan, _ *engine.Result) {
			pst, err := m.db.Emit(p)
			if err != nil {
				t.Fatal(err)
			}
			sts = append(sts, pst)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < m.runs; i++ {
		var exec, planning float64
		var buffers []string
		for _, st := range sts {
			top := "" // the top node's buffers: the statement's
			for _, line := range m.explain(st, "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ") {
				if v, ok := msField(line, "Execution Time: "); ok {
					exec += v
				}
				if v, ok := msField(line, "Planning Time: "); ok {
					planning += v
				}
				if b, ok := strings.CutPrefix(strings.TrimSpace(line), "Buffers: "); ok && top == "" {
					top = b
				}
			}
			buffers = append(buffers, strings.TrimPrefix(top, "shared "))
		}
		f.exec, f.plan = append(f.exec, exec), append(f.plan, planning)
		if i == 0 {
			f.buffers = strings.Join(buffers, " + ")
		}
	}
	var heads []string
	for _, st := range sts {
		heads = append(heads, explainHead(m.explain(st, "EXPLAIN (ANALYZE, BUFFERS, TIMING) ")))
	}
	f.head = strings.Join(heads, "\n")
	f.st = sts[len(sts)-1]
	return f
}

func (m *pageMeter) explain(st *sqlemit.Statement, prefix string) []string {
	r, err := m.db.Query(m.ctx, &sqlemit.Statement{SQL: prefix + st.SQL, Args: st.Args})
	if err != nil {
		m.t.Fatal(err)
	}
	lines := make([]string, len(r.Rows))
	for i, row := range r.Rows {
		lines[i] = fmt.Sprint(row[0].Value)
	}
	return lines
}

// projected is the Output line of the plan's scan node (EXPLAIN VERBOSE):
// what the scan computes for each row it returns.
func (m *pageMeter) projected(st *sqlemit.Statement) string {
	scan := false
	for _, line := range m.explain(st, "EXPLAIN (VERBOSE, COSTS OFF) ") {
		l := strings.TrimSpace(line)
		if strings.Contains(l, "Scan") {
			scan = true
		}
		if scan && strings.HasPrefix(l, "Output: ") {
			if len(l) > 200 {
				l = l[:200] + "…"
			}
			return l
		}
	}
	return ""
}

// explainHead is a plan's first nodes, then its planning and execution
// times (the whole plan with VECOMPILE_PAGING_FULL).
func explainHead(plan []string) string {
	full := os.Getenv("VECOMPILE_PAGING_FULL") != ""
	var lines []string
	for i, line := range plan {
		timing := strings.HasPrefix(line, "Planning Time") || strings.HasPrefix(line, "Execution Time")
		if i >= 6 && !timing && !full {
			continue
		}
		if len(line) > 160 {
			line = line[:160] + "…"
		}
		lines = append(lines, "    "+line)
	}
	return strings.Join(lines, "\n")
}

// msField reads "<prefix><float> ms".
func msField(line, prefix string) (float64, bool) {
	s, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, " ms"), 64)
	return v, err == nil
}

func rowValues(r *engine.Result) [][]any {
	out := make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		for _, c := range row {
			out[i] = append(out[i], c.Value)
		}
	}
	return out
}

// quantile is the q-quantile (nearest rank) of xs, which it sorts.
func quantile[T int64 | float64 | time.Duration](xs []T, q float64) T {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(q*float64(len(xs))+0.5) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

// ms writes a duration in milliseconds, three significant figures.
func ms(d time.Duration) string {
	return fmtMs(float64(d) / float64(time.Millisecond))
}

func fmtMs(v float64) string {
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// loadAverage is /proc/loadavg's first three fields ("" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
