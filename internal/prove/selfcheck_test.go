package prove

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/faults"
	"github.com/vecompile/vecompile/internal/gen"
)

// hunt runs the differential oracle over the fixed seed's budget and
// returns the number of queries it took to find a discrepancy (0: none),
// with the counterexample shrunk.
func hunt(t *testing.T, ctx context.Context, tg []Target) (int, string) {
	r := rand.New(rand.NewSource(FixedSeed))
	n := 0
	for d := 0; d < datasetsPerSeed; d++ {
		ds := gen.NewDataset(r)
		if err := LoadAll(ctx, tg, ds); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < queriesPerDataset; i++ {
			q := gen.NewQuery(r, ds)
			n++
			if err := Differential(ctx, tg, ds, q); err != nil {
				// Show the minimal counterexample the shrinker finds; an
				// injected bug is not kept as a regression.
				// Shrinking reloads the data for each smaller dataset: on
				// SQLite alone when the bug shows there.
				st := tg
				if Differential(ctx, tg[:1], ds, q) != nil {
					st = tg[:1]
				}
				msg := shrink(t, ctx, st, ds, q, "", false)
				DropAll(ctx, tg, ds)
				return n, msg
			}
		}
		DropAll(ctx, tg, ds)
	}
	return 0, ""
}

// TestSelfCheck injects each known bug (internal/faults) and shows that the
// differential oracle catches it within the fixed seed's budget. TLP and
// NoREC are not asked to: these bugs are consistent semantic errors, the
// same in every partition, and the metamorphic oracles look for
// inconsistencies (optimizer bugs) instead.
func TestSelfCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	tg := targets(t, ctx)
	hasPostgres := false
	for _, target := range tg {
		hasPostgres = hasPostgres || target.Name == "postgres"
	}
	var table []string
	for _, f := range faults.All {
		t.Run(f.Name, func(t *testing.T) {
			if f.On == &faults.NullsLastAsc && !hasPostgres {
				// Only PostgreSQL's SQL spells NULL placement; SQLite and
				// MariaDB sort NULLs first by themselves.
				t.Skip("needs PostgreSQL")
			}
			*f.On = true
			defer faults.Off()
			n, msg := hunt(t, ctx, tg)
			if n > 0 {
				t.Logf("the differential oracle catches it at query %d:\n%s", n, msg)
				table = append(table, fmt.Sprintf("%s | caught at query %d", f.Name, n))
			} else {
				table = append(table, fmt.Sprintf("%s | NOT caught", f.Name))
				t.Errorf("injected bug %s is not caught by the differential oracle within the fixed seed's %d queries", f.Name, datasetsPerSeed*queriesPerDataset)
			}
		})
	}
	t.Logf("caught / injected:\n%s", strings.Join(table, "\n"))
}
