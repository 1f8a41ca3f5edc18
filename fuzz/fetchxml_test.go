// Package fuzz holds the fuzz targets of the front ends and of the whole
// pipeline (parse, plan, emit every dialect, run on SQLite), with their
// committed seed corpora in testdata/fuzz. It has test files only.
package fuzz

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
)

// fetchXMLSeeds are the parser's golden and error fixtures, the benchmark
// queries and, when the shared folder is present, the conformance corpora.
var fetchXMLSeeds = []string{
	"../parse/fetchxml/testdata/*.xml",
	"../parse/fetchxml/testdata/errors/*.xml",
	"../testdata/bench/*.xml",
	"../../shared/corpus/sql4cds-fetchxml/*.xml",
	"../../shared/corpus/fetchxml-odata/*.xml",
}

func FuzzFetchXML(f *testing.F) {
	for _, pattern := range fetchXMLSeeds {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if text, err := os.ReadFile(file); err == nil {
				f.Add(text)
			}
		}
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		q, err := fetchxml.Parse(diag.NewSource("fuzz.xml", text))
		if err != nil {
			checkErrors(t, err, len(text))
			if q != nil {
				t.Fatal("Parse returned a query along with errors")
			}
			return
		}
		if q == nil || q.Entity == nil {
			t.Fatal("Parse succeeded without a query or an entity")
		}
		dump := ast.Dump(q)
		checkSpans(t, reflect.ValueOf(q), len(text))
		// The parser pools its buffers: a second parse must agree.
		q2, err := fetchxml.Parse(diag.NewSource("fuzz.xml", text))
		if err != nil || ast.Dump(q2) != dump {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}

func checkErrors(t *testing.T, err error, n int) {
	var list diag.ErrorList
	if !errors.As(err, &list) || len(list) == 0 || len(list) > diag.MaxErrors {
		t.Fatalf("error is not a non-empty, capped ErrorList: %#v", err)
	}
	for i, e := range list {
		if e.Code == "" || e.Span.Start < 0 || e.Span.Start > e.Span.End || int(e.Span.End) > n {
			t.Fatalf("bad error %v (span %v, input %d bytes)", e, e.Span, n)
		}
		if i > 0 && list[i-1].Span.Start > e.Span.Start {
			t.Fatalf("errors not sorted: %v", list)
		}
		_ = e.Error()
	}
}

var spanType = reflect.TypeFor[diag.Span]()

// checkSpans visits every diag.Span in the tree (node spans, name, int and
// bool spans, OpSpan, TypeSpan) by reflection.
func checkSpans(t *testing.T, v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() && v.Type() != reflect.TypeFor[*diag.Source]() {
			checkSpans(t, v.Elem(), n)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkSpans(t, v.Index(i), n)
		}
	case reflect.Struct:
		if v.Type() == spanType {
			sp := v.Interface().(diag.Span)
			if sp.Start < 0 || sp.Start > sp.End || int(sp.End) > n {
				t.Fatalf("span %v outside the %d-byte input", sp, n)
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			checkSpans(t, v.Field(i), n)
		}
	}
}
