package plan_test

import (
	"testing"

	"github.com/vecompile/vecompile/plan"
)

func TestLimitPerPartition(t *testing.T) {
	con := plan.NewTable(plan.Table{LogicalName: "contact", PrimaryKey: "contactid", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier}, {LogicalName: "parentcustomerid", Type: plan.TLookup},
		{LogicalName: "fullname", Type: plan.TString},
	}})
	root := &plan.DataSource{Table: con, Name: "contact"}
	col := func(name string) *plan.Column {
		c, ok := con.Column(name)
		if !ok {
			t.Fatalf("no column %s", name)
		}
		return c
	}
	out := func(name string) *plan.OutputColumn {
		return &plan.OutputColumn{Name: name, Source: root, Column: col(name)}
	}
	base := func() *plan.Plan {
		return &plan.Plan{Root: root, Columns: []*plan.OutputColumn{out("contactid"), out("parentcustomerid")},
			Orders: []*plan.SortKey{{Column: &plan.ColumnRef{Source: root, Column: col("contactid")}}}}
	}
	p := base()
	wp, err := plan.LimitPerPartition(p, "ParentCustomerId", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if pl := wp.Partition; pl == nil || pl.At != 1 || pl.Skip != 1 || pl.Top != 2 || pl.By.Source != root || p.Partition != nil {
		t.Errorf("partition %+v; the original plan changed: %v", wp.Partition, p.Partition != nil)
	}
	if err := plan.Verify(wp); err != nil {
		t.Errorf("Verify: %v", err)
	}
	refused := map[string]func() (*plan.Plan, error){
		"column not returned": func() (*plan.Plan, error) { return plan.LimitPerPartition(base(), "fullname", 0, 1) },
		"no top":              func() (*plan.Plan, error) { return plan.LimitPerPartition(base(), "parentcustomerid", 0, 0) },
		"paged": func() (*plan.Plan, error) {
			p := base()
			p.PageSize = 10
			return plan.LimitPerPartition(p, "parentcustomerid", 0, 1)
		},
		"distinct": func() (*plan.Plan, error) {
			p := base()
			p.Distinct = true
			return plan.LimitPerPartition(p, "parentcustomerid", 0, 1)
		},
	}
	for name, f := range refused {
		if _, err := f(); err == nil {
			t.Errorf("%s: not refused", name)
		}
	}
	// Verify refuses a partition column of another source.
	other := *wp
	other.Partition = &plan.PartitionLimit{By: &plan.ColumnRef{Source: &plan.DataSource{Table: con, Name: "x"}, Column: col("parentcustomerid")}, At: 1, Top: 1}
	if err := plan.Verify(&other); err == nil {
		t.Errorf("Verify: a partition column outside the root passed")
	}
}
