package ast

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
)

func sp(a, b int) Span { return Span{Start: diag.Pos(a), End: diag.Pos(b)} }

func nm(s string) Name    { return Name{Span: sp(1, 2), Text: s} }
func in(v int64) Int      { return Int{Span: sp(1, 2), Value: v, Set: true} }
func bl(v bool) Bool      { return Bool{Span: sp(1, 2), Value: v, Set: true} }
func val(s string) *Value { return &Value{Span: sp(3, 4), Text: s, Kind: KindString} }

// Constructors of fully populated nodes: every field non-default.
func fullAttr(name string) *Attribute {
	return &Attribute{
		Span: sp(15, 16), Name: nm(name), Alias: nm(name + "_alias"), Aggregate: Sum, GroupBy: bl(true),
		DateGrouping: FiscalYear, UserTimeZone: bl(false), Distinct: bl(true), RowAggregate: nm("CountChildren"),
	}
}

func fullOrder(col string) *Order {
	return &Order{Span: sp(17, 18), Attribute: nm(col), Alias: nm("total"), EntityName: nm("c"), Descending: bl(true), Expr: fullCall()}
}

func fullCall() *Call {
	return &Call{Span: sp(25, 26), Func: FnConcat, Args: []Scalar{&ColumnOperand{Span: sp(27, 28), EntityName: nm("c"), Attribute: nm("name")}, val("x")}}
}

func fullComputed() *Computed {
	return &Computed{Span: sp(29, 30), Op: CGe, OpSpan: sp(31, 32), Left: fullCall(), Right: val("y"), Not: true}
}

func fullCond(op Operator, vals ...*Value) *Condition {
	return &Condition{
		Span: sp(9, 10), EntityName: nm("c"), Attribute: nm("createdon"), Operator: op,
		OpSpan: sp(11, 12), Values: vals, ValueOf: nm("modifiedon"),
	}
}

func fullFilter(items ...FilterItem) *Filter {
	return &Filter{Span: sp(13, 14), Type: Or, Hint: nm("union"), IsQuickFindField: bl(true), QuickFindLimitOn: bl(true), QuickFindLimitOff: bl(false), Items: items}
}

func fullLink(name string, lt LinkType, b Body) *LinkEntity {
	b.AllAttributes = bl(true)
	return &LinkEntity{
		Span: sp(19, 20), Name: nm(name), From: nm(name + "id"), To: nm("parent" + name + "id"),
		Alias: nm(name + "_alias"), LinkType: lt, TypeSpan: sp(21, 22), Intersect: bl(false), Body: b,
	}
}

// fullTree has every node type, and every field of every node set to a
// non-default value (checked by TestFullTreeIsFull).
func fullTree() *Query {
	anyLink := fullLink("contact", NotAny, Body{
		Attributes: []*Attribute{fullAttr("fullname")},
		Orders:     []*Order{fullOrder("fullname")},
		Filters:    []*Filter{fullFilter(fullCond(OpEq, val("0")))},
		Links:      []*LinkEntity{fullLink("systemuser", Outer, Body{})},
	})
	between := fullCond(OpBetween, val("2020-01-01"), val("2021-01-01"))
	return &Query{
		Span: sp(0, 100), Source: diag.NewSource("t", nil),
		Entity: &Entity{
			Span: sp(23, 24), Name: nm("account"),
			Body: Body{
				AllAttributes: bl(true),
				Attributes:    []*Attribute{fullAttr("revenue")},
				Orders:        []*Order{fullOrder("name")},
				Filters:       []*Filter{fullFilter(fullFilter(between), anyLink, fullComputed())},
				Links:         []*LinkEntity{fullLink("account", MatchFirstRowUsingCrossApply, Body{Attributes: []*Attribute{fullAttr("name")}})},
			},
		},
		Top: in(10), Count: in(20), Page: in(3), PagingCookie: nm("<cookie/>"),
		ReturnTotalRecordCount: bl(true), Distinct: bl(true), Aggregate: bl(true), AggregateLimit: in(400),
		NoLock: bl(true), LateMaterialize: bl(true), UseRawOrderBy: bl(true), Options: nm("ForceOrder"),
		DataSource: nm("retained"),
		Orders:     []*Order{fullOrder("total")},
	}
}

var (
	nodeType  = reflect.TypeFor[Node]()
	spanType  = reflect.TypeFor[Span]()
	bodyType  = reflect.TypeFor[Body]()
	sourceTyp = reflect.TypeFor[*diag.Source]()
)

// reachable collects every node reachable through struct fields, by
// reflection, independently of Walk.
func reachable(v reflect.Value, out map[Node]bool) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			reachable(v.Elem(), out)
		}
	case reflect.Pointer:
		if v.IsNil() || v.Type() == sourceTyp {
			return
		}
		if n, ok := v.Interface().(Node); ok {
			out[n] = true
		}
		reachable(v.Elem(), out)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			reachable(v.Index(i), out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			reachable(v.Field(i), out)
		}
	}
}

func TestWalkVisitsEveryNode(t *testing.T) {
	q := fullTree()
	want := map[Node]bool{}
	reachable(reflect.ValueOf(q), want)

	got := map[Node]int{}
	types := map[string]bool{}
	depth, nils := 0, 0
	Inspect(q, func(n Node) bool {
		if n == nil {
			nils++
			depth--
			return false
		}
		depth++
		got[n]++
		types[reflect.TypeOf(n).Elem().Name()] = true
		return true
	})
	if depth != 0 || nils != len(got) {
		t.Errorf("unbalanced Visit(nil) calls: depth %d, %d nils for %d nodes", depth, nils, len(got))
	}
	for n := range want {
		if got[n] != 1 {
			t.Errorf("%T visited %d times, want 1", n, got[n])
		}
	}
	if len(got) != len(want) {
		t.Errorf("Walk visited %d nodes, reflection found %d", len(got), len(want))
	}
	for _, name := range []string{"Query", "Entity", "LinkEntity", "Attribute", "Order", "Filter", "Condition", "Value", "Computed", "Call", "ColumnOperand"} {
		if !types[name] {
			t.Errorf("node type %s not visited", name)
		}
	}
}

func TestInspectPrunes(t *testing.T) {
	q := fullTree()
	var seen []string
	Inspect(q, func(n Node) bool {
		if n != nil {
			seen = append(seen, reflect.TypeOf(n).Elem().Name())
		}
		_, isEntity := n.(*Entity)
		return !isEntity
	})
	// Query, Entity (pruned), then the fetch-level order and its computed key.
	if got := strings.Join(seen, ","); got != "Query,Entity,Order,Call,ColumnOperand,Value" {
		t.Errorf("Inspect with pruning saw %s", got)
	}
}

func TestWalkSkipsNil(t *testing.T) {
	q := &Query{Orders: []*Order{nil}, Entity: &Entity{Body: Body{Links: []*LinkEntity{nil}}}}
	n := 0
	Inspect(q, func(x Node) bool {
		if x != nil {
			n++
		}
		return true
	})
	if n != 2 {
		t.Errorf("visited %d nodes, want 2 (Query, Entity)", n)
	}
	Walk(nil, (*Query)(nil)) // must not call the nil visitor
	if got := Dump((*Filter)(nil)); got != "<nil>\n" {
		t.Errorf("Dump(nil filter) = %q", got)
	}
}

// eachField calls f for every field of every node in q, flattening the
// embedded Body. Child links (pointers, slices) are skipped.
func eachField(q *Query, f func(node Node, name string, v reflect.Value)) {
	var visit func(n Node, v reflect.Value)
	visit = func(n Node, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			fv, sf := v.Field(i), v.Type().Field(i)
			switch {
			case sf.Type == bodyType:
				visit(n, fv)
			case sf.Type.Kind() == reflect.Pointer && sf.Type != sourceTyp,
				sf.Type.Kind() == reflect.Slice:
				// children
			default:
				f(n, sf.Name, fv)
			}
		}
	}
	Inspect(q, func(n Node) bool {
		if n != nil {
			visit(n, reflect.ValueOf(n).Elem())
		}
		return true
	})
}

// TestFullTreeIsFull keeps the fixture honest: a field added to a node
// later fails here until fullTree (and so the Dump test) covers it.
func TestFullTreeIsFull(t *testing.T) {
	eachField(fullTree(), func(n Node, name string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("%T.%s is not set in fullTree", n, name)
		}
	})
}

// TestDumpShowsEveryField clears each field in turn: clearing a semantic
// field must change the dump, clearing a span or the source must not.
func TestDumpShowsEveryField(t *testing.T) {
	q := fullTree()
	full := Dump(q)
	eachField(q, func(n Node, name string, v reflect.Value) {
		saved := reflect.New(v.Type()).Elem()
		saved.Set(v)
		v.SetZero()
		got := Dump(q)
		v.Set(saved)
		positional := v.Type() == spanType || v.Type() == sourceTyp
		switch {
		case positional && got != full:
			t.Errorf("Dump changes when %T.%s is cleared; it must not print positions", n, name)
		case !positional && got == full:
			t.Errorf("Dump does not show %T.%s", n, name)
		}
	})
	if Dump(q) != full {
		t.Fatal("Dump is not deterministic")
	}
}

func TestDumpFormat(t *testing.T) {
	q := &Query{
		Top: Int{Value: 5, Set: true},
		Entity: &Entity{Name: Name{Text: "account"}, Body: Body{
			Attributes: []*Attribute{{Name: Name{Text: "name"}, UserTimeZone: Bool{Set: true}}},
			Filters: []*Filter{{Type: Or, Items: []FilterItem{
				&Condition{Attribute: Name{Text: "name"}, Operator: OpIn, Values: []*Value{{Text: "a\"b"}, {Text: ""}}},
				&LinkEntity{Name: Name{Text: "contact"}, LinkType: NotAll},
			}}},
		}},
		Orders: []*Order{{Attribute: Name{Text: "name"}, Descending: Bool{Value: true, Set: true}}},
	}
	want := `Query top=5
├─ Entity name="account"
│  ├─ Attribute name="name" usertimezone=false
│  └─ Filter type=or
│     ├─ Condition attribute="name" operator=in
│     │  ├─ Value "a\"b"
│     │  └─ Value ""
│     └─ LinkEntity name="contact" link-type="not all"
└─ Order attribute="name" descending=true
`
	if got := Dump(q); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
}

func TestDumpInvalidEnums(t *testing.T) {
	got := Dump(&Attribute{Aggregate: AggregateFunc(200), DateGrouping: DateGrouping(99)})
	if !strings.Contains(got, "aggregate=invalid(200)") || !strings.Contains(got, "dategrouping=invalid(99)") {
		t.Errorf("Dump of out-of-range enums = %q", got)
	}
	got = Dump(&Value{Kind: LiteralKind(42)})
	if !strings.Contains(got, "kind=invalid(42)") {
		t.Errorf("Dump of out-of-range kind = %q", got)
	}
}
