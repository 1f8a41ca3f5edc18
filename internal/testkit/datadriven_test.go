package testkit

import (
	"strings"
	"testing"
)

func TestParseDirectives(t *testing.T) {
	src := "# c\nupper a=1 b=(x,y)\nhello\n----\nHELLO\n\necho\nx\n----\n----\nx\n\ny\n----\n----\n"
	ds, err := parseDirectives("f", strings.Split(src, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("got %d directives", len(ds))
	}
	if ds[0].Cmd != "upper" || ds[0].Args["a"] != "1" || ds[0].Args["b"] != "x,y" || ds[0].Input != "hello" || ds[0].Expected != "HELLO" {
		t.Errorf("first directive: %+v", ds[0])
	}
	if ds[1].Expected != "x\n\ny" {
		t.Errorf("fenced output: %q", ds[1].Expected)
	}
	if _, err := parseDirectives("f", []string{"cmd", "no separator"}); err == nil {
		t.Error("a directive without ---- must be an error")
	}
}
