package plan_test

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// orderCatalog: account's lookups point at a contact with a primary name,
// a note without one and a table the catalog lacks; its choice has labels,
// another choice has none.
func orderCatalog() plan.MapCatalog {
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "account", PrimaryKey: "accountid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "accountid", Type: plan.TUniqueidentifier},
		{LogicalName: "name", Type: plan.TString},
		{LogicalName: "contactid", Type: plan.TLookup, Targets: []string{"contact"}},
		{LogicalName: "noteid", Type: plan.TLookup, Targets: []string{"note"}},
		{LogicalName: "ghostid", Type: plan.TLookup, Targets: []string{"ghost"}},
		{LogicalName: "mixedid", Type: plan.TCustomer, Targets: []string{"contact", "note"}},
		{LogicalName: "ownerid", Type: plan.TOwner, Targets: []string{"contact", "account"}},
		{LogicalName: "state", Type: plan.TState, Options: []plan.Option{{Value: 1, Label: "b"}, {Value: 0, Label: "A"}}},
		{LogicalName: "kind", Type: plan.TPicklist},
	}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "contact", PrimaryKey: "contactid", PrimaryName: "fullname", Columns: []*plan.Column{
		{LogicalName: "contactid", Type: plan.TUniqueidentifier},
		{LogicalName: "fullname", Type: plan.TString},
	}}))
	cat.Add(plan.NewTable(plan.Table{LogicalName: "note", PrimaryKey: "noteid", Columns: []*plan.Column{
		{LogicalName: "noteid", Type: plan.TUniqueidentifier},
	}}))
	return cat
}

// TestSortBy: lookups sort by name only when every target has a primary
// name; choices by label only with labels and without useraworderby.
func TestSortBy(t *testing.T) {
	cat := orderCatalog()
	for _, c := range []struct {
		attr, fetch string
		by          plan.SortBy
		targets     string
	}{
		{"contactid", "", plan.SortName, "contact"},
		{"ownerid", "", plan.SortName, "contact,account"},
		{"noteid", "", plan.SortValue, ""},  // target without a primary name
		{"ghostid", "", plan.SortValue, ""}, // target not in the catalog
		{"mixedid", "", plan.SortValue, ""}, // one target without a primary name
		{"state", "", plan.SortLabel, ""},
		{"state", ` useraworderby="true"`, plan.SortValue, ""},
		{"contactid", ` useraworderby="true"`, plan.SortName, "contact"}, // useraworderby is for choices
		{"kind", "", plan.SortValue, ""},                                 // no labels
		{"name", "", plan.SortValue, ""},
	} {
		src := `<fetch` + c.fetch + `><entity name="account"><attribute name="name"/><order attribute="` + c.attr + `"/></entity></fetch>`
		q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Build(q, plan.Options{Catalog: cat})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		k := p.Orders[0]
		var names []string
		for _, tb := range k.Targets {
			names = append(names, tb.LogicalName)
		}
		if k.By != c.by || strings.Join(names, ",") != c.targets {
			t.Errorf("%s%s: by %d targets %v, want %d %s", c.attr, c.fetch, k.By, names, c.by, c.targets)
		}
	}
}

// Options are kept in label order: case-insensitive, then as written, then
// by value.
func TestSortOptions(t *testing.T) {
	opts := []plan.Option{{5, "beta"}, {1, "Beta"}, {3, "alpha"}, {2, "Ähnlich"}, {4, "beta"}, {6, "ÉTÉ"}, {7, "été"}}
	plan.SortOptions(opts)
	var got []int64
	for _, o := range opts {
		got = append(got, o.Value)
	}
	// Column.Options keep the accent-sensitive order: "Ä" and "É" fold to
	// "ä" / "é", which sort after ASCII letters.
	want := []int64{3, 1, 4, 5, 2, 6, 7}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("label order %v, want %v", got, want)
		}
	}
}

// OptionRank ranks labels accent-insensitively by default ("Ähnlich" as
// "ahnlich", "ÉTÉ" as "ete"), and by position when accent-sensitive.
func TestOptionRank(t *testing.T) {
	tbl := plan.NewTable(plan.Table{LogicalName: "t", Columns: []*plan.Column{
		{LogicalName: "c", Type: plan.TPicklist, Options: []plan.Option{{5, "beta"}, {1, "Beta"}, {3, "alpha"}, {2, "Ähnlich"}, {4, "beta"}, {6, "ÉTÉ"}, {7, "été"}, {8, "Zed"}}},
	}})
	c, _ := tbl.Column("c")
	bare := &plan.Column{Options: c.Options} // built without NewTable: counted
	rank := map[int64][2]int64{}
	for i, o := range c.Options {
		if r := c.OptionRank(i, false); r != bare.OptionRank(i, false) {
			t.Fatalf("rank of %v: %d from NewTable, %d counted", o, r, bare.OptionRank(i, false))
		}
		rank[o.Value] = [2]int64{c.OptionRank(i, false), c.OptionRank(i, true)}
	}
	// Accent-insensitive: Ähnlich(2) alpha(3) Beta(1) beta(4) beta(5) ÉTÉ(6) été(7) Zed(8).
	wantAI := map[int64]int64{2: 1, 3: 2, 1: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8}
	// Accent-sensitive: alpha Beta beta beta Zed Ähnlich ÉTÉ été.
	wantAS := map[int64]int64{3: 1, 1: 2, 4: 3, 5: 4, 8: 5, 2: 6, 6: 7, 7: 8}
	for v, r := range rank {
		if r[0] != wantAI[v] || r[1] != wantAS[v] {
			t.Errorf("value %d ranks %d / %d, want %d / %d", v, r[0], r[1], wantAI[v], wantAS[v])
		}
	}
	if plan.CompareOptionsAs(plan.Option{1, "Été"}, plan.Option{2, "etf"}, false) >= 0 || plan.CompareOptions(plan.Option{1, "Été"}, plan.Option{2, "etf"}) <= 0 {
		t.Fatal("CompareOptionsAs folds accents only when accent-insensitive")
	}
}
