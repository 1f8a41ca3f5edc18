package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// The direct writers (odatajson.go, sdkjson.go) against the map-based
// writer they replace, kept here as the reference: the maps odataEntity,
// shapeLevel.entity and annotateRow build, encoded as writeEncoded encodes
// them. TestMain installs the checks, so that every request of the
// package's tests that is written directly is compared; the random tests
// below compare typed rows no fixture holds.

var differential struct {
	sync.Mutex
	checked    map[string]int
	mismatches []string
}

// reference encodes v as the server did before the direct writers.
func reference(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("encoding error: " + err.Error())
	}
	return b.Bytes()
}

func record(kind string, got, want []byte) {
	differential.Lock()
	defer differential.Unlock()
	if differential.checked == nil {
		differential.checked = map[string]int{}
	}
	differential.checked[kind]++
	if !bytes.Equal(got, want) {
		differential.mismatches = append(differential.mismatches, fmt.Sprintf("%s:\n got %s\nwant %s", kind, got, want))
	}
}

// refShaper is the map-based writer's shaper: the request's preference
// and the lookup properties awaiting their annotations.
type refShaper struct {
	*webShaper
	notes []lookupNote
}

func newRefShaper(ctx context.Context) *refShaper { return &refShaper{webShaper: shaperOf(ctx)} }

// lookupNote is a lookup property awaiting its annotations.
type lookupNote struct {
	e     map[string]any
	table *plan.Table
	col   *plan.Column
	id    string
}

// set stores a result column's value in e under its property name.
func (sh *refShaper) set(e map[string]any, t *plan.Table, name string, v any) {
	prop, c := odataProperty(t, name)
	e[prop] = v
	if c != nil && sh.on {
		if id, ok := v.(string); ok {
			sh.notes = append(sh.notes, lookupNote{e: e, table: t, col: c, id: id})
		}
	}
}

// annotate writes the collected lookups' annotations.
func (s *Server) refAnnotate(ctx context.Context, sh *refShaper) error {
	if len(sh.notes) == 0 {
		return nil
	}
	refs := map[*plan.Column]map[string]bool{}
	for _, n := range sh.notes {
		if len(n.col.Targets) > 1 {
			if refs[n.col] == nil {
				refs[n.col] = map[string]bool{}
			}
			refs[n.col][canonicalID(n.id)] = true
		}
	}
	types, err := s.lookupTargets(ctx, refs)
	if err != nil {
		return err
	}
	for _, n := range sh.notes {
		target := ""
		if len(n.col.Targets) == 1 {
			target = n.col.Targets[0]
		} else {
			target = types[n.col][canonicalID(n.id)]
		}
		if target == "" {
			continue
		}
		prop := lookupProperty(n.col)
		if sh.ann.wants(annLookupLogicalName) {
			n.e[prop+"@"+annLookupLogicalName] = target
		}
		// The navigation property exists between exposed tables only
		// (navigation()); a target that is not exposed has none to name.
		if _, exposed := s.catalog.Table(target); exposed && sh.ann.wants(annAssociatedNav) {
			n.e[prop+"@"+annAssociatedNav] = plan.NavigationName(n.table, n.col.LogicalName, target)
		}
	}
	sh.notes = nil
	return nil
}

// odataValue is a column value as OData JSON.
func odataValue(v any) any {
	if m, ok := v.([]int64); ok { // multi-select as Edm.String
		parts := make([]string, len(m))
		for i, n := range m {
			parts[i] = fmt.Sprint(n)
		}
		return strings.Join(parts, ",")
	}
	return v
}

// annotate adds a field's formatted value, when the request asks for it,
// to an OData entity of t, under the field's property name (_x_value for a
// lookup). Lookup tables are annotated by the request's shaper (webapi.go).
func annotate(ctx context.Context, t *plan.Table, e map[string]any, f engine.Field) {
	a := annotationsOf(ctx)
	if a == nil || !a.formatted || f.Formatted == nil || !f.Formatted.HasValue {
		return
	}
	prop, _ := odataProperty(t, f.Name)
	e[prop+"@"+engine.FormattedValueAnnotation] = f.Formatted.Value
}

// annotateRow adds the annotations of a row's fields to its OData entity.
func annotateRow(ctx context.Context, t *plan.Table, e map[string]any, row engine.Row) map[string]any {
	for _, f := range row {
		annotate(ctx, t, e, f)
	}
	return e
}

// nodeMap is an entity node as the map-based writer built the entity
// (shapeLevel.entity, expandCollection): its properties through the
// shaper (lookup notes), its @odata.etag, its single-valued expands (null
// without a related row), its collection-valued arrays and counts.
func nodeMap(sh *refShaper, n *entityNode) map[string]any {
	sl, row := n.sl, n.row
	e := map[string]any{}
	for j, i := range sl.at {
		sh.set(e, sl.table, sl.props[j], odataValue(row[i].Value))
		if fv := row[i].Formatted; sl.ann != nil && sl.ann.formatted && fv != nil && fv.HasValue {
			prop, _ := odataProperty(sl.table, sl.props[j])
			e[prop+"@"+engine.FormattedValueAnnotation] = fv.Value
		}
	}
	if sl.verAt >= 0 {
		if tag, ok := entityETag(row[sl.verAt].Value); ok {
			e["@odata.etag"] = tag
		}
	}
	for k := range sl.single {
		prop := sl.lv.Single[k].Property
		if n.singles[k] == nil {
			e[prop] = nil
			continue
		}
		e[prop] = nodeMap(sh, n.singles[k])
	}
	for k, c := range sl.lv.Many {
		if n.many[k] == nil {
			continue
		}
		list := make([]map[string]any, len(n.many[k]))
		for i, rn := range n.many[k] {
			list[i] = nodeMap(sh, rn)
		}
		e[c.Property] = list
		if c.Count {
			e[c.Property+"@odata.count"] = n.counts[k]
		}
	}
	return e
}

// referenceNodes is a page (or an entity by key) with collection-valued
// expands as odataGet (odataGetExpanded) built it.
func referenceNodes(s *Server, ctx context.Context, root *shapeLevel, nodes []*entityNode, coll *odataCollection) any {
	sh := newRefShaper(ctx)
	vals := make([]map[string]any, 0, len(nodes))
	for _, n := range nodes {
		vals = append(vals, nodeMap(sh, n))
	}
	if err := s.refAnnotate(ctx, sh); err != nil {
		return map[string]any{"annotate": err.Error()}
	}
	if strings.HasSuffix(coll.context, "/$entity") { // by key
		vals[0]["@odata.context"] = coll.context
		return vals[0]
	}
	out := map[string]any{"@odata.context": coll.context, "value": vals}
	if coll.hasCount {
		out["@odata.count"] = coll.count
	}
	if coll.next != "" {
		out["@odata.nextLink"] = coll.next
	}
	return out
}

// referenceCollection is a collection page as odataGet built it.
func referenceCollection(s *Server, ctx context.Context, t *plan.Table, level *odataparse.ExpandLevel, coll odataCollection, res *engine.Result) map[string]any {
	sh := newRefShaper(ctx)
	out := map[string]any{"@odata.context": coll.context}
	vals := make([]map[string]any, 0, len(res.Rows))
	if level != nil {
		if len(res.Rows) > 0 {
			sl := compileLevel(ctx, s.catalog, level, rowNames(res))
			var pend []parentRef
			for _, row := range res.Rows {
				vals = append(vals, nodeMap(sh, sl.node(row, &pend)))
			}
		}
	} else {
		for _, row := range res.Rows {
			vals = append(vals, annotateRow(ctx, t, odataEntity(sh, "", t, row), row))
		}
	}
	out["value"] = vals
	if err := s.refAnnotate(ctx, sh); err != nil {
		return map[string]any{"annotate": err.Error()}
	}
	if coll.hasCount {
		out["@odata.count"] = coll.count
	}
	if coll.next != "" {
		out["@odata.nextLink"] = coll.next
	}
	return out
}

// referenceByKey is an entity read by key as writeODataEntity built it.
func referenceByKey(s *Server, ctx context.Context, t *plan.Table, context string, e *Entity, cols ColumnSet, etag string, found bool) map[string]any {
	row := make(engine.Row, 0, len(e.Attributes))
	for _, c := range t.Columns {
		if v, ok := e.Attributes[c.LogicalName]; ok {
			row = append(row, engine.Field{Name: c.LogicalName, Value: v})
		}
	}
	sh := newRefShaper(ctx)
	out := annotateEntity(ctx, t, odataEntity(sh, context, t, row), e)
	for _, c := range t.Columns {
		if _, ok := e.Attributes[c.LogicalName]; !ok && (cols.AllColumns || containsFold(cols.Columns, c.LogicalName)) {
			prop, _ := odataProperty(t, c.LogicalName)
			out[prop] = nil
		}
	}
	if err := s.refAnnotate(ctx, sh); err != nil {
		return map[string]any{"annotate": err.Error()}
	}
	if found {
		out["@odata.etag"] = etag
	}
	return out
}

// referenceFetch is a fetchXml result as odataFetch built it.
func referenceFetch(s *Server, r *http.Request, t *plan.Table, set string, pg *page) map[string]any {
	sh := newRefShaper(r.Context())
	vals := fetchEntities(sh, r, t, pg)
	if err := s.refAnnotate(r.Context(), sh); err != nil {
		return map[string]any{"annotate": err.Error()}
	}
	out := map[string]any{}
	for _, m := range fetchMembers(r, set, pg, vals) {
		out[m.name] = m.v
	}
	return out
}

// The map-based writer's entity builders, used by the server before the
// direct writers and kept here as their reference.

// odataEntity is a row as an OData entity: properties by name, nulls
// included as OData clients expect every declared property.
func odataEntity(sh *refShaper, ctx string, t *plan.Table, row engine.Row) map[string]any {
	e := make(map[string]any, len(row)+2)
	if ctx != "" {
		e["@odata.context"] = ctx
	}
	vc, versioned := versionCol(t)
	for _, f := range row {
		sh.set(e, t, f.Name, odataValue(f.Value))
		if versioned && f.Name == vc.LogicalName {
			if tag, ok := entityETag(f.Value); ok {
				e["@odata.etag"] = tag
			}
		}
	}
	return e
}

// fetchEntities are a fetchXml result's rows as maps: non-null columns,
// their annotations, a versioned table's @odata.etag.
func fetchEntities(sh *refShaper, r *http.Request, t *plan.Table, pg *page) []map[string]any {
	vals := make([]map[string]any, 0, len(pg.result.Rows))
	vc, versioned := versionCol(t)
	for _, row := range pg.result.Rows {
		e := make(map[string]any, len(row)+1)
		for _, f := range row {
			if f.Value != nil {
				sh.set(e, t, f.Name, odataValue(f.Value))
				annotate(r.Context(), t, e, f)
			}
			if versioned && f.Name == vc.LogicalName {
				if tag, ok := entityETag(f.Value); ok {
					e["@odata.etag"] = tag
				}
			}
		}
		vals = append(vals, e)
	}
	return vals
}

// annotateEntity adds the formatted values of a record read through
// Retrieve (sdkFormatted) to its OData entity of t.
func annotateEntity(ctx context.Context, t *plan.Table, out map[string]any, e *Entity) map[string]any {
	if a := annotationsOf(ctx); a == nil || !a.formatted {
		return out
	}
	for k, v := range e.FormattedValues {
		prop, _ := odataProperty(t, k)
		out[prop+"@"+engine.FormattedValueAnnotation] = v
	}
	return out
}

func TestMain(m *testing.M) {
	checkCollection = func(s *Server, r *http.Request, t *plan.Table, level *odataparse.ExpandLevel, coll odataCollection, res *engine.Result, got []byte) {
		record("collection", got, reference(referenceCollection(s, r.Context(), t, level, coll, res)))
	}
	checkByKey = func(s *Server, r *http.Request, t *plan.Table, ctx string, e *Entity, cols ColumnSet, etag string, found bool, got []byte) {
		record("by key", got, reference(referenceByKey(s, r.Context(), t, ctx, e, cols, etag, found)))
	}
	checkSDK = func(v any, got []byte) { record("sdk", got, reference(v)) }
	checkNodes = func(s *Server, r *http.Request, root *shapeLevel, nodes []*entityNode, coll *odataCollection, got []byte) {
		var ref any = map[string]any{"@odata.context": coll.context, "value": []any{}}
		if root != nil {
			ref = referenceNodes(s, r.Context(), root, nodes, coll)
		}
		record("collection-valued $expand", got, reference(ref))
	}
	checkFetch = func(s *Server, r *http.Request, t *plan.Table, set string, pg *page, got []byte) {
		record("fetchXml", got, reference(referenceFetch(s, r, t, set, pg)))
	}
	code := m.Run()
	differential.Lock()
	if len(differential.mismatches) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d responses written directly differ from the map-based writer's:\n%s\n", len(differential.mismatches), strings.Join(differential.mismatches[:min(5, len(differential.mismatches))], "\n"))
		code = 1
	}
	if testing.Verbose() {
		fmt.Printf("differential checks of direct JSON: %v\n", differential.checked)
	}
	differential.Unlock()
	os.Exit(code)
}

// jsonTable is a table with every kind of column the writers meet.
func jsonTable() *plan.Table {
	return plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier, IsPrimaryKey: true},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "description", Type: plan.TMemo},
		{LogicalName: "numberofemployees", Type: plan.TInteger},
		{LogicalName: "versionnumber", Type: plan.TBigInt},
		{LogicalName: "revenue", Type: plan.TMoney},
		{LogicalName: "exchangerate", Type: plan.TDecimal},
		{LogicalName: "ratio", Type: plan.TDouble},
		{LogicalName: "donotemail", Type: plan.TBoolean},
		{LogicalName: "createdon", Type: plan.TDateTime},
		{LogicalName: "parentaccountid", Type: plan.TLookup, Targets: []string{"account"}},
		{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}},
		{LogicalName: "industrycode", Type: plan.TPicklist},
		{LogicalName: "statecode", Type: plan.TState},
		{LogicalName: "hobbies", Type: plan.TMultiSelectPicklist},
	}})
}

func randomDecimal(r *rand.Rand) json.Number {
	switch r.IntN(4) {
	case 0:
		return "922337203685477.5807"
	case 1:
		return "-922337203685477.5808"
	}
	s := strconv.FormatUint(r.Uint64()%1e15, 10)
	if r.IntN(2) == 0 {
		s += "." + strconv.FormatUint(r.Uint64()%1e10, 10)
	}
	if r.IntN(3) == 0 {
		s = "-" + s
	}
	return json.Number(s)
}

// randomField is a value of column c as the engines return it, NULL
// often, sometimes with a formatted value.
func randomField(r *rand.Rand, c *plan.Column) engine.Field {
	f := engine.Field{Name: c.LogicalName}
	if r.IntN(5) == 0 {
		return f
	}
	switch c.Type {
	case plan.TString, plan.TMemo:
		f.Value = testkit.JSONString(r, 20)
	case plan.TInteger, plan.TPicklist, plan.TState:
		f.Value = int64(r.Int32())
	case plan.TBigInt:
		f.Value = int64(r.Uint64())
	case plan.TMoney, plan.TDecimal:
		f.Value = randomDecimal(r)
	case plan.TDouble:
		f.Value = []float64{r.NormFloat64() * math.Pow(10, float64(r.IntN(50)-25)), 1e21, 1e-7, 0, -0.5}[r.IntN(5)]
	case plan.TBoolean:
		f.Value = r.IntN(2) == 0
	case plan.TDateTime:
		f.Value = "2026-12-07T05:08:09Z"
	case plan.TMultiSelectPicklist:
		f.Value = []int64{int64(r.IntN(9)), int64(r.IntN(1e9))}[:1+r.IntN(2)]
	default:
		f.Value = fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), r.Uint64()>>16)
	}
	if r.IntN(3) == 0 {
		f.Formatted = &engine.Formatted{Value: testkit.JSONString(r, 20), HasValue: r.IntN(4) > 0}
	}
	return f
}

func formattedContext() context.Context {
	return context.WithValue(context.Background(), annotationsKey{}, &annotations{formatted: true})
}

// TestDirectJSONRandomRows: random rows of every column type (NULLs,
// unicode, control characters, invalid UTF-8, huge decimals, formatted
// values) written as a collection, by key and as SDK entities equal the
// map-based writer's bytes.
func TestDirectJSONRandomRows(t *testing.T) {
	tab := jsonTable()
	rnd := rand.New(rand.NewPCG(17, 5))
	for i := range 400 {
		ctx := context.Background()
		if i%2 == 1 {
			ctx = formattedContext()
		}
		// A random selection of columns, in random order.
		cols := rnd.Perm(len(tab.Columns))[:1+rnd.IntN(len(tab.Columns))]
		rows := make([]engine.Row, rnd.IntN(4))
		for k := range rows {
			for _, c := range cols {
				rows[k] = append(rows[k], randomField(rnd, tab.Columns[c]))
			}
		}
		res := &engine.Result{Rows: rows}
		coll := odataCollection{context: "http://h/odata/$metadata#accounts<&>", count: rnd.IntN(10), hasCount: rnd.IntN(2) == 0}
		if rnd.IntN(2) == 0 {
			coll.next = "http://h/odata/accounts?$skiptoken=%3Ccookie%3E&x=<>"
		}
		var shape *entityShape
		if len(rows) > 0 {
			shape = flatShape(shaperOf(ctx), tab, rowNames(res), formattedTerms(annotationsOf(ctx)))
		}
		got, err := appendCollection(nil, coll, entityRows{shape: shape, rows: rows})
		want := reference(referenceCollection(nil, ctx, tab, nil, coll, res))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("collection %d (%v):\n got %s\nwant %s", i, err, got, want)
		}
		pg := &page{result: res}
		res.CountRequested, res.MoreRecords, res.TotalRecordCount = coll.hasCount, rnd.IntN(2) == 0, coll.count
		req := httptest.NewRequest("GET", "/odata/accounts?fetchXml=x", nil).WithContext(ctx)
		if len(rows) > 0 {
			shape = fetchShape(shaperOf(ctx), tab, rowNames(res), formattedTerms(annotationsOf(ctx)))
		}
		got, err = appendEntity(nil, fetchMembers(req, "set", pg, entityRows{shape: shape, rows: rows}))
		if want := reference(referenceFetch(nil, req, tab, "set", pg)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("fetchXml %d (%v):\n got %s\nwant %s", i, err, got, want)
		}
		for _, row := range rows {
			e := toEntity(tab, row)
			sdkFormatted(ctx, e, row)
			etag, found := "", rnd.IntN(2) == 0
			if found {
				etag = `W/"` + strconv.Itoa(rnd.IntN(1e6)) + `"`
			}
			cols := ColumnSet{AllColumns: rnd.IntN(2) == 0, Columns: []string{tab.Columns[rnd.IntN(len(tab.Columns))].LogicalName}}
			got, err := appendEntity(nil, byKeyMembers(httptest.NewRequest("GET", "/", nil).WithContext(ctx), tab, "ctx", e, cols, etag, found))
			if want := reference(referenceByKey(nil, ctx, tab, "ctx", e, cols, etag, found)); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("by key %d (%v):\n got %s\nwant %s", i, err, got, want)
			}
			var refs []*sdkRef
			out := make([]*plan.OutputColumn, len(row))
			for k, f := range row {
				c, _ := tab.Column(f.Name)
				out[k] = &plan.OutputColumn{Column: c, Aggregate: ast.NoAggregate}
			}
			se := sdkEntity(tab, row, out, &refs)
			for k, ref := range refs {
				if k%2 == 0 {
					ref.ref.Name = testkit.JSONString(rnd, 20)
				}
			}
			sdkFormatted(ctx, se, row)
			got, err = appendSDKEntity(nil, se)
			if want := reference(se); err != nil || !bytes.Equal(append(got, '\n'), want) {
				t.Fatalf("sdk entity %d (%v):\n got %s\nwant %s", i, err, got, want)
			}
			ec := &EntityCollection{EntityName: "account", Entities: []*Entity{se, nil}, MoreRecords: true, PagingCookie: "<cookie page=\"1\">", TotalRecordCount: -1}
			got, err = appendSDKCollection(nil, ec)
			if want := reference(ec); err != nil || !bytes.Equal(append(got, '\n'), want) {
				t.Fatalf("sdk collection %d (%v):\n got %s\nwant %s", i, err, got, want)
			}
		}
	}
}

// TestDirectJSONRefusesWhatEncodingJSONRefuses: a value encoding/json
// cannot write (NaN) is an error, answered 500 as before.
func TestDirectJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	tab := jsonTable()
	rows := []engine.Row{{{Name: "ratio", Value: math.NaN()}}}
	shape := flatShape(nil, tab, []string{"ratio"}, nil)
	if _, err := appendCollection(nil, odataCollection{context: "c"}, entityRows{shape: shape, rows: rows}); err == nil {
		t.Fatal("NaN written")
	}
	w := httptest.NewRecorder()
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendCollection(*buf, odataCollection{context: "c"}, entityRows{shape: shape, rows: rows})
	writeODataBody(w, http.StatusOK, buf, b, err)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "0x80040216") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}
