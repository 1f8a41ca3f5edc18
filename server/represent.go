package server

import (
	"net/http"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// representWritten answers a committed OData write with the record
// (Prefer: return=representation). The re-read runs under what is left of
// the request's deadline; when that runs out, the server stops, or the
// database goes away before the record is read, the write has happened
// all the same, so it must not be answered as failed (a client would
// retry it): answered is false, and the caller answers 204 without
// Preference-Applied, which OData allows a server to do. Other failures
// (the record is not readable by the caller) are the caller's error as
// before.
func (s *Server) representWritten(w http.ResponseWriter, r *http.Request, p *Principal, t *plan.Table, id string, cols ColumnSet, status int) (answered bool, err error) {
	w.Header().Set("Preference-Applied", "return=representation")
	r = withAnnotations(w, r)
	_, r = newShaper(w, r)
	err = s.writeODataEntity(w, r, p, t, id, cols, status)
	if err == nil {
		return true, nil
	}
	switch diag.CodeOf(classify(r.Context(), err)) {
	case diag.QueryTimeout, diag.ClientClosed, diag.Unavailable, diag.Overloaded, diag.ShuttingDown:
		w.Header().Del("Preference-Applied")
		logWarn(r.Context(), "a committed write is answered without its representation: the re-read failed", err)
		return false, nil
	}
	return true, err
}
