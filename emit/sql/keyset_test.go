package sql

import (
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// TestAfterPartMalformed: a part of a continuation that does not follow a
// NULL first value on an ascending key (which plan.Verify refuses) is a
// MalformedPlan error on every dialect, not a panic or a wrong range.
func TestAfterPartMalformed(t *testing.T) {
	f := newFixture("")
	for name, bad := range map[string]func(*plan.Plan){
		"a value":    func(p *plan.Plan) { p.After[0] = num(1) },
		"descending": func(p *plan.Plan) { p.Orders[0].Desc = true },
		"one key":    func(p *plan.Plan) { p.Orders, p.After = p.Orders[:1], p.After[:1] },
		"unknown":    func(p *plan.Plan) { p.AfterPart = 7 },
		"no keys":    func(p *plan.Plan) { p.Orders, p.After = nil, []*plan.Value{} },
	} {
		for _, d := range Dialects() {
			p := nullAfterPlan(f, plan.AfterValueRange, false)
			bad(p)
			if _, err := Emit(p, d); diag.CodeOf(err) != diag.MalformedPlan {
				t.Errorf("%s on %s: %v", name, d.Name(), err)
			}
		}
	}
}
