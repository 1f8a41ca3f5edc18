package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Exec emits the plan for the engine's dialect, pages it and counts it.
func TestExecPlan(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, cat plan.Catalog) {
		acc, _ := cat.Table("account")
		root := &plan.DataSource{Name: "account", Table: acc, Join: plan.JoinRoot}
		name, _ := acc.Column("name")
		id, _ := acc.Column("accountid")
		rev, _ := acc.Column("revenue")
		p := &plan.Plan{
			Root: root,
			Columns: []*plan.OutputColumn{
				{Name: "name", Source: root, Column: name},
				{Name: "revenue", Source: root, Column: rev},
				{Name: "accountid", Source: root, Column: id},
			},
			Orders:                 []*plan.SortKey{{Column: &plan.ColumnRef{Source: root, Column: id}}},
			PageSize:               5,
			PageNumber:             2,
			ReturnTotalRecordCount: true,
		}
		r, err := db.Exec(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != 5 || !r.MoreRecords || !r.CountRequested || r.TotalRecordCount != 40 || r.TotalRecordCountLimitExceeded {
			t.Fatalf("page 2 of 5: %d rows, more=%v, count=%v/%d", len(r.Rows), r.MoreRecords, r.CountRequested, r.TotalRecordCount)
		}
		if v, _ := r.Rows[0].Get("accountid"); v != "acc00000-0000-4000-8000-000000000006" {
			t.Errorf("first row of page 2: %v", v)
		}
		if v, _ := r.Rows[0].Get("revenue"); v != nil {
			t.Errorf("account 6 revenue: %#v, want nil", v)
		}
		if v, _ := r.Rows[1].Get("revenue"); v == nil || v.(interface{ String() string }).String() != "75000.25" {
			t.Errorf("account 7 revenue: %#v, want 75000.25", v)
		}
	})
}

// Exec counts an aggregate's input first and refuses it over the limit
// (Dataverse's AggregateQueryRecordLimit exceeded).
func TestExecAggregateLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, cat plan.Catalog) {
		acc, _ := cat.Table("account")
		root := &plan.DataSource{Name: "account", Table: acc, Join: plan.JoinRoot}
		for _, c := range []struct {
			limit int64
			fail  bool
		}{{39, true}, {40, false}, {plan.AggregateRecordLimit, false}} {
			p := &plan.Plan{Root: root, Aggregate: true, AggregateLimit: c.limit,
				Columns: []*plan.OutputColumn{{Name: "n", Source: root, Aggregate: ast.Count}}}
			r, err := db.Exec(context.Background(), p)
			switch {
			case c.fail && !slices.Contains(diag.Codes(err), diag.AggregateLimit):
				t.Errorf("limit %d over 40 accounts: %v, want %s", c.limit, err, diag.AggregateLimit)
			case c.fail && !strings.Contains(err.Error(), "AggregateQueryRecordLimit exceeded (0x8004E023)"):
				t.Errorf("limit %d: message %q does not name Dataverse's error", c.limit, err)
			case !c.fail && err != nil:
				t.Errorf("limit %d: %v", c.limit, err)
			case !c.fail:
				if v, _ := r.Rows[0].Get("n"); v != int64(40) {
					t.Errorf("limit %d: count %v, want 40", c.limit, v)
				}
			}
		}
	})
}
