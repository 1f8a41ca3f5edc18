package vecompile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// TestUntypedCallerMatchesTyped runs queries with identity and hierarchy
// operators on the SQLite sample twice: compiled with the sample's
// metadata and the caller read from its user tables (what Dataverse
// answers), and compiled untyped, without metadata or caller, then run with
// the caller's id bound to :caller. Both must return the same rows, for
// callers with and without teams and reports.
func TestUntypedCallerMatchesTyped(t *testing.T) {
	ctx := context.Background()
	sdb, scat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	dialect, _ := sqlemit.DialectByName("sqlite")
	queries := map[string]string{
		"eq-userid":      `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/></filter></entity></fetch>`,
		"ne-userid":      `<fetch><entity name="opportunity"><attribute name="name"/><filter><condition attribute="ownerid" operator="ne-userid"/></filter></entity></fetch>`,
		"eq-businessid":  `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="owningbusinessunit" operator="eq-businessid"/></filter></entity></fetch>`,
		"ne-businessid":  `<fetch><entity name="contact"><attribute name="fullname"/><filter><condition attribute="owningbusinessunit" operator="ne-businessid"/></filter></entity></fetch>`,
		"eq-userteams":   `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userteams"/></filter></entity></fetch>`,
		"or-teams":       `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserteams"/></filter></entity></fetch>`,
		"or-hierarchy":   `<fetch><entity name="opportunity"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserhierarchy"/></filter></entity></fetch>`,
		"hierarchy-team": `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserhierarchyandteams"/></filter></entity></fetch>`,
		"language":       `<fetch distinct="true"><entity name="usersettings"><attribute name="systemuserid"/><filter><condition attribute="uilanguageid" operator="eq-userlanguage"/></filter><order attribute="systemuserid"/></entity></fetch>`,
		"under":          `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="under" value="` + engine.SampleParentAccountID + `"/></filter></entity></fetch>`,
		"eq-or-above":    `<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="accountid" operator="eq-or-above" value="` + engine.SampleParentAccountID + `"/></filter></entity></fetch>`,
		"linked-teams":   `<fetch><entity name="contact"><attribute name="fullname"/><link-entity name="account" from="accountid" to="parentcustomerid" alias="a"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-useroruserhierarchyandteams"/></filter></link-entity></entity></fetch>`,
	}
	rows := func(st *sqlemit.Statement, args []any) []string {
		t.Helper()
		r, err := sdb.SQL.QueryContext(ctx, st.SQL, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, st.SQL)
		}
		scanned, err := testkit.ScanRows(r)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, vals := range scanned {
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteString(" | ")
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprint(&b, v)
			}
			out = append(out, b.String())
		}
		return out
	}
	compile := func(xml string, opt plan.Options) *sqlemit.Statement {
		t.Helper()
		q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(xml)))
		if err != nil {
			t.Fatal(err)
		}
		opt.Now, opt.HierarchyDepth = sql4cdsNow, 3
		p, err := plan.Build(q, opt)
		if err != nil {
			t.Fatal(err)
		}
		st, err := sqlemit.Emit(p, dialect)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	nonEmpty := map[string]bool{}
	for _, who := range []string{"ceo", "manager", "rep", "europe", "service"} {
		id := engine.SampleUsers[who]
		caller, err := engine.LoadCaller(ctx, sdb, scat, id, 3)
		if err != nil {
			t.Fatal(err)
		}
		for name, xml := range queries {
			typed := compile(xml, plan.Options{Catalog: scat, Caller: caller})
			want := rows(typed, typed.Args)
			untyped := compile(xml, plan.Options{Catalog: plan.Untyped{}})
			if err := sqlemit.UnboundParam(untyped.Args); err == nil && strings.Contains(name, "-user") {
				t.Errorf("%s: the untyped statement binds no :caller", name)
			}
			args, err := sqlemit.BindParams(untyped.Args, map[string]any{plan.CallerParam: id})
			if err != nil {
				t.Fatal(err)
			}
			got := rows(untyped, args)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s as %s: untyped returns\n%s\nwant (typed)\n%s\nuntyped SQL: %s", name, who, strings.Join(got, "\n"), strings.Join(want, "\n"), untyped.SQL)
			}
			if len(want) > 0 {
				nonEmpty[name] = true
			}
		}
	}
	for name := range queries {
		if !nonEmpty[name] {
			t.Errorf("%s returns no row for any caller: the comparison proves nothing", name)
		}
	}
}

// TestUntypedCallerUnbound: a statement whose :caller was not bound never
// reaches the database, and BindParams names what is missing.
func TestUntypedCallerUnbound(t *testing.T) {
	ctx := context.Background()
	sdb, _, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	q, err := fetchxml.Parse(diag.NewSource("q.xml", []byte(`<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="ownerid" operator="eq-userid"/></filter></entity></fetch>`)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(q, plan.Options{Catalog: plan.Untyped{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlemit.BindParams([]any{plan.Param{Name: plan.CallerParam}}, nil); diag.CodeOf(err) != diag.MissingCaller {
		t.Errorf("BindParams without a value: %v, want %s", err, diag.MissingCaller)
	}
	if _, err := sdb.Exec(ctx, p); diag.CodeOf(err) != diag.MissingCaller {
		t.Errorf("running an unbound :caller: %v, want %s", err, diag.MissingCaller)
	}
}
