package engine

import (
	"context"
	"testing"

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
