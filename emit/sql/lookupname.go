package sql

import (
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Lookup names (plan.Plan.LookupNames) follow the output columns of a
// query that does not aggregate (a distinct one that folds strings takes
// MIN of each over its exact DISTINCT rows: a name follows its value),
// aliased on from c<len(Columns)>: for each lookup, its
// related record's primary name, written as a name sort key is (nameKey:
// the same subqueries, the same column security), and, for a lookup with
// several targets, the index of the target holding the record,
//
//	COALESCE((SELECT 0 FROM "systemuser" AS "vs" WHERE "vs"."systemuserid" = "account"."ownerid"),
//	         (SELECT 1 FROM "team" AS "vs" WHERE "vs"."teamid" = "account"."ownerid"))
//
// so that a row's names come with it: one statement, no read per row.

// lookupNameColumns writes the lookup name columns after the output
// columns (a ", " before each).
func (e *emitter) lookupNameColumns(p *plan.Plan) {
	at := len(p.Columns)
	for _, n := range p.LookupNames {
		if n == nil || n.Column == nil {
			e.fail(diag.MalformedPlan, "nil lookup name")
			return
		}
		k := n.Key()
		o := operand{ref: k.Column}
		e.raw(", ")
		e.nameKey(k, o)
		e.raw(" AS ")
		e.alias(at)
		at++
		if len(k.Targets) > 1 {
			e.raw(", ")
			e.targetSubqueries(k, o, func(i int, _ string, _ *plan.Table, _ *plan.Column, _ plan.NameAccess) { e.int(int64(i)) })
			e.raw(" AS ")
			e.alias(at)
			at++
		}
	}
}

// LookupNameColumns is the number of columns Emit adds after the output
// columns for lookup names: one per lookup, two for a lookup with several
// targets.
func LookupNameColumns(names []*plan.LookupName) int {
	n := 0
	for _, l := range names {
		n++
		if l != nil && len(l.Targets) > 1 {
			n++
		}
	}
	return n
}
