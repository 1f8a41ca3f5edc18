package prove

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/testkit"
)

// FixedSeed is the seed every run checks; each run also checks one fresh
// seed, printed in the log. VECOMPILE_SEED=<seed> replaces both with the
// given one, to reproduce a failure.
const FixedSeed = 20261122

// Budget: datasets per seed and queries per dataset (each query runs on
// every engine).
const (
	datasetsPerSeed   = 12
	queriesPerDataset = 60
)

func seeds(t *testing.T) []int64 {
	if s := os.Getenv("VECOMPILE_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("VECOMPILE_SEED=%q: %v", s, err)
		}
		t.Logf("seed %d (VECOMPILE_SEED)", n)
		return []int64{n}
	}
	fresh := time.Now().UnixNano() % 1_000_000_000
	t.Logf("seeds: fixed %d, fresh %d (reproduce: VECOMPILE_SEED=%d go test ./internal/prove)", FixedSeed, fresh, fresh)
	return []int64{FixedSeed, fresh}
}

// targets opens SQLite and the configured engines; run is a per-process
// counter in the table prefix so that concurrent runs never share tables.
func targets(t *testing.T, ctx context.Context) []Target {
	sdb, err := engine.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	out := []Target{{Name: "sqlite", DB: sdb, Prefix: "p_"}}
	engines := testkit.OptionalEngines(t)
	for _, name := range []string{"postgres", "mysql"} {
		dsn := engines[name]
		if dsn == "" {
			continue
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { db.Close() })
		out = append(out, Target{Name: name, DB: db, Prefix: fmt.Sprintf("prv%d_%d_", os.Getpid(), rand.Intn(1_000_000))})
	}
	return out
}

func TestDifferential(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)
	for _, seed := range seeds(t) {
		r := rand.New(rand.NewSource(seed))
		for d := 0; d < datasetsPerSeed; d++ {
			ds := gen.NewDataset(r)
			if err := LoadAll(ctx, tg, ds); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < queriesPerDataset; i++ {
				q := gen.NewQuery(r, ds)
				if err := Differential(ctx, tg, ds, q); err != nil {
					t.Errorf("seed %d dataset %d query %d: %v\n%s\n%s", seed, d, i, err, Report(ds, q),
						shrink(t, ctx, tg, ds, q, fmt.Sprintf("seed %d dataset %d query %d", seed, d, i), true))
					if err := LoadAll(ctx, tg, ds); err != nil { // shrinking reloaded other data
						t.Fatal(err)
					}
				}
			}
			DropAll(ctx, tg, ds)
		}
	}
	t.Logf("queries: %d compared, %d with a non-empty answer", DiffStats.Queries, DiffStats.NonEmpty)
	t.Logf("QueryExpression forms: %d printed and compared, %d refused by the converter (VE1014)", QEStats.Printed, QEStats.Refused)
	t.Logf("OData forms: %d printed and compared, %d refused by the emitter (VE4002), %d hit a known defect", ODataStats.Printed, ODataStats.Refused, ODataStats.Known)
}

// Metamorphic budget per seed.
const (
	metaDatasets = 6
	metaQueries  = 30
)

func TestMetamorphic(t *testing.T) {
	ctx := context.Background()
	tg := targets(t, ctx)
	for _, seed := range seeds(t) {
		r := rand.New(rand.NewSource(seed))
		for d := 0; d < metaDatasets; d++ {
			ds := gen.NewDataset(r)
			if err := LoadAll(ctx, tg, ds); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < metaQueries; i++ {
				q, p := metamorphicCase(r, ds)
				for _, target := range tg {
					if err := TLP(ctx, target, ds, q, p); err != nil {
						t.Errorf("seed %d dataset %d query %d: %v\npredicate:\n%s\n%s", seed, d, i, err, predicateText(q, p), Report(ds, q))
					}
					if err := NoREC(ctx, target, ds, q.Entity.Name.Text, p); err != nil {
						t.Errorf("seed %d dataset %d query %d: %v\npredicate:\n%s\n%s", seed, d, i, err, predicateText(q, p), Report(ds, q))
					}
				}
			}
			DropAll(ctx, tg, ds)
		}
	}
}
