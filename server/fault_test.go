package server_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
)

// TestDatabaseStopsAndRecovers: PostgreSQL goes away under a running
// server (503 with Retry-After, readiness fails), then comes back and is
// served again without a restart.
func TestDatabaseStopsAndRecovers(t *testing.T) {
	dsn := testkit.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := &tcpProxy{target: u.Host}
	px.start(t)
	defer px.stop()
	ctx := context.Background()
	// The fixture is loaded and dropped over a direct connection, so that
	// a failure while the proxy is down still cleans up.
	direct, err := engine.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	prefix := fmt.Sprintf("srvf%d_", os.Getpid())
	cat, err := engine.LoadFixture(ctx, direct, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := engine.DropFixture(context.Background(), direct, prefix); err != nil {
			t.Errorf("dropping the fixture: %v", err)
		}
	}()
	u.Host = px.addr
	db, err := engine.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t, fixture{"proxied", db, cat}, nil)
	query := `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`
	e.do("POST", "/api/ve/v1/RetrieveMultiple", query).want(t, 200)

	px.stop()
	for i := 0; i < 3; i++ { // every pooled connection is dead
		r := e.do("POST", "/api/ve/v1/RetrieveMultiple", query)
		r.wantError(t, 503, "", "VE6009")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	}
	e.do("GET", "/readyz", nil).wantError(t, 503, "", "VE6009")

	px.start(t) // same address
	e.do("GET", "/readyz", nil).want(t, 200)
	e.do("POST", "/api/ve/v1/RetrieveMultiple", query).want(t, 200)
}
