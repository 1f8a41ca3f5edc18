package vecompile_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// TestSampleLoad: the sample loaded into an SQLite file, a PostgreSQL
// schema and a MariaDB database gives --db alone the exact catalog (money,
// choices, owners from vecompile_metadata), the security model, and the
// embedded sample's rows; a second load is refused without replace.
func TestSampleLoad(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 15, 13, 20, 0, 0, time.UTC)
	user := engine.SampleUsers["europe"]
	want := runGuidQueries(t, ctx, vecompile.Config{Sample: true, UserID: user, Now: now})
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "crm.db") + "?create=true"}
	for k, v := range ownEngineDatabases(t, "vcsample") {
		dsns[k] = v
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			db, err := engine.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := engine.LoadSample(ctx, db, false); err != nil {
				t.Fatal(err)
			}
			if err := engine.LoadSample(ctx, db, false); diag.CodeOf(err) != diag.BadFlag {
				t.Errorf("a second load without replace: %v, want %s", err, diag.BadFlag)
			}
			if err := engine.LoadSample(ctx, db, true); err != nil {
				t.Fatalf("replace: %v", err)
			}
			if _, ok, err := engine.LoadSecurity(ctx, db, ""); err != nil || !ok {
				t.Errorf("security model: %v %v", ok, err)
			}
			c, err := vecompile.Open(ctx, vecompile.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			tb, _ := c.Catalog().Table("account")
			c.Close()
			for col, typ := range map[string]plan.Type{"revenue": plan.TMoney, "industrycode": plan.TPicklist, "ownerid": plan.TOwner} {
				if cl, ok := tb.Column(col); !ok || cl.Type != typ {
					t.Errorf("account.%s is not %s", col, typ)
				}
			}
			got := runGuidQueries(t, ctx, vecompile.Config{DSN: dsn, UserID: user, Now: now})
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("query %d:\n--- sample\n%s--- %s\n%s", i, want[i], name, got[i])
				}
			}
		})
	}
}
