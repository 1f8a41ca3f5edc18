package fetchxml

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

var update = flag.Bool("update", false, "rewrite golden files")

func parseString(t *testing.T, text string) (*ast.Query, error) {
	t.Helper()
	return Parse(diag.NewSource("test.xml", []byte(text)))
}

func mustParse(t *testing.T, text string) *ast.Query {
	t.Helper()
	q, err := parseString(t, text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return q
}

// TestGolden parses testdata/*.xml and compares ast.Dump with the
// .ast.golden files (go test -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src := diag.NewSource(f, text)
			q, err := Parse(src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkSpans(t, src, q)
			got := ast.Dump(q)
			golden := strings.TrimSuffix(f, ".xml") + ".ast.golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkSpans asserts the span invariants on a parsed tree: element nodes
// span from '<' to '>', names and operators point at their raw attribute
// values, values are untyped text.
func checkSpans(t *testing.T, src *diag.Source, q *ast.Query) {
	t.Helper()
	text := string(src.Text)
	in := func(sp diag.Span) bool { return 0 <= sp.Start && sp.Start <= sp.End && int(sp.End) <= len(text) }
	raw := func(sp diag.Span) string { return text[sp.Start:sp.End] }
	checkName := func(n ast.Name, what string) {
		if !n.IsSet() {
			return
		}
		if !in(n.Span) {
			t.Errorf("%s %q: span %v out of range", what, n.Text, n.Span)
			return
		}
		if r := raw(n.Span); !strings.ContainsAny(r, "&\t\n\r") && r != n.Text {
			t.Errorf("%s %q: span covers %q", what, n.Text, r)
		}
	}
	element := func(n ast.Node, tag string) {
		sp := n.Extent()
		if !in(sp) || !strings.HasPrefix(raw(sp), "<"+tag) || !strings.HasSuffix(raw(sp), ">") {
			t.Errorf("%T span %v does not cover a <%s> element", n, sp, tag)
		}
	}
	if q.Source != src {
		t.Error("Query.Source is not the parsed source")
	}
	element(q, "fetch")
	ast.Inspect(q, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Entity:
			element(n, "entity")
			checkName(n.Name, "entity name")
		case *ast.LinkEntity:
			element(n, "link-entity")
			for _, x := range []ast.Name{n.Name, n.From, n.To, n.Alias} {
				checkName(x, "link-entity attribute")
			}
			if n.TypeSpan != (diag.Span{}) && raw(n.TypeSpan) != n.LinkType.String() {
				t.Errorf("link-type span covers %q, want %q", raw(n.TypeSpan), n.LinkType)
			}
		case *ast.Attribute:
			element(n, "attribute")
			checkName(n.Name, "attribute name")
			checkName(n.Alias, "attribute alias")
		case *ast.Order:
			element(n, "order")
			checkName(n.Attribute, "order attribute")
		case *ast.Filter:
			element(n, "filter")
		case *ast.Condition:
			element(n, "condition")
			checkName(n.Attribute, "condition attribute")
			checkName(n.ValueOf, "valueof")
			if raw(n.OpSpan) != n.Operator.String() {
				t.Errorf("operator span covers %q, want %q", raw(n.OpSpan), n.Operator)
			}
		case *ast.Value:
			if !in(n.Span) {
				t.Errorf("value span %v out of range", n.Span)
			} else if r := raw(n.Span); !strings.HasPrefix(r, "<value") && !strings.ContainsAny(r, "&\t\n\r") && r != n.Text {
				t.Errorf("value attribute span covers %q, want %q", r, n.Text)
			}
			if n.Kind != ast.KindText {
				t.Errorf("value %q has kind %d, want KindText", n.Text, n.Kind)
			}
		}
		return true
	})
}

// TestGoldenCoverage checks that the golden inputs exercise every
// operator, link type, aggregate, date grouping and every AST field.
func TestGoldenCoverage(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	ops := map[ast.Operator]bool{}
	links := map[ast.LinkType]bool{}
	aggs := map[ast.AggregateFunc]bool{}
	groups := map[ast.DateGrouping]bool{}
	fields := map[string]bool{} // "Type.Field" -> seen non-zero
	for _, f := range files {
		text, _ := os.ReadFile(f)
		q, err := Parse(diag.NewSource(f, text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ast.Inspect(q, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Condition:
				ops[n.Operator] = true
			case *ast.LinkEntity:
				links[n.LinkType] = true
			case *ast.Attribute:
				aggs[n.Aggregate] = true
				groups[n.DateGrouping] = true
			}
			if n != nil {
				recordFields(reflect.ValueOf(n).Elem(), reflect.TypeOf(n).Elem().Name(), fields)
			}
			return true
		})
	}
	for _, o := range ast.Operators() {
		if !ops[o] {
			t.Errorf("operator %s is not covered by a golden file", o)
		}
	}
	for lt := ast.Inner; lt <= ast.NotAll; lt++ {
		if lt != ast.Natural && !links[lt] {
			t.Errorf("link type %s is not covered", lt)
		}
	}
	for a := ast.Count; a <= ast.Max; a++ {
		if !aggs[a] {
			t.Errorf("aggregate %s is not covered", a)
		}
	}
	for g := ast.Day; g <= ast.FiscalYear; g++ {
		if !groups[g] {
			t.Errorf("dategrouping %s is not covered", g)
		}
	}
	for f, seen := range fields {
		// FetchXML values are always KindText; computed orders are OData's.
		if !seen && f != "Value.Kind" && f != "Order.Expr" {
			t.Errorf("field %s is never set by a golden file", f)
		}
	}
}

func recordFields(v reflect.Value, typ string, seen map[string]bool) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type == reflect.TypeFor[ast.Body]() {
			recordFields(v.Field(i), typ, seen)
			continue
		}
		key := typ + "." + f.Name
		seen[key] = seen[key] || !v.Field(i).IsZero()
	}
}

func TestBenchInputsParse(t *testing.T) {
	for _, name := range []string{"small.xml", "medium.xml", "large.xml"} {
		text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bench", name))
		if err != nil {
			t.Fatal(err)
		}
		src := diag.NewSource(name, text)
		q, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkSpans(t, src, q)
	}
	// top with page or count is rejected, as Dataverse throws.
	for _, text := range []string{
		`<fetch top="50" count="50"><entity name="a"/></fetch>`,
		`<fetch top="50" page="2"><entity name="a"/></fetch>`,
	} {
		if _, err := Parse(diag.NewSource("t.xml", []byte(text))); diag.CodeOf(err) != diag.ConflictingOptions {
			t.Errorf("%s: got %v, want %s", text, err, diag.ConflictingOptions)
		}
	}
}

func TestExactTree(t *testing.T) {
	text := `<fetch top="3"><entity name="account"><attribute name="name"/>` +
		`<filter type="or"><condition attribute="a" operator="in" value="x"/>` +
		`<link-entity name="contact" to="accountid" link-type="not any"/></filter></entity></fetch>`
	q := mustParse(t, text)
	sp := func(sub string) diag.Span {
		i := strings.Index(text, sub)
		if i < 0 {
			t.Fatalf("%q not in input", sub)
		}
		return diag.Span{Start: diag.Pos(i), End: diag.Pos(i + len(sub))}
	}
	name := func(s string, at string) ast.Name { return ast.Name{Span: sp(at), Text: s} }
	filter := q.Entity.Filters[0]
	want := &ast.Query{
		Span:   sp(text),
		Source: q.Source,
		Top:    ast.Int{Span: sp(`3`), Value: 3, Set: true},
		Entity: &ast.Entity{
			Span: sp(text[len(`<fetch top="3">`) : len(text)-len(`</fetch>`)]),
			Name: name("account", "account"),
			Body: ast.Body{
				Attributes: []*ast.Attribute{{Span: sp(`<attribute name="name"/>`), Name: ast.Name{Span: diag.Span{Start: sp(`name"/>`).Start, End: sp(`name"/>`).Start + 4}, Text: "name"}}},
				Filters: []*ast.Filter{{
					Span: sp(`<filter type="or">` + text[strings.Index(text, `<condition`):strings.Index(text, `</entity>`)]),
					Type: ast.Or,
					Items: []ast.FilterItem{
						&ast.Condition{
							Span: sp(`<condition attribute="a" operator="in" value="x"/>`), Attribute: name("a", `a"`),
							Operator: ast.OpIn, OpSpan: sp("in"),
							Values: []*ast.Value{{Span: sp(`x"`), Text: "x"}},
						},
						&ast.LinkEntity{
							Span: sp(`<link-entity name="contact" to="accountid" link-type="not any"/>`),
							Name: name("contact", "contact"), To: name("accountid", "accountid"),
							LinkType: ast.NotAny, TypeSpan: sp("not any"),
						},
					},
				}},
			},
		},
	}
	// The spans built with sp(`a"`) and sp(`x"`) include the quote: trim.
	want.Entity.Filters[0].Items[0].(*ast.Condition).Attribute.Span.End--
	want.Entity.Filters[0].Items[0].(*ast.Condition).Values[0].Span.End--
	if diff := cmp.Diff(want, q, cmp.AllowUnexported(diag.Source{})); diff != "" {
		t.Errorf("tree mismatch (-want +got):\n%s", diff)
	}
	if len(filter.Items) != 2 {
		t.Fatalf("filter has %d items", len(filter.Items))
	}
}

func TestNamesDoNotAliasInput(t *testing.T) {
	text := []byte(`<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)
	q, err := Parse(diag.NewSource("t", text))
	if err != nil {
		t.Fatal(err)
	}
	for i := range text {
		text[i] = 'x'
	}
	if q.Entity.Name.Text != "account" || q.Entity.Attributes[0].Name.Text != "name" {
		t.Errorf("names changed with the input buffer: %q %q", q.Entity.Name.Text, q.Entity.Attributes[0].Name.Text)
	}
}

func TestBoolAndIntForms(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want bool
	}{{"true", true}, {"TRUE", true}, {"True", true}, {"1", true}, {"false", false}, {"FALSE", false}, {"0", false}} {
		q := mustParse(t, `<fetch distinct="`+tc.attr+`"><entity name="a"/></fetch>`)
		if !q.Distinct.Set || q.Distinct.Value != tc.want {
			t.Errorf("distinct=%q parsed as %+v", tc.attr, q.Distinct)
		}
	}
	for _, bad := range []string{"yes", "", " true", "2", "t", "truee"} {
		_, err := parseString(t, `<fetch distinct="`+bad+`"><entity name="a"/></fetch>`)
		if diag.CodeOf(err) != diag.BadAttributeValue {
			t.Errorf("distinct=%q: got %v, want %s", bad, err, diag.BadAttributeValue)
		}
	}
	for _, tc := range []struct {
		attr string
		want int64
	}{{"1", 1}, {"5000", 5000}, {"+7", 7}, {"007", 7}} {
		q := mustParse(t, `<fetch top="`+tc.attr+`"><entity name="a"/></fetch>`)
		if !q.Top.Set || q.Top.Value != tc.want {
			t.Errorf("top=%q parsed as %+v", tc.attr, q.Top)
		}
	}
	for _, tc := range []struct {
		attr string
		code diag.Code
	}{
		{"ten", diag.BadAttributeValue}, {"", diag.BadAttributeValue}, {"1.5", diag.BadAttributeValue},
		{" 5", diag.BadAttributeValue}, {"0x10", diag.BadAttributeValue}, {"0", diag.BadAttributeValue},
		{"-1", diag.BadAttributeValue}, {"99999999999999999999", diag.BadAttributeValue}, {"5001", diag.LimitExceeded},
	} {
		_, err := parseString(t, `<fetch top="`+tc.attr+`"><entity name="a"/></fetch>`)
		if diag.CodeOf(err) != tc.code {
			t.Errorf("top=%q: got %v, want %s", tc.attr, err, tc.code)
		}
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		raw         string
		attr, cdata bool
		want        string
	}{
		{"a&amp;b", true, false, "a&b"},
		{"&lt;&gt;&quot;&apos;", false, false, `<>"'`},
		{"&#65;&#x42;&#X43;", false, false, "AB&#X43;"}, // &#X is not a reference; the scanner rejects it first
		{"&#x1F600;", true, false, "\U0001F600"},
		{"a\tb\nc\r\nd\re", true, false, "a b c d e"},
		{"a\tb\nc\r\nd\re", false, false, "a\tb\nc\nd\ne"},
		{"&#9;&#10;&#13;", true, false, "\t\n\r"},
		{"&amp;\r\n", false, true, "&amp;\n"},
	} {
		if got := decode(tc.raw, tc.attr, tc.cdata); got != tc.want {
			t.Errorf("decode(%q, attr=%v, cdata=%v) = %q, want %q", tc.raw, tc.attr, tc.cdata, got, tc.want)
		}
	}
}

// TestSyntaxErrors covers malformed XML: one fatal SyntaxError at the
// offending position, never a panic.
func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		pos  string // line:col of the error
		code diag.Code
	}{
		{"", "1:1", diag.SyntaxError},
		{"  \n ", "2:2", diag.SyntaxError},
		{"<", "1:1", diag.SyntaxError},
		{"<fetch", "1:1", diag.SyntaxError},
		{"<fetch/", "1:7", diag.SyntaxError},
		{"<fetch>", "1:1", diag.SyntaxError},
		{"<fetch>\n  <entity name='a'>\n</fetch>", "3:1", diag.SyntaxError},
		{"</fetch>", "1:1", diag.SyntaxError},
		{"<fetch></fetch >x", "1:17", diag.SyntaxError},
		{"<fetch/>\n<fetch/>", "2:1", diag.SyntaxError},
		{"x<fetch/>", "1:1", diag.SyntaxError},
		{"<fetch/><![CDATA[x]]>", "1:9", diag.SyntaxError},
		{"<fetch><![CDATA[x</fetch>", "1:8", diag.SyntaxError},
		{"<!DOCTYPE fetch [<!ENTITY e 'x'>]><fetch>&e;</fetch>", "1:1", diag.SyntaxError},
		{"<fetch><!ENTITY e 'x'></fetch>", "1:8", diag.SyntaxError},
		{"<fetch>&e;</fetch>", "1:8", diag.SyntaxError},
		{"<fetch a='&nbsp;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&amp'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#x;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#0;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#xD800;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#1114112;'/>", "1:11", diag.SyntaxError},
		{"<fetch a='&#99999999999999999999;'/>", "1:11", diag.SyntaxError},
		{"<fetch a=1/>", "1:10", diag.SyntaxError},
		{"<fetch a/>", "1:9", diag.SyntaxError},
		{"<fetch a='1'b='2'/>", "1:13", diag.SyntaxError},
		{"<fetch a='1' a='2'/>", "1:14", diag.SyntaxError},
		{"<fetch a='<'/>", "1:11", diag.SyntaxError},
		{"<fetch a='x/>", "1:14", diag.SyntaxError},
		{"<fetch a='\x01'/>", "1:11", diag.SyntaxError},
		{"<fetch>\x00</fetch>", "1:8", diag.SyntaxError},
		{"<fetch>\xff</fetch>", "1:8", diag.SyntaxError},
		{"<fetch a='\xc3'/>", "1:11", diag.SyntaxError},
		{"<fetch>\uFFFE</fetch>", "1:8", diag.SyntaxError},
		{"<1fetch/>", "1:2", diag.SyntaxError},
		{"<fetch/ >", "1:7", diag.SyntaxError},
		{"<fetch></>", "1:10", diag.SyntaxError},
		{"<fetch></fetch", "1:15", diag.SyntaxError},
		{"<fetch><!-- a -- b --></fetch>", "1:15", diag.SyntaxError},
		{"<fetch><!-- a </fetch>", "1:8", diag.SyntaxError},
		{"<fetch><!x></fetch>", "1:8", diag.SyntaxError},
		{"<fetch>]]></fetch>", "1:8", diag.SyntaxError},
		{" <?xml version='1.0'?><fetch/>", "1:2", diag.SyntaxError},
		{"<?xml version='1.0'?><?xml version='1.0'?><fetch/>", "1:22", diag.SyntaxError},
		{"<?xml version='1.0'", "1:1", diag.SyntaxError},
		{"<?pi<fetch/>", "1:1", diag.SyntaxError},
		{"<?pi$?><fetch/>", "1:5", diag.SyntaxError},
		{"<??><fetch/>", "1:3", diag.SyntaxError},
		{"<fetch p:x='1'/>", "1:8", diag.SyntaxError},
		{"<p:fetch/>", "1:2", diag.SyntaxError},
		{"<fetch xmlns:p=''/>", "1:17", diag.SyntaxError},
		{"<fetch xmlns:xmlns='u'/>", "1:8", diag.SyntaxError},
		{"<fetch xmlns:p='u' a:b:c='1'/>", "1:20", diag.SyntaxError},
		{"<fetch xmlns:p='u'><entity name='a'/></fetch><x p:y='1'/>", "1:46", diag.SyntaxError},
		{"<fetch><entity name='a' xmlns:p='u'/><attribute p:y='1'/></fetch>", "1:49", diag.SyntaxError},
		{"<fetch>\n<entity name='a'>text</entity></fetch>", "2:18", diag.SyntaxError},
	} {
		_, err := parseString(t, tc.in)
		var list diag.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Errorf("%q: got %v, want an ErrorList", tc.in, err)
			continue
		}
		e := list[0]
		p := e.Position()
		if got := p.String(); e.Code != tc.code || got != "test.xml:"+tc.pos {
			t.Errorf("%q: got %s %s, want test.xml:%s %s", tc.in, got, e.Code, tc.pos, tc.code)
		}
	}
}

// TestDeepNesting must end with TooDeep quickly, whatever the depth.
func TestDeepNesting(t *testing.T) {
	for _, tag := range []string{"filter", "x"} {
		n := 200000
		text := "<fetch><entity name='a'>" + strings.Repeat("<"+tag+">", n) + strings.Repeat("</"+tag+">", n) + "</entity></fetch>"
		_, err := parseString(t, text)
		if diag.CodeOf(err) != diag.TooDeep {
			t.Errorf("%d nested <%s>: got %v, want %s", n, tag, err, diag.TooDeep)
		}
	}
	// 64 levels are fine: fetch, entity and 62 filters.
	text := "<fetch><entity name='a'>" + strings.Repeat("<filter>", 62) + strings.Repeat("</filter>", 62) + "</entity></fetch>"
	q := mustParse(t, text)
	depth := 0
	for f := q.Entity.Filters[0]; ; depth++ {
		if len(f.Items) == 0 {
			break
		}
		f = f.Items[0].(*ast.Filter)
	}
	if depth != 61 {
		t.Errorf("nested filter depth %d, want 61", depth)
	}
	_, err := parseString(t, "<fetch><entity name='a'>"+strings.Repeat("<filter>", 63)+strings.Repeat("</filter>", 63)+"</entity></fetch>")
	if diag.CodeOf(err) != diag.TooDeep {
		t.Errorf("65 levels: got %v, want %s", err, diag.TooDeep)
	}
}

func TestErrorListSortedAndCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("<fetch><entity name='a'>\n")
	for i := 0; i < 30; i++ {
		b.WriteString("<attribute name='x' bogus='1'/>\n")
	}
	b.WriteString("</entity><bad/></fetch>")
	_, err := parseString(t, b.String())
	var list diag.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v", err)
	}
	if len(list) != diag.MaxErrors {
		t.Errorf("%d errors, want %d", len(list), diag.MaxErrors)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Span.Start > list[i].Span.Start {
			t.Errorf("errors not sorted: %v before %v", list[i-1].Span, list[i].Span)
		}
	}
	if e := list[0]; e.Code != diag.UnknownAttribute || e.Position().Line != 2 || !strings.HasPrefix(e.Error(), "test.xml:2:") {
		t.Errorf("first error %v", e)
	}
}

func TestNilAndEmptySource(t *testing.T) {
	if _, err := Parse(nil); diag.CodeOf(err) != diag.SyntaxError {
		t.Errorf("Parse(nil): %v", err)
	}
	if _, err := Parse(diag.NewSource("e", nil)); diag.CodeOf(err) != diag.SyntaxError {
		t.Errorf("empty: %v", err)
	}
}

func TestLeniencies(t *testing.T) {
	// BOM, XML declaration with a foreign encoding, default namespace.
	q := mustParse(t, "\xEF\xBB\xBF<?xml version='1.0' encoding='utf-16'?>\r\n<fetch xmlns='urn:x'><entity name='a'/></fetch>")
	if q.Entity.Name.Text != "a" || int(q.Span.Start) != 3+len("<?xml version='1.0' encoding='utf-16'?>\r\n") {
		t.Errorf("BOM/declaration: %+v", q.Span)
	}
	// Whitespace and comments are allowed anywhere between elements.
	mustParse(t, "<!--a--><fetch>\n\t<!--b--><entity name='a'> <?pi x?> </entity></fetch>\n<!--c-->\n")
}

func TestOperandShapes(t *testing.T) {
	cond := func(c string) string { return `<fetch><entity name="a"><filter>` + c + `</filter></entity></fetch>` }
	for _, tc := range []struct {
		cond string
		code diag.Code // "" = valid
		n    int       // number of values when valid
	}{
		{`<condition attribute="x" operator="eq" value="1"/>`, "", 1},
		{`<condition attribute="x" operator="eq"><value>1</value></condition>`, "", 1},
		{`<condition attribute="x" operator="eq" valueof="y"/>`, "", 0},
		{`<condition attribute="x" operator="eq"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="eq" value="1"><value>2</value></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="eq"><value>1</value><value>2</value></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="eq" value="1" valueof="y"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="neq" valueof="y"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="like" valueof="y"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="null" value="1"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="null"><value/></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="today" valueof="y"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="in"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="in" value="1"><value>2</value></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="in" value="1"/>`, "", 1},
		{`<condition attribute="x" operator="between"><value>1</value></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="between" value="1"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="between"><value>1</value><value>2</value><value>3</value></condition>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="last-x-days" value="3"/>`, "", 1},
		{`<condition attribute="x" operator="last-x-days" value="0"/>`, diag.BadLiteral, 0},
		{`<condition attribute="x" operator="last-x-days" value="-2"/>`, diag.BadLiteral, 0},
		{`<condition attribute="x" operator="last-x-days" value="three"/>`, diag.BadLiteral, 0},
		{`<condition attribute="x" operator="last-x-days" value=" 3"/>`, diag.BadLiteral, 0},
		{`<condition attribute="x" operator="last-x-days"/>`, diag.OperandCount, 0},
		{`<condition attribute="x" operator="in-fiscal-period" value="0"/>`, "", 1}, // range left to the planner
		{`<condition attribute="x" operator="in-fiscal-year" value="2023.5"/>`, diag.BadLiteral, 0},
		{`<condition attribute="x" operator="eq" value=""/>`, "", 1},
		{`<condition attribute="x" operator="EQ" value="1"/>`, diag.UnknownOperator, 0},
		{`<condition attribute="x" operator="" value="1"/>`, diag.UnknownOperator, 0},
		{`<condition attribute="x" operator="natural" value="1"/>`, diag.UnknownOperator, 0},
	} {
		q, err := parseString(t, cond(tc.cond))
		if got := diag.CodeOf(err); got != tc.code {
			t.Errorf("%s: got %v, want %q", tc.cond, err, tc.code)
			continue
		}
		if err == nil {
			c := q.Entity.Filters[0].Items[0].(*ast.Condition)
			if len(c.Values) != tc.n {
				t.Errorf("%s: %d values, want %d", tc.cond, len(c.Values), tc.n)
			}
		}
	}
}

func TestNeqIsItsOwnOperator(t *testing.T) {
	q := mustParse(t, `<fetch><entity name="a"><filter><condition attribute="x" operator="neq" value="1"/></filter></entity></fetch>`)
	if op := q.Entity.Filters[0].Items[0].(*ast.Condition).Operator; op != ast.OpNeq {
		t.Errorf("neq parsed as %v", op)
	}
}

func TestLinkAliases(t *testing.T) {
	link := func(attrs string) string { return `<link-entity name="contact" to="x" ` + attrs + `/>` }
	doc := func(links ...string) string {
		return `<fetch><entity name="a">` + strings.Join(links, "") + `</entity></fetch>`
	}
	for _, tc := range []struct {
		doc  string
		code diag.Code
	}{
		{doc(link(`alias="c"`), link(`alias="d"`)), ""},
		{doc(link(``), link(``)), ""}, // contact1, contact2
		{doc(link(`alias="c"`), link(`alias="c"`)), diag.DuplicateAlias},
		{doc(link(``), link(`alias="contact1"`)), diag.DuplicateAlias},
		{doc(link(`alias="contact2"`), link(``), link(``)), diag.DuplicateAlias},
		{doc(link(`alias="contact2"`), link(``)), ""},
		{doc(link(``), `<link-entity name="contact1" to="x" alias="contact11"/>`), ""},
		// The alias-less link to contact1 is named contact11.
		{doc(`<link-entity name="contact1" to="x"/>`, link(``), `<link-entity name="contact" to="x" alias="contact11"/>`), diag.DuplicateAlias},
		// contact1 + "1" and contact + "11" both give contact11.
		{doc(`<link-entity name="contact1" to="x"/>`, strings.Repeat(link(``), 11)), diag.DuplicateAlias},
		{`<fetch><entity name="a"><attribute name="x" alias="n"/><link-entity name="b" to="y"><attribute name="z" alias="n"/></link-entity></entity></fetch>`, diag.DuplicateAlias},
	} {
		_, err := parseString(t, tc.doc)
		if got := diag.CodeOf(err); got != tc.code {
			t.Errorf("%s: got %v, want %q", tc.doc, err, tc.code)
		}
	}
}

func TestLimits(t *testing.T) {
	links := func(n int) string {
		return `<fetch><entity name="a">` + strings.Repeat(`<link-entity name="b" to="c"/>`, n) + `</entity></fetch>`
	}
	mustParse(t, links(15))
	if _, err := parseString(t, links(16)); diag.CodeOf(err) != diag.LimitExceeded {
		t.Errorf("16 links: %v", err)
	}
	conds := func(n int) string {
		return `<fetch><entity name="a"><filter>` + strings.Repeat(`<condition attribute="x" operator="null"/>`, n) +
			`</filter><link-entity name="b" to="c"/></entity></fetch>`
	}
	mustParse(t, conds(499))
	if _, err := parseString(t, conds(500)); diag.CodeOf(err) != diag.LimitExceeded {
		t.Errorf("500 conditions + 1 link: %v", err)
	}
	// Attribute alias check switches to a map past 64 attributes.
	many := `<fetch><entity name="a">` + strings.Repeat(`<attribute name="x"/>`, 70) + `<attribute name="y" alias="z"/><attribute name="w" alias="z"/></entity></fetch>`
	if _, err := parseString(t, many); diag.CodeOf(err) != diag.DuplicateAlias {
		t.Errorf("duplicate alias among 72 attributes: %v", err)
	}
	tooMany := `<fetch a0="1"` + strings.Repeat(" x=''", 0)
	for i := 1; i <= maxAttrs; i++ {
		tooMany += " a" + strings.Repeat("x", i) + "='1'"
	}
	if _, err := parseString(t, tooMany+"/>"); diag.CodeOf(err) != diag.LimitExceeded {
		t.Errorf("%d attributes: %v", maxAttrs+1, err)
	}
	var ns strings.Builder
	for i := 0; i <= maxAttrs; i++ { // nine elements of eight declarations
		if i%8 == 0 {
			ns.WriteString("><x")
		}
		ns.WriteString(" xmlns:p" + strings.Repeat("q", i) + "='u'")
	}
	ns.WriteString(">")
	if _, err := parseString(t, "<fetch"+ns.String()); diag.CodeOf(err) != diag.LimitExceeded {
		t.Errorf("%d namespace declarations: %v", maxAttrs+1, err)
	}
}

// TestConcurrentParse shares the parser pool between goroutines: every
// result must match the sequential one (run with -race).
func TestConcurrentParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	want := map[string]string{}
	for _, f := range files {
		text, _ := os.ReadFile(f)
		want[f] = ast.Dump(mustParse(t, string(text)))
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				for _, f := range files {
					text, _ := os.ReadFile(f)
					q, err := Parse(diag.NewSource(f, text))
					if err != nil {
						done <- err
						return
					}
					if ast.Dump(q) != want[f] {
						done <- errors.New(f + ": concurrent parse differs")
						return
					}
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
