package odata

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Flavors.
const (
	Dataverse = "dataverse"
	V4        = "v4"
)

// Options configure Emit.
type Options struct {
	// Flavor is "dataverse" (default) or "v4".
	Flavor string
	// Base is prepended to the URL as given (e.g.
	// "https://org.crm.dynamics.com/api/data/v9.2/"); empty: a relative URL.
	Base string
}

// refusal is an ODataUnsupported error.
func refuse(format string, args ...any) error {
	return diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.ODataUnsupported, "OData: "+format, args...)}.Err()
}

type emitter struct {
	v4 bool
	// accentSensitive is the plan's collation (plan.Plan.AccentSensitive).
	accentSensitive bool
	prefix          map[*plan.DataSource]string // "" root, "nav/" joined N:1, "x/" lambda variables
	// expanded are the navigation paths already expanded: $expand names a
	// property once, so a second link over the same lookup has no URL.
	expanded map[string]bool
	depth    int
}

// Emit prints p (compiled from q) as an OData request URL. q gives the
// number of declared sort keys; it may be nil when the plan has none but
// tie-breakers.
func Emit(q *ast.Query, p *plan.Plan, opt Options) (string, error) {
	e := &emitter{prefix: map[*plan.DataSource]string{}, accentSensitive: p.AccentSensitive}
	switch opt.Flavor {
	case "", Dataverse:
	case V4:
		e.v4 = true
	default:
		return "", diag.ErrorList{diag.Errorf(nil, diag.NoSpan, diag.BadFlag, "unknown OData flavor %q: use dataverse or v4", opt.Flavor)}.Err()
	}
	root := p.Root
	if root == nil || root.Table == nil || root.Table.EntitySetName == "" {
		name := ""
		if root != nil && root.Table != nil {
			name = root.Table.LogicalName
		}
		return "", refuse("table %q has no entity set name: give metadata (--metadata or --db) with entitySetName", name)
	}
	if q != nil && strings.EqualFold(q.DataSource.Text, "archive") {
		return "", refuse("datasource=\"archive\": the Web API reads live data only")
	}
	if p.PageSize > 0 && p.PageNumber > 1 {
		return "", refuse("page %d: the Web API has no $skip; follow @odata.nextLink with Prefer: odata.maxpagesize", p.PageNumber)
	}
	if root.Security != nil {
		return "", refuse("security filters are not expressible in a URL")
	}
	if p.After != nil {
		return "", refuse("a keyset continuation: follow @odata.nextLink with Prefer: odata.maxpagesize")
	}
	if p.Partition != nil {
		return "", refuse("a per-parent limit is written as $top inside the collection's $expand, not on the related rows' query")
	}
	e.prefix[root] = ""
	if (p.Aggregate || p.Distinct) && len(root.Joins) > 0 {
		return "", refuse("link-entities in an aggregate or distinct query (groupby over navigation paths renames the result)")
	}

	var filters []string
	var expands []string
	for _, j := range root.Joins {
		exp, f, err := e.join(p, root, j)
		if err != nil {
			return "", err
		}
		if exp != "" {
			expands = append(expands, exp)
		}
		filters = append(filters, f...)
	}
	if root.Filter != nil {
		f, err := e.expr(root.Filter)
		if err != nil {
			return "", err
		}
		filters = append(filters, f)
	}
	filter := strings.Join(filters, " and ")

	var opts [][2]string
	if p.Aggregate || p.Distinct {
		apply, err := e.apply(p, filter)
		if err != nil {
			return "", err
		}
		opts = append(opts, [2]string{"$apply", apply})
	} else {
		sel, err := e.selectList(p, root)
		if err != nil {
			return "", err
		}
		if sel != "" {
			opts = append(opts, [2]string{"$select", sel})
		}
		if len(expands) > 0 {
			opts = append(opts, [2]string{"$expand", strings.Join(expands, ",")})
		}
		if filter != "" {
			opts = append(opts, [2]string{"$filter", filter})
		}
	}
	orderby, err := e.orderBy(q, p)
	if err != nil {
		return "", err
	}
	if orderby != "" {
		opts = append(opts, [2]string{"$orderby", orderby})
	}
	top := p.Top
	if p.PageSize > 0 {
		top = p.PageSize // page 1: the first PageSize rows
	}
	if top > 0 {
		opts = append(opts, [2]string{"$top", strconv.FormatInt(top, 10)})
	}
	if p.ReturnTotalRecordCount {
		opts = append(opts, [2]string{"$count", "true"})
	}
	var b strings.Builder
	b.WriteString(opt.Base)
	b.WriteString(escape(root.Table.EntitySetName))
	for i, o := range opts {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(o[0])
		b.WriteByte('=')
		b.WriteString(escape(o[1]))
	}
	return b.String(), nil
}

// escape percent-encodes a URL path segment or query option value per
// OData URL conventions: unreserved characters and the sub-delimiters
// OData syntax uses (including '=' and ';' of nested $expand options)
// stay as they are; '&', '+', '#', '%', '?', space, '"', and every
// non-ASCII byte are encoded, so a value cannot end its query option.
func escape(s string) string {
	const keep = "-._~()',/:$@*!;=[]"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func isLookup(c *plan.Column) bool {
	return c != nil && (c.Type == plan.TLookup || c.Type == plan.TOwner || c.Type == plan.TCustomer)
}

// prop is a column's property name: _x_value for lookups in the dataverse
// flavor.
func (e *emitter) prop(c *plan.Column) string {
	if !e.v4 && isLookup(c) {
		return "_" + c.LogicalName + "_value"
	}
	return c.LogicalName
}

func (e *emitter) ref(r *plan.ColumnRef) (string, error) {
	pre, ok := e.prefix[r.Source]
	if !ok {
		return "", refuse("column %s.%s of a link-entity that is not reachable from here", r.Source.Name, r.Column.LogicalName)
	}
	return pre + e.prop(r.Column), nil
}

// navN1 finds the N:1 navigation property from parent to j (j.Child is
// the target's key, j.Parent the lookup).
func navN1(parent, j *plan.DataSource) (string, bool) {
	lk := j.Parent.Column
	for _, r := range parent.Table.Relationships {
		if r.Kind == plan.OneToMany && strings.EqualFold(r.ReferencingTable, parent.Table.LogicalName) &&
			strings.EqualFold(r.ReferencingColumn, lk.LogicalName) && strings.EqualFold(r.ReferencedTable, j.Table.LogicalName) &&
			strings.EqualFold(r.ReferencedColumn, j.Child.LogicalName) {
			// The server's name ($metadata); polymorphic lookups have
			// one navigation property per target (spec §3.1).
			return plan.NavigationName(parent.Table, lk.LogicalName, j.Table.LogicalName), true
		}
	}
	return "", false
}

// nav1N finds the collection-valued navigation property from parent to
// the rows of ds (ds.Child is the lookup, ds.Parent the key).
func nav1N(parent, ds *plan.DataSource) (string, bool) {
	for _, t := range []*plan.Table{parent.Table, ds.Table} {
		for _, r := range t.Relationships {
			if r.Kind == plan.OneToMany && strings.EqualFold(r.ReferencedTable, parent.Table.LogicalName) &&
				strings.EqualFold(r.ReferencedColumn, ds.Parent.Column.LogicalName) && strings.EqualFold(r.ReferencingTable, ds.Table.LogicalName) &&
				strings.EqualFold(r.ReferencingColumn, ds.Child.LogicalName) {
				return plan.CollectionNavigationName(r), true
			}
		}
	}
	return "", false
}

func (e *emitter) join(p *plan.Plan, parent, j *plan.DataSource) (string, []string, error) {
	label := fmt.Sprintf("link-entity %s (%s)", j.Table.LogicalName, j.Name)
	switch j.Join {
	case plan.JoinFirstRow:
		return "", nil, refuse("%s: link-type matchfirstrowusingcrossapply has no equivalent", label)
	case plan.JoinInner, plan.JoinOuter:
	default:
		return "", nil, refuse("%s: join kind %s", label, j.Join)
	}
	if j.Security != nil {
		return "", nil, refuse("%s: security filters are not expressible in a URL", label)
	}
	if parent.Join == plan.JoinOuter && j.Join == plan.JoinInner {
		return "", nil, refuse("%s: an inner link-entity under an outer one", label)
	}
	nav, ok := navN1(parent, j)
	if !ok {
		if _, one := nav1N(parent, j); one {
			return "", nil, refuse("%s: a 1:N link returning columns ($expand returns nested arrays, not joined rows)", label)
		}
		return "", nil, refuse("%s: no relationship %s.%s → %s.%s in the metadata (navigation property unknown)", label,
			parent.Table.LogicalName, j.Parent.Column.LogicalName, j.Table.LogicalName, j.Child.LogicalName)
	}
	path := e.prefix[parent] + nav
	if e.expanded[path] {
		return "", nil, refuse("%s: a second link-entity over navigation property %s ($expand names a property once)", label, path)
	}
	if e.expanded == nil {
		e.expanded = map[string]bool{}
	}
	e.expanded[path] = true
	e.prefix[j] = path + "/"
	var filters []string
	if j.Join == plan.JoinInner {
		switch {
		case e.prefix[parent] != "":
			filters = append(filters, path+"/"+j.Child.LogicalName+" ne null")
		case j.Parent.Column.Type != plan.TLookup || len(j.Parent.Column.Targets) != 1:
			// A polymorphic lookup: the row must point at this target.
			filters = append(filters, nav+"/"+j.Child.LogicalName+" ne null")
		default:
			// The lookup's own property (the navigation property's name
			// may be the organization's, not the lookup's).
			filters = append(filters, e.prop(j.Parent.Column)+" ne null")
		}
		if j.Filter != nil {
			f, err := e.expr(j.Filter)
			if err != nil {
				return "", nil, err
			}
			filters = append(filters, f)
		}
	} else if j.Filter != nil {
		return "", nil, refuse("%s: an outer link-entity with a filter (single-valued $expand takes no $filter)", label)
	}
	var cols []string
	for _, oc := range p.Columns {
		if oc.Source != j {
			continue
		}
		if oc.All {
			return "", nil, refuse("%s: all-attributes without metadata ($select needs the column names)", label)
		}
		if oc.Column == nil || oc.RowAggregate != nil {
			return "", nil, refuse("%s: rowaggregate", label)
		}
		if oc.Name != j.Name+"."+oc.Column.LogicalName {
			return "", nil, refuse("attribute alias %q: $select cannot rename", oc.Name)
		}
		cols = appendUnique(cols, e.prop(oc.Column))
	}
	var subs []string
	for _, k := range j.Joins {
		exp, f, err := e.join(p, j, k)
		if err != nil {
			return "", nil, err
		}
		if exp != "" {
			subs = append(subs, exp)
		}
		filters = append(filters, f...)
	}
	var opts []string
	if len(cols) > 0 {
		opts = append(opts, "$select="+strings.Join(cols, ","))
	}
	if len(subs) > 0 {
		opts = append(opts, "$expand="+strings.Join(subs, ","))
	}
	if len(opts) == 0 {
		return "", filters, nil
	}
	return nav + "(" + strings.Join(opts, ";") + ")", filters, nil
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func (e *emitter) selectList(p *plan.Plan, root *plan.DataSource) (string, error) {
	var cols []string
	for _, oc := range p.Columns {
		if oc.All {
			return "", refuse("all-attributes without metadata ($select needs the column names)")
		}
		if oc.Source != root {
			if _, ok := e.prefix[oc.Source]; !ok {
				return "", refuse("column %q of a source that is not joined", oc.Name)
			}
			continue
		}
		if oc.RowAggregate != nil {
			return "", refuse("rowaggregate %q", oc.Name)
		}
		if oc.Column == nil {
			return "", refuse("column %q", oc.Name)
		}
		if oc.Name != oc.Column.LogicalName {
			return "", refuse("attribute alias %q: $select cannot rename", oc.Name)
		}
		cols = appendUnique(cols, e.prop(oc.Column))
	}
	return strings.Join(cols, ","), nil
}

func (e *emitter) apply(p *plan.Plan, filter string) (string, error) {
	var groups, aggs []string
	for _, oc := range p.Columns {
		switch {
		case oc.All:
			return "", refuse("all-attributes without metadata ($select needs the column names)")
		case oc.RowAggregate != nil:
			return "", refuse("rowaggregate %q", oc.Name)
		case oc.DateGrouping != ast.NoDateGrouping:
			return "", refuse("dategrouping on %q (groupby on a datetime part is not supported)", oc.Name)
		case oc.Distinct:
			return "", refuse("countcolumn distinct %q", oc.Name)
		case oc.Aggregate == ast.Count:
			aggs = append(aggs, "$count as "+oc.Name)
		case oc.Aggregate == ast.CountColumn:
			return "", refuse("countcolumn %q (no OData aggregate counts non-null values)", oc.Name)
		case oc.Aggregate != ast.NoAggregate:
			fn := map[ast.AggregateFunc]string{ast.Sum: "sum", ast.Avg: "average", ast.Min: "min", ast.Max: "max"}[oc.Aggregate]
			aggs = append(aggs, e.prop(oc.Column)+" with "+fn+" as "+oc.Name)
		default: // groupby, or a distinct column
			if p.Aggregate && oc.Name != oc.Column.LogicalName {
				return "", refuse("groupby alias %q: groupby cannot rename", oc.Name)
			}
			if !p.Aggregate && oc.Name != oc.Column.LogicalName {
				return "", refuse("attribute alias %q: groupby cannot rename", oc.Name)
			}
			if e.v4 && isString(oc.Column) {
				// groupby takes property paths only: tolower() cannot be
				// said there, and a v4 server would split 'Seattle' from
				// 'seattle'.
				return "", refuse("groupby on string column %s: a v4 server groups case-sensitively and groupby cannot say tolower()", oc.Column.LogicalName)
			}
			groups = appendUnique(groups, e.prop(oc.Column))
		}
	}
	var out string
	switch {
	case len(groups) > 0 && len(aggs) > 0:
		out = "groupby((" + strings.Join(groups, ",") + "),aggregate(" + strings.Join(aggs, ",") + "))"
	case len(groups) > 0:
		out = "groupby((" + strings.Join(groups, ",") + "))"
	case len(aggs) > 0:
		out = "aggregate(" + strings.Join(aggs, ",") + ")"
	default:
		return "", refuse("an aggregate query without columns")
	}
	if filter != "" {
		out = "filter(" + filter + ")/" + out
	}
	return out, nil
}

// declaredOrders counts the sort keys the query wrote; link orders are
// refused.
func declaredOrders(q *ast.Query) (int, error) {
	if q == nil || q.Entity == nil {
		return 0, nil
	}
	var err error
	ast.Inspect(q.Entity, func(n ast.Node) bool {
		if l, ok := n.(*ast.LinkEntity); ok && len(l.Orders) > 0 && err == nil {
			err = refuse("order inside link-entity %s: $orderby on a link is not supported", l.Name.Text)
		}
		return true
	})
	return len(q.Entity.Orders) + len(q.Orders), err
}

func (e *emitter) orderBy(q *ast.Query, p *plan.Plan) (string, error) {
	n, err := declaredOrders(q)
	if err != nil {
		return "", err
	}
	if n > len(p.Orders) {
		n = len(p.Orders)
	}
	var keys []string
	for _, k := range p.Orders[:n] {
		var s string
		switch {
		case k.Output != nil && (k.Output.Aggregate != ast.NoAggregate || k.Output.DateGrouping != ast.NoDateGrouping):
			return "", refuse("order by aggregate alias %q is not supported", k.Output.Name)
		case k.Output != nil:
			s = e.prop(k.Output.Column)
		case k.Column != nil:
			if k.Column.Source != p.Root {
				return "", refuse("order on link-entity %s: $orderby on a link is not supported", k.Column.Source.Name)
			}
			s = e.prop(k.Column.Column)
		default:
			return "", refuse("sort key")
		}
		if e.v4 && k.By != plan.SortValue {
			return "", refuse("order on %s sorts by the related name or option label; standard OData sorts by the stored value", s)
		}
		if !e.v4 && k.By == plan.SortValue && labelled(k) {
			// useraworderby: the Web API would sort the choice by label.
			return "", refuse("useraworderby on choice %s: the Web API sorts choices by their labels", s)
		}
		if err := e.collated("order", sortColumn(k)); err != nil {
			return "", err
		}
		s = e.folded(s, sortColumn(k))
		if k.Desc {
			s += " desc"
		} else {
			s += " asc"
		}
		keys = append(keys, s)
	}
	return strings.Join(keys, ","), nil
}

// labelled reports a sort key on a choice column that has labels, which
// Dataverse sorts by label unless useraworderby says otherwise.
func labelled(k *plan.SortKey) bool {
	c := sortColumn(k)
	if c == nil || len(c.Options) == 0 {
		return false
	}
	return c.Type == plan.TPicklist || c.Type == plan.TState || c.Type == plan.TStatus
}

// sortColumn is the column a sort key orders by (nil for none).
func sortColumn(k *plan.SortKey) *plan.Column {
	switch {
	case k.Output != nil:
		return k.Output.Column
	case k.Column != nil:
		return k.Column.Column
	}
	return nil
}

// literal prints a typed value as an OData literal.
func literal(v *plan.Value, c *plan.Column) (string, error) {
	if v == nil || v.V == nil {
		return "null", nil
	}
	switch x := v.V.(type) {
	case string:
		if v.Kind == plan.KGuid {
			return x, nil
		}
		if v.Kind == plan.KDecimal {
			return decimalLiteral(x), nil
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return floatLiteral(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case plan.Param:
		return "", refuse("identity operator without a caller: give the calling user (--user)")
	case time.Time:
		if c != nil && c.DateBehavior == plan.DateOnly && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02"), nil
		}
		if c != nil && c.DateBehavior != plan.UserLocal {
			// Wall-clock values (time-zone independent): stored as
			// written, compared as written.
			return x.Format("2006-01-02T15:04:05.999999999Z"), nil
		}
		return x.UTC().Format(time.RFC3339Nano), nil
	}
	return "", refuse("value of type %T", v.V)
}

// plain is a value's text for PropertyValues arrays.
func plain(v *plan.Value, c *plan.Column) (string, error) {
	s, err := literal(v, c)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "'") {
		s = strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s, nil
}

func quoteArray(vals []string) (string, error) {
	out := make([]string, len(vals))
	for i, s := range vals {
		switch {
		case !strings.Contains(s, "'"):
			out[i] = "'" + s + "'"
		case !strings.Contains(s, `"`):
			out[i] = `"` + s + `"`
		default:
			return "", refuse("list value %q holds both quote characters", s)
		}
	}
	return "[" + strings.Join(out, ",") + "]", nil
}

func (e *emitter) fn(name string, col *plan.ColumnRef, values []string) (string, error) {
	if e.v4 {
		return "", refuse("%s has no standard OData form (use the dataverse flavor)", name)
	}
	if e.prefix[col.Source] != "" {
		return "", refuse("Microsoft.Dynamics.CRM.%s on a column of %s: query functions take the root's properties only", name, col.Source.Name)
	}
	arr, err := quoteArray(values)
	if err != nil {
		return "", err
	}
	return "Microsoft.Dynamics.CRM." + name + "(PropertyName='" + col.Column.LogicalName + "',PropertyValues=" + arr + ")", nil
}

func (e *emitter) terms(ts []plan.Expr, op string) (string, error) {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		s, err := e.expr(t)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")", nil
}

var cmpNames = [...]string{plan.Eq: "eq", plan.Ne: "ne", plan.Lt: "lt", plan.Le: "le", plan.Gt: "gt", plan.Ge: "ge"}

// nullableNe recognizes the planner's "col <> v OR col IS NULL".
func nullableNe(o *plan.Or) (*plan.Compare, bool) {
	if len(o.Terms) != 2 {
		return nil, false
	}
	c, ok1 := o.Terms[0].(*plan.Compare)
	n, ok2 := o.Terms[1].(*plan.IsNull)
	if !ok1 || !ok2 || c.Op != plan.Ne || n.Not || n.Col.Source != c.Left.Source || n.Col.Column != c.Left.Column {
		return nil, false
	}
	return c, true
}

func (e *emitter) expr(x plan.Expr) (string, error) {
	switch x := x.(type) {
	case nil:
		return "true", nil
	case *plan.And:
		if len(x.Terms) == 0 {
			return "true", nil
		}
		if len(x.Terms) == 1 {
			return e.expr(x.Terms[0])
		}
		return e.terms(x.Terms, "and")
	case *plan.Or:
		if len(x.Terms) == 0 {
			return "false", nil
		}
		if len(x.Terms) == 1 {
			return e.expr(x.Terms[0])
		}
		if c, ok := nullableNe(x); ok {
			s, err := e.compare(c)
			if err != nil {
				return "", err
			}
			l, _ := e.ref(c.Left)
			return "(" + s + " or " + l + " eq null)", nil
		}
		return e.terms(x.Terms, "or")
	case *plan.Not:
		s, err := e.expr(x.X)
		if err != nil {
			return "", err
		}
		return "not " + paren(s), nil
	case *plan.Const:
		return strconv.FormatBool(x.Value), nil
	case *plan.Compare:
		s, err := e.compare(x)
		if err != nil {
			return "", err
		}
		if x.Op == plan.Ne {
			l, _ := e.ref(x.Left)
			return "(" + s + " and " + l + " ne null)", nil
		}
		return s, nil
	case *plan.IsNull:
		l, err := e.ref(x.Col)
		if err != nil {
			return "", err
		}
		if x.Not {
			return l + " ne null", nil
		}
		return l + " eq null", nil
	case *plan.InList:
		return e.inList(x)
	case *plan.Like:
		return e.like(x)
	case *plan.Exists:
		return e.lambda(x.Source, x.Not)
	case *plan.InSubquery:
		return e.lambda(x.Source, false)
	case *plan.MultiContains:
		vals := make([]string, len(x.Values))
		for i, v := range x.Values {
			vals[i] = strconv.FormatInt(v, 10)
		}
		name := "ContainValues"
		if x.Not {
			name = "DoesNotContainValues"
		}
		return e.fn(name, x.Col, vals)
	case *plan.Hierarchy:
		var name string
		switch {
		case x.Not && !x.Above && !x.OrEqual:
			name = "NotUnder"
		case x.Not:
			return "", refuse("negated hierarchy operator")
		case x.Above && x.OrEqual:
			name = "AboveOrEqual"
		case x.Above:
			name = "Above"
		case x.OrEqual:
			name = "UnderOrEqual"
		default:
			name = "Under"
		}
		if e.v4 {
			return "", refuse("hierarchy operator %s has no standard OData form (use the dataverse flavor)", name)
		}
		if e.prefix[x.Col.Source] != "" {
			return "", refuse("hierarchy operator on a column of %s", x.Col.Source.Name)
		}
		v, err := plain(x.Anchor, x.Col.Column)
		if err != nil {
			return "", err
		}
		return "Microsoft.Dynamics.CRM." + name + "(PropertyName='" + x.Col.Column.LogicalName + "',PropertyValue='" + v + "')", nil
	case *plan.PartIn:
		return "", refuse("in-fiscal-period on every year (no $filter form after lowering)")
	case *plan.NotTrue:
		return "", refuse("IS NOT TRUE outside an all / not all link")
	}
	return "", refuse("expression %T", x)
}

func paren(s string) string {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return s
	}
	return "(" + s + ")"
}

func (e *emitter) compare(x *plan.Compare) (string, error) {
	l, err := e.ref(x.Left)
	if err != nil {
		return "", err
	}
	var r string
	switch rv := x.Right.(type) {
	case *plan.Value:
		if r, err = literal(rv, x.Left.Column); err != nil {
			return "", err
		}
		if e.v4 && isString(x.Left.Column) {
			if err := e.collated("comparison", x.Left.Column); err != nil {
				return "", err
			}
			l, r = e.folded(l, x.Left.Column), strings.ToLower(r)
		}
	case *plan.ColumnRef:
		if rv.Source != x.Left.Source {
			return "", refuse("valueof across tables (%s.%s)", rv.Source.Name, rv.Column.LogicalName)
		}
		if r, err = e.ref(rv); err != nil {
			return "", err
		}
		if e.v4 && isString(x.Left.Column) {
			if err := e.collated("comparison", x.Left.Column); err != nil {
				return "", err
			}
			l, r = e.folded(l, x.Left.Column), e.folded(r, rv.Column)
		}
		// SQL's a = b and a <> b are unknown (so false) when either side is
		// null; OData's eq and ne are null-aware (null eq null is true).
		switch op := cmpNames[x.Op]; op {
		case "eq":
			return "(" + l + " eq " + r + " and " + l + " ne null)", nil
		case "ne":
			return "(" + l + " ne " + r + " and " + l + " ne null and " + r + " ne null)", nil
		}
	default:
		return "", refuse("operand %T", rv)
	}
	return l + " " + cmpNames[x.Op] + " " + r, nil
}

func (e *emitter) inList(x *plan.InList) (string, error) {
	if !e.v4 {
		vals := make([]string, len(x.Values))
		for i, v := range x.Values {
			s, err := plain(v, x.Col.Column)
			if err != nil {
				return "", err
			}
			vals[i] = s
		}
		if len(vals) == 0 {
			return strconv.FormatBool(x.Not), nil
		}
		name := "In"
		if x.Not {
			name = "NotIn"
		}
		return e.fn(name, x.Col, vals)
	}
	l, err := e.ref(x.Col)
	if err != nil {
		return "", err
	}
	fold := isString(x.Col.Column)
	if fold {
		if err := e.collated("in", x.Col.Column); err != nil {
			return "", err
		}
		l = e.folded(l, x.Col.Column)
	}
	var parts []string
	for _, v := range x.Values {
		s, err := literal(v, x.Col.Column)
		if err != nil {
			return "", err
		}
		if fold {
			s = strings.ToLower(s)
		}
		parts = append(parts, l+" eq "+s)
	}
	if len(parts) == 0 {
		return strconv.FormatBool(x.Not), nil
	}
	or := "(" + strings.Join(parts, " or ") + ")"
	if !x.Not {
		return or, nil
	}
	// SQL NOT IN excludes NULLs; OData's not(eq …) would include them.
	base, _ := e.ref(x.Col)
	return "(" + base + " ne null and not " + or + ")", nil
}

func (e *emitter) like(x *plan.Like) (string, error) {
	pat := x.Pattern
	n := len(pat)
	lead := n > 0 && pat[0].Kind == plan.PatAnyRun
	trail := n > 1 && pat[n-1].Kind == plan.PatAnyRun
	var fn string
	var inner plan.Pattern
	switch {
	case lead && trail:
		fn, inner = "contains", pat[1:n-1]
	case trail:
		fn, inner = "startswith", pat[:n-1]
	case lead:
		fn, inner = "endswith", pat[1:]
	}
	literalOnly := len(inner) == 1 && inner[0].Kind == plan.PatLiteral
	var text string
	switch {
	case fn != "" && literalOnly && e.v4:
		text = strings.ToLower(inner[0].Lit)
	case fn != "" && len(inner) > 0 && !e.v4 && inner[0].Kind != plan.PatAnyRun && inner[len(inner)-1].Kind != plan.PatAnyRun:
		// Dataverse keeps LIKE wildcards live inside these functions
		// (§3.2, §5.2): literal text is escaped, wildcards and classes
		// are carried as written.
		text = likeText(inner)
	default:
		return "", refuse("like pattern %q: no contains/startswith/endswith form in the %s flavor", patternText(pat), map[bool]string{true: V4, false: Dataverse}[e.v4])
	}
	l, err := e.ref(x.Col)
	if err != nil {
		return "", err
	}
	if err := e.collated(fn, x.Col.Column); err != nil {
		return "", err
	}
	l = e.folded(l, x.Col.Column)
	s := fn + "(" + l + ",'" + strings.ReplaceAll(text, "'", "''") + "')"
	if x.Not {
		s = "not " + s
	}
	return s, nil
}

// likeText is a pattern as T-SQL LIKE text, literal wildcard characters
// escaped as [%], [_], [[].
func likeText(p plan.Pattern) string {
	esc := strings.NewReplacer("[", "[[]", "%", "[%]", "_", "[_]")
	var b strings.Builder
	for _, el := range p {
		if el.Kind == plan.PatLiteral {
			b.WriteString(esc.Replace(el.Lit))
			continue
		}
		b.WriteString(patternText(plan.Pattern{el}))
	}
	return b.String()
}

func patternText(p plan.Pattern) string {
	var b strings.Builder
	for _, el := range p {
		switch el.Kind {
		case plan.PatLiteral:
			b.WriteString(el.Lit)
		case plan.PatAnyRun:
			b.WriteByte('%')
		case plan.PatAnyOne:
			b.WriteByte('_')
		case plan.PatClass:
			b.WriteByte('[')
			if el.Negated {
				b.WriteByte('^')
			}
			b.WriteString(el.Lit)
			b.WriteByte(']')
		}
	}
	return b.String()
}

// lambda prints an exists / in / any / not any / all / not all link as
// coll/any(x: …) or coll/all(x: …).
func (e *emitter) lambda(ds *plan.DataSource, not bool) (string, error) {
	label := fmt.Sprintf("link-entity %s (%s)", ds.Table.LogicalName, ds.Name)
	var parent *plan.DataSource
	for s, pre := range e.prefix {
		if s == ds.Parent.Source && pre == "" {
			parent = s
		}
	}
	if parent == nil {
		return "", refuse("%s: a lambda inside a link or lookup path", label)
	}
	if ds.Security != nil {
		return "", refuse("%s: security filters are not expressible in a URL", label)
	}
	if len(ds.Joins) > 0 {
		return "", refuse("%s: link-entities inside an exists / any / all link", label)
	}
	nav, ok := nav1N(parent, ds)
	if !ok {
		if _, n1 := navN1(parent, ds); n1 {
			return "", refuse("%s: an exists / any / all link on an N:1 relationship (lambdas need a collection)", label)
		}
		return "", refuse("%s: no 1:N relationship %s.%s → %s.%s in the metadata (navigation property unknown)", label,
			parent.Table.LogicalName, ds.Parent.Column.LogicalName, ds.Table.LogicalName, ds.Child.LogicalName)
	}
	e.depth++
	v := "x"
	if e.depth > 1 {
		v = "x" + strconv.Itoa(e.depth)
	}
	e.prefix[ds] = v + "/"
	defer func() { delete(e.prefix, ds); e.depth-- }()
	all := false
	f := ds.Filter
	if nt, ok := f.(*plan.NotTrue); ok {
		all, f = true, nt.X
	}
	var s string
	if all {
		body, err := e.expr(f)
		if err != nil {
			return "", err
		}
		s = nav + "/all(" + v + ":" + body + ")"
		// all = NOT EXISTS(NOT TRUE F); not all = EXISTS(NOT TRUE F)
		not = !not
	} else if f == nil {
		s = nav + "/any()"
	} else {
		body, err := e.expr(f)
		if err != nil {
			return "", err
		}
		s = nav + "/any(" + v + ":" + body + ")"
	}
	if not {
		s = "not " + s
	}
	return s, nil
}
