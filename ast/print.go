package ast

import (
	"strconv"
	"strings"
)

// Dump renders the tree one node per line, children indented with ├─ and
// └─, in Walk order. A line holds the node type and its non-default fields,
// keyed by their FetchXML spelling; strings are quoted, spans and the
// source are left out. The output is deterministic: golden tests compare it.
func Dump(n Node) string {
	var d dumper
	d.node(n, "", "")
	return d.b.String()
}

type dumper struct{ b strings.Builder }

func (d *dumper) node(n Node, first, rest string) {
	d.b.WriteString(first)
	if isNil(n) {
		d.b.WriteString("<nil>\n")
		return
	}
	d.label(n)
	d.b.WriteByte('\n')
	kids := children(n)
	for i, k := range kids {
		if i == len(kids)-1 {
			d.node(k, rest+"└─ ", rest+"   ")
		} else {
			d.node(k, rest+"├─ ", rest+"│  ")
		}
	}
}

// children lists n's direct children by walking one level, so that Dump
// and Walk can never disagree.
func children(n Node) []Node {
	var out []Node
	Walk(&collector{root: n, out: &out}, n)
	return out
}

type collector struct {
	root Node
	out  *[]Node
}

func (c *collector) Visit(n Node) Visitor {
	switch {
	case n == nil:
	case n == c.root:
		return &collector{out: c.out}
	default:
		*c.out = append(*c.out, n)
	}
	return nil
}

func (d *dumper) label(n Node) {
	switch n := n.(type) {
	case *Query:
		d.b.WriteString("Query")
		d.int("top", n.Top)
		d.int("count", n.Count)
		d.int("page", n.Page)
		d.name("paging-cookie", n.PagingCookie)
		d.bool("returntotalrecordcount", n.ReturnTotalRecordCount)
		d.bool("distinct", n.Distinct)
		d.bool("aggregate", n.Aggregate)
		d.int("aggregatelimit", n.AggregateLimit)
		d.bool("no-lock", n.NoLock)
		d.bool("latematerialize", n.LateMaterialize)
		d.bool("useraworderby", n.UseRawOrderBy)
		d.name("options", n.Options)
		d.name("datasource", n.DataSource)
	case *Entity:
		d.b.WriteString("Entity")
		d.name("name", n.Name)
		d.bool("all-attributes", n.AllAttributes)
	case *LinkEntity:
		d.b.WriteString("LinkEntity")
		d.name("name", n.Name)
		d.name("from", n.From)
		d.name("to", n.To)
		d.name("alias", n.Alias)
		if n.LinkType != Inner {
			d.field("link-type", strconv.Quote(n.LinkType.String()))
		}
		d.bool("intersect", n.Intersect)
		d.bool("all-attributes", n.AllAttributes)
	case *Attribute:
		d.b.WriteString("Attribute")
		d.name("name", n.Name)
		d.name("alias", n.Alias)
		if n.Aggregate != NoAggregate {
			d.field("aggregate", enumName(aggregateNames[:], int(n.Aggregate)))
		}
		d.bool("groupby", n.GroupBy)
		if n.DateGrouping != NoDateGrouping {
			d.field("dategrouping", enumName(dateGroupingNames[:], int(n.DateGrouping)))
		}
		d.bool("usertimezone", n.UserTimeZone)
		d.bool("distinct", n.Distinct)
		d.name("rowaggregate", n.RowAggregate)
	case *Order:
		d.b.WriteString("Order")
		d.name("attribute", n.Attribute)
		d.name("alias", n.Alias)
		d.name("entityname", n.EntityName)
		d.bool("descending", n.Descending)
	case *Filter:
		d.b.WriteString("Filter")
		if n.Type != And {
			d.field("type", n.Type.String())
		}
		d.name("hint", n.Hint)
		d.bool("isquickfindfields", n.IsQuickFindField)
		d.bool("overridequickfindrecordlimitenabled", n.QuickFindLimitOn)
		d.bool("overridequickfindrecordlimitdisabled", n.QuickFindLimitOff)
	case *Condition:
		d.b.WriteString("Condition")
		d.name("entityname", n.EntityName)
		d.name("attribute", n.Attribute)
		if n.Operator != OpInvalid {
			d.field("operator", n.Operator.String())
		}
		d.name("valueof", n.ValueOf)
	case *Computed:
		d.b.WriteString("Computed")
		d.field("op", n.Op.String())
		if n.Not {
			d.field("not", "true")
		}
	case *Call:
		d.b.WriteString("Call")
		d.field("func", n.Func.String())
	case *ColumnOperand:
		d.b.WriteString("Column")
		d.name("entityname", n.EntityName)
		d.name("attribute", n.Attribute)
	case *Value:
		d.b.WriteString("Value ")
		d.b.WriteString(strconv.Quote(n.Text))
		if n.Kind != KindText {
			d.field("kind", enumName(literalKindNames[:], int(n.Kind)))
		}
	}
}

var literalKindNames = [...]string{"text", "string", "number", "bool", "guid", "datetime", "null"}

// enumName guards against out-of-range values in hand-built trees.
func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return "invalid(" + strconv.Itoa(i) + ")"
}

func (d *dumper) field(key, val string) {
	d.b.WriteByte(' ')
	d.b.WriteString(key)
	d.b.WriteByte('=')
	d.b.WriteString(val)
}

func (d *dumper) name(key string, n Name) {
	if n.Text != "" {
		d.field(key, strconv.Quote(n.Text))
	}
}

// Set distinguishes an explicit false from the default.
func (d *dumper) bool(key string, b Bool) {
	if b.Set || b.Value {
		d.field(key, strconv.FormatBool(b.Value))
	}
}

func (d *dumper) int(key string, n Int) {
	if n.Set || n.Value != 0 {
		d.field(key, strconv.FormatInt(n.Value, 10))
	}
}
