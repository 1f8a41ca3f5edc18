package plan

import (
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/diag"
)

// Options is everything Build resolves a query against.
type Options struct {
	Catalog   Catalog
	Now       time.Time      // the clock; relative dates resolve against it (zero: time.Now())
	Zone      *time.Location // the caller's time zone (nil: UTC)
	WeekStart time.Weekday   // first day of the week (default Sunday)
	Fiscal    *Fiscal        // nil: fiscal operators are an error
	// Caller is who identity operators resolve against. Nil is an error,
	// except in untyped mode (catalog Untyped), where the caller's id is
	// the bind parameter Param{CallerParam} and the rest of the caller
	// context comes from subqueries over Dataverse's tables (systemuser,
	// teammembership, usersettings); parts Caller.Unknown marks come from
	// those subqueries too.
	Caller *Caller
	// HierarchyDepth is how many levels of reports the manager hierarchy
	// gives eq-useroruserhierarchy when untyped mode reads it from
	// systemuser (0: 3, Dataverse's default).
	HierarchyDepth int
	// Security injects row filters per data source; nil means security is
	// off, which the plan records and `vecompile plan` prints.
	Security SecurityProvider
	// QuickFindLimitDisabled is the organization setting that turns the
	// quick-find record limit off (a filter's
	// overridequickfindrecordlimitenabled still forces it on).
	QuickFindLimitDisabled bool
	// QuickFindRecordLimit is the organization's quick-find record limit
	// (0: Dataverse's default, QuickFindRecordLimit).
	QuickFindRecordLimit int64
	// AccentSensitive makes string comparisons, sorting and grouping
	// accent-sensitive (the collation of the base languages listed in spec
	// §5.3); the zero value is Dataverse's default collation, case- and
	// accent-insensitive. The plan carries it to the emitter.
	AccentSensitive bool
	// LookupNames asks, for every lookup output column of a query that
	// does not aggregate, for the related record's primary name
	// and target (Plan.LookupNames): formatted values read them in the
	// same statement.
	LookupNames bool
}

// SecurityProvider returns the row filter for one data source, expressed
// as an ast filter over the source's own columns, which Build resolves like
// a user filter. A nil filter with a nil error means "no rows" (deny by
// default).
type SecurityProvider interface {
	RowFilter(table *Table) (filter *ast.Filter, policies []string, err error)
}

// AccentSensitiveLanguage reports whether an organization with base
// language lcid has an accent-sensitive collation (spec §5.3 lists 18 LCIDs: Finnish
// 1035, Romanian 1048, Swedish 1053 …); every other base language's is
// accent-insensitive. Options.AccentSensitive is the setting.
func AccentSensitiveLanguage(lcid int) bool { return collate.AccentSensitiveLanguage(lcid) }

// HierarchyMaxDepth is Dataverse's recursion limit for under/above.
const HierarchyMaxDepth = 100

// TotalRecordCountLimit caps returntotalrecordcount, as Dataverse does.
const TotalRecordCountLimit = 5000

// QuickFindRecordLimit is Dataverse's default quick-find record limit: a
// quick-find filter matching more rows fails the query
// (QuickFindQueryRecordLimitExceeded).
const QuickFindRecordLimit = 10000

// AggregateRecordLimit is Dataverse's limit on the input rows of an
// aggregate query (spec §1.9, §5.9); fetch/@aggregatelimit can only lower
// it.
const AggregateRecordLimit = 50000

// builder holds the state of one Build call.
type builder struct {
	opt  Options
	src  *diag.Source
	errs diag.ErrorList
	a    arena
	plan *Plan
	// named holds the root and every link source, in declaration order;
	// queries hold at most 16, so lookups are linear scans, not maps.
	named []*DataSource
	links []linkSource
	// autoAlias counts unaliased links per table for <table>1, <table>2 …
	autoAlias []tableCount
	// linkOrders are orders declared inside link-entities; they apply after
	// every root order (spec §1.4).
	linkOrders []*SortKey
	// rawOrder is fetch/@useraworderby: choices sort by value, not label.
	rawOrder bool
	aliased  []*OutputColumn // outputs with an attribute alias
}

type linkSource struct {
	node   *ast.LinkEntity
	ds     *DataSource
	parent *DataSource // the source the link is declared under
}

type tableCount struct {
	table string
	n     int
}

// sourceOf returns the data source declared for a link-entity node.
func (b *builder) sourceOf(l *ast.LinkEntity) *DataSource {
	for _, x := range b.links {
		if x.node == l {
			return x.ds
		}
	}
	return nil
}

// lookup finds a data source by alias (case-insensitive).
func (b *builder) lookup(name string) *DataSource {
	for _, ds := range b.named {
		if strings.EqualFold(ds.Name, name) {
			return ds
		}
	}
	return nil
}

// lookupRef finds the data source a condition or order names: an alias,
// or the table name of a link declared without one (FetchXML allows both
// for entityname). A table name two unaliased links share is ambiguous.
func (b *builder) lookupRef(name string) (ds *DataSource, ambiguous bool) {
	if ds := b.lookup(name); ds != nil {
		return ds, false
	}
	for _, l := range b.links {
		if !l.node.Alias.IsSet() && strings.EqualFold(l.ds.Table.LogicalName, name) {
			if ds != nil {
				return nil, true
			}
			ds = l.ds
		}
	}
	return ds, false
}

// aliasOutput looks up an output column by its attribute alias.
func (b *builder) aliasOutput(alias string) *OutputColumn {
	for _, oc := range b.aliased {
		if strings.EqualFold(oc.Name, alias) {
			return oc
		}
	}
	return nil
}

// bailout stops the build once the error list is full.
type bailout struct{}

// warnf records an assumption untyped mode made (Plan.Warnings).
func (b *builder) warnf(sp diag.Span, format string, args ...any) {
	b.plan.Warnings.Add(diag.Errorf(b.src, sp, diag.AssumedMetadata, format, args...))
}

// untyped reports whether the query is compiled without metadata.
func (b *builder) untyped() bool {
	_, ok := b.opt.Catalog.(Untyped)
	return ok
}

func (b *builder) errorf(sp diag.Span, code diag.Code, format string, args ...any) {
	b.errs.Add(diag.Errorf(b.src, sp, code, format, args...))
	if b.errs.Full() {
		panic(bailout{})
	}
}

// Build compiles q into a plan. Errors come back as a diag.ErrorList with
// positions into q.Source.
func Build(q *ast.Query, opt Options) (p *Plan, err error) {
	if opt.Catalog == nil {
		opt.Catalog = Untyped{}
	}
	if opt.Caller != nil {
		if err := opt.Caller.Check(); err != nil {
			return nil, err
		}
	}
	if opt.Zone == nil {
		opt.Zone = time.UTC
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	b := &builder{opt: opt, src: q.Source}
	b.a.setSize(countNodes(q))
	b.plan = &Plan{}
	b.plan.Context = Context{Now: opt.Now, Zone: opt.Zone, WeekStart: opt.WeekStart, Fiscal: opt.Fiscal, Caller: opt.Caller}
	b.plan.Source = q.Source
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			p, err = nil, b.errs
		}
	}()
	b.build(q)
	if len(b.errs) > 0 {
		b.errs.Sort()
		return nil, b.errs
	}
	return b.plan, nil
}

func (b *builder) build(q *ast.Query) {
	if q.Entity == nil {
		b.errorf(q.Span, diag.MissingEntity, "the query has no entity")
		return
	}
	p := b.plan
	p.Aggregate = q.Aggregate.Value
	p.Distinct = q.Distinct.Value && !p.Aggregate
	p.NoLock = q.NoLock.Value
	p.Top = q.Top.Value
	if q.Count.Set || q.Page.Set {
		p.PageSize = 5000
		if q.Count.Set {
			p.PageSize = q.Count.Value
		}
		p.PageNumber = 1
		if q.Page.Set {
			p.PageNumber = q.Page.Value
		}
		if p.PageNumber < 1 {
			b.errorf(q.Page.Span, diag.BadAttributeValue, "page must be 1 or more, not %d", p.PageNumber)
		}
	}
	if p.Top > 0 && p.PageSize > 0 {
		b.errorf(q.Top.Span, diag.ConflictingOptions, "top cannot be combined with count or page")
	}
	p.ReturnTotalRecordCount = q.ReturnTotalRecordCount.Value
	b.rawOrder = q.UseRawOrderBy.Value
	if p.Aggregate {
		p.AggregateLimit = AggregateRecordLimit
		if l := q.AggregateLimit; l.Set {
			switch {
			case l.Value <= 0:
				b.errorf(l.Span, diag.BadAttributeValue, "aggregatelimit must be a positive integer, not %d", l.Value)
			case l.Value < AggregateRecordLimit:
				p.AggregateLimit = l.Value
			}
		}
	}
	if q.Options.IsSet() {
		b.hints(q.Options)
	}
	if q.DataSource.IsSet() {
		// Long-term retention rows live in Dataverse's managed data lake;
		// running the query on the live tables would answer another
		// question.
		b.errorf(q.DataSource.Span, diag.UnsupportedFeature, "datasource=%q reads long-term-retention (archived) rows only; vecompile has no retained store and queries the live tables", q.DataSource.Text)
	}
	p.AccentSensitive = b.opt.AccentSensitive
	if p.Security = SecurityOff; b.opt.Security != nil {
		p.Security = SecurityOn
	}

	t, ok := b.opt.Catalog.Table(q.Entity.Name.Text)
	if !ok {
		b.errorf(q.Entity.Name.Span, diag.UnknownEntity, "unknown table %q", q.Entity.Name.Text)
		return
	}
	root := b.a.source()
	root.Name, root.Table, root.Join, root.Span = t.LogicalName, t, JoinRoot, q.Entity.Span
	p.Root, p.Span = root, root.Span
	b.named = make([]*DataSource, 0, b.a.counts[lNamed])
	b.links = make([]linkSource, 0, b.a.counts[lLinks])
	p.Columns = make([]*OutputColumn, 0, b.a.counts[lColumns])
	p.Orders = make([]*SortKey, 0, b.a.counts[lOrders])
	b.named = append(b.named, root)

	// Declare every data source first, so that entityname, valueof and
	// order entityname may name a link declared later in the document.
	b.declareLinks(root, &q.Entity.Body)
	b.body(root, &q.Entity.Body, true)
	if p.Aggregate {
		b.checkAggregate(q)
	} else if !p.Distinct && t.PrimaryKey != "" && root.Table != nil {
		b.ensurePrimaryKey(root)
	}
	if !p.Aggregate && len(p.Columns) == 0 && len(b.errs) == 0 {
		// A distinct query (or one on a table without a known key) with
		// no attribute would select nothing: say so where the query
		// starts rather than fail in the emitter.
		b.errorf(q.Entity.Span, diag.MissingAttribute, "the query selects no columns: name at least one <attribute> (or <all-attributes/>) of %s", q.Entity.Name.Text)
	}
	for _, o := range q.Orders {
		b.order(root, o, true)
	}
	p.Orders = append(p.Orders, b.linkOrders...)
	b.tieBreakers()
	b.lookupNames()
	b.security()
	p.RootFirst = len(b.errs) == 0 && rootFirst(p)
	if b.opt.Security != nil && len(b.errs) == 0 {
		if err := Verify(p); err != nil {
			b.errorf(diag.NoSpan, diag.SecurityUnverified, "%v", err)
		}
	}
}

// hints validates fetch/@options against the documented hint names.
func (b *builder) hints(n ast.Name) {
	for _, h := range strings.Split(n.Text, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, ok := QueryHints[h]; !ok {
			b.errorf(n.Span, diag.BadAttributeValue, "unknown query hint %q", h)
			continue
		}
		b.plan.Options = append(b.plan.Options, h)
	}
}

// QueryHint is the SQL Server form of a fetch/@options name: a query
// option (OPTION (RECOMPILE)) or a USE HINT name (OPTION (USE HINT ('…'))).
type QueryHint struct {
	TSQL    string
	UseHint bool
}

// QueryHints maps fetch/@options names to SQL Server hints (spec §1.10);
// the planner accepts exactly these names and the T-SQL emitter renders them.
var QueryHints = map[string]QueryHint{
	"OptimizeForUnknown":                 {"OPTIMIZE FOR UNKNOWN", false},
	"ForceOrder":                         {"FORCE ORDER", false},
	"Recompile":                          {"RECOMPILE", false},
	"DisableRowGoal":                     {"DISABLE_OPTIMIZER_ROWGOAL", true},
	"EnableOptimizerHotfixes":            {"ENABLE_QUERY_OPTIMIZER_HOTFIXES", true},
	"LoopJoin":                           {"LOOP JOIN", false},
	"MergeJoin":                          {"MERGE JOIN", false},
	"HashJoin":                           {"HASH JOIN", false},
	"NO_PERFORMANCE_SPOOL":               {"NO_PERFORMANCE_SPOOL", false},
	"ENABLE_HIST_AMENDMENT_FOR_ASC_KEYS": {"ENABLE_HIST_AMENDMENT_FOR_ASC_KEYS", true},
}

// declareLinks creates the data sources of every link-entity below body
// (joins and filter links alike) and registers their aliases.
func (b *builder) declareLinks(parent *DataSource, body *ast.Body) {
	for _, l := range body.Links {
		b.declareLink(parent, l)
	}
	for _, f := range body.Filters {
		b.declareFilterLinks(parent, f)
	}
}

func (b *builder) declareFilterLinks(parent *DataSource, f *ast.Filter) {
	for _, it := range f.Items {
		switch it := it.(type) {
		case *ast.Filter:
			b.declareFilterLinks(parent, it)
		case *ast.LinkEntity:
			b.declareLink(parent, it)
		}
	}
}

func (b *builder) declareLink(parent *DataSource, l *ast.LinkEntity) {
	t, ok := b.opt.Catalog.Table(l.Name.Text)
	if !ok {
		b.errorf(l.Name.Span, diag.UnknownEntity, "unknown table %q", l.Name.Text)
		t = NewUntypedTable(l.Name.Text)
	}
	name := l.Alias.Text
	if name == "" {
		// Dataverse names unaliased links <table>1, <table>2, …
		name = b.autoName(t.LogicalName)
	} else if b.lookup(name) != nil {
		b.errorf(l.Alias.Span, diag.DuplicateAlias, "alias %q is used twice", name)
	}
	ds := b.a.source()
	ds.Name, ds.Table, ds.LinkType, ds.Span = name, t, l.LinkType, l.Span
	switch l.LinkType {
	case ast.Inner:
		ds.Join = JoinInner
	case ast.Outer:
		ds.Join = JoinOuter
	case ast.MatchFirstRowUsingCrossApply:
		ds.Join = JoinFirstRow
	default:
		ds.Join = JoinSubquery
	}
	b.named = append(b.named, ds)
	b.links = append(b.links, linkSource{l, ds, parent})
	b.declareLinks(ds, &l.Body)
}

// autoName is the next free <table>N alias.
func (b *builder) autoName(table string) string {
	for {
		name := table + strconv.Itoa(b.nextAuto(table))
		if b.lookup(name) == nil {
			return name
		}
	}
}

func (b *builder) nextAuto(table string) int {
	for i := range b.autoAlias {
		if b.autoAlias[i].table == table {
			b.autoAlias[i].n++
			return b.autoAlias[i].n
		}
	}
	b.autoAlias = append(b.autoAlias, tableCount{table, 1})
	return 1
}

// countNodes sizes the arena's slabs from the query.
func countNodes(q *ast.Query) sizes {
	var n sizes
	if q.Entity != nil {
		n.countBody(&q.Entity.Body)
	}
	n.orders += len(q.Orders)
	return n
}

func (n *sizes) countBody(b *ast.Body) {
	n.attrs += len(b.Attributes)
	n.orders += len(b.Orders)
	for _, f := range b.Filters {
		n.countFilter(f)
	}
	for _, l := range b.Links {
		n.links++
		n.countBody(&l.Body)
	}
}

func (n *sizes) countFilter(f *ast.Filter) {
	n.filters++
	for _, it := range f.Items {
		switch x := it.(type) {
		case *ast.Condition:
			n.conds++
			if x.Operator.Info().Cat == ast.CatString {
				n.likes++
			}
			if nullInclusive[x.Operator] {
				n.nullable++
			}
		case *ast.Filter:
			n.countFilter(x)
		case *ast.LinkEntity:
			n.links++
			n.countBody(&x.Body)
		}
	}
}

// body resolves the attributes, filters, orders and links of one entity
// or link-entity.
func (b *builder) body(ds *DataSource, body *ast.Body, isRoot bool) {
	// A link returns rows when it and every link above it are joins: one
	// joined inside an in / exists / any / all link lives in that subquery,
	// and its columns and orders are dropped as the subquery's own are
	// (spec §1.8: these links return no columns, columns inside are
	// ignored).
	returns := isRoot || !inSubquery(ds)
	if returns {
		b.columns(ds, body, isRoot)
	}
	terms := b.a.terms(len(body.Filters) + len(body.Links))[:0]
	ds.Joins = b.a.joins(len(body.Links))
	for _, f := range body.Filters {
		if e := b.filter(ds, f); e != nil {
			terms = append(terms, e)
		}
	}
	for _, l := range body.Links {
		child := b.sourceOf(l)
		b.link(ds, child, l)
		switch l.LinkType {
		case ast.Exists:
			terms = append(terms, &Exists{Source: child})
		case ast.In:
			terms = append(terms, &InSubquery{Source: child})
		case ast.Natural:
			b.errorf(l.TypeSpan, diag.UnsupportedFeature, "link type natural is not supported")
		default:
			if l.LinkType.IsFilterLink() {
				b.errorf(l.TypeSpan, diag.MisplacedLinkType, "link type %q is only valid inside a filter", l.LinkType)
				continue
			}
			ds.Joins = append(ds.Joins, child)
		}
	}
	ds.Filter = b.a.and(terms)
	if returns || isRoot {
		for _, o := range body.Orders {
			b.order(ds, o, isRoot)
		}
	}
}

// inSubquery reports whether ds is, or is joined below, a link that
// returns no rows (in, exists, any, not any, all, not all): its columns
// exist only inside that link's subquery.
func inSubquery(ds *DataSource) bool {
	for d := ds; d != nil; d = d.Parent.Source {
		if d.Join == JoinSubquery {
			return true
		}
		if d.Parent == nil {
			return false
		}
	}
	return false
}

// link resolves a link's join columns and its body.
func (b *builder) link(parent, ds *DataSource, l *ast.LinkEntity) {
	from, to := l.From, l.To
	if !from.IsSet() || !to.IsSet() {
		f, t, ok := b.inferJoin(parent.Table, ds.Table, from.Text, to.Text)
		if !ok {
			b.errorf(l.Name.Span, diag.AmbiguousJoin, "link-entity %q needs from and to: no single relationship with %q to infer them from", l.Name.Text, parent.Table.LogicalName)
			b.body(ds, &l.Body, false)
			return
		}
		from.Text, to.Text = f, t
		if !from.IsSet() {
			from.Span = l.Name.Span
		}
		if !to.IsSet() {
			to.Span = l.Name.Span
		}
	}
	ds.Child = b.column(ds.Table, from)
	ds.Parent = b.ref(parent, to)
	if ds.Child != nil && ds.Parent != nil {
		b.checkJoinTypes(ds.Parent.Column, ds.Child, l)
	}
	b.body(ds, &l.Body, false)
}

// inferJoin finds the join columns from a relationship between parent and
// child when from and/or to are omitted.
func (b *builder) inferJoin(parent, child *Table, from, to string) (string, string, bool) {
	type cand struct{ from, to string }
	var found []cand
	seen := map[cand]bool{}
	add := func(c cand) {
		if (from == "" || strings.EqualFold(from, c.from)) && (to == "" || strings.EqualFold(to, c.to)) && !seen[c] {
			seen[c] = true
			found = append(found, c)
		}
	}
	for _, t := range []*Table{parent, child} {
		for _, r := range t.Relationships {
			if r.Kind != OneToMany {
				continue
			}
			// child holds the lookup to parent (1:N from parent).
			if strings.EqualFold(r.ReferencedTable, parent.LogicalName) && strings.EqualFold(r.ReferencingTable, child.LogicalName) {
				add(cand{r.ReferencingColumn, r.ReferencedColumn})
			}
			// parent holds the lookup to child (N:1).
			if strings.EqualFold(r.ReferencingTable, parent.LogicalName) && strings.EqualFold(r.ReferencedTable, child.LogicalName) {
				add(cand{r.ReferencedColumn, r.ReferencingColumn})
			}
		}
	}
	if len(found) != 1 {
		return "", "", false
	}
	return found[0].from, found[0].to, true
}

func (b *builder) checkJoinTypes(parent, child *Column, l *ast.LinkEntity) {
	pk, ck := parent.Type.Kind(), child.Type.Kind()
	if pk == KUnknown || ck == KUnknown || pk == ck {
		return
	}
	if pk == KMulti || ck == KMulti {
		b.errorf(l.Span, diag.TypeMismatch, "a multi-select choice column cannot be a join key")
	}
}

// column resolves a column of a table by name.
func (b *builder) column(t *Table, n ast.Name) *Column {
	c, ok := t.Column(n.Text)
	if !ok {
		b.errorf(n.Span, diag.UnknownColumn, "table %q has no column %q", t.LogicalName, n.Text)
		return nil
	}
	return c
}

func (b *builder) ref(ds *DataSource, n ast.Name) *ColumnRef {
	c := b.column(ds.Table, n)
	if c == nil {
		return nil
	}
	return b.a.ref(ds, c)
}

// source finds a data source by alias (or the root's table name).
func (b *builder) source(n ast.Name) *DataSource {
	ds, ambiguous := b.lookupRef(n.Text)
	switch {
	case ambiguous:
		b.errorf(n.Span, diag.UnknownAlias, "%q names several link-entities without an alias: give them aliases", n.Text)
	case ds == nil:
		b.errorf(n.Span, diag.UnknownAlias, "no link-entity has the alias or name %q", n.Text)
	}
	return ds
}

// columns adds the selected attributes of a data source to the output.
func (b *builder) columns(ds *DataSource, body *ast.Body, isRoot bool) {
	p := b.plan
	if body.AllAttributes.Value {
		if p.Aggregate {
			b.errorf(body.AllAttributes.Span, diag.AggregateRule, "all-attributes is not allowed in an aggregate query")
		} else if ds.Table.Untyped && !body.AllAttributes.Set {
			// An entity without attributes in untyped mode: its columns
			// are unknown; the primary key alone is returned.
		} else if ds.Table.Untyped && b.opt.Security != nil {
			// "alias".* would read the columns column security hides.
			b.errorf(body.AllAttributes.Span, diag.MissingMetadata, "all-attributes with security on needs metadata for table %q (column security must know its columns): give --metadata or --db", ds.Table.LogicalName)
		} else if ds.Table.Untyped {
			// No metadata lists the columns: every column the database
			// holds, as SQL's "alias".* gives them.
			oc := b.a.output()
			oc.Name, oc.Source, oc.All = ds.Name+".*", ds, true
			b.output(oc, body.AllAttributes.Span)
		} else {
			for _, c := range ds.Table.Columns {
				oc := b.a.output()
				oc.Name, oc.Source, oc.Column = b.resultName(ds, c.LogicalName, ""), ds, c
				b.output(oc, body.AllAttributes.Span)
			}
		}
	}
	for _, a := range body.Attributes {
		b.attribute(ds, a)
	}
}

// resultName is the key a column comes back under (spec §5.17).
func (b *builder) resultName(ds *DataSource, column, alias string) string {
	switch {
	case alias != "":
		return alias
	case ds.Join == JoinRoot || ds.Join == JoinFirstRow:
		// Cross-apply links return columns without the alias prefix (spec
		// §1.8; Dataverse uses the SchemaName, we have the logical name).
		return column
	}
	return ds.Name + "." + column
}

func (b *builder) output(oc *OutputColumn, sp diag.Span) {
	oc.Span = sp
	for _, prev := range b.plan.Columns {
		if strings.EqualFold(prev.Name, oc.Name) {
			if prev.Source == oc.Source && prev.Column == oc.Column && prev.Aggregate == oc.Aggregate && oc.Aggregate == ast.NoAggregate && !oc.GroupBy && prev.RowAggregate == oc.RowAggregate {
				return // the same column twice: Dataverse returns it once
			}
			b.errorf(sp, diag.DuplicateAlias, "two columns would both be returned as %q", oc.Name)
			return
		}
	}
	b.plan.Columns = append(b.plan.Columns, oc)
}

func (b *builder) attribute(ds *DataSource, a *ast.Attribute) {
	p := b.plan
	oc := b.a.output()
	oc.Source, oc.Aggregate, oc.GroupBy, oc.DateGrouping, oc.Distinct = ds, a.Aggregate, a.GroupBy.Value, a.DateGrouping, a.Distinct.Value
	if a.Aggregate != ast.Count {
		oc.Column = b.column(ds.Table, a.Name)
		if oc.Column == nil {
			return
		}
	} else if c, ok := ds.Table.Column(a.Name.Text); ok {
		oc.Column = c // count counts rows; the column only names the attribute
	}
	if a.RowAggregate.IsSet() && !b.rowAggregate(ds, a, oc) {
		return
	}
	if p.Aggregate {
		if !a.Alias.IsSet() {
			b.errorf(a.Span, diag.AggregateRule, "every attribute of an aggregate query needs an alias")
			return
		}
		if a.Aggregate == ast.NoAggregate && !oc.GroupBy {
			b.errorf(a.Span, diag.AggregateRule, "attribute %q in an aggregate query needs aggregate or groupby", a.Name.Text)
			return
		}
		if a.Aggregate != ast.NoAggregate && oc.GroupBy {
			b.errorf(a.Span, diag.AggregateRule, "attribute %q cannot both aggregate and group", a.Name.Text)
			return
		}
	} else if a.Aggregate != ast.NoAggregate || oc.GroupBy {
		b.errorf(a.Span, diag.AggregateRule, "aggregate and groupby need aggregate=\"true\" on fetch")
		return
	}
	if oc.Distinct && a.Aggregate != ast.CountColumn {
		b.errorf(a.Distinct.Span, diag.AggregateRule, "distinct on an attribute only goes with aggregate=\"countcolumn\"")
		return
	}
	if oc.DateGrouping != ast.NoDateGrouping {
		if !oc.GroupBy {
			b.errorf(a.Span, diag.AggregateRule, "dategrouping needs groupby=\"true\"")
			return
		}
		if k := oc.Column.Type.Kind(); k != KDateTime && k != KUnknown {
			b.errorf(a.Span, diag.OperatorType, "dategrouping needs a datetime column; %q is %s", a.Name.Text, oc.Column.Type)
			return
		}
		oc.Zone = b.opt.Zone
		if (a.UserTimeZone.Set && !a.UserTimeZone.Value) || oc.Column.DateBehavior != UserLocal {
			oc.Zone = time.UTC
		}
		if oc.DateGrouping == ast.FiscalPeriod || oc.DateGrouping == ast.FiscalYear {
			if b.opt.Fiscal == nil {
				b.errorf(a.Span, diag.FiscalSettings, "fiscal date grouping needs the organization's fiscal settings (--fiscal-start, --fiscal-period)")
				return
			}
			oc.Fiscal = b.opt.Fiscal
		}
	}
	if oc.Aggregate != ast.NoAggregate && oc.Column != nil && !b.aggregatable(oc, a) {
		return
	}
	oc.Name = b.resultName(ds, a.Name.Text, a.Alias.Text)
	if a.Alias.IsSet() {
		if b.aliasOutput(a.Alias.Text) != nil {
			b.errorf(a.Alias.Span, diag.DuplicateAlias, "alias %q is used twice", a.Alias.Text)
			return
		}
		b.aliased = append(b.aliased, oc)
	}
	b.output(oc, a.Span)
}

// aggregatable refuses the aggregates Dataverse refuses (SQL 4 CDS's
// validation agrees): sum and avg of anything but a number (a choice's
// values are codes, not quantities; Booleans, lookups, multi-select
// choices), min and max of a lookup or a multi-select choice.
func (b *builder) aggregatable(oc *OutputColumn, a *ast.Attribute) bool {
	t := oc.Column.Type
	k := t.Kind()
	switch oc.Aggregate {
	case ast.Sum, ast.Avg:
		if k != KInt && k != KDecimal && k != KFloat && k != KUnknown || t == TPicklist || t == TState || t == TStatus {
			b.errorf(a.Span, diag.OperatorType, "%s needs a numeric column; %q is %s", oc.Aggregate, a.Name.Text, t)
			return false
		}
	case ast.Min, ast.Max:
		if t == TLookup || t == TOwner || t == TCustomer || t == TMultiSelectPicklist {
			b.errorf(a.Span, diag.OperatorType, "%s of %q: Dataverse takes min and max of numbers, dates, strings and Booleans, not of a %s column", oc.Aggregate, a.Name.Text, t)
			return false
		}
	}
	return true
}

// rowAggregate resolves rowaggregate="CountChildren" (the only value the
// parsers accept): the count of the rows whose hierarchical parent lookup
// points at this row. It needs the table's hierarchical relationship and a
// query that returns rows. The attribute only names the result.
func (b *builder) rowAggregate(ds *DataSource, a *ast.Attribute, oc *OutputColumn) bool {
	sp := a.RowAggregate.Span
	switch {
	case !strings.EqualFold(a.RowAggregate.Text, "CountChildren"):
		b.errorf(sp, diag.BadAttributeValue, "rowaggregate must be CountChildren, not %q", a.RowAggregate.Text)
		return false
	case b.plan.Aggregate:
		b.errorf(sp, diag.AggregateRule, "rowaggregate is not allowed in an aggregate query")
		return false
	case a.Aggregate != ast.NoAggregate || a.GroupBy.Value:
		b.errorf(sp, diag.AggregateRule, "rowaggregate cannot be combined with aggregate or groupby")
		return false
	}
	rel := b.hierarchyOf(ds.Table, sp, "rowaggregate CountChildren")
	if rel == nil {
		b.errorf(sp, diag.OperatorType, "rowaggregate CountChildren needs a table with a hierarchical relationship; %q has none", ds.Table.LogicalName)
		return false
	}
	if _, ok := ds.Table.Column(rel.ReferencedColumn); !ok {
		b.errorf(sp, diag.MissingMetadata, "hierarchical relationship %q names column %q, which table %q lacks", rel.SchemaName, rel.ReferencedColumn, ds.Table.LogicalName)
		return false
	}
	if _, ok := ds.Table.Column(rel.ReferencingColumn); !ok {
		b.errorf(sp, diag.MissingMetadata, "hierarchical relationship %q names column %q, which table %q lacks", rel.SchemaName, rel.ReferencingColumn, ds.Table.LogicalName)
		return false
	}
	if !a.Alias.IsSet() && ds.Join == JoinRoot && !b.plan.Distinct && strings.EqualFold(a.Name.Text, ds.Table.PrimaryKey) {
		// The result always holds the primary key under its own name.
		b.errorf(a.Span, diag.DuplicateAlias, "rowaggregate on %q needs an alias: the primary key is returned under that name", a.Name.Text)
		return false
	}
	oc.RowAggregate = rel
	return true
}

// ensurePrimaryKey adds the root's primary key to non-aggregate,
// non-distinct results, as Dataverse always returns it.
func (b *builder) ensurePrimaryKey(root *DataSource) {
	c, ok := root.Table.Column(root.Table.PrimaryKey)
	if !ok {
		return
	}
	for _, oc := range b.plan.Columns {
		if oc.Source == root && oc.All {
			return // "root".* holds it
		}
		if oc.Source == root && oc.Column == c && oc.Name == c.LogicalName && oc.RowAggregate == nil {
			return
		}
	}
	oc := b.a.output()
	oc.Name, oc.Source, oc.Column = c.LogicalName, root, c
	b.plan.Columns = append(b.plan.Columns, oc)
}

func (b *builder) checkAggregate(q *ast.Query) {
	if len(b.plan.Columns) == 0 {
		b.errorf(q.Entity.Span, diag.AggregateRule, "an aggregate query needs at least one attribute with aggregate or groupby")
	}
}

// order resolves one <order>. Root orders (and fetch-level orders) apply in
// document order; link orders after every root order.
func (b *builder) order(ds *DataSource, o *ast.Order, isRoot bool) {
	key := b.a.sortKey()
	key.Desc, key.Span = o.Descending.Value, o.Span
	switch {
	case o.Expr != nil:
		if b.plan.Aggregate || b.plan.Distinct {
			b.errorf(o.Span, diag.UnsupportedFeature, "an order on a computed value in a distinct or aggregate query")
			return
		}
		if key.Expr = b.sortExpr(ds, o.Expr); key.Expr == nil {
			return
		}
	case o.Alias.IsSet():
		oc := b.aliasOutput(o.Alias.Text)
		if oc == nil {
			b.errorf(o.Alias.Span, diag.UnknownAlias, "no attribute has the alias %q", o.Alias.Text)
			return
		}
		if oc.Aggregate != ast.NoAggregate || oc.GroupBy || oc.RowAggregate != nil {
			key.Output = oc
			if oc.GroupBy && oc.DateGrouping == ast.NoDateGrouping {
				b.sortBy(key, oc.Column)
			}
		} else {
			key.Column = b.a.ref(oc.Source, oc.Column)
			b.sortBy(key, oc.Column)
		}
	case b.plan.Aggregate:
		b.errorf(o.Span, diag.AggregateRule, "an aggregate query orders by alias, not by attribute")
		return
	default:
		src := ds
		if o.EntityName.IsSet() {
			if src = b.source(o.EntityName); src == nil {
				return
			}
			if inSubquery(src) {
				b.errorf(o.EntityName.Span, diag.UnknownAlias, "cannot order by %q: its link type returns no rows to sort", o.EntityName.Text)
				return
			}
		}
		key.Column = b.ref(src, o.Attribute)
		if key.Column == nil {
			return
		}
		if c := key.Column.Column; c.Key != nil && c.IsPrimaryKey {
			// A key-map id sorts by its key's parts: the order a keyset
			// cookie can resume (the id itself is a hash).
			for _, part := range c.Key.Parts {
				pk := b.a.sortKey()
				pk.Desc, pk.Span, pk.Column = key.Desc, key.Span, b.a.ref(src, part)
				if isRoot {
					b.plan.Orders = append(b.plan.Orders, pk)
				} else {
					b.linkOrders = append(b.linkOrders, pk)
				}
			}
			return
		}
		b.sortBy(key, key.Column.Column)
	}
	if isRoot {
		b.plan.Orders = append(b.plan.Orders, key)
	} else {
		b.linkOrders = append(b.linkOrders, key)
	}
}

// sortBy applies Dataverse's sort rules for lookups and choices (spec
// §1.4, §5.8) to a key on column c:
//
//   - a lookup sorts by the related record's primary name, when every
//     target table is in the catalog with a primary key and a primary name
//     column; otherwise (untyped mode, metadata without
//     primaryNameAttribute or without the target table) by the stored GUID,
//     as before;
//   - a choice (Picklist, State, Status) sorts by its option label, when
//     the metadata gives labels and fetch/@useraworderby is not "true";
//     otherwise by the stored integer.
func (b *builder) sortBy(key *SortKey, c *Column) {
	if c == nil {
		return
	}
	switch c.Type {
	case TLookup, TOwner, TCustomer:
		if targets := b.nameTargets(c); targets != nil {
			key.By, key.Targets = SortName, targets
		}
	case TPicklist, TState, TStatus:
		if len(c.Options) > 0 && !b.rawOrder {
			key.By = SortLabel
		}
	}
}

// nameTargets are a lookup's target tables when every one is in the
// catalog with a primary key and a primary name column, so that the
// related record's name can be read; nil otherwise (untyped mode,
// metadata without primaryNameAttribute or without the target table).
func (b *builder) nameTargets(c *Column) []*Table {
	if len(c.Targets) == 0 {
		return nil
	}
	targets := b.a.tables(len(c.Targets))
	for _, name := range c.Targets {
		t, ok := b.opt.Catalog.Table(name)
		if !ok || t.Untyped || t.PrimaryName == "" || t.PrimaryKey == "" {
			return nil
		}
		if _, ok := t.Column(t.PrimaryKey); !ok {
			return nil
		}
		if _, ok := t.Column(t.PrimaryName); !ok {
			return nil
		}
		targets = append(targets, t)
	}
	return targets
}

// lookupNames fills Plan.LookupNames (Options.LookupNames): one per lookup
// output column whose targets have names. Aggregate plans get none: their
// groups would need the names grouped too. (A distinct plan's names
// follow the lookup's value, so they change no row.)
func (b *builder) lookupNames() {
	p := b.plan
	if !b.opt.LookupNames || p.Aggregate {
		return
	}
	for _, oc := range p.Columns {
		if oc == nil || oc.Column == nil || oc.RowAggregate != nil || oc.All {
			continue
		}
		switch oc.Column.Type {
		case TLookup, TOwner, TCustomer:
			if targets := b.nameTargets(oc.Column); targets != nil {
				p.LookupNames = append(p.LookupNames, &LookupName{Column: oc, Targets: targets})
			}
		}
	}
}

// tieBreakers makes the order total so paging is stable: the primary keys
// of the root and of every joined source (Dataverse orders by the root key
// when nothing else is given); for distinct and aggregate queries, every
// output column instead, since keys are not in the result.
func (b *builder) tieBreakers() {
	p := b.plan
	if p.Aggregate || p.Distinct {
		for _, oc := range p.Columns {
			if p.Aggregate && oc.Aggregate != ast.NoAggregate {
				continue
			}
			if oc.Aggregate == ast.NoAggregate && !oc.GroupBy && oc.RowAggregate == nil {
				if !b.ordered(oc.Source, oc.Column, nil) {
					b.addSort(b.a.ref(oc.Source, oc.Column), nil)
				}
			} else if !b.ordered(nil, nil, oc) {
				b.addSort(nil, oc)
			}
		}
		return
	}
	b.keyTieBreakers(p.Root, false)
}

// keyTieBreakers orders by the primary keys of ds and its joined sources.
// A source joined to one row (ToOne) is skipped when its parent's rows are
// identified by the keys ordered before it (known says so): its row is
// then a function of them, so its key cannot split a tie. Its own joins
// are still visited: a source joined to many below it needs its key.
// known reports whether the keys ordered now identify ds's rows.
func (b *builder) keyTieBreakers(ds *DataSource, parentKnown bool) {
	known := false
	switch {
	case ds.Join != JoinRoot && parentKnown && ds.ToOne():
		known = true
	case ds.Table.PrimaryKey != "":
		if c, ok := ds.Table.Column(ds.Table.PrimaryKey); ok && c.Key != nil {
			for _, part := range c.Key.Parts { // a key-map id: its key's parts
				if !b.ordered(ds, part, nil) {
					b.addSort(b.a.ref(ds, part), nil)
				}
			}
			known = (parentKnown || ds.Join == JoinRoot) && len(c.Key.Parts) > 0 && !ds.Table.Untyped
		} else if ok {
			if !b.ordered(ds, c, nil) {
				b.addSort(b.a.ref(ds, c), nil)
			}
			known = (parentKnown || ds.Join == JoinRoot) && !ds.Table.Untyped
		}
	}
	for _, j := range ds.Joins {
		b.keyTieBreakers(j, known)
	}
}

// ordered reports whether the plan already sorts by the column or output.
func (b *builder) ordered(ds *DataSource, c *Column, oc *OutputColumn) bool {
	for _, k := range b.plan.Orders {
		if oc != nil && k.Output == oc {
			return true
		}
		if c != nil && k.Column != nil && k.Column.Source == ds && k.Column.Column == c {
			return true
		}
	}
	return false
}

func (b *builder) addSort(ref *ColumnRef, oc *OutputColumn) {
	k := b.a.sortKey()
	k.Column, k.Output = ref, oc
	b.plan.Orders = append(b.plan.Orders, k)
}

// security injects the caller's row filter into every data source,
// subquery sources included, and the column security of each (see
// plan/security.go).
func (b *builder) security() {
	if b.opt.Security == nil {
		return
	}
	b.injectSecurity()
}
