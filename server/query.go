package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// handlerFunc is an authenticated endpoint; a returned error is written as
// a Dataverse error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal) error

// wrap authenticates, bounds the body and writes errors.
func (s *Server) wrap(name string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One deadline for everything the request does: resolving the
		// acting user, loading the caller's context, waiting for a pool
		// connection, preparing and running its statements. A locked table
		// or an exhausted pool then costs a request at most the timeout.
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		p, err := s.requestCaller(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		if err := endpointOptions(name, r); err != nil {
			writeError(w, r, err)
			return
		}
		if err := h(w, r, p); err != nil {
			writeError(w, r, err)
		}
	})
}

// readBody reads the whole body within the size limit.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, diagErr(diag.RequestTooLarge, "the request body is larger than %d bytes", s.cfg.MaxBody)
	}
	if err != nil {
		return nil, diagErr(diag.SyntaxError, "reading the request body: %v", err)
	}
	return b, nil
}

// checkDepth refuses JSON nested deeper than the limit before any decoder
// recurses into it.
func (s *Server) checkDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > s.cfg.MaxDepth {
				return diagErr(diag.RequestTooLarge, "the request nests deeper than %d levels", s.cfg.MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// decodeJSON reads a JSON body into v (numbers as json.Number), within the
// size and nesting limits; unknown fields are errors.
func (s *Server) decodeJSON(r *http.Request, v any) error {
	b, err := s.readBody(r)
	if err != nil {
		return err
	}
	if err := s.checkJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return diagErr(diag.SyntaxError, "the request body is not the expected JSON: %v", err)
	}
	if dec.More() {
		return diagErr(diag.SyntaxError, "the request body holds more than one JSON value")
	}
	return nil
}

// build plans a query for the principal, with its row security.
func (s *Server) build(ctx context.Context, p *Principal, q *ast.Query) (*plan.Plan, error) {
	prov, err := s.cfg.Security.Rows(ctx, p)
	if err != nil {
		return nil, err
	}
	if s.companies != nil {
		s.companies.rewriteQuery(q)
	}
	opt := plan.Options{Catalog: s.catalog, Now: s.cfg.Now(), Caller: p.Caller, AccentSensitive: s.cfg.AccentSensitive, LookupNames: annotationsOf(ctx) != nil}
	if prov != nil {
		opt.Security = prov
	}
	return plan.Build(q, opt)
}

// page is one executed page of a query.
type page struct {
	plan   *plan.Plan
	result *engine.Result
	cookie string // for the next page, when MoreRecords
}

// execPage runs a planned query with the server's paging: at most
// MaxPageSize rows per page, keyset continuation from a verified cookie,
// and a new cookie when more records exist. cookie is the client's ("" for
// a first page).
func (s *Server) execPage(ctx context.Context, pr *Principal, q *ast.Query, p *plan.Plan, cookie string) (*page, error) {
	if p.PageSize > MaxPageSize {
		return nil, diagErr(diag.LimitExceeded, "page size %d: Dataverse returns at most %d rows per page", p.PageSize, MaxPageSize)
	}
	if p.PageSize == 0 && p.Top == 0 && !p.Aggregate {
		cp := *p
		cp.PageSize, cp.PageNumber = MaxPageSize, 1
		p = &cp
	}
	ks := newKeyset(p)
	run := p
	if ks != nil {
		run = ks.withKeys(p)
	}
	if cookie != "" {
		c, err := s.paging.open(cookie)
		if err != nil {
			return nil, err
		}
		if c.FP != fingerprint(q, pr) {
			return nil, diagErr(diag.BadPagingCookie, "the paging cookie belongs to another query")
		}
		if ks != nil && c.Page+1 == p.PageNumber && len(c.Keys) > 0 {
			if run, err = ks.after(c.Keys); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	res, err := s.cfg.DB.Exec(ctx, run)
	if err != nil {
		return nil, err
	}
	if s.companies != nil {
		s.companies.rewriteRows(run.Columns, res.Rows)
	}
	formatResult(ctx, pr, run, res)
	out := &page{plan: p, result: res}
	if ks != nil {
		keys := ks.lastKeys(res)
		ks.strip(res)
		if res.MoreRecords {
			out.cookie = s.paging.seal(&cookieData{FP: fingerprint(q, pr), Page: p.PageNumber, Keys: keys})
		}
	} else if res.MoreRecords && p.PageSize > 0 {
		out.cookie = s.paging.seal(&cookieData{FP: fingerprint(q, pr), Page: p.PageNumber})
	}
	return out, nil
}
