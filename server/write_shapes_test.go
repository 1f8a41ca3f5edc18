package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

const (
	adminID  = "aa000000-0000-4000-8000-000000000001" // System Administrator
	bjornID  = "aa000000-0000-4000-8000-000000000005" // Salesperson in Sales Europe
	buSales  = "bb000000-0000-4000-8000-000000000002" // Contoso Sales: Priya's and John's unit
	buEU     = "bb000000-0000-4000-8000-000000000003" // Sales Europe: Björn's unit
	contact1 = "c0000000-0000-4000-8000-000000000001"
	contact3 = "c0000000-0000-4000-8000-000000000003"
)

// accountRow is an account's ownership and lookups as the database holds
// them, read directly (not through the server).
type accountRow struct {
	name, owner, unit, parent, contact string
}

func readAccount(t *testing.T, f fixture, id string) *accountRow {
	t.Helper()
	tbl, _ := f.cat.Table("account")
	col := func(n string) string {
		c, ok := tbl.Column(n)
		if !ok {
			t.Fatalf("no column %s", n)
		}
		return c.PhysicalName
	}
	q := fmt.Sprintf("SELECT %s, %s, %s, %s, %s FROM %s WHERE %s = %s", col("name"), col("ownerid"), col("owningbusinessunit"),
		col("parentaccountid"), col("primarycontactid"), tbl.PhysicalName, col("accountid"), ph(f, 1))
	vals := make([]any, 5)
	ptrs := make([]any, 5)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := f.db.SQL.QueryRowContext(context.Background(), q, id).Scan(ptrs...); err != nil {
		t.Fatalf("reading account %s directly: %v", id, err)
	}
	return &accountRow{dbText(vals[0]), dbText(vals[1]), dbText(vals[2]), dbText(vals[3]), dbText(vals[4])}
}

// countAccounts counts the accounts with a name, directly.
func countAccounts(t *testing.T, f fixture, name string) int {
	t.Helper()
	tbl, _ := f.cat.Table("account")
	c, _ := tbl.Column("name")
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s = %s", tbl.PhysicalName, c.PhysicalName, ph(f, 1))
	if err := f.db.SQL.QueryRowContext(context.Background(), q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dbText is a scanned value as text, GUIDs canonical (pgx scans uuid as 16
// bytes).
func dbText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case []byte:
		v = string(x)
	}
	s := fmt.Sprint(v)
	if g, ok := plan.CanonicalGUID(s); ok {
		return g
	}
	return s
}

func sdkUpdate(id, attrs string) string {
	return `{"Target":{"LogicalName":"account","Id":"` + id + `","Attributes":` + attrs + `}}`
}

func sdkCreate(attrs string) string {
	return `{"Target":{"LogicalName":"account","Attributes":` + attrs + `}}`
}

// TestWriteAttacksRefused: the red team's bodies, sent by a plain
// Salesperson (Priya: Read, Write, Create, AppendTo at User depth, no
// Assign, no Append) through the SDK endpoints and OData, are refused
// with their codes, and the row in the database is unchanged, on every
// engine: the check and the writer read one decoding of each value.
func TestWriteAttacksRefused(t *testing.T) {
	q := func(s string) string { return strings.ReplaceAll(s, "'", `"`) }
	updates := []struct {
		name, attrs, code string
	}{
		{"Value reassign", q(`{'ownerid':{'Value':'` + johnID + `'}}`), "VE6012"},
		{"id and Value", q(`{'ownerid':{'id':'` + priyaID + `','Value':'` + johnID + `'}}`), "VE6012"},
		{"Id and id", q(`{'ownerid':{'Id':'` + priyaID + `','id':'` + johnID + `'}}`), "VE6013"},
		{"two spellings", q(`{'OwnerId':'` + johnID + `','ownerid':'` + priyaID + `'}`), "VE6013"},
		{"one key twice", q(`{'ownerid':'` + johnID + `','ownerid':'` + priyaID + `'}`), "VE6013"},
		{"null owner", q(`{'ownerid':null}`), "VE6014"},
		{"empty owner", q(`{'ownerid':''}`), "VE6014"},
		{"null owner id", q(`{'ownerid':{'Id':null,'LogicalName':'systemuser'}}`), "VE6014"},
		{"null unit", q(`{'owningbusinessunit':null}`), "VE6014"},
		{"a unit that does not exist", q(`{'owningbusinessunit':'bb000000-0000-4000-8000-0000000000ff'}`), "VE6005"},
		{"unit as Value", q(`{'owningbusinessunit':{'Value':'` + buEU + `'}}`), "VE6012"},
		{"lookup as Value", q(`{'parentaccountid':{'Value':'` + acc2 + `'}}`), "VE6012"},
		{"lookup to a non-target", q(`{'parentaccountid':{'Id':'` + acc1 + `','LogicalName':'contact'}}`), "VE6012"},
		{"owner of the wrong kind", q(`{'ownerid':{'Id':'` + johnID + `','LogicalName':'team'}}`), "VE6012"},
		{"unknown reference key", q(`{'ownerid':{'Id':'` + priyaID + `','KeyAttributes':{}}}`), "VE6012"},
		{"owner of the wrong JSON type", q(`{'ownerid':5}`), "VE2003"},
		{"plain reassign without Assign", q(`{'ownerid':'` + johnID + `'}`), "VE3003"},
		{"lookup without Append", q(`{'parentaccountid':'` + acc1 + `'}`), "VE3003"},
	}
	odata := []struct {
		name, body, code string
	}{
		{"Value reassign", q(`{'ownerid':{'Value':'` + johnID + `'}}`), "VE6012"},
		{"id and Value", q(`{'ownerid':{'id':'` + priyaID + `','Value':'` + johnID + `'}}`), "VE6012"},
		{"Id and id", q(`{'ownerid':{'Id':'` + priyaID + `','id':'` + johnID + `'}}`), "VE6013"},
		{"two spellings", q(`{'OwnerId':'` + johnID + `','ownerid':'` + priyaID + `'}`), "VE6013"},
		{"null owner", q(`{'ownerid':null}`), "VE6014"},
		{"null unit", q(`{'owningbusinessunit':null}`), "VE6014"},
		{"lookup and its bind", q(`{'parentaccountid':'` + acc1 + `','parentaccountid@odata.bind':'/accounts(` + acc2 + `)'}`), "VE6013"},
		{"lookup and its bind, other case", q(`{'ParentAccountId':'` + acc1 + `','parentaccountid@odata.bind':'/accounts(` + acc2 + `)'}`), "VE6013"},
		{"read-only _value form", q(`{'_parentaccountid_value':'` + acc2 + `'}`), "VE2002"},
		{"bind to a non-target", q(`{'parentaccountid@odata.bind':'/contacts(` + contact3 + `)'}`), "VE6012"},
		{"bind to no entity set", q(`{'parentaccountid@odata.bind':'/nowhere(` + acc2 + `)'}`), "VE6012"},
		{"owner bind without Assign", q(`{'ownerid@odata.bind':'/systemusers(` + johnID + `)'}`), "VE3003"},
	}
	creates := []struct {
		name, attrs, code string
	}{
		{"Value owner", `'ownerid':{'Value':'` + johnID + `'}`, "VE6012"},
		{"id and Value owner", `'ownerid':{'id':'` + priyaID + `','Value':'` + johnID + `'}`, "VE6012"},
		{"null owner", `'ownerid':null`, "VE6014"},
		{"null unit", `'owningbusinessunit':null`, "VE6014"},
		{"two spellings", `'OwnerId':'` + johnID + `','ownerid':'` + priyaID + `'`, "VE6013"},
		{"unit outside her reach", `'owningbusinessunit':'` + buEU + `'`, "VE3003"},
		{"owner outside her reach", `'ownerid':'` + johnID + `'`, "VE3003"},
	}
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID
			before := readAccount(t, f.fixture, acc1)
			if before.owner != priyaID || before.unit != buSales {
				t.Fatalf("the sample changed: %+v", before)
			}
			unchanged := func(what string) {
				t.Helper()
				if got := readAccount(t, f.fixture, acc1); *got != *before {
					t.Errorf("%s: the refused write changed the row: %+v, was %+v", what, got, before)
				}
			}
			for _, u := range updates {
				e.do("POST", "/api/ve/v1/Update", sdkUpdate(acc1, u.attrs)).wantErrorNamed(t, u.name, u.code)
				unchanged("Update " + u.name)
			}
			// The Target itself twice, in two spellings of its key.
			e.do("POST", "/api/ve/v1/Update", `{"Target":{"LogicalName":"account","Id":"`+acc1+`","Attributes":{"name":"x"}},"target":{"LogicalName":"account","Id":"`+acc1+`","Attributes":{"ownerid":"`+johnID+`"}}}`).
				wantErrorNamed(t, "Target twice", "VE6013")
			unchanged("Target twice")
			for _, o := range odata {
				e.do("PATCH", "/odata/accounts("+acc1+")", o.body).wantErrorNamed(t, "OData "+o.name, o.code)
				unchanged("OData PATCH " + o.name)
			}
			for i, c := range creates {
				name := fmt.Sprintf("attack create %d", i)
				attrs := q(`{'name':'` + name + `',` + c.attrs + `}`)
				e.do("POST", "/api/ve/v1/Create", sdkCreate(attrs)).wantErrorNamed(t, "Create "+c.name, c.code)
				e.do("POST", "/odata/accounts", attrs).wantErrorNamed(t, "OData POST "+c.name, c.code)
				if n := countAccounts(t, f.fixture, name); n != 0 {
					t.Errorf("Create %s: refused, yet %d rows were created", c.name, n)
				}
			}
		})
	}
}

// wantErrorNamed is wantError with the case named, for tables of cases.
func (r *response) wantErrorNamed(t *testing.T, name, ve string) {
	t.Helper()
	if r.status < 400 {
		t.Errorf("%s: status %d, want a refusal %s: %s", name, r.status, ve, r.body)
		return
	}
	if _, got := r.errCode(t); got != ve {
		t.Errorf("%s: %s (status %d), want %s: %s", name, got, r.status, ve, r.body)
	}
}

// TestWriteShapesAccepted: every accepted spelling writes what it names,
// read back from the database directly; an assigned or created row's
// business unit is its owner's.
func TestWriteShapesAccepted(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = adminID
			m := e.do("POST", "/api/ve/v1/Create", sdkCreate(`{"name":"shapes","ownerid":{"Id":"`+priyaID+`","LogicalName":"systemuser","Name":"Priya Patel"}}`)).want(t, 200).json(t)
			id := fmt.Sprint(m["id"])
			row := readAccount(t, f.fixture, id)
			if row.owner != priyaID || row.unit != buSales {
				t.Errorf("created for Priya: %+v, want her and her unit", row)
			}
			steps := []struct {
				how  string
				send func() *response
				want func(*accountRow) bool
			}{
				{"EntityReference in camel case", func() *response {
					return e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"parentaccountid":{"id":"`+acc2+`","logicalName":"account","name":"ignored"}}`))
				}, func(r *accountRow) bool { return r.parent == acc2 }},
				{"EntityReference in lower case", func() *response {
					return e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"primarycontactid":{"id":"`+contact3+`","logicalname":"contact"}}`))
				}, func(r *accountRow) bool { return r.contact == contact3 }},
				{"plain GUID in upper case and braces", func() *response {
					return e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"parentaccountid":"{`+strings.ToUpper(acc1)+`}"}`))
				}, func(r *accountRow) bool { return r.parent == acc1 }},
				{"null lookup", func() *response {
					return e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"parentaccountid":null}`))
				}, func(r *accountRow) bool { return r.parent == "" }},
				{"OData bind", func() *response {
					return e.do("PATCH", "/odata/accounts("+id+")", `{"parentaccountid@odata.bind":"/accounts(`+acc2+`)"}`)
				}, func(r *accountRow) bool { return r.parent == acc2 }},
				{"OData bind, absolute URL", func() *response {
					return e.do("PATCH", "/odata/accounts("+id+")", `{"primarycontactid@odata.bind":"https://example.com/odata/contacts(`+contact1+`)"}`)
				}, func(r *accountRow) bool { return r.contact == contact1 }},
				{"assign: the unit follows the owner", func() *response {
					return e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"ownerid":{"Id":"`+bjornID+`"}}`))
				}, func(r *accountRow) bool { return r.owner == bjornID && r.unit == buEU }},
				{"OData assign by bind", func() *response {
					return e.do("PATCH", "/odata/accounts("+id+")", `{"ownerid@odata.bind":"/systemusers(`+priyaID+`)"}`)
				}, func(r *accountRow) bool { return r.owner == priyaID && r.unit == buSales }},
			}
			for _, s := range steps {
				if r := s.send(); r.status != http.StatusNoContent {
					t.Fatalf("%s: status %d: %s", s.how, r.status, r.body)
				}
				if got := readAccount(t, f.fixture, id); !s.want(got) {
					t.Errorf("%s: row %+v", s.how, got)
				}
			}
			// Priya, owning it, may write her own row's owner as it is.
			e.user = priyaID
			e.do("POST", "/api/ve/v1/Update", sdkUpdate(id, `{"ownerid":{"Id":"`+priyaID+`","LogicalName":"systemuser"},"name":"still hers"}`)).want(t, http.StatusNoContent)
			if got := readAccount(t, f.fixture, id); got.owner != priyaID || got.name != "still hers" {
				t.Errorf("Priya's unchanged owner: %+v", got)
			}
		})
	}
}

// TestWriteHookValuesRechecked: values a hook sets are decoded and checked
// again, with the same refusals as values the caller sends.
func TestWriteHookValuesRechecked(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			var set any
			hooked := false
			if err := e.srv.OnWrite("account", func(_ context.Context, _ *server.WriteTx, w *server.WriteRequest) error {
				if hooked {
					w.Values["ownerid"] = set
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			e.user = priyaID
			before := readAccount(t, f.fixture, acc1)
			for _, c := range []struct {
				v    any
				code string
			}{
				{map[string]any{"Value": johnID}, "VE6012"},
				{map[string]any{"id": priyaID, "Value": johnID}, "VE6012"},
				{nil, "VE6014"},
				{johnID, "VE3003"},
			} {
				set, hooked = c.v, true
				e.do("POST", "/api/ve/v1/Update", sdkUpdate(acc1, `{"name":"renamed by a hooked write"}`)).wantErrorNamed(t, fmt.Sprint(c.v), c.code)
				if got := readAccount(t, f.fixture, acc1); *got != *before {
					t.Errorf("hook setting %v: the row changed: %+v", c.v, got)
				}
			}
			hooked = false
			e.do("POST", "/api/ve/v1/Update", sdkUpdate(acc1, `{"name":"renamed by a hooked write"}`)).want(t, http.StatusNoContent)
		})
	}
}

// TestPolymorphicLookupNamesItsTable: a lookup with two targets stores
// only the GUID, so which row AppendTo is checked on comes from the
// EntityReference's LogicalName; a plain GUID found in both target tables
// is refused rather than checked against whichever is found first.
func TestPolymorphicLookupNamesItsTable(t *testing.T) {
	const opp = "d0000000-0000-4000-8000-000000000002" // in Contoso Sales, John's unit
	sf := securedFixtures(t)[0]
	base, ok := sf.cat.(plan.MapCatalog)
	if !ok {
		t.Fatalf("the sample catalog is a %T", sf.cat)
	}
	cat := plan.MapCatalog{}
	for _, tbl := range base {
		if tbl.LogicalName == "opportunity" {
			nt := *tbl
			nt.Columns = nil
			for _, c := range tbl.Columns {
				cc := *c
				if cc.LogicalName == "customerid" {
					cc.Targets = []string{"account", "contact"} // as in Dataverse
				}
				nt.Columns = append(nt.Columns, &cc)
			}
			tbl = plan.NewTable(nt)
		}
		cat.Add(tbl)
	}
	sf.cat = cat
	// A contact whose id is an account's.
	contactT, _ := cat.Table("contact")
	if _, err := sf.db.SQL.ExecContext(context.Background(), "INSERT INTO "+contactT.PhysicalName+" (contactid, fullname, ownerid, owningbusinessunit) VALUES (?, 'Twin', ?, ?)", acc1, adminID, buSales); err != nil {
		t.Fatal(err)
	}
	e := newSecuredEnv(t, sf)
	e.user = johnID
	oppT, _ := cat.Table("opportunity")
	customer := func() string {
		var v any
		if err := sf.db.SQL.QueryRowContext(context.Background(), "SELECT customerid FROM "+oppT.PhysicalName+" WHERE opportunityid = ?", opp).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return dbText(v)
	}
	update := func(v string) *response {
		return e.do("POST", "/api/ve/v1/Update", `{"Target":{"LogicalName":"opportunity","Id":"`+opp+`","Attributes":{"customerid":`+v+`}}}`)
	}
	before := customer()
	update(`"`+acc1+`"`).wantErrorNamed(t, "a GUID in two targets", "VE6012")
	update(`{"Id":"`+acc1+`","LogicalName":"contact"}`).wantErrorNamed(t, "the contact (no AppendTo on contacts)", "VE3003")
	if got := customer(); got != before {
		t.Fatalf("refused writes changed customerid to %s", got)
	}
	update(`{"Id":"`+acc1+`","LogicalName":"account"}`).want(t, http.StatusNoContent)
	if got := customer(); got != acc1 {
		t.Errorf("customerid = %s, want %s", got, acc1)
	}
}
