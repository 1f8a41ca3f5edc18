package engine

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The decimal renderings (decimal.go) must give what the big.Rat path
// they replaced gave; ratDecimal, ratAvg and ratCanonical are that path,
// kept here as the reference.

func ratFromFloatRef(f float64) (*big.Rat, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return new(big.Rat).SetString(strconv.FormatFloat(f, 'e', 14, 64))
}

func ratCanonical(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if strings.ContainsAny(s, "eE") {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return "", false
		}
		return ratStrip(r.FloatString(maxScale)), true
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", false
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	if hasDot && strings.Contains(frac, ".") {
		return "", false
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

func ratStrip(s string) string { d, _ := ratCanonical(s); return d }

func ratDecimal(f float64) (string, bool) {
	r, ok := ratFromFloatRef(f)
	if !ok {
		return "", false
	}
	return ratStrip(r.FloatString(maxScale)), true
}

func ratAvg(v any) (string, bool) {
	var r *big.Rat
	switch x := v.(type) {
	case float64:
		var ok bool
		if r, ok = ratFromFloatRef(x); !ok {
			return "", false
		}
	default:
		d, ok := toDecimal(v)
		if !ok {
			return "", false
		}
		if r, ok = new(big.Rat).SetString(string(d)); !ok {
			return "", false
		}
	}
	return ratStrip(r.FloatString(AvgScale)), true
}

// randomFloat draws doubles of every magnitude, money-like values and
// halves at the rounding places.
func randomFloat(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return math.Float64frombits(r.Uint64())
	case 1:
		return float64(r.Int64N(1e15)-5e14) / 1e4 // money, 4 places
	case 2:
		return (float64(r.IntN(2e6)) + 0.5) / math.Pow10(r.IntN(8))
	case 3:
		return r.NormFloat64() * math.Pow10(r.IntN(60)-30)
	}
	return float64(r.IntN(100000)) / 8
}

// randomDecimalText draws decimal text as drivers and JSON bodies give
// it, with signs, zeros, exponents and malformed variants.
func randomDecimalText(r *rand.Rand) string {
	const alphabet = "0123456789"
	var b strings.Builder
	switch r.IntN(6) {
	case 0:
		b.WriteByte("+- "[r.IntN(3)])
	}
	for range r.IntN(22) {
		b.WriteByte(alphabet[r.IntN(10)])
	}
	if r.IntN(3) > 0 {
		b.WriteByte('.')
		for range r.IntN(35) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))] - byte(r.IntN(2))*byte(r.IntN(10)))
		}
	}
	if r.IntN(4) == 0 {
		b.WriteByte("eE"[r.IntN(2)])
		if r.IntN(2) == 0 {
			b.WriteByte("+-"[r.IntN(2)])
		}
		b.WriteString(strconv.Itoa(r.IntN(60)))
	}
	if r.IntN(20) == 0 {
		b.WriteString([]string{".", "x", "_1", "0x1", "/3", " "}[r.IntN(6)])
	}
	return b.String()
}

func TestDecimalTextMatchesRat(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2))
	for range 200000 {
		f := randomFloat(r)
		got, ok := toDecimal(f)
		want, wok := ratDecimal(f)
		if ok != wok || string(got) != want {
			t.Fatalf("toDecimal(%v) = %q, %v; big.Rat gave %q, %v", f, got, ok, want, wok)
		}
		ga, ok := toAvg(f)
		wa, wok := ratAvg(f)
		if ok != wok || string(ga) != wa {
			t.Fatalf("toAvg(%v) = %q, %v; big.Rat gave %q, %v", f, ga, ok, wa, wok)
		}
		s := randomDecimalText(r)
		gs, ok := canonicalDecimal(s)
		ws, wok := ratCanonical(s)
		if ok != wok || gs != ws {
			t.Fatalf("canonicalDecimal(%q) = %q, %v; big.Rat gave %q, %v", s, gs, ok, ws, wok)
		}
		if ok {
			ga, ok := toAvg(s)
			wa, wok := ratAvg(s)
			if ok != wok || string(ga) != wa {
				t.Fatalf("toAvg(%q) = %q, %v; big.Rat gave %q, %v", s, ga, ok, wa, wok)
			}
		}
	}
}

func TestDecimalTextExact(t *testing.T) {
	for in, want := range map[any]string{
		"922337203685477.5807":  "922337203685477.5807",
		"-922337203685477.5808": "-922337203685477.5808",
		"1500000.5000":          "1500000.5",
		"0.0100":                "0.01",
		922337203685477.5:       "922337203685478", // a double: 15 significant digits
		0.1:                     "0.1",
		-0.0:                    "0",
		1e-40:                   "0",
		1.5e20:                  "150000000000000000000",
		"1.25E-2":               "0.0125",
		"0x1e5":                 "485",
	} {
		got, ok := toDecimal(in)
		if !ok || got != json.Number(want) {
			t.Errorf("toDecimal(%#v) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for in, want := range map[any]string{0.00005: "0.0001", -0.00005: "-0.0001", 0.00004: "0", "2.49995": "2.5", "-1.00005": "-1.0001"} {
		if got, ok := toAvg(in); !ok || got != json.Number(want) {
			t.Errorf("toAvg(%#v) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func BenchmarkToDecimal(b *testing.B) {
	for _, tc := range []struct {
		name string
		v    any
	}{{"float", 1000000.5}, {"text", "1000000.5000"}, {"canonical", "1000000.5"}} {
		b.Run(tc.name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				toDecimal(tc.v)
			}
		})
		b.Run(tc.name+"/big.Rat", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if f, ok := tc.v.(float64); ok {
					ratDecimal(f)
				} else {
					ratCanonical(tc.v.(string))
				}
			}
		})
	}
}
