package fetchxml

import "github.com/vecompile/vecompile/ast"

// operatorByName is ast.OperatorByFetchName without a map: a perfect hash
// of the length and the first and last eight bytes into a 1 KiB table, and
// one comparison. The table is built at init from ast's operators (the
// multiplier is searched for, so a new operator needs no change here); if
// no multiplier were found, the map is used.
func operatorByName(s string) (ast.Operator, bool) {
	if opMul == 0 {
		return ast.OperatorByFetchName(s)
	}
	o := ast.Operator(opTab[opSlot(s, opMul)])
	if o != ast.OpInvalid && opNames[o] == s {
		return o, true
	}
	return ast.OpInvalid, false
}

const opBits = 10

var (
	opMul   uint64
	opTab   [1 << opBits]uint8
	opNames []string // by operator
)

func opSlot(s string, mul uint64) uint64 {
	k := uint64(len(s))
	if len(s) >= 8 {
		k ^= load8(s, 0) ^ load8(s, len(s)-8)<<1
	} else {
		k ^= word(s) << 8
	}
	return k * mul >> (64 - opBits)
}

func init() {
	ops := ast.Operators()
	names := make([]string, 0, len(ops)+1)
	names = append(names, "")
	for _, o := range ops {
		if int(o) != len(names) || o > 255 {
			return // not the dense table this relies on: use the map
		}
		names = append(names, o.String())
	}
	x := uint64(0x9E3779B97F4A7C15)
search:
	for try := 0; try < 1000; try++ {
		x += 0x9E3779B97F4A7C15 // splitmix64
		z := (x ^ x>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		mul := (z ^ z>>31) | 1
		var tab [1 << opBits]uint8
		for o := 1; o < len(names); o++ {
			h := opSlot(names[o], mul)
			if tab[h] != 0 {
				continue search
			}
			tab[h] = uint8(o)
		}
		opMul, opTab, opNames = mul, tab, names
		return
	}
}
