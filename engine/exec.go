package engine

import (
	"context"
	"fmt"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Exec compiles p for the database's dialect, runs it and shapes the
// result (Run). Before an aggregate plan it counts the aggregate's input
// rows (emit/sql.EmitAggregateInput) and refuses the query with an
// AggregateLimit error when they exceed p.AggregateLimit, as Dataverse
// refuses it with AggregateQueryRecordLimit exceeded (0x8004E023). When the
// plan asks for the total record count it also runs the count statement
// (emit/sql.EmitCount) and records it with SetTotal.
func (db *DB) Exec(ctx context.Context, p *plan.Plan) (*Result, error) {
	st, err := db.Emit(p)
	if err != nil {
		return nil, err
	}
	return db.ExecEmitted(ctx, p, st)
}

// Emit compiles p for the database's dialect.
func (db *DB) Emit(p *plan.Plan) (*sqlemit.Statement, error) {
	d, ok := sqlemit.DialectByName(db.Dialect)
	if !ok {
		return nil, db.errorf("no SQL dialect %q", db.Dialect)
	}
	return sqlemit.Emit(p, d)
}

// ExecEmitted is Exec with p's statement already emitted (by Emit, for
// this database): a caller that keeps compiled statements skips the
// emitter.
func (db *DB) ExecEmitted(ctx context.Context, p *plan.Plan, st *sqlemit.Statement) (*Result, error) {
	d, ok := sqlemit.DialectByName(db.Dialect)
	if !ok {
		return nil, db.errorf("no SQL dialect %q", db.Dialect)
	}
	if p.Aggregate && p.AggregateLimit > 0 {
		if err := db.checkAggregateLimit(ctx, p, d); err != nil {
			return nil, err
		}
	}
	if p.QuickFind != nil && p.QuickFindLimit > 0 {
		if err := db.checkQuickFindLimit(ctx, p, d); err != nil {
			return nil, err
		}
	}
	r, err := db.Run(ctx, p, st)
	if err != nil {
		return nil, err
	}
	if p.ReturnTotalRecordCount {
		if err := db.total(ctx, p, d, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Total sets r's total record count to p's (EmitCount: every row p's
// query matches, capped as Dataverse caps it), for a result read in
// parts of p.
func (db *DB) Total(ctx context.Context, p *plan.Plan, r *Result) error {
	d, ok := sqlemit.DialectByName(db.Dialect)
	if !ok {
		return db.errorf("no SQL dialect %q", db.Dialect)
	}
	r.CountRequested = true
	return db.total(ctx, p, d, r)
}

func (db *DB) total(ctx context.Context, p *plan.Plan, d sqlemit.Dialect, r *Result) error {
	cst, err := sqlemit.EmitCount(p, d)
	if err != nil {
		return err
	}
	n, err := db.Count(ctx, cst)
	if err != nil {
		return err
	}
	r.SetTotal(n)
	return nil
}

// checkAggregateLimit counts the input rows of an aggregate plan, up to
// one more than its limit, and returns an AggregateLimit error when the
// limit is exceeded.
func (db *DB) checkAggregateLimit(ctx context.Context, p *plan.Plan, d sqlemit.Dialect) error {
	st, err := sqlemit.EmitAggregateInput(p, d)
	if err != nil {
		return err
	}
	n, err := db.Count(ctx, st)
	if err != nil {
		return err
	}
	if n <= p.AggregateLimit {
		return nil
	}
	return AggregateLimitError(p.AggregateLimit)
}

// checkQuickFindLimit counts the rows the quick-find filter matches (with
// the caller's security), up to one more than the limit, and returns a
// QuickFindLimit error when the limit is exceeded.
func (db *DB) checkQuickFindLimit(ctx context.Context, p *plan.Plan, d sqlemit.Dialect) error {
	st, err := sqlemit.EmitQuickFindCount(p, d)
	if err != nil {
		return err
	}
	n, err := db.Count(ctx, st)
	if err != nil {
		return err
	}
	if n <= p.QuickFindLimit {
		return nil
	}
	return QuickFindLimitError(p.QuickFindLimit)
}

// QuickFindLimitError is the error of a quick-find query whose quick-find
// filter matches more than limit rows: code diag.QuickFindLimit, naming
// Dataverse's error.
func QuickFindLimitError(limit int64) error {
	return diag.ErrorList{&diag.Error{Code: diag.QuickFindLimit, Msg: fmt.Sprintf(
		"the quick find matches more than %d records: QuickFindQueryRecordLimitExceeded (0x8004E024); refine the search, or set overridequickfindrecordlimitdisabled on the filter", limit)}}.Err()
}

// AggregateLimitError is the error of an aggregate query whose input
// exceeds limit rows: code diag.AggregateLimit, naming Dataverse's error.
func AggregateLimitError(limit int64) error {
	which := "the aggregatelimit of the query"
	if limit == plan.AggregateRecordLimit {
		which = "Dataverse's aggregate record limit"
	}
	return diag.ErrorList{&diag.Error{Code: diag.AggregateLimit, Msg: fmt.Sprintf(
		"the aggregate query reads more than %d rows (%s): AggregateQueryRecordLimit exceeded (0x8004E023)", limit, which)}}.Err()
}
