package server

import (
	"net/http"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
)

// CompiledReadStats are the compiled-request cache's entries and hits.
func (s *Server) CompiledReadStats() (entries int, hits int64) {
	if s.compiledReads == nil {
		return 0, 0
	}
	return s.compiledReads.len(), s.compiledReads.hits.Load()
}

// ByIDStatements returns the statement a read by id of entity runs for
// r's caller, the statement compiled for that id alone, and whether the
// first came from the read compiled once for every id (byid.go).
func (s *Server) ByIDStatements(r *http.Request, entity, id string, cols []string) (got, want *sqlemit.Statement, shared bool, err error) {
	p, err := s.requestCaller(r)
	if err != nil {
		return nil, nil, false, err
	}
	t, err := s.table(entity)
	if err != nil {
		return nil, nil, false, err
	}
	g, err := recordID(t, id)
	if err != nil {
		return nil, nil, false, err
	}
	cs := ColumnSet{Columns: cols}
	c, got, err := s.compiledByID(r.Context(), p, t, g, cs)
	if err != nil {
		return nil, nil, false, err
	}
	cond := c.q.Entity.Filters[0].Items[0].(*ast.Condition)
	prov, err := s.cfg.Security.Rows(r.Context(), p)
	if err != nil {
		return nil, nil, false, err
	}
	pl, err := s.buildFor(p, prov, byIDQuery(t, g, cs), false)
	if err != nil {
		return nil, nil, false, err
	}
	want, err = s.cfg.DB.Emit(pl)
	return got, want, cond.Values[0].Text == byIDSentinel, err
}
