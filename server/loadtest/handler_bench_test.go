package loadtest

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
)

// BenchmarkHandlerRead runs reads a and b through the secured server's
// handler with no network, for allocation and CPU profiles of the server's
// own work (go test -run '^$' -bench HandlerRead -benchmem -memprofile).
func BenchmarkHandlerRead(b *testing.B) {
	for _, insecure := range []bool{false, true} {
		e, err := Start(context.Background(), EnvOptions{Insecure: insecure})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Close)
		name := "secured"
		if insecure {
			name = "unsecured"
		}
		for _, rd := range []Read{ReadA, ReadB} {
			st, stmt := prepareFloor(b, e, rd)
			b.Run(name+"/"+rd.Name[:1]+"/floor", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					// A request's context can be cancelled, as the
					// server's is (the driver watches it).
					ctx, cancel := context.WithCancel(context.Background())
					w := httptest.NewRecorder()
					if err := floorRead(ctx, w, stmt, st.Args); err != nil {
						b.Fatal(err)
					}
					cancel()
				}
			})
			path := rd.Path(e.IDs[0])
			b.Run(name+"/"+rd.Name[:1], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodGet, path, nil)
					r.Header = e.Header.Clone()
					w := httptest.NewRecorder()
					e.Handler.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", path, w.Code, w.Body)
					}
				}
			})
		}
	}
}

// prepareFloor is read rd's statement for e's caller, as the floor
// prepares it.
func prepareFloor(b *testing.B, e *Env, rd Read) (*sqlemit.Statement, *sql.Stmt) {
	st, err := e.statement(rd.Fetch(e.IDs[0]))
	if err != nil {
		b.Fatal(err)
	}
	return st, prepare(b, e, st)
}

// prepare is st prepared on e's database, closed when b ends.
func prepare(b *testing.B, e *Env, st *sqlemit.Statement) *sql.Stmt {
	stmt, err := e.DB.SQL.Prepare(st.SQL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stmt.Close() })
	return stmt
}

// BenchmarkEngineQuery compares the engine's query (the per-connection
// statement cache, typing each value) with a prepared database/sql
// statement scanning into any, on reads a's and b's statements.
func BenchmarkEngineQuery(b *testing.B) {
	e, err := Start(context.Background(), EnvOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	for _, rd := range []Read{ReadA, ReadB} {
		st, stmt := prepareFloor(b, e, rd)
		b.Run(rd.Name[:1]+"/stmt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				if _, err := readAll(ctx, stmt, st.Args); err != nil {
					b.Fatal(err)
				}
				cancel()
			}
		})
		b.Run(rd.Name[:1]+"/engine", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// The server's statements run under a deadline.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if _, err := e.DB.Query(ctx, st); err != nil {
					b.Fatal(err)
				}
				cancel()
			}
		})
	}
}
