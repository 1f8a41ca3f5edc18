package loadtest

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	"github.com/vecompile/vecompile"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// BenchmarkReadBRootFirst runs read b's statement, prepared, written root
// first (the opportunities ordered and limited before the outer join to
// their account: plan.Plan.RootFirst) and written the usual way (joined,
// then sorted and limited), one after the other in each round, secured and
// not: go test ./server/loadtest -run '^$' -bench ReadBRootFirst -count 10.
// Both must return the same rows.
func BenchmarkReadBRootFirst(b *testing.B) {
	for _, insecure := range []bool{false, true} {
		e, err := Start(context.Background(), EnvOptions{Insecure: insecure})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Close)
		q, err := vecompile.Parse("load", []byte(ReadB.Fetch(e.IDs[0])))
		if err != nil {
			b.Fatal(err)
		}
		opt := plan.Options{Catalog: e.Catalog}
		if e.Session != nil {
			opt.Security = plan.ModelSecurity{Session: e.Session}
		}
		p, err := plan.Build(q, opt)
		if err != nil {
			b.Fatal(err)
		}
		if !p.RootFirst {
			b.Fatal("read b is not written root first")
		}
		joined := *p
		joined.RootFirst = false
		d, _ := sqlemit.DialectByName(e.DB.Dialect)
		name := map[bool]string{false: "secured", true: "unsecured"}[insecure]
		var rows [2][][]any
		for i, pl := range []*plan.Plan{p, &joined} {
			st, err := sqlemit.Emit(pl, d)
			if err != nil {
				b.Fatal(err)
			}
			stmt := prepare(b, e, st)
			if rows[i], err = readAll(context.Background(), stmt, st.Args); err != nil {
				b.Fatal(err)
			}
			b.Run(name+"/"+[]string{"root-first", "joined"}[i], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := readAll(context.Background(), stmt, st.Args); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		if len(rows[0]) == 0 || !reflect.DeepEqual(rows[0], rows[1]) {
			b.Fatalf("%s: root first returns %v, joined %v", name, rows[0], rows[1])
		}
	}
}

func readAll(ctx context.Context, stmt *sql.Stmt, args []any) ([][]any, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	out, err := testkit.ScanRows(rows)
	for _, vals := range out {
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
	}
	return out, err
}
