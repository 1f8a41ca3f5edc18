package odata

import (
	"path/filepath"
	"testing"
)

// TestExprParsersAgree holds the hand-written expression parser to the
// participle grammar: on every applicable OASIS case and the benchmark,
// both accept or both reject, and accepted inputs give the same tree.
func TestExprParsersAgree(t *testing.T) {
	inputs := []string{benchFilter[len("accounts?$filter="):], "not not a", "a in ()", "f()", "x/any()", "-a sub -1 mul 2", "{\"a\":[1,{}]}", "a eq"}
	var cases []abnfCase
	for _, f := range []string{"odata-abnf-testcases.yaml", "odata-aggregation-testcases.yaml"} {
		cases = append(cases, readCases(t, filepath.Join(abnfDir, f))...)
	}
	for _, c := range cases {
		if applicable(c) == "expr" {
			if in, _, err := decode(c.Input); err == nil {
				inputs = append(inputs, in)
			}
		}
	}
	agree := 0
	for _, in := range inputs {
		want, perr := filterParser.ParseString("", in)
		got, gerr := parseExprString(in)
		switch {
		case (perr == nil) != (gerr == nil):
			t.Errorf("%q: participle error %v, hand-written error %v", in, perr, gerr)
		case perr == nil && want.String() != got.String():
			t.Errorf("%q: participle %s, hand-written %s", in, want.String(), got.String())
		default:
			agree++
		}
	}
	t.Logf("%d/%d expressions parse alike", agree, len(inputs))
}
