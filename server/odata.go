package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// The OData v4 endpoint lives under /odata/: entity sets by their
// EntitySetName, keys as accounts(GUID) (quoted or not), $metadata in CSDL
// XML. Lookups are plain Edm.Guid properties named as the column (the v4
// flavour, not the Dataverse _x_value one).

const odataNS = "vecompile"

// edmType is the CSDL type of a column.
func edmType(c *plan.Column) string {
	switch c.Type {
	case plan.TInteger, plan.TPicklist, plan.TState, plan.TStatus:
		return "Edm.Int32"
	case plan.TBigInt:
		return "Edm.Int64"
	case plan.TDecimal, plan.TMoney:
		return "Edm.Decimal"
	case plan.TDouble:
		return "Edm.Double"
	case plan.TBoolean:
		return "Edm.Boolean"
	case plan.TDateTime:
		if c.DateBehavior == plan.DateOnly {
			return "Edm.Date"
		}
		return "Edm.DateTimeOffset"
	case plan.TUniqueidentifier, plan.TLookup, plan.TOwner, plan.TCustomer:
		return "Edm.Guid"
	}
	return "Edm.String"
}

// navProperty is a navigation property of $metadata.
type navProperty struct {
	name   string
	target *plan.Table
	column string // the lookup (single-valued)
	many   bool   // collection-valued: the rows whose lookup points here
}

// navigation lists a table's navigation properties between exposed
// tables, named as Dataverse names them by plan.NavigationName (a
// one-target lookup's is its own name, primarycontactid, whose value is
// the property _primarycontactid_value; a customer or owner lookup's
// <lookup>_<target>, parentcustomerid_account) and
// plan.CollectionNavigationName (a 1:N relationship's schema name,
// contact_customer_accounts), or the organization's names read from a CSDL
// $metadata; emit/odata and $expand use the same functions. A name that collides with a property or an
// earlier navigation property is left out. Declared for clients that read
// the model and served by $expand (expand.go).
func (e *exposure) navigation(t *plan.Table) []navProperty {
	var out []navProperty
	used := map[string]bool{}
	for _, c := range t.Columns {
		name, _ := odataProperty(t, c.LogicalName)
		used[strings.ToLower(name)] = true
	}
	add := func(n navProperty) {
		if k := strings.ToLower(n.name); !used[k] {
			used[k] = true
			out = append(out, n)
		}
	}
	for _, c := range t.Columns {
		if !engine.IsLookup(c.Type) {
			continue
		}
		for _, tg := range c.Targets {
			if target, ok := e.Table(tg); ok && target.PrimaryKey != "" {
				add(navProperty{name: plan.NavigationName(t, c.LogicalName, target.LogicalName), target: target, column: c.LogicalName})
			}
		}
	}
	for _, r := range t.Relationships {
		if r.SchemaName == "" || r.Kind != plan.OneToMany || !strings.EqualFold(r.ReferencedTable, t.LogicalName) {
			continue
		}
		if from, ok := e.Table(r.ReferencingTable); ok {
			add(navProperty{name: plan.CollectionNavigationName(r), target: from, many: true})
		}
	}
	return out
}

// odataService is the service document: the entity sets.
func (s *Server) odataService(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	type set struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		URL  string `json:"url"`
	}
	out := struct {
		Context string `json:"@odata.context"`
		Value   []set  `json:"value"`
	}{Context: odataBase(r) + "$metadata"}
	for _, t := range s.catalog.tables {
		n := s.catalog.entitySet(t)
		out.Value = append(out.Value, set{Name: n, Kind: "EntitySet", URL: n})
	}
	writeOData(w, http.StatusOK, out)
	return nil
}

func odataBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/odata/"
}

func writeOData(w http.ResponseWriter, status int, v any) {
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	writeEncoded(w, status, v)
}

// splitResource splits "set" or "set(KEY)": the set's name (a letter or
// '_', then letters, digits, '_'), and the text between the parentheses,
// which holds no line break; ok false for anything else. It is read per
// request, so by hand (the regular expression
// ^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$ it replaced is its test's
// reference).
func splitResource(res string) (name, key string, ok bool) {
	i := 0
	for i < len(res) && (res[i] == '_' || res[i]|0x20 >= 'a' && res[i]|0x20 <= 'z' || i > 0 && res[i] >= '0' && res[i] <= '9') {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	if i == len(res) {
		return res, "", true
	}
	if res[i] != '(' || len(res) < i+2 || res[len(res)-1] != ')' {
		return "", "", false
	}
	key = res[i+1 : len(res)-1]
	if strings.IndexByte(key, '\n') >= 0 {
		return "", "", false
	}
	return res[:i], key, true
}

// resource parses "accounts" or "accounts(KEY)"; KEY may be quoted, or
// "accountid=KEY".
func (s *Server) resource(res string) (*plan.Table, string, bool, error) {
	setName, key, ok := splitResource(res)
	if !ok {
		return nil, "", false, diagErr(diag.NotFound, "no OData resource %q", res)
	}
	t, ok := s.catalog.bySet[strings.ToLower(setName)]
	if !ok {
		return nil, "", false, diagErr(diag.NotFound, "no entity set %q", setName)
	}
	if !strings.HasSuffix(res, ")") {
		return t, "", false, nil
	}
	if name, v, ok := strings.Cut(key, "="); ok {
		if !strings.EqualFold(strings.TrimSpace(name), t.PrimaryKey) {
			return nil, "", false, diagErr(diag.UnknownColumn, "%s is not the key of %s", name, setName)
		}
		key = v
	}
	key = strings.Trim(strings.TrimSpace(key), "'")
	g, err := recordID(t, key)
	if err != nil {
		return nil, "", false, err
	}
	return t, g, true, nil
}

func (s *Server) odataGet(w http.ResponseWriter, r *http.Request, p *Principal) error {
	r = withAnnotations(w, r)
	t, key, byKey, err := s.resource(r.PathValue("res"))
	if err != nil {
		return err
	}
	_, r = newShaper(w, r)
	set := s.catalog.entitySet(t)
	if byKey {
		opts, err := allowOptions(r, set+"(id)", "$select", "$expand")
		if err != nil {
			return err
		}
		if hasExpand(r) {
			return s.odataGetExpanded(w, r, p, t, key)
		}
		cols, err := selectedColumns(opts)
		if err != nil {
			return err
		}
		return s.writeODataEntity(w, r, p, t, key, cols, http.StatusOK)
	}
	opts, err := queryOptions(r)
	if err != nil {
		return err
	}
	for _, o := range opts {
		switch {
		case o.key == "fetchxml":
			return s.odataFetch(w, r, p, t, opts)
		case strings.HasPrefix(o.key, "$"), strings.HasPrefix(o.key, "@"):
		default:
			return refuseOption(o, set)
		}
	}
	pref := maxPageSize(r.Header.Get("Prefer"))
	token := r.URL.Query().Get("$skiptoken")
	// The compiled-request cache holds first pages: a continuation's
	// token is another text each time.
	request := ""
	if !strings.Contains(r.URL.RawQuery, "skiptoken") {
		request = requestText("odata", set, r.URL.RawQuery, strconv.FormatInt(pref, 10))
	}
	c, err := s.compiledRead(r.Context(), p, request, true, func() (*ast.Query, *odataparse.ExpandLevel, error) {
		q, level, _, err := s.odataQuery(r, t)
		if err != nil {
			return nil, nil, err
		}
		withVersion(q, level, t)
		if q.Top.Set && q.Top.Value == 0 {
			return q, level, nil // planned for its errors, never run
		}
		if pref > 0 && !q.Top.Set {
			q.Count = ast.Int{Value: min(pref, MaxPageSize), Set: true}
		}
		if token != "" {
			c, err := s.paging.open(token)
			if err != nil {
				return nil, nil, err
			}
			if !q.Count.Set {
				q.Count = ast.Int{Value: MaxPageSize, Set: true}
			}
			q.Page = ast.Int{Value: c.Page + 1, Set: true}
			q.PagingCookie = ast.Name{Text: token}
		}
		return q, level, nil
	})
	if err != nil {
		return err
	}
	q, level := c.q, c.level
	if q.Top.Set && q.Top.Value == 0 {
		// OData's $top=0 asks for no rows (OData 4.01 part 1 §11.2.6.3);
		// the plan has no "top 0", which would read as no limit. The query
		// is still planned, so that its errors are reported.
		writeOData(w, http.StatusOK, map[string]any{"@odata.context": odataBase(r) + "$metadata#" + set, "value": []any{}})
		return nil
	}
	if pref > 0 && !q.Top.Set {
		w.Header().Add("Preference-Applied", "odata.maxpagesize="+strconv.FormatInt(q.Count.Value, 10))
	}
	pg, err := s.execCompiled(r.Context(), p, c, token)
	if err != nil {
		return err
	}
	coll := odataCollection{context: odataBase(r) + "$metadata#" + set}
	if pg.result.CountRequested {
		coll.count, coll.hasCount = pg.result.TotalRecordCount, true
	}
	if pg.result.MoreRecords && pg.cookie != "" {
		coll.next = nextLink(r, pg.cookie)
	}
	if level == nil || !expandsCollections(level) {
		return s.writeODataRows(w, r, t, c, coll, pg.result)
	}
	// Collection-valued expands: each entity a node whose arrays their
	// queries fill in before the page is written.
	nodes, sl, err := s.odataRows(r.Context(), p, level, pg.result)
	if err != nil {
		return err
	}
	var shape *entityShape
	if sl != nil {
		shape = sl.rootShape("")
	}
	ln, err := s.nodeLookupNotes(r.Context(), shape, nodes)
	if err != nil {
		return err
	}
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendCollection(*buf, coll, entityRows{shape: shape, nodes: nodes, notes: ln})
	if checkNodes != nil && err == nil {
		checkNodes(s, r, sl, nodes, &coll, b)
	}
	writeODataBody(w, http.StatusOK, buf, b, err)
	return nil
}

// nextLink is a collection's next page: the options as received
// (url.Values would drop the pairs holding a ';', as nested $expand
// options do), the token replaced.
func nextLink(r *http.Request, cookie string) string {
	var parts []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); part == "" || err == nil && uk == "$skiptoken" {
			continue
		}
		parts = append(parts, part)
	}
	parts = append(parts, "$skiptoken="+url.QueryEscape(cookie))
	return odataBase(r) + strings.TrimPrefix(r.URL.EscapedPath(), "/odata/") + "?" + strings.Join(parts, "&")
}

// writeODataRows writes a collection page without collection-valued
// expands straight from its rows.
func (s *Server) writeODataRows(w http.ResponseWriter, r *http.Request, t *plan.Table, c *compiled, coll odataCollection, res *engine.Result) error {
	level := c.level
	var shape *entityShape
	if len(res.Rows) > 0 {
		names := rowNames(res)
		ann := annotationsOf(r.Context())
		sh := shaperOf(r.Context())
		plain := ann == nil && sh == &plainShaper
		if plain {
			shape = c.plainShape(names)
		}
		if shape == nil {
			if level == nil {
				shape = flatShape(sh, t, names, formattedTerms(ann))
			} else {
				shape = compileLevel(r.Context(), s.catalog, level, names).shape
			}
			if plain {
				c.keepPlainShape(names, shape)
			}
		}
	}
	ln, err := s.lookupNotes(r.Context(), shape, res.Rows)
	if err != nil {
		return err
	}
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendCollection(*buf, coll, entityRows{shape: shape, rows: res.Rows, notes: ln})
	if checkCollection != nil && err == nil {
		checkCollection(s, r, t, level, coll, res, b)
	}
	writeODataBody(w, http.StatusOK, buf, b, err)
	return nil
}

// maxPageSize reads odata.maxpagesize from a Prefer header.
func maxPageSize(prefer string) int64 {
	for _, part := range strings.Split(prefer, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// odataQuery builds the query of a collection GET with the OData parser
// and returns the skip token (the server's paging cookie, not a query
// option). With the expand parser it also returns the result's levels for
// nesting $expand (nil: rows are returned flat).
func (s *Server) odataQuery(r *http.Request, t *plan.Table) (*ast.Query, *odataparse.ExpandLevel, string, error) {
	token := r.URL.Query().Get("$skiptoken")
	// The options as received (percent-encoded), without the skip token.
	req := s.catalog.entitySet(t)
	var kept []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); part == "" || err == nil && uk == "$skiptoken" {
			continue
		}
		kept = append(kept, part)
	}
	if len(kept) > 0 {
		req += "?" + strings.Join(kept, "&")
	}
	var q *ast.Query
	var level *odataparse.ExpandLevel
	if s.cfg.ODataExpandParser != nil {
		x, err := s.cfg.ODataExpandParser(req)
		if err != nil {
			return nil, nil, "", err
		}
		q, level = x.Query, x.Level
	} else {
		var err error
		if q, err = s.cfg.ODataParser(req); err != nil {
			return nil, nil, "", err
		}
	}
	if q == nil || q.Entity == nil || !strings.EqualFold(q.Entity.Name.Text, t.LogicalName) {
		return nil, nil, "", diagErr(diag.MalformedPlan, "the OData parser returned a query of another entity")
	}
	if q.Top.Value > MaxPageSize {
		return nil, nil, "", diagErr(diag.LimitExceeded, "$top=%d: at most %d", q.Top.Value, MaxPageSize)
	}
	return q, level, token, nil
}

func splitComma(s string) []string {
	out := make([]string, 0, strings.Count(s, ",")+1)
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// odataCount is GET /odata/set/$count: the number of rows the caller can
// read, capped at 5,000 as Dataverse caps it.
func (s *Server) odataCount(w http.ResponseWriter, r *http.Request, p *Principal) error {
	t, _, byKey, err := s.resource(r.PathValue("res"))
	if err != nil {
		return err
	}
	if byKey {
		return diagErr(diag.NotFound, "$count applies to a collection")
	}
	q, _, _, err := s.odataQuery(r, t)
	if err != nil {
		return err
	}
	q.Top = ast.Int{}
	pl, err := s.build(r.Context(), p, q)
	if err != nil {
		return err
	}
	d, _ := sqlemit.DialectByName(s.cfg.DB.Dialect)
	st, err := sqlemit.EmitCount(pl, d)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	n, err := s.cfg.DB.Count(ctx, st)
	if err != nil {
		return err
	}
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(strconv.FormatInt(min(n, int64(plan.TotalRecordCountLimit)), 10)))
	return nil
}

// odataBody reads an entity body (odataAttributes reads its properties).
func (s *Server) odataBody(r *http.Request) (map[string]any, error) {
	var m map[string]any
	b, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkJSON(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, diagErr(diag.SyntaxError, "the request body is not a JSON object")
	}
	return m, nil
}

// odataEntityBody reads a POST or PATCH body's properties for table t.
func (s *Server) odataEntityBody(r *http.Request, t *plan.Table) ([]spelling, error) {
	m, err := s.odataBody(r)
	if err != nil {
		return nil, err
	}
	return s.odataAttributes(t, m)
}

// writeODataEntity reads one record as the principal and writes it as an
// OData entity.
func (s *Server) writeODataEntity(w http.ResponseWriter, r *http.Request, p *Principal, t *plan.Table, key string, cols ColumnSet, status int) error {
	e, etag, found, err := s.retrieveWithETag(r, p, t, key, cols)
	if err != nil {
		return err
	}
	ctx := odataBase(r) + "$metadata#" + s.catalog.entitySet(t) + "/$entity"
	lookups, err := s.byKeyLookups(r.Context(), shaperOf(r.Context()), t, e)
	if err != nil {
		return err
	}
	if found {
		w.Header()[hETag] = []string{etag}
	}
	if r.Method == http.MethodGet {
		if err := readPrecondition(w, r, etag); err != nil {
			return err
		}
		if notModified(r, etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendEntity(*buf, append(byKeyMembers(r, t, ctx, e, cols, etag, found), lookups...))
	if checkByKey != nil && err == nil {
		checkByKey(s, r, t, ctx, e, cols, etag, found, b)
	}
	writeODataBody(w, status, buf, b, err)
	return nil
}

// byKeyLookups are the lookup annotations of an entity read by key, when
// the request asks for them.
func (s *Server) byKeyLookups(ctx context.Context, sh *webShaper, t *plan.Table, e *Entity) ([]entityMember, error) {
	if !sh.on {
		return nil, nil
	}
	var row engine.Row
	var ms []member
	for _, c := range t.Columns {
		if v, ok := e.Attributes[c.LogicalName]; ok {
			ms = append(ms, lookupMembers(sh, t, c.LogicalName, len(row))...)
			row = append(row, engine.Field{Name: c.LogicalName, Value: v})
		}
	}
	shape := newShape(ms)
	ln, err := s.lookupNotes(ctx, shape, []engine.Row{row})
	if err != nil {
		return nil, err
	}
	var out []entityMember
	for _, m := range shape.members {
		if id, ok := row[m.col].Value.(string); ok {
			if v, ok := ln.annotation(m.kind, m.table, m.lookup, id); ok {
				out = append(out, entityMember{name: m.name, v: v})
			}
		}
	}
	return out, nil
}

// byKeyMembers are the members of an entity read by key, set in the order
// the map-based writer set them (the last of equal
// names wins): the context, the selected attributes in the table's column
// order, null ones as null (a versioned row's @odata.etag after its
// version), the requested
// formatted values, the tag read with the row.
func byKeyMembers(r *http.Request, t *plan.Table, ctx string, e *Entity, cols ColumnSet, etag string, found bool) []entityMember {
	ms := make([]entityMember, 0, len(e.Attributes)+len(e.FormattedValues)+3)
	ms = append(ms, entityMember{name: "@odata.context", v: ctx})
	vc, versioned := versionCol(t)
	for _, c := range t.Columns {
		v, ok := e.Attributes[c.LogicalName]
		if !ok {
			// The Retrieve leaves nulls out, as the SDK does; the Web API
			// writes a selected property that is null as null, as a
			// collection read does.
			if cols.AllColumns || containsFold(cols.Columns, c.LogicalName) {
				prop, _ := odataProperty(t, c.LogicalName)
				ms = append(ms, entityMember{name: prop, v: nil})
			}
			continue
		}
		prop, _ := odataProperty(t, c.LogicalName)
		ms = append(ms, entityMember{name: prop, v: v})
		if versioned && c.LogicalName == vc.LogicalName {
			if tag, ok := entityETag(v); ok {
				ms = append(ms, entityMember{name: "@odata.etag", v: tag})
			}
		}
	}
	if a := annotationsOf(r.Context()); a != nil && a.formatted {
		for k, v := range e.FormattedValues {
			prop, _ := odataProperty(t, k)
			ms = append(ms, entityMember{name: prop + "@" + engine.FormattedValueAnnotation, v: v})
		}
	}
	if found {
		ms = append(ms, entityMember{name: "@odata.etag", v: etag})
	}
	return ms
}

// withVersion adds a versioned table's row version to a collection
// query that selects columns without it, hidden from the output, so that
// every entity carries its @odata.etag.
func withVersion(q *ast.Query, level *odataparse.ExpandLevel, t *plan.Table) {
	if level == nil {
		return
	}
	if vc, added := addVersion(q, t); added {
		level.Hidden = append(level.Hidden, vc)
	}
}

// addVersion adds t's row version to q when q selects columns without
// it, and returns its name.
func addVersion(q *ast.Query, t *plan.Table) (string, bool) {
	vc, ok := versionCol(t)
	if !ok || q.Entity == nil || len(q.Entity.Attributes) == 0 || q.Aggregate.Value || q.Distinct.Value {
		return "", false
	}
	for _, a := range q.Entity.Attributes {
		if strings.EqualFold(a.Name.Text, vc.LogicalName) || a.Aggregate != ast.NoAggregate {
			return "", false
		}
	}
	q.Entity.Attributes = append(q.Entity.Attributes, &ast.Attribute{Name: ast.Name{Text: vc.LogicalName}})
	return vc.LogicalName, true
}

// selectedColumns is the ColumnSet of a $select among opts: every column
// without one.
func selectedColumns(opts []queryOption) (ColumnSet, error) {
	sel, has, err := optionValue(opts, "$select")
	if err != nil || !has {
		return ColumnSet{AllColumns: true}, err
	}
	cols := splitComma(sel)
	if len(cols) == 0 {
		return ColumnSet{}, diagErr(diag.SyntaxError, "$select names no column")
	}
	for i, c := range cols {
		// A lookup's property _x_value names the column x, as the OData
		// parser reads it (parse/odata property).
		if len(c) > 7 && c[0] == '_' && strings.HasSuffix(c, "_value") {
			cols[i] = c[1 : len(c)-6]
		}
	}
	return ColumnSet{Columns: cols}, nil
}

// representationColumns reads a write's $select, which shapes the entity
// Prefer: return=representation returns; without that preference there is
// no entity to shape, and $select is refused rather than skipped.
func representationColumns(r *http.Request) (ColumnSet, error) {
	opts, err := queryOptions(r)
	if err != nil {
		return ColumnSet{}, err
	}
	if _, has, _ := optionValue(opts, "$select"); has && !wantsRepresentation(r) {
		return ColumnSet{}, diagErr(diag.ConflictingOptions, "$select on %s shapes the returned entity: send Prefer: return=representation with it", r.Method)
	}
	return selectedColumns(opts)
}

// wantsRepresentation reads Prefer: return=representation.
func wantsRepresentation(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Prefer"), ",") {
		if strings.EqualFold(strings.TrimSpace(part), "return=representation") {
			return true
		}
	}
	return false
}

func (s *Server) odataPost(w http.ResponseWriter, r *http.Request, p *Principal) error {
	t, _, byKey, err := s.resource(r.PathValue("res"))
	if err != nil {
		return err
	}
	if byKey {
		return diagErr(diag.NotFound, "POST creates in a collection, not at a key")
	}
	cols, err := representationColumns(r)
	if err != nil {
		return err
	}
	attrs, err := s.odataEntityBody(r, t)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	id, replayed, err := s.createRecord(r.Context(), p, t.LogicalName, "", attrs, key)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	loc := odataBase(r) + s.catalog.entitySet(t) + "(" + id + ")"
	w.Header().Set("OData-EntityId", loc)
	w.Header().Set("Location", loc)
	if wantsRepresentation(r) {
		if answered, err := s.representWritten(w, r, p, t, id, cols, http.StatusCreated); answered || err != nil {
			return err
		}
	}
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) odataPatch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	t, key, byKey, err := s.resource(r.PathValue("res"))
	if err != nil {
		return err
	}
	if !byKey {
		return diagErr(diag.NotFound, "PATCH needs a key: %s(id)", s.catalog.entitySet(t))
	}
	cols, err := representationColumns(r)
	if err != nil {
		return err
	}
	attrs, err := s.odataEntityBody(r, t)
	if err != nil {
		return err
	}
	cond, err := writePrecondition(r)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if cond != nil && cond.noRow {
		// If-None-Match: * makes PATCH a create at this key, never an
		// update: a row already there fails the precondition.
		if _, _, err := s.createRecord(r.Context(), p, t.LogicalName, key, attrs, ""); err != nil {
			if diag.CodeOf(classify(r.Context(), err)) == diag.Conflict {
				if _, found, rerr := s.rowETag(r.Context(), s.cfg.DB.SQL, t, key, false); rerr == nil && found {
					return diagErr(diag.PreconditionFailed, "%s %s exists (If-None-Match: *)", t.LogicalName, key)
				}
			}
			return err
		}
		status = http.StatusCreated
	} else if err := s.updateRecord(r.Context(), p, t.LogicalName, key, attrs, cond); err != nil {
		return err
	}
	if wantsRepresentation(r) {
		if answered, err := s.representWritten(w, r, p, t, key, cols, status); answered || err != nil {
			return err
		}
	}
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) odataDelete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	t, key, byKey, err := s.resource(r.PathValue("res"))
	if err != nil {
		return err
	}
	if !byKey {
		return diagErr(diag.NotFound, "DELETE needs a key: %s(id)", s.catalog.entitySet(t))
	}
	cond, err := writePrecondition(r)
	if err != nil {
		return err
	}
	if err := s.deleteRecord(r.Context(), p, t.LogicalName, key, cond); err != nil {
		return err
	}
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
