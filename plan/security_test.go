package plan_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// ownerOnly grants rows of account and contact whose ownerid is the user;
// other tables get no grant (nil filter: deny).
type ownerOnly struct {
	user  string
	asked []string
	fail  bool
}

func (s *ownerOnly) RowFilter(t *plan.Table) (*ast.Filter, []string, error) {
	s.asked = append(s.asked, t.LogicalName)
	if s.fail {
		return nil, nil, errors.New("policy store unavailable")
	}
	if t.LogicalName != "account" && t.LogicalName != "contact" {
		return nil, nil, nil
	}
	return &ast.Filter{Items: []ast.FilterItem{&ast.Condition{
		Attribute: ast.Name{Text: "ownerid"}, Operator: ast.OpEq,
		Values: []*ast.Value{{Text: s.user}},
	}}}, []string{"role:owner-read"}, nil
}

func TestSecurityEveryDataSource(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	src := `<fetch><entity name="account"><attribute name="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer"><attribute name="fullname"/></link-entity>
<link-entity name="opportunity" from="customerid" to="accountid" link-type="exists"/>
<filter><link-entity name="contact" from="parentcustomerid" to="accountid" link-type="all"/></filter>
</entity></fetch>`
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	sec := &ownerOnly{user: "aa000000-0000-4000-8000-000000000002"}
	p, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now(), Security: sec})
	if err != nil {
		t.Fatal(err)
	}
	if p.Security != plan.SecurityOn {
		t.Error("plan does not record that security is on")
	}
	if got := strings.Join(sec.asked, ","); got != "account,contact,opportunity,contact" {
		t.Errorf("row filters asked for %s, want every data source once", got)
	}
	out := plan.Format(p)
	// Granted sources carry the owner predicate; the ungranted one is denied.
	for _, want := range []string{
		"security [role:owner-read]: account.ownerid = \"aa000000-0000-4000-8000-000000000002\"",
		"security [role:owner-read]: pc.ownerid = \"aa000000-0000-4000-8000-000000000002\"",
		"security [role:owner-read]: contact1.ownerid = \"aa000000-0000-4000-8000-000000000002\"",
		"security []: FALSE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}

	// Without a provider, security is off and says so.
	p, err = plan.Build(q, plan.Options{Catalog: cat, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Security != plan.SecurityOff || !strings.Contains(plan.Format(p), "security: off") {
		t.Error("a plan without a security model must say security is off")
	}

	// A failing provider fails the build: never a plan without its filter.
	sec = &ownerOnly{fail: true}
	if _, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now(), Security: sec}); diag.CodeOf(err) != diag.SecurityDenied {
		t.Errorf("failing provider: got %v, want %s", err, diag.SecurityDenied)
	}
}

// hidesKey grants every row but hides the given columns.
type hidesKey struct{ cols []string }

func (hidesKey) RowFilter(*plan.Table) (*ast.Filter, []string, error) {
	return &ast.Filter{}, []string{"role:all"}, nil
}
func (h hidesKey) HiddenColumns(*plan.Table) []string { return h.cols }

// TestSecuredPrimaryKeyRefused: a model that hides a primary key is
// refused (VE3004) rather than silently leaving the key readable: Dataverse
// cannot secure a key, and a key read as NULL would break joins and paging.
func TestSecuredPrimaryKeyRefused(t *testing.T) {
	cat, err := engine.SampleCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now(), Security: hidesKey{[]string{"accountid"}}}); diag.CodeOf(err) != diag.BadSecurityModel {
		t.Errorf("hidden primary key: got %v, want %s", err, diag.BadSecurityModel)
	}
	p, err := plan.Build(q, plan.Options{Catalog: cat, Now: time.Now(), Security: hidesKey{[]string{"revenue"}}})
	if err != nil || !p.Root.Security.Hides(mustColumn(t, p.Root.Table, "revenue")) {
		t.Errorf("hidden revenue: %v", err)
	}
}

func mustColumn(t *testing.T, tbl *plan.Table, name string) *plan.Column {
	t.Helper()
	c, ok := tbl.Column(name)
	if !ok {
		t.Fatalf("no column %s", name)
	}
	return c
}
