package server

import (
	"context"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// A page that continues from a NULL first sort value on an ascending key
// (the page before ended inside the NULLs, which sort first) holds the
// rest of the NULL rows, then the first rows with a value. Read as one
// condition, the OR of the two, an index on the order seeks neither: the
// scan reads every NULL row before the cookie, as offset paging would.
// So the server reads the two ranges one after the other, each one seek
// of that index (plan.Plan.AfterPart): the NULL rows after the cookie,
// then, if they do not fill the page, the rows with a value. The two
// statements are two snapshots, as two pages are.

// readsInParts reports whether the continuation run is read in its two
// parts: a page after a NULL first value on an ascending first key that
// other keys follow (with the first key alone no NULL row follows a NULL).
func readsInParts(run *plan.Plan) bool {
	return run.PageSize > 0 && run.AfterPart == plan.AfterWhole && len(run.After) > 1 && len(run.Orders) == len(run.After) &&
		run.After[0] == nil && run.Orders[0] != nil && !run.Orders[0].Desc
}

// readInParts reads the page run (readsInParts) as its two parts and
// returns what reading it whole returns: the page's rows in order, the
// more-records flag, and the total count when asked.
func readInParts(ctx context.Context, db *engine.DB, run *plan.Plan) (*engine.Result, error) {
	part := func(p *plan.Plan) (*engine.Result, error) {
		st, err := db.Emit(p)
		if err != nil {
			return nil, err
		}
		return db.ExecEmitted(ctx, p, st)
	}
	res, err := part(nullPart(run))
	if err != nil {
		return nil, err
	}
	if !res.MoreRecords {
		need := run.PageSize - int64(len(res.Rows))
		rest, err := part(valuePart(run, need))
		if err != nil {
			return nil, err
		}
		if int64(len(rest.Rows)) > need {
			rest.Rows, rest.MoreRecords = rest.Rows[:need], true
		}
		res.Rows = append(res.Rows, rest.Rows...)
		res.MoreRecords = rest.MoreRecords
	}
	if run.ReturnTotalRecordCount {
		// Counted as the whole continuation is.
		d, _ := sqlemit.DialectByName(db.Dialect)
		cst, err := sqlemit.EmitCount(run, d)
		if err != nil {
			return nil, err
		}
		n, err := db.Count(ctx, cst)
		if err != nil {
			return nil, err
		}
		res.CountRequested = true
		res.SetTotal(n)
	}
	return res, nil
}

// nullPart is the first part of run: the NULL rows after the cookie.
func nullPart(run *plan.Plan) *plan.Plan {
	p := *run
	p.AfterPart = plan.AfterNullRange
	p.ReturnTotalRecordCount = false // counted whole (readInParts)
	return &p
}

// valuePart is the second part of run, when the first returned all its
// rows and need more fill the page: the first rows with a value. It asks
// for at least one, so that a page the NULLs fill still learns whether a
// row with a value follows.
func valuePart(run *plan.Plan, need int64) *plan.Plan {
	p := *run
	p.AfterPart = plan.AfterValueRange
	p.ReturnTotalRecordCount = false
	p.QuickFindLimit = 0 // held by the first part
	p.PageSize = max(need, 1)
	return &p
}
