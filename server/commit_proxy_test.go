package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
)

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
			px := &tcpProxy{target: u.Host}
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
