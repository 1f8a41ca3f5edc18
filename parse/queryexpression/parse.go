package queryexpression

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

const (
	maxTop       = 5000 // TopCount and PageInfo.Count
	maxLinks     = 15   // link entities per query
	maxCondLinks = 500  // conditions + link entities per query
	maxDepth     = 64   // nested filters and links
)

// Parse parses one QueryExpression or QueryByAttribute JSON document. On
// failure it returns a nil query and a diag.ErrorList (at most
// diag.MaxErrors) whose errors carry JSON paths.
func Parse(src *diag.Source) (*ast.Query, error) {
	root, e := decode(src)
	if e != nil {
		return nil, diag.ErrorList{e}
	}
	p := &parser{src: src}
	q := p.query(root)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return q, nil
}

// val is the decoded value of x: nil when absent or null.
func val(x *jv) any {
	if x == nil {
		return nil
	}
	return x.v
}

// span is x's byte range, NoSpan when absent.
func span(x *jv) diag.Span {
	if x == nil {
		return diag.NoSpan
	}
	return x.sp
}

type parser struct {
	src        *diag.Source
	errs       diag.ErrorList
	nLinks     int
	nCondLinks int
	links      []*ast.LinkEntity
	linkPaths  []string
	attrs      []*ast.Attribute
	attrPaths  []string
}

func (p *parser) errorf(path string, code diag.Code, format string, args ...any) {
	if p.errs.Full() {
		return
	}
	p.errs.Add(&diag.Error{Span: diag.NoSpan, Source: p.src, Path: path, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// object checks that v is a JSON object whose properties are all in
// allowed, and returns it; ok is false for an absent or null v, or a
// value that is not an object (reported).
func (p *parser) object(v *jv, path string, allowed ...string) (*jobj, bool) {
	if val(v) == nil {
		return nil, false
	}
	m, ok := v.v.(*jobj)
	if !ok {
		p.errorf(path, diag.BadAttributeValue, "expected an object, got %s", kindOf(v.v))
		return nil, false
	}
	for _, k := range m.keys {
		if k == "@odata.type" || k == "$type" {
			continue
		}
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			p.errorf(path+"."+k, diag.UnknownAttribute, "unknown property %q (QueryExpression property names are case-sensitive PascalCase)", k)
		}
	}
	for _, k := range m.dup {
		p.errorf(path+"."+k, diag.DuplicateElement, "property %q is given twice", k)
	}
	return m, true
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []*jv:
		return "an array"
	case *jobj:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (p *parser) array(v *jv, path string) []*jv {
	if val(v) == nil {
		return nil
	}
	a, ok := v.v.([]*jv)
	if !ok {
		p.errorf(path, diag.BadAttributeValue, "expected an array, got %s", kindOf(v.v))
		return nil
	}
	return a
}

func (p *parser) str(m *jobj, key, path string) ast.Name {
	x := m.get(key)
	v := val(x)
	if v == nil {
		return ast.Name{Span: diag.NoSpan}
	}
	s, ok := v.(string)
	if !ok {
		p.errorf(path+"."+key, diag.BadAttributeValue, "expected a string, got %s", kindOf(v))
		return ast.Name{Span: diag.NoSpan}
	}
	return ast.Name{Span: x.sp, Text: s}
}

func (p *parser) boolean(m *jobj, key, path string) ast.Bool {
	x := m.get(key)
	v := val(x)
	if v == nil {
		return ast.Bool{Span: diag.NoSpan}
	}
	b, ok := v.(bool)
	if !ok {
		p.errorf(path+"."+key, diag.BadAttributeValue, "expected true or false, got %s", kindOf(v))
		return ast.Bool{Span: diag.NoSpan}
	}
	return ast.Bool{Span: x.sp, Value: b, Set: true}
}

func (p *parser) integer(m *jobj, key, path string) ast.Int {
	xv := m.get(key)
	v := val(xv)
	if v == nil {
		return ast.Int{Span: diag.NoSpan}
	}
	n, ok := v.(json.Number)
	if !ok {
		p.errorf(path+"."+key, diag.BadAttributeValue, "expected an integer, got %s", kindOf(v))
		return ast.Int{Span: diag.NoSpan}
	}
	x, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		p.errorf(path+"."+key, diag.BadAttributeValue, "expected an integer, got %s", n)
		return ast.Int{Span: diag.NoSpan}
	}
	return ast.Int{Span: xv.sp, Value: x, Set: true}
}

// enum reads an enum property by member name or by number; names[i] is the
// member whose number is i unless byNumber is given.
func (p *parser) enum(m *jobj, key, path, what string, byName func(string) (int, bool), byNumber func(int) (int, bool)) (int, bool) {
	v := val(m.get(key))
	if v == nil {
		return 0, false
	}
	at := path + "." + key
	switch x := v.(type) {
	case string:
		if i, ok := byName(x); ok {
			return i, true
		}
		p.errorf(at, diag.UnknownEnum, "%q is not a %s member", x, what)
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err == nil {
			if i, ok := byNumber(n); ok {
				return i, true
			}
		}
		p.errorf(at, diag.UnknownEnum, "%s is not a %s value", x, what)
	default:
		p.errorf(at, diag.BadAttributeValue, "%s must be a member name or number, got %s", what, kindOf(v))
	}
	return 0, false
}

func names(list ...string) (func(string) (int, bool), func(int) (int, bool)) {
	return func(s string) (int, bool) {
			for i, n := range list {
				if n == s {
					return i, true
				}
			}
			return 0, false
		}, func(n int) (int, bool) {
			return n, n >= 0 && n < len(list)
		}
}

var (
	logicalByName, logicalByNumber   = names("And", "Or")
	orderByName, orderByNumber       = names("Ascending", "Descending")
	aggregateByName, aggregateNumber = names("None", "Count", "CountColumn", "Sum", "Avg", "Min", "Max")
	groupingByName, groupingNumber   = names("None", "Day", "Week", "Month", "Quarter", "Year", "FiscalPeriod", "FiscalYear")
	joinByName, joinByNumber         = names("Inner", "LeftOuter", "Natural", "MatchFirstRowUsingCrossApply", "In", "Exists", "Any", "NotAny", "All", "NotAll")
)

func operatorByName(s string) (int, bool) {
	o, ok := ast.OperatorByQEName(s)
	return int(o), ok
}

func operatorByNumber(n int) (int, bool) {
	o, ok := ast.OperatorByQENumber(n)
	return int(o), ok
}

var queryProps = []string{"EntityName", "ColumnSet", "Criteria", "Orders", "LinkEntities", "Distinct", "NoLock", "TopCount", "PageInfo", "QueryHints", "DataSource"}
var byAttributeProps = []string{"EntityName", "ColumnSet", "Attributes", "Values", "Orders", "PageInfo", "TopCount"}

func isQueryByAttribute(m *jobj) bool {
	for _, k := range []string{"@odata.type", "$type"} {
		if s, ok := val(m.get(k)).(string); ok {
			return strings.Contains(s, "QueryByAttribute")
		}
	}
	return m.get("Attributes") != nil || m.get("Values") != nil
}

func (p *parser) query(v *jv) *ast.Query {
	q := &ast.Query{Span: diag.NoSpan, Source: p.src}
	const path = "$"
	raw, ok := v.v.(*jobj)
	if !ok {
		p.errorf(path, diag.SyntaxError, "a QueryExpression is a JSON object, not %s", kindOf(v.v))
		return q
	}
	q.Span = v.sp
	byAttr := isQueryByAttribute(raw)
	props := queryProps
	if byAttr {
		props = byAttributeProps
	}
	m, _ := p.object(v, path, props...)
	e := &ast.Entity{Span: v.sp}
	q.Entity = e
	e.Name = p.str(m, "EntityName", path)
	if !e.Name.IsSet() {
		p.errorf(path+".EntityName", diag.MissingEntity, "EntityName is required")
	}
	p.columnSet(m.get("ColumnSet"), path+".ColumnSet", &e.Body)
	if byAttr {
		p.byAttribute(m, path, &e.Body)
	} else if f := p.filter(m.get("Criteria"), path+".Criteria", 0, true); f != nil {
		e.Filters = []*ast.Filter{f}
	}
	e.Orders = p.orders(m.get("Orders"), path+".Orders")
	if !byAttr {
		e.Links = p.linkList(m.get("LinkEntities"), path+".LinkEntities", 0)
		q.Distinct = p.boolean(m, "Distinct", path)
		q.NoLock = p.boolean(m, "NoLock", path)
		q.Options = p.str(m, "QueryHints", path)
		q.DataSource = p.str(m, "DataSource", path)
		if v := q.DataSource.Text; v != "" && v != "retained" && v != "archive" {
			p.errorf(path+".DataSource", diag.BadAttributeValue, "DataSource must be retained or archive, not %q", v)
		}
	}
	q.Top = p.integer(m, "TopCount", path)
	p.rangeCheck(q.Top, path+".TopCount", maxTop)
	if pi, ok := p.object(m.get("PageInfo"), path+".PageInfo", "Count", "PageNumber", "PagingCookie", "ReturnTotalRecordCount"); ok {
		pp := path + ".PageInfo"
		q.Count = p.integer(pi, "Count", pp)
		q.Page = p.integer(pi, "PageNumber", pp)
		if q.Count.Set && q.Count.Value == 0 {
			q.Count = ast.Int{Span: diag.NoSpan}
		}
		if q.Page.Set && q.Page.Value == 0 {
			q.Page = ast.Int{Span: diag.NoSpan}
		}
		p.rangeCheck(q.Count, pp+".Count", maxTop)
		p.rangeCheck(q.Page, pp+".PageNumber", 0)
		q.PagingCookie = p.str(pi, "PagingCookie", pp)
		q.ReturnTotalRecordCount = p.boolean(pi, "ReturnTotalRecordCount", pp)
	}
	if q.Top.Set && q.ReturnTotalRecordCount.Value {
		p.errorf(path+".TopCount", diag.ConflictingOptions, "TopCount cannot be combined with PageInfo.ReturnTotalRecordCount")
	}
	if q.Top.Set && (q.Page.Set || q.Count.Set) {
		p.errorf(path+".TopCount", diag.ConflictingOptions, "a query can contain either PageInfo or TopCount, not both")
	}
	for _, a := range p.attrs {
		if a.Aggregate != ast.NoAggregate || a.GroupBy.Value {
			q.Aggregate = ast.Bool{Span: diag.NoSpan, Value: true, Set: true}
			break
		}
	}
	p.checkAliases()
	return q
}

func (p *parser) rangeCheck(v ast.Int, path string, max int64) {
	if !v.Set {
		return
	}
	if v.Value < 1 {
		p.errorf(path, diag.BadAttributeValue, "must be a positive integer, not %d", v.Value)
	} else if max > 0 && v.Value > max {
		p.errorf(path, diag.LimitExceeded, "is %d; Dataverse allows at most %d", v.Value, max)
	}
}

func (p *parser) columnSet(v *jv, path string, b *ast.Body) {
	m, ok := p.object(v, path, "AllColumns", "Columns", "AttributeExpressions")
	if !ok {
		return
	}
	b.AllAttributes = p.boolean(m, "AllColumns", path)
	if !b.AllAttributes.Value {
		b.AllAttributes = ast.Bool{Span: diag.NoSpan}
	}
	for i, c := range p.array(m.get("Columns"), path+".Columns") {
		at := fmt.Sprintf("%s.Columns[%d]", path, i)
		s, ok := c.v.(string)
		if !ok || s == "" {
			p.errorf(at, diag.BadAttributeValue, "a column name is a non-empty string")
			continue
		}
		a := &ast.Attribute{Span: c.sp, Name: ast.Name{Span: c.sp, Text: s}}
		b.Attributes = append(b.Attributes, a)
		p.attrs = append(p.attrs, a)
		p.attrPaths = append(p.attrPaths, at)
	}
	for i, x := range p.array(m.get("AttributeExpressions"), path+".AttributeExpressions") {
		at := fmt.Sprintf("%s.AttributeExpressions[%d]", path, i)
		am, ok := p.object(x, at, "AttributeName", "Alias", "AggregateType", "HasGroupBy", "DateTimeGrouping")
		if !ok {
			if val(x) == nil {
				p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
			}
			continue
		}
		a := &ast.Attribute{Span: x.sp}
		a.Name = p.str(am, "AttributeName", at)
		if !a.Name.IsSet() {
			p.errorf(at+".AttributeName", diag.MissingAttribute, "AttributeName is required")
		}
		a.Alias = p.str(am, "Alias", at)
		if n, ok := p.enum(am, "AggregateType", at, "XrmAggregateType", aggregateByName, aggregateNumber); ok {
			a.Aggregate = ast.AggregateFunc(n)
		}
		a.GroupBy = p.boolean(am, "HasGroupBy", at)
		if n, ok := p.enum(am, "DateTimeGrouping", at, "XrmDateTimeGrouping", groupingByName, groupingNumber); ok {
			a.DateGrouping = ast.DateGrouping(n)
		}
		b.Attributes = append(b.Attributes, a)
		p.attrs = append(p.attrs, a)
		p.attrPaths = append(p.attrPaths, at)
	}
}

func (p *parser) orders(v *jv, path string) []*ast.Order {
	var out []*ast.Order
	for i, x := range p.array(v, path) {
		at := fmt.Sprintf("%s[%d]", path, i)
		m, ok := p.object(x, at, "AttributeName", "OrderType", "Alias", "EntityName")
		if !ok {
			if val(x) == nil {
				p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
			}
			continue
		}
		o := &ast.Order{Span: x.sp}
		o.Attribute = p.str(m, "AttributeName", at)
		o.Alias = p.str(m, "Alias", at)
		o.EntityName = p.str(m, "EntityName", at)
		if n, ok := p.enum(m, "OrderType", at, "OrderType", orderByName, orderByNumber); ok {
			o.Descending = ast.Bool{Span: diag.NoSpan, Value: n == 1, Set: true}
		}
		if !o.Attribute.IsSet() && !o.Alias.IsSet() {
			p.errorf(at, diag.MissingAttribute, "an order needs AttributeName or Alias")
		}
		out = append(out, o)
	}
	return out
}

func (p *parser) linkList(v *jv, path string, depth int) []*ast.LinkEntity {
	var out []*ast.LinkEntity
	for i, x := range p.array(v, path) {
		at := fmt.Sprintf("%s[%d]", path, i)
		if l := p.link(x, at, depth+1, false); l != nil {
			out = append(out, l)
		}
	}
	return out
}

func (p *parser) link(v *jv, path string, depth int, inFilter bool) *ast.LinkEntity {
	if val(v) == nil && inFilter {
		return nil
	}
	if depth > maxDepth {
		p.errorf(path, diag.TooDeep, "links and filters nested deeper than %d", maxDepth)
		return nil
	}
	m, ok := p.object(v, path, "LinkFromEntityName", "LinkFromAttributeName", "LinkToEntityName", "LinkToAttributeName", "JoinOperator", "EntityAlias", "Columns", "LinkCriteria", "LinkEntities", "Orders")
	if !ok {
		if val(v) == nil && !inFilter {
			p.errorf(path, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	p.nLinks++
	if p.nLinks == maxLinks+1 {
		p.errorf(path, diag.LimitExceeded, "more than %d link entities in the query", maxLinks)
	}
	p.countCondLink(path)
	l := &ast.LinkEntity{Span: v.sp, TypeSpan: span(m.get("JoinOperator"))}
	l.Name = p.str(m, "LinkToEntityName", path)
	if !l.Name.IsSet() {
		p.errorf(path+".LinkToEntityName", diag.MissingAttribute, "LinkToEntityName is required")
	}
	l.To = p.str(m, "LinkFromAttributeName", path)
	l.From = p.str(m, "LinkToAttributeName", path)
	l.Alias = p.str(m, "EntityAlias", path)
	p.str(m, "LinkFromEntityName", path)
	if n, ok := p.enum(m, "JoinOperator", path, "JoinOperator", joinByName, joinByNumber); ok {
		l.LinkType = ast.LinkType(n)
		switch {
		case l.LinkType == ast.Natural:
			p.errorf(path+".JoinOperator", diag.UnsupportedFeature, "JoinOperator Natural (legacy) is not supported")
		case inFilter && !l.LinkType.IsFilterLink():
			p.errorf(path+".JoinOperator", diag.MisplacedLinkType, "AnyAllFilterLinkEntity needs JoinOperator Any, NotAny, All or NotAll; this one is %s", l.LinkType.QEName())
		case !inFilter && l.LinkType.IsFilterLink():
			p.errorf(path+".JoinOperator", diag.MisplacedLinkType, "JoinOperator %s is only allowed on a filter's AnyAllFilterLinkEntity", l.LinkType.QEName())
		}
	} else if inFilter {
		p.errorf(path+".JoinOperator", diag.MisplacedLinkType, "AnyAllFilterLinkEntity needs JoinOperator Any, NotAny, All or NotAll")
	}
	p.links = append(p.links, l)
	p.linkPaths = append(p.linkPaths, path)
	p.columnSet(m.get("Columns"), path+".Columns", &l.Body)
	if f := p.filter(m.get("LinkCriteria"), path+".LinkCriteria", depth, true); f != nil {
		l.Filters = []*ast.Filter{f}
	}
	l.Links = p.linkList(m.get("LinkEntities"), path+".LinkEntities", depth)
	l.Orders = p.orders(m.get("Orders"), path+".Orders")
	return l
}

func (p *parser) countCondLink(path string) {
	p.nCondLinks++
	if p.nCondLinks == maxCondLinks+1 {
		p.errorf(path, diag.LimitExceeded, "more than %d conditions and link entities in the query", maxCondLinks)
	}
}

// filter reads a FilterExpression. At the top of Criteria or LinkCriteria
// (top) an empty filter gives nil.
func (p *parser) filter(v *jv, path string, depth int, top bool) *ast.Filter {
	if val(v) == nil && top {
		return nil
	}
	if depth > maxDepth {
		p.errorf(path, diag.TooDeep, "links and filters nested deeper than %d", maxDepth)
		return nil
	}
	m, ok := p.object(v, path, "FilterOperator", "Conditions", "Filters", "FilterHint", "IsQuickFindFilter", "AnyAllFilterLinkEntity")
	if !ok {
		if val(v) == nil && !top {
			p.errorf(path, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	f := &ast.Filter{Span: v.sp}
	if n, ok := p.enum(m, "FilterOperator", path, "LogicalOperator", logicalByName, logicalByNumber); ok {
		f.Type = ast.LogicalOp(n)
	}
	f.Hint = p.str(m, "FilterHint", path)
	f.IsQuickFindField = p.boolean(m, "IsQuickFindFilter", path)
	if !f.IsQuickFindField.Value {
		f.IsQuickFindField = ast.Bool{Span: diag.NoSpan}
	}
	for i, x := range p.array(m.get("Conditions"), path+".Conditions") {
		if c := p.condition(x, fmt.Sprintf("%s.Conditions[%d]", path, i)); c != nil {
			f.Items = append(f.Items, c)
		}
	}
	for i, x := range p.array(m.get("Filters"), path+".Filters") {
		if g := p.filter(x, fmt.Sprintf("%s.Filters[%d]", path, i), depth+1, false); g != nil {
			f.Items = append(f.Items, g)
		}
	}
	if l := p.link(m.get("AnyAllFilterLinkEntity"), path+".AnyAllFilterLinkEntity", depth+1, true); l != nil {
		f.Items = append(f.Items, l)
	}
	if top && len(f.Items) == 0 && !f.Hint.IsSet() && !f.IsQuickFindField.Set {
		return nil
	}
	return f
}

func (p *parser) condition(v *jv, path string) *ast.Condition {
	m, ok := p.object(v, path, "EntityName", "AttributeName", "Operator", "Values", "CompareColumns")
	if !ok {
		if val(v) == nil {
			p.errorf(path, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	p.countCondLink(path)
	c := &ast.Condition{Span: v.sp, OpSpan: span(m.get("Operator"))}
	c.EntityName = p.str(m, "EntityName", path)
	c.Attribute = p.str(m, "AttributeName", path)
	if !c.Attribute.IsSet() {
		p.errorf(path+".AttributeName", diag.MissingAttribute, "AttributeName is required")
	}
	if val(m.get("Operator")) == nil {
		p.errorf(path+".Operator", diag.MissingAttribute, "Operator is required")
	} else if n, ok := p.enum(m, "Operator", path, "ConditionOperator", operatorByName, operatorByNumber); ok {
		c.Operator = ast.Operator(n)
	}
	badValue := false
	for i, x := range p.array(m.get("Values"), path+".Values") {
		if val := p.value(x, fmt.Sprintf("%s.Values[%d]", path, i)); val != nil {
			c.Values = append(c.Values, val)
		} else {
			badValue = true
		}
	}
	if badValue {
		return c // the value's error says it; counting would add a second
	}
	compare := p.boolean(m, "CompareColumns", path)
	if compare.Value {
		switch {
		case len(c.Values) != 1:
			p.errorf(path+".Values", diag.OperandCount, "CompareColumns needs exactly one value, the compared column")
		case c.Values[0].Kind != ast.KindString || c.Values[0].Text == "":
			p.errorf(path+".Values[0]", diag.BadLiteral, "with CompareColumns the value is the compared column's name")
		default:
			c.ValueOf = ast.Name{Span: c.Values[0].Span, Text: c.Values[0].Text}
			c.Values = nil
			if c.Operator != ast.OpInvalid && !c.Operator.Info().ValueOf {
				p.errorf(path+".CompareColumns", diag.OperandCount, "operator %s does not compare columns", c.Operator.Info().QE)
			}
		}
		return c
	}
	if c.Operator != ast.OpInvalid {
		p.operands(c, path)
	}
	return c
}

// operands checks the operand count against the operator's shape, as the
// FetchXML parser does.
func (p *parser) operands(c *ast.Condition, path string) {
	info := c.Operator.Info()
	n := len(c.Values)
	switch info.Shape {
	case ast.NoOperand:
		if n > 0 {
			p.errorf(path+".Values", diag.OperandCount, "operator %s takes no value", info.QE)
		}
	case ast.OneValue, ast.OneInt:
		switch {
		case n == 0:
			p.errorf(path+".Values", diag.OperandCount, "operator %s needs a value", info.QE)
		case n > 1:
			p.errorf(path+".Values", diag.OperandCount, "operator %s takes exactly one value", info.QE)
		case info.Shape == ast.OneInt:
			v := c.Values[0]
			x, err := strconv.ParseInt(v.Text, 10, 64)
			switch {
			case err != nil:
				p.errorf(path+".Values[0]", diag.BadLiteral, "operator %s needs an integer, not %q", info.QE, v.Text)
			case x <= 0 && strings.Contains(info.Fetch, "-x-"):
				p.errorf(path+".Values[0]", diag.BadLiteral, "operator %s needs a positive integer, not %d", info.QE, x)
			}
		}
	case ast.TwoValues:
		if n != 2 {
			p.errorf(path+".Values", diag.OperandCount, "operator %s takes exactly two values, not %d", info.QE, n)
		}
	case ast.ManyValues:
		if n == 0 {
			p.errorf(path+".Values", diag.OperandCount, "operator %s needs at least one value", info.QE)
		}
	}
}

// value reads a plain JSON scalar or the typed {"Type", "Value"} form.
func (p *parser) value(v *jv, path string) *ast.Value {
	val := &ast.Value{Span: span(v)}
	switch x := v.v.(type) {
	case nil:
		val.Kind = ast.KindNull
	case string:
		val.Text, val.Kind = x, ast.KindString
	case json.Number:
		val.Text, val.Kind = x.String(), ast.KindNumber
	case bool:
		val.Text, val.Kind = strconv.FormatBool(x), ast.KindBool
	case *jobj:
		return p.typedValue(v, path)
	default:
		p.errorf(path, diag.BadLiteral, "a condition value is a string, number, boolean, null or {\"Type\", \"Value\"}, not %s", kindOf(v.v))
		return nil
	}
	return val
}

func (p *parser) typedValue(v *jv, path string) *ast.Value {
	m, _ := p.object(v, path, "Type", "Value")
	t, ok := val(m.get("Type")).(string)
	if !ok {
		p.errorf(path+".Type", diag.MissingAttribute, "a typed value needs a Type string such as \"System.String\"")
		return nil
	}
	x := val(m.get("Value"))
	at := path + ".Value"
	val := &ast.Value{Span: v.sp}
	bad := func(want string) *ast.Value {
		p.errorf(at, diag.BadLiteral, "a %s value must be %s, got %s", t, want, kindOf(x))
		return nil
	}
	if x == nil {
		val.Kind = ast.KindNull
		return val
	}
	switch t {
	case "System.String":
		s, ok := x.(string)
		if !ok {
			return bad("a string")
		}
		val.Text, val.Kind = s, ast.KindString
	case "System.Int32", "System.Int64", "System.Decimal", "System.Double":
		var s string
		switch n := x.(type) {
		case json.Number:
			s = n.String()
		case string:
			s = n
		default:
			return bad("a number")
		}
		var err error
		if t == "System.Int32" {
			_, err = strconv.ParseInt(s, 10, 32)
		} else if t == "System.Int64" {
			_, err = strconv.ParseInt(s, 10, 64)
		} else {
			_, err = strconv.ParseFloat(s, 64)
		}
		if err != nil {
			p.errorf(at, diag.BadLiteral, "%q is not a %s", s, t)
			return nil
		}
		val.Text, val.Kind = s, ast.KindNumber
	case "System.Boolean":
		b, ok := x.(bool)
		if !ok {
			return bad("true or false")
		}
		val.Text, val.Kind = strconv.FormatBool(b), ast.KindBool
	case "System.Guid":
		s, ok := x.(string)
		if !ok || !isGUID(s) {
			p.errorf(at, diag.BadLiteral, "%v is not a GUID", x)
			return nil
		}
		val.Text, val.Kind = s, ast.KindGuid
	case "System.DateTime":
		s, ok := x.(string)
		if !ok || len(s) < 10 || s[4] != '-' || s[7] != '-' {
			p.errorf(at, diag.BadLiteral, "%v is not an ISO 8601 date or date-time", x)
			return nil
		}
		val.Text, val.Kind = s, ast.KindDateTime
	default:
		p.errorf(path+".Type", diag.UnknownEnum, "value type %q is not one of System.String, System.Int32, System.Int64, System.Decimal, System.Double, System.Boolean, System.Guid, System.DateTime", t)
		return nil
	}
	return val
}

func isGUID(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// byAttribute turns QueryByAttribute's parallel lists into an And filter
// of Equal conditions.
func (p *parser) byAttribute(m *jobj, path string, b *ast.Body) {
	attrs := p.array(m.get("Attributes"), path+".Attributes")
	vals := p.array(m.get("Values"), path+".Values")
	if len(attrs) != len(vals) {
		p.errorf(path+".Values", diag.OperandCount, "QueryByAttribute has %d Attributes and %d Values; they are parallel lists", len(attrs), len(vals))
		return
	}
	if len(attrs) == 0 {
		return
	}
	f := &ast.Filter{Span: diag.NoSpan}
	for i, a := range attrs {
		at := fmt.Sprintf("%s.Attributes[%d]", path, i)
		s, ok := a.v.(string)
		if !ok || s == "" {
			p.errorf(at, diag.BadAttributeValue, "an attribute name is a non-empty string")
			continue
		}
		p.countCondLink(at)
		c := &ast.Condition{Span: a.sp, OpSpan: diag.NoSpan, Attribute: ast.Name{Span: a.sp, Text: s}, Operator: ast.OpEq}
		if v := p.value(vals[i], fmt.Sprintf("%s.Values[%d]", path, i)); v != nil {
			c.Values = []*ast.Value{v}
		}
		f.Items = append(f.Items, c)
	}
	b.Filters = []*ast.Filter{f}
}

// checkAliases reports duplicate link aliases (explicit, or the generated
// <name><n> of alias-less links) and duplicate attribute aliases.
func (p *parser) checkAliases() {
	seen := map[string]bool{}
	count := map[string]int{}
	for i, l := range p.links {
		a := l.Alias.Text
		at := p.linkPaths[i] + ".EntityAlias"
		if a == "" {
			count[l.Name.Text]++
			a = l.Name.Text + strconv.Itoa(count[l.Name.Text])
			at = p.linkPaths[i]
		}
		if seen[a] {
			p.errorf(at, diag.DuplicateAlias, "link entity alias %q is already used", a)
		}
		seen[a] = true
	}
	seen = map[string]bool{}
	for i, a := range p.attrs {
		if !a.Alias.IsSet() {
			continue
		}
		if seen[a.Alias.Text] {
			p.errorf(p.attrPaths[i]+".Alias", diag.DuplicateAlias, "attribute alias %q is already used", a.Alias.Text)
		}
		seen[a.Alias.Text] = true
	}
}
