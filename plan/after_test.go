package plan_test

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestAfterVerify: a keyset continuation has one value per sort key, each
// key a column's value; Format shows it.
func TestAfterVerify(t *testing.T) {
	acc := plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier}, {LogicalName: "name", Type: plan.TString},
	}})
	root := &plan.DataSource{Table: acc, Name: "account"}
	col := func(name string) *plan.ColumnRef {
		c, _ := acc.Column(name)
		return &plan.ColumnRef{Source: root, Column: c}
	}
	base := func() *plan.Plan {
		return &plan.Plan{Root: root, Columns: []*plan.OutputColumn{{Name: "name", Source: root, Column: col("name").Column}},
			Orders: []*plan.SortKey{{Column: col("name")}, {Column: col("accountid")}},
			After:  []*plan.Value{{Kind: plan.KString, V: "Contoso"}, nil}}
	}
	p := base()
	if err := plan.Verify(p); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if f := plan.Format(p); !strings.Contains(f, `after: ("Contoso", null) in the order`) && !strings.Contains(f, `after: ('Contoso', null) in the order`) {
		t.Errorf("Format does not show the continuation:\n%s", f)
	}
	short := base()
	short.After = short.After[:1]
	if err := plan.Verify(short); err == nil {
		t.Errorf("Verify passed one value for two sort keys")
	}
	byOutput := base()
	byOutput.Orders[0] = &plan.SortKey{Output: byOutput.Columns[0]}
	if err := plan.Verify(byOutput); err == nil {
		t.Errorf("Verify passed a continuation on an output column's key")
	}
}
