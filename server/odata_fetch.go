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
	out := map[string]any{"@odata.context": odataBase(r) + "$metadata#" + set}
	vals := make([]map[string]any, 0, len(pg.result.Rows))
	vc, versioned := versionCol(t)
	sh := shaperOf(r.Context())
	for _, row := range pg.result.Rows {
		e := make(map[string]any, len(row)+1)
		for _, f := range row {
			if f.Value != nil {
				sh.set(e, t, f.Name, odataValue(f.Value))
				annotationsOf(r.Context()).annotate(t, e, f.Name, f.Formatted)
			}
			if versioned && f.Name == vc.LogicalName {
				if tag, ok := entityETag(f.Value); ok {
					e["@odata.etag"] = tag
				}
			}
		}
		vals = append(vals, e)
	}
	if err := s.annotate(r.Context(), sh); err != nil {
		return err
	}
	out["value"] = vals
	out[annMoreRecords] = pg.result.MoreRecords
	if pg.cookie != "" {
		next := pg.plan.PageNumber + 1
		out[annPagingCookie] = `<cookie pagenumber="` + strconv.FormatInt(next, 10) + `" pagingcookie="` +
			url.QueryEscape(url.QueryEscape(pg.cookie)) + `" istracking="False" />`
	}
	if pg.result.CountRequested {
		out[annTotalCount] = pg.result.TotalRecordCount
		out[annCountExceeded] = pg.result.TotalRecordCountLimitExceeded
	}
	writeOData(w, http.StatusOK, out)
	return nil
}
