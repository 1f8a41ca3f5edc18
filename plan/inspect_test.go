package plan_test

import (
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// TestInspect: every node of And / Or / Not / NotTrue trees is visited
// depth first, and returning false skips a node's operands.
func TestInspect(t *testing.T) {
	a, b, c := &plan.Const{Value: true}, &plan.Const{Value: false}, &plan.Const{Value: true}
	inner := &plan.Or{Terms: []plan.Expr{b, &plan.NotTrue{X: c}}}
	root := &plan.And{Terms: []plan.Expr{&plan.Not{X: a}, inner}}
	var seen []plan.Expr
	plan.Inspect(root, func(x plan.Expr) bool { seen = append(seen, x); return true })
	if len(seen) != 7 || seen[0] != root || seen[2] != a || seen[3] != inner || seen[4] != b || seen[6] != c {
		t.Errorf("visited %d nodes in the wrong order: %v", len(seen), seen)
	}
	seen = nil
	plan.Inspect(root, func(x plan.Expr) bool { seen = append(seen, x); return x != inner })
	if len(seen) != 4 {
		t.Errorf("returning false for the Or still entered it: %d nodes", len(seen))
	}
	plan.Inspect(nil, func(plan.Expr) bool { t.Error("called on nil"); return true })
}
