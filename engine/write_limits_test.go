package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// TestDecodeValueLimits: every value beyond its column's metadata is
// refused by the decoder, naming the column, with ValueOutOfRange or
// InvalidText; values at the limits pass, and decimals are rounded to the
// column's decimal places as written.
func TestDecodeValueLimits(t *testing.T) {
	name := &plan.Column{LogicalName: "name", Type: plan.TString, MaxLength: 5}
	memo := &plan.Column{LogicalName: "description", Type: plan.TMemo}
	count := &plan.Column{LogicalName: "numberofemployees", Type: plan.TInteger}
	big := &plan.Column{LogicalName: "bignumber", Type: plan.TBigInt}
	money := &plan.Column{LogicalName: "revenue", Type: plan.TMoney}
	money2 := &plan.Column{LogicalName: "price", Type: plan.TMoney, Precision: 2, HasPrecision: true}
	dec := &plan.Column{LogicalName: "rate", Type: plan.TDecimal, Precision: 2, HasPrecision: true}
	numeric := &plan.Column{LogicalName: "ratio", Type: plan.TDecimal, Digits: 5, Precision: 3, HasPrecision: true}
	dbl := &plan.Column{LogicalName: "score", Type: plan.TDouble, Precision: 1, HasPrecision: true}
	when := &plan.Column{LogicalName: "createdon", Type: plan.TDateTime}
	day := &plan.Column{LogicalName: "birthdate", Type: plan.TDateTime, DateBehavior: plan.DateOnly}
	opts := []plan.Option{{Value: 1, Label: "One"}, {Value: 2, Label: "Two"}}
	choice := &plan.Column{LogicalName: "industrycode", Type: plan.TPicklist, Options: opts}
	state := &plan.Column{LogicalName: "statecode", Type: plan.TState, Options: []plan.Option{{Value: 0, Label: "Active"}}}
	free := &plan.Column{LogicalName: "customertypecode", Type: plan.TPicklist}
	multi := &plan.Column{LogicalName: "new_tags", Type: plan.TMultiSelectPicklist, Options: opts}

	for _, tc := range []struct {
		col  *plan.Column
		raw  string
		want any
	}{
		{name, `"abcde"`, "abcde"},
		{name, `"ééééé"`, "ééééé"}, // characters, not bytes
		{memo, `"` + strings.Repeat("x", 5000) + `"`, strings.Repeat("x", 5000)},
		{count, `2147483647`, int64(2147483647)},
		{count, `-2147483648`, int64(-2147483648)},
		{big, `9223372036854775807`, int64(9223372036854775807)},
		{money, `922337203685477`, "922337203685477"},
		{money, `-922337203685477.0000`, "-922337203685477"},
		{money, `1.23456`, "1.2346"},
		{money2, `1.235`, "1.24"},
		{money2, `-1.235`, "-1.24"},
		{dec, `100000000000`, "100000000000"},
		{dec, `0.005`, "0.01"},
		{dec, `0.004`, "0"},
		{numeric, `99.9994`, "99.999"},
		{dbl, `1.25`, 1.3},
		{dbl, `100000000000`, 1e11},
		{when, `"1753-01-01T00:00:00Z"`, time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)},
		{when, `"9999-12-31T23:59:59.999Z"`, time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{day, `"9999-12-31"`, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{choice, `2`, int64(2)},
		{choice, `{"Value":1}`, int64(1)},
		{state, `0`, int64(0)},
		{free, `123456`, int64(123456)},
		{multi, `[1,2]`, "1,2"},
	} {
		a, err := engine.DecodeValue(tc.col, jsonValue(t, tc.raw))
		if err != nil {
			t.Errorf("%s %s: %v", tc.col.LogicalName, tc.raw, err)
			continue
		}
		if a.Value == nil || a.Value.V != tc.want {
			t.Errorf("%s %s: got %#v, want %#v", tc.col.LogicalName, tc.raw, a.Value, tc.want)
		}
	}

	for _, tc := range []struct {
		col  *plan.Column
		raw  any
		code diag.Code
	}{
		{name, `"abcdef"`, diag.ValueOutOfRange},
		{name, `"a\u0000b"`, diag.InvalidText},
		{name, "a\xffb", diag.InvalidText}, // a hook's Go string
		{memo, `"x\u0000"`, diag.InvalidText},
		{count, `2147483648`, diag.ValueOutOfRange},
		{count, `-2147483649`, diag.ValueOutOfRange},
		{big, `9223372036854775808`, diag.ValueOutOfRange},
		{money, `922337203685478`, diag.ValueOutOfRange},
		{money, `-922337203685477.5`, diag.ValueOutOfRange},
		{money2, `{"Value":100000000000000000000}`, diag.ValueOutOfRange},
		{dec, `100000000000.01`, diag.ValueOutOfRange},
		{dec, `-100000000000.005`, diag.ValueOutOfRange}, // rounds to -100000000000.01
		{numeric, `99.9995`, diag.ValueOutOfRange},       // rounds to 100.000: 3 digits before the point is too many
		{dbl, `100000000000.1`, diag.ValueOutOfRange},
		{when, `"1752-12-31T23:59:59Z"`, diag.ValueOutOfRange},
		{when, `"0000-01-01"`, diag.ValueOutOfRange},
		{when, `"9999-12-31T23:00:00-02:00"`, diag.ValueOutOfRange}, // 10000-01-01 in UTC
		{day, `"1700-01-01"`, diag.ValueOutOfRange},
		{choice, `3`, diag.ValueOutOfRange},
		{choice, `{"Value":0}`, diag.ValueOutOfRange},
		{state, `1`, diag.ValueOutOfRange},
		{free, `2147483648`, diag.ValueOutOfRange},
		{multi, `[1,3]`, diag.ValueOutOfRange},
		{multi, `[{"Value":7}]`, diag.ValueOutOfRange},
	} {
		v := tc.raw
		if s, ok := v.(string); ok && !strings.Contains(s, "\xff") {
			v = jsonValue(t, s)
		}
		_, err := engine.DecodeValue(tc.col, v)
		if got := diag.CodeOf(err); got != tc.code {
			t.Errorf("%s %v: code %q (%v), want %s", tc.col.LogicalName, tc.raw, got, err, tc.code)
			continue
		}
		if !strings.Contains(err.Error(), tc.col.LogicalName) {
			t.Errorf("%s %v: the error does not name the column: %v", tc.col.LogicalName, tc.raw, err)
		}
	}
}
