// Package fetchxml prints an ast.Query as canonical FetchXML.
//
// The output is deterministic: two-space indentation, one element per
// line, attributes in a fixed order per element (the order of the spec's
// attribute tables: fetch top, count, page, paging-cookie,
// returntotalrecordcount, distinct, aggregate, aggregatelimit, no-lock,
// latematerialize, useraworderby, options, datasource; link-entity name,
// from, to, alias, link-type, intersect; attribute name, alias, aggregate,
// groupby, dategrouping, usertimezone, distinct, rowaggregate; order
// attribute, alias, entityname, descending; filter type, hint,
// isquickfindfields; condition entityname, attribute, operator, value or
// valueof), defaults left out (filter type and, link-type inner), booleans
// as true/false, values XML-escaped (tab, line feed and carriage return as
// character references so attribute normalisation keeps them). A condition
// with one value prints it as the value attribute, unless the operator
// takes two values; otherwise as <value> elements. The deprecated neq is
// printed as ne (the same operator). Within an entity or link-entity the
// children come as all-attributes, attributes, orders, filters, links; a
// filter's items keep their order. Orders directly under <fetch> come
// after </entity>.
//
// Print and parse/fetchxml.Parse are inverses on the tree, spans aside
// (tested over the parser's and the pipeline's documents). Literal kinds
// are not printed (FetchXML has none); a null literal (QueryExpression's
// null) cannot be written and is an UnsupportedFeature error.
package fetchxml

import (
	"bytes"
	"strconv"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// Print returns q as FetchXML, ending with a newline.
func Print(q *ast.Query) ([]byte, error) {
	p := &printer{src: q.Source}
	if q.Entity == nil {
		return nil, diag.ErrorList{diag.Errorf(q.Source, q.Span, diag.MissingEntity, "the query has no entity")}
	}
	p.open(0, "fetch")
	p.int("top", q.Top)
	p.int("count", q.Count)
	p.int("page", q.Page)
	p.name("paging-cookie", q.PagingCookie)
	p.bool("returntotalrecordcount", q.ReturnTotalRecordCount)
	p.bool("distinct", q.Distinct)
	p.bool("aggregate", q.Aggregate)
	p.int("aggregatelimit", q.AggregateLimit)
	p.bool("no-lock", q.NoLock)
	p.bool("latematerialize", q.LateMaterialize)
	p.bool("useraworderby", q.UseRawOrderBy)
	p.name("options", q.Options)
	p.name("datasource", q.DataSource)
	p.b.WriteString(">\n")
	p.open(1, "entity")
	p.name("name", q.Entity.Name)
	p.body(1, "entity", &q.Entity.Body)
	for _, o := range q.Orders {
		p.order(1, o)
	}
	p.b.WriteString("</fetch>\n")
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.b.Bytes(), nil
}

type printer struct {
	b    bytes.Buffer
	src  *diag.Source
	errs diag.ErrorList
}

func (p *printer) indent(n int) {
	for i := 0; i < n; i++ {
		p.b.WriteString("  ")
	}
}

func (p *printer) open(depth int, elem string) {
	p.indent(depth)
	p.b.WriteByte('<')
	p.b.WriteString(elem)
}

func (p *printer) close(depth int, elem string) {
	p.indent(depth)
	p.b.WriteString("</")
	p.b.WriteString(elem)
	p.b.WriteString(">\n")
}

func (p *printer) attr(k, v string) {
	p.b.WriteByte(' ')
	p.b.WriteString(k)
	p.b.WriteString(`="`)
	escape(&p.b, v, true)
	p.b.WriteByte('"')
}

func (p *printer) name(k string, n ast.Name) {
	if n.IsSet() {
		p.attr(k, n.Text)
	}
}

func (p *printer) bool(k string, b ast.Bool) {
	if b.Set {
		p.attr(k, strconv.FormatBool(b.Value))
	}
}

func (p *printer) int(k string, n ast.Int) {
	if n.Set {
		p.attr(k, strconv.FormatInt(n.Value, 10))
	}
}

// escape writes s XML-escaped; in attributes also quotes and the
// whitespace that attribute-value normalisation would turn into spaces.
func escape(b *bytes.Buffer, s string, inAttr bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			if inAttr {
				b.WriteString("&quot;")
			} else {
				b.WriteByte(c)
			}
		case '\t':
			if inAttr {
				b.WriteString("&#9;")
			} else {
				b.WriteByte(c)
			}
		case '\n':
			if inAttr {
				b.WriteString("&#10;")
			} else {
				b.WriteByte(c)
			}
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteByte(c)
		}
	}
}

// body writes the rest of an entity or link-entity start tag, its
// children and its end tag.
func (p *printer) body(depth int, elem string, b *ast.Body) {
	// An entity without attributes selects every column by itself: the
	// parser's implied all-attributes (Set false) is not written out.
	all := b.AllAttributes.Value && (b.AllAttributes.Set || len(b.Attributes) > 0)
	if !all && len(b.Attributes) == 0 && len(b.Orders) == 0 && len(b.Filters) == 0 && len(b.Links) == 0 {
		p.b.WriteString("/>\n")
		return
	}
	p.b.WriteString(">\n")
	if all {
		p.indent(depth + 1)
		p.b.WriteString("<all-attributes/>\n")
	}
	for _, a := range b.Attributes {
		p.attribute(depth+1, a)
	}
	for _, o := range b.Orders {
		p.order(depth+1, o)
	}
	for _, f := range b.Filters {
		p.filter(depth+1, f)
	}
	for _, l := range b.Links {
		p.link(depth+1, l)
	}
	p.close(depth, elem)
}

func (p *printer) attribute(depth int, a *ast.Attribute) {
	p.open(depth, "attribute")
	p.name("name", a.Name)
	p.name("alias", a.Alias)
	if a.Aggregate != ast.NoAggregate {
		p.attr("aggregate", a.Aggregate.String())
	}
	p.bool("groupby", a.GroupBy)
	if a.DateGrouping != ast.NoDateGrouping {
		p.attr("dategrouping", a.DateGrouping.String())
	}
	p.bool("usertimezone", a.UserTimeZone)
	p.bool("distinct", a.Distinct)
	p.name("rowaggregate", a.RowAggregate)
	p.b.WriteString("/>\n")
}

func (p *printer) order(depth int, o *ast.Order) {
	if o.Expr != nil {
		p.errs.Add(diag.Errorf(p.src, o.Span, diag.UnsupportedFeature, "an order on a computed value has no FetchXML form"))
		return
	}
	p.open(depth, "order")
	p.name("attribute", o.Attribute)
	p.name("alias", o.Alias)
	p.name("entityname", o.EntityName)
	p.bool("descending", o.Descending)
	p.b.WriteString("/>\n")
}

func (p *printer) link(depth int, l *ast.LinkEntity) {
	p.open(depth, "link-entity")
	p.name("name", l.Name)
	p.name("from", l.From)
	p.name("to", l.To)
	p.name("alias", l.Alias)
	switch {
	case l.LinkType == ast.Natural || l.LinkType > ast.NotAll:
		p.errs.Add(diag.Errorf(p.src, l.Span, diag.UnsupportedFeature, "link type %s has no FetchXML form", l.LinkType.QEName()))
	case l.LinkType != ast.Inner:
		p.attr("link-type", l.LinkType.String())
	}
	p.bool("intersect", l.Intersect)
	p.body(depth, "link-entity", &l.Body)
}

func (p *printer) filter(depth int, f *ast.Filter) {
	p.open(depth, "filter")
	if f.Type == ast.Or {
		p.attr("type", "or")
	}
	p.name("hint", f.Hint)
	p.bool("isquickfindfields", f.IsQuickFindField)
	p.bool("overridequickfindrecordlimitenabled", f.QuickFindLimitOn)
	p.bool("overridequickfindrecordlimitdisabled", f.QuickFindLimitOff)
	if len(f.Items) == 0 {
		p.b.WriteString("/>\n")
		return
	}
	p.b.WriteString(">\n")
	for _, it := range f.Items {
		switch x := it.(type) {
		case *ast.Condition:
			p.condition(depth+1, x)
		case *ast.Filter:
			p.filter(depth+1, x)
		case *ast.LinkEntity:
			p.link(depth+1, x)
		case *ast.Computed:
			p.errs.Add(diag.Errorf(p.src, x.Span, diag.UnsupportedFeature, "a condition on a computed value (OData %s) has no FetchXML form", x.Op))
		}
	}
	p.close(depth, "filter")
}

func (p *printer) condition(depth int, c *ast.Condition) {
	p.open(depth, "condition")
	p.name("entityname", c.EntityName)
	p.name("attribute", c.Attribute)
	op := c.Operator
	if op == ast.OpNeq {
		op = ast.OpNe
	}
	if op == ast.OpInvalid || op > ast.OpNotContainValues {
		p.errs.Add(diag.Errorf(p.src, c.Span, diag.UnknownOperator, "condition without a valid operator"))
	}
	p.attr("operator", op.String())
	for _, v := range c.Values {
		if v.Kind == ast.KindNull {
			p.errs.Add(diag.Errorf(p.src, v.Span, diag.UnsupportedFeature, "a null condition value has no FetchXML form (use operator null)"))
		}
	}
	if c.ValueOf.IsSet() {
		p.attr("valueof", c.ValueOf.Text)
	}
	if len(c.Values) == 1 && op.Info().Shape != ast.TwoValues {
		p.attr("value", c.Values[0].Text)
		p.b.WriteString("/>\n")
		return
	}
	if len(c.Values) == 0 {
		p.b.WriteString("/>\n")
		return
	}
	p.b.WriteString(">\n")
	for _, v := range c.Values {
		p.indent(depth + 1)
		p.b.WriteString("<value>")
		escape(&p.b, v.Text, false)
		p.b.WriteString("</value>\n")
	}
	p.close(depth, "condition")
}
