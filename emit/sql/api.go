package sql

import (
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Statement is emitted SQL with its bind parameters, in the dialect's
// placeholder style, and the plan's output columns in SELECT order.
type Statement struct {
	SQL     string
	Args    []any
	Columns []*plan.OutputColumn
	// LookupNames are the lookup names the statement reads after Columns
	// (plan.Plan.LookupNames; LookupNameColumns columns).
	LookupNames []*plan.LookupName
	// KeyMaps are the key maps of string and composite keys the statement
	// joins (keymap.go): they must exist before it runs.
	KeyMaps []*plan.KeyMap
}

// BindParams returns args with every plan.Param (the caller parameter of
// untyped mode) replaced by its value in values, by name. A parameter
// without a value is a MissingCaller error: it never reaches a database.
// The caller's value must be a GUID (a string in any of plan.CanonicalGUID's
// forms; bound canonical, as --user is), else BadFlag: raw, it would match
// nothing, silently.
func BindParams(args []any, values map[string]any) ([]any, error) {
	out, copied := args, false
	for i, a := range args {
		p, ok := a.(plan.Param)
		if !ok {
			continue
		}
		v, ok := values[p.Name]
		if !ok {
			return nil, errList(diag.MissingCaller, "parameter %s has no value: the statement was compiled without a caller (give --user)", p)
		}
		if p.Name == plan.CallerParam {
			s, _ := v.(string)
			g, ok := plan.CanonicalGUID(s)
			if !ok {
				return nil, errList(diag.BadFlag, "parameter %s is %#v: the caller's user id must be a GUID", p, v)
			}
			v = g
		}
		if !copied {
			out, copied = append([]any(nil), args...), true
		}
		out[i] = v
	}
	return out, nil
}

// UnboundParam reports the first plan.Param in args that was not bound.
func UnboundParam(args []any) error {
	for _, a := range args {
		if p, ok := a.(plan.Param); ok {
			return errList(diag.MissingCaller, "parameter %s has no value: the statement was compiled without a caller (give --user)", p)
		}
	}
	return nil
}
