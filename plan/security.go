package plan

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/security"
)

// ColumnSecurity is the optional column half of a SecurityProvider: the
// columns of a table the caller may not read. Every reference to one reads
// NULL (spec §0.3: redaction, not an error), so no clause can learn a
// hidden value.
type ColumnSecurity interface {
	HiddenColumns(table *Table) []string
}

// ColumnShares is the optional record half of column security: per hidden
// column, the keys of the records whose value is shared with the caller
// (principalobjectattributeaccess). Those records read the column; the
// others read NULL.
type ColumnShares interface {
	ColumnShares(table *Table) map[string][]string
}

// ModelSecurity adapts a security.Session (a principal resolved against a
// security model) to SecurityProvider and ColumnSecurity.
type ModelSecurity struct{ Session *security.Session }

// RowFilter implements SecurityProvider. Without a session it refuses
// every table: security was asked for but nobody resolved.
func (m ModelSecurity) RowFilter(t *Table) (*ast.Filter, []string, error) {
	if m.Session == nil {
		return nil, nil, errors.New("security is on but no principal session was resolved")
	}
	return m.Session.RowFilter(TableInfo(t))
}

// HiddenColumns implements ColumnSecurity.
func (m ModelSecurity) HiddenColumns(t *Table) []string {
	if m.Session == nil {
		return nil // RowFilter refused the table
	}
	return m.Session.HiddenColumns(t.LogicalName)
}

// ColumnShares implements ColumnShares.
func (m ModelSecurity) ColumnShares(t *Table) map[string][]string {
	if m.Session == nil {
		return nil
	}
	return m.Session.ColumnShares(t.LogicalName)
}

// TableInfo describes a catalog table to the security package (which may
// not import plan). Untyped tables report no column list: every column is
// assumed present.
func TableInfo(t *Table) security.TableInfo {
	info := security.TableInfo{Name: t.LogicalName, PrimaryKey: t.PrimaryKey}
	if !t.Untyped {
		info.HasColumn = func(c string) bool { _, ok := t.Column(c); return ok }
	}
	if pk, ok := t.Column(t.PrimaryKey); ok && pk.Type.Kind() == KGuid && pk.Guid == GuidInteger {
		info.KeyEncodes = GuidInteger.Encodes
	}
	return info
}

// injectSecurity sets every data source's SecurityFilter: the provider's
// row filter resolved against the source, and its hidden columns. A source
// joined on a hidden column gets FALSE: its key reads NULL, which never
// matches. Policy-query sources the row filters declare (XDS) are marked
// Internal.
func (b *builder) injectSecurity() {
	cols, _ := b.opt.Security.(ColumnSecurity)
	sources := slices.Clone(b.named) // the caller's sources, not the policy queries added below
	reserved := false
	for _, ds := range sources {
		// Policy queries take this prefix; a user alias colliding with one
		// would tell which policies apply (a duplicate-alias oracle).
		if ds != b.plan.Root && strings.HasPrefix(strings.ToLower(ds.Name), security.XDSAlias) {
			b.errorf(b.spanOf(ds), diag.SecurityDenied, "link alias %q: the prefix %q is reserved for security policy queries", ds.Name, security.XDSAlias)
			reserved = true
		}
	}
	if reserved {
		return
	}
	for _, ds := range sources {
		b.secureSource(ds, cols)
	}
	b.secureHierarchyWalks(cols)
	b.secureNameKeys(cols)
	for _, ds := range sources {
		if ds.Security == nil || ds.Child == nil {
			continue
		}
		hiddenKey := ds.Security.Hides(ds.Child)
		if p := ds.Parent; p != nil && p.Source != nil && p.Source.Security.Hides(p.Column) {
			hiddenKey = true
		}
		if hiddenKey {
			ds.Security.Expr = &Const{Value: false}
			ds.Security.Policies = append(ds.Security.Policies, "hidden join key")
		}
	}
}

// secureSource sets one data source's SecurityFilter: the provider's row
// filter resolved against the source, and its hidden columns.
func (b *builder) secureSource(ds *DataSource, cols ColumnSecurity) {
	f, policies, err := b.opt.Security.RowFilter(ds.Table)
	if err != nil {
		b.securityError(err, b.spanOf(ds))
		return
	}
	sf := &SecurityFilter{Policies: slices.Clip(policies)} // shared with the session's cache: appends must copy
	ds.Security = sf
	if cols != nil {
		for _, name := range cols.HiddenColumns(ds.Table) {
			c, ok := ds.Table.Column(name)
			switch {
			case !ok:
			case c.IsPrimaryKey:
				// Dataverse cannot secure a primary key, and a key read
				// as NULL would break every join and paging key: a model
				// that secures one is refused, not silently ignored.
				b.errorf(b.spanOf(ds), diag.BadSecurityModel, "the security model hides primary key %s.%s; column security cannot apply to a primary key", ds.Table.LogicalName, c.LogicalName)
			default:
				sf.Hidden = append(sf.Hidden, c)
			}
		}
		if cs, ok := cols.(ColumnShares); ok && len(sf.Hidden) > 0 {
			shares := cs.ColumnShares(ds.Table)
			for _, c := range sf.Hidden {
				if keys := sharedKeys(shares[c.LogicalName]); keys != nil {
					sf.Shared = append(sf.Shared, SharedColumn{Column: c, Keys: keys})
				}
			}
		}
	}
	if f == nil {
		sf.Expr = &Const{Value: false}
		return
	}
	f = instancePolicies(f, ds.Name)
	first := len(b.named)
	b.declareFilterLinks(ds, f)
	for _, internal := range b.named[first:] {
		internal.Security = &SecurityFilter{Expr: &Const{Value: true}, Internal: true, Policies: []string{"policy query"}}
	}
	if sf.Expr = b.filter(ds, f); sf.Expr == nil {
		sf.Expr = &Const{Value: true}
	}
}

// sharedKeys are the record keys of a field-shared column as plan values
// (nil when there are none: an empty list must not reach an IN).
func sharedKeys(ids []string) []*Value {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]*Value, len(ids))
	for i, id := range ids {
		keys[i] = &Value{Kind: KGuid, V: id}
	}
	return keys
}

// secureNameKeys decides, for every sort key by a lookup's name, what the
// caller may read of each target's primary name. The name subquery reads
// the target table outside any data source of the plan, so without this
// it would sort by names that column security hides, and a top or a page
// would tell hidden names apart. A hidden name sorts as NULL, except on
// the records a field share reveals, as a hidden column reads everywhere.
func (b *builder) secureNameKeys(cols ColumnSecurity) {
	shares, _ := cols.(ColumnShares)
	for _, k := range b.plan.Orders {
		if k == nil || k.By != SortName {
			continue
		}
		k.Names = make([]NameAccess, len(k.Targets))
		if cols == nil {
			continue
		}
		for i, t := range k.Targets {
			name, ok := t.Column(t.PrimaryName)
			if !ok {
				continue // sortBy admits no such target; the emitter refuses it
			}
			for _, h := range cols.HiddenColumns(t) {
				if c, ok := t.Column(h); ok && c == name {
					k.Names[i].Hidden = true
				}
			}
			if k.Names[i].Hidden && shares != nil {
				k.Names[i].Shared = sharedKeys(shares.ColumnShares(t)[name.LogicalName])
			}
		}
	}
}

// secureHierarchyWalks gives every under / above / not-under its own
// secured instance of the walked table (Hierarchy.Walk): the recursive
// query reads only rows the caller may read, so an unreadable row never
// links two readable ones, and the walk stops where readable rows end.
// The instances take names with the reserved policy prefix, which no user
// alias can hold.
func (b *builder) secureHierarchyWalks(cols ColumnSecurity) {
	n := 0
	walk := func(x Expr) bool {
		e, ok := x.(*Hierarchy)
		if !ok {
			return true
		}
		t := e.Table
		if t == nil && e.Col != nil && e.Col.Source != nil {
			t = e.Col.Source.Table
		}
		if t == nil || e.Walk != nil {
			return false
		}
		n++
		w := b.a.source()
		w.Name, w.Table, w.Join = security.XDSAlias+"walk"+strconv.Itoa(n), t, JoinSubquery
		b.named = append(b.named, w)
		b.secureSource(w, cols)
		e.Walk = w
		return false
	}
	for _, ds := range slices.Clone(b.named) {
		Inspect(ds.Filter, walk)
	}
}

// securityError keeps the security package's codes (MissingPrivilege,
// CompanyDenied …); other provider failures are SecurityDenied.
func (b *builder) securityError(err error, at diag.Span) {
	var list diag.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		for _, e := range list {
			b.errorf(at, e.Code, "%s", e.Msg)
		}
		return
	}
	b.errorf(at, diag.SecurityDenied, "%v", err)
}

// spanOf is the link-entity name a source was declared by (NoSpan for the
// root, whose entity the builder does not keep).
func (b *builder) spanOf(ds *DataSource) diag.Span {
	for _, l := range b.links {
		if l.ds == ds {
			return l.node.Name.Span
		}
	}
	return diag.NoSpan
}

// instancePolicies gives the policy-query links of a (shared, cached) row
// filter this instance's aliases: one policy query per constrained
// instance, correlated with it. Filters without policies are returned as
// they are.
func instancePolicies(f *ast.Filter, name string) *ast.Filter {
	var out *ast.Filter
	for i, it := range f.Items {
		l, ok := it.(*ast.LinkEntity)
		if !ok || !strings.HasPrefix(l.Alias.Text, security.XDSAlias) {
			continue
		}
		if out == nil {
			out = &ast.Filter{Span: f.Span, Type: f.Type, Items: slices.Clone(f.Items)}
		}
		c := *l
		c.Alias.Text += "_" + name
		c.Filters = correlate(l.Filters, name)
		out.Items[i] = &c
	}
	if out == nil {
		return f
	}
	return out
}

// correlate points a policy query's valueof references to the constrained
// instance (security.Constrained) at the instance's alias.
func correlate(fs []*ast.Filter, alias string) []*ast.Filter {
	out := make([]*ast.Filter, len(fs))
	for i, f := range fs {
		c := *f
		c.Items = slices.Clone(f.Items)
		for j, it := range c.Items {
			switch x := it.(type) {
			case *ast.Condition:
				if rest, ok := strings.CutPrefix(x.ValueOf.Text, security.Constrained+"."); ok {
					cond := *x
					cond.ValueOf.Text = alias + "." + rest
					c.Items[j] = &cond
				}
			case *ast.Filter:
				c.Items[j] = correlate([]*ast.Filter{x}, alias)[0]
			}
		}
		out[i] = &c
	}
	return out
}
