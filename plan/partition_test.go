package plan_test

import (
	"strings"
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

	// The keys a per-value seek reads: the root filter's IN on the
	// partition column, found under ANDs, and checked by Verify.
	keyed := func(filter func(r *plan.DataSource) plan.Expr) *plan.Plan {
		r := &plan.DataSource{Table: con, Name: "contact"}
		r.Filter = filter(r)
		return &plan.Plan{Root: r, Columns: []*plan.OutputColumn{
			{Name: "contactid", Source: r, Column: col("contactid")}, {Name: "parentcustomerid", Source: r, Column: col("parentcustomerid")}},
			Orders: []*plan.SortKey{{Column: &plan.ColumnRef{Source: r, Column: col("contactid")}}}}
	}
	keysOf := func(r *plan.DataSource, not bool, n int) *plan.InList {
		vals := []*plan.Value{{Kind: plan.KGuid, V: "0a0b0c0d-0000-0000-0000-000000000001"}}
		return &plan.InList{Col: &plan.ColumnRef{Source: r, Column: col("parentcustomerid")}, Values: vals[:n], Not: not}
	}
	nameIs := func(r *plan.DataSource) plan.Expr {
		return &plan.Compare{Op: plan.Eq, Left: &plan.ColumnRef{Source: r, Column: col("fullname")}, Right: &plan.Value{Kind: plan.KString, V: "x"}}
	}
	found := map[string]func(r *plan.DataSource) plan.Expr{
		"alone": func(r *plan.DataSource) plan.Expr { return keysOf(r, false, 1) },
		"under and": func(r *plan.DataSource) plan.Expr {
			return &plan.And{Terms: []plan.Expr{nameIs(r), &plan.And{Terms: []plan.Expr{keysOf(r, false, 1)}}}}
		},
	}
	for name, f := range found {
		kp, err := plan.LimitPerPartition(keyed(f), "parentcustomerid", 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		if kp.Partition.Keys == nil || kp.Partition.Keys.Col.Source != kp.Root {
			t.Fatalf("%s: keys %+v not found", name, kp.Partition.Keys)
		}
		if err := plan.Verify(kp); err != nil {
			t.Errorf("%s: Verify: %v", name, err)
		}
		if f := plan.Format(kp); !strings.Contains(f, "rows 1 to 5 (1 keys listed") {
			t.Errorf("%s: Format does not say the limit:\n%s", name, f)
		}
		// Keys outside the filter (a seek would widen it), or of another
		// column, are refused.
		loose, lp := *kp, *kp.Partition
		lp.Keys = keysOf(kp.Root, false, 1)
		loose.Partition = &lp
		if err := plan.Verify(&loose); err == nil {
			t.Errorf("%s: Verify passed keys outside the root's filter", name)
		}
		wrong, wp := *kp, *kp.Partition
		wp.By, wp.At = &plan.ColumnRef{Source: kp.Root, Column: col("contactid")}, 0
		wrong.Partition = &wp
		if err := plan.Verify(&wrong); err == nil {
			t.Errorf("%s: Verify passed keys of another column", name)
		}
	}
	unbounded := map[string]func(r *plan.DataSource) plan.Expr{
		"none": func(*plan.DataSource) plan.Expr { return nil },
		"or": func(r *plan.DataSource) plan.Expr {
			return &plan.Or{Terms: []plan.Expr{keysOf(r, false, 1), nameIs(r)}}
		},
		"not in":  func(r *plan.DataSource) plan.Expr { return keysOf(r, true, 1) },
		"no keys": func(r *plan.DataSource) plan.Expr { return keysOf(r, false, 0) },
	}
	for name, f := range unbounded {
		kp, err := plan.LimitPerPartition(keyed(f), "parentcustomerid", 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		if kp.Partition.Keys != nil {
			t.Errorf("%s: keys found where the filter does not bound the partition values", name)
		}
	}
}
