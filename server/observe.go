package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type ctxKey int

const keyRequest ctxKey = 0

// observed is what observe keeps of one request, in one allocation and
// one context value: its id, who made it (filled in once the token is
// verified), and the writer recording its answer.
type observed struct {
	id  string
	log *slog.Logger // the server's; lines about the request add its id
	who callerLog
	sw  statusWriter
}

// callerLog is who a request came from, filled in once its token is
// verified, for the request's log line.
type callerLog struct{ app, tenant, objectID string }

func observedOf(ctx context.Context) *observed {
	o, _ := ctx.Value(keyRequest).(*observed)
	return o
}

// noteCaller records the verified token's application in the request log.
func noteCaller(ctx context.Context, c *Claims) {
	if o := observedOf(ctx); o != nil {
		o.who = callerLog{c.App, c.Tenant, c.ObjectID}
	}
}

func requestID(ctx context.Context) string {
	if o := observedOf(ctx); o != nil {
		return o.id
	}
	return ""
}

// logErr logs the cause of an internal error; its request line follows.
func logErr(ctx context.Context, err error) {
	if o := observedOf(ctx); o != nil {
		o.log.Error("request failed", "request_id", o.id, "err", err.Error())
	}
}

// logWarn logs a failure the client's answer does not show.
func logWarn(ctx context.Context, msg string, err error) {
	if o := observedOf(ctx); o != nil {
		o.log.Warn(msg, "request_id", o.id, "err", err.Error())
	}
}

// statusWriter records the status and size of a response, and the error
// code of an error answer (writeError sets it).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	code   string
	cause  string // an internal error's text, for the log only
}

// DefaultLogRepeatWindow is how long a run of identical failures is
// summarized rather than logged line by line.
const DefaultLogRepeatWindow = 10 * time.Second

// repeatLimiter keeps the log readable when the same failure repeats (an
// outage answers every request 503): the first of a run is logged in
// full, the next ones during the window are only counted, and at the
// window's end one line says how many more there were; a window without
// repeats ends the run, so the next one is logged in full again.
type repeatLimiter struct {
	window time.Duration
	mu     sync.Mutex
	runs   map[string]*repeatRun
}

type repeatRun struct{ more int }

func newRepeatLimiter(window time.Duration) *repeatLimiter {
	return &repeatLimiter{window: window, runs: map[string]*repeatRun{}}
}

// first reports whether the event key starts a run (log it); otherwise
// it is counted, and summary(n) is called at the window's end with the
// number counted.
func (l *repeatLimiter) first(key string, summary func(more int)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.runs[key]; ok {
		r.more++
		return false
	}
	l.runs[key] = &repeatRun{}
	l.schedule(key, summary)
	return true
}

func (l *repeatLimiter) schedule(key string, summary func(int)) {
	time.AfterFunc(l.window, func() {
		l.mu.Lock()
		r := l.runs[key]
		n := r.more
		if n == 0 {
			delete(l.runs, key)
		} else {
			r.more = 0
			l.schedule(key, summary)
		}
		l.mu.Unlock()
		if n > 0 {
			summary(n)
		}
	})
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// observe gives every request an id (X-Request-Id, echoed; generated when
// absent or unusable), a structured log line and metrics, and turns a
// panic into a logged 500 rather than a dropped connection.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := headerValue(r.Header, hRequestID)
		if !usableID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header()[hRequestID] = []string{id}
		if ambiguousFraming(r) {
			w.Header().Set("Connection", "close")
		}
		o := &observed{id: id, log: s.log, sw: statusWriter{ResponseWriter: w}}
		who, sw := &o.who, &o.sw
		ctx := context.WithValue(r.Context(), keyRequest, o)
		r = r.WithContext(ctx)
		s.metrics.inFlight.Add(1)
		defer func() {
			s.metrics.inFlight.Add(-1)
			if p := recover(); p != nil {
				s.log.Error("panic", "request_id", id, "panic", fmt.Sprint(p))
				if sw.status == 0 {
					http.Error(sw, `{"error":{"code":"0x80040216","message":"internal error"}}`, http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, sw.status, d)
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			if !s.log.Enabled(ctx, level) {
				return // no line to write: none is built
			}
			attrs := []slog.Attr{slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", d)}
			if who.app != "" {
				attrs = append(attrs, slog.String("app", who.app))
			}
			if who.tenant != "" {
				attrs = append(attrs, slog.String("tid", who.tenant))
			}
			if who.objectID != "" {
				attrs = append(attrs, slog.String("oid", who.objectID))
			}
			if sw.code != "" {
				attrs = append(attrs, slog.String("code", sw.code))
			}
			if sw.cause != "" {
				attrs = append(attrs, slog.String("err", sw.cause))
			}
			if level == slog.LevelError {
				// Failures of one kind on one route are rate-limited.
				key := route + " " + strconv.Itoa(sw.status) + " " + sw.code + " " + sw.cause
				summary := func(more int) {
					s.log.LogAttrs(context.Background(), slog.LevelError, "more requests failed like this", slog.String("route", route),
						slog.Int("status", sw.status), slog.String("code", sw.code), slog.String("err", sw.cause),
						slog.Int("more", more), slog.Duration("within", s.repeats.window))
				}
				if !s.repeats.first(key, summary) {
					return
				}
			}
			s.log.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// ambiguousFraming says whether the connection must close after this
// request (RFC 9112 §6.3, §6.1): net/http serves a request carrying both
// Transfer-Encoding and Content-Length by the chunked coding, but drops
// the Content-Length header before the handler sees it, so every chunked
// request closes its connection; and an HTTP/1.0 request with a body,
// whose Transfer-Encoding net/http ignores and drops the same way. A
// smuggled request behind the body never reaches the server.
func ambiguousFraming(r *http.Request) bool {
	return len(r.TransferEncoding) > 0 || r.ProtoMajor == 1 && r.ProtoMinor == 0 && r.ContentLength != 0
}

func usableID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// metrics is a hand-written Prometheus registry: request counts by route
// and status, a latency histogram by route, and requests in flight.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // route, status
	latency  map[string]*histogram
	inFlight atomic.Int64
}

var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, cumulative when printed
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]uint64{}, latency: map[string]*histogram{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.latency[route] = h
	}
	for i, b := range latencyBuckets {
		if sec <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.n++
}

// serve writes the text exposition format, version 0.0.4.
func (m *metrics) serve(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	m.mu.Lock()
	b.WriteString("# HELP vecompile_http_requests_total Requests served, by route and status.\n# TYPE vecompile_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) })
	for _, k := range keys {
		fmt.Fprintf(&b, "vecompile_http_requests_total{route=%s,status=%q} %d\n", quoteLabel(k[0]), k[1], m.requests[k])
	}
	b.WriteString("# HELP vecompile_http_request_duration_seconds Request latency, by route.\n# TYPE vecompile_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "vecompile_http_request_duration_seconds_bucket{route=%s,le=\"%g\"} %d\n", quoteLabel(r), le, cum)
		}
		fmt.Fprintf(&b, "vecompile_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quoteLabel(r), h.n)
		fmt.Fprintf(&b, "vecompile_http_request_duration_seconds_sum{route=%s} %g\n", quoteLabel(r), h.sum)
		fmt.Fprintf(&b, "vecompile_http_request_duration_seconds_count{route=%s} %d\n", quoteLabel(r), h.n)
	}
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP vecompile_http_requests_in_flight Requests being served.\n# TYPE vecompile_http_requests_in_flight gauge\nvecompile_http_requests_in_flight %d\n", m.inFlight.Load())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}

// quoteLabel quotes a label value as the exposition format escapes it.
func quoteLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
