package server

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// Lookup values resolved to their targets: which table a polymorphic
// lookup's id names (an owner's systemuser or team), and the target's
// primary name for the SDK's EntityReference.Name.

// refInfo is a lookup value's target.
type refInfo struct {
	table   string
	name    string
	hasName bool // the caller read the target's primary name, and it is not null
}

// keyChunk is the most ids in one IN list (SQL Server takes 2,100
// parameters).
const keyChunk = 1000

// readKeys reads the rows of t among ids, with build's security: id →
// primary name (nil when withName is false, the name is null, or column
// security hides it).
func (s *Server) readKeys(ctx context.Context, build func(*ast.Query) (*plan.Plan, error), t *plan.Table, ids []string, withName bool) (map[string]*string, error) {
	out := map[string]*string{}
	if t.PrimaryKey == "" {
		return out, nil
	}
	withName = withName && t.PrimaryName != ""
	for chunk := range slices.Chunk(ids, keyChunk) {
		vals := make([]*ast.Value, len(chunk))
		for i, id := range chunk {
			vals[i] = &ast.Value{Text: id, Kind: ast.KindGuid}
		}
		e := &ast.Entity{Name: ast.Name{Text: t.LogicalName}}
		e.Attributes = []*ast.Attribute{{Name: ast.Name{Text: t.PrimaryKey}}}
		if withName {
			e.Attributes = append(e.Attributes, &ast.Attribute{Name: ast.Name{Text: t.PrimaryName}})
		}
		e.Filters = []*ast.Filter{{Type: ast.And, Items: []ast.FilterItem{&ast.Condition{
			Attribute: ast.Name{Text: t.PrimaryKey}, Operator: ast.OpIn, Values: vals,
		}}}}
		pl, err := build(&ast.Query{Entity: e})
		if err != nil {
			return nil, err
		}
		res, err := s.cfg.DB.Exec(ctx, pl)
		if err != nil {
			return nil, err
		}
		for _, row := range res.Rows {
			var id string
			var name *string
			for _, f := range row {
				switch {
				case strings.EqualFold(f.Name, t.PrimaryKey):
					id = guidText(f.Value)
				case withName && strings.EqualFold(f.Name, t.PrimaryName):
					if n, ok := f.Value.(string); ok {
						name = &n
					}
				}
			}
			if id != "" {
				out[id] = name
			}
		}
	}
	return out, nil
}

// systemBuild plans a query over every table of the catalog without row
// security: for facts the Web API stores beside a lookup (its target's
// type), never for the target's data.
func (s *Server) systemBuild(q *ast.Query) (*plan.Plan, error) {
	return plan.Build(q, plan.Options{Catalog: s.catalog.all, Now: s.cfg.Now(), AccentSensitive: s.cfg.AccentSensitive})
}

// lookupTargets resolves the ids of polymorphic lookups (refs: column →
// canonical ids) to the target holding each: column → id → table, the
// first of the column's targets holding it.
func (s *Server) lookupTargets(ctx context.Context, refs map[*plan.Column]map[string]bool) (map[*plan.Column]map[string]string, error) {
	found, err := s.readTargetsOf(ctx, refs, s.systemBuild, s.catalog.all.Table, false)
	if err != nil {
		return nil, err
	}
	out := map[*plan.Column]map[string]string{}
	for c, ids := range found {
		out[c] = map[string]string{}
		for id, ri := range ids {
			out[c][id] = ri.table
		}
	}
	return out, nil
}

// lookupRefs resolves lookups for the SDK's EntityReference: the target
// holding each id and its primary name. As in Dataverse, where a lookup's
// name is stored beside it, the name does not depend on reading the
// target row; it does depend on column security: a primary name column
// hidden from the caller (and not shared with her for that record) gives
// no Name.
func (s *Server) lookupRefs(ctx context.Context, p *Principal, refs map[*plan.Column]map[string]bool) (map[*plan.Column]map[string]refInfo, error) {
	out, err := s.readTargetsOf(ctx, refs, s.systemBuild, s.catalog.all.Table, true)
	if err != nil {
		return nil, err
	}
	prov, err := s.cfg.Security.Rows(ctx, p)
	if err != nil {
		return nil, err
	}
	cs, ok := prov.(plan.ColumnSecurity)
	if !ok {
		return out, nil
	}
	shares, _ := prov.(plan.ColumnShares)
	hidden := map[string]map[string]bool{} // table → ids whose name is hidden; nil map: none hidden
	hiddenName := func(table, id string) bool {
		k := strings.ToLower(table)
		if h, seen := hidden[k]; seen {
			return h != nil && !h[id]
		}
		t, ok := s.catalog.all.Table(table)
		if !ok || t.PrimaryName == "" || !containsFold(cs.HiddenColumns(t), t.PrimaryName) {
			hidden[k] = nil
			return false
		}
		shared := map[string]bool{}
		if shares != nil {
			for col, keys := range shares.ColumnShares(t) {
				if strings.EqualFold(col, t.PrimaryName) {
					for _, key := range keys {
						shared[canonicalID(key)] = true
					}
				}
			}
		}
		hidden[k] = shared
		return !shared[id]
	}
	for _, ids := range out {
		for id, ri := range ids {
			if ri.hasName && hiddenName(ri.table, id) {
				ri.name, ri.hasName = "", false
				ids[id] = ri
			}
		}
	}
	return out, nil
}

// readTargetsOf reads each target table once for the ids of every column
// pointing at it.
func (s *Server) readTargetsOf(ctx context.Context, refs map[*plan.Column]map[string]bool, build func(*ast.Query) (*plan.Plan, error), table func(string) (*plan.Table, bool), withName bool) (map[*plan.Column]map[string]refInfo, error) {
	byTable := map[string]map[string]bool{}
	for c, ids := range refs {
		for _, tg := range c.Targets {
			k := strings.ToLower(tg)
			if byTable[k] == nil {
				byTable[k] = map[string]bool{}
			}
			for id := range ids {
				byTable[k][id] = true
			}
		}
	}
	rows := map[string]map[string]*string{}
	for _, k := range slices.Sorted(maps.Keys(byTable)) {
		t, ok := table(k)
		if !ok {
			continue
		}
		got, err := s.readKeys(ctx, build, t, slices.Sorted(maps.Keys(byTable[k])), withName)
		if err != nil {
			return nil, err
		}
		rows[k] = got
	}
	out := map[*plan.Column]map[string]refInfo{}
	for c, ids := range refs {
		out[c] = map[string]refInfo{}
		for id := range ids {
			for _, tg := range c.Targets {
				if name, ok := rows[strings.ToLower(tg)][id]; ok {
					ri := refInfo{table: tg}
					if name != nil {
						ri.name, ri.hasName = *name, true
					}
					out[c][id] = ri
					break
				}
			}
		}
	}
	return out, nil
}
