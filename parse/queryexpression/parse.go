package queryexpression

import (
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
	attrs      []*ast.Attribute
	// linkAliases and attrAliases are the aliases seen so far (link
	// aliases include the generated <name><n>); linkNames counts unaliased
	// links per table for those generated names.
	linkAliases, attrAliases nameSet
	linkNames                []nameCount
}

func (p *parser) errorf(at *path, code diag.Code, format string, args ...any) {
	if p.errs.Full() {
		return
	}
	p.errs.Add(&diag.Error{Span: diag.NoSpan, Source: p.src, Path: at.String(), Code: code, Msg: fmt.Sprintf(format, args...)})
}

// object checks that v is a JSON object whose properties are all in
// allowed, and returns it; ok is false for an absent or null v, or a
// value that is not an object (reported).
func (p *parser) object(v *jv, at *path, allowed ...string) (*jobj, bool) {
	if v.isNull() {
		return nil, false
	}
	m, ok := v.object()
	if !ok {
		p.errorf(at, diag.BadAttributeValue, "expected an object, got %s", kindOf(v))
		return nil, false
	}
	for i := range m.props {
		k := m.props[i].key
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
			p.errorf(at.key(k), diag.UnknownAttribute, "unknown property %q (QueryExpression property names are case-sensitive PascalCase)", k)
		}
	}
	for _, k := range m.dup {
		p.errorf(at.key(k), diag.DuplicateElement, "property %q is given twice", k)
	}
	return m, true
}

func kindOf(v *jv) string {
	if v == nil {
		return "null"
	}
	switch v.kind {
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	case jArray:
		return "an array"
	case jObject:
		return "an object"
	}
	return "null"
}

func (p *parser) array(v *jv, at *path) []*jv {
	if v.isNull() {
		return nil
	}
	if v.kind != jArray {
		p.errorf(at, diag.BadAttributeValue, "expected an array, got %s", kindOf(v))
		return nil
	}
	return v.arr
}

func (p *parser) str(m *jobj, key string, at *path) ast.Name {
	x := m.get(key)
	if x.isNull() {
		return ast.Name{Span: diag.NoSpan}
	}
	s, ok := x.str()
	if !ok {
		p.errorf(at.key(key), diag.BadAttributeValue, "expected a string, got %s", kindOf(x))
		return ast.Name{Span: diag.NoSpan}
	}
	return ast.Name{Span: x.sp, Text: s}
}

func (p *parser) boolean(m *jobj, key string, at *path) ast.Bool {
	x := m.get(key)
	if x.isNull() {
		return ast.Bool{Span: diag.NoSpan}
	}
	if x.kind != jBool {
		p.errorf(at.key(key), diag.BadAttributeValue, "expected true or false, got %s", kindOf(x))
		return ast.Bool{Span: diag.NoSpan}
	}
	return ast.Bool{Span: x.sp, Value: x.b, Set: true}
}

func (p *parser) integer(m *jobj, key string, at *path) ast.Int {
	xv := m.get(key)
	if xv.isNull() {
		return ast.Int{Span: diag.NoSpan}
	}
	if xv.kind != jNumber {
		p.errorf(at.key(key), diag.BadAttributeValue, "expected an integer, got %s", kindOf(xv))
		return ast.Int{Span: diag.NoSpan}
	}
	x, err := strconv.ParseInt(xv.text, 10, 64)
	if err != nil {
		p.errorf(at.key(key), diag.BadAttributeValue, "expected an integer, got %s", xv.text)
		return ast.Int{Span: diag.NoSpan}
	}
	return ast.Int{Span: xv.sp, Value: x, Set: true}
}

// enum reads an enum property by member name or by number; names[i] is the
// member whose number is i unless byNumber is given.
func (p *parser) enum(m *jobj, key string, at *path, what string, byName func(string) (int, bool), byNumber func(int) (int, bool)) (int, bool) {
	v := m.get(key)
	if v.isNull() {
		return 0, false
	}
	switch v.kind {
	case jString:
		if i, ok := byName(v.text); ok {
			return i, true
		}
		p.errorf(at.key(key), diag.UnknownEnum, "%q is not a %s member", v.text, what)
	case jNumber:
		n, err := strconv.Atoi(v.text)
		if err == nil {
			if i, ok := byNumber(n); ok {
				return i, true
			}
		}
		p.errorf(at.key(key), diag.UnknownEnum, "%s is not a %s value", v.text, what)
	default:
		p.errorf(at.key(key), diag.BadAttributeValue, "%s must be a member name or number, got %s", what, kindOf(v))
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
		if s, ok := m.get(k).str(); ok {
			return strings.Contains(s, "QueryByAttribute")
		}
	}
	return m.get("Attributes") != nil || m.get("Values") != nil
}

func (p *parser) query(v *jv) *ast.Query {
	q := &ast.Query{Span: diag.NoSpan, Source: p.src}
	at := &root
	raw, ok := v.object()
	if !ok {
		p.errorf(at, diag.SyntaxError, "a QueryExpression is a JSON object, not %s", kindOf(v))
		return q
	}
	q.Span = v.sp
	byAttr := isQueryByAttribute(raw)
	props := queryProps
	if byAttr {
		props = byAttributeProps
	}
	m, _ := p.object(v, at, props...)
	e := &ast.Entity{Span: v.sp}
	q.Entity = e
	e.Name = p.str(m, "EntityName", at)
	if !e.Name.IsSet() {
		p.errorf(at.key("EntityName"), diag.MissingEntity, "EntityName is required")
	}
	p.columnSet(m.get("ColumnSet"), at.key("ColumnSet"), &e.Body)
	if byAttr {
		p.byAttribute(m, at, &e.Body)
	} else if f := p.filter(m.get("Criteria"), at.key("Criteria"), 0, true); f != nil {
		e.Filters = []*ast.Filter{f}
	}
	e.Orders = p.orders(m.get("Orders"), at.key("Orders"))
	if !byAttr {
		e.Links = p.linkList(m.get("LinkEntities"), at.key("LinkEntities"), 0)
		q.Distinct = p.boolean(m, "Distinct", at)
		q.NoLock = p.boolean(m, "NoLock", at)
		q.Options = p.str(m, "QueryHints", at)
		q.DataSource = p.str(m, "DataSource", at)
		if v := q.DataSource.Text; v != "" && v != "retained" && v != "archive" {
			p.errorf(at.key("DataSource"), diag.BadAttributeValue, "DataSource must be retained or archive, not %q", v)
		}
	}
	q.Top = p.integer(m, "TopCount", at)
	p.rangeCheck(q.Top, at.key("TopCount"), maxTop)
	if pi, ok := p.object(m.get("PageInfo"), at.key("PageInfo"), "Count", "PageNumber", "PagingCookie", "ReturnTotalRecordCount"); ok {
		pp := at.key("PageInfo")
		q.Count = p.integer(pi, "Count", pp)
		q.Page = p.integer(pi, "PageNumber", pp)
		if q.Count.Set && q.Count.Value == 0 {
			q.Count = ast.Int{Span: diag.NoSpan}
		}
		if q.Page.Set && q.Page.Value == 0 {
			q.Page = ast.Int{Span: diag.NoSpan}
		}
		p.rangeCheck(q.Count, pp.key("Count"), maxTop)
		p.rangeCheck(q.Page, pp.key("PageNumber"), 0)
		q.PagingCookie = p.str(pi, "PagingCookie", pp)
		q.ReturnTotalRecordCount = p.boolean(pi, "ReturnTotalRecordCount", pp)
	}
	if q.Top.Set && q.ReturnTotalRecordCount.Value {
		p.errorf(at.key("TopCount"), diag.ConflictingOptions, "TopCount cannot be combined with PageInfo.ReturnTotalRecordCount")
	}
	if q.Top.Set && (q.Page.Set || q.Count.Set) {
		p.errorf(at.key("TopCount"), diag.ConflictingOptions, "a query can contain either PageInfo or TopCount, not both")
	}
	for _, a := range p.attrs {
		if a.Aggregate != ast.NoAggregate || a.GroupBy.Value {
			q.Aggregate = ast.Bool{Span: diag.NoSpan, Value: true, Set: true}
			break
		}
	}
	return q
}

func (p *parser) rangeCheck(v ast.Int, at *path, max int64) {
	if !v.Set {
		return
	}
	if v.Value < 1 {
		p.errorf(at, diag.BadAttributeValue, "must be a positive integer, not %d", v.Value)
	} else if max > 0 && v.Value > max {
		p.errorf(at, diag.LimitExceeded, "is %d; Dataverse allows at most %d", v.Value, max)
	}
}

func (p *parser) columnSet(v *jv, at *path, b *ast.Body) {
	m, ok := p.object(v, at, "AllColumns", "Columns", "AttributeExpressions")
	if !ok {
		return
	}
	b.AllAttributes = p.boolean(m, "AllColumns", at)
	if !b.AllAttributes.Value {
		b.AllAttributes = ast.Bool{Span: diag.NoSpan}
	}
	for i, c := range p.array(m.get("Columns"), at.key("Columns")) {
		at := at.key("Columns").at(i)
		s, ok := c.str()
		if !ok || s == "" {
			p.errorf(at, diag.BadAttributeValue, "a column name is a non-empty string")
			continue
		}
		a := &ast.Attribute{Span: c.sp, Name: ast.Name{Span: c.sp, Text: s}}
		b.Attributes = append(b.Attributes, a)
		p.addAttr(a, at)
	}
	for i, x := range p.array(m.get("AttributeExpressions"), at.key("AttributeExpressions")) {
		at := at.key("AttributeExpressions").at(i)
		am, ok := p.object(x, at, "AttributeName", "Alias", "AggregateType", "HasGroupBy", "DateTimeGrouping")
		if !ok {
			if x.isNull() {
				p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
			}
			continue
		}
		a := &ast.Attribute{Span: x.sp}
		a.Name = p.str(am, "AttributeName", at)
		if !a.Name.IsSet() {
			p.errorf(at.key("AttributeName"), diag.MissingAttribute, "AttributeName is required")
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
		p.addAttr(a, at)
	}
}

func (p *parser) orders(v *jv, at *path) []*ast.Order {
	var out []*ast.Order
	for i, x := range p.array(v, at) {
		at := at.at(i)
		m, ok := p.object(x, at, "AttributeName", "OrderType", "Alias", "EntityName")
		if !ok {
			if x.isNull() {
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

func (p *parser) linkList(v *jv, at *path, depth int) []*ast.LinkEntity {
	var out []*ast.LinkEntity
	for i, x := range p.array(v, at) {
		at := at.at(i)
		if l := p.link(x, at, depth+1, false); l != nil {
			out = append(out, l)
		}
	}
	return out
}

func (p *parser) link(v *jv, at *path, depth int, inFilter bool) *ast.LinkEntity {
	if v.isNull() && inFilter {
		return nil
	}
	if depth > maxDepth {
		p.errorf(at, diag.TooDeep, "links and filters nested deeper than %d", maxDepth)
		return nil
	}
	m, ok := p.object(v, at, "LinkFromEntityName", "LinkFromAttributeName", "LinkToEntityName", "LinkToAttributeName", "JoinOperator", "EntityAlias", "Columns", "LinkCriteria", "LinkEntities", "Orders")
	if !ok {
		if v.isNull() && !inFilter {
			p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	p.nLinks++
	if p.nLinks == maxLinks+1 {
		p.errorf(at, diag.LimitExceeded, "more than %d link entities in the query", maxLinks)
	}
	p.countCondLink(at)
	l := &ast.LinkEntity{Span: v.sp, TypeSpan: span(m.get("JoinOperator"))}
	l.Name = p.str(m, "LinkToEntityName", at)
	if !l.Name.IsSet() {
		p.errorf(at.key("LinkToEntityName"), diag.MissingAttribute, "LinkToEntityName is required")
	}
	l.To = p.str(m, "LinkFromAttributeName", at)
	l.From = p.str(m, "LinkToAttributeName", at)
	l.Alias = p.str(m, "EntityAlias", at)
	p.str(m, "LinkFromEntityName", at)
	if n, ok := p.enum(m, "JoinOperator", at, "JoinOperator", joinByName, joinByNumber); ok {
		l.LinkType = ast.LinkType(n)
		switch {
		case l.LinkType == ast.Natural:
			p.errorf(at.key("JoinOperator"), diag.UnsupportedFeature, "JoinOperator Natural (legacy) is not supported")
		case inFilter && !l.LinkType.IsFilterLink():
			p.errorf(at.key("JoinOperator"), diag.MisplacedLinkType, "AnyAllFilterLinkEntity needs JoinOperator Any, NotAny, All or NotAll; this one is %s", l.LinkType.QEName())
		case !inFilter && l.LinkType.IsFilterLink():
			p.errorf(at.key("JoinOperator"), diag.MisplacedLinkType, "JoinOperator %s is only allowed on a filter's AnyAllFilterLinkEntity", l.LinkType.QEName())
		}
	} else if inFilter {
		p.errorf(at.key("JoinOperator"), diag.MisplacedLinkType, "AnyAllFilterLinkEntity needs JoinOperator Any, NotAny, All or NotAll")
	}
	p.addLink(l, at)
	p.columnSet(m.get("Columns"), at.key("Columns"), &l.Body)
	if f := p.filter(m.get("LinkCriteria"), at.key("LinkCriteria"), depth, true); f != nil {
		l.Filters = []*ast.Filter{f}
	}
	l.Links = p.linkList(m.get("LinkEntities"), at.key("LinkEntities"), depth)
	l.Orders = p.orders(m.get("Orders"), at.key("Orders"))
	return l
}

func (p *parser) countCondLink(at *path) {
	p.nCondLinks++
	if p.nCondLinks == maxCondLinks+1 {
		p.errorf(at, diag.LimitExceeded, "more than %d conditions and link entities in the query", maxCondLinks)
	}
}

// filter reads a FilterExpression. At the top of Criteria or LinkCriteria
// (top) an empty filter gives nil.
func (p *parser) filter(v *jv, at *path, depth int, top bool) *ast.Filter {
	if v.isNull() && top {
		return nil
	}
	if depth > maxDepth {
		p.errorf(at, diag.TooDeep, "links and filters nested deeper than %d", maxDepth)
		return nil
	}
	m, ok := p.object(v, at, "FilterOperator", "Conditions", "Filters", "FilterHint", "IsQuickFindFilter", "AnyAllFilterLinkEntity")
	if !ok {
		if v.isNull() && !top {
			p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	f := &ast.Filter{Span: v.sp}
	if n, ok := p.enum(m, "FilterOperator", at, "LogicalOperator", logicalByName, logicalByNumber); ok {
		f.Type = ast.LogicalOp(n)
	}
	f.Hint = p.str(m, "FilterHint", at)
	f.IsQuickFindField = p.boolean(m, "IsQuickFindFilter", at)
	if !f.IsQuickFindField.Value {
		f.IsQuickFindField = ast.Bool{Span: diag.NoSpan}
	}
	for i, x := range p.array(m.get("Conditions"), at.key("Conditions")) {
		if c := p.condition(x, at.key("Conditions").at(i)); c != nil {
			f.Items = append(f.Items, c)
		}
	}
	for i, x := range p.array(m.get("Filters"), at.key("Filters")) {
		if g := p.filter(x, at.key("Filters").at(i), depth+1, false); g != nil {
			f.Items = append(f.Items, g)
		}
	}
	if l := p.link(m.get("AnyAllFilterLinkEntity"), at.key("AnyAllFilterLinkEntity"), depth+1, true); l != nil {
		f.Items = append(f.Items, l)
	}
	if top && len(f.Items) == 0 && !f.Hint.IsSet() && !f.IsQuickFindField.Set {
		return nil
	}
	return f
}

func (p *parser) condition(v *jv, at *path) *ast.Condition {
	m, ok := p.object(v, at, "EntityName", "AttributeName", "Operator", "Values", "CompareColumns")
	if !ok {
		if v.isNull() {
			p.errorf(at, diag.BadAttributeValue, "expected an object, got null")
		}
		return nil
	}
	p.countCondLink(at)
	c := &ast.Condition{Span: v.sp, OpSpan: span(m.get("Operator"))}
	c.EntityName = p.str(m, "EntityName", at)
	c.Attribute = p.str(m, "AttributeName", at)
	if !c.Attribute.IsSet() {
		p.errorf(at.key("AttributeName"), diag.MissingAttribute, "AttributeName is required")
	}
	if m.get("Operator").isNull() {
		p.errorf(at.key("Operator"), diag.MissingAttribute, "Operator is required")
	} else if n, ok := p.enum(m, "Operator", at, "ConditionOperator", operatorByName, operatorByNumber); ok {
		c.Operator = ast.Operator(n)
	}
	badValue := false
	for i, x := range p.array(m.get("Values"), at.key("Values")) {
		if val := p.value(x, at.key("Values").at(i)); val != nil {
			c.Values = append(c.Values, val)
		} else {
			badValue = true
		}
	}
	if badValue {
		return c // the value's error says it; counting would add a second
	}
	compare := p.boolean(m, "CompareColumns", at)
	if compare.Value {
		switch {
		case len(c.Values) != 1:
			p.errorf(at.key("Values"), diag.OperandCount, "CompareColumns needs exactly one value, the compared column")
		case c.Values[0].Kind != ast.KindString || c.Values[0].Text == "":
			p.errorf(at.key("Values").at(0), diag.BadLiteral, "with CompareColumns the value is the compared column's name")
		default:
			c.ValueOf = ast.Name{Span: c.Values[0].Span, Text: c.Values[0].Text}
			c.Values = nil
			if c.Operator != ast.OpInvalid && !c.Operator.Info().ValueOf {
				p.errorf(at.key("CompareColumns"), diag.OperandCount, "operator %s does not compare columns", c.Operator.Info().QE)
			}
		}
		return c
	}
	if c.Operator != ast.OpInvalid {
		p.operands(c, at)
	}
	return c
}

// operands checks the operand count against the operator's shape, as the
// FetchXML parser does.
func (p *parser) operands(c *ast.Condition, at *path) {
	info := c.Operator.Info()
	n := len(c.Values)
	switch info.Shape {
	case ast.NoOperand:
		if n > 0 {
			p.errorf(at.key("Values"), diag.OperandCount, "operator %s takes no value", info.QE)
		}
	case ast.OneValue, ast.OneInt:
		switch {
		case n == 0:
			p.errorf(at.key("Values"), diag.OperandCount, "operator %s needs a value", info.QE)
		case n > 1:
			p.errorf(at.key("Values"), diag.OperandCount, "operator %s takes exactly one value", info.QE)
		case info.Shape == ast.OneInt:
			v := c.Values[0]
			x, err := strconv.ParseInt(v.Text, 10, 64)
			switch {
			case err != nil:
				p.errorf(at.key("Values").at(0), diag.BadLiteral, "operator %s needs an integer, not %q", info.QE, v.Text)
			case x <= 0 && strings.Contains(info.Fetch, "-x-"):
				p.errorf(at.key("Values").at(0), diag.BadLiteral, "operator %s needs a positive integer, not %d", info.QE, x)
			}
		}
	case ast.TwoValues:
		if n != 2 {
			p.errorf(at.key("Values"), diag.OperandCount, "operator %s takes exactly two values, not %d", info.QE, n)
		}
	case ast.ManyValues:
		if n == 0 {
			p.errorf(at.key("Values"), diag.OperandCount, "operator %s needs at least one value", info.QE)
		}
	}
}

// value reads a plain JSON scalar or the typed {"Type", "Value"} form.
func (p *parser) value(v *jv, at *path) *ast.Value {
	val := &ast.Value{Span: span(v)}
	switch v.kind {
	case jNull:
		val.Kind = ast.KindNull
	case jString:
		val.Text, val.Kind = v.text, ast.KindString
	case jNumber:
		val.Text, val.Kind = v.text, ast.KindNumber
	case jBool:
		val.Text, val.Kind = strconv.FormatBool(v.b), ast.KindBool
	case jObject:
		return p.typedValue(v, at)
	default:
		p.errorf(at, diag.BadLiteral, "a condition value is a string, number, boolean, null or {\"Type\", \"Value\"}, not %s", kindOf(v))
		return nil
	}
	return val
}

// raw is x's source text, for messages.
func (p *parser) raw(x *jv) string {
	return string(p.src.Text[x.sp.Start:x.sp.End])
}

func (p *parser) typedValue(v *jv, at *path) *ast.Value {
	m, _ := p.object(v, at, "Type", "Value")
	t, ok := m.get("Type").str()
	if !ok {
		p.errorf(at.key("Type"), diag.MissingAttribute, "a typed value needs a Type string such as \"System.String\"")
		return nil
	}
	x := m.get("Value")
	vat := at.key("Value")
	val := &ast.Value{Span: v.sp}
	bad := func(want string) *ast.Value {
		p.errorf(vat, diag.BadLiteral, "a %s value must be %s, got %s", t, want, kindOf(x))
		return nil
	}
	if x.isNull() {
		val.Kind = ast.KindNull
		return val
	}
	switch t {
	case "System.String":
		if x.kind != jString {
			return bad("a string")
		}
		val.Text, val.Kind = x.text, ast.KindString
	case "System.Int32", "System.Int64", "System.Decimal", "System.Double":
		if x.kind != jNumber && x.kind != jString {
			return bad("a number")
		}
		s := x.text
		var err error
		if t == "System.Int32" {
			_, err = strconv.ParseInt(s, 10, 32)
		} else if t == "System.Int64" {
			_, err = strconv.ParseInt(s, 10, 64)
		} else {
			_, err = strconv.ParseFloat(s, 64)
		}
		if err != nil {
			p.errorf(vat, diag.BadLiteral, "%q is not a %s", s, t)
			return nil
		}
		val.Text, val.Kind = s, ast.KindNumber
	case "System.Boolean":
		if x.kind != jBool {
			return bad("true or false")
		}
		val.Text, val.Kind = strconv.FormatBool(x.b), ast.KindBool
	case "System.Guid":
		if x.kind != jString || !isGUID(x.text) {
			p.errorf(vat, diag.BadLiteral, "%s is not a GUID", p.raw(x))
			return nil
		}
		val.Text, val.Kind = x.text, ast.KindGuid
	case "System.DateTime":
		s := x.text
		if x.kind != jString || len(s) < 10 || s[4] != '-' || s[7] != '-' {
			p.errorf(vat, diag.BadLiteral, "%s is not an ISO 8601 date or date-time", p.raw(x))
			return nil
		}
		val.Text, val.Kind = s, ast.KindDateTime
	default:
		p.errorf(at.key("Type"), diag.UnknownEnum, "value type %q is not one of System.String, System.Int32, System.Int64, System.Decimal, System.Double, System.Boolean, System.Guid, System.DateTime", t)
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
func (p *parser) byAttribute(m *jobj, at *path, b *ast.Body) {
	attrs := p.array(m.get("Attributes"), at.key("Attributes"))
	vals := p.array(m.get("Values"), at.key("Values"))
	if len(attrs) != len(vals) {
		p.errorf(at.key("Values"), diag.OperandCount, "QueryByAttribute has %d Attributes and %d Values; they are parallel lists", len(attrs), len(vals))
		return
	}
	if len(attrs) == 0 {
		return
	}
	f := &ast.Filter{Span: diag.NoSpan}
	for i, a := range attrs {
		at := at.key("Attributes").at(i)
		s, ok := a.str()
		if !ok || s == "" {
			p.errorf(at, diag.BadAttributeValue, "an attribute name is a non-empty string")
			continue
		}
		p.countCondLink(at)
		c := &ast.Condition{Span: a.sp, OpSpan: diag.NoSpan, Attribute: ast.Name{Span: a.sp, Text: s}, Operator: ast.OpEq}
		if v := p.value(vals[i], at.key("Values").at(i)); v != nil {
			c.Values = []*ast.Value{v}
		}
		f.Items = append(f.Items, c)
	}
	b.Filters = []*ast.Filter{f}
}

// addLink reports a duplicate link alias: explicit, or the generated
// <name><n> of an alias-less link.
func (p *parser) addLink(l *ast.LinkEntity, at *path) {
	a := l.Alias.Text
	if a == "" {
		n := 1
		for i := range p.linkNames {
			if p.linkNames[i].name == l.Name.Text {
				p.linkNames[i].n++
				n = p.linkNames[i].n
				break
			}
		}
		if n == 1 {
			p.linkNames = append(p.linkNames, nameCount{l.Name.Text, 1})
		}
		a = l.Name.Text + strconv.Itoa(n)
		if p.linkAliases.add(a) {
			p.errorf(at, diag.DuplicateAlias, "link entity alias %q is already used", a)
		}
		return
	}
	if p.linkAliases.add(a) {
		p.errorf(at.key("EntityAlias"), diag.DuplicateAlias, "link entity alias %q is already used", a)
	}
}

// addAttr records an attribute and reports a duplicate alias.
func (p *parser) addAttr(a *ast.Attribute, at *path) {
	p.attrs = append(p.attrs, a)
	if a.Alias.IsSet() && p.attrAliases.add(a.Alias.Text) {
		p.errorf(at.key("Alias"), diag.DuplicateAlias, "attribute alias %q is already used", a.Alias.Text)
	}
}

type nameCount struct {
	name string
	n    int
}

// nameSet is a set of names: a slice while small, a map beyond.
type nameSet struct {
	list []string
	m    map[string]bool
}

// add adds n and reports whether it was already there.
func (s *nameSet) add(n string) bool {
	if s.m != nil {
		if s.m[n] {
			return true
		}
		s.m[n] = true
		return false
	}
	for _, x := range s.list {
		if x == n {
			return true
		}
	}
	if s.list = append(s.list, n); len(s.list) > 32 {
		s.m = make(map[string]bool, 64)
		for _, x := range s.list {
			s.m[x] = true
		}
	}
	return false
}
