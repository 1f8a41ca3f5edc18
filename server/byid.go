package server

import (
	"context"
	"slices"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// A read by id is compiled once per table, column set and caller, not
// once per id: keyed by the id, every record read would be another entry
// of the compiled-read cache, and a workload reading many records would
// compile each request and evict the cached collection reads.
//
// The read is compiled for byIDSentinel, a GUID drawn at random when the
// process starts, so that no caller's value and no argument of a security
// rule equals it; the record's id then takes the one argument holding
// the sentinel's bound form. Where the id is not one argument in a form
// computed from the GUID alone (an integer key, a key map, binary
// storage), or the sentinel's form is found more than once, the read is
// compiled for its id as before.
var byIDSentinel = newGUID()

// compiledByID returns the compiled read of record g (canonical) of t and
// the statement to run for it.
func (s *Server) compiledByID(ctx context.Context, p *Principal, t *plan.Table, g string, cols ColumnSet) (*compiled, *sqlemit.Statement, error) {
	if form, ok := idArgForm(t); ok {
		c, err := s.compiledRead(ctx, p, retrieveKey(t, "", cols), false, func() (*ast.Query, *odataparse.ExpandLevel, error) {
			return byIDQuery(t, byIDSentinel, cols), nil, nil
		})
		if err == nil {
			if st, ok := withRecordID(c.st, form.Bind(byIDSentinel).(string), form.Bind(g)); ok {
				return c, st, nil
			}
		}
	}
	c, err := s.compiledRead(ctx, p, retrieveKey(t, g, cols), false, func() (*ast.Query, *odataparse.ExpandLevel, error) {
		return byIDQuery(t, g, cols), nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return c, c.st, nil
}

// idArgForm is the storage form of t's key when a record id binds as text
// computed from the GUID alone.
func idArgForm(t *plan.Table) (plan.GuidStorage, bool) {
	pk, ok := t.Column(t.PrimaryKey)
	if !ok || pk.Type.Kind() != plan.KGuid || pk.Key != nil {
		return 0, false
	}
	switch pk.Guid {
	case plan.GuidLower, plan.GuidUpper, plan.GuidAnyCase, plan.GuidNative:
		return pk.Guid, true
	}
	return 0, false
}

// withRecordID is st with its one argument equal to sentinel replaced by
// id; false when no argument, or more than one, equals it.
func withRecordID(st *sqlemit.Statement, sentinel string, id any) (*sqlemit.Statement, bool) {
	at := -1
	for i, a := range st.Args {
		if v, ok := a.(string); ok && v == sentinel {
			if at >= 0 {
				return nil, false
			}
			at = i
		}
	}
	if at < 0 {
		return nil, false
	}
	out := *st
	out.Args = slices.Clone(st.Args)
	out.Args[at] = id
	return &out, true
}
