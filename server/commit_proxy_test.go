package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
)

// commitCutter is a TCP proxy to a database that, when armed, lets the
// next COMMIT through to the database and then drops the client's
// connection before the database's reply reaches it: the database
// commits, the client never hears so.
type commitCutter struct {
	target string
	ln     net.Listener
	armed  atomic.Bool
	cuts   atomic.Int32
}

func (p *commitCutter) start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			var cutting atomic.Bool
			go func() { // client → database
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						chunk := buf[:n]
						if p.armed.Load() && bytes.Contains(bytes.ToLower(chunk), []byte("commit")) && p.armed.CompareAndSwap(true, false) {
							cutting.Store(true)
							d.Write(chunk)
							time.Sleep(300 * time.Millisecond) // the database commits
							p.cuts.Add(1)
							c.Close()
							d.Close()
							return
						}
						if _, werr := d.Write(chunk); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				d.Close()
			}()
			go func() { // database → client, silenced once cutting
				buf := make([]byte, 64<<10)
				for {
					n, err := d.Read(buf)
					if n > 0 && !cutting.Load() {
						if _, werr := c.Write(buf[:n]); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// TestCommitReplyLost: a real connection dropped after COMMIT reached
// PostgreSQL or MariaDB and before its reply came back: the create and
// the update committed and are answered 2xx (never 503 "retry later"),
// with one row, on each engine.
func TestCommitReplyLost(t *testing.T) {
	for name, dsnOf := range map[string]func(testing.TB) string{"postgres": testkit.PostgresDSN, "mysql": testkit.MySQLDSN} {
		t.Run(name, func(t *testing.T) {
			dsn := dsnOf(t)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			direct, err := engine.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer direct.Close()
			prefix := fmt.Sprintf("srvc%d_", os.Getpid())
			cat, err := engine.LoadFixture(ctx, direct, prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer engine.DropFixture(context.Background(), direct, prefix)
			px := &commitCutter{target: u.Host}
			u.Host = px.start(t)
			db, err := engine.Open(ctx, u.String())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f := fixture{name, direct, cat}
			e := newEnv(t, fixture{name, db, cat}, nil)

			px.armed.Store(true)
			r := e.do("POST", "/odata/accounts", `{"name":"reply lost"}`)
			if px.cuts.Load() != 1 {
				t.Fatalf("the proxy cut %d COMMITs", px.cuts.Load())
			}
			if r.status != http.StatusNoContent {
				t.Fatalf("a create committed without its reply: %d %s", r.status, r.body)
			}
			if n := countAccounts(t, f, "reply lost"); n != 1 {
				t.Fatalf("%d rows", n)
			}
			loc := r.header.Get("OData-EntityId")
			id := loc[strings.LastIndex(loc, "(")+1 : len(loc)-1]
			px.armed.Store(true)
			e.do("PATCH", "/odata/accounts("+id+")", `{"name":"reply lost 2"}`).want(t, http.StatusNoContent)
			if px.cuts.Load() != 2 || readAccount(t, f, id).name != "reply lost 2" {
				t.Errorf("update: %d cuts, name %q", px.cuts.Load(), readAccount(t, f, id).name)
			}
		})
	}
}
