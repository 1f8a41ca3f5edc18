package plan_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// sharedContact is the contact whose name the name-order tests field-share
// with Priya: the primary contact of acc0a, one of her accounts, and not
// the greatest contact key among them (so a share ignored would show).
const (
	sharedContact = "c0000000-0000-4000-8000-000000000007"
	sharedAccount = "acc00000-0000-4000-8000-00000000000a"
)

// nameOrderAttacks order by a lookup whose target's primary name
// (contact.fullname) the caller may not read: with a top, a page, a
// distinct, a group and a link order, in FetchXML, QueryExpression and
// OData.
var nameOrderAttacks = []attack{
	{"top 1 by lookup", "fx", `<fetch top="1"><entity name="account"><attribute name="accountid"/><order attribute="primarycontactid"/></entity></fetch>`},
	{"top 1 by lookup desc", "fx", `<fetch top="1"><entity name="account"><attribute name="accountid"/><order attribute="primarycontactid" descending="true"/></entity></fetch>`},
	{"page 2 by lookup", "fx", `<fetch count="2" page="2"><entity name="account"><attribute name="accountid"/><attribute name="primarycontactid"/><order attribute="primarycontactid"/></entity></fetch>`},
	{"distinct top by lookup", "fx", `<fetch distinct="true" top="2"><entity name="account"><attribute name="primarycontactid"/><order attribute="primarycontactid" descending="true"/></entity></fetch>`},
	{"group by lookup", "fx", `<fetch aggregate="true"><entity name="account"><attribute name="primarycontactid" alias="pc" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/><order alias="pc" descending="true"/></entity></fetch>`},
	{"link order by lookup", "fx", `<fetch top="1"><entity name="opportunity"><attribute name="opportunityid"/><link-entity name="account" from="accountid" to="customerid" alias="a"><order attribute="primarycontactid" descending="true"/></link-entity></entity></fetch>`},
	{"qe top by lookup", "qe", `{"EntityName":"account","ColumnSet":{"Columns":["accountid"]},"TopCount":1,"Orders":[{"AttributeName":"primarycontactid","OrderType":"Descending"}]}`},
	{"odata top by lookup", "odata", `accounts?$select=accountid&$orderby=_primarycontactid_value desc&$top=1`},
}

// nameOrderModel is the sample model with contact.fullname secured (no
// profile reads it) and, when share, the name of sharedContact shared with
// Priya; reader gives Priya a profile that reads every name.
func nameOrderModel(t *testing.T, share, reader bool) *security.Model {
	m := sampleModel(t)
	for i := range m.Tables {
		if m.Tables[i].Name == "contact" {
			m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "fullname")
		}
	}
	if share {
		m.FieldShares = append(m.FieldShares, security.FieldShareDef{Table: "contact", Column: "fullname", ObjectID: sharedContact, PrincipalID: priya, Read: true})
	}
	if reader {
		m.FieldProfiles = append(m.FieldProfiles, security.FieldProfile{ID: "f0000000-0000-4000-8000-0000000000aa", Name: "Names", Users: []string{priya},
			Columns: []security.ColumnPermission{{Table: "contact", Column: "fullname", Read: true}}})
	}
	return m
}

// TestLookupOrderHidesNames: ordering by a lookup sorts by the target's
// primary name only where the caller may read it. With contact.fullname
// hidden from Priya, no attack's outcome moves when every hidden name is
// permuted (a top or a page would otherwise tell hidden names apart); a
// name field-shared with her takes part in the order (it sorts before the
// hidden NULLs, descending); a caller who reads the names sees them move.
func TestLookupOrderHidesNames(t *testing.T) {
	hidden, shared, reader := nameOrderModel(t, false, false), nameOrderModel(t, true, false), nameOrderModel(t, false, true)
	for _, tg := range secTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			outcomes := func(m *security.Model) []string {
				out := make([]string, len(nameOrderAttacks))
				for i, a := range nameOrderAttacks {
					out[i] = outcome(t, tg, m, priya, a)
					if strings.Contains(out[i], "error") {
						t.Fatalf("%s: %s", a.name, out[i])
					}
				}
				return out
			}
			before := [][]string{outcomes(hidden), outcomes(shared), outcomes(reader)}
			if got := before[1][1]; !strings.Contains(got, sharedAccount) {
				t.Errorf("the field-shared name does not take part: descending top 1 is %s, want %s", got, sharedAccount)
			}
			if got := before[0][1]; strings.Contains(got, sharedAccount) {
				t.Errorf("without the share, descending top 1 is still %s", got)
			}
			permuteNames(t, tg, sharedContact)
			after := [][]string{outcomes(hidden), outcomes(shared), outcomes(reader)}
			for i, a := range nameOrderAttacks {
				for j, model := range []string{"hidden", "shared"} {
					if after[j][i] != before[j][i] {
						t.Errorf("%s, names %s: permuting the hidden names changed the outcome:\nbefore %s\nafter  %s", a.name, model, before[j][i], after[j][i])
					}
				}
			}
			if slices.Equal(after[2], before[2]) {
				t.Errorf("a caller who reads the names saw no change: the permutation tests nothing")
			}
		})
	}
}

// permuteNames gives every contact but keep the name of another (the
// names in reverse key order), and restores them when the test ends.
func permuteNames(t *testing.T, tg secTarget, keep string) {
	t.Helper()
	rows, err := run(t, tg, nil, security.Principal{}, `<fetch><entity name="contact"><attribute name="contactid"/><attribute name="fullname"/><order attribute="contactid"/></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	var ids, names []string
	for _, r := range rows {
		if id := str(r, "contactid"); id != keep {
			v, _ := r.Get("fullname")
			s, _ := v.(string)
			ids, names = append(ids, id), append(names, s)
		}
	}
	set := func(names []string) {
		for i, id := range ids {
			setContactName(t, tg, id, names[i])
		}
	}
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	set(reversed)
	t.Cleanup(func() { set(names) })
}

// setContactName writes a contact's fullname, bypassing the planner.
func setContactName(t *testing.T, tg secTarget, id string, name any) {
	t.Helper()
	tab, _ := tg.cat.Table("contact")
	q, mark := `"`, func(n int) string { return "?" }
	if tg.db.Dialect == engine.MySQL {
		q = "`"
	}
	if tg.db.Dialect == engine.Postgres {
		mark = func(n int) string { return "$" + strconv.Itoa(n) }
	}
	if _, err := tg.db.SQL.ExecContext(context.Background(), "UPDATE "+q+tab.PhysicalName+q+" SET fullname = "+mark(1)+" WHERE contactid = "+mark(2), name, id); err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
}

// hiddenNameChange is the property test's name oracle: renaming a contact
// whose name user may not read (canReadColumnOn: profiles and field
// shares) moves no account ordered by its primary contact, whatever the
// page.
func hiddenNameChange(t *testing.T, tg secTarget, m *security.Model, user string, seed int64) {
	t.Helper()
	p := security.Principal{UserID: user}
	queries := []string{
		`<fetch count="3"><entity name="account"><attribute name="accountid"/><order attribute="primarycontactid" descending="true"/></entity></fetch>`,
		`<fetch count="3" page="2"><entity name="account"><attribute name="accountid"/><order attribute="primarycontactid"/></entity></fetch>`,
	}
	before := make([]string, len(queries))
	for i, q := range queries {
		rows, err := run(t, tg, m, p, q)
		if err != nil {
			return // no privilege: nothing to compare
		}
		before[i] = fmt.Sprint(rows)
	}
	contacts, _ := run(t, tg, nil, p, `<fetch><entity name="contact"><attribute name="contactid"/><attribute name="fullname"/></entity></fetch>`)
	for _, r := range contacts {
		id := str(r, "contactid")
		if canReadColumnOn(m, user, "contact", "fullname", id) {
			continue
		}
		name, _ := r.Get("fullname")
		for _, changed := range []string{"zzzz changed while hidden", "0000 changed while hidden"} {
			setContactName(t, tg, id, changed)
			for i, q := range queries {
				rows, _ := run(t, tg, m, p, q)
				if got := fmt.Sprint(rows); got != before[i] {
					t.Errorf("seed %d, %s, %s: renaming contact %s, whose name is hidden, to %q changed the order of query %d:\n%s\n%s", seed, tg.name, user, id, changed, i, before[i], got)
				}
			}
		}
		setContactName(t, tg, id, name)
	}
}

// TestVerifyNameKeys: Verify refuses a name sort key that does not say
// whether the caller reads its targets' names, or says otherwise than a
// source of the plan on the same table.
func TestVerifyNameKeys(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := security.Compile(nameOrderModel(t, true, false))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session(security.Principal{UserID: priya})
	if err != nil {
		t.Fatal(err)
	}
	const src = `<fetch><entity name="account"><attribute name="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/></link-entity>
<order attribute="primarycontactid"/></entity></fetch>`
	fresh := func() *plan.Plan {
		p, err := buildAs(t, cat, s, src)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Orders) == 0 || p.Orders[0].By != plan.SortName || len(p.Orders[0].Names) != 1 || !p.Orders[0].Names[0].Hidden || len(p.Orders[0].Names[0].Shared) != 1 {
			t.Fatalf("the name key does not hide contact.fullname but on the shared record:\n%s", plan.Format(p))
		}
		if !strings.Contains(plan.Format(p), "contact.fullname hidden but on 1 shared") {
			t.Errorf("the plan does not show the name's security:\n%s", plan.Format(p))
		}
		return p
	}
	for _, tc := range []struct {
		name, mentions string
		damage         func(k *plan.SortKey)
	}{
		{"no name security", "does not say", func(k *plan.SortKey) { k.Names = nil }},
		{"name read though hidden", "reads it as hidden but on 1 shared", func(k *plan.SortKey) { k.Names[0] = plan.NameAccess{} }},
		{"share dropped", "as hidden, but source pc", func(k *plan.SortKey) { k.Names[0].Shared = nil }},
		{"share swapped for another record", "as hidden but on 1 shared", func(k *plan.SortKey) {
			k.Names[0].Shared = []*plan.Value{{Kind: plan.KGuid, V: "dd000000-0000-4000-8000-0000000000ff"}}
		}},
		{"shared but not hidden", "does not hide", func(k *plan.SortKey) { k.Names[0].Hidden = false }},
	} {
		p := fresh()
		tc.damage(p.Orders[0])
		if err := plan.Verify(p); err == nil || !strings.Contains(err.Error(), tc.mentions) {
			t.Errorf("%s: Verify gave %v, want an error mentioning %q", tc.name, err, tc.mentions)
		}
	}
	// Security off: no name security at all.
	p, err := buildAs(t, cat, nil, src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Orders[0].Names != nil {
		t.Errorf("an unsecured plan carries name security %v", p.Orders[0].Names)
	}
	p.Orders[0].Names = []plan.NameAccess{{Hidden: true}}
	if err := plan.Verify(p); err == nil || !strings.Contains(err.Error(), "security off") {
		t.Errorf("name security in an unsecured plan: %v", err)
	}
}
