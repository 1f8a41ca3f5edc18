package server

import (
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestKeysetStringPrimaryKey: an order ending with a string primary key
// (sorted by its sort key, then as stored) pages by offset, as the
// cookie's sort-key comparisons could not resume between two spellings of
// one key; a string column that is not the key pages by keys.
func TestKeysetStringPrimaryKey(t *testing.T) {
	tbl := plan.NewTable(plan.Table{LogicalName: "code", PhysicalName: "code", PrimaryKey: "code", Columns: []*plan.Column{
		{LogicalName: "code", Type: plan.TString}, {LogicalName: "label", Type: plan.TString},
	}})
	root := &plan.DataSource{Name: "code", Table: tbl, Join: plan.JoinRoot}
	col := func(name string) *plan.ColumnRef {
		c, _ := tbl.Column(name)
		return &plan.ColumnRef{Source: root, Column: c}
	}
	label := &plan.Plan{Root: root, PageSize: 10, Orders: []*plan.SortKey{{Column: col("label")}}}
	if newKeyset(label) == nil {
		t.Error("a string column's order does not page by keys")
	}
	withKey := &plan.Plan{Root: root, PageSize: 10, Orders: []*plan.SortKey{{Column: col("label")}, {Column: col("code")}}}
	if newKeyset(withKey) != nil {
		t.Error("an order ending with a string primary key pages by keys")
	}
}
