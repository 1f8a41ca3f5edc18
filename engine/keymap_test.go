package engine

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// Introspection exposes a table keyed by one string column or by several
// string and integer columns with a virtual id (plan.GuidKeyMap) over its
// key in key order, and a foreign key to such a table, of one column or
// several, as a virtual lookup over the foreign key's columns.
func TestIntrospectKeyMaps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, _ plan.Catalog) {
		ctx := context.Background()
		shop, shelf, item, named := testPrefix+"ikmshop", testPrefix+"ikmshelf", testPrefix+"ikmitem", testPrefix+"ikmnamed"
		drop := func() {
			for _, tb := range []string{item, shelf, shop, named} {
				db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+tb)
			}
		}
		drop()
		defer drop()
		for _, s := range []string{
			"CREATE TABLE " + shop + " (code VARCHAR(10) NOT NULL PRIMARY KEY, name VARCHAR(20))",
			// The key declared in another order than the columns.
			"CREATE TABLE " + shelf + " (shelfno INTEGER NOT NULL, shopcode VARCHAR(10) NOT NULL, name VARCHAR(20), PRIMARY KEY (shopcode, shelfno), FOREIGN KEY (shopcode) REFERENCES " + shop + "(code))",
			"CREATE TABLE " + item + " (sku VARCHAR(10) NOT NULL PRIMARY KEY, no INTEGER, sc VARCHAR(10), FOREIGN KEY (sc, no) REFERENCES " + shelf + "(shopcode, shelfno))",
			// A column already named <table>id: the id is <table>_keyid.
			"CREATE TABLE " + named + " (a VARCHAR(10) NOT NULL, b INTEGER NOT NULL, " + named + "id INTEGER, PRIMARY KEY (a, b))",
		} {
			if _, err := db.SQL.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		cat, err := Introspect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		parts := func(table, col string) string {
			tb, ok := cat.Table(table)
			if !ok {
				t.Fatalf("no table %s", table)
			}
			c, ok := tb.Column(col)
			if !ok {
				t.Fatalf("no column %s.%s", table, col)
			}
			if c.Key == nil || c.Guid != plan.GuidKeyMap || c.Type.Kind() != plan.KGuid {
				return fmt.Sprintf("not a key map (%s %s)", c.Type, c.Guid)
			}
			var names []string
			for _, p := range c.Key.Parts {
				names = append(names, p.LogicalName)
			}
			return fmt.Sprintf("%s %s %s %v", c.Type, c.Key.Table, strings.Join(names, ","), c.Targets)
		}
		for _, w := range []struct{ table, col, want string }{
			{shop, shop + "id", "Uniqueidentifier " + plan.KeyMapTableName(shop) + " code []"},
			{shelf, shelf + "id", "Uniqueidentifier " + plan.KeyMapTableName(shelf) + " shopcode,shelfno []"},
			{shelf, shop + "id", "Lookup " + plan.KeyMapTableName(shop) + " shopcode [" + shop + "]"},
			{item, shelf + "id", "Lookup " + plan.KeyMapTableName(shelf) + " sc,no [" + shelf + "]"},
			{named, named + "_keyid", "Uniqueidentifier " + plan.KeyMapTableName(named) + " a,b []"},
		} {
			if got := parts(w.table, w.col); got != w.want {
				t.Errorf("%s.%s: %s, want %s", w.table, w.col, got, w.want)
			}
		}
		if tb, _ := cat.Table(shelf); tb.PrimaryKey != shelf+"id" {
			t.Errorf("shelf primary key %q", tb.PrimaryKey)
		}
		if tb, _ := cat.Table(shop); len(tb.Relationships) != 1 || tb.Relationships[0].ReferencingColumn != shop+"id" || tb.Relationships[0].ReferencedColumn != shop+"id" {
			t.Errorf("shop relationships %+v", tb.Relationships)
		}
		// The string keys stay readable as strings.
		if tb, _ := cat.Table(shop); tb != nil {
			if c, _ := tb.Column("code"); c == nil || c.Type != plan.TString || c.Key != nil {
				t.Errorf("shop.code %+v", c)
			}
		}
	})
}

// Concurrent insert-or-ignore of overlapping ids records each id once,
// with its tuple, and fails none of the writers.
func TestRecordKeysConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB, _ plan.Catalog) {
		ctx := context.Background()
		km := &plan.KeyMap{Table: plan.KeyMapTableName(testPrefix + "conc"), Keyed: testPrefix + "conc", KeyColumns: []string{"s", "n"},
			Parts: []*plan.Column{{LogicalName: "s", PhysicalName: "s", Type: plan.TString}, {LogicalName: "n", PhysicalName: "n", Type: plan.TInteger}}}
		db.SQL.ExecContext(ctx, "DROP TABLE IF EXISTS "+km.Table)
		defer db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+km.Table)
		if err := db.EnsureKeyMaps(ctx, []*plan.KeyMap{km}); err != nil {
			t.Fatal(err)
		}
		var rows []keyRow
		for i := 0; i < 40; i++ {
			tuple := []any{fmt.Sprintf("k%d", i%7), int64(i)}
			id, _ := KeyMapID(km, tuple)
			rows = append(rows, keyRow{km: km, id: id, tuple: tuple})
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				mine := append([]keyRow(nil), rows...)
				rand.New(rand.NewSource(seed)).Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
				for start := 0; start < len(mine); start += 10 {
					if err := db.insertKeys(ctx, km, mine[start:start+10]); err != nil {
						errs <- err
						return
					}
				}
			}(int64(w))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got := map[string]string{}
		err := queryRows(ctx, db, "SELECT id, k1, k2 FROM "+db.quote(km.Table), nil, 3, func(r []string) {
			if _, dup := got[r[0]]; dup {
				t.Errorf("id %s recorded twice", r[0])
			}
			got[r[0]] = r[1] + "/" + r[2]
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Errorf("%d ids recorded, want %d", len(got), len(rows))
		}
		for _, r := range rows {
			if want := fmt.Sprintf("%s/%d", r.tuple[0], r.tuple[1]); got[r.id] != want {
				t.Errorf("id %s maps to %q, want %q", r.id, got[r.id], want)
			}
		}
	})
}

// A metadata file declares a key map with "guidStorage": "keymap" and
// "keyColumns"; every wrong declaration is refused, positioned, with
// VE2020 (or the file's code for a shape error).
func TestMetadataKeyMaps(t *testing.T) {
	doc := func(shopID, shelfID, lookup string) string {
		return `{"version": 1, "entities": [
{"logicalName": "shop", "entitySetName": "shops", "primaryIdAttribute": "shopid",
 "attributes": [` + shopID + `, {"logicalName": "code", "type": "String"}, {"logicalName": "opened", "type": "DateTime"}]},
{"logicalName": "shelf", "entitySetName": "shelves", "primaryIdAttribute": "shelfid",
 "attributes": [` + shelfID + `, {"logicalName": "shopcode", "type": "String"}, {"logicalName": "no", "type": "Integer"}` + lookup + `]}]}`
	}
	okShop := `{"logicalName": "shopid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["code"]}`
	okShelf := `{"logicalName": "shelfid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["shopcode", "no"]}`
	okLookup := `, {"logicalName": "shopref", "type": "Lookup", "targets": ["shop"], "guidStorage": "keymap", "keyColumns": ["shopcode"]}`
	cat, err := ParseMetadata("k.json", []byte(doc(okShop, okShelf, okLookup)))
	if err != nil {
		t.Fatal(err)
	}
	shelf, _ := cat.Table("shelf")
	pk, _ := shelf.Column("shelfid")
	ref, _ := shelf.Column("shopref")
	if pk.Key == nil || pk.Key.Table != "vecompile_keymap_shelf" || len(pk.Key.Parts) != 2 || pk.Key.Parts[1].LogicalName != "no" {
		t.Errorf("shelf id %+v", pk.Key)
	}
	if ref.Key == nil || ref.Key.Table != "vecompile_keymap_shop" || ref.Key.Parts[0].LogicalName != "shopcode" || ref.Key.KeyColumns[0] != "code" {
		t.Errorf("shelf lookup %+v", ref.Key)
	}
	// vecompile metadata writes the declaration back: the file reads
	// into the same key maps.
	var out strings.Builder
	if err := WriteMetadata(&out, cat.(plan.MapCatalog)); err != nil {
		t.Fatal(err)
	}
	again, err := ParseMetadata("again.json", []byte(out.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	shelf2, _ := again.Table("shelf")
	if c, _ := shelf2.Column("shopref"); c == nil || c.Key == nil || c.Key.Parts[0].LogicalName != "shopcode" {
		t.Errorf("written and read again: %s", out.String())
	}
	for _, c := range []struct{ shop, shelf, lookup, code, msg string }{
		{`{"logicalName": "shopid", "type": "Uniqueidentifier", "guidStorage": "keymap"}`, okShelf, "", "VE5003", "go together"},
		{`{"logicalName": "shopid", "type": "Uniqueidentifier", "keyColumns": ["code"]}`, okShelf, "", "VE5003", "go together"},
		{`{"logicalName": "shopid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["nope"]}`, okShelf, "", "VE2020", "no column"},
		{`{"logicalName": "shopid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["opened"]}`, okShelf, "", "VE2020", "String and integer"},
		{okShop, okShelf, `, {"logicalName": "shopref", "type": "Lookup", "targets": ["shop"], "guidStorage": "keymap", "keyColumns": ["no"]}`, "VE2020", "part 1"},
		{okShop, okShelf, `, {"logicalName": "shopref", "type": "Lookup", "targets": ["shop"], "guidStorage": "keymap", "keyColumns": ["shopcode", "no"]}`, "VE2020", "2 key columns"},
		{okShop, `{"logicalName": "shelfid", "type": "Uniqueidentifier"}`, `, {"logicalName": "s2", "type": "Lookup", "targets": ["shelf"], "guidStorage": "keymap", "keyColumns": ["shopcode"]}`, "VE2020", "not keyed by a key map"},
	} {
		_, err := ParseMetadata("k.json", []byte(doc(c.shop, c.shelf, c.lookup)))
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s | %s | %s: %v, want %s %q", c.shop, c.shelf, c.lookup, err, c.code, c.msg)
		}
	}
}

// A condition on a key-map id is found through the key's index, not by a
// scan that runs the map's EXISTS per row (SQLite's plan of the emitted
// statement).
func TestKeyMapConditionUsesIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE shop (code TEXT PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	code := &plan.Column{LogicalName: "code", Type: plan.TString}
	cat := plan.MapCatalog{}
	cat.Add(plan.NewTable(plan.Table{LogicalName: "shop", PrimaryKey: "shopid", Columns: []*plan.Column{
		{LogicalName: "shopid", Type: plan.TUniqueidentifier}, code, {LogicalName: "name", Type: plan.TString},
	}}))
	tb, _ := cat.Table("shop")
	id, _ := tb.Column("shopid")
	if err := BindKeyMap(cat, tb, id, []string{"code"}); err != nil {
		t.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="shop"><attribute name="name"/><filter><condition attribute="shopid" operator="eq" value="b26fea3a-41fa-5e03-8ee8-aa830c4efb1d"/></filter></entity></fetch>`)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Emit(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureKeyMaps(ctx, st.KeyMaps); err != nil {
		t.Fatal(err)
	}
	var steps []string
	err = queryRows(ctx, db, "EXPLAIN QUERY PLAN "+st.SQL, st.Args, 4, func(r []string) { steps = append(steps, r[3]) })
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(steps, "; ")
	if !strings.Contains(plan, `SEARCH shop USING INDEX`) || strings.Contains(plan, "SCAN shop") {
		t.Errorf("the id's condition scans the table: %s\n%s", plan, st.SQL)
	}
}
