package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Param declares one typed parameter of an action.
type Param struct {
	Name     string
	Type     plan.Type
	Required bool
}

// Action is a named operation the embedding program registers; PerformAction
// runs it with its parameters typed and checked.
type Action struct {
	Name   string
	Params []Param
	// Run gets the typed parameters (absent optional ones are missing from
	// the map, explicit nulls are nil) and returns the response
	// parameters.
	Run func(ctx context.Context, call *ActionCall) (map[string]any, error)
}

// ActionCall is one invocation.
type ActionCall struct {
	Principal *Principal
	Params    map[string]*plan.Value
	DB        *engine.DB
}

// RegisterAction adds an action; names are unique, case-insensitively.
func (s *Server) RegisterAction(a *Action) error {
	if a == nil || a.Name == "" || a.Run == nil {
		return configError(diag.BadFlag, "an action needs a name and a Run function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(a.Name)
	if _, dup := s.actions[key]; dup {
		return configError(diag.BadFlag, "action %q is registered twice", a.Name)
	}
	s.actions[key] = a
	return nil
}

type actionRequest struct {
	ActionName string                     `json:"ActionName"`
	Parameters map[string]json.RawMessage `json:"Parameters"`
}

func (s *Server) performAction(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req actionRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	s.mu.RLock()
	a := s.actions[strings.ToLower(req.ActionName)]
	s.mu.RUnlock()
	if a == nil {
		return diagErr(diag.UnknownAction, "no action %q", req.ActionName)
	}
	call := &ActionCall{Principal: p, Params: map[string]*plan.Value{}, DB: s.cfg.DB}
	for name := range req.Parameters {
		if !slices.ContainsFunc(a.Params, func(pr Param) bool { return strings.EqualFold(pr.Name, name) }) {
			return diagErr(diag.UnknownAction, "action %s has no parameter %q", a.Name, name)
		}
	}
	for _, pr := range a.Params {
		raw, ok := rawFold(req.Parameters, pr.Name)
		if !ok {
			if pr.Required {
				return diagErr(diag.UnknownAction, "action %s needs parameter %s (%s)", a.Name, pr.Name, pr.Type)
			}
			continue
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return diagErr(diag.SyntaxError, "parameter %s: %v", pr.Name, err)
		}
		val, err := engine.ValueFor(&plan.Column{LogicalName: pr.Name, Type: pr.Type}, v)
		if err != nil {
			return err
		}
		if val == nil && pr.Required {
			return diagErr(diag.UnknownAction, "action %s: parameter %s cannot be null", a.Name, pr.Name)
		}
		call.Params[pr.Name] = val
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	out, err := a.Run(ctx, call)
	if err != nil {
		if rej, ok := err.(*rejection); ok {
			return diagErr(diag.WriteRejected, "%s", rej.msg)
		}
		return err
	}
	if out == nil {
		out = map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ActionName": a.Name, "Results": out})
	return nil
}

func rawFold(m map[string]json.RawMessage, k string) (json.RawMessage, bool) {
	for n, v := range m {
		if strings.EqualFold(n, k) {
			return v, true
		}
	}
	return nil, false
}
