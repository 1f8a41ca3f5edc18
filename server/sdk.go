package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// Entity is the SDK's Entity: the table, the record id and the attributes
// (null attributes omitted, as Dataverse returns them). Results carry the
// SDK's wrapped values for lookups (EntityReference), choices
// (OptionSetValue) and currency (Money); writes accept both the wrapped
// and the plain forms.
type Entity struct {
	LogicalName string         `json:"LogicalName"`
	Id          string         `json:"Id,omitempty"`
	Attributes  map[string]any `json:"Attributes"`
	// RowVersion is the record's versionnumber, on results of tables
	// that have one; on Update, with ConcurrencyBehavior
	// IfRowVersionMatches, the version the record must still have.
	RowVersion string `json:"RowVersion,omitempty"`
	// FormattedValues are the attributes' formatted values, by name, when
	// the request asks for them (server/formatted.go).
	FormattedValues map[string]string `json:"FormattedValues,omitempty"`
	// lookupTables are the lookups' related tables, for the OData
	// annotations of a record read through Retrieve.
	lookupTables map[string]string
}

// EntityCollection is the SDK's RetrieveMultiple result.
type EntityCollection struct {
	EntityName                    string    `json:"EntityName"`
	Entities                      []*Entity `json:"Entities"`
	MoreRecords                   bool      `json:"MoreRecords"`
	PagingCookie                  string    `json:"PagingCookie,omitempty"`
	TotalRecordCount              int       `json:"TotalRecordCount"`
	TotalRecordCountLimitExceeded bool      `json:"TotalRecordCountLimitExceeded"`
}

// ColumnSet is the SDK's ColumnSet.
type ColumnSet struct {
	AllColumns bool     `json:"AllColumns"`
	Columns    []string `json:"Columns"`
}

type retrieveRequest struct {
	EntityName string    `json:"EntityName"`
	Id         string    `json:"Id"`
	ColumnSet  ColumnSet `json:"ColumnSet"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeEncoded(w, status, v)
}

// bodies are reused response buffers: a response encoded whole goes out
// in one write with its Content-Length, rather than chunked.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeEncoded encodes v and writes it with the status.
func writeEncoded(w http.ResponseWriter, status int, v any) {
	b := bodies.Get().(*bytes.Buffer)
	b.Reset()
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Reset()
		b.WriteString(`{"error":{"code":"0x80040216","message":"the response could not be encoded"}}` + "\n")
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
	if b.Cap() <= 1<<20 { // a huge page's buffer is not kept
		bodies.Put(b)
	}
}

// byIDQuery is the query of Retrieve: one record by primary key, the
// given columns (every column for AllColumns; an empty ColumnSet returns
// the id alone, as the SDK's does).
func byIDQuery(t *plan.Table, id string, cols ColumnSet) *ast.Query {
	e := &ast.Entity{Name: ast.Name{Text: t.LogicalName}}
	switch {
	case cols.AllColumns:
		e.AllAttributes = ast.Bool{Value: true, Set: true}
	case len(cols.Columns) == 0:
		e.Attributes = []*ast.Attribute{{Name: ast.Name{Text: t.PrimaryKey}}}
	default:
		for _, c := range cols.Columns {
			e.Attributes = append(e.Attributes, &ast.Attribute{Name: ast.Name{Text: c}})
		}
	}
	e.Filters = []*ast.Filter{{Items: []ast.FilterItem{&ast.Condition{
		Attribute: ast.Name{Text: t.PrimaryKey}, Operator: ast.OpEq,
		Values: []*ast.Value{{Text: id, Kind: ast.KindGuid}},
	}}}}
	return &ast.Query{Entity: e, Top: ast.Int{Value: 2, Set: true}}
}

// table finds an exposed table by logical name: NotFound otherwise.
func (s *Server) table(name string) (*plan.Table, error) {
	t, ok := s.catalog.Table(name)
	if !ok {
		return nil, diagErr(diag.NotFound, "entity %q is not exposed by this server", name)
	}
	if t.PrimaryKey == "" {
		return nil, diagErr(diag.MissingMetadata, "entity %q has no primary key", name)
	}
	return t, nil
}

// guid checks a record id.
// retrieveKey is a read by id's text for the compiled-request cache
// (each part length-prefixed, so that no two reads share a text).
func retrieveKey(t *plan.Table, id string, cols ColumnSet) string {
	parts := append([]string{"Retrieve", t.LogicalName, id, strconv.FormatBool(cols.AllColumns)}, cols.Columns...)
	return requestText(parts...)
}

func guid(id string) (string, error) {
	g, ok := plan.CanonicalGUID(id)
	if !ok {
		return "", diagErr(diag.BadLiteral, "record id %q is not a GUID", id)
	}
	return g, nil
}

// recordID reads a record id of table t: a GUID, and, for a table whose
// key is not a GUID (an integer exposed through plan.IntKeyGUID), one of
// the GUIDs its key encoding gives: any other GUID names no record (404
// VE6046), rather than reaching the database as a value its key column
// cannot hold.
func recordID(t *plan.Table, id string) (string, error) {
	g, err := guid(id)
	if err != nil {
		return "", err
	}
	if pk, ok := t.Column(t.PrimaryKey); ok && pk.Type.Kind() == plan.KGuid && !pk.Guid.Encodes(g) {
		return "", diagErr(diag.NoSuchKey, "%s with id %s does not exist: its key is an integer, exposed as GUIDs beginning %s", t.LogicalName, g, plan.IntKeyPrefix)
	}
	return g, nil
}

func (s *Server) retrieve(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req retrieveRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	r = withAnnotations(w, r)
	t, row, pl, err := s.retrieveRow(r, p, req.EntityName, req.Id, req.ColumnSet)
	if err != nil {
		return err
	}
	var refs []*sdkRef
	e := sdkEntity(t, row, pl.Columns, &refs)
	if err := s.resolveReferences(r.Context(), p, refs); err != nil {
		return err
	}
	sdkFormatted(r.Context(), e, row)
	writeSDK(w, e, func(b []byte) ([]byte, error) { return appendSDKEntity(b, e) })
	return nil
}

// retrieveOne reads one record as the principal: NotFound when it does not
// exist, MissingPrivilege (403) when the principal cannot read it.
func (s *Server) retrieveOne(r *http.Request, p *Principal, entity, id string, cols ColumnSet) (*Entity, error) {
	t, row, _, err := s.retrieveRow(r, p, entity, id, cols)
	if err != nil {
		return nil, err
	}
	e := toEntity(t, row)
	sdkFormatted(r.Context(), e, row)
	return e, nil
}

// retrieveRow is retrieveOne's row and plan.
func (s *Server) retrieveRow(r *http.Request, p *Principal, entity, id string, cols ColumnSet) (*plan.Table, engine.Row, *plan.Plan, error) {
	t, err := s.table(entity)
	if err != nil {
		return nil, nil, nil, err
	}
	g, err := recordID(t, id)
	if err != nil {
		return nil, nil, nil, err
	}
	c, st, err := s.compiledByID(r.Context(), p, t, g, cols)
	if err != nil {
		return nil, nil, nil, err
	}
	pl := c.plan
	ctx, cancel := contextTimeout(r, s.cfg.QueryTimeout)
	defer cancel()
	res, err := s.cfg.DB.ExecEmitted(ctx, pl, st)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(res.Rows) == 0 {
		return nil, nil, nil, s.missing(ctx, t, g)
	}
	if s.companies != nil {
		s.companies.rewriteRows(pl.Columns, res.Rows)
	}
	formatResult(r.Context(), p, pl, res)
	return t, res.Rows[0], pl, nil
}

// EntityReference, OptionSetValue and Money are the SDK's wrapped
// attribute values: a virtual-entity provider returns Entity attributes
// typed as the SDK types them (spec fetchxml.md §7.2: the provider returns
// an EntityCollection of SDK entities), so lookups, choices and currency
// amounts come wrapped; other types are plain JSON values. LogicalName is
// the target holding the id (an owner's systemuser or team); Name is the
// target's primary name as the caller reads it (resolveReferences), omitted
// when the caller may not read the target row or its primary name column,
// or when the name is null.
type EntityReference struct {
	Id          string `json:"Id"`
	LogicalName string `json:"LogicalName,omitempty"` // empty when no target holds the id
	Name        string `json:"Name,omitempty"`
}

// sdkRef is a result's EntityReference awaiting its target and name.
type sdkRef struct {
	ref *EntityReference
	col *plan.Column
}

// resolveReferences fills the EntityReferences of a result: one read per
// target table for the whole result (lookupRefs).
func (s *Server) resolveReferences(ctx context.Context, p *Principal, refs []*sdkRef) error {
	if len(refs) == 0 {
		return nil
	}
	ids := map[*plan.Column]map[string]bool{}
	for _, r := range refs {
		if ids[r.col] == nil {
			ids[r.col] = map[string]bool{}
		}
		ids[r.col][canonicalID(r.ref.Id)] = true
	}
	found, err := s.lookupRefs(ctx, p, ids)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if ri, ok := found[r.col][canonicalID(r.ref.Id)]; ok {
			r.ref.LogicalName = ri.table
			if ri.hasName {
				r.ref.Name = ri.name
			}
		}
	}
	return nil
}

// OptionSetValue is a choice (picklist, state, status) value.
type OptionSetValue struct {
	Value any `json:"Value"`
}

// Money is a currency amount.
type Money struct {
	Value any `json:"Value"`
}

// sdkEntity is a row as the SDK's Entity with typed values: cols are the
// plan's output columns, in the row's order.
func sdkEntity(t *plan.Table, row engine.Row, cols []*plan.OutputColumn, refs *[]*sdkRef) *Entity {
	e := toEntity(t, row)
	for i, f := range row {
		if f.Value == nil || i >= len(cols) || cols[i].Column == nil || cols[i].Aggregate != ast.NoAggregate || cols[i].RowAggregate != nil {
			continue
		}
		v := sdkValue(cols[i].Column, f.Value)
		if ref, ok := v.(*EntityReference); ok {
			*refs = append(*refs, &sdkRef{ref: ref, col: cols[i].Column})
		}
		e.Attributes[f.Name] = v
	}
	return e
}

func sdkValue(c *plan.Column, v any) any {
	switch c.Type {
	case plan.TLookup, plan.TOwner, plan.TCustomer:
		id, ok := v.(string)
		if !ok {
			return v
		}
		ref := &EntityReference{Id: id}
		if len(c.Targets) == 1 {
			ref.LogicalName = c.Targets[0]
		}
		return ref
	case plan.TPicklist, plan.TState, plan.TStatus:
		return OptionSetValue{Value: v}
	case plan.TMoney:
		return Money{Value: v}
	case plan.TMultiSelectPicklist:
		if list, ok := v.([]int64); ok {
			out := make([]OptionSetValue, len(list))
			for i, n := range list {
				out[i] = OptionSetValue{Value: n}
			}
			return out
		}
	}
	return v
}

// missing says why Retrieve found no row: NotFound when there is none, and
// when security hid an existing row, 403 naming the Read privilege, as
// Dataverse answers a Retrieve of a record outside the caller's access
// (SecLib::AccessCheckEx, 0x80040220) rather than pretending it is absent.
// Retrieve by id reveals existence in Dataverse too; queries never do.
func (s *Server) missing(ctx context.Context, t *plan.Table, id string) error {
	notFound := diagErr(diag.NotFound, "%s with id %s does not exist", t.LogicalName, id)
	if _, off := s.cfg.Security.(insecure); off || keyMapOf(t) != nil {
		// A key-map id is computable from a guessed key: whether its row
		// exists is not told to a caller who cannot read it (keymap.go).
		return notFound
	}
	pl, err := plan.Build(byIDQuery(t, id, ColumnSet{}), plan.Options{Catalog: s.catalog, Now: s.cfg.Now(), AccentSensitive: s.cfg.AccentSensitive})
	if err != nil {
		return err
	}
	res, err := s.cfg.DB.Exec(ctx, pl)
	if err != nil {
		return err
	}
	if len(res.Rows) == 0 {
		return notFound
	}
	return diagErr(diag.MissingPrivilege, "SecLib::AccessCheckEx failed: the acting user may not read %s %s (%s at a depth reaching the record)", t.LogicalName, id, security.PrivilegeName(t.LogicalName, security.Read))
}

func toEntity(t *plan.Table, row engine.Row) *Entity {
	e := &Entity{LogicalName: t.LogicalName, Attributes: make(map[string]any, len(row))}
	vc, versioned := versionCol(t)
	for _, f := range row {
		if f.Value == nil {
			continue
		}
		e.Attributes[f.Name] = f.Value
		if versioned && f.Name == vc.LogicalName {
			if v, ok := versionOf(f.Value); ok {
				e.RowVersion = strconv.FormatInt(v, 10)
			}
		}
		if strings.EqualFold(f.Name, t.PrimaryKey) {
			if id, ok := f.Value.(string); ok {
				e.Id = id
			}
		}
	}
	return e
}

func (s *Server) retrieveMultiple(w http.ResponseWriter, r *http.Request, p *Principal) error {
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	r = withAnnotations(w, r)
	c, err := s.compiledRead(r.Context(), p, requestText("RetrieveMultiple", string(body)), true, func() (*ast.Query, *odataparse.ExpandLevel, error) {
		if t := bytes.TrimLeft(body, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
			if err := s.checkJSON(body); err != nil {
				return nil, nil, err
			}
		}
		q, err := vecompile.Parse("request", body)
		return q, nil, err
	})
	if err != nil {
		return err
	}
	pg, err := s.execCompiled(r.Context(), p, c, c.q.PagingCookie.Text)
	if err != nil {
		return err
	}
	out, refs := s.collection(pg)
	if err := s.resolveReferences(r.Context(), p, refs); err != nil {
		return err
	}
	for i, row := range pg.result.Rows {
		sdkFormatted(r.Context(), out.Entities[i], row)
	}
	writeSDK(w, out, func(b []byte) ([]byte, error) { return appendSDKCollection(b, out) })
	return nil
}

func (s *Server) collection(pg *page) (*EntityCollection, []*sdkRef) {
	t := pg.plan.Root.Table
	out := &EntityCollection{EntityName: t.LogicalName, Entities: make([]*Entity, 0, len(pg.result.Rows)),
		MoreRecords: pg.result.MoreRecords, PagingCookie: pg.cookie, TotalRecordCount: -1}
	if pg.result.CountRequested {
		out.TotalRecordCount = pg.result.TotalRecordCount
		out.TotalRecordCountLimitExceeded = pg.result.TotalRecordCountLimitExceeded
	}
	var refs []*sdkRef
	for _, row := range pg.result.Rows {
		out.Entities = append(out.Entities, sdkEntity(t, row, pg.plan.Columns, &refs))
	}
	return out, refs
}
