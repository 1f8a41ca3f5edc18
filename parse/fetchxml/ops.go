package fetchxml

import "github.com/vecompile/vecompile/ast"

// operatorByName is ast.OperatorByFetchName without a map: a perfect hash
// on the length and the first and last eight bytes, built at init from the
// operator table (the multiplier is searched for, so a new operator needs
// no change here), and one string comparison.
func operatorByName(s string) (ast.Operator, bool) {
	if opTab == nil {
		return ast.OperatorByFetchName(s)
	}
	e := &opTab[opSlot(s, opMul)]
	if e.name == s && e.name != "" {
		return e.op, true
	}
	return ast.OpInvalid, false
}

type opEntry struct {
	name string
	op   ast.Operator
}

const opBits = 10

var (
	opMul uint64
	opTab *[1 << opBits]opEntry // nil if no perfect multiplier was found
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
	x := uint64(0x9E3779B97F4A7C15)
search:
	for try := 0; try < 10000; try++ {
		// splitmix64 steps: odd multipliers with well-mixed bits.
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		mul := (z ^ z>>31) | 1
		tab := new([1 << opBits]opEntry)
		for _, o := range ops {
			name := o.String()
			e := &tab[opSlot(name, mul)]
			if e.name != "" {
				continue search
			}
			*e = opEntry{name, o}
		}
		opMul, opTab = mul, tab
		return
	}
}
