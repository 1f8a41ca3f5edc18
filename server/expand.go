package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// OData $expand. A single-valued expand is an outer link of the page's
// query; its columns come back flat ("alias.col") and are nested here
// under the navigation property, or null when the link's from column is
// null (no related row, or none the caller may read: the link's own
// security filter). A collection-valued expand is one more query per page
// of parents, built as a request for the related entity set through the
// same parser, planner (the caller's security) and executor: the nested
// options plus "foreign key in (the page's keys)", grouped by foreign key.
// With $top (and no $count) the statement keeps each parent's $skip/$top
// rows itself (a ROW_NUMBER window per foreign key); otherwise all its
// rows are read (paged) and $skip/$top/$count applied per parent here.

// Limits of collection-valued $expand (variables for the tests).
var (
	// maxExpandPerParent is the most related rows one entity's array
	// holds (after $skip/$top). Dataverse documents no number for it; it is
	// the page cap. Beyond it the request fails: never a silent cut.
	maxExpandPerParent = MaxPageSize
	// maxExpandRows is the most related rows one collection-valued expand
	// reads for a page of parents: before per-parent $skip/$top, or after
	// them where the statement applies them (pushesTop).
	maxExpandRows = 50000
	// expandPageSize is the page size of the related rows' query and the
	// most parent keys in one query's IN list.
	expandPageSize = MaxPageSize
)

// ODataExpandParser turns an OData request, as ODataParser does, into the
// query and the description of its $expand (parse/odata LowerExpansion).
type ODataExpandParser func(request string) (*odataparse.Expansion, error)

// DefaultODataExpandParser is parse/odata's LowerExpansion over the
// exposed tables of cat (standard v4 flavour).
func DefaultODataExpandParser(exposed plan.MapCatalog) ODataExpandParser {
	schema := vecompile.ODataSchema(exposed)
	return func(request string) (*odataparse.Expansion, error) {
		return odataparse.ParseExpansion(diag.NewSource("odata", []byte(request)), schema, odataparse.Options{Flavor: "v4", NullInclusive: plan.NullInclusive})
	}
}

// shapeLevel is an ExpandLevel compiled against a result's columns.
type shapeLevel struct {
	lv     *odataparse.ExpandLevel
	props  []string // returned properties
	at     []int    // their row indexes
	keyAt  int      // the Key column's index (-1: root or not found)
	single []*shapeLevel
	manyAt []int       // per lv.Many: the parent column's index
	verAt  int         // the row version's index, for @odata.etag (-1: none)
	table  *plan.Table // the level's table (nil: not exposed)
	sh     *webShaper
	ann    *annotations // the formatted values asked for (nil: none)
	shape  *entityShape // how its entities are written (odatajson.go)
}

func compileLevel(ctx context.Context, cat *exposure, lv *odataparse.ExpandLevel, cols []string) *shapeLevel {
	sl := &shapeLevel{lv: lv, keyAt: -1, sh: shaperOf(ctx), ann: annotationsOf(ctx)}
	sl.table, _ = cat.Table(lv.Table)
	own := func(c string) (string, bool) {
		if lv.Prefix == "" {
			return c, !strings.Contains(c, ".")
		}
		if len(c) > len(lv.Prefix) && strings.EqualFold(c[:len(lv.Prefix)], lv.Prefix) {
			return c[len(lv.Prefix):], true
		}
		return "", false
	}
	find := func(col string) int {
		for i, c := range cols {
			if name, ok := own(c); ok && strings.EqualFold(name, col) {
				return i
			}
		}
		return -1
	}
	// The Web API returns a single-valued expansion's key whatever its
	// $select ("primarycontactid": {"fullname": …, "contactid": …}; Join
	// tables using OData, Microsoft Learn): the link reads it for its
	// null test, so it is shown, not hidden.
	shownKey := ""
	if lv.Prefix != "" && sl.table != nil && strings.EqualFold(lv.Key, sl.table.PrimaryKey) {
		shownKey = lv.Key
	}
	for i, c := range cols {
		name, ok := own(c)
		if !ok || containsFold(lv.Hidden, name) && !strings.EqualFold(name, shownKey) {
			continue
		}
		sl.props = append(sl.props, name)
		sl.at = append(sl.at, i)
	}
	if lv.Key != "" {
		sl.keyAt = find(lv.Key)
	}
	sl.verAt = find(versionColumn)
	for _, se := range lv.Single {
		sl.single = append(sl.single, compileLevel(ctx, cat, se.Level, cols))
	}
	for _, c := range lv.Many {
		sl.manyAt = append(sl.manyAt, find(c.Nav.To))
	}
	sl.shape = sl.levelShape()
	return sl
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// parentRef is an entity awaiting a collection-valued expand.
type parentRef struct {
	c    *odataparse.CollectionExpand
	node *entityNode
	k    int    // c's index in the node level's Many
	key  string // "": no value, an empty array
}

// keyOf is a key value as text for grouping and for the IN list: GUIDs
// canonical (engines differ in case), other values as they are.
func keyOf(v any) string {
	if v == nil {
		return ""
	}
	s := fmt.Sprint(v)
	if g, ok := plan.CanonicalGUID(s); ok {
		return g
	}
	return s
}

// node shapes one row at one level and appends its collection-valued
// expands to pend.
func (sl *shapeLevel) node(row engine.Row, pend *[]parentRef) *entityNode {
	n := &entityNode{sl: sl, row: row}
	if len(sl.single) > 0 {
		n.singles = make([]*entityNode, len(sl.single))
	}
	for k, ch := range sl.single {
		if ch.keyAt >= 0 && row[ch.keyAt].Value != nil {
			n.singles[k] = ch.node(row, pend)
		}
	}
	if len(sl.lv.Many) > 0 {
		n.many = make([][]*entityNode, len(sl.lv.Many))
		n.counts = make([]int, len(sl.lv.Many))
	}
	for k, c := range sl.lv.Many {
		ref := parentRef{c: c, node: n, k: k}
		if i := sl.manyAt[k]; i >= 0 {
			ref.key = keyOf(row[i].Value)
		}
		*pend = append(*pend, ref)
	}
	return n
}

// odataRows shapes a page's rows at level lv and serves their
// collection-valued expands: the entities, and the level compiled for
// the page's columns (nil without rows).
func (s *Server) odataRows(ctx context.Context, p *Principal, lv *odataparse.ExpandLevel, res *engine.Result) ([]*entityNode, *shapeLevel, error) {
	out := make([]*entityNode, 0, len(res.Rows))
	var pend []parentRef
	var sl *shapeLevel
	if len(res.Rows) > 0 {
		sl = compileLevel(ctx, s.catalog, lv, rowNames(res))
		for _, row := range res.Rows {
			out = append(out, sl.node(row, &pend))
		}
	}
	if err := s.expandPending(ctx, p, lv, pend); err != nil {
		return nil, nil, err
	}
	return out, sl, nil
}

// rowNames are the result's column names as the rows carry them.
func rowNames(res *engine.Result) []string {
	names := make([]string, len(res.Rows[0]))
	for i, f := range res.Rows[0] {
		names[i] = f.Name
	}
	return names
}

// expandPending serves the collection-valued expands of level lv (and of
// its single-valued levels) for the entities of pend: one query (per
// chunk of keys) per expand. An expand no entity awaits is planned, not
// run.
func (s *Server) expandPending(ctx context.Context, p *Principal, lv *odataparse.ExpandLevel, pend []parentRef) error {
	by := map[*odataparse.CollectionExpand][]parentRef{}
	for _, ref := range pend {
		by[ref.c] = append(by[ref.c], ref)
	}
	var walk func(lv *odataparse.ExpandLevel) error
	walk = func(lv *odataparse.ExpandLevel) error {
		for _, c := range lv.Many {
			if err := s.expandCollection(ctx, p, c, by[c]); err != nil {
				return err
			}
		}
		for _, se := range lv.Single {
			if err := walk(se.Level); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(lv)
}

// related is one related entity and the expands it awaits.
type related struct {
	node *entityNode
	pend []parentRef
}

func (s *Server) expandCollection(ctx context.Context, p *Principal, c *odataparse.CollectionExpand, refs []parentRef) error {
	var keys []string
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref.key != "" && !seen[ref.key] {
			seen[ref.key] = true
			keys = append(keys, ref.key)
		}
	}
	groups := map[string][]related{}
	// The level every chunk's rows are shaped with, so that their own
	// expands group as one.
	var lv *odataparse.ExpandLevel
	if len(keys) == 0 {
		// No parent reaches it: planned all the same, so that a bad
		// nested option or a missing privilege is refused whatever the data.
		if err := s.checkExpand(ctx, p, c); err != nil {
			return err
		}
	} else {
		x, err := c.Lower()
		if err != nil {
			return err
		}
		lv = x.Level
		s.relatedShape(c, x)
	}
	read := 0
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), expandPageSize)]
		keys = keys[len(chunk):]
		n, err := s.expandRead(ctx, p, c, lv, chunk, read, groups)
		if err != nil {
			return err
		}
		read += n
	}
	// Per parent: $skip, $top, $count; the survivors' own expands next.
	var next []parentRef
	done := map[string]bool{}
	for _, ref := range refs {
		rows := groups[ref.key]
		if ref.key == "" {
			rows = nil
		}
		if c.Count {
			ref.node.counts[ref.k] = len(rows)
		}
		if !pushesTop(c) { // else the statement applied them
			rows = rows[min(int64(len(rows)), c.Skip):]
		}
		if c.HasTop && int64(len(rows)) > c.Top {
			rows = rows[:c.Top]
		}
		if len(rows) > maxExpandPerParent {
			return diagErr(diag.LimitExceeded, "$expand=%s: an entity has %d related rows; at most %d are returned per entity: add $filter or $top inside the $expand", c.Property, len(rows), maxExpandPerParent)
		}
		list := make([]*entityNode, len(rows))
		for i, r := range rows {
			list[i] = r.node
		}
		ref.node.many[ref.k] = list
		if !done[ref.key] {
			done[ref.key] = true
			for _, r := range rows {
				next = append(next, r.pend...)
			}
		}
	}
	if lv == nil {
		return nil
	}
	return s.expandPending(ctx, p, lv, next)
}

// checkExpand plans c's query and those of the collection-valued expands
// inside it, without running them.
func (s *Server) checkExpand(ctx context.Context, p *Principal, c *odataparse.CollectionExpand) error {
	x, err := c.Lower()
	if err != nil {
		return err
	}
	if _, err := s.build(ctx, p, x.Query); err != nil {
		return err
	}
	var walk func(lv *odataparse.ExpandLevel) error
	walk = func(lv *odataparse.ExpandLevel) error {
		for _, se := range lv.Single {
			if err := walk(se.Level); err != nil {
				return err
			}
		}
		for _, m := range lv.Many {
			if err := s.checkExpand(ctx, p, m); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(x.Level)
}

// pushesTop says whether c's per-parent $skip/$top is applied by the
// related rows' statement (a window per foreign key: plan.PartitionLimit)
// rather than in Go after reading every related row. Not with $count,
// which counts them all.
func pushesTop(c *odataparse.CollectionExpand) bool {
	return c.HasTop && c.Top > 0 && !c.Count
}

// expandRead runs c's query for the parents' keys and adds the rows,
// shaped at level lv, to groups by foreign key. before is the number of
// rows read for c so far. With pushesTop, one statement reads each
// parent's $skip/$top rows; otherwise every related row is read (paged).
func (s *Server) expandRead(ctx context.Context, p *Principal, c *odataparse.CollectionExpand, lv *odataparse.ExpandLevel, keys []string, before int, groups map[string][]related) (int, error) {
	if _, ok := s.catalog.Table(c.Nav.Table); !ok {
		return 0, diagErr(diag.NotFound, "$expand=%s: table %s is not exposed", c.Property, c.Nav.Table)
	}
	vals := make([]*ast.Value, len(keys))
	for i, k := range keys {
		vals[i] = &ast.Value{Text: k, Kind: ast.KindText}
	}
	var sl *shapeLevel
	if pushesTop(c) {
		q, err := s.related(c, vals)
		if err != nil {
			return 0, err
		}
		pl, err := s.build(ctx, p, q)
		if err != nil {
			return 0, err
		}
		// A plan a window cannot number as it is falls back to the
		// paged read below (same rows, read in full).
		if wp, err := plan.LimitPerPartition(pl, c.Nav.From, c.Skip, c.Top); err == nil {
			run := *wp
			run.Top = int64(maxExpandRows-before) + 1 // one more: the limit is known to be passed
			pg, err := s.execPage(ctx, p, q, &run, "")
			if err != nil {
				return 0, err
			}
			read, err := s.groupRelated(ctx, c, lv, &sl, pg.result, groups)
			if err != nil {
				return 0, err
			}
			if before+read > maxExpandRows {
				return 0, expandRowsErr(c)
			}
			return read, nil
		}
	}
	read, cookie := 0, ""
	for page := int64(1); ; page++ {
		// Built afresh per page: build rewrites the query it is given.
		q, err := s.related(c, vals)
		if err != nil {
			return 0, err
		}
		q.Count = ast.Int{Value: int64(expandPageSize), Set: true}
		q.Page = ast.Int{Value: page, Set: true}
		if cookie != "" {
			q.PagingCookie = ast.Name{Text: cookie}
		}
		pl, err := s.build(ctx, p, q)
		if err != nil {
			return 0, err
		}
		pg, err := s.execPage(ctx, p, q, pl, cookie)
		if err != nil {
			return 0, err
		}
		n, err := s.groupRelated(ctx, c, lv, &sl, pg.result, groups)
		if err != nil {
			return 0, err
		}
		read += n
		if before+read > maxExpandRows {
			return 0, expandRowsErr(c)
		}
		if !pg.result.MoreRecords || pg.cookie == "" {
			return read, nil
		}
		cookie = pg.cookie
	}
}

// related is c's query for the parents' keys vals, reading the related
// rows' version for their @odata.etag (relatedShape hides it).
func (s *Server) related(c *odataparse.CollectionExpand, vals []*ast.Value) (*ast.Query, error) {
	q, err := c.Related(vals)
	if err != nil {
		return nil, err
	}
	if t, ok := s.catalog.Table(c.Nav.Table); ok {
		addVersion(q, t)
	}
	return q, nil
}

// relatedShape makes the entities of a collection-valued expand the Web
// API's (Microsoft Learn, "Join tables using OData": "Account_Tasks":
// [{"@odata.etag": …, "subject": …, "_regardingobjectid_value": …,
// "activityid": …}]): the lookup to the parent is returned whatever the
// $select names, and the row version is read (related) for the entity's
// @odata.etag, not returned as a property.
func (s *Server) relatedShape(c *odataparse.CollectionExpand, x *odataparse.Expansion) {
	lv := x.Level
	lv.Hidden = slices.DeleteFunc(lv.Hidden, func(h string) bool { return strings.EqualFold(h, c.Nav.From) })
	if t, ok := s.catalog.Table(c.Nav.Table); ok {
		// x.Query is built as related builds each page's query: the
		// version is added to it, and hidden, exactly when it is to them.
		withVersion(x.Query, lv, t)
	}
}

func expandRowsErr(c *odataparse.CollectionExpand) error {
	return diagErr(diag.LimitExceeded, "$expand=%s reads more than %d related rows for this page: add $filter or $top inside the $expand, or ask for fewer entities per page (Prefer: odata.maxpagesize)", c.Property, maxExpandRows)
}

// groupRelated shapes res's rows at level lv (*sl: compiled on the first
// rows) and adds them to groups by c's foreign key; it returns their number.
func (s *Server) groupRelated(ctx context.Context, c *odataparse.CollectionExpand, lv *odataparse.ExpandLevel, sl **shapeLevel, res *engine.Result, groups map[string][]related) (int, error) {
	if len(res.Rows) == 0 {
		return 0, nil
	}
	if *sl == nil {
		*sl = compileLevel(ctx, s.catalog, lv, rowNames(res))
	}
	fk := -1
	for i, f := range res.Rows[0] {
		if !strings.Contains(f.Name, ".") && strings.EqualFold(f.Name, c.Nav.From) {
			fk = i
		}
	}
	if fk < 0 {
		return 0, diagErr(diag.MalformedPlan, "$expand=%s: the query does not return %s", c.Property, c.Nav.From)
	}
	for _, row := range res.Rows {
		var pend []parentRef
		n := (*sl).node(row, &pend)
		k := keyOf(row[fk].Value)
		groups[k] = append(groups[k], related{node: n, pend: pend})
	}
	return len(res.Rows), nil
}

// odataGetExpanded is GET by key with $expand: the entity set's query for
// that key, $select and $expand only (as GET by key reads them).
func (s *Server) odataGetExpanded(w http.ResponseWriter, r *http.Request, p *Principal, t *plan.Table, key string) error {
	if s.cfg.ODataExpandParser == nil {
		return diagErr(diag.UnsupportedFeature, "$expand is not served with a custom OData parser")
	}
	req := s.catalog.entitySet(t)
	var kept []string
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		uk, err := url.QueryUnescape(k)
		if err != nil {
			return diagErr(diag.SyntaxError, "malformed query option name %q", k)
		}
		switch strings.ToLower(strings.TrimPrefix(uk, "$")) {
		case "select", "expand":
			kept = append(kept, part)
		}
	}
	if len(kept) > 0 {
		req += "?" + strings.Join(kept, "&")
	}
	x, err := s.cfg.ODataExpandParser(req)
	if err != nil {
		return err
	}
	q := x.Query
	if q.Entity == nil || !strings.EqualFold(q.Entity.Name.Text, t.LogicalName) {
		return diagErr(diag.MalformedPlan, "the OData parser returned a query of another entity")
	}
	q.Entity.Filters = append(q.Entity.Filters, &ast.Filter{Type: ast.And, Items: []ast.FilterItem{&ast.Condition{
		Attribute: ast.Name{Text: t.PrimaryKey}, Operator: ast.OpEq, Values: []*ast.Value{{Text: key, Kind: ast.KindGuid}},
	}}})
	q.Top = ast.Int{Value: 2, Set: true}
	pl, err := s.build(r.Context(), p, q)
	if err != nil {
		return err
	}
	pg, err := s.execPage(r.Context(), p, q, pl, "")
	if err != nil {
		return err
	}
	if len(pg.result.Rows) == 0 {
		ctx, cancel := contextTimeout(r, s.cfg.QueryTimeout)
		defer cancel()
		return s.missing(ctx, t, key)
	}
	nodes, sl, err := s.odataRows(r.Context(), p, x.Level, pg.result)
	if err != nil {
		return err
	}
	ctx := odataBase(r) + "$metadata#" + s.catalog.entitySet(t) + "/$entity"
	shape := sl.rootShape(ctx)
	ln, err := s.nodeLookupNotes(r.Context(), shape, nodes[:1])
	if err != nil {
		return err
	}
	buf := jsonBodies.Get().(*[]byte)
	b, err := shape.appendEntity(*buf, nodes[0], ln)
	if err == nil {
		b = append(b, '\n')
		if checkNodes != nil {
			checkNodes(s, r, sl, nodes[:1], &odataCollection{context: ctx}, b)
		}
	}
	writeODataBody(w, http.StatusOK, buf, b, err)
	return nil
}

// hasExpand says whether the request has a $expand option.
// The raw query is read: url.Values drops pairs holding a ';', which
// nested options use.
func hasExpand(r *http.Request) bool {
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && strings.EqualFold(strings.TrimPrefix(uk, "$"), "expand") {
			return true
		}
	}
	return false
}
