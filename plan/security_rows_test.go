package plan_test

// Row-level tests of the injected security: rows returned per principal on
// the SQLite sample (and PostgreSQL / MariaDB when configured) are compared
// with canRead, an independent per-row check written here from the model's
// data, which never looks at the injected predicate or at security.Access.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

type secTarget struct {
	name string
	db   *engine.DB
	cat  plan.Catalog
}

// secTargets opens the SQLite sample and, when configured, PostgreSQL and
// MariaDB fixtures under a per-run prefix.
func secTargets(t *testing.T) []secTarget {
	t.Helper()
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	out := []secTarget{{"sqlite", db, cat}}
	engines := testkit.OptionalEngines(t)
	for _, name := range []string{"postgres", "mysql"} {
		dsn := engines[name]
		if dsn == "" {
			continue
		}
		edb, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prefix := fmt.Sprintf("sec%d_%d_", os.Getpid(), time.Now().UnixNano()%100000)
		ecat, err := engine.LoadFixture(ctx, edb, prefix)
		if err != nil {
			edb.Close()
			t.Fatalf("%s: loading the sample: %v", name, err)
		}
		t.Cleanup(func() {
			engine.DropFixture(ctx, edb, prefix)
			edb.Close()
		})
		out = append(out, secTarget{name, edb, ecat})
	}
	return out
}

func sampleModel(t *testing.T) *security.Model {
	t.Helper()
	m, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	return cloneModel(t, m.Model())
}

func cloneModel(t *testing.T, m *security.Model) *security.Model {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out security.Model
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// run plans and executes src as principal p of model m (nil m: no
// security, the "system" view).
func run(t *testing.T, tg secTarget, m *security.Model, p security.Principal, src string) ([]engine.Row, error) {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	opt := plan.Options{Catalog: tg.cat, Now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	if m != nil {
		c, err := security.Compile(cloneModel(t, m))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Session(p)
		if err != nil {
			return nil, err
		}
		opt.Security = plan.ModelSecurity{Session: s}
	}
	pl, err := plan.Build(q, opt)
	if err != nil {
		return nil, err
	}
	res, err := tg.db.Exec(context.Background(), pl)
	if err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
	return res.Rows, nil
}

func str(r engine.Row, name string) string {
	v, _ := r.Get(name)
	if v == nil {
		return ""
	}
	return strings.ToLower(fmt.Sprint(v))
}

const accountQuery = `<fetch><entity name="account"><attribute name="accountid"/><attribute name="name"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/><attribute name="revenue"/></entity></fetch>`

// contactAccountQuery: contacts with their account as an outer link; an
// unreadable account must null the link's columns, never drop the contact.
const contactAccountQuery = `<fetch><entity name="contact"><attribute name="contactid"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/><attribute name="birthdate"/>
<link-entity name="account" from="accountid" to="parentcustomerid" alias="a" link-type="outer"><attribute name="accountid"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/><attribute name="revenue"/></link-entity></entity></fetch>`

// accountsWithOpportunity: exists link; the subquery reads opportunities
// as the caller.
const accountsWithOpportunity = `<fetch><entity name="account"><attribute name="accountid"/>
<link-entity name="opportunity" from="customerid" to="accountid" link-type="exists"/></entity></fetch>`

const opportunityAccounts = `<fetch><entity name="opportunity"><attribute name="opportunityid"/><attribute name="customerid"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/></entity></fetch>`

const revenueByBU = `<fetch aggregate="true"><entity name="account"><attribute name="owningbusinessunit" alias="bu" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/><attribute name="revenue" alias="total" aggregate="sum"/></entity></fetch>`

// checkUser compares every query's rows for user with the reference.
func checkUser(t *testing.T, tg secTarget, m *security.Model, user string) {
	t.Helper()
	p := security.Principal{UserID: user}
	readable := func(table, key, owner, bu string) (bool, bool) { return canRead(m, user, table, key, owner, bu) }

	// Root: exactly the readable accounts; hidden revenue is NULL.
	sys, _ := run(t, tg, nil, p, accountQuery)
	got, err := run(t, tg, m, p, accountQuery)
	_, hasPriv := readable("account", "", "", "")
	if !hasPriv {
		if diag.CodeOf(err) != diag.MissingPrivilege {
			t.Errorf("%s %s: no Read on account: got %v, want %s", tg.name, user, err, diag.MissingPrivilege)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s %s: %v", tg.name, user, err)
	}
	var want []string
	for _, r := range sys {
		if ok, _ := readable("account", str(r, "accountid"), str(r, "ownerid"), str(r, "owningbusinessunit")); ok {
			want = append(want, str(r, "accountid"))
		}
	}
	var gotIDs []string
	revenueVisible := canReadColumn(m, user, "account", "revenue")
	sysRevenue := map[string]string{}
	sharedRevenueBU := map[string]bool{} // units with a readable account whose revenue is shared
	for _, r := range sys {
		sysRevenue[str(r, "accountid")] = str(r, "revenue")
	}
	for _, r := range got {
		id := str(r, "accountid")
		gotIDs = append(gotIDs, id)
		visible := canReadColumnOn(m, user, "account", "revenue", id)
		if v, _ := r.Get("revenue"); v != nil && !visible {
			t.Errorf("%s %s: hidden revenue %v returned", tg.name, user, v)
		}
		if visible && !revenueVisible {
			sharedRevenueBU[str(r, "owningbusinessunit")] = true
			if str(r, "revenue") != sysRevenue[id] {
				t.Errorf("%s %s: revenue of %s shared with the user: %q, want %q", tg.name, user, id, str(r, "revenue"), sysRevenue[id])
			}
		}
	}
	if !slices.Equal(sorted(gotIDs), sorted(want)) {
		t.Errorf("%s %s: accounts\n got %v\nwant %v", tg.name, user, sorted(gotIDs), sorted(want))
	}

	// Outer link: every readable contact, with its account only when readable.
	if _, ok := readable("contact", "", "", ""); !ok {
		return
	}
	sys, _ = run(t, tg, nil, p, contactAccountQuery)
	got, err = run(t, tg, m, p, contactAccountQuery)
	if err != nil {
		t.Fatalf("%s %s: %v", tg.name, user, err)
	}
	wantLinks := map[string]string{}
	for _, r := range sys {
		if ok, _ := readable("contact", str(r, "contactid"), str(r, "ownerid"), str(r, "owningbusinessunit")); !ok {
			continue
		}
		acc := ""
		if ok, _ := readable("account", str(r, "a.accountid"), str(r, "a.ownerid"), str(r, "a.owningbusinessunit")); ok {
			acc = str(r, "a.accountid")
		}
		wantLinks[str(r, "contactid")] = acc
	}
	gotLinks := map[string]string{}
	for _, r := range got {
		gotLinks[str(r, "contactid")] = str(r, "a.accountid")
		if v, _ := r.Get("birthdate"); v != nil && !canReadColumn(m, user, "contact", "birthdate") {
			t.Errorf("%s %s: hidden birthdate %v returned", tg.name, user, v)
		}
	}
	if fmt.Sprint(gotLinks) != fmt.Sprint(wantLinks) {
		t.Errorf("%s %s: contacts → account\n got %v\nwant %v", tg.name, user, gotLinks, wantLinks)
	}

	// Exists link: accounts readable with a readable opportunity.
	if _, ok := readable("opportunity", "", "", ""); !ok {
		return
	}
	opps, _ := run(t, tg, nil, p, opportunityAccounts)
	withOpp := map[string]bool{}
	for _, r := range opps {
		if ok, _ := readable("opportunity", str(r, "opportunityid"), str(r, "ownerid"), str(r, "owningbusinessunit")); ok {
			withOpp[str(r, "customerid")] = true
		}
	}
	want = want[:0]
	for _, id := range sorted(slices.Clone(gotIDs)) {
		if withOpp[id] {
			want = append(want, id)
		}
	}
	// The same test written as exists, in, and an any filter link.
	for _, src := range []string{accountsWithOpportunity, strings.Replace(accountsWithOpportunity, `link-type="exists"`, `link-type="in"`, 1),
		`<fetch><entity name="account"><attribute name="accountid"/><filter><link-entity name="opportunity" from="customerid" to="accountid" link-type="any"/></filter></entity></fetch>`} {
		got, err = run(t, tg, m, p, src)
		if err != nil {
			t.Fatalf("%s %s: %v", tg.name, user, err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, str(r, "accountid"))
		}
		if !slices.Equal(sorted(ids), want) {
			t.Errorf("%s %s: accounts with an opportunity (%s)\n got %v\nwant %v", tg.name, user, src, sorted(ids), want)
		}
	}

	// Aggregate: counts over readable rows only; a hidden column sums to NULL.
	got, err = run(t, tg, m, p, revenueByBU)
	if err != nil {
		t.Fatalf("%s %s: %v", tg.name, user, err)
	}
	total := 0
	for _, r := range got {
		n, _ := strconv.Atoi(str(r, "n"))
		total += n
		if v, _ := r.Get("total"); v != nil && !revenueVisible && !sharedRevenueBU[str(r, "bu")] {
			t.Errorf("%s %s: sum of hidden revenue %v returned", tg.name, user, v)
		}
	}
	if want := len(sorted(slices.Clone(gotIDsOf(t, tg, m, p)))); total != want {
		t.Errorf("%s %s: aggregate counts %d accounts, want %d", tg.name, user, total, want)
	}
}

func gotIDsOf(t *testing.T, tg secTarget, m *security.Model, p security.Principal) []string {
	rows, err := run(t, tg, m, p, accountQuery)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, str(r, "accountid"))
	}
	return ids
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// TestSecuritySampleUsers: every enabled sample user, on every engine.
func TestSecuritySampleUsers(t *testing.T) {
	m := sampleModel(t)
	for _, tg := range secTargets(t) {
		for _, u := range m.Users {
			if u.Disabled {
				continue
			}
			checkUser(t, tg, m, u.ID)
		}
	}
}

// TestSecuritySampleCases pins the sample's intended behaviour, so the
// reference and the implementation cannot agree on something wrong.
func TestSecuritySampleCases(t *testing.T) {
	m := sampleModel(t)
	tg := secTargets(t)[0]
	count := func(user string) int {
		rows, err := run(t, tg, m, security.Principal{UserID: user}, accountQuery)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		return len(rows)
	}
	all, _ := run(t, tg, nil, security.Principal{}, accountQuery)
	if n := count("aa000000-0000-4000-8000-000000000001"); n != len(all) {
		t.Errorf("administrator reads %d of %d accounts", n, len(all))
	}
	john, priya := count("aa000000-0000-4000-8000-000000000002"), count("aa000000-0000-4000-8000-000000000004")
	if !(priya > 0 && priya < john && john < len(all)) {
		t.Errorf("Salesperson %d < Sales Manager (deep BU) %d < all %d does not hold", priya, john, len(all))
	}
	// Kenji has no role of his own: only the Contoso team's Business Unit read of head-office accounts.
	if n := count("aa000000-0000-4000-8000-000000000006"); n == 0 || n >= priya+10 {
		t.Errorf("team-only user reads %d accounts", n)
	}
	// A share with write rights only (no read bit) gives nothing; Sam's read share does.
	rows, _ := run(t, tg, m, security.Principal{UserID: "aa000000-0000-4000-8000-000000000009"}, accountQuery)
	ids := map[string]bool{}
	for _, r := range rows {
		ids[str(r, "accountid")] = true
	}
	if !ids["acc00000-0000-4000-8000-000000000008"] || ids["acc00000-0000-4000-8000-000000000011"] && !ownedBy(all, "acc00000-0000-4000-8000-000000000011", "aa000000-0000-4000-8000-000000000009") {
		t.Errorf("Sam's shares: read share missing or write-only share readable: %v", ids)
	}
	// Portal: a mapped contact runs as its user; one mapped to an administrator is refused.
	if _, err := run(t, tg, m, security.Principal{PortalContactID: "c0000000-0000-4000-8000-000000000001"}, accountQuery); err != nil {
		t.Errorf("portal contact: %v", err)
	}
	if _, err := run(t, tg, m, security.Principal{PortalContactID: "c0000000-0000-4000-8000-000000000002"}, accountQuery); diag.CodeOf(err) != diag.PrincipalRefused {
		t.Errorf("portal contact mapped to an administrator: got %v, want %s", err, diag.PrincipalRefused)
	}
	if rows, err := run(t, tg, m, security.Principal{Anonymous: true}, accountQuery); err != nil || len(rows) != len(all) {
		t.Errorf("anonymous (Portal Reader, Organization read): %d rows, %v", len(rows), err)
	}
	if _, err := run(t, tg, m, security.Principal{UserID: "aa000000-0000-4000-8000-00000000000a"}, accountQuery); diag.CodeOf(err) != diag.PrincipalRefused {
		t.Errorf("disabled user: got %v, want %s", err, diag.PrincipalRefused)
	}
	// Kenji lacks Read on contact entirely: a missing privilege, not an empty result.
	if _, err := run(t, tg, m, security.Principal{UserID: "aa000000-0000-4000-8000-000000000006"}, contactAccountQuery); diag.CodeOf(err) != diag.MissingPrivilege {
		t.Errorf("no contact privilege: got %v, want %s", err, diag.MissingPrivilege)
	}
}

func ownedBy(rows []engine.Row, id, owner string) bool {
	for _, r := range rows {
		if str(r, "accountid") == id {
			return str(r, "ownerid") == owner
		}
	}
	return false
}

// randomModel gives the sample's users and teams random roles, team
// settings, shares, hierarchy and column profiles.
