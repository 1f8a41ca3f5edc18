package plan_test

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestAfterVerify: a keyset continuation has one value per sort key, each
// key a column's value; a part of it (AfterPart) follows the first NULL
// value (the values part on an ascending key, the rest after values
// before it); Format shows both.
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
	for _, part := range []plan.AfterPart{plan.AfterNullRange, plan.AfterValueRange} {
		p := base()
		p.After[0], p.AfterPart = nil, part
		if err := plan.Verify(p); err != nil {
			t.Errorf("Verify, part %d: %v", part, err)
		}
		if f := plan.Format(p); !strings.Contains(f, "after: (null, null) in the order, key 1 ") {
			t.Errorf("Format does not show the part:\n%s", f)
		}
		for name, bad := range map[string]func(*plan.Plan){
			"a value":    func(p *plan.Plan) { p.After[0] = &plan.Value{Kind: plan.KString, V: "Contoso"} },
			"descending": func(p *plan.Plan) { p.Orders[0].Desc = true }, // NULLs last: no value follows them
			"one key":    func(p *plan.Plan) { p.Orders, p.After = p.Orders[:1], p.After[:1] },
			"no values":  func(p *plan.Plan) { p.After = nil },
			"unknown":    func(p *plan.Plan) { p.AfterPart = 7 },
		} {
			if name == "descending" && part == plan.AfterNullRange {
				continue // the rest of the NULLs follows a NULL either way
			}
			q := base()
			q.After[0], q.AfterPart = nil, part
			bad(q)
			if err := plan.Verify(q); err == nil {
				t.Errorf("Verify passed part %d after %s", part, name)
			}
		}
	}
	// A NULL after a value: the part at its key, and the rest after the
	// values before it (none before the first key).
	later := base()
	later.Orders = append([]*plan.SortKey{{Column: col("accountid")}}, later.Orders...)
	later.After = []*plan.Value{{Kind: plan.KGuid, V: "0a0b0c0d-0000-0000-0000-000000000001"}, nil, nil}
	for _, part := range []plan.AfterPart{plan.AfterNullRange, plan.AfterValueRange, plan.AfterRest} {
		p := *later
		p.AfterPart, p.AfterAt = part, 1
		if err := plan.Verify(&p); err != nil {
			t.Errorf("Verify, part %d at key 2: %v", part, err)
		}
		if p.AfterAt = 0; plan.Verify(&p) == nil {
			t.Errorf("Verify passed part %d at a key whose value is not NULL", part)
		}
	}
	rest := base()
	rest.After[0], rest.AfterPart = nil, plan.AfterRest
	if err := plan.Verify(rest); err == nil {
		t.Errorf("Verify passed the rest after no key")
	}
	byOutput := base()
	byOutput.Orders[0] = &plan.SortKey{Output: byOutput.Columns[0]}
	if err := plan.Verify(byOutput); err == nil {
		t.Errorf("Verify passed a continuation on an output column's key")
	}
}
