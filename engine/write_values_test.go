package engine_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

func jsonValue(t *testing.T, raw string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}

// TestDecodeValueShapes: every accepted shape of the table in
// write_values.go decodes to the typed value and target the statement and
// the security check both take; every other shape is refused with its
// code, naming the column.
func TestDecodeValueShapes(t *testing.T) {
	const g = "acc00000-0000-4000-8000-000000000001"
	lookup := &plan.Column{LogicalName: "parentaccountid", Type: plan.TLookup, Targets: []string{"account"}}
	customer := &plan.Column{LogicalName: "customerid", Type: plan.TCustomer, Targets: []string{"account", "contact"}}
	owner := &plan.Column{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}}
	noTargets := &plan.Column{LogicalName: "regardingobjectid", Type: plan.TLookup}
	choice := &plan.Column{LogicalName: "industrycode", Type: plan.TPicklist}
	money := &plan.Column{LogicalName: "revenue", Type: plan.TMoney}
	multi := &plan.Column{LogicalName: "new_tags", Type: plan.TMultiSelectPicklist}
	text := &plan.Column{LogicalName: "name", Type: plan.TString}
	untyped := &plan.Column{LogicalName: "new_amount", Type: plan.TUnknown}
	for _, tc := range []struct {
		col    *plan.Column
		raw    string
		want   any    // the typed value (nil: NULL)
		target string // the lookup's target
	}{
		{lookup, `"` + strings.ToUpper(g) + `"`, g, "account"},
		{lookup, `"{` + g + `}"`, g, "account"},
		{lookup, `{"Id":"` + g + `"}`, g, "account"},
		{lookup, `{"id":"` + g + `"}`, g, "account"},
		{lookup, `{"Id":"` + g + `","LogicalName":"account","Name":"Contoso"}`, g, "account"},
		{lookup, `{"id":"` + g + `","logicalName":"Account","name":"Contoso"}`, g, "account"},
		{lookup, `{"id":"` + g + `","logicalname":"account","Name":null}`, g, "account"},
		{lookup, `{"Id":"` + g + `","LogicalName":null}`, g, "account"},
		{lookup, `null`, nil, ""},
		{customer, `"` + g + `"`, g, ""}, // polymorphic, no LogicalName: the server looks in every target
		{customer, `{"Id":"` + g + `","LogicalName":"contact"}`, g, "contact"},
		{owner, `{"Id":"` + g + `","LogicalName":"team"}`, g, "team"},
		{choice, `3`, int64(3), ""},
		{choice, `{"Value":3}`, int64(3), ""},
		{choice, `{"value":3}`, int64(3), ""},
		{money, `{"Value":12.5}`, "12.5", ""},
		{money, `12.5`, "12.5", ""},
		{multi, `[1,3]`, "1,3", ""},
		{multi, `[{"Value":1},{"value":3}]`, "1,3", ""},
		{text, `"x"`, "x", ""},
		// A column of unknown type takes a number exactly, written out
		// without an exponent.
		{untyped, `42`, int64(42), ""},
		{untyped, `12.50`, "12.5", ""},
		{untyped, `1.5e3`, "1500", ""},
		{untyped, `-25E-3`, "-0.025", ""},
		{untyped, `0.0e10`, "0", ""},
		{untyped, `123456789012345678901234567890.12345678`, "123456789012345678901234567890.12345678", ""},
	} {
		a, err := engine.DecodeValue(tc.col, jsonValue(t, tc.raw))
		if err != nil {
			t.Errorf("%s %s: %v", tc.col.LogicalName, tc.raw, err)
			continue
		}
		var got any
		if a.Value != nil {
			got = a.Value.V
		}
		if got != tc.want || a.Target != tc.target || a.Column != tc.col {
			t.Errorf("%s %s = %#v target %q, want %#v target %q", tc.col.LogicalName, tc.raw, got, a.Target, tc.want, tc.target)
		}
	}
	for _, tc := range []struct {
		col  *plan.Column
		raw  string
		code diag.Code
	}{
		{lookup, `{"Value":"` + g + `"}`, diag.BadValueShape},                                             // the check read "no change", the writer X
		{lookup, `{"id":"` + g + `","Value":"acc00000-0000-4000-8000-000000000002"}`, diag.BadValueShape}, // checked as A, written as B
		{lookup, `{"Id":"` + g + `","id":"` + g + `"}`, diag.BadValueShape},
		{lookup, `{"Id":"` + g + `","ID":"` + g + `"}`, diag.BadValueShape},
		{lookup, `{"Id":"` + g + `","KeyAttributes":{}}`, diag.BadValueShape},
		{lookup, `{"Id":"` + g + `","LogicalName":"contact"}`, diag.BadValueShape},
		{lookup, `{"Id":"` + g + `","LogicalName":5}`, diag.BadValueShape},
		{lookup, `{"Id":"` + g + `","Name":5}`, diag.BadValueShape},
		{lookup, `{"LogicalName":"account"}`, diag.BadValueShape},
		{lookup, `{"Id":null}`, diag.BadValueShape},
		{lookup, `{}`, diag.BadValueShape},
		{noTargets, `{"Id":"` + g + `","LogicalName":"account"}`, diag.BadValueShape},
		{owner, `{"Id":"` + g + `","LogicalName":"account"}`, diag.BadValueShape},
		{choice, `{"Value":3,"Id":"` + g + `"}`, diag.BadValueShape},
		{choice, `{"Value":null}`, diag.BadValueShape},
		{choice, `{"Id":"` + g + `"}`, diag.BadValueShape},
		{multi, `[{"Value":1,"Label":"a"}]`, diag.BadValueShape},
		{lookup, `5`, diag.TypeMismatch},
		{lookup, `{"Id":5}`, diag.TypeMismatch},
		{lookup, `"not-a-guid"`, diag.TypeMismatch},
		{lookup, `[]`, diag.TypeMismatch},
		{choice, `"3"`, diag.TypeMismatch},
		{text, `{"Value":"x"}`, diag.TypeMismatch},
		{text, `5`, diag.TypeMismatch},
		{multi, `["1"]`, diag.TypeMismatch},
		// Past 38 digits written out no engine's DECIMAL holds it exactly:
		// refused, not sent for the database to round or overflow.
		{untyped, `1e400`, diag.ValueOutOfRange},
		{untyped, `-1e-400`, diag.ValueOutOfRange},
		{untyped, `1e39`, diag.ValueOutOfRange},
		{untyped, `1e99999999999999999999`, diag.ValueOutOfRange},
		{untyped, `1234567890123456789012345678901234567.89`, diag.ValueOutOfRange},
	} {
		_, err := engine.DecodeValue(tc.col, jsonValue(t, tc.raw))
		if diag.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.col.LogicalName) {
			t.Errorf("%s %s: %v, want %s naming the column", tc.col.LogicalName, tc.raw, err, tc.code)
		}
	}
}
