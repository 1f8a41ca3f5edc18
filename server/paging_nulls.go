package server

import (
	"context"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// A page that continues from a NULL sort value (the page before ended
// inside the NULLs of a key) holds, among the rows tied with the values
// of the keys before it, the rest of the NULL rows, then, on an ascending
// key (NULLs first), the first rows with a value; then the rows after the
// values of the keys before it. Read as one condition, the OR of these,
// an index on the order seeks none of them: the scan reads every NULL row
// before the cookie, as offset paging would. So the server reads the
// ranges one after the other, each one seek of that index
// (plan.Plan.AfterPart), until the page is full. The statements are
// several snapshots, as pages are.

// nullAt is the position of run's first NULL value with a key after it,
// -1 for none.
func nullAt(run *plan.Plan) int {
	for i, v := range run.After {
		if v == nil {
			if i < len(run.After)-1 {
				return i
			}
			break
		}
	}
	return -1
}

// readsInParts reports whether the continuation run is read in parts: a
// page after a NULL value that other keys follow, unless that NULL is the
// first key's and it descends (only NULL rows follow it: one seek).
func readsInParts(run *plan.Plan) bool {
	if run.PageSize <= 0 || run.AfterPart != plan.AfterWhole || len(run.Orders) != len(run.After) {
		return false
	}
	at := nullAt(run)
	return at > 0 || at == 0 && run.Orders[0] != nil && !run.Orders[0].Desc
}

// afterParts are the parts of run (readsInParts) in the order their rows
// follow the cookie.
func afterParts(run *plan.Plan) []plan.AfterPart {
	at := nullAt(run)
	parts := []plan.AfterPart{plan.AfterNullRange}
	if !run.Orders[at].Desc {
		parts = append(parts, plan.AfterValueRange)
	}
	if at > 0 {
		parts = append(parts, plan.AfterRest)
	}
	return parts
}

// readInParts reads the page run (readsInParts) as its parts and returns
// what reading it whole returns: the page's rows in order, the
// more-records flag, and the total count when asked.
func readInParts(ctx context.Context, db *engine.DB, run *plan.Plan) (*engine.Result, error) {
	return readParts(ctx, db, run, nil)
}

// readParts is readInParts, telling each part it runs, and its own
// result, to seen (when not nil: the tests that explain the statements).
func readParts(ctx context.Context, db *engine.DB, run *plan.Plan, seen func(*plan.Plan, *engine.Result)) (*engine.Result, error) {
	var res *engine.Result
	for i, kind := range afterParts(run) {
		var need int64
		if res != nil {
			need = run.PageSize - int64(len(res.Rows))
		}
		p := part(run, kind, i == 0, need)
		r, err := db.Exec(ctx, p)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			seen(p, r)
		}
		if res == nil {
			res = r
		} else {
			if int64(len(r.Rows)) > need {
				r.Rows, r.MoreRecords = r.Rows[:need], true
			}
			res.Rows = append(res.Rows, r.Rows...)
			res.MoreRecords = r.MoreRecords
		}
		if res.MoreRecords {
			break
		}
	}
	if run.ReturnTotalRecordCount {
		// The query's total, as every page's (EmitCount ignores the cookie).
		if err := db.Total(ctx, run, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// part is the part kind of run. The first part reads a page; a later one
// the rows that still fill it, need, and at least one, so that a page the
// parts before filled still learns whether a row follows.
func part(run *plan.Plan, kind plan.AfterPart, first bool, need int64) *plan.Plan {
	p := *run
	p.AfterPart, p.AfterAt = kind, nullAt(run)
	p.ReturnTotalRecordCount = false // counted whole (readParts)
	if !first {
		p.QuickFindLimit = 0 // held by the first part
		p.PageSize = max(need, 1)
	}
	return &p
}
