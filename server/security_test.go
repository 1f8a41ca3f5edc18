package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

// Sample principals of the security model (engine/sampledata/security.json).
const (
	priyaID      = "aa000000-0000-4000-8000-000000000004" // Salesperson: user-depth account read, write, create; no delete
	johnID       = "aa000000-0000-4000-8000-000000000002" // Sales Manager, Finance column profile (reads revenue)
	kenjiID      = "aa000000-0000-4000-8000-000000000006" // no direct roles: a team's read only
	strangerID   = "aa000000-0000-4000-8000-0000000000ff" // a GUID the model does not know
	adminContact = "c0000000-0000-4000-8000-000000000002" // mapped to the System Administrator
	acc1         = "acc00000-0000-4000-8000-000000000001" // owned by Priya
	acc2         = "acc00000-0000-4000-8000-000000000002" // owned by Björn, Sales Europe
)

var securedRun atomic.Int64

// securedFixture is one backend holding the sample data and the sample's
// security model in its security tables, served with the model read back
// from those tables (as vecompile serve does).
type securedFixture struct {
	fixture
	model *security.Compiled
}

func securedFixtures(t testing.TB) []securedFixture {
	t.Helper()
	return securedFixturesWith(t, nil)
}

// securedFixturesWith is securedFixtures with the sample's model changed by
// edit (a copy) before it is stored.
func securedFixturesWith(t testing.TB, edit func(*security.Model)) []securedFixture {
	t.Helper()
	ctx := context.Background()
	sample, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	model := sample.Model()
	if edit != nil {
		b, err := json.Marshal(model)
		if err != nil {
			t.Fatal(err)
		}
		model = &security.Model{}
		if err := json.Unmarshal(b, model); err != nil {
			t.Fatal(err)
		}
		edit(model)
	}
	dsns := testkit.Engines(t)
	var out []securedFixture
	for _, name := range []string{"sqlite", "postgres", "mysql"} {
		dsn, ok := dsns[name]
		if !ok {
			continue
		}
		db, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		prefix := fmt.Sprintf("srvs%d_%d_", os.Getpid(), securedRun.Add(1))
		cat, err := engine.LoadFixture(ctx, db, prefix)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() {
			engine.DropSecurity(context.Background(), db, prefix)
			engine.DropFixture(context.Background(), db, prefix)
			db.Close()
		})
		if err := engine.InitSecurity(ctx, db, prefix, model); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, ok, err := engine.LoadSecurity(ctx, db, prefix)
		if err != nil || !ok {
			t.Fatalf("%s: loading the security tables: %v %v", name, ok, err)
		}
		out = append(out, securedFixture{fixture{name, db, cat}, m})
	}
	return out
}

func newSecuredEnv(t *testing.T, f securedFixture) *env {
	return newEnv(t, f.fixture, func(c *server.Config) {
		c.Insecure = false
		c.Security = server.NewSecurityModel(f.model)
		c.Users = server.SameIDs{Contacts: true}
		c.AllowAnonymous = true
	})
}

// readableAccounts is the oracle: the accounts a user may read, computed
// from the session's Read access on the unsecured rows (owner, owning unit,
// shares), independently of the planner's injection.
func readableAccounts(t *testing.T, e *env, m *security.Compiled, user string) []string {
	t.Helper()
	return readableAccountsFor(t, e, m, security.Principal{UserID: user})
}

func readableAccountsFor(t *testing.T, e *env, m *security.Compiled, p security.Principal) []string {
	t.Helper()
	s, err := m.Session(p)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Access("account", security.Read)
	admin := e.user
	e.user = "aa000000-0000-4000-8000-000000000001" // the System Administrator reads every row
	defer func() { e.user = admin }()
	rows := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="accountid"/><attribute name="ownerid"/><attribute name="owningbusinessunit"/></entity></fetch>`).want(t, 200).json(t)
	var out []string
	for _, r := range entities(t, rows) {
		id := fmt.Sprint(attr(r, "accountid"))
		owner := strings.ToLower(refID(attr(r, "ownerid")))
		bu := strings.ToLower(refID(attr(r, "owningbusinessunit")))
		if a.All || slices.Contains(a.Owners, owner) || slices.Contains(a.BusinessUnits, bu) || slices.Contains(a.Shared, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func accountIDs(t *testing.T, r *response) []string {
	t.Helper()
	var out []string
	for _, e := range entities(t, r.want(t, 200).json(t)) {
		out = append(out, fmt.Sprint(attr(e, "accountid")))
	}
	slices.Sort(out)
	return out
}

func TestSecurityReads(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			all := readableAccounts(t, e, f.model, "aa000000-0000-4000-8000-000000000001")
			fetch := `<fetch><entity name="account"><attribute name="accountid"/><attribute name="name"/><attribute name="revenue"/></entity></fetch>`
			seen := map[string][]string{}
			for _, u := range []string{priyaID, johnID} {
				e.user = u
				got := accountIDs(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch))
				want := readableAccounts(t, e, f.model, u)
				if !slices.Equal(got, want) {
					t.Errorf("user %s reads %v, want %v", u, got, want)
				}
				if len(got) == 0 || len(got) == len(all) {
					t.Errorf("user %s reads %d of %d accounts: the sample should split them", u, len(got), len(all))
				}
				seen[u] = got
			}
			if slices.Equal(seen[priyaID], seen[johnID]) {
				t.Errorf("two users with different roles read the same accounts %v", seen[priyaID])
			}

			// Hidden column: Priya has no column profile for revenue; John does.
			e.user = priyaID
			for _, ent := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch).json(t)) {
				if v := attr(ent, "revenue"); v != nil {
					t.Errorf("Priya reads the secured revenue %v", v)
				}
			}
			e.user = johnID
			withRevenue := 0
			for _, ent := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch).json(t)) {
				if attr(ent, "revenue") != nil {
					withRevenue++
				}
			}
			if withRevenue == 0 {
				t.Error("John (Finance profile) reads no revenue")
			}
			// OData reads are filtered and redacted the same way.
			e.user = priyaID
			od := e.do("GET", "/odata/accounts?$select=accountid,revenue", nil).want(t, 200).json(t)
			vals, _ := od["value"].([]any)
			var odIDs []string
			for _, v := range vals {
				m := v.(map[string]any)
				odIDs = append(odIDs, fmt.Sprint(m["accountid"]))
				if m["revenue"] != nil {
					t.Errorf("OData: Priya reads revenue %v", m["revenue"])
				}
			}
			slices.Sort(odIDs)
			if !slices.Equal(odIDs, seen[priyaID]) {
				t.Errorf("OData: Priya reads %v, want %v", odIDs, seen[priyaID])
			}
			n := e.do("GET", "/odata/accounts/$count", nil).want(t, 200)
			if strings.TrimSpace(string(n.body)) != fmt.Sprint(len(seen[priyaID])) {
				t.Errorf("OData $count for Priya = %s, want %d", n.body, len(seen[priyaID]))
			}

			// Retrieve: readable 200, unreadable 403 naming the privilege,
			// absent 404.
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc1, "ColumnSet": map[string]any{"AllColumns": true}}).want(t, 200)
			r := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc2, "ColumnSet": map[string]any{"AllColumns": true}})
			r.wantError(t, http.StatusForbidden, "0x80040220", "VE3003")
			if !strings.Contains(string(r.body), "prvReadAccount") {
				t.Errorf("the refusal does not name prvReadAccount: %s", r.body)
			}
			e.do("GET", "/odata/accounts("+acc2+")", nil).wantError(t, http.StatusForbidden, "", "VE3003")
			e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": "acc00000-0000-4000-8000-0000000000ee", "ColumnSet": map[string]any{"AllColumns": true}}).
				wantError(t, http.StatusNotFound, "0x80040217", "")
		})
	}
}

func TestSecurityPrincipals(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			fetch := `<fetch><entity name="account"><attribute name="accountid"/></entity></fetch>`
			// Security tables present, user unknown to them.
			e.user = strangerID
			e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch).wantError(t, http.StatusForbidden, "0x80040220", "VE3005")
			// A portal contact mapped to an administrator is refused.
			e.user = ""
			e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, server.HeaderContact, adminContact).wantError(t, http.StatusForbidden, "", "VE3005")
			// A portal contact mapped to the Portal Reader reads every account
			// (organization depth), but not the secured column.
			r := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="accountid"/><attribute name="revenue"/></entity></fetch>`, server.HeaderContact, contactID).want(t, 200)
			ents := entities(t, r.json(t))
			if len(ents) < 10 {
				t.Errorf("the portal reader reads %d accounts", len(ents))
			}
			for _, ent := range ents {
				if attr(ent, "revenue") != nil {
					t.Errorf("portal contact reads revenue")
				}
			}
			// Anonymous runs as the model's anonymous user (the same Portal Reader).
			if got := len(entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch).want(t, 200).json(t))); got != len(ents) {
				t.Errorf("anonymous reads %d accounts, want %d", got, len(ents))
			}
			// No Read privilege on a table: 403 naming it.
			e.user = priyaID
			r = e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="team"><attribute name="name"/></entity></fetch>`)
			r.wantError(t, http.StatusForbidden, "", "VE3003")
			if !strings.Contains(string(r.body), "prvReadTeam") {
				t.Errorf("no privilege name: %s", r.body)
			}
		})
	}
}

func TestSecurityWrites(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID
			// No Delete privilege at all.
			r := e.do("POST", "/api/ve/v1/Delete", map[string]any{"EntityName": "account", "Id": acc1})
			r.wantError(t, http.StatusForbidden, "0x80040220", "VE3003")
			if !strings.Contains(string(r.body), "prvDeleteAccount") {
				t.Errorf("no privilege name: %s", r.body)
			}
			// Write at user depth: her own row yes, another's no.
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": acc1, "Attributes": map[string]any{"name": "Contoso Ltd (renamed)"}}}).want(t, 204)
			r = e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": acc2, "Attributes": map[string]any{"name": "x"}}})
			r.wantError(t, http.StatusForbidden, "", "VE3003")
			if !strings.Contains(string(r.body), "prvWriteAccount") {
				t.Errorf("no privilege name: %s", r.body)
			}
			e.do("PATCH", "/odata/accounts("+acc2+")", map[string]any{"name": "x"}).wantError(t, http.StatusForbidden, "", "VE3003")
			// A secured column without update permission.
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": acc1, "Attributes": map[string]any{"revenue": 5}}}).
				wantError(t, http.StatusForbidden, "", "VE3007")
			// Create: owned by the creator, who reads it back.
			c := e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "Created by Priya"}}}).want(t, 200).json(t)
			id := fmt.Sprint(c["id"])
			got := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"Columns": []string{"name", "ownerid"}}}).want(t, 200).json(t)
			if !strings.EqualFold(refID(attr(got, "ownerid")), priyaID) {
				t.Errorf("created account owned by %v, want the creator", attr(got, "ownerid"))
			}
			// Assigning it to a user outside her reach needs Assign.
			e.do("POST", "/api/ve/v1/Update", map[string]any{"Target": map[string]any{"LogicalName": "account", "Id": id, "Attributes": map[string]any{"ownerid": johnID}}}).
				wantError(t, http.StatusForbidden, "", "VE3003")
			// Kenji has no Create on account.
			e.user = kenjiID
			e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "nope"}}}).
				wantError(t, http.StatusForbidden, "", "VE3003")
		})
	}
}

func TestSecurityModelCache(t *testing.T) {
	m, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	sm := server.NewSecurityModel(m)
	sm.Max = 3
	p := func(id string) *server.Principal {
		return &server.Principal{Kind: server.DataverseUser, BackendID: id}
	}
	a, err := sm.Session(p(priyaID))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := sm.Session(p(strings.ToUpper(priyaID))); b != a {
		t.Error("the same user got a second session within the TTL")
	}
	for _, u := range []string{johnID, kenjiID, "aa000000-0000-4000-8000-000000000003", "aa000000-0000-4000-8000-000000000005"} {
		if _, err := sm.Session(p(u)); err != nil {
			t.Fatal(err)
		}
	}
	if n := sm.Cached(); n > sm.Max {
		t.Errorf("%d sessions cached, bound %d", n, sm.Max)
	}
	sm.SetModel(m)
	if sm.Cached() != 0 {
		t.Error("SetModel kept sessions")
	}
	c, _ := sm.Session(p(priyaID))
	sm.TTL = time.Nanosecond
	time.Sleep(time.Millisecond)
	if d, _ := sm.Session(p(priyaID)); d == c {
		t.Error("an expired session was reused")
	}
	if _, err := sm.Session(p(strangerID)); err == nil {
		t.Error("an unknown user got a session")
	}
	// Groups are part of the key, and a group holding the list's
	// separator is not two groups: another session each.
	sm.TTL = time.Hour
	withGroups := func(g ...string) *security.Session {
		s, err := sm.Session(&server.Principal{Kind: server.DataverseUser, BackendID: priyaID, Groups: g})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	one, two := withGroups("a,b"), withGroups("a", "b")
	if one == two {
		t.Error(`groups ["a,b"] and ["a" "b"] share a cached session`)
	}
	if withGroups("a", "b") != two {
		t.Error("the same user and groups got a second session within the TTL")
	}
}

func sampleModel(t *testing.T) *security.Compiled {
	t.Helper()
	m, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSDKTypedValues: SDK results wrap lookups (EntityReference), choices
// (OptionSetValue) and currency (Money) as the provider contract types
// them; OData keeps plain values.
func TestSDKTypedValues(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	r := e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": acc1, "ColumnSet": map[string]any{"Columns": []string{"name", "ownerid", "primarycontactid", "industrycode", "revenue", "numberofemployees"}}}).want(t, 200).json(t)
	check := func(name string, want map[string]any) {
		t.Helper()
		got, ok := attr(r, name).(map[string]any)
		if !ok {
			t.Errorf("%s: %#v is not wrapped", name, attr(r, name))
			return
		}
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("%s.%s = %v, want %v (%v)", name, k, got[k], v, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %v, want exactly %v", name, got, want)
		}
	}
	// An owner's target is the table holding the id; Name is the target's
	// primary name.
	check("ownerid", map[string]any{"Id": priyaID, "LogicalName": "systemuser", "Name": "Priya Patel"})
	check("primarycontactid", map[string]any{"Id": "c0000000-0000-4000-8000-000000000003", "LogicalName": "contact", "Name": "Émilie Laurent"})
	check("industrycode", map[string]any{"Value": 8})
	check("revenue", map[string]any{"Value": 1000.5})
	if v := attr(r, "numberofemployees"); fmt.Sprint(v) != "12" || v == nil {
		t.Errorf("numberofemployees: %#v, want a plain 12", v)
	}
	m := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch top="1"><entity name="account"><attribute name="primarycontactid"/><attribute name="statecode"/><filter><condition attribute="accountid" operator="eq" value="`+acc1+`"/></filter></entity></fetch>`).want(t, 200).json(t)
	ent := entities(t, m)[0]
	if refID(attr(ent, "primarycontactid")) != "c0000000-0000-4000-8000-000000000003" || fmt.Sprint(attr(ent, "statecode")) != "map[Value:0]" {
		t.Errorf("RetrieveMultiple values: %v", ent)
	}
	od := e.do("GET", "/odata/accounts("+acc1+")?$select=industrycode,revenue", nil).want(t, 200).json(t)
	if fmt.Sprint(od["industrycode"]) != "8" || fmt.Sprint(od["revenue"]) != "1000.5" {
		t.Errorf("OData values are not plain: %v", od)
	}
}

// TestEntraGroupTeams: a user with no roles of their own reads through an
// Entra group team when the caller names the group in X-VE-Groups, and not
// otherwise; the session cache keeps the two apart; bad group lists are
// refused.
func TestEntraGroupTeams(t *testing.T) {
	const (
		salesEurope = "ee000000-0000-4000-8000-000000000003" // an owner team of the sample, Kenji not a member
		group       = "6a000000-0000-4000-8000-000000000001"
	)
	sample, err := engine.SampleSecurity()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sample.Model())
	var m security.Model
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The Sales Europe team becomes the group team of an Entra group.
	for i := range m.Teams {
		if m.Teams[i].ID == salesEurope {
			m.Teams[i].Type, m.Teams[i].EntraObjectID = security.EntraSecurityGroupTeam, strings.ToUpper(group)
		}
	}
	compiled, err := security.Compile(&m)
	if err != nil {
		t.Fatal(err)
	}
	fetch := `<fetch><entity name="account"><attribute name="accountid"/></entity></fetch>`
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			f.model = compiled
			e := newSecuredEnv(t, f)
			e.user = kenjiID
			without := accountIDs(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch))
			if want := readableAccountsFor(t, e, compiled, security.Principal{UserID: kenjiID}); !slices.Equal(without, want) {
				t.Errorf("without the group: %v, want %v", without, want)
			}
			e.user = kenjiID
			got := accountIDs(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, server.HeaderGroups, "6A000000-0000-4000-8000-000000000001, 6a000000-0000-4000-8000-0000000000ff"))
			want := readableAccountsFor(t, e, compiled, security.Principal{UserID: kenjiID, Groups: []string{group}})
			e.user = kenjiID
			if len(want) <= len(without) || !slices.Equal(got, want) {
				t.Errorf("through the group team: %v, want %v (without: %v)", got, want, without)
			}
			// The same user without the group, after the cached session with it.
			if again := accountIDs(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch)); !slices.Equal(again, without) {
				t.Errorf("without the group after a request with it: %v, want %v", again, without)
			}
			// eq-userteams sees the group team: the rows it owns, of those
			// the user reads.
			admin := e.user
			e.user = "aa000000-0000-4000-8000-000000000001"
			var owned []string
			for _, r := range entities(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="accountid"/><attribute name="ownerid"/></entity></fetch>`).want(t, 200).json(t)) {
				if id := fmt.Sprint(attr(r, "accountid")); strings.EqualFold(refID(attr(r, "ownerid")), salesEurope) && slices.Contains(want, id) {
					owned = append(owned, id)
				}
			}
			slices.Sort(owned)
			e.user = admin
			teams := accountIDs(t, e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="accountid"/><filter><condition attribute="ownerid" operator="eq-userteams"/></filter></entity></fetch>`, server.HeaderGroups, group))
			if len(owned) == 0 || !slices.Equal(teams, owned) {
				t.Errorf("eq-userteams with the group: %v, want the group team's %v", teams, owned)
			}
			e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, server.HeaderGroups, "not-a-guid").wantError(t, http.StatusBadRequest, "", "")
			e.user = ""
			e.do("POST", "/api/ve/v1/RetrieveMultiple", fetch, server.HeaderContact, contactID, server.HeaderGroups, group).wantError(t, http.StatusForbidden, "", "")
		})
	}
}
