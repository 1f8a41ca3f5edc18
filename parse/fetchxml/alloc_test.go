package fetchxml

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
)

// shapedQuery has the given numbers of attributes, link-entities,
// conditions (half with a value attribute, half with <value> elements) and
// orders, so that trees of many shapes are built.
func shapedQuery(attrs, links, conds, orders int) string {
	var b strings.Builder
	b.WriteString(`<fetch><entity name="account">`)
	for i := range attrs {
		fmt.Fprintf(&b, `<attribute name="a%d"/>`, i)
	}
	for i := range orders {
		fmt.Fprintf(&b, `<order attribute="a%d"/>`, i)
	}
	b.WriteString(`<filter type="or">`)
	for i := range conds {
		if i%2 == 0 {
			fmt.Fprintf(&b, `<condition attribute="c%d" operator="eq" value="v%d"/>`, i, i)
		} else {
			fmt.Fprintf(&b, `<condition attribute="c%d" operator="in"><value>x%d</value><value>y%d</value></condition>`, i, i, i)
		}
	}
	b.WriteString(`</filter>`)
	for i := range links {
		fmt.Fprintf(&b, `<link-entity name="contact" from="f" to="t" alias="l%d"><attribute name="n"/><filter><condition attribute="d" operator="null"/></filter></link-entity>`, i)
	}
	b.WriteString(`</entity></fetch>`)
	return b.String()
}

// TestTreesSurviveGC builds trees of some hundreds of shapes on several
// goroutines, collects garbage, and checks that every tree, its nodes
// carved from slabs, still prints as it did.
func TestTreesSurviveGC(t *testing.T) {
	type tree struct {
		q    *ast.Query
		dump string
	}
	var mu sync.Mutex
	var trees []tree
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attrs := g; attrs < 12; attrs += 4 {
				for links := range 4 {
					for conds := range 14 {
						text := shapedQuery(attrs, links, conds, conds%3)
						q, err := Parse(diag.NewSource("shape.xml", []byte(text)))
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						trees = append(trees, tree{q, ast.Dump(q)})
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	for range 3 {
		runtime.GC()
		_ = make([]byte, 1<<20) // garbage between collections
	}
	for _, tr := range trees {
		if got := ast.Dump(tr.q); got != tr.dump {
			t.Fatalf("tree changed after GC:\n%s\nwant\n%s", got, tr.dump)
		}
	}
}
