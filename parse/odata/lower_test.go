package odata_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// TestLower: testdata/*.ddt, "lower" directives (flags: v4, untyped). The
// output is the normalized request and the lowered tree, or each error
// as "line:col CODE message" (columns count in the request as written,
// before percent-decoding).
func TestLower(t *testing.T) {
	_, cat, err := engine.OpenSample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	schema := vecompile.ODataSchema(cat)
	for _, file := range []string{"testdata/lower.ddt", "testdata/errors.ddt"} {
		t.Run(file, func(t *testing.T) {
			testkit.RunFile(t, file, func(t *testing.T, d *testkit.Directive) string {
				in := strings.TrimSpace(d.Input)
				opt := odata.Options{NullInclusive: plan.NullInclusive}
				if _, ok := d.Arg("v4"); ok {
					opt.Flavor = odata.V4
				}
				s := schema
				if _, ok := d.Arg("untyped"); ok {
					s = odata.Conventional{}
				}
				src := diag.NewSource("q", []byte(in))
				r, err := odata.ParseRequest(src)
				if err != nil {
					return errorLines(err)
				}
				q, err := odata.Lower(r, s, opt)
				if err != nil {
					return r.String() + "\n" + errorLines(err)
				}
				return r.String() + "\n" + ast.Dump(q)
			})
		})
	}
}

func errorLines(err error) string {
	var list diag.ErrorList
	if l, ok := err.(diag.ErrorList); ok {
		list = l
	}
	var b strings.Builder
	for _, e := range list {
		p := e.Position()
		fmt.Fprintf(&b, "%d:%d %s %s\n", p.Line, p.Col, e.Code, e.Msg)
	}
	return b.String()
}
