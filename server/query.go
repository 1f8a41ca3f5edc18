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
	odataparse "github.com/vecompile/vecompile/parse/odata"
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
		var p *Principal
		var err error
		if name == "odata-metadata" || name == "odata-service" {
			// The model is the same for every caller: a valid token is
			// enough, as generic clients fetch it before they know whom
			// they act for. Acting-user headers are not read here.
			p, err = s.applicationOnly(r)
		} else {
			p, err = s.requestCaller(r)
		}
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
	return s.buildFor(p, prov, q, annotationsOf(ctx) != nil)
}

// buildFor is build with the principal's security provider resolved;
// lookupNames plans the related names that formatted values need.
func (s *Server) buildFor(p *Principal, prov plan.SecurityProvider, q *ast.Query, lookupNames bool) (*plan.Plan, error) {
	if s.companies != nil {
		s.companies.rewriteQuery(q)
	}
	opt := plan.Options{Catalog: s.catalog, Now: s.cfg.Now(), Caller: p.Caller, AccentSensitive: s.cfg.AccentSensitive, LookupNames: lookupNames}
	if p.Caller != nil {
		// Relative dates, date parts and date() in the user's zone (spec
		// §2.5), as formatted values show dates; UTC when unknown.
		opt.Zone = p.Caller.TimeZone
	}
	if prov != nil {
		opt.Security = prov
	}
	return plan.Build(q, opt)
}

// compiledRead is the read request names, compiled for p: from the
// compiled-request cache when the same request, security session and
// caller compiled it before (see compiled.go), else parsed (parse),
// planned, prepared for its first page and emitted, then cached. An
// empty request is never cached.
//
// A paged read gets the server's paging (preparePage); an unpaged one (a
// read by id) runs its plan as built.
func (s *Server) compiledRead(ctx context.Context, p *Principal, request string, paged bool, parse func() (*ast.Query, *odataparse.ExpandLevel, error)) (*compiled, error) {
	prov, err := s.cfg.Security.Rows(ctx, p)
	if err != nil {
		return nil, err
	}
	lookupNames := annotationsOf(ctx) != nil
	key, ok := s.compiledKeyFor(request, p, prov)
	// A plan with the related names has other columns: it is another entry.
	key.lookupNames = lookupNames
	ok = ok && request != "" && len(request) <= maxCachedRequest
	if ok {
		if c := s.compiledReads.get(key); c != nil {
			return c, nil
		}
	}
	q, level, err := parse()
	if err != nil {
		return nil, err
	}
	pl, err := s.buildFor(p, prov, q, lookupNames)
	if err != nil {
		return nil, err
	}
	var c *compiled
	if paged {
		c, err = s.preparePage(q, pl)
	} else {
		c = &compiled{q: q, plan: pl, run: pl}
		c.st, err = s.cfg.DB.Emit(pl)
	}
	if err != nil {
		return nil, err
	}
	c.level = level
	if ok && cacheable(c) {
		s.compiledReads.put(key, c)
	}
	return c, nil
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
	c, err := s.preparePage(q, p)
	if err != nil {
		return nil, err
	}
	return s.execCompiled(ctx, pr, c, cookie)
}

// preparePage applies the server's paging to a plan and emits its first
// page: the part of execPage that depends on the query alone.
func (s *Server) preparePage(q *ast.Query, p *plan.Plan) (*compiled, error) {
	if p.PageSize > MaxPageSize {
		return nil, diagErr(diag.LimitExceeded, "page size %d: Dataverse returns at most %d rows per page", p.PageSize, MaxPageSize)
	}
	if p.PageSize == 0 && p.Top == 0 && !p.Aggregate {
		cp := *p
		cp.PageSize, cp.PageNumber = MaxPageSize, 1
		p = &cp
	}
	c := &compiled{q: q, plan: p, run: p, ks: newKeyset(p)}
	if c.ks != nil {
		c.run = c.ks.withKeys(p)
	}
	var err error
	if c.st, err = s.cfg.DB.Emit(c.run); err != nil {
		return nil, err
	}
	return c, nil
}

// execCompiled runs a prepared read: its first page as emitted, or the
// page a verified cookie continues from.
func (s *Server) execCompiled(ctx context.Context, pr *Principal, c *compiled, cookie string) (*page, error) {
	q, p, ks, run, st := c.q, c.plan, c.ks, c.run, c.st
	if cookie != "" {
		pc, err := s.paging.open(cookie)
		if err != nil {
			return nil, err
		}
		if pc.FP != fingerprint(q, pr) {
			return nil, diagErr(diag.BadPagingCookie, "the paging cookie belongs to another query")
		}
		if ks != nil && pc.Page+1 == p.PageNumber && len(pc.Keys) > 0 {
			if run, err = ks.after(pc.Keys); err != nil {
				return nil, err
			}
			if readsInParts(run) {
				st = nil // each part is emitted as it is read
			} else if st, err = s.cfg.DB.Emit(run); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var res *engine.Result
	var err error
	if readsInParts(run) {
		res, err = readInParts(ctx, s.cfg.DB, run) // after a NULL: paging_nulls.go
	} else {
		res, err = s.cfg.DB.ExecEmitted(ctx, run, st)
	}
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
