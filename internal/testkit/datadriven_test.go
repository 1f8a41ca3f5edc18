package testkit

import (
	"os"
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

func TestGolden(t *testing.T) {
	path := t.TempDir() + "/x.golden"
	*Update = true
	Golden(t, path, []byte("one"))
	*Update = false
	Golden(t, path, []byte("one"))
	var inner testing.T
	ft := &fakeT{T: &inner}
	Golden(ft, path, []byte("two"))
	if !ft.failed {
		t.Error("a differing output must fail")
	}
}

// fakeT records failures instead of failing the enclosing test.
type fakeT struct {
	*testing.T
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }

func TestInputs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/a.ddt", []byte("plan\n<fetch/>\n----\nout\n\nsql x=1\nline1\nline2\n----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Inputs(dir + "/*.ddt")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "<fetch/>" || got[1] != "line1\nline2" {
		t.Errorf("Inputs = %q", got)
	}
}
