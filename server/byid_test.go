package server_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

// byIDCases are reads by id: records each caller can and cannot read, a
// missing one, and a key in braces and upper case.
var byIDCases = []struct{ entity, id string }{
	{"account", contoso},
	{"account", "acc00000-0000-4000-8000-000000000005"},
	{"account", "acc00000-0000-4000-8000-00000000000f"},
	{"account", "{" + strings.ToUpper(contoso) + "}"},
	{"account", "0f0e0d0c-0b0a-4909-8807-060504030201"},
	{"contact", "c0000000-0000-4000-8000-000000000001"},
	{"opportunity", "d0000000-0000-4000-8000-000000000004"},
	{"systemuser", priyaID},
}

// TestReadByIDCompiledOnce: a read by id is compiled once for every id
// of a table, column set and caller, and the statement it runs for an id
// is, argument for argument, the one compiled for that id alone — on
// three engines, for three callers of the sample's security model.
func TestReadByIDCompiledOnce(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			compared, refused := 0, 0
			for _, user := range []string{priyaID, johnID, kenjiID} {
				for _, c := range byIDCases {
					r := httptest.NewRequest("GET", "/", nil)
					r.Header.Set("Authorization", "Bearer "+e.token)
					r.Header.Set(server.HeaderUserID, user)
					got, want, shared, err := e.srv.ByIDStatements(r, c.entity, c.id, []string{"createdon"})
					if err != nil && strings.Contains(err.Error(), "VE3003") {
						refused++ // no read privilege: refused before any statement
						continue
					}
					if err != nil {
						t.Fatalf("%s %s(%s): %v", user, c.entity, c.id, err)
					}
					compared++
					if !shared {
						t.Errorf("%s %s(%s): compiled for its id, not once for every id", user, c.entity, c.id)
					}
					if got.SQL != want.SQL || !cmp.Equal(got.Args, want.Args) {
						t.Errorf("%s %s(%s): the statement differs from the one compiled for its id:\n%s\n%v\nwant\n%s\n%v", user, c.entity, c.id, got.SQL, got.Args, want.SQL, want.Args)
					}
				}
			}
			if compared < 2*len(byIDCases) || refused == 0 {
				t.Errorf("%d reads compared, %d refused: the callers' rights changed, pick others", compared, refused)
			}
			// Every account the manager reads, by key: one cached read.
			e.user = managerID
			before, _ := e.srv.CompiledReadStats()
			ids := 0
			for _, v := range e.do("GET", "/odata/accounts?$select=accountid", nil).want(t, 200).json(t)["value"].([]any) {
				id := v.(map[string]any)["accountid"].(string)
				m := e.do("GET", "/odata/accounts("+id+")?$select=name", nil).want(t, 200).json(t)
				if m["accountid"] != id {
					t.Fatalf("accounts(%s) answered %v", id, m)
				}
				ids++
			}
			after, _ := e.srv.CompiledReadStats()
			if ids < 10 || after-before > 2 {
				t.Errorf("%d accounts read by key added %d compiled reads, want at most 2 (the collection and the read by key)", ids, after-before)
			}
		})
	}
}

// TestReadByIDStorageForms: keys stored upper-case or in either case
// share one compiled read by id; bytes and integer keys are compiled per
// id (their argument is not text); every form answers the same statement
// as one compiled for the id alone.
func TestReadByIDStorageForms(t *testing.T) {
	for _, f := range guidForms {
		t.Run(f.name, func(t *testing.T) {
			e := guidFormEnv(t, f.form)
			wantShared := f.form.Guid != plan.GuidBinary
			for _, c := range byIDCases {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+e.token)
				r.Header.Set(server.HeaderUserID, managerID)
				got, want, shared, err := e.srv.ByIDStatements(r, c.entity, c.id, []string{"createdon"})
				if err != nil {
					t.Fatalf("%s(%s): %v", c.entity, c.id, err)
				}
				if shared != wantShared {
					t.Errorf("%s(%s): shared %v, want %v", c.entity, c.id, shared, wantShared)
				}
				if got.SQL != want.SQL || !cmp.Equal(got.Args, want.Args) {
					t.Errorf("%s(%s): the statement differs from the one compiled for its id:\n%s\n%v\nwant\n%s\n%v", c.entity, c.id, got.SQL, got.Args, want.SQL, want.Args)
				}
			}
		})
	}
}
