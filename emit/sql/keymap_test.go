package sql

import (
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
)

// keyMapCatalog is shelf, keyed by (shopcode, no) through its key map, and
// item, whose lookup shelfref holds a shelf's key in (sc, n).
func keyMapCatalog() plan.MapCatalog {
	cat := plan.MapCatalog{}
	shopcode := &plan.Column{LogicalName: "shopcode", Type: plan.TString}
	no := &plan.Column{LogicalName: "no", Type: plan.TInteger}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "shelf", PrimaryKey: "shelfid", PrimaryName: "name", Columns: []*plan.Column{
		{LogicalName: "shelfid", Type: plan.TUniqueidentifier, Guid: plan.GuidKeyMap, GuidDeclared: true,
			Key: &plan.KeyMap{Table: "km_shelf", Keyed: "shelf", KeyColumns: []string{"shopcode", "no"}, Parts: []*plan.Column{shopcode, no}}},
		shopcode, no, {LogicalName: "name", Type: plan.TString},
	}}))
	sc := &plan.Column{LogicalName: "sc", Type: plan.TString}
	n := &plan.Column{LogicalName: "n", Type: plan.TInteger}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "item", PrimaryKey: "itemid", Columns: []*plan.Column{
		{LogicalName: "itemid", Type: plan.TUniqueidentifier},
		{LogicalName: "shelfref", Type: plan.TLookup, Targets: []string{"shelf"}, Guid: plan.GuidKeyMap, GuidDeclared: true,
			Key: &plan.KeyMap{Table: "km_shelf", Keyed: "shelf", KeyColumns: []string{"shopcode", "no"}, Parts: []*plan.Column{sc, n}}},
		sc, n,
	}}))
	return cat
}

// A key-map id is read as its parts' JSON array, compared through the map
// (EXISTS, parts compared exactly per dialect), joined part by part, and
// sorted by its parts.
func TestKeyMapSQL(t *testing.T) {
	const id = "b26fea3a-41fa-5e03-8ee8-aa830c4efb1d"
	filter := `<fetch><entity name="shelf"><attribute name="shelfid"/><filter><condition attribute="shelfid" operator="eq" value="` + id + `"/></filter></entity></fetch>`
	link := `<fetch><entity name="item"><attribute name="shelfref"/><link-entity name="shelf" from="shelfid" to="shelfref" alias="s"><attribute name="name"/></link-entity></entity></fetch>`
	for _, tc := range []struct {
		d            Dialect
		fetch        string
		fragments    []string
		keyMapsWrote int
	}{
		{Postgres, filter, []string{
			`SELECT json_build_array("shelf"."shopcode", "shelf"."no")::text AS "c0"`,
			`WHERE ("shelf"."shopcode" IN (SELECT "vkm"."k1" FROM "km_shelf" AS "vkm" WHERE "vkm"."id" = $1) AND EXISTS (SELECT 1 FROM "km_shelf" AS "vkm" WHERE "vkm"."id" = $2 AND "vkm"."k1" = "shelf"."shopcode" AND "vkm"."k2" = "shelf"."no"))`,
			`ORDER BY`, `"shelf"."no"`,
		}, 1},
		{SQLite, filter, []string{
			`json_array("shelf"."shopcode", "shelf"."no")`,
			`"vkm"."k1" = "shelf"."shopcode" COLLATE BINARY AND "vkm"."k2" = "shelf"."no")`,
		}, 1},
		{MySQL, filter, []string{
			"JSON_ARRAY(`shelf`.`shopcode`, `shelf`.`no`)",
			"`vkm`.`k1` = `shelf`.`shopcode` AND CAST(`vkm`.`k1` AS BINARY) = CAST(`shelf`.`shopcode` AS BINARY) AND `vkm`.`k2` = `shelf`.`no`",
		}, 1},
		{SQLServer, filter, []string{
			"JSON_ARRAY([shelf].[shopcode], [shelf].[no])",
			"CAST([vkm].[k1] AS VARBINARY(MAX)) = CAST([shelf].[shopcode] AS VARBINARY(MAX))",
		}, 1},
		{Postgres, link, []string{
			`JOIN "shelf" AS "s" ON`,
			`("s"."shopcode" = "item"."sc" AND "s"."no" = "item"."n")`,
		}, 0},
		{MySQL, link, []string{
			"(`s`.`shopcode` = `item`.`sc` AND CAST(`s`.`shopcode` AS BINARY) = CAST(`item`.`sc` AS BINARY) AND `s`.`no` = `item`.`n`)",
		}, 0},
	} {
		st, err := emitGuid(t, keyMapCatalog(), tc.fetch, tc.d)
		if err != nil {
			t.Fatalf("%s: %v", tc.d.Name(), err)
		}
		for _, f := range tc.fragments {
			if !strings.Contains(st.SQL, f) {
				t.Errorf("%s: want %s in\n%s", tc.d.Name(), f, st.SQL)
			}
		}
		if len(st.KeyMaps) != tc.keyMapsWrote {
			t.Errorf("%s: statement names %d key maps, want %d", tc.d.Name(), len(st.KeyMaps), tc.keyMapsWrote)
		}
		if tc.keyMapsWrote > 0 && st.Args[0] != id {
			t.Errorf("%s: the id binds as %v", tc.d.Name(), st.Args[0])
		}
	}
}

// What the key map cannot answer is refused, coded: a key-map id compared
// with a GUID column, an in link over it.
func TestKeyMapSQLRefusals(t *testing.T) {
	cat := keyMapCatalog()
	item, _ := cat.Table("item")
	cp := *item
	cp.Columns = append(append([]*plan.Column(nil), item.Columns...), &plan.Column{LogicalName: "otherref", Type: plan.TLookup, Targets: []string{"shelf"}})
	cat.Add(plan.NewTable(cp))
	for _, fetch := range []string{
		`<fetch><entity name="item"><attribute name="itemid"/><link-entity name="shelf" from="shelfid" to="otherref"/></entity></fetch>`,
		`<fetch><entity name="item"><attribute name="itemid"/><link-entity name="shelf" from="shelfid" to="shelfref" link-type="in"/></entity></fetch>`,
	} {
		_, err := emitGuid(t, cat, fetch, Postgres)
		if err == nil || !strings.Contains(err.Error(), "VE2019") {
			t.Errorf("%s: %v, want VE2019", fetch, err)
		}
	}
}

// An outer link to a key-mapped table on its whole key is to one row: its
// parts are no tie-breakers and the root is limited first; the link from a
// key-mapped root to the rows pointing at it is to many: its key stays and
// the join comes first.
func TestKeyMapRootFirst(t *testing.T) {
	toOne := `<fetch top="3"><entity name="item"><attribute name="itemid"/><link-entity name="shelf" from="shelfid" to="shelfref" link-type="outer" alias="s"><attribute name="name"/></link-entity></entity></fetch>`
	toMany := `<fetch top="3"><entity name="shelf"><attribute name="name"/><link-entity name="item" from="shelfref" to="shelfid" link-type="outer" alias="i"><attribute name="itemid"/></link-entity></entity></fetch>`
	for _, tc := range []struct {
		fetch, order string
		first        bool
	}{
		{toOne, `ORDER BY "item"."vk0" LIMIT`, true},
		{toMany, `"shelf"."no" NULLS FIRST, "i"."itemid" NULLS FIRST LIMIT`, false},
	} {
		st, err := emitGuid(t, keyMapCatalog(), tc.fetch, Postgres)
		if err != nil {
			t.Fatal(err)
		}
		order := tc.order
		if tc.first {
			order = `ORDER BY "vk0" LIMIT $1) AS "item" LEFT JOIN "shelf" AS "s" ON ("s"."shopcode" = "item"."sc" AND "s"."no" = "item"."n") ORDER BY "item"."vk0"`
		}
		if !strings.Contains(st.SQL, order) || strings.Contains(st.SQL, "FROM (SELECT") != tc.first {
			t.Errorf("want %s, root first %v, in\n%s", order, tc.first, st.SQL)
		}
	}
}
