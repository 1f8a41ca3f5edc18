package plan_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// Random models, rows and queries for the row tests (see
// security_rows_test.go).

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
