package server

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// TestCheckJSONDuplicateKeys: an object repeating a key, in any spelling
// encoding/json would match to one struct field, is DuplicateAttribute
// naming the key and where it is; equal keys in different objects pass.
func TestCheckJSONDuplicateKeys(t *testing.T) {
	s := &Server{cfg: Config{MaxDepth: DefaultMaxDepth}}
	for _, c := range []struct {
		body, where string // where: "" means accepted
	}{
		{`{"name":"a","name":"b"}`, `"name"`},
		{`{"Target":{"Attributes":{"name":"a","Name":"b"}}}`, `$.Target.Attributes`},
		{`{"Target":{},"target":{}}`, `"target"`},
		{`{"a":[{"x":1},{"y":{"n\u0061me":1,"name":2}}]}`, `$.a[].y`},
		{`{"\u212aey":1,"key":2}`, `"key"`}, // the Kelvin sign folds to k, as encoding/json matches it
		{`{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`, ""},
		{`{"x":"x","y":"x"}`, ""},
		{`<fetch/>`, ""}, // not JSON: the real decoder reports it
		{`{"a":1,`, ""},
	} {
		err := s.checkJSON([]byte(c.body))
		switch {
		case c.where == "" && err != nil:
			t.Errorf("%s: refused: %v", c.body, err)
		case c.where != "" && (diag.CodeOf(err) != diag.DuplicateAttribute || !strings.Contains(err.Error(), c.where)):
			t.Errorf("%s: %v, want DuplicateAttribute naming %s", c.body, err, c.where)
		}
	}
}

// TestCanonicalAttributes: two spellings of one column are refused naming
// the column; one spelling is keyed by the metadata's logical name.
func TestCanonicalAttributes(t *testing.T) {
	tbl := plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"systemuser", "team"}},
		{LogicalName: "name", Type: plan.TString},
	}})
	got, err := canonicalAttributes(tbl, spellings(map[string]any{"OwnerId": "x", "NAME": "n"}))
	if err != nil || len(got) != 2 || got["ownerid"] != "x" || got["name"] != "n" {
		t.Errorf("one spelling each: %v %v", got, err)
	}
	_, err = canonicalAttributes(tbl, spellings(map[string]any{"OwnerId": "a", "ownerid": "b"}))
	if diag.CodeOf(err) != diag.DuplicateAttribute || !strings.Contains(err.Error(), "account.ownerid") {
		t.Errorf("two spellings: %v", err)
	}
	_, err = canonicalAttributes(tbl, []spelling{{key: "ownerid", column: "ownerid"}, {key: "ownerid@odata.bind", column: "ownerid"}})
	if diag.CodeOf(err) != diag.DuplicateAttribute {
		t.Errorf("a property and its bind: %v", err)
	}
	if _, err = canonicalAttributes(tbl, spellings(map[string]any{"nosuch": 1})); diag.CodeOf(err) != diag.UnknownColumn {
		t.Errorf("unknown attribute: %v", err)
	}
}
