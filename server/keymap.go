package server

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Tables keyed by a string or several columns (plan/keymap.go, engine's
// key maps). Their id is computed from the key: a Create computes it from
// the written key columns and records it in the key map in the write's
// transaction; an Update may not change a key column (the id would
// change); Retrieve, Update and Delete find the row through the key map.
// An id whose row the caller cannot read answers 404, as an id no row has:
// ids are computable from guessed keys, so a 403 would tell a caller which
// keys exist.

// keyMapOf is t's key map, nil when its id is not computed from its key.
func keyMapOf(t *plan.Table) *plan.KeyMap {
	if pk, ok := t.Column(t.PrimaryKey); ok {
		return pk.Key
	}
	return nil
}

// keyMapsOf are the key maps of the exposed tables.
func keyMapsOf(tables []*plan.Table) []*plan.KeyMap {
	var out []*plan.KeyMap
	for _, t := range tables {
		if km := keyMapOf(t); km != nil {
			out = append(out, km)
		}
	}
	return out
}

// keyTuple is the key tuple a write assigns, and whether every part is
// assigned a non-null value.
func keyTuple(km *plan.KeyMap, set []engine.Assignment) ([]any, bool) {
	tuple := make([]any, len(km.Parts))
	for i, p := range km.Parts {
		found := false
		for _, a := range set {
			if a.Column == p && a.Value != nil && a.Value.V != nil {
				tuple[i], found = a.Value.V, true
			}
		}
		if !found {
			return nil, false
		}
		if n, ok := tuple[i].(int); ok {
			tuple[i] = int64(n)
		}
	}
	return tuple, true
}

// keyMapCreate computes a created row's id from its key columns: the id
// the request named must be that id. It returns the tuple to record.
func keyMapCreate(wr *WriteRequest, km *plan.KeyMap) ([]any, error) {
	tuple, ok := keyTuple(km, wr.written())
	if !ok {
		names := ""
		for i, p := range km.Parts {
			if i > 0 {
				names += ", "
			}
			names += p.LogicalName
		}
		return nil, diagErr(diag.KeyPartMissing, "%s is keyed by %s: a Create gives every key column a value (the id is computed from them)", wr.Table.LogicalName, names)
	}
	id, ok := engine.KeyMapID(km, tuple)
	if !ok {
		return nil, diagErr(diag.KeyPartMissing, "%s: the key values cannot form an id", wr.Table.LogicalName)
	}
	if wr.ID != "" && wr.ID != id {
		return nil, diagErr(diag.KeyPartMissing, "%s: id %s is not the id of the key the record is created with (%s): omit the id, or send the one its key gives", wr.Table.LogicalName, wr.ID, id)
	}
	wr.ID = id
	if wr.idem != nil {
		wr.idem.record = id
	}
	return tuple, nil
}

// keyPartChange refuses an Update that sets a key column of a key-map
// table.
func keyPartChange(wr *WriteRequest, km *plan.KeyMap) error {
	for _, a := range wr.set {
		for _, p := range km.Parts {
			if a.Column == p {
				return diagErr(diag.KeyPartChange, "%s.%s is part of the record's key, from which its id is computed: it cannot change (create a new record)", wr.Table.LogicalName, p.LogicalName)
			}
		}
	}
	return nil
}

// readableInTx reports whether principal p can read the row of id, in the
// write's transaction (the row security as a read applies it).
func (s *Server) readableInTx(ctx context.Context, tx *sql.Tx, p *Principal, t *plan.Table, id string) (bool, error) {
	prov, err := s.cfg.Security.Rows(ctx, p)
	if err != nil {
		return false, err
	}
	pl, err := s.buildFor(p, prov, byIDQuery(t, id, ColumnSet{}), false)
	if err != nil {
		return false, err
	}
	st, err := s.cfg.DB.Emit(pl)
	if err != nil {
		return false, err
	}
	rows, err := tx.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return false, dbErr(err)
	}
	defer rows.Close()
	found := rows.Next()
	return found, dbErrOrNil(rows.Err())
}

// expandKeyLookups replaces each assignment of a lookup holding a key-map
// id by assignments of its foreign key columns: the tuple the key map
// records for the id (read in the write's transaction), or nulls. An id
// the map does not know names no row (NotFound, as any lookup to a missing
// row); a key column also given directly must agree.
func (s *Server) expandKeyLookups(ctx context.Context, tx *sql.Tx, wr *WriteRequest) error {
	var out []engine.Assignment
	for _, a := range wr.set {
		c := a.Column
		if c.Key == nil || c.IsPrimaryKey {
			out = append(out, a)
			continue
		}
		vals := make([]*plan.Value, len(c.Key.Parts))
		if a.Value != nil && a.Value.V != nil {
			id, _ := a.Value.V.(string)
			tuple, found, err := s.cfg.DB.KeyTupleTx(ctx, tx, c.Key, id)
			if err != nil {
				return err
			}
			if !found {
				return diagErr(diag.NotFound, "%s.%s: %s with id %s does not exist", wr.Table.LogicalName, c.LogicalName, c.Targets[0], id)
			}
			for i, k := range c.Key.Kinds() {
				vals[i] = &plan.Value{Kind: k, V: tuple[i]}
			}
		}
		for i, p := range c.Key.Parts {
			j := slices.IndexFunc(wr.set, func(b engine.Assignment) bool { return b.Column == p })
			if j >= 0 && !samePart(wr.set[j].Value, vals[i]) {
				return diagErr(diag.ConflictingOptions, "%s.%s and %s.%s name different records", wr.Table.LogicalName, c.LogicalName, wr.Table.LogicalName, p.LogicalName)
			}
			if j < 0 {
				out = append(out, engine.Assignment{Column: p, Value: vals[i]})
			}
		}
	}
	wr.set = out
	return nil
}

func samePart(a, b *plan.Value) bool {
	if a == nil || a.V == nil || b == nil || b.V == nil {
		return (a == nil || a.V == nil) == (b == nil || b.V == nil)
	}
	return fmt.Sprint(a.V) == fmt.Sprint(b.V)
}
