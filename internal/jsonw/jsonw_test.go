package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/testkit"
)

// reference is encoding/json's Encoder without HTML escaping, the writer
// the server used before: what AppendValue must equal byte for byte.
func reference(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func same(t *testing.T, v any) {
	t.Helper()
	want, werr := reference(v)
	got, gerr := AppendValue(nil, v)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%#v: error %v, encoding/json %v", v, gerr, werr)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%#v:\n got %s\nwant %s", v, got, want)
	}
}

func TestAppendValueCases(t *testing.T) {
	cases := []any{
		nil, "", "plain", `quote " backslash \ slash /`, "<a href='x'>&amp;</a>",
		"\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f", "\u2028\u2029", "é漢字🙂", "\xff\xfe", "a\xc3", "\xed\xa0\x80",
		"\ufffd", "\U0010ffff", int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 7, int32(-5),
		0.0, math.Copysign(0, -1), 1.0, -1.5, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789012345678.0,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-300, -2.5e-10, 3.0e+100, math.NaN(), math.Inf(1), math.Inf(-1),
		true, false, json.Number("922337203685477.5807"), json.Number("-0.0001"), json.Number(""), json.Number("1e5"),
		json.Number("01"), json.Number("1."), json.Number("abc"), json.Number("-"), json.Number("1e+"),
		[]int64{}, []int64(nil), []int64{1, -2, 3}, map[string]any{"b": 1, "a": "<>"}, []any{"x", nil},
	}
	for _, c := range cases {
		same(t, c)
	}
}

// TestAppendValueRandom compares random strings (every byte, unicode,
// control characters, invalid UTF-8), floats over all magnitudes, integers
// and decimal texts with encoding/json.
func TestAppendValueRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 3))
	for range 20000 {
		same(t, randomValue(r))
	}
}

func randomValue(r *rand.Rand) any {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1, 2:
		return testkit.JSONString(r, 24)
	case 3:
		return int64(r.Uint64())
	case 4:
		return math.Float64frombits(r.Uint64())
	case 5:
		return r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))
	case 6:
		// Decimals as the engines return them: up to 28 digits, any scale.
		digits := strconv.FormatUint(r.Uint64(), 10) + strconv.FormatUint(r.Uint64()%1e10, 10)
		cut := r.IntN(len(digits) + 1)
		s := strings.TrimLeft(digits[:cut], "0")
		if s == "" {
			s = "0"
		}
		if cut < len(digits) {
			s += "." + digits[cut:]
		}
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		return json.Number(s)
	default:
		return r.IntN(2) == 0
	}
}

// FuzzAppendValue: any string, float, integer or decimal text is written
// as encoding/json writes it (or refused where it refuses).
func FuzzAppendValue(f *testing.F) {
	f.Add("922337203685477.5807", 1e21, int64(-1))
	f.Add("<script>\u2028\xff\x00", 1e-7, int64(math.MaxInt64))
	f.Add("", math.Copysign(0, -1), int64(0))
	f.Fuzz(func(t *testing.T, s string, x float64, n int64) {
		same(t, s)
		same(t, x)
		same(t, n)
		same(t, json.Number(s))
		same(t, []int64{n, int64(len(s))})
	})
}
