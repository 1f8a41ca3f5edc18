package queryexpression

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

type queryJSON struct {
	EntityName   string      `json:"EntityName"`
	ColumnSet    *columnSet  `json:"ColumnSet,omitempty"`
	Criteria     *filterJSON `json:"Criteria,omitempty"`
	Orders       []orderJSON `json:"Orders,omitempty"`
	LinkEntities []*linkJSON `json:"LinkEntities,omitempty"`
	Distinct     *bool       `json:"Distinct,omitempty"`
	NoLock       *bool       `json:"NoLock,omitempty"`
	TopCount     *int64      `json:"TopCount,omitempty"`
	PageInfo     *pageInfo   `json:"PageInfo,omitempty"`
	QueryHints   string      `json:"QueryHints,omitempty"`
	DataSource   string      `json:"DataSource,omitempty"`
}

type columnSet struct {
	AllColumns           bool       `json:"AllColumns,omitempty"`
	Columns              []string   `json:"Columns,omitempty"`
	AttributeExpressions []attrExpr `json:"AttributeExpressions,omitempty"`
}

type attrExpr struct {
	AttributeName    string `json:"AttributeName"`
	Alias            string `json:"Alias,omitempty"`
	AggregateType    string `json:"AggregateType,omitempty"`
	HasGroupBy       *bool  `json:"HasGroupBy,omitempty"`
	DateTimeGrouping string `json:"DateTimeGrouping,omitempty"`
}

type filterJSON struct {
	FilterOperator         string          `json:"FilterOperator"`
	Conditions             []conditionJSON `json:"Conditions,omitempty"`
	Filters                []*filterJSON   `json:"Filters,omitempty"`
	FilterHint             string          `json:"FilterHint,omitempty"`
	IsQuickFindFilter      bool            `json:"IsQuickFindFilter,omitempty"`
	AnyAllFilterLinkEntity *linkJSON       `json:"AnyAllFilterLinkEntity,omitempty"`
}

type conditionJSON struct {
	EntityName     string `json:"EntityName,omitempty"`
	AttributeName  string `json:"AttributeName"`
	Operator       string `json:"Operator"`
	Values         []any  `json:"Values,omitempty"`
	CompareColumns bool   `json:"CompareColumns,omitempty"`
}

type typedValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

type linkJSON struct {
	LinkFromEntityName    string      `json:"LinkFromEntityName,omitempty"`
	LinkFromAttributeName string      `json:"LinkFromAttributeName,omitempty"`
	LinkToEntityName      string      `json:"LinkToEntityName"`
	LinkToAttributeName   string      `json:"LinkToAttributeName,omitempty"`
	JoinOperator          string      `json:"JoinOperator"`
	EntityAlias           string      `json:"EntityAlias,omitempty"`
	Columns               *columnSet  `json:"Columns,omitempty"`
	LinkCriteria          *filterJSON `json:"LinkCriteria,omitempty"`
	LinkEntities          []*linkJSON `json:"LinkEntities,omitempty"`
	Orders                []orderJSON `json:"Orders,omitempty"`
}

type orderJSON struct {
	AttributeName string `json:"AttributeName,omitempty"`
	Alias         string `json:"Alias,omitempty"`
	EntityName    string `json:"EntityName,omitempty"`
	OrderType     string `json:"OrderType,omitempty"`
}

type pageInfo struct {
	Count                  int64  `json:"Count,omitempty"`
	PageNumber             int64  `json:"PageNumber,omitempty"`
	PagingCookie           string `json:"PagingCookie,omitempty"`
	ReturnTotalRecordCount *bool  `json:"ReturnTotalRecordCount,omitempty"`
}

// Print returns q as indented QueryExpression JSON ending with a newline,
// or a diag.ErrorList of UnsupportedFeature errors for what
// QueryExpression cannot express.
func Print(q *ast.Query) ([]byte, error) {
	p := &printer{src: q.Source}
	if q.Entity == nil {
		return nil, diag.ErrorList{diag.Errorf(q.Source, q.Span, diag.MissingEntity, "the query has no entity")}
	}
	out := &queryJSON{EntityName: q.Entity.Name.Text}
	out.ColumnSet, out.Criteria, out.Orders, out.LinkEntities = p.body(q.Entity.Name.Text, &q.Entity.Body)
	out.Distinct = boolPtr(q.Distinct)
	out.NoLock = boolPtr(q.NoLock)
	if q.Top.Set {
		v := q.Top.Value
		out.TopCount = &v
	}
	if q.Count.Set || q.Page.Set || q.PagingCookie.IsSet() || q.ReturnTotalRecordCount.Set {
		out.PageInfo = &pageInfo{Count: q.Count.Value, PageNumber: q.Page.Value, PagingCookie: q.PagingCookie.Text, ReturnTotalRecordCount: boolPtr(q.ReturnTotalRecordCount)}
	}
	out.QueryHints = q.Options.Text
	out.DataSource = q.DataSource.Text

	p.unsupportedBool(q.UseRawOrderBy, "useraworderby (QueryExpression has no raw-order option)")
	p.unsupportedBool(q.LateMaterialize, "latematerialize")
	if q.AggregateLimit.Set {
		p.unsupported(q.AggregateLimit.Span, "aggregatelimit")
	}
	for _, o := range q.Orders {
		p.unsupported(o.Span, "an <order> directly under <fetch> (QueryExpression orders belong to the entity)")
	}
	derived := false
	ast.Inspect(q, func(n ast.Node) bool {
		if a, ok := n.(*ast.Attribute); ok && (a.Aggregate != ast.NoAggregate || a.GroupBy.Value) {
			derived = true
		}
		return !derived
	})
	if q.Aggregate.Set != derived || q.Aggregate.Value != derived {
		sp := q.Aggregate.Span
		if !q.Aggregate.Set {
			sp = q.Span
		}
		p.unsupported(sp, "aggregate=\"%t\" without matching aggregate or group-by attributes (QueryExpression derives it from them)", q.Aggregate.Value)
	}
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, p.errs
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type printer struct {
	src  *diag.Source
	errs diag.ErrorList
}

func (p *printer) unsupported(sp diag.Span, format string, args ...any) {
	e := diag.Errorf(p.src, sp, diag.UnsupportedFeature, "QueryExpression cannot carry "+format, args...)
	p.errs.Add(e)
}

func (p *printer) unsupportedBool(b ast.Bool, what string) {
	if b.Set {
		p.unsupported(b.Span, "%s", what)
	}
}

func boolPtr(b ast.Bool) *bool {
	if !b.Set {
		return nil
	}
	v := b.Value
	return &v
}

func (p *printer) body(table string, b *ast.Body) (*columnSet, *filterJSON, []orderJSON, []*linkJSON) {
	cs := p.columns(b)
	var crit *filterJSON
	for i, f := range b.Filters {
		if i == 0 {
			crit = p.filter(table, f)
		} else {
			p.unsupported(f.Span, "a second <filter> in one entity or link-entity (Criteria is one FilterExpression)")
		}
	}
	var orders []orderJSON
	for _, o := range b.Orders {
		if o.Expr != nil {
			p.unsupported(o.Span, "an order on a computed value")
			continue
		}
		oj := orderJSON{AttributeName: o.Attribute.Text, Alias: o.Alias.Text, EntityName: o.EntityName.Text}
		if o.Descending.Set {
			oj.OrderType = "Ascending"
			if o.Descending.Value {
				oj.OrderType = "Descending"
			}
		}
		orders = append(orders, oj)
	}
	var links []*linkJSON
	for _, l := range b.Links {
		links = append(links, p.link(table, l))
	}
	return cs, crit, orders, links
}

func (p *printer) columns(b *ast.Body) *columnSet {
	if !b.AllAttributes.Value && len(b.Attributes) == 0 {
		return nil
	}
	cs := &columnSet{AllColumns: b.AllAttributes.Value}
	expr := false
	for _, a := range b.Attributes {
		p.unsupportedBool(a.UserTimeZone, "attribute usertimezone (QueryExpression groups dates in UTC)")
		if a.Distinct.Set {
			p.unsupported(a.Distinct.Span, "countcolumn distinct")
		}
		if a.RowAggregate.IsSet() {
			p.unsupported(a.RowAggregate.Span, "rowaggregate=%q", a.RowAggregate.Text)
		}
		if a.Alias.IsSet() || a.Aggregate != ast.NoAggregate || a.GroupBy.Set || a.DateGrouping != ast.NoDateGrouping {
			expr = true
		}
	}
	for _, a := range b.Attributes {
		if !expr {
			cs.Columns = append(cs.Columns, a.Name.Text)
			continue
		}
		ae := attrExpr{AttributeName: a.Name.Text, Alias: a.Alias.Text, HasGroupBy: boolPtr(a.GroupBy)}
		if a.Aggregate != ast.NoAggregate {
			ae.AggregateType = a.Aggregate.QEName()
		}
		if a.DateGrouping != ast.NoDateGrouping {
			ae.DateTimeGrouping = a.DateGrouping.QEName()
		}
		cs.AttributeExpressions = append(cs.AttributeExpressions, ae)
	}
	return cs
}

func (p *printer) link(parent string, l *ast.LinkEntity) *linkJSON {
	out := &linkJSON{
		LinkFromEntityName:    parent,
		LinkFromAttributeName: l.To.Text,
		LinkToEntityName:      l.Name.Text,
		LinkToAttributeName:   l.From.Text,
		JoinOperator:          l.LinkType.QEName(),
		EntityAlias:           l.Alias.Text,
	}
	if l.Intersect.Set {
		p.unsupported(l.Intersect.Span, "intersect on a link-entity")
	}
	out.Columns, out.LinkCriteria, out.Orders, out.LinkEntities = p.body(l.Name.Text, &l.Body)
	return out
}

func (p *printer) filter(table string, f *ast.Filter) *filterJSON {
	out := &filterJSON{FilterOperator: "And", FilterHint: f.Hint.Text, IsQuickFindFilter: f.IsQuickFindField.Value}
	if f.Type == ast.Or {
		out.FilterOperator = "Or"
	}
	for _, o := range []ast.Bool{f.QuickFindLimitOn, f.QuickFindLimitOff} {
		if o.Set {
			p.unsupported(o.Span, "the quick-find record limit overrides (QueryExpression has no property for them)")
		}
	}
	if f.IsQuickFindField.Set && !f.IsQuickFindField.Value {
		p.unsupported(f.IsQuickFindField.Span, "isquickfindfields=\"false\" (IsQuickFindFilter false is the default)")
	}
	for _, it := range f.Items {
		switch x := it.(type) {
		case *ast.Condition:
			out.Conditions = append(out.Conditions, p.condition(x))
		case *ast.Filter:
			out.Filters = append(out.Filters, p.filter(table, x))
		case *ast.LinkEntity:
			if out.AnyAllFilterLinkEntity != nil {
				p.unsupported(x.Span, "a second any/all link-entity in one filter (AnyAllFilterLinkEntity is one LinkEntity)")
				continue
			}
			out.AnyAllFilterLinkEntity = p.link(table, x)
		case *ast.Computed:
			p.unsupported(x.Span, "a condition on a computed value (OData %s)", x.Op)
		}
	}
	return out
}

func (p *printer) condition(c *ast.Condition) conditionJSON {
	out := conditionJSON{EntityName: c.EntityName.Text, AttributeName: c.Attribute.Text, Operator: c.Operator.Info().QE}
	if c.Operator == ast.OpInvalid {
		p.errs.Add(diag.Errorf(p.src, c.Span, diag.UnknownOperator, "condition without a valid operator"))
	}
	if c.ValueOf.IsSet() {
		if strings.Contains(c.ValueOf.Text, ".") {
			p.unsupported(c.ValueOf.Span, "cross-table valueof=%q (CompareColumns compares columns of one table)", c.ValueOf.Text)
		}
		out.CompareColumns = true
		out.Values = []any{c.ValueOf.Text}
		return out
	}
	for _, v := range c.Values {
		out.Values = append(out.Values, value(v))
	}
	return out
}

func value(v *ast.Value) any {
	switch v.Kind {
	case ast.KindNumber:
		if json.Valid([]byte(v.Text)) && v.Text != "" && (v.Text[0] == '-' || v.Text[0] >= '0' && v.Text[0] <= '9') {
			return json.RawMessage(v.Text)
		}
	case ast.KindBool:
		switch v.Text {
		case "true":
			return true
		case "false":
			return false
		}
	case ast.KindGuid:
		return typedValue{"System.Guid", v.Text}
	case ast.KindDateTime:
		return typedValue{"System.DateTime", v.Text}
	case ast.KindNull:
		return nil
	}
	return v.Text
}
