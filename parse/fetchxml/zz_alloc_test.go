package fetchxml

import (
	"testing"

	"github.com/vecompile/vecompile/ast"
)

var sinkA []ast.Attribute
var sinkC []ast.Condition
var sinkL []ast.LinkEntity
var sinkO []ast.Order
var sinkF []ast.Filter
var sinkV []ast.Value
var sinkR *rootNodes
var sinkP []*ast.Value
var sinkI []ast.FilterItem
var sinkS string

func BenchmarkZAllocs(b *testing.B) {
	buf := make([]byte, 1512)
	b.ReportAllocs()
	for b.Loop() {
		sinkS = string(buf)
		sinkR = new(rootNodes)
		sinkA = make([]ast.Attribute, 6)
		sinkC = make([]ast.Condition, 10)
		sinkL = make([]ast.LinkEntity, 3)
		sinkO = make([]ast.Order, 1)
		sinkF = make([]ast.Filter, 5)
		sinkV = make([]ast.Value, 10)
		sinkP = make([]*ast.Value, 6)
		sinkP = make([]*ast.Value, 1)
		sinkP = make([]*ast.Value, 5)
		sinkP = make([]*ast.Value, 3)
		sinkP = make([]*ast.Value, 10)
		sinkI = make([]ast.FilterItem, 13)
	}
}
func BenchmarkZAllocsNoStr(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkR = new(rootNodes)
		sinkA = make([]ast.Attribute, 6)
		sinkC = make([]ast.Condition, 10)
		sinkL = make([]ast.LinkEntity, 3)
		sinkO = make([]ast.Order, 1)
		sinkF = make([]ast.Filter, 5)
		sinkV = make([]ast.Value, 10)
		sinkP = make([]*ast.Value, 38)
		sinkI = make([]ast.FilterItem, 13)
	}
}

type big struct {
	r rootNodes
	a [6]ast.Attribute
	c [10]ast.Condition
	l [3]ast.LinkEntity
	o [1]ast.Order
	f [5]ast.Filter
	v [10]ast.Value
	p [38]*ast.Value
	i [13]ast.FilterItem
}

var sinkB *big

func BenchmarkZAllocOne(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkB = new(big)
	}
}

type big2 struct {
	r rootNodes
	a [8]ast.Attribute
	c [12]ast.Condition
	l [4]ast.LinkEntity
	o [2]ast.Order
	f [6]ast.Filter
	v [12]ast.Value
}

var sinkB2 *big2
var sinkU []unsafePtr

type unsafePtr *int

func BenchmarkZAllocTier(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkB2 = new(big2)
		sinkU = make([]unsafePtr, 38+13)
	}
}
