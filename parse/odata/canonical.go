package odata

import "github.com/vecompile/vecompile/internal/diag"

// OData's canonical functions (OData URL conventions §5.1.1) that generic
// clients send. tolower and toupper around a property lower to
// Dataverse's case-insensitive comparison and sort (unfold); the string,
// date and arithmetic functions of ast.Func are computed (lower_computed.go);
// the others are refused by name with UnsupportedFunction (the server
// answers 501 Not Implemented), never read as something else.
var canonicalFunctions = map[string]bool{
	// string
	"tolower": true, "toupper": true, "trim": true, "length": true, "concat": true, "indexof": true,
	"substring": true, "matchesPattern": true,
	// date and time
	"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true,
	"fractionalseconds": true, "totalseconds": true, "date": true, "time": true, "totaloffsetminutes": true,
	"now": true, "mindatetime": true, "maxdatetime": true,
	// arithmetic
	"round": true, "floor": true, "ceiling": true,
	// type
	"cast": true, "isof": true,
	// geo
	"geo.distance": true, "geo.length": true, "geo.intersects": true,
}

// calledFunction is the canonical function a path calls at its end, or "".
func calledFunction(p *Path) string {
	if p == nil || len(p.Segs) == 0 {
		return ""
	}
	last := p.Segs[len(p.Segs)-1]
	if last.Call == nil || !canonicalFunctions[last.Name] {
		return ""
	}
	return last.Name
}

// refuseFunction reports a canonical function used where vecompile would
// have to compute its result (where says where), and whether it did.
func (l *lowerer) refuseFunction(sp diag.Span, p *Path, where string) bool {
	name := calledFunction(p)
	if name == "" {
		return false
	}
	l.errorf(sp, diag.UnsupportedFunction, "canonical function %s() %s: vecompile does not compute function results (FetchXML has no form for them); only tolower() and toupper() around a property are taken", name, where)
	return true
}

// arithmeticOp names the first arithmetic operator of either operand.
func arithmeticOp(xs ...*Additive) string {
	for _, x := range xs {
		if x == nil {
			continue
		}
		if len(x.Ops) > 0 {
			return x.Ops[0].Op
		}
		if x.Left != nil && len(x.Left.Ops) > 0 {
			return x.Left.Ops[0].Op
		}
	}
	return "(add, sub, mul, div, divby, mod)"
}
