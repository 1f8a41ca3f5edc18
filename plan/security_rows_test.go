package plan_test

// Row-level tests of the injected security: rows returned per principal on
// the SQLite sample (and PostgreSQL / MariaDB when configured) are compared
// with canRead, an independent per-row check written here from the model's
// data, which never looks at the injected predicate or at security.Access.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
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

// canRead is the reference: may user read the row (table, key, owner,
// owning business unit) under model m? It walks up from the row (owner's
// managers, business unit's parents) where the implementation walks down.
// needPriv reports whether the user holds Read on the table at all.
func canRead(m *security.Model, user, table, key, owner, bu string) (ok, needPriv bool) {
	usr := findUser(m, user)
	type g struct {
		depth       security.Depth
		bu          string
		direct      bool
		inheritUser bool
	}
	var grants []g
	depthOf := func(roleID string) security.Depth {
		best := security.None
		for _, r := range m.Roles {
			if r.ID != roleID {
				continue
			}
			for _, p := range r.Privileges {
				if p.Table == table && p.Privilege == "Read" {
					d, _ := security.DepthByName(p.Depth)
					best = max(best, d)
				}
			}
		}
		return best
	}
	for _, a := range usr.Roles {
		b := a.BusinessUnitID
		if b == "" {
			b = usr.BusinessUnitID
		}
		if d := depthOf(a.RoleID); d > security.None {
			grants = append(grants, g{d, b, true, true})
		}
	}
	teamHolds := func(tm security.TeamDef) bool {
		if tm.Type != security.OwnerTeam {
			return false
		}
		for _, a := range tm.Roles {
			if depthOf(a.RoleID) > security.None {
				return true
			}
		}
		return false
	}
	myTeams := map[string]security.TeamDef{}
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			myTeams[tm.ID] = tm
			if tm.Type != security.OwnerTeam {
				continue
			}
			for _, a := range tm.Roles {
				b := a.BusinessUnitID
				if b == "" {
					b = tm.BusinessUnitID
				}
				if d := depthOf(a.RoleID); d > security.None {
					grants = append(grants, g{d, b, false, tm.Inheritance == security.DirectUserBasic})
				}
			}
		}
	}
	if len(grants) == 0 {
		return false, false
	}
	for _, td := range m.Tables {
		if td.Name == table && td.Ownership == security.OrganizationOwned {
			return true, true
		}
	}
	isUnder := func(child, ancestor string) bool { // business unit ancestry, walking up
		for b := child; b != ""; {
			if b == ancestor {
				return true
			}
			u := findBU(m, b)
			if u == nil {
				return false
			}
			b = u.ParentID
		}
		return false
	}
	for _, gr := range grants {
		switch {
		case gr.depth == security.Organization:
			return true, true
		case gr.depth == security.BusinessUnit && bu == gr.bu:
			return true, true
		case gr.depth == security.ParentChild && isUnder(bu, gr.bu):
			return true, true
		case owner == user && gr.inheritUser:
			return true, true
		}
	}
	if tm, ok := myTeams[owner]; ok && teamHolds(tm) {
		return true, true
	}
	sharedWith := func(principal string) bool {
		for _, sh := range m.Shares {
			if sh.Table == table && sh.ObjectID == key && sh.PrincipalID == principal && (sh.Rights|sh.Inherited)&security.RightRead != 0 {
				return true
			}
		}
		return false
	}
	if sharedWith(user) {
		return true, true
	}
	for id := range myTeams {
		if sharedWith(id) {
			return true, true
		}
	}
	excluded := false
	for _, td := range m.Tables {
		excluded = excluded || td.Name == table && td.HierarchyExcluded
	}
	if m.Hierarchy.Enabled && !excluded {
		depth := m.Hierarchy.Depth
		if depth == 0 {
			depth = 3
		}
		// managedBy: is user a manager of report within depth levels, in
		// the report's business unit or one above it? With position
		// hierarchy: is the report's position below user's, within depth
		// levels, whatever their business units?
		managedBy := func(report string) bool {
			cur := findUser(m, report)
			if cur == nil {
				return false
			}
			if m.Hierarchy.Model == security.PositionHierarchy {
				if usr.PositionID == "" || report == user {
					return false
				}
				pos := cur.PositionID
				for i := 0; i < depth && pos != ""; i++ {
					var parent string
					for _, p := range m.Positions {
						if p.ID == pos {
							parent = p.ParentID
						}
					}
					if parent == usr.PositionID {
						return true
					}
					pos = parent
				}
				return false
			}
			above := false
			for b := findBU(m, cur.BusinessUnitID); b != nil && !above; b = findBU(m, b.ParentID) {
				above = b.ID == usr.BusinessUnitID
			}
			if !above {
				return false
			}
			for i := 0; i < depth && cur != nil && cur.ManagerID != ""; i++ {
				if cur.ManagerID == user {
					return true
				}
				cur = findUser(m, cur.ManagerID)
			}
			return false
		}
		if findUser(m, owner) != nil && managedBy(owner) {
			return true, true
		}
		for _, tm := range m.Teams {
			reportMember := false
			for _, mem := range tm.Members {
				reportMember = reportMember || managedBy(mem)
			}
			if !reportMember {
				continue
			}
			if tm.ID == owner && teamHolds(tm) || sharedWith(tm.ID) {
				return true, true
			}
		}
		for _, u := range m.Users {
			if managedBy(u.ID) && sharedWith(u.ID) {
				return true, true
			}
		}
	}
	return false, true
}

func findUser(m *security.Model, id string) *security.UserDef {
	for i := range m.Users {
		if m.Users[i].ID == id {
			return &m.Users[i]
		}
	}
	return nil
}

func findBU(m *security.Model, id string) *security.BusinessUnitDef {
	for i := range m.BusinessUnits {
		if m.BusinessUnits[i].ID == id {
			return &m.BusinessUnits[i]
		}
	}
	return nil
}

// canReadColumn: column security from the model's data (admins read all).
func canReadColumn(m *security.Model, user, table, col string) bool {
	secured := false
	for _, td := range m.Tables {
		secured = secured || td.Name == table && slices.Contains(td.SecuredColumns, col)
	}
	if !secured {
		return true
	}
	usr := findUser(m, user)
	var teams []string
	roles := slices.Clone(usr.Roles)
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			teams = append(teams, tm.ID)
			roles = append(roles, tm.Roles...)
		}
	}
	for _, a := range roles {
		for _, r := range m.Roles {
			if r.ID == a.RoleID && r.Admin {
				return true
			}
		}
	}
	for _, f := range m.FieldProfiles {
		in := slices.Contains(f.Users, user)
		for _, tm := range teams {
			in = in || slices.Contains(f.Teams, tm)
		}
		for _, c := range f.Columns {
			if in && c.Table == table && c.Column == col && c.Read {
				return true
			}
		}
	}
	return false
}

// canReadColumnOn is canReadColumn for one record: a field share of the
// column on that record with the user or one of their teams reveals it.
func canReadColumnOn(m *security.Model, user, table, col, key string) bool {
	if canReadColumn(m, user, table, col) {
		return true
	}
	principals := []string{user}
	for _, tm := range m.Teams {
		if slices.Contains(tm.Members, user) {
			principals = append(principals, tm.ID)
		}
	}
	for _, f := range m.FieldShares {
		if f.Read && f.Table == table && f.Column == col && f.ObjectID == key && slices.Contains(principals, f.PrincipalID) {
			return true
		}
	}
	return false
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
func randomModel(t *testing.T, rng *rand.Rand, base *security.Model, accounts, contacts []string) *security.Model {
	m := cloneModel(t, base)
	tables := []string{"account", "contact", "opportunity"}
	depths := []string{"None", "User", "BusinessUnit", "ParentChild", "Organization"}
	m.Roles = nil
	for i := 0; i < 5; i++ {
		r := security.RoleDef{ID: fmt.Sprintf("d1000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("r%d", i)}
		for _, tb := range tables {
			// Mostly shallow depths, so that rows split between users.
			d := depths[min(rng.Intn(7), 4)]
			r.Privileges = append(r.Privileges, security.PrivilegeDef{Table: tb, Privilege: "Read", Depth: d})
		}
		m.Roles = append(m.Roles, r)
	}
	bus := []string{}
	for _, b := range m.BusinessUnits {
		bus = append(bus, b.ID)
	}
	assign := func() []security.RoleAssignment {
		var out []security.RoleAssignment
		for n := rng.Intn(3); n > 0; n-- {
			a := security.RoleAssignment{RoleID: m.Roles[rng.Intn(len(m.Roles))].ID}
			if rng.Intn(3) == 0 {
				a.BusinessUnitID = bus[rng.Intn(len(bus))]
			}
			out = append(out, a)
		}
		return out
	}
	for i := range m.Users {
		m.Users[i].Roles = assign()
		if rng.Intn(3) == 0 { // moves managers and reports apart (the hierarchy's unit rule)
			m.Users[i].BusinessUnitID = bus[rng.Intn(len(bus))]
		}
	}
	for i := range m.Teams {
		if m.Teams[i].Type == security.OwnerTeam {
			m.Teams[i].Roles = assign()
			m.Teams[i].Inheritance = security.Inheritance(rng.Intn(2))
		}
	}
	m.Shares = nil
	principals := []string{}
	for _, u := range m.Users {
		principals = append(principals, u.ID)
	}
	for _, tm := range m.Teams {
		principals = append(principals, tm.ID)
	}
	rights := []security.Rights{security.RightRead, security.RightWrite, security.RightRead | security.RightAppend}
	for n := rng.Intn(12); n > 0; n-- {
		tb, ids := "account", accounts
		if rng.Intn(2) == 0 {
			tb, ids = "contact", contacts
		}
		sh := security.ShareDef{Table: tb, ObjectID: ids[rng.Intn(len(ids))], PrincipalID: principals[rng.Intn(len(principals))], Rights: rights[rng.Intn(len(rights))]}
		if rng.Intn(4) == 0 {
			sh.Rights, sh.Inherited = 0, security.RightRead
		}
		m.Shares = append(m.Shares, sh)
	}
	m.FieldShares = nil
	for n := rng.Intn(6); n > 0; n-- {
		// Revenue (secured) of single accounts shared with a user or team.
		m.FieldShares = append(m.FieldShares, security.FieldShareDef{Table: "account", Column: "revenue",
			ObjectID: accounts[rng.Intn(len(accounts))], PrincipalID: principals[rng.Intn(len(principals))], Read: rng.Intn(4) != 0})
	}
	if rng.Intn(2) == 0 {
		// Contact names secured: lookups to contacts sort by a name the
		// caller may not read, but on the records a field share reveals.
		for i := range m.Tables {
			if m.Tables[i].Name == "contact" {
				m.Tables[i].SecuredColumns = append(m.Tables[i].SecuredColumns, "fullname")
			}
		}
		for n := rng.Intn(4); n > 0; n-- {
			m.FieldShares = append(m.FieldShares, security.FieldShareDef{Table: "contact", Column: "fullname",
				ObjectID: contacts[rng.Intn(len(contacts))], PrincipalID: principals[rng.Intn(len(principals))], Read: rng.Intn(4) != 0})
		}
		for i := range m.FieldProfiles {
			if rng.Intn(3) == 0 {
				m.FieldProfiles[i].Columns = append(m.FieldProfiles[i].Columns, security.ColumnPermission{Table: "contact", Column: "fullname", Read: true})
			}
		}
	}
	m.Hierarchy = security.HierarchySettings{Enabled: rng.Intn(2) == 0, Depth: 1 + rng.Intn(3)}
	m.Positions = nil
	if rng.Intn(2) == 0 {
		// A random position forest over the users; positions cross
		// business units.
		m.Hierarchy.Model = security.PositionHierarchy
		m.Hierarchy.Enabled = rng.Intn(5) != 0
		for i := 0; i < 6; i++ {
			p := security.PositionDef{ID: fmt.Sprintf("97000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("p%d", i)}
			switch {
			case i == 0 || rng.Intn(6) == 0: // another root
			case rng.Intn(3) != 0: // mostly chains, deeper than the depth
				p.ParentID = m.Positions[i-1].ID
			default:
				p.ParentID = m.Positions[rng.Intn(i)].ID
			}
			m.Positions = append(m.Positions, p)
		}
		for i := range m.Users {
			m.Users[i].PositionID = ""
			if rng.Intn(5) != 0 {
				m.Users[i].PositionID = m.Positions[rng.Intn(len(m.Positions))].ID
			}
		}
	}
	for i := range m.FieldProfiles {
		m.FieldProfiles[i].Users = []string{principals[rng.Intn(len(m.Users))]}
	}
	return m
}

// TestSecurityProperties: random models; for every user the rows are the
// reference's (so rows(user) ⊆ rows(system)), hidden columns never come
// back, and adding a grant never removes rows.
func TestSecurityProperties(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("VECOMPILE_SECURITY_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (VECOMPILE_SECURITY_SEED=%d reproduces)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	base := sampleModel(t)
	targets := secTargets(t)
	sys, _ := run(t, targets[0], nil, security.Principal{}, accountQuery)
	var accounts []string
	for _, r := range sys {
		accounts = append(accounts, str(r, "accountid"))
	}
	csys, _ := run(t, targets[0], nil, security.Principal{}, contactAccountQuery)
	var contacts []string
	for _, r := range csys {
		contacts = append(contacts, str(r, "contactid"))
	}
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		m := randomModel(t, rng, base, accounts, contacts)
		for _, tg := range targets {
			for _, u := range m.Users {
				if u.Disabled || rng.Intn(2) == 0 {
					continue
				}
				checkUser(t, tg, m, u.ID)
				randomFilterQuery(t, rng, tg, m, u.ID, seed)
			}
		}
		// Monotonicity: one more grant (a role assignment or a read share).
		u := m.Users[rng.Intn(len(m.Users)-1)]
		before, err1 := run(t, targets[0], m, security.Principal{UserID: u.ID}, accountQuery)
		m2 := cloneModel(t, m)
		for i := range m2.Users {
			if m2.Users[i].ID == u.ID {
				m2.Users[i].Roles = append(m2.Users[i].Roles, security.RoleAssignment{RoleID: m2.Roles[rng.Intn(len(m2.Roles))].ID})
			}
		}
		m2.Shares = append(m2.Shares, security.ShareDef{Table: "account", ObjectID: accounts[rng.Intn(len(accounts))], PrincipalID: u.ID, Rights: security.RightRead})
		after, err2 := run(t, targets[0], m2, security.Principal{UserID: u.ID}, accountQuery)
		if err1 == nil && err2 != nil {
			t.Fatalf("seed %d: a grant turned rows into an error: %v", seed, err2)
		}
		have := map[string]bool{}
		for _, r := range after {
			have[str(r, "accountid")] = true
		}
		for _, r := range before {
			if !have[str(r, "accountid")] {
				t.Errorf("seed %d: adding a grant removed account %s for %s", seed, str(r, "accountid"), u.ID)
			}
		}
		// Changing rows the user cannot read never changes the result, nor
		// does renaming contacts whose names the user may not read.
		for _, tg := range targets {
			hiddenRowChange(t, tg, m, u.ID, seed)
			hiddenNameChange(t, tg, m, u.ID, seed)
		}
		if t.Failed() {
			t.Fatalf("seed %d failed in round %d", seed, round)
		}
	}
}

// hiddenRowChange edits an account user cannot read (name, revenue, and a
// contact's link to it) and checks that none of the user's results move.
func hiddenRowChange(t *testing.T, tg secTarget, m *security.Model, user string, seed int64) {
	t.Helper()
	p := security.Principal{UserID: user}
	queries := []string{accountQuery, contactAccountQuery, revenueByBU}
	before := make([]string, len(queries))
	for i, q := range queries {
		rows, err := run(t, tg, m, p, q)
		if err != nil {
			return // no privilege: nothing to compare
		}
		before[i] = fmt.Sprint(rows)
	}
	sys, _ := run(t, tg, nil, p, accountQuery)
	var victim engine.Row
	for _, r := range sys {
		if ok, _ := canRead(m, user, "account", str(r, "accountid"), str(r, "ownerid"), str(r, "owningbusinessunit")); !ok {
			victim = r
			break
		}
	}
	if victim == nil {
		return
	}
	acc, _ := tg.cat.Table("account")
	mark := func(n int) string {
		if tg.db.Dialect == engine.Postgres {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	id, _ := victim.Get("accountid")
	name, _ := victim.Get("name")
	revenue, _ := victim.Get("revenue")
	exec := func(q string, args ...any) {
		if _, err := tg.db.SQL.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("%s: %v", tg.name, err)
		}
	}
	table := `"` + acc.PhysicalName + `"`
	if tg.db.Dialect == engine.MySQL {
		table = "`" + acc.PhysicalName + "`"
	}
	exec("UPDATE "+table+" SET name = "+mark(1)+", revenue = 987654321 WHERE accountid = "+mark(2), "changed while hidden", id)
	defer exec("UPDATE "+table+" SET name = "+mark(1)+", revenue = "+mark(2)+" WHERE accountid = "+mark(3), name, revenue, id)
	for i, q := range queries {
		rows, _ := run(t, tg, m, p, q)
		if got := fmt.Sprint(rows); got != before[i] {
			t.Errorf("seed %d, %s, %s: editing unreadable account %v changed the result of query %d:\n%s\n%s", seed, tg.name, user, id, i, before[i], got)
		}
	}
}

// randomFilterQuery: for a random filter F on columns outside column
// security, rows(user, F) = rows(system, F) ∩ canRead.
func randomFilterQuery(t *testing.T, rng *rand.Rand, tg secTarget, m *security.Model, user string, seed int64) {
	t.Helper()
	conds := []func() string{
		func() string {
			return `<condition attribute="name" operator="begins-with" value="` + string(rune('A'+rng.Intn(26))) + `"/>`
		},
		func() string {
			return `<condition attribute="numberofemployees" operator="gt" value="` + strconv.Itoa(rng.Intn(500)) + `"/>`
		},
		func() string {
			return `<condition attribute="statecode" operator="eq" value="` + strconv.Itoa(rng.Intn(2)) + `"/>`
		},
		func() string { return `<condition attribute="address1_city" operator="ne" value="Seattle"/>` },
		func() string { return `<condition attribute="parentaccountid" operator="null"/>` },
	}
	var f strings.Builder
	for n := 1 + rng.Intn(3); n > 0; n-- {
		f.WriteString(conds[rng.Intn(len(conds))]())
	}
	kind := []string{"and", "or"}[rng.Intn(2)]
	src := `<fetch><entity name="account"><attribute name="accountid"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/><filter type="` + kind + `">` + f.String() + `</filter></entity></fetch>`
	p := security.Principal{UserID: user}
	sys, _ := run(t, tg, nil, p, src)
	got, err := run(t, tg, m, p, src)
	if err != nil {
		return // no privilege: checkUser asserts the error
	}
	var want, have []string
	for _, r := range sys {
		if ok, _ := canRead(m, user, "account", str(r, "accountid"), str(r, "ownerid"), str(r, "owningbusinessunit")); ok {
			want = append(want, str(r, "accountid"))
		}
	}
	for _, r := range got {
		have = append(have, str(r, "accountid"))
	}
	if !slices.Equal(sorted(have), sorted(want)) {
		t.Errorf("seed %d, %s, %s, %s\n got %v\nwant %v", seed, tg.name, user, src, sorted(have), sorted(want))
	}
}

// TestFieldShareRows: the revenue of one account shared with Priya (whose
// profile hides revenue) reads on that account only, wherever the column
// is used (select, filter, order, aggregate, a link's column), on every
// engine; the plan says so.
func TestFieldShareRows(t *testing.T) {
	const (
		priya = "aa000000-0000-4000-8000-000000000004"
		acc1  = "acc00000-0000-4000-8000-000000000001" // owned by Priya
	)
	m := sampleModel(t)
	m.FieldShares = []security.FieldShareDef{{Table: "account", Column: "revenue", ObjectID: acc1, PrincipalID: priya, Read: true}}
	p := security.Principal{UserID: priya}
	for _, tg := range secTargets(t) {
		sys, _ := run(t, tg, nil, p, accountQuery)
		var want string
		for _, r := range sys {
			if str(r, "accountid") == acc1 {
				want = str(r, "revenue")
			}
		}
		if want == "" {
			t.Fatalf("%s: the sample's %s has no revenue", tg.name, acc1)
		}
		got, err := run(t, tg, m, p, accountQuery)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, r := range got {
			v := str(r, "revenue")
			switch id := str(r, "accountid"); {
			case id == acc1:
				seen = true
				if v != want {
					t.Errorf("%s: shared revenue of %s = %q, want %q", tg.name, id, v, want)
				}
			case v != "":
				t.Errorf("%s: revenue of %s (not shared) = %q", tg.name, id, v)
			}
		}
		if !seen {
			t.Errorf("%s: Priya does not read %s", tg.name, acc1)
		}
		// A filter on the column finds the shared record only.
		rows, err := run(t, tg, m, p, `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="revenue" operator="not-null"/></filter></entity></fetch>`)
		if err != nil || len(rows) != 1 || str(rows[0], "accountid") != acc1 {
			t.Errorf("%s: not-null revenue: %v %v, want only %s", tg.name, rows, err, acc1)
		}
		// A sum over the column adds the shared record only.
		rows, err = run(t, tg, m, p, `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="total" aggregate="sum"/></entity></fetch>`)
		if err != nil || len(rows) != 1 || str(rows[0], "total") != want {
			t.Errorf("%s: sum of revenue: %v %v, want %s", tg.name, rows, err, want)
		}
		// Through a link.
		rows, err = run(t, tg, m, p, `<fetch><entity name="contact"><attribute name="contactid"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a"><attribute name="accountid"/><attribute name="revenue"/></link-entity></entity></fetch>`)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if v := str(r, "a.revenue"); v != "" && (str(r, "a.accountid") != acc1 || v != want) {
				t.Errorf("%s: linked revenue of %s = %q", tg.name, str(r, "a.accountid"), v)
			}
		}
	}
	c, err := security.Compile(cloneModel(t, m))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Session(p)
	q, _ := fetchxml.Parse(diag.NewSource("q.xml", []byte(accountQuery)))
	pl, err := plan.Build(q, plan.Options{Catalog: secTargets(t)[0].cat, Security: plan.ModelSecurity{Session: s}})
	if err != nil {
		t.Fatal(err)
	}
	if f := plan.Format(pl); !strings.Contains(f, "shared column revenue: readable on 1 shared records") {
		t.Errorf("the plan does not show the shared column:\n%s", f)
	}
}
