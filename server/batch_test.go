package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// batchResp is one operation's answer, from either format.
type batchResp struct {
	id, group string
	status    int
	header    http.Header
	body      []byte
}

// jsonBatch posts an OData 4.01 JSON batch and reads its responses.
func (e *env) jsonBatch(t *testing.T, requests []map[string]any, hdr ...string) []batchResp {
	t.Helper()
	r := e.do("POST", "/odata/$batch", map[string]any{"requests": requests}, append([]string{"Content-Type", "application/json"}, hdr...)...).want(t, 200)
	var doc struct {
		Responses []struct {
			ID             string            `json:"id"`
			AtomicityGroup string            `json:"atomicityGroup"`
			Status         int               `json:"status"`
			Headers        map[string]string `json:"headers"`
			Body           json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("not a JSON batch response: %v\n%s", err, r.body)
	}
	var out []batchResp
	for _, x := range doc.Responses {
		h := http.Header{}
		for k, v := range x.Headers {
			h.Set(k, v)
		}
		out = append(out, batchResp{id: x.ID, group: x.AtomicityGroup, status: x.Status, header: h, body: x.Body})
	}
	return out
}

// part is one multipart operation; a change set is a []part.
type part struct {
	contentID, method, url, body string
	header                       []string
}

func writeRequestPart(t *testing.T, w *multipart.Writer, p part) {
	h := textproto.MIMEHeader{"Content-Type": {"application/http"}, "Content-Transfer-Encoding": {"binary"}}
	if p.contentID != "" {
		h.Set("Content-ID", p.contentID)
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(pw, "%s %s HTTP/1.1\r\n", p.method, p.url)
	if p.body != "" {
		fmt.Fprint(pw, "Content-Type: application/json;type=entry\r\n")
	}
	for i := 0; i+1 < len(p.header); i += 2 {
		fmt.Fprintf(pw, "%s: %s\r\n", p.header[i], p.header[i+1])
	}
	fmt.Fprintf(pw, "\r\n%s\r\n", p.body)
}

// multipartBatch posts a multipart/mixed batch of parts and change sets
// ([]part) as Dataverse's Web API takes them, and reads the flattened
// answers (group: the change set response's boundary).
func (e *env) multipartBatch(t *testing.T, items []any, hdr ...string) []batchResp {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.SetBoundary("batch_AAA123")
	for i, it := range items {
		switch x := it.(type) {
		case part:
			writeRequestPart(t, w, x)
		case []part:
			var cs bytes.Buffer
			cw := multipart.NewWriter(&cs)
			cw.SetBoundary(fmt.Sprintf("changeset_BBB%d", i))
			for _, p := range x {
				writeRequestPart(t, cw, p)
			}
			cw.Close()
			pw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/mixed; boundary=" + cw.Boundary()}})
			pw.Write(cs.Bytes())
		}
	}
	w.Close()
	r := e.do("POST", "/odata/$batch", buf.Bytes(), append([]string{"Content-Type", "multipart/mixed; boundary=batch_AAA123"}, hdr...)...).want(t, 200)
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("response Content-Type %q", r.header.Get("Content-Type"))
	}
	return readMultipart(t, bytes.NewReader(r.body), params["boundary"], "")
}

func readMultipart(t *testing.T, body io.Reader, boundary, group string) []batchResp {
	t.Helper()
	var out []batchResp
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if mt == "multipart/mixed" {
			out = append(out, readMultipart(t, p, params["boundary"], params["boundary"])...)
			continue
		}
		if mt != "application/http" || p.Header.Get("Content-Transfer-Encoding") != "binary" {
			t.Fatalf("response part %v", p.Header)
		}
		b, _ := io.ReadAll(p)
		tp := textproto.NewReader(bufioReader(b))
		line, _ := tp.ReadLine()
		var status int
		fmt.Sscanf(line, "HTTP/1.1 %d", &status)
		h, _ := tp.ReadMIMEHeader()
		rest, _ := io.ReadAll(tp.R)
		out = append(out, batchResp{id: p.Header.Get("Content-ID"), group: group, status: status, header: http.Header(h), body: bytes.TrimSpace(rest)})
	}
}

func statuses(rs []batchResp) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.status)
	}
	return out
}

func wantStatuses(t *testing.T, rs []batchResp, want ...int) {
	t.Helper()
	if fmt.Sprint(statuses(rs)) != fmt.Sprint(want) {
		for _, r := range rs {
			t.Logf("%s %d %s", r.id, r.status, r.body)
		}
		t.Fatalf("statuses %v, want %v", statuses(rs), want)
	}
}

// accountsNamed counts the accounts with a name, read outside the batch.
func (e *env) accountsNamed(t *testing.T, name string) int {
	t.Helper()
	r := e.do("GET", "/odata/accounts?$select=name&$filter="+url.PathEscape("name eq '"+name+"'"), nil).want(t, 200).json(t)
	return len(r["value"].([]any))
}

func TestBatchJSON(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			rs := e.jsonBatch(t, []map[string]any{
				{"id": "1", "atomicityGroup": "g1", "method": "POST", "url": "accounts", "headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"name": "Batch JSON One"}},
				{"id": "2", "atomicityGroup": "g1", "method": "PATCH", "url": "$1", "body": map[string]any{"name": "Batch JSON Two"}},
				{"id": "3", "atomicityGroup": "g1", "method": "POST", "url": "contacts", "body": map[string]any{"lastname": "Batchperson", "parentcustomerid@odata.bind": "$1"}},
				{"id": "4", "dependsOn": []string{"g1"}, "method": "GET", "url": "/odata/accounts?$select=name&$filter=" + url.PathEscape("name eq 'Batch JSON Two'")},
			})
			wantStatuses(t, rs, 204, 204, 204, 200)
			if rs[0].group != "g1" || rs[3].id != "4" {
				t.Errorf("ids and groups: %+v", rs)
			}
			loc := rs[0].header.Get("OData-EntityId")
			id := loc[strings.LastIndex(loc, "(")+1 : len(loc)-1]
			var page struct{ Value []map[string]any }
			if err := json.Unmarshal(rs[3].body, &page); err != nil || len(page.Value) != 1 {
				t.Fatalf("the GET after the change set: %v %s", err, rs[3].body)
			}
			// The contact's lookup was bound to the account created before it.
			cloc := rs[2].header.Get("OData-EntityId")
			c := e.do("GET", cloc[strings.Index(cloc, "/odata/"):]+"?$select=_parentcustomerid_value", nil).want(t, 200).json(t)
			if got := fmt.Sprint(c["_parentcustomerid_value"]); !strings.EqualFold(got, id) {
				t.Errorf("contact's parentcustomerid %s, want the created account %s", got, id)
			}
			if n := e.accountsNamed(t, "Batch JSON One"); n != 0 {
				t.Errorf("the PATCH through $1 did not apply")
			}
		})
	}
}

func TestBatchMultipart(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			base := e.http.URL + "/odata/"
			rs := e.multipartBatch(t, []any{
				part{method: "GET", url: base + "accounts?$select=name&$top=1"},
				[]part{
					{contentID: "1", method: "POST", url: base + "accounts", body: `{"name":"Batch MP One"}`},
					{contentID: "2", method: "PATCH", url: "$1", body: `{"name":"Batch MP Two"}`},
				},
				part{method: "GET", url: "/odata/accounts?$select=name&$filter=" + url.PathEscape("name eq 'Batch MP Two'")},
			})
			wantStatuses(t, rs, 200, 204, 204, 200)
			if rs[1].id != "1" || rs[2].id != "2" || rs[1].group == "" || rs[1].group != rs[2].group || rs[0].group != "" {
				t.Errorf("Content-IDs and change set: %+v", rs)
			}
			if !strings.Contains(string(rs[3].body), "Batch MP Two") {
				t.Errorf("the read after the change set: %s", rs[3].body)
			}
		})
	}
}

// TestBatchChangeSetRollback: the third write of a change set fails, so the
// first two are not written, and the answer names the failing operation.
// TestBatchBindKeepsDuplicateRefusal: a body whose "x@odata.bind" names a
// Content-ID is rewritten before it is run; a repeated key in it is still
// refused (VE6013) and the change set writes nothing.
func TestBatchBindKeepsDuplicateRefusal(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			rs := e.multipartBatch(t, []any{[]part{
				{contentID: "1", method: "POST", url: "accounts", body: `{"name":"Dup Bind Parent"}`},
				{contentID: "2", method: "POST", url: "contacts", body: `{"lastname":"Dup A","lastname":"Dup B","parentcustomerid@odata.bind":"$1"}`},
			}})
			wantStatuses(t, rs, 400)
			if rs[0].id != "2" || !strings.Contains(string(rs[0].body), "VE6013") {
				t.Errorf("the repeated key: %+v %s", rs[0], rs[0].body)
			}
			if n := e.accountsNamed(t, "Dup Bind Parent"); n != 0 {
				t.Errorf("%d accounts written by a refused change set", n)
			}
		})
	}
}

func TestBatchChangeSetRollback(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, f, nil)
			missing := "acc00000-0000-4000-8000-0000000fffff"
			rs := e.multipartBatch(t, []any{[]part{
				{contentID: "1", method: "POST", url: "accounts", body: `{"name":"Rollback MP"}`},
				{contentID: "2", method: "POST", url: "accounts", body: `{"name":"Rollback MP"}`},
				{contentID: "3", method: "PATCH", url: "accounts(" + missing + ")", body: `{"name":"Rollback MP"}`},
				{contentID: "4", method: "POST", url: "accounts", body: `{"name":"Rollback MP"}`},
			}})
			wantStatuses(t, rs, 404)
			if rs[0].id != "3" || !strings.Contains(string(rs[0].body), "VE6005") {
				t.Errorf("the failing operation: %+v %s", rs[0], rs[0].body)
			}
			if n := e.accountsNamed(t, "Rollback MP"); n != 0 {
				t.Errorf("%d accounts written by a failed change set", n)
			}
			// The same in JSON; a later request depending on the group is not
			// run (424) under continue-on-error, an independent one is.
			js := e.jsonBatch(t, []map[string]any{
				{"id": "a", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": "Rollback JSON"}},
				{"id": "b", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": "Rollback JSON"}},
				{"id": "c", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": "Rollback JSON", "nosuchcolumn": 1}},
				{"id": "d", "dependsOn": []string{"g"}, "method": "POST", "url": "accounts", "body": map[string]any{"name": "Rollback JSON"}},
				{"id": "e", "method": "POST", "url": "accounts", "body": map[string]any{"name": "Rollback JSON after"}},
			}, "Prefer", "odata.continue-on-error")
			wantStatuses(t, js, 400, 424, 204)
			if js[0].id != "c" || js[1].id != "d" {
				t.Errorf("ids: %+v", js)
			}
			// The 424 is an error in the standard shape, with its code.
			var dep struct {
				Error struct{ Code, Message, VECode string }
			}
			if err := json.Unmarshal(js[1].body, &dep); err != nil || dep.Error.VECode != "VE6038" || dep.Error.Code != "0x80040216" || !strings.Contains(dep.Error.Message, "VE6038") {
				t.Errorf("the 424 body: %s (%v)", js[1].body, err)
			}
			if n := e.accountsNamed(t, "Rollback JSON"); n != 0 {
				t.Errorf("%d accounts written by a failed atomicity group", n)
			}
			if n := e.accountsNamed(t, "Rollback JSON after"); n != 1 {
				t.Errorf("the independent request after the failure: %d written", n)
			}
		})
	}
}

// TestBatchErrors: without odata.continue-on-error the batch stops at the
// first failure (as Dataverse does); with it, the rest runs and the
// preference is applied.
func TestBatchErrors(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	ops := []map[string]any{
		{"id": "1", "method": "GET", "url": "nosuchset"},
		{"id": "2", "method": "GET", "url": "accounts?$top=1&$select=name"},
	}
	wantStatuses(t, e.jsonBatch(t, ops), 404)
	r := e.do("POST", "/odata/$batch", map[string]any{"requests": ops}, "Content-Type", "application/json", "Prefer", "odata.continue-on-error").want(t, 200)
	if r.header.Get("Preference-Applied") != "odata.continue-on-error" {
		t.Errorf("Preference-Applied %q", r.header.Get("Preference-Applied"))
	}
	wantStatuses(t, e.jsonBatch(t, ops, "Prefer", "odata.continue-on-error=true"), 404, 200)
	wantStatuses(t, e.jsonBatch(t, ops, "Prefer", "odata.continue-on-error=false"), 404)
}

// TestBatchRefusals: what a batch cannot do is refused, with a code, before
// any operation runs.
func TestBatchRefusals(t *testing.T) {
	f := fixtures(t)[0]
	e := newEnv(t, f, nil)
	post := func(n int) map[string]any {
		return map[string]any{"id": fmt.Sprint(n), "method": "POST", "url": "accounts", "body": map[string]any{"name": "Refused batch"}}
	}
	many := []map[string]any{}
	for i := range server.MaxBatchOperations + 1 {
		many = append(many, post(i))
	}
	jsonCT := []string{"Content-Type", "application/json"}
	cases := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   string
	}{
		{"too many", map[string]any{"requests": many}, jsonCT, 400, "VE1010"},
		{"GET in a group", map[string]any{"requests": []any{post(1), map[string]any{"id": "2", "atomicityGroup": "g", "method": "GET", "url": "accounts"}}}, jsonCT, 400, "VE1014"},
		{"nested batch", map[string]any{"requests": []any{post(1), map[string]any{"id": "2", "method": "POST", "url": "$batch", "body": map[string]any{"requests": []any{}}}}}, jsonCT, 400, "VE1014"},
		{"identity override", map[string]any{"requests": []any{post(1), map[string]any{"id": "2", "method": "GET", "url": "accounts", "headers": map[string]string{server.HeaderUserID: ownerID}}}}, jsonCT, 403, "VE6002"},
		{"token override", map[string]any{"requests": []any{post(1), map[string]any{"id": "2", "method": "GET", "url": "accounts", "headers": map[string]string{"Authorization": "Bearer x"}}}}, jsonCT, 403, "VE6002"},
		{"idempotency key in a group", map[string]any{"requests": []any{map[string]any{"id": "1", "atomicityGroup": "g", "method": "POST", "url": "accounts", "headers": map[string]string{"Idempotency-Key": "k1"}, "body": map[string]any{"name": "x"}}}}, jsonCT, 400, "VE1014"},
		{"JSON batch not acceptable", map[string]any{"requests": []any{post(1)}}, append(jsonCT, "Accept", "application/xml"), 406, ""},
		{"representation in a group", map[string]any{"requests": []any{map[string]any{"id": "1", "atomicityGroup": "g", "method": "POST", "url": "accounts", "headers": map[string]string{"Prefer": "return=representation"}, "body": map[string]any{"name": "x"}}}}, jsonCT, 400, "VE1014"},
		{"split group", map[string]any{"requests": []any{
			map[string]any{"id": "1", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": "x"}}, post(2),
			map[string]any{"id": "3", "atomicityGroup": "g", "method": "POST", "url": "accounts", "body": map[string]any{"name": "x"}}}}, jsonCT, 400, "VE1001"},
		{"forward dependency", map[string]any{"requests": []any{map[string]any{"id": "1", "dependsOn": []string{"2"}, "method": "GET", "url": "accounts"}, post(2)}}, jsonCT, 400, "VE1001"},
		{"repeated id", map[string]any{"requests": []any{post(1), post(1)}}, jsonCT, 400, "VE6013"},
		{"unknown member", map[string]any{"requests": []any{post(1)}, "extra": true}, jsonCT, 400, "VE1001"},
		{"other preference", map[string]any{"requests": []any{post(1)}}, append(jsonCT, "Prefer", "return=representation"), 400, "VE1014"},
		{"bad continue-on-error", map[string]any{"requests": []any{post(1)}}, append(jsonCT, "Prefer", "odata.continue-on-error=maybe"), 400, "VE1005"},
		{"not a batch format", "x", []string{"Content-Type", "text/plain"}, 415, "VE6032"},
		{"no boundary", "x", []string{"Content-Type", "multipart/mixed"}, 400, "VE1001"},
		{"not application/http", "--b\r\nContent-Type: text/plain\r\n\r\nGET accounts HTTP/1.1\r\n\r\n--b--\r\n", []string{"Content-Type", "multipart/mixed; boundary=b"}, 400, "VE1014"},
		{"base64 part", "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: base64\r\n\r\nR0VU\r\n--b--\r\n", []string{"Content-Type", "multipart/mixed; boundary=b"}, 400, "VE1014"},
		{"no request line", "--b\r\nContent-Type: application/http\r\n\r\nGET\r\n--b--\r\n", []string{"Content-Type", "multipart/mixed; boundary=b"}, 400, "VE1001"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.do("POST", "/odata/$batch", c.body, c.hdr...).wantError(t, c.status, "", c.code)
		})
	}
	if n := e.accountsNamed(t, "Refused batch"); n != 0 {
		t.Errorf("a refused batch wrote %d accounts", n)
	}
	// An operation repeating the batch's own identity headers (as clients
	// that copy their common headers do) runs; a request line with raw
	// spaces in its query is read between its first and last fields.
	same := map[string]any{"id": "1", "method": "GET", "url": "accounts?$select=name&$filter=name eq 'Contoso Ltd'",
		"headers": map[string]string{"Authorization": "Bearer " + e.token, server.HeaderUserID: e.user}}
	wantStatuses(t, e.jsonBatch(t, []map[string]any{same}), 200)
	raw := "--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET accounts?$select=name&$filter=name eq 'Contoso Ltd' HTTP/1.1\r\n\r\n\r\n--b--\r\n"
	r := e.do("POST", "/odata/$batch", raw, "Content-Type", "multipart/mixed; boundary=b", "Accept", "application/json").want(t, 200)
	if !strings.Contains(string(r.body), "HTTP/1.1 200 OK") || !strings.Contains(string(r.body), "Contoso Ltd") {
		t.Errorf("raw-space request line: %s", r.body)
	}
	// The batch itself needs a token.
	e.token = ""
	e.do("POST", "/odata/$batch", map[string]any{"requests": []any{post(1)}}, jsonCT...).wantError(t, 401, "", "VE6001")
}

// TestBatchSecurity: each operation runs as the caller: one she may not do
// is 403 inside the batch while the others run; inside a change set it
// rolls back the change set.
func TestBatchSecurity(t *testing.T) {
	for _, f := range securedFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			e := newSecuredEnv(t, f)
			e.user = priyaID
			rs := e.jsonBatch(t, []map[string]any{
				{"id": "1", "method": "PATCH", "url": "accounts(" + acc2 + ")", "body": map[string]any{"name": "Batch sec denied"}},
				{"id": "2", "method": "PATCH", "url": "accounts(" + acc1 + ")", "body": map[string]any{"name": "Batch sec own"}},
				{"id": "3", "method": "DELETE", "url": "accounts(" + acc1 + ")"},
			}, "Prefer", "odata.continue-on-error")
			wantStatuses(t, rs, 403, 204, 403)
			if !strings.Contains(string(rs[0].body), "prvWriteAccount") || !strings.Contains(string(rs[2].body), "prvDeleteAccount") {
				t.Errorf("the refusals name no privilege: %s / %s", rs[0].body, rs[2].body)
			}
			if e.accountsNamed(t, "Batch sec own") != 1 {
				t.Errorf("the permitted write outside a change set did not apply")
			}
			ms := e.multipartBatch(t, []any{[]part{
				{contentID: "1", method: "PATCH", url: "accounts(" + acc1 + ")", body: `{"name":"Batch sec rolled back"}`},
				{contentID: "2", method: "PATCH", url: "accounts(" + acc2 + ")", body: `{"name":"Batch sec denied"}`},
			}})
			wantStatuses(t, ms, 403)
			if e.accountsNamed(t, "Batch sec rolled back") != 0 || e.accountsNamed(t, "Batch sec own") != 1 {
				t.Errorf("a change set with a refused operation changed a row")
			}
		})
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
