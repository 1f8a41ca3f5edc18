package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
)

// FetchXML over OData, as the Dataverse Web API takes it:
// GET /odata/<set>?fetchXml=<URL-encoded FetchXML>. The fetch's entity
// must be the set's; paging is the fetch's own (count, page,
// paging-cookie); the response carries the rows as OData entities with
// null properties left out (as Dataverse's FetchXML responses do), and
// the paging state as annotations:
//
//	@Microsoft.Dynamics.CRM.fetchxmlpagingcookie  <cookie pagenumber="N+1" pagingcookie="…" istracking="False" />
//	@Microsoft.Dynamics.CRM.morerecords           true or false
//	@Microsoft.Dynamics.CRM.totalrecordcount      with returntotalrecordcount="true" or $count=true
//
// The pagingcookie attribute is the server's cookie URL-encoded twice, as
// Dataverse's is: a client decodes it twice and puts it in the next
// fetch's paging-cookie, with page set to pagenumber.

const (
	annPagingCookie  = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"
	annMoreRecords   = "@Microsoft.Dynamics.CRM.morerecords"
	annTotalCount    = "@Microsoft.Dynamics.CRM.totalrecordcount"
	annCountExceeded = "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"
)

func (s *Server) odataFetch(w http.ResponseWriter, r *http.Request, p *Principal, t *plan.Table, opts []queryOption) error {
	set := s.catalog.entitySet(t)
	for _, o := range opts {
		if o.key != "fetchxml" && o.key != "$count" {
			return diagErr(diag.ConflictingOptions, "fetchXml with %s: a FetchXML query takes no other query option (its columns, filters, order and paging are the fetch's)", o.name)
		}
	}
	if maxPageSize(r.Header.Get("Prefer")) > 0 {
		return diagErr(diag.ConflictingOptions, "fetchXml with Prefer: odata.maxpagesize: a FetchXML query's page size is its count attribute")
	}
	text, _, err := optionValue(opts, "fetchxml")
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return diagErr(diag.SyntaxError, "fetchXml is empty")
	}
	q, err := fetchxml.Parse(diag.NewSource("fetchXml", []byte(text)))
	if err != nil {
		return err
	}
	if q.Entity == nil || !strings.EqualFold(q.Entity.Name.Text, t.LogicalName) {
		name := ""
		if q.Entity != nil {
			name = q.Entity.Name.Text
		}
		return diagErr(diag.ConflictingOptions, "the fetch's entity %q is not the entity of the set %s (%s)", name, set, t.LogicalName)
	}
	if c, has, err := optionValue(opts, "$count"); err != nil {
		return err
	} else if has {
		switch strings.ToLower(c) {
		case "true":
			q.ReturnTotalRecordCount = ast.Bool{Value: true, Set: true}
		case "false":
		default:
			return diagErr(diag.SyntaxError, "$count takes true or false, not %q", c)
		}
	}
	pl, err := s.build(r.Context(), p, q)
	if err != nil {
		return err
	}
	pg, err := s.execPage(r.Context(), p, q, pl, q.PagingCookie.Text)
	if err != nil {
		return err
	}
	var shape *entityShape
	if len(pg.result.Rows) > 0 {
		shape = fetchShape(shaperOf(r.Context()), t, rowNames(pg.result), formattedTerms(annotationsOf(r.Context())))
	}
	ln, err := s.lookupNotes(r.Context(), shape, pg.result.Rows)
	if err != nil {
		return err
	}
	buf := jsonBodies.Get().(*[]byte)
	b, err := appendEntity(*buf, fetchMembers(r, set, pg, entityRows{shape: shape, rows: pg.result.Rows, notes: ln}))
	if checkFetch != nil && err == nil {
		checkFetch(s, r, t, set, pg, b)
	}
	writeODataBody(w, http.StatusOK, buf, b, err)
	return nil
}

// fetchMembers are the members of a fetchXml result: its context, rows and
// paging annotations.
func fetchMembers(r *http.Request, set string, pg *page, vals any) []entityMember {
	ms := []entityMember{{name: "@odata.context", v: odataBase(r) + "$metadata#" + set}, {name: "value", v: vals},
		{name: annMoreRecords, v: pg.result.MoreRecords}}
	if pg.cookie != "" {
		next := pg.plan.PageNumber + 1
		ms = append(ms, entityMember{name: annPagingCookie, v: `<cookie pagenumber="` + strconv.FormatInt(next, 10) + `" pagingcookie="` +
			url.QueryEscape(url.QueryEscape(pg.cookie)) + `" istracking="False" />`})
	}
	if pg.result.CountRequested {
		ms = append(ms, entityMember{name: annTotalCount, v: pg.result.TotalRecordCount},
			entityMember{name: annCountExceeded, v: pg.result.TotalRecordCountLimitExceeded})
	}
	return ms
}
