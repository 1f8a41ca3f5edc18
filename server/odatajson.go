package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/jsonw"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// OData results written directly: an entityShape is compiled once per page
// from the result's columns, and every row is appended through it
// (internal/jsonw), with no per-row map and no reflection. Its members come
// in the order encoding/json gives a map's keys (sorted bytes), so that the
// bytes are those the map-based writer gave; odatajson_test.go keeps that
// writer as the reference and compares the two on the server's requests
// and on random rows. A page with collection-valued expands is a tree of
// entity nodes (a row, and the arrays its expands' queries fill in),
// written through the same shapes.

type memberKind uint8

const (
	memberConst       memberKind = iota // a fixed string (@odata.context)
	memberETag                          // @odata.etag of the row version at col
	memberProperty                      // the value at col
	memberFormatted                     // the formatted value of the field at col
	memberSingle                        // a single-valued $expand: child, null without a related row
	memberLookupTable                   // the lookup at col's target table (lookuplogicalname)
	memberLookupNav                     // its navigation property (associatednavigationproperty)
	memberMany                          // the k-th collection-valued $expand's entities
	memberManyCount                     // their number before $skip/$top ($count=true)
)

// odataColumn is one result column as an entity property: its name, where
// the row holds it, and the instance annotations written with it (each
// under "property@term", present when the row's field has a value for it).
type odataColumn struct {
	prop        string
	at          int
	annotations []string // engine.FormattedValueAnnotation
}

// member is one key of an entity object and what fills it.
type member struct {
	name  string // the key
	key   []byte // the key encoded, with its colon
	order int    // when the map writer set it: of equal names the last set wins
	kind  memberKind
	col   int
	text  string       // memberConst
	child *entityShape // memberSingle
	keyAt int          // memberSingle: the related row's key column (-1: none)
	k     int          // memberSingle, memberMany, memberManyCount: the expand's index in its level
	// lookup and table are a lookup member's column and the entity's table.
	lookup *plan.Column
	table  *plan.Table
	// skipNull leaves a property, or its annotation, out when the row's
	// value is null (fetchXml results omit nulls, as the Web API does).
	skipNull bool
}

// entityShape is how the rows of one level are written as entities.
type entityShape struct {
	members []member
}

// newShape orders the members as encoding/json orders map keys.
func newShape(ms []member) *entityShape {
	for i := range ms {
		ms[i].key = append(jsonw.AppendString(nil, ms[i].name), ':')
	}
	slices.SortStableFunc(ms, func(a, b member) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.order - b.order
	})
	return &entityShape{members: ms}
}

// columnMembers are the members of cols: each property, then (after every
// property, as the map-based writer added them) the annotations.
func columnMembers(cols []odataColumn, order int) []member {
	var ms []member
	for _, c := range cols {
		ms = append(ms, member{name: c.prop, kind: memberProperty, col: c.at, order: order})
		order++
	}
	for _, c := range cols {
		for _, a := range c.annotations {
			ms = append(ms, member{name: c.prop + "@" + a, kind: memberFormatted, col: c.at, order: order})
			order++
		}
	}
	return ms
}

// entityNode is an entity of a page with collection-valued expands,
// awaiting its write: its row and level, the entities of its single-valued
// expands (nil: no related row) and the arrays of its collection-valued
// ones, filled in as their queries run (expandCollection).
type entityNode struct {
	sl      *shapeLevel
	row     engine.Row
	singles []*entityNode
	many    [][]*entityNode // nil: not served (the member is left out)
	counts  []int
}

// appendEntity appends node n through s.
func (s *entityShape) appendEntity(b []byte, n *entityNode, ln *lookupNotes) ([]byte, error) {
	return s.appendRow(b, n.row, n, ln)
}

// appendRow appends row as one entity; n is its node when the page has
// collection-valued expands (nil otherwise); ln resolves lookup
// annotations (nil when the shape has none).
func (s *entityShape) appendRow(b []byte, row engine.Row, n *entityNode, ln *lookupNotes) ([]byte, error) {
	b = append(b, '{')
	first := true
	ms := s.members
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && ms[j].name == ms[i].name {
			j++
		}
		// Of equal names the last present one, as the map kept it.
		for k := j - 1; k >= i; k-- {
			mark := len(b)
			if !first {
				b = append(b, ',')
			}
			b = append(b, ms[k].key...)
			var ok bool
			var err error
			if b, ok, err = ms[k].appendValue(b, row, n, ln); err != nil {
				return b, err
			}
			if ok {
				first = false
				break
			}
			b = b[:mark]
		}
		i = j
	}
	return append(b, '}'), nil
}

// appendValue appends m's value in row; ok false: the member is absent.
func (m *member) appendValue(b []byte, row engine.Row, n *entityNode, ln *lookupNotes) ([]byte, bool, error) {
	if m.skipNull && row[m.col].Value == nil {
		return b, false, nil
	}
	switch m.kind {
	case memberConst:
		return jsonw.AppendString(b, m.text), true, nil
	case memberETag:
		tag, ok := entityETag(row[m.col].Value)
		if !ok {
			return b, false, nil
		}
		return jsonw.AppendString(b, tag), true, nil
	case memberProperty:
		b, err := appendODataValue(b, row[m.col].Value)
		return b, true, err
	case memberFormatted:
		f := row[m.col].Formatted
		if f == nil || !f.HasValue {
			return b, false, nil
		}
		return jsonw.AppendString(b, f.Value), true, nil
	case memberSingle:
		if n != nil {
			child := n.singles[m.k]
			if child == nil {
				return append(b, "null"...), true, nil
			}
			b, err := m.child.appendRow(b, row, child, ln)
			return b, true, err
		}
		if m.keyAt < 0 || row[m.keyAt].Value == nil {
			return append(b, "null"...), true, nil
		}
		b, err := m.child.appendRow(b, row, nil, ln)
		return b, true, err
	case memberMany:
		if n == nil || n.many[m.k] == nil {
			return b, false, nil
		}
		b = append(b, '[')
		for i, rn := range n.many[m.k] {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = rn.sl.shape.appendEntity(b, rn, ln); err != nil {
				return b, true, err
			}
		}
		return append(b, ']'), true, nil
	case memberManyCount:
		if n == nil || n.many[m.k] == nil {
			return b, false, nil
		}
		return strconv.AppendInt(b, int64(n.counts[m.k]), 10), true, nil
	case memberLookupTable, memberLookupNav:
		id, ok := row[m.col].Value.(string)
		if !ok {
			return b, false, nil
		}
		v, ok := ln.annotation(m.kind, m.table, m.lookup, id)
		if !ok {
			return b, false, nil
		}
		return jsonw.AppendString(b, v), true, nil
	}
	return b, false, nil
}

// lookupNotes are what lookup annotations need beyond the row: the
// request's choice, the targets of polymorphic lookups' values (one read
// per page) and which tables are exposed.
type lookupNotes struct {
	types   map[*plan.Column]map[string]string
	exposed func(string) bool
}

// annotation is the lookup annotation of kind for the value id of column c
// of table t; ok false when there is none (no target found, or a target
// that is not exposed has no navigation property).
func (ln *lookupNotes) annotation(kind memberKind, t *plan.Table, c *plan.Column, id string) (string, bool) {
	target := ""
	if len(c.Targets) == 1 {
		target = c.Targets[0]
	} else if ln != nil {
		target = ln.types[c][canonicalID(id)]
	}
	if target == "" {
		return "", false
	}
	if kind == memberLookupTable {
		return target, true
	}
	if ln == nil || !ln.exposed(target) {
		return "", false
	}
	return plan.NavigationName(t, c.LogicalName, target), true
}

// lookupAnnotationOrder places the lookup annotations after every other
// member a map writer set (they were set last).
const lookupAnnotationOrder = 1 << 24

// lookupMembers are the lookup annotations of column name of t at row
// index at, when the request asks for them and the column is a lookup.
func lookupMembers(sh *webShaper, t *plan.Table, name string, at int) []member {
	if sh == nil || !sh.on || t == nil {
		return nil
	}
	prop, c := odataProperty(t, name)
	if c == nil {
		return nil
	}
	var ms []member
	if sh.ann.wants(annLookupLogicalName) {
		ms = append(ms, member{name: prop + "@" + annLookupLogicalName, kind: memberLookupTable, col: at, lookup: c, table: t, order: lookupAnnotationOrder + at})
	}
	if sh.ann.wants(annAssociatedNav) {
		ms = append(ms, member{name: prop + "@" + annAssociatedNav, kind: memberLookupNav, col: at, lookup: c, table: t, order: lookupAnnotationOrder + at})
	}
	return ms
}

// lookupNotes reads the targets of the polymorphic lookup values that
// shape's lookup annotations name in rows (nil when it has none).
func (s *Server) lookupNotes(ctx context.Context, shape *entityShape, rows []engine.Row) (*lookupNotes, error) {
	var c lookupRefs
	for _, row := range rows {
		c.collect(shape, row, nil)
	}
	return s.resolveLookupRefs(ctx, &c)
}

// nodeLookupNotes is lookupNotes over entity nodes and their expands.
func (s *Server) nodeLookupNotes(ctx context.Context, shape *entityShape, nodes []*entityNode) (*lookupNotes, error) {
	var c lookupRefs
	for _, n := range nodes {
		c.collect(shape, n.row, n)
	}
	return s.resolveLookupRefs(ctx, &c)
}

// lookupRefs are the lookup values a page's annotations name.
type lookupRefs struct {
	refs map[*plan.Column]map[string]bool
	has  bool // some lookup annotation is written
}

// collect adds the values of the entity row (node n, or nil) written
// through shape, and of the entities it expands.
func (c *lookupRefs) collect(shape *entityShape, row engine.Row, n *entityNode) {
	if shape == nil {
		return
	}
	for _, m := range shape.members {
		switch m.kind {
		case memberSingle:
			if n != nil {
				if child := n.singles[m.k]; child != nil {
					c.collect(m.child, row, child)
				}
			} else if m.keyAt >= 0 && row[m.keyAt].Value != nil {
				c.collect(m.child, row, nil)
			}
		case memberMany:
			if n != nil {
				for _, rn := range n.many[m.k] {
					c.collect(rn.sl.shape, rn.row, rn)
				}
			}
		case memberLookupTable, memberLookupNav:
			c.has = true
			if len(m.lookup.Targets) <= 1 {
				continue
			}
			if id, ok := row[m.col].Value.(string); ok {
				if c.refs == nil {
					c.refs = map[*plan.Column]map[string]bool{}
				}
				if c.refs[m.lookup] == nil {
					c.refs[m.lookup] = map[string]bool{}
				}
				c.refs[m.lookup][canonicalID(id)] = true
			}
		}
	}
}

// resolveLookupRefs reads the collected values' targets (one read per
// column for the page).
func (s *Server) resolveLookupRefs(ctx context.Context, c *lookupRefs) (*lookupNotes, error) {
	if !c.has {
		return nil, nil
	}
	ln := &lookupNotes{exposed: func(t string) bool { _, ok := s.catalog.Table(t); return ok }}
	if len(c.refs) > 0 {
		types, err := s.lookupTargets(ctx, c.refs)
		if err != nil {
			return nil, err
		}
		ln.types = types
	}
	return ln, nil
}

// appendODataValue is odataValue written: a multi-select's values as
// one comma-separated string.
func appendODataValue(b []byte, v any) ([]byte, error) {
	if m, ok := v.([]int64); ok {
		b = append(b, '"')
		for i, n := range m {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, n, 10)
		}
		return append(b, '"'), nil
	}
	return jsonw.AppendValue(b, v)
}

// formattedTerms are the per-column annotations a request takes.
func formattedTerms(a *annotations) []string {
	if a == nil || !a.formatted {
		return nil
	}
	return []string{engine.FormattedValueAnnotation}
}

// flatShape is the shape of a collection read without $expand (what
// the map-based writer gave): every column of the row, a versioned
// table's @odata.etag, the requested annotations.
func flatShape(sh *webShaper, t *plan.Table, names []string, terms []string) *entityShape {
	cols := make([]odataColumn, len(names))
	for i, n := range names {
		prop, _ := odataProperty(t, n)
		cols[i] = odataColumn{prop: prop, at: i, annotations: terms}
	}
	ms := columnMembers(cols, 0)
	for i, n := range names {
		ms = append(ms, lookupMembers(sh, t, n, i)...)
	}
	if vc, ok := versionCol(t); ok {
		for i, n := range names {
			if n == vc.LogicalName {
				// Set right after its property.
				ms = append(ms, member{name: "@odata.etag", kind: memberETag, col: i, order: i})
			}
		}
	}
	return newShape(ms)
}

// levelShape is the shape of a level's entities: its properties with the
// request's annotations of each (formatted values at every level, as
// Dataverse gives them on expanded records too), its @odata.etag, its
// single-valued expands (their levels' shapes), its collection-valued
// ones.
func (sl *shapeLevel) levelShape() *entityShape {
	terms := formattedTerms(sl.ann)
	ms := make([]member, 0, len(sl.at)*(1+len(terms))+len(sl.single)+len(sl.lv.Many)+1)
	order := 0
	for j, i := range sl.at {
		prop, _ := odataProperty(sl.table, sl.props[j])
		ms = append(ms, member{name: prop, kind: memberProperty, col: i, order: order})
		ms = append(ms, lookupMembers(sl.sh, sl.table, sl.props[j], i)...)
		order++
		for _, a := range terms {
			ms = append(ms, member{name: prop + "@" + a, kind: memberFormatted, col: i, order: order})
			order++
		}
	}
	if sl.verAt >= 0 {
		ms = append(ms, member{name: "@odata.etag", kind: memberETag, col: sl.verAt, order: order})
		order++
	}
	for k, ch := range sl.single {
		ms = append(ms, member{name: sl.lv.Single[k].Property, kind: memberSingle, child: ch.shape, keyAt: ch.keyAt, k: k, order: order})
		order++
	}
	// Set once their queries ran, after the rest.
	for k, c := range sl.lv.Many {
		ms = append(ms, member{name: c.Property, kind: memberMany, k: k, order: order})
		order++
		if c.Count {
			ms = append(ms, member{name: c.Property + "@odata.count", kind: memberManyCount, k: k, order: order})
			order++
		}
	}
	return newShape(ms)
}

// rootShape is the shape of the page's entities at root level sl, with
// the @odata.context of an entity read by key when context is not empty.
func (sl *shapeLevel) rootShape(context string) *entityShape {
	if context == "" {
		return sl.shape
	}
	return newShape(append(slices.Clone(sl.shape.members), member{name: "@odata.context", kind: memberConst, text: context, order: -1}))
}

// odataCollection is the top of a collection response.
type odataCollection struct {
	context  string
	count    int
	hasCount bool
	next     string
}

// appendCollection appends the collection object: its members in
// encoding/json's key order, the rows through shape (none: an empty array).
func appendCollection(b []byte, c odataCollection, vals entityRows) ([]byte, error) {
	b = append(b, `{"@odata.context":`...)
	b = jsonw.AppendString(b, c.context)
	if c.hasCount {
		b = append(b, `,"@odata.count":`...)
		b = strconv.AppendInt(b, int64(c.count), 10)
	}
	if c.next != "" {
		b = append(b, `,"@odata.nextLink":`...)
		b = jsonw.AppendString(b, c.next)
	}
	b = append(b, `,"value":`...)
	var err error
	if vals.nodes != nil {
		b, err = appendNodes(b, vals.shape, vals.nodes, vals.notes)
	} else {
		b, err = appendRows(b, vals.shape, vals.rows, vals.notes)
	}
	if err != nil {
		return b, err
	}
	return append(b, "}\n"...), nil
}

// appendRows appends rows as an array of entities written through shape.
func appendRows(b []byte, shape *entityShape, rows []engine.Row, ln *lookupNotes) ([]byte, error) {
	b = append(b, '[')
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = shape.appendRow(b, row, nil, ln); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendNodes appends entity nodes as an array written through shape.
func appendNodes(b []byte, shape *entityShape, nodes []*entityNode, ln *lookupNotes) ([]byte, error) {
	b = append(b, '[')
	for i, n := range nodes {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = shape.appendEntity(b, n, ln); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// entityRows is a member value holding a page of rows and their shape.
type entityRows struct {
	shape *entityShape
	rows  []engine.Row
	nodes []*entityNode // instead of rows, on pages with collection-valued expands
	notes *lookupNotes
}

// fetchShape is the shape of a fetchXml result's rows (odataFetch):
// non-null columns, their requested annotations, a versioned table's
// @odata.etag.
func fetchShape(sh *webShaper, t *plan.Table, names []string, terms []string) *entityShape {
	vc, versioned := versionCol(t)
	var ms []member
	for i, n := range names {
		prop, _ := odataProperty(t, n)
		ms = append(ms, member{name: prop, kind: memberProperty, col: i, order: 3 * i, skipNull: true})
		for _, a := range terms {
			ms = append(ms, member{name: prop + "@" + a, kind: memberFormatted, col: i, order: 3*i + 1, skipNull: true})
		}
		if versioned && n == vc.LogicalName {
			ms = append(ms, member{name: "@odata.etag", kind: memberETag, col: i, order: 3*i + 2})
		}
		ms = append(ms, lookupMembers(sh, t, n, i)...)
	}
	return newShape(ms)
}

// entityMember is one key and value of a single entity (by key).
type entityMember struct {
	name string
	v    any
}

// appendEntity appends one entity's members in encoding/json's key order,
// the last of equal names winning as in a map.
func appendEntity(b []byte, ms []entityMember) ([]byte, error) {
	slices.SortStableFunc(ms, func(a, b entityMember) int { return strings.Compare(a.name, b.name) })
	b = append(b, '{')
	for i := range ms {
		if i+1 < len(ms) && ms[i+1].name == ms[i].name {
			continue
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(jsonw.AppendString(b, ms[i].name), ':')
		var err error
		if rows, ok := ms[i].v.(entityRows); ok && rows.nodes != nil {
			b, err = appendNodes(b, rows.shape, rows.nodes, rows.notes)
		} else if ok {
			b, err = appendRows(b, rows.shape, rows.rows, rows.notes)
		} else {
			b, err = appendODataValue(b, ms[i].v)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, "}\n"...), nil
}

// Differential checks, set by the package's tests (nil otherwise): each
// is given a body written directly and what it was written from, and
// compares it with the map-based writer's encoding of the same, so that
// every test request checks the two agree.
var (
	checkCollection func(s *Server, r *http.Request, t *plan.Table, level *odataparse.ExpandLevel, coll odataCollection, res *engine.Result, got []byte)
	checkByKey      func(s *Server, r *http.Request, t *plan.Table, ctx string, e *Entity, cols ColumnSet, etag string, found bool, got []byte)
	checkSDK        func(v any, got []byte)
	checkFetch      func(s *Server, r *http.Request, t *plan.Table, set string, pg *page, got []byte)
	// checkNodes: a page (or, by key, one entity: nodes[:1]) with
	// collection-valued expands; coll is the page's top, or by key the
	// entity's context alone.
	checkNodes func(s *Server, r *http.Request, root *shapeLevel, nodes []*entityNode, coll *odataCollection, got []byte)
)

// jsonBodies are reused response buffers for the directly written bodies.
var jsonBodies = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeODataBody writes a body appended into buf (from jsonBodies) as
// writeOData writes an encoded one: on err, the same 500 it answered when
// encoding failed.
func writeODataBody(w http.ResponseWriter, status int, buf *[]byte, b []byte, err error) {
	h := w.Header()
	h[hOData], h[hContentType] = odataVersion40, odataJSONType
	writeBytes(w, status, buf, b, err)
}

// writeBytes writes b with its Content-Length and returns buf to the pool.
func writeBytes(w http.ResponseWriter, status int, buf *[]byte, b []byte, err error) {
	if err != nil {
		b = append(b[:0], `{"error":{"code":"0x80040216","message":"the response could not be encoded"}}`+"\n"...)
		status = http.StatusInternalServerError
	}
	w.Header()[hContentLength] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= 1<<20 { // a huge page's buffer is not kept
		*buf = b[:0]
		jsonBodies.Put(buf)
	}
}

// expandsCollections says whether an expand level, or one of its
// single-valued levels, has a collection-valued expand.
func expandsCollections(lv *odataparse.ExpandLevel) bool {
	if len(lv.Many) > 0 {
		return true
	}
	for _, se := range lv.Single {
		if expandsCollections(se.Level) {
			return true
		}
	}
	return false
}
