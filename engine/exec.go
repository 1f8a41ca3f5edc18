package engine

import (
	"context"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/plan"
)

// Exec compiles p for the database's dialect, runs it and shapes the
// result (Run); when the plan asks for the total record count it also runs
// the count statement (emit/sql.EmitCount) and records it with SetTotal.
func (db *DB) Exec(ctx context.Context, p *plan.Plan) (*Result, error) {
	d, ok := sqlemit.DialectByName(db.Dialect)
	if !ok {
		return nil, db.errorf("no SQL dialect %q", db.Dialect)
	}
	st, err := sqlemit.Emit(p, d)
	if err != nil {
		return nil, err
	}
	r, err := db.Run(ctx, p, st)
	if err != nil {
		return nil, err
	}
	if p.ReturnTotalRecordCount {
		cst, err := sqlemit.EmitCount(p, d)
		if err != nil {
			return nil, err
		}
		n, err := db.Count(ctx, cst)
		if err != nil {
			return nil, err
		}
		r.SetTotal(n)
	}
	return r, nil
}
