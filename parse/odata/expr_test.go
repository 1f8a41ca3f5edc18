package odata

import "testing"

// TestParsersAgreeSmall: hand-picked corners of the grammar.
func TestParsersAgreeSmall(t *testing.T) {
	var inputs []string
	for _, v := range []string{
		benchFilter[len("accounts?$filter="):], "not not a", "a in ()", "f()", "x/any()", "-a sub -1 mul 2", "{\"a\":[1,{}]}", "a eq",
		"name desc,address1_city", "name asc", "a/b desc, c", "contains(name,'x') desc", "name desc desc", "name,", "",
		"name,address1_city", "*", "a/b,c", "Model.*,@Core.Messages", "a,,b", "a b", "a/", "a/(b)", "a(b,c)", "a(b,c eq 1)", "a()",
		"a($select=b;$expand=c($top=1;$skip=2;$count=true;$levels=max))", "a($filter=b eq 1;$orderby=c desc;$search=x OR (y -z))",
		"a($apply=groupby((b));$compute=c mul 2 as d;@p=1)", "a($top=x)", "a($count=1)", "a($levels=-1)", "a($select=)", "a(;)",
		"a($search=)", "a($search=(b)", "a/$ref($filter=x eq 1)", "a/$count($top=1)", "a($select=b))", "a,b(c($expand=d))",
	} {
		inputs = append(inputs, asOptions(v)...)
	}
	checkAgree(t, "small", inputs, 0)
}
