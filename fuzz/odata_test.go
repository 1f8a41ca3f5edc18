package fuzz

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vecompile/vecompile"
	"github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// odataSeeds cover every option and expression form the parser reads,
// besides the committed corpus under testdata/fuzz/FuzzOData.
var odataSeeds = []string{
	"accounts?$filter=date(createdon) eq 2024-01-10 and time(createdon) lt 12:00 or createdon le now() or date(now()) ne date(createdon)&$orderby=date(createdon) desc,time(createdon)",
	"contacts?$filter=birthdate le date(now()) and time(createdon) ge 00:00:00.000&$expand=owninguser($select=fullname)",
	"accounts?$select=name,_primarycontactid_value&$filter=(name eq 'A''B' and revenue gt 5.5) or not (address1_city ne null)&$orderby=name desc&$top=10&$count=true",
	"accounts?$filter=contains(name,'a%25b') and startswith(tolower(name),'c') and endswith(name,'[_]')",
	"accounts?$filter=Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=[\"a\",'b'])&$expand=primarycontactid($select=fullname)",
	"accounts?$filter=contact_customer_accounts/any(x: x/firstname eq 'Mark') and contact_customer_accounts/all(y: y/lastname ne null)",
	"contacts?$filter=parentcustomerid_account/address1_city in ('Paris','Lyon') and createdon ge 2024-01-01T00:00:00Z and contactid ne 3fee3d59-68c9-ed11-b597-0022489b41c4",
	"opportunities?$apply=filter(statecode eq 0)/groupby((_customerid_value),aggregate($count as n,estimatedvalue with sum as total))&$orderby=total desc",
	"opportunities?$apply=groupby((statecode,statuscode))",
	"accounts?$filter=revenue add 1 gt -INF or year(createdon) eq 2024 or a has Ns.E'x'&$search=blue OR green&$skip=10&$top=5",
	"$filter=a eq duration'P1DT2H' and b eq 12:30:00 and c eq binary'Zm9v' and d eq 2012-09-03",
	"accounts?$filter=Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)&$expand=primarycontactid($select=fullname;$expand=parentcustomerid_account($select=name))",
	"accounts?$filter=length(trim(name)) gt 3 and indexof(tolower(name),'co') eq 0 and substring(name,1,2) ne 'x' and not endswith(concat(name,'!'),'D!')&$orderby=length(name) desc,year(createdon)",
	"accounts?$filter=numberofemployees mod 7 eq -numberofemployees div 2 or round(revenue div 3) ge floor(revenue) or ceiling(revenue divby 2) lt 1 or hour(createdon) add minute(createdon) sub second(createdon) eq month(createdon) mul day(createdon)",
}

// FuzzOData: the parser never panics or hangs; every error is a
// positioned, coded diagnostic inside the request; an accepted request
// plans against the sample metadata or fails with a code, and a planned
// one emits SQL in every dialect with no literal in its text (values are
// bind parameters) that SQLite runs on the sample.
func FuzzOData(f *testing.F) {
	for _, s := range odataSeeds {
		f.Add(s)
	}
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	schema := vecompile.ODataSchema(cat)
	f.Fuzz(func(t *testing.T, req string) {
		src := diag.NewSource("fuzz", []byte(req))
		q, err := odata.Parse(src, schema, odata.Options{NullInclusive: plan.NullInclusive})
		if err != nil {
			if q != nil {
				t.Fatal("Parse returned a query along with errors")
			}
			var list diag.ErrorList
			if !errors.As(err, &list) || len(list) == 0 || len(list) > diag.MaxErrors {
				t.Fatalf("error is not a non-empty, capped ErrorList: %#v", err)
			}
			for _, e := range list {
				if e.Code == "" {
					t.Fatalf("error without a code: %v", e)
				}
				if e.Span.Start.IsValid() && (int(e.Span.Start) > len(req) || int(e.Span.End) > len(req)) {
					t.Fatalf("span %v outside the %d-byte request: %v", e.Span, len(req), e)
				}
			}
			return
		}
		if q == nil || q.Entity == nil || !q.Entity.Name.IsSet() {
			t.Fatal("Parse succeeded without a query or an entity")
		}
		p, err := plan.Build(q, plan.Options{Catalog: cat})
		if err != nil {
			requireCodes(t, "plan", err)
			return
		}
		runPlan(ctx, t, db, p, req)
	})
}

// runPlan emits p in every dialect, checks that no literal reached the SQL
// text, and runs it on the SQLite sample: SQL the emitter accepts, SQLite
// must run (the aggregate and quick-find limits refuse before running).
func runPlan(ctx context.Context, t *testing.T, db *engine.DB, p *plan.Plan, input string) {
	t.Helper()
	for _, d := range sql.Dialects() {
		st, err := sql.Emit(p, d)
		if err != nil {
			requireCodes(t, "emit "+d.Name(), err)
			continue
		}
		checkNoLiterals(t, st.SQL)
	}
	if _, err := db.Exec(ctx, p); err != nil {
		codes := diag.Codes(err)
		if !slices.Contains(codes, diag.AggregateLimit) && !slices.Contains(codes, diag.QuickFindLimit) && !slices.Contains(codes, diag.DialectUnsupported) {
			t.Fatalf("SQLite rejects the SQL of an accepted query: %v\nquery:\n%s", err, input)
		}
	}
}
