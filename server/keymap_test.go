package server_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// keyMapTables adds to fixture f's database and catalog three tables
// keyed by strings and composite keys: shops (a string code), their
// shelves (shop code, shelf number: a composite (string, integer) key
// whose shop code is a foreign key to the shops) and items (a string sku,
// with a composite foreign key to the shelves). The metadata declares the
// ids with "guidStorage": "keymap" and "keyColumns".
func keyMapTables(t *testing.T, f fixture) (fixture, []string) {
	t.Helper()
	ctx := context.Background()
	p := fmt.Sprintf("km%d_", os.Getpid())
	shop, shelf, item := p+"kshop", p+"kshelf", p+"kitem"
	str, id := "VARCHAR(20)", "CHAR(36)"
	if f.db.Dialect == engine.Postgres {
		id = "UUID"
	}
	ddl := []string{
		`CREATE TABLE ` + shop + ` (code ` + str + ` NOT NULL PRIMARY KEY, name ` + str + `, ownerid ` + id + `, owningbusinessunit ` + id + `, parentcode ` + str + `)`,
		`CREATE TABLE ` + shelf + ` (shopcode ` + str + ` NOT NULL, shelfno INTEGER NOT NULL, name ` + str + `, PRIMARY KEY (shopcode, shelfno), FOREIGN KEY (shopcode) REFERENCES ` + shop + `(code))`,
		`CREATE TABLE ` + item + ` (sku ` + str + ` NOT NULL PRIMARY KEY, name ` + str + `, shopcode ` + str + `, shelfno INTEGER, FOREIGN KEY (shopcode, shelfno) REFERENCES ` + shelf + `(shopcode, shelfno))`,
	}
	drop := func() {
		for _, tb := range []string{item, shelf, shop, plan.KeyMapTableName(item), plan.KeyMapTableName(shelf), plan.KeyMapTableName(shop)} {
			f.db.SQL.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+tb)
		}
	}
	drop()
	t.Cleanup(drop)
	// Case variants and trailing spaces: distinct keys on PostgreSQL and
	// SQLite, which compare strings as stored; one key on MariaDB, whose
	// collation folds case and pads.
	codes := []string{"se", "SE", "se "}
	if f.db.Dialect == engine.MySQL {
		codes = []string{"se", "dk "}
	}
	owners := []string{priyaID, bjornID, bjornID}
	units := []string{priyaBU, bjornBU, bjornBU}
	stmts := ddl
	for i, c := range codes {
		stmts = append(stmts, `INSERT INTO `+shop+` (code, name, ownerid, owningbusinessunit) VALUES ('`+c+`', 'shop `+strings.ReplaceAll(c, " ", "_")+`', '`+owners[i]+`', '`+units[i]+`')`)
	}
	for i := 1; i < len(codes); i++ { // a hierarchy: se > codes[1] > codes[2]
		stmts = append(stmts, `UPDATE `+shop+` SET parentcode = '`+codes[i-1]+`' WHERE code = '`+codes[i]+`'`)
	}
	stmts = append(stmts,
		`INSERT INTO `+shelf+` (shopcode, shelfno, name) VALUES ('se', 1, 'se/1')`,
		`INSERT INTO `+shelf+` (shopcode, shelfno, name) VALUES ('se', 2, 'se/2')`,
		`INSERT INTO `+shelf+` (shopcode, shelfno, name) VALUES ('se', -3, 'se/-3')`,
		`INSERT INTO `+shelf+` (shopcode, shelfno, name) VALUES ('`+codes[1]+`', 1, 'x/1')`,
		`INSERT INTO `+item+` (sku, name, shopcode, shelfno) VALUES ('a-1', 'apple', 'se', 1)`,
		`INSERT INTO `+item+` (sku, name, shopcode, shelfno) VALUES ('b-2', 'banana', 'se', 2)`,
		`INSERT INTO `+item+` (sku, name, shopcode, shelfno) VALUES ('c-3', 'cherry', NULL, NULL)`,
	)
	for _, s := range stmts {
		if _, err := f.db.SQL.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	meta := fmt.Sprintf(`{"version": 1, "entities": [
{"logicalName": "kshop", "physicalName": %q, "entitySetName": "kshops", "primaryIdAttribute": "kshopid", "primaryNameAttribute": "name",
 "attributes": [{"logicalName": "kshopid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["code"]},
  {"logicalName": "code", "type": "String", "maxLength": 20}, {"logicalName": "name", "type": "String", "maxLength": 20},
  {"logicalName": "ownerid", "type": "Owner", "targets": ["systemuser", "team"]}, {"logicalName": "owningbusinessunit", "type": "Lookup", "targets": ["businessunit"]},
  {"logicalName": "parentcode", "type": "String", "maxLength": 20}, {"logicalName": "parentshopid", "type": "Lookup", "targets": ["kshop"], "guidStorage": "keymap", "keyColumns": ["parentcode"]}]},
{"logicalName": "kshelf", "physicalName": %q, "entitySetName": "kshelves", "primaryIdAttribute": "kshelfid", "primaryNameAttribute": "name",
 "attributes": [{"logicalName": "kshelfid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["shopcode", "shelfno"]},
  {"logicalName": "shopcode", "type": "String", "maxLength": 20}, {"logicalName": "shelfno", "type": "Integer"}, {"logicalName": "name", "type": "String", "maxLength": 20},
  {"logicalName": "kshopid", "type": "Lookup", "targets": ["kshop"], "guidStorage": "keymap", "keyColumns": ["shopcode"]}]},
{"logicalName": "kitem", "physicalName": %q, "entitySetName": "kitems", "primaryIdAttribute": "kitemid", "primaryNameAttribute": "name",
 "attributes": [{"logicalName": "kitemid", "type": "Uniqueidentifier", "guidStorage": "keymap", "keyColumns": ["sku"]},
  {"logicalName": "sku", "type": "String", "maxLength": 20}, {"logicalName": "name", "type": "String", "maxLength": 20},
  {"logicalName": "shopcode", "type": "String", "maxLength": 20}, {"logicalName": "shelfno", "type": "Integer"},
  {"logicalName": "kshelfid", "type": "Lookup", "targets": ["kshelf"], "guidStorage": "keymap", "keyColumns": ["shopcode", "shelfno"]}]}],
"relationships": [{"schemaName": "kshop_parent", "referencedEntity": "kshop", "referencedAttribute": "kshopid", "referencingEntity": "kshop", "referencingAttribute": "parentshopid", "isHierarchical": true},
 {"schemaName": "kshop_kshelves", "referencedEntity": "kshop", "referencedAttribute": "kshopid", "referencingEntity": "kshelf", "referencingAttribute": "kshopid"},
 {"schemaName": "kshelf_kitems", "referencedEntity": "kshelf", "referencedAttribute": "kshelfid", "referencingEntity": "kitem", "referencingAttribute": "kshelfid"}]}`, shop, shelf, item)
	kc, err := engine.ParseMetadata("keymap.json", []byte(meta))
	if err != nil {
		t.Fatal(err)
	}
	cat := plan.MapCatalog{}
	for name, tb := range f.cat.(plan.MapCatalog) {
		cat[name] = tb
	}
	for name, tb := range kc.(plan.MapCatalog) {
		cat[name] = tb
	}
	return fixture{f.name, f.db, cat}, codes
}

// shopID is the id of shop code c; shelfID of shelf (c, n).
func shopID(c string) string {
	id, _ := plan.KeyMapGUID([]plan.Kind{plan.KString}, []any{c})
	return id
}

func shelfID(c string, n int64) string {
	id, _ := plan.KeyMapGUID([]plan.Kind{plan.KString, plan.KInt}, []any{c, n})
	return id
}

func TestKeyMaps(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			f, codes := keyMapTables(t, f)
			e := newEnv(t, f, nil)
			get := func(path string) *response { return e.do("GET", path, nil).want(t, 200) }
			q := url.PathEscape

			// An id handed out by a read is the key's UUIDv5; before any
			// read, the map knows no id: 404, not a database error.
			e.do("GET", "/odata/kshops("+shopID("se")+")", nil).wantError(t, 404, "0x80040217", "VE6005")
			e.do("GET", "/odata/kshops("+accID(1)+")", nil).wantError(t, 404, "0x80040217", "VE6005")
			got := map[string]string{}
			for _, row := range get("/odata/kshops?$select=code,name").json(t)["value"].([]any) {
				m := row.(map[string]any)
				got[m["code"].(string)] = m["kshopid"].(string)
			}
			if len(got) != len(codes) {
				t.Fatalf("shops %v, want %d", got, len(codes))
			}
			for _, c := range codes {
				if got[c] != shopID(c) {
					t.Errorf("shop %q: id %s, want %s", c, got[c], shopID(c))
				}
				// Retrieve by the id, in any GUID spelling: exactly its row.
				m := get("/odata/kshops(" + strings.ToUpper(shopID(c)) + ")?$select=code").json(t)
				if m["code"] != c || m["kshopid"] != shopID(c) {
					t.Errorf("retrieve %q: %v", c, m)
				}
			}
			// Case variants and trailing spaces name other keys: the id of
			// a key no row has is 404.
			for _, c := range []string{"Se", "se  ", "sE"} {
				e.do("GET", "/odata/kshops("+shopID(c)+")", nil).wantError(t, 404, "0x80040217", "VE6005")
			}

			// Filters on the id join the map: eq, in, ne.
			if got := keyedNames(t, get("/odata/kshops?$filter="+q("kshopid eq "+shopID("se"))), "code"); strings.Join(got, ",") != "se" {
				t.Errorf("eq: %v", got)
			}
			if got := keyedNames(t, get("/odata/kshops?$filter="+q("kshopid in ("+shopID("se")+","+shopID(codes[1])+","+accID(1)+")")), "code"); len(got) != 2 {
				t.Errorf("in: %v", got)
			}
			if got := keyedNames(t, get("/odata/kshops?$filter="+q("kshopid ne "+shopID("se"))), "code"); len(got) != len(codes)-1 {
				t.Errorf("ne: %v", got)
			}
			e.do("GET", "/odata/kshops?$filter="+q("kshopid gt "+shopID("se")), nil).wantError(t, 400, "", "VE2004") // GUIDs have no order

			// Composite keys: the lookup to the shop reads as the shop's
			// id; shelves page in key order (shop code, then number).
			var seen []string
			next := "/odata/kshelves?$select=name,kshopid&$orderby=kshelfid"
			for next != "" {
				r := e.do("GET", strings.TrimPrefix(next, e.http.URL), nil, "Prefer", "odata.maxpagesize=2").want(t, 200).json(t)
				for _, row := range r["value"].([]any) {
					m := row.(map[string]any)
					seen = append(seen, m["name"].(string))
					want := shelfID("se", 0)
					switch m["name"] {
					case "se/1":
						want = shelfID("se", 1)
					case "se/2":
						want = shelfID("se", 2)
					case "se/-3":
						want = shelfID("se", -3)
					case "x/1":
						want = shelfID(codes[1], 1)
					}
					if m["kshelfid"] != want {
						t.Errorf("shelf %v: id, want %s", m, want)
					}
					if m["name"] != "x/1" && m["_kshopid_value"] != shopID("se") {
						t.Errorf("shelf %v: shop lookup, want %s", m, shopID("se"))
					}
				}
				next, _ = r["@odata.nextLink"].(string)
				if len(seen) > 10 {
					t.Fatal("paging does not end")
				}
			}
			// 'SE' and 'se' fold alike, then sort as stored ('SE' first);
			// MariaDB's 'dk ' sorts before 'se'.
			wantOrder := "x/1,se/-3,se/1,se/2"
			if strings.Join(seen, ",") != wantOrder {
				t.Errorf("paged: %v, want %s", seen, wantOrder)
			}
			m := get("/odata/kshelves(" + shelfID("se", -3) + ")?$select=name").json(t)
			if m["name"] != "se/-3" {
				t.Errorf("retrieve shelf (se, -3): %v", m)
			}

			// $expand both ways and through the composite lookup; a
			// shelf's id from a lookup read retrieves the shelf.
			items := get("/odata/kitems?$select=name&$orderby=name&$expand=kshelfid($expand=kshopid($select=code))").json(t)["value"].([]any)
			if len(items) != 3 {
				t.Fatalf("items %v", items)
			}
			apple := items[0].(map[string]any)
			sh, _ := apple["kshelfid"].(map[string]any)
			if sh == nil || sh["name"] != "se/1" || sh["kshelfid"] != shelfID("se", 1) {
				t.Fatalf("apple → shelf: %v", apple)
			}
			if sp, _ := sh["kshopid"].(map[string]any); sp == nil || sp["code"] != "se" {
				t.Errorf("shelf → shop: %v", sh)
			}
			if items[2].(map[string]any)["kshelfid"] != nil {
				t.Errorf("cherry has no shelf: %v", items[2])
			}
			m = get("/odata/kshops(" + shopID("se") + ")?$select=code&$expand=kshop_kshelves($select=name;$orderby=name)").json(t)
			kids, _ := m["kshop_kshelves"].([]any)
			if len(kids) != 3 || kids[0].(map[string]any)["name"] != "se/-3" {
				t.Errorf("shop → shelves: %v", m)
			}
			if got := keyedNames(t, get("/odata/kitems?$filter="+q("kshelfid eq "+shelfID("se", 2))), "name"); strings.Join(got, ",") != "banana" {
				t.Errorf("items on shelf (se, 2): %v", got)
			}
			if got := keyedNames(t, get("/odata/kitems?$filter="+q("kshelfid eq null")), "name"); strings.Join(got, ",") != "cherry" {
				t.Errorf("items without a shelf: %v", got)
			}
			// FetchXML link over the composite key, and the SDK's lookup.
			fx := `<fetch><entity name="kitem"><attribute name="name"/><attribute name="kshelfid"/><order attribute="name"/><link-entity name="kshelf" from="kshelfid" to="kshelfid" alias="s"><attribute name="name"/></link-entity></entity></fetch>`
			rows := entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fx).want(t, 200).json(t))
			if len(rows) != 2 || attr(rows[1], "s.name") != "se/2" {
				t.Errorf("FetchXML link: %v", rows)
			}
			if ref, _ := attr(rows[0], "kshelfid").(map[string]any); ref == nil || ref["Id"] != shelfID("se", 1) || ref["LogicalName"] != "kshelf" {
				t.Errorf("SDK lookup: %v", rows[0])
			}

			// Create computes the id from the key and maps it with the row.
			r := e.do("POST", "/odata/kshelves", map[string]any{"shopcode": "se", "shelfno": 7, "name": "se/7"}, "Prefer", "return=representation").want(t, 201).json(t)
			if r["kshelfid"] != shelfID("se", 7) {
				t.Fatalf("created shelf: %v", r)
			}
			if get("/odata/kshelves(" + shelfID("se", 7) + ")").json(t)["name"] != "se/7" {
				t.Error("created shelf by id")
			}
			e.do("POST", "/odata/kshelves", map[string]any{"shopcode": "se", "name": "no number"}).wantError(t, 400, "", "VE6052")
			e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "kshelf", "Id": shelfID("se", 9), "Attributes": map[string]any{"shopcode": "se", "shelfno": 8, "name": "se/8"}}}).wantError(t, 400, "", "VE6052")
			e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "kshelf", "Id": shelfID("se", 8), "Attributes": map[string]any{"shopcode": "se", "shelfno": 8, "name": "se/8"}}}).want(t, 200)
			// A lookup written by id stores the target's key columns.
			r = e.do("POST", "/odata/kitems", map[string]any{"sku": "d-4", "name": "date", "kshelfid@odata.bind": "/kshelves(" + shelfID("se", 7) + ")"}, "Prefer", "return=representation").want(t, 201).json(t)
			if r["kitemid"] != shopID("d-4") || r["shopcode"] != "se" || fmt.Sprint(r["shelfno"]) != "7" || r["_kshelfid_value"] != shelfID("se", 7) {
				t.Errorf("created item: %v", r)
			}
			e.do("POST", "/odata/kitems", map[string]any{"sku": "e-5", "name": "x", "kshelfid@odata.bind": "/kshelves(" + accID(1) + ")"}).wantError(t, 404, "0x80040217", "VE6005")

			// A $batch change set: the second create binds the first one's
			// computed id through its Content-ID.
			rs := e.jsonBatch(t, []map[string]any{
				{"id": "1", "atomicityGroup": "g", "method": "POST", "url": "kshops", "body": map[string]any{"code": "fi", "name": "batch shop"}},
				{"id": "2", "atomicityGroup": "g", "method": "POST", "url": "kshelves", "body": map[string]any{"shelfno": 1, "name": "fi/1", "kshopid@odata.bind": "$1"}},
			})
			if len(rs) != 2 || rs[0].status != 204 && rs[0].status != 201 || rs[1].status != 204 && rs[1].status != 201 {
				t.Fatalf("batch: %+v", rs)
			}
			if m := get("/odata/kshelves(" + shelfID("fi", 1) + ")").json(t); m["name"] != "fi/1" || m["_kshopid_value"] != shopID("fi") {
				t.Errorf("batch shelf: %v", m)
			}

			// Update by id; a key column cannot change.
			e.do("PATCH", "/odata/kshelves("+shelfID("se", 7)+")", map[string]any{"name": "se/seven"}).want(t, 204)
			if get("/odata/kshelves(" + shelfID("se", 7) + ")").json(t)["name"] != "se/seven" {
				t.Error("update by id")
			}
			e.do("PATCH", "/odata/kshelves("+shelfID("se", 7)+")", map[string]any{"shelfno": 70}).wantError(t, 400, "", "VE6050")
			e.do("PATCH", "/odata/kshelves("+accID(1)+")", map[string]any{"name": "nobody"}).wantError(t, 404, "0x80040217", "VE6005")
			// Delete by id; the id then names no row.
			e.do("DELETE", "/odata/kitems("+shopID("d-4")+")", nil).want(t, 204)
			e.do("DELETE", "/odata/kshelves("+shelfID("se", 7)+")", nil).want(t, 204)
			e.do("GET", "/odata/kshelves("+shelfID("se", 7)+")", nil).wantError(t, 404, "0x80040217", "VE6005")

			// Hierarchy operators walk the key-map parent lookup.
			last := codes[len(codes)-1]
			for _, c := range []struct{ op, id, want string }{
				{"under", shopID("se"), strings.Join(codes[1:], "|")},
				{"eq-or-under", shopID("se"), strings.Join(codes, "|")},
				{"above", shopID(last), strings.Join(codes[:len(codes)-1], "|")},
			} {
				fx := `<fetch><entity name="kshop"><attribute name="code"/><filter><condition attribute="kshopid" operator="` + c.op + `" value="` + c.id + `"/></filter></entity></fetch>`
				var got []string
				for _, r := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fx).want(t, 200).json(t)) {
					got = append(got, fmt.Sprint(attr(r, "code")))
				}
				sort.Strings(got)
				want := strings.Split(c.want, "|")
				sort.Strings(want)
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s: %q, want %q", c.op, got, want)
				}
			}

			// An id names the key it was computed from, exactly: a row
			// whose key differs only in case (a stale map entry) is not it.
			get("/odata/kitems?$select=name") // maps a-1
			execSQL(t, f.db, `UPDATE `+physical(f, "kitem")+` SET sku = 'A-1' WHERE sku = 'a-1'`)
			e.do("GET", "/odata/kitems("+shopID("a-1")+")", nil).wantError(t, 404, "0x80040217", "VE6005")
			get("/odata/kitems?$select=name")
			if get("/odata/kitems(" + shopID("A-1") + ")").json(t)["name"] != "apple" {
				t.Error("the renamed key's id")
			}
		})
	}
}

func physical(f fixture, table string) string {
	tb, _ := f.cat.Table(table)
	return tb.PhysicalName
}

func execSQL(t *testing.T, db *engine.DB, s string) {
	t.Helper()
	if _, err := db.SQL.ExecContext(context.Background(), s); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
}

// Concurrent first reads of the same rows record each id once, and
// concurrent creates map their rows: every id read or created resolves.
func TestKeyMapConcurrentReaders(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			f, _ := keyMapTables(t, f)
			e := newEnv(t, f, nil)
			var wg sync.WaitGroup
			errs := make(chan string, 64)
			for i := 0; i < 8; i++ {
				wg.Add(2)
				go func() { // a reader
					defer wg.Done()
					for j := 0; j < 5; j++ {
						r := e.do("GET", "/odata/kshelves?$select=name", nil)
						if r.status != 200 {
							errs <- fmt.Sprintf("read: %d %s", r.status, r.body)
							return
						}
					}
				}()
				go func(i int) { // a writer
					defer wg.Done()
					r := e.do("POST", "/odata/kshelves", map[string]any{"shopcode": "se", "shelfno": 100 + i, "name": fmt.Sprint("c", i)})
					if r.status != 204 && r.status != 201 {
						errs <- fmt.Sprintf("create: %d %s", r.status, r.body)
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for s := range errs {
				t.Error(s)
			}
			for i := 0; i < 8; i++ {
				if got := e.do("GET", "/odata/kshelves("+shelfID("se", int64(100+i))+")", nil).want(t, 200).json(t)["name"]; got != fmt.Sprint("c", i) {
					t.Errorf("created shelf %d: %v", i, got)
				}
			}
			for _, id := range []string{shelfID("se", 1), shelfID("se", -3)} {
				e.do("GET", "/odata/kshelves("+id+")", nil).want(t, 200)
			}
			var n, distinct int64
			row := f.db.SQL.QueryRowContext(context.Background(), "SELECT COUNT(*), COUNT(DISTINCT id) FROM "+plan.KeyMapTableName(physical(f, "kshelf")))
			if err := row.Scan(&n, &distinct); err != nil {
				t.Fatal(err)
			}
			if n != distinct || n != 12 {
				t.Errorf("the shelves' map holds %d rows (%d ids), want 12: 4 read and 8 created", n, distinct)
			}
		})
	}
}

// Security applies to key-map tables as to others, and the map tells no
// caller which keys exist: the id of a row the caller cannot read is 404
// for Retrieve, Update and Delete alike (never 403), and changes nothing.
func TestKeyMapSecured(t *testing.T) {
	fs := securedFixturesWith(t, func(m *security.Model) {
		for i := range m.Roles {
			depth := map[string]string{"Salesperson": "User", "System Administrator": "Organization"}[m.Roles[i].Name]
			if depth == "" {
				continue
			}
			for _, p := range []string{"Read", "Write", "Create", "Delete"} {
				m.Roles[i].Privileges = append(m.Roles[i].Privileges, security.PrivilegeDef{Table: "kshop", Privilege: p, Depth: depth})
			}
		}
	})
	for _, f := range fs {
		t.Run(f.name, func(t *testing.T) {
			kf, codes := keyMapTables(t, f.fixture)
			f.fixture = kf
			e := newSecuredEnv(t, f)
			bjorns := shopID(codes[1])
			// An administrator's read maps every shop.
			e.user = adminID
			if got := keyedNames(t, e.do("GET", "/odata/kshops?$select=code", nil).want(t, 200), "code"); len(got) != len(codes) {
				t.Fatalf("admin reads %v", got)
			}
			e.user = priyaID
			if got := keyedNames(t, e.do("GET", "/odata/kshops?$select=code", nil).want(t, 200), "code"); strings.Join(got, ",") != "se" {
				t.Errorf("Priya reads %v, want her own shop", got)
			}
			e.do("GET", "/odata/kshops?$filter="+url.PathEscape("kshopid eq "+bjorns), nil).want(t, 200)
			if got := keyedNames(t, e.do("GET", "/odata/kshops?$filter="+url.PathEscape("kshopid eq "+bjorns), nil).want(t, 200), "code"); len(got) != 0 {
				t.Errorf("Priya filters Björn's shop by id: %v", got)
			}
			// Björn's mapped shop and a key no row has answer alike.
			for _, id := range []string{bjorns, shopID("nowhere")} {
				e.do("GET", "/odata/kshops("+id+")", nil).wantError(t, 404, "0x80040217", "VE6005")
				e.do("PATCH", "/odata/kshops("+id+")", map[string]any{"name": "taken"}).wantError(t, 404, "0x80040217", "VE6005")
				e.do("DELETE", "/odata/kshops("+id+")", nil).wantError(t, 404, "0x80040217", "VE6005")
			}
			e.user = adminID
			if m := e.do("GET", "/odata/kshops("+bjorns+")", nil).want(t, 200).json(t); m["name"] == "taken" || m["code"] != codes[1] {
				t.Errorf("a refused write changed Björn's shop: %v", m)
			}
			// Priya's own shop: read, written, deleted through its id.
			e.user = priyaID
			e.do("PATCH", "/odata/kshops("+shopID("se")+")", map[string]any{"name": "mine"}).want(t, 204)
			if e.do("GET", "/odata/kshops("+shopID("se")+")", nil).want(t, 200).json(t)["name"] != "mine" {
				t.Error("Priya's update")
			}
			r := e.do("POST", "/odata/kshops", map[string]any{"code": "no", "name": "new"}, "Prefer", "return=representation").want(t, 201).json(t)
			if r["kshopid"] != shopID("no") {
				t.Errorf("created shop %v", r)
			}
			e.do("DELETE", "/odata/kshops("+shopID("no")+")", nil).want(t, 204)
		})
	}
}

// A table keyed by a string, and one by a composite key with a foreign
// key to it, found by introspection alone: $metadata types the virtual
// ids Edm.Guid, and ids read retrieve, filter and expand.
func TestKeyMapsIntrospected(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			kf, _ := keyMapTables(t, f)
			cat, err := engine.Introspect(context.Background(), f.db)
			if err != nil {
				t.Fatal(err)
			}
			shop, shelf := strings.ToLower(physical(kf, "kshop")), strings.ToLower(physical(kf, "kshelf"))
			e := newEnv(t, fixture{f.name, f.db, cat}, nil)
			st, _ := cat.Table(shop)
			sh, _ := cat.Table(shelf)
			md := string(e.do("GET", "/odata/$metadata", nil).want(t, 200).body)
			for _, want := range []string{`<Key><PropertyRef Name="` + shop + `id"/></Key>`, `<Property Name="` + shop + `id" Type="Edm.Guid" Nullable="false"/>`,
				`<Property Name="` + shelf + `id" Type="Edm.Guid" Nullable="false"/>`, `<Property Name="code" Type="Edm.String"`} {
				if !strings.Contains(md, want) {
					t.Errorf("$metadata lacks %s", want)
				}
			}
			rows := e.do("GET", "/odata/"+sh.EntitySetName+"?$select=name&$filter="+url.PathEscape("shelfno eq -3"), nil).want(t, 200).json(t)["value"].([]any)
			if len(rows) != 1 || rows[0].(map[string]any)[shelf+"id"] != shelfID("se", -3) {
				t.Fatalf("introspected shelf: %v", rows)
			}
			m := e.do("GET", "/odata/"+sh.EntitySetName+"("+shelfID("se", -3)+")?$expand="+shop+"id($select=code)", nil).want(t, 200).json(t)
			if s, _ := m[shop+"id"].(map[string]any); s == nil || s["code"] != "se" || s[shop+"id"] != nil && s[shop+"id"] != shopID("se") {
				t.Errorf("shelf → shop: %v", m)
			}
			if got := keyedNames(t, e.do("GET", "/odata/"+st.EntitySetName+"?$filter="+url.PathEscape(shop+"id eq "+shopID("se")), nil).want(t, 200), "code"); strings.Join(got, ",") != "se" {
				t.Errorf("filter on the introspected id: %v", got)
			}
		})
	}
}
