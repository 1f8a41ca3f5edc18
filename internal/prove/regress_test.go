package prove

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/testkit"
)

const regressionDir = "testdata/regressions"

// shrink shrinks a failing case (data reductions reload the targets) and,
// with keep under -update, writes it to testdata/regressions. It returns
// the report of the shrunk case.
func shrink(t *testing.T, ctx context.Context, tg []Target, ds *gen.Dataset, q *ast.Query, note string, keep bool) string {
	kind := FailureKind(Differential(ctx, tg, ds, q))
	if kind == "" {
		return "(the failure does not repeat)"
	}
	mds, mq := gen.Minimize(ds, q, 300, func(ds *gen.Dataset, q *ast.Query) bool {
		if err := LoadAll(ctx, tg, ds); err != nil {
			t.Fatal(err)
		}
		return FailureKind(Differential(ctx, tg, ds, q)) == kind
	})
	if err := LoadAll(ctx, tg, mds); err != nil {
		t.Fatal(err)
	}
	err := Differential(ctx, tg, mds, mq)
	report := fmt.Sprintf("shrunk to:\n%s\n%v", Report(mds, mq), err)
	if keep && *testkit.Update {
		b, merr := MarshalRegression(NewRegression(note, mds, mq))
		if merr != nil {
			t.Fatal(merr)
		}
		name := fmt.Sprintf("%x.json", sha256.Sum256(b))[:16] + ".json"
		if err := os.MkdirAll(regressionDir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(regressionDir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("kept as %s", path)
	}
	return report
}

// TestRegressions replays every kept counterexample on every engine.
func TestRegressions(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(regressionDir, "*.json"))
	if len(files) == 0 {
		t.Skip("no regression cases")
	}
	ctx := context.Background()
	tg := targets(t, ctx)
	// Kept cases of known defects must fail until the defect is fixed.
	ODataKnownOff = true
	defer func() { ODataKnownOff = false }()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var r Regression
			if err := jsonUnmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			ds, q, err := r.Case()
			if err != nil {
				t.Fatal(err)
			}
			if len(r.KnownOn) > 0 && !slices.ContainsFunc(tg, func(x Target) bool { return slices.Contains(r.KnownOn, x.Name) }) {
				t.Skipf("the known failure shows on %v, not configured here", r.KnownOn)
			}
			if err := LoadAll(ctx, tg, ds); err != nil {
				t.Fatal(err)
			}
			defer DropAll(ctx, tg, ds)
			err = Differential(ctx, tg, ds, q)
			switch {
			case r.Known != "" && err == nil:
				t.Errorf("%s passes now: remove its \"known\" mark (%s)", f, r.Known)
			case r.Known != "":
				t.Logf("known failure (%s): %v", r.Known, err)
			case err != nil:
				t.Errorf("%s (%s): %v", f, r.Note, err)
			}
		})
	}
}
