package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	odataparse "github.com/vecompile/vecompile/parse/odata"
)

// TestProtocolEdge: OData-Version on every response, errors included;
// Accept that excludes the endpoint's type is 406; OData-MaxVersion or
// OData-Version below 4.0 is refused; a body of another type is 415;
// headers beyond the limit and a method the path does not serve get
// Dataverse-shaped errors; $top=0 is no rows.
func TestProtocolEdge(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	for _, r := range []*response{
		e.do("GET", "/odata/accounts", nil),
		e.do("GET", "/odata/nosuch", nil),
		e.do("GET", "/odata/accounts", nil, "Authorization", ""),
		e.do("GET", "/odata/$metadata", nil),
		e.do("GET", "/api/ve/v1/catalog", nil),
		e.do("PUT", "/odata/accounts", nil),
		e.do("GET", "/nowhere", nil),
	} {
		if r.header.Get("OData-Version") != "4.0" {
			t.Errorf("status %d without OData-Version: %s", r.status, r.body)
		}
	}
	for _, a := range []string{"application/xml", "text/html, application/xml;q=0.9", "application/json;q=0", "text/*"} {
		e.do("GET", "/odata/accounts", nil, "Accept", a).wantError(t, http.StatusNotAcceptable, "", "VE6018")
	}
	for _, a := range []string{"application/json", "application/json;odata.metadata=minimal", "*/*", "application/*;q=0.5", "text/html, */*;q=0.1"} {
		e.do("GET", "/odata/accounts", nil, "Accept", a).want(t, http.StatusOK)
	}
	e.do("GET", "/odata/$metadata", nil, "Accept", "application/json").wantError(t, http.StatusNotAcceptable, "", "VE6018")
	e.do("GET", "/odata/$metadata", nil, "Accept", "application/xml").want(t, http.StatusOK)
	e.do("GET", "/odata/accounts/$count", nil, "Accept", "text/plain").want(t, http.StatusOK)
	for _, h := range []string{"OData-MaxVersion", "OData-Version"} {
		e.do("GET", "/odata/accounts", nil, h, "3.0").wantError(t, http.StatusBadRequest, "", "VE6019")
		e.do("GET", "/odata/accounts", nil, h, "four").wantError(t, http.StatusBadRequest, "", "VE6019")
		e.do("GET", "/odata/accounts", nil, h, "4.0").want(t, http.StatusOK)
		e.do("GET", "/odata/accounts", nil, h, "4.01").want(t, http.StatusOK)
	}
	e.do("PATCH", "/odata/accounts("+acc1+")", `{"name":"x"}`, "Content-Type", "text/plain").wantError(t, http.StatusUnsupportedMediaType, "", "VE6032")
	e.do("PATCH", "/odata/accounts("+acc1+")", `{"name":"x"}`, "Content-Type", "application/json; charset=latin1").wantError(t, http.StatusUnsupportedMediaType, "", "VE6032")
	e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`, "Content-Type", "application/xml").want(t, http.StatusOK)
	e.do("PUT", "/odata/accounts", nil).wantError(t, http.StatusMethodNotAllowed, "", "VE6031")
	e.do("GET", "/odata/accounts", nil, "X-Big", strings.Repeat("x", 70<<10)).wantError(t, http.StatusRequestHeaderFieldsTooLarge, "", "VE6030")
	m := e.do("GET", "/odata/accounts?$top=0", nil).want(t, http.StatusOK).json(t)
	if v := m["value"].([]any); len(v) != 0 {
		t.Errorf("$top=0 returned %d rows", len(v))
	}
	e.do("GET", "/odata/accounts?$top=0&$filter=nosuch%20eq%201", nil).wantError(t, http.StatusBadRequest, "", "VE2002")
}

// probe proves the server reads an input: the request with it answers
// differently (status, body, or the echoed X-Request-Id and
// Preference-Applied headers) from the same request without it, or is
// refused with a 4xx and a code.
type probe struct {
	path, without, with string // query strings after path
	hdr                 []string
	body                string
	method              string
}

func (p probe) run(e *env) (base, got *response) {
	m := p.method
	if m == "" {
		m = "GET"
	}
	var b any
	if p.body != "" {
		b = p.body
	}
	sep := func(q string) string {
		if q == "" {
			return ""
		}
		return "?" + q
	}
	base = e.do(m, p.path+sep(p.without), b)
	got = e.do(m, p.path+sep(p.with), b, p.hdr...)
	return base, got
}

// TestEveryInputIsRead: every query option and request header the server
// reads (found in its source: Header.Get/Values arguments, the system
// option table, the custom options) has a probe showing that it changes
// the answer or is refused with a code, so that an input added to the
// code without being honoured or refused fails here.
func TestEveryInputIsRead(t *testing.T) {
	headers, options := readInputs(t)
	const acct = `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`
	optionProbes := map[string]probe{
		"$select":        {path: "/odata/accounts", with: "$select=name"},
		"$expand":        {path: "/odata/accounts", with: "$expand=primarycontactid($select=fullname)"},
		"$filter":        {path: "/odata/accounts", with: "$filter=name%20eq%20'Contoso%20Ltd'"},
		"$orderby":       {path: "/odata/accounts", with: "$orderby=name%20desc"},
		"$top":           {path: "/odata/accounts", with: "$top=1"},
		"$skip":          {path: "/odata/accounts", with: "$top=1&$skip=1", without: "$top=1"},
		"$count":         {path: "/odata/accounts", with: "$count=true"},
		"$search":        {path: "/odata/accounts", with: "$search=contoso"},
		"$apply":         {path: "/odata/accounts", with: "$apply=aggregate(accountid%20with%20countdistinct%20as%20n)"},
		"$compute":       {path: "/odata/accounts", with: "$compute=numberofemployees%20mul%202%20as%20x"},
		"$format":        {path: "/odata/accounts", with: "$format=atom"},
		"$skiptoken":     {path: "/odata/accounts", with: "$skiptoken=forged"},
		"$deltatoken":    {path: "/odata/accounts", with: "$deltatoken=1"},
		"$index":         {path: "/odata/accounts", with: "$index=1"},
		"$schemaversion": {path: "/odata/accounts", with: "$schemaversion=1"},
		"$id":            {path: "/odata/accounts", with: "$id=x"},
		"$levels":        {path: "/odata/accounts", with: "$levels=2"},
		"@alias":         {path: "/odata/accounts", without: "$filter=name%20eq%20@p&@p='nobody'", with: "$filter=name%20eq%20@p&@p='Contoso%20Ltd'"},
		"fetchxml":       {path: "/odata/accounts", with: "fetchXml=" + url.QueryEscape(acct)},
		"savedquery":     {path: "/odata/accounts", with: "savedQuery=00000000-0000-0000-0000-000000000001"},
		"userquery":      {path: "/odata/accounts", with: "userQuery=00000000-0000-0000-0000-000000000001"},
		"custom":         {path: "/odata/accounts", with: "tag=1"},
		// The same options where an endpoint does not read them.
		"key $filter":      {path: "/odata/accounts(" + acc1 + ")", with: "$filter=name%20eq%20'x'"},
		"key $select":      {path: "/odata/accounts(" + acc1 + ")", with: "$select=name"},
		"count $top":       {path: "/odata/accounts/$count", with: "$top=1"},
		"count $filter":    {path: "/odata/accounts/$count", with: "$filter=name%20eq%20'Contoso%20Ltd'"},
		"metadata $select": {path: "/odata/$metadata", with: "$select=name"},
		"sdk option":       {path: "/api/ve/v1/catalog", with: "x=1"},
		"write $select":    {path: "/odata/accounts(" + acc1 + ")", method: "PATCH", body: `{"name":"Contoso Ltd"}`, with: "$select=name"},
	}
	headerProbes := map[string]probe{
		"authorization":         {path: "/odata/accounts", hdr: []string{"Authorization", ""}},
		"x-ve-user-id":          {path: "/odata/accounts", hdr: []string{"X-VE-User-Id", "aa000000-0000-4000-8000-0000000000ff"}},
		"x-ve-object-id":        {path: "/odata/accounts", hdr: []string{"X-VE-Object-Id", "ffffffff-0000-4000-8000-000000000001"}},
		"x-ve-contact-id":       {path: "/odata/accounts", hdr: []string{"X-VE-Contact-Id", "c0000000-0000-4000-8000-0000000000ff"}},
		"x-ve-groups":           {path: "/odata/accounts", hdr: []string{"X-VE-Groups", "not-a-guid"}},
		"x-request-id":          {path: "/odata/accounts", hdr: []string{"X-Request-Id", "probe-1"}},
		"prefer":                {path: "/odata/accounts", hdr: []string{"Prefer", "odata.maxpagesize=1"}},
		"odata-maxversion":      {path: "/odata/accounts", hdr: []string{"OData-MaxVersion", "3.0"}},
		"odata-version":         {path: "/odata/accounts", hdr: []string{"OData-Version", "3.0"}},
		"accept":                {path: "/odata/accounts", hdr: []string{"Accept", "application/xml"}},
		"content-type":          {path: "/odata/accounts(" + acc1 + ")", method: "PATCH", body: `{"name":"Contoso Ltd"}`, hdr: []string{"Content-Type", "text/csv"}},
		"if-match":              {path: "/odata/accounts(" + acc1 + ")", method: "PATCH", body: `{"name":"Contoso Ltd"}`, hdr: []string{"If-Match", `W/"1"`}},
		"if-none-match":         {path: "/odata/accounts(" + acc1 + ")", hdr: []string{"If-None-Match", "*"}},
		"idempotency-key":       {path: "/odata/accounts(" + acc1 + ")", method: "PATCH", body: `{"name":"Contoso Ltd"}`, hdr: []string{"Idempotency-Key", "k"}},
		"prefer representation": {path: "/odata/accounts(" + acc1 + ")", method: "PATCH", body: `{"name":"Contoso Ltd"}`, hdr: []string{"Prefer", "return=representation"}},
	}
	for _, h := range headers {
		if _, ok := headerProbes[strings.ToLower(h)]; !ok {
			t.Errorf("the server reads the header %s, and no probe shows it is honoured or refused: add one", h)
		}
	}
	for _, o := range options {
		if _, ok := optionProbes[o]; !ok {
			t.Errorf("the server knows the query option %s, and no probe shows it is honoured or refused: add one", o)
		}
	}
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	check := func(kind, name string, p probe) {
		base, got := p.run(e)
		switch {
		case got.status >= 400:
			if _, code := got.errCode(t); code == "" || got.status >= 500 {
				t.Errorf("%s %s: refused without a code or with a 5xx: %d %s", kind, name, got.status, got.body)
			}
		case got.status == base.status && string(got.body) == string(base.body) &&
			got.header.Get("X-Request-Id") != "probe-1" && got.header.Get("Preference-Applied") == base.header.Get("Preference-Applied"):
			t.Errorf("%s %s: the answer is the same with and without it (%d): ignored", kind, name, got.status)
		}
	}
	for _, name := range slices.Sorted(mapKeys(optionProbes)) {
		check("option", name, optionProbes[name])
	}
	for _, name := range slices.Sorted(mapKeys(headerProbes)) {
		check("header", name, headerProbes[name])
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// readInputs finds, in the server's source, the request headers it reads
// (Header.Get and Header.Values arguments: string literals, constants,
// and the elements of the lists a loop variable ranges over) and the
// query options it knows (the OData parser's system options, the custom options it names),
// with "@alias" and "custom" for the classes every request may carry.
func readInputs(t *testing.T) (headers, options []string) {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	consts := map[string]string{}
	vars := map[string]ast.Expr{}
	var parsed []*ast.File
	for _, fn := range files {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range g.Specs {
				vs, ok := sp.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[n.Name], _ = strconv.Unquote(lit.Value)
					}
					vars[n.Name] = vs.Values[i]
				}
			}
		}
	}
	str := func(x ast.Expr) (string, bool) {
		switch v := x.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(v.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[v.Name]
			return s, ok
		}
		return "", false
	}
	// strings of a list: a composite literal's elements, the first string
	// field of struct elements, through a package variable.
	var listStrings func(x ast.Expr) []string
	listStrings = func(x ast.Expr) []string {
		if id, ok := x.(*ast.Ident); ok {
			if v, ok := vars[id.Name]; ok {
				return listStrings(v)
			}
		}
		cl, ok := x.(*ast.CompositeLit)
		if !ok {
			return nil
		}
		var out []string
		for _, el := range cl.Elts {
			if s, ok := str(el); ok {
				out = append(out, s)
			} else if inner, ok := el.(*ast.CompositeLit); ok && len(inner.Elts) > 0 {
				if s, ok := str(inner.Elts[0]); ok {
					out = append(out, s)
				}
			} else if kv, ok := el.(*ast.KeyValueExpr); ok {
				if s, ok := str(kv.Key); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	seen := map[string]bool{}
	add := func(list *[]string, s string) {
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			*list = append(*list, s)
		}
	}
	for _, f := range parsed {
		var ranges []*ast.RangeStmt
		ast.Inspect(f, func(n ast.Node) bool {
			if rs, ok := n.(*ast.RangeStmt); ok {
				ranges = append(ranges, rs)
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Get" && sel.Sel.Name != "Values") {
				return true
			}
			if hs, ok := sel.X.(*ast.SelectorExpr); !ok || hs.Sel.Name != "Header" {
				return true
			}
			if s, ok := str(call.Args[0]); ok {
				add(&headers, s)
				return true
			}
			// A loop variable (h, hk.name): the list its range covers.
			found := false
			for _, rs := range ranges {
				if rs.Pos() <= call.Pos() && call.End() <= rs.End() {
					for _, s := range listStrings(rs.X) {
						add(&headers, s)
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: a header read whose name the scan cannot resolve: name it with a constant, or read it in a loop over a literal list", fset.Position(call.Pos()))
			}
			return true
		})
	}
	options = append(options, odataparse.SystemOptions()...)
	options = append(options, "@alias", "fetchxml", "savedquery", "userquery", "custom")
	if len(headers) < 8 || len(options) < 17 {
		t.Fatalf("the source scan found too little: headers %v, options %v", headers, options)
	}
	return headers, options
}
