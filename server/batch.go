package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// MaxBatchOperations is Dataverse's cap on the requests of one $batch.
const MaxBatchOperations = 1000

// batchOp is one request of a batch, in either format.
type batchOp struct {
	id        string // JSON id, or the multipart Content-ID ("" none)
	method    string
	url       string
	header    http.Header
	body      []byte
	group     string // atomicity group or change set ("" none)
	dependsOn []string
}

// batchResult is one operation's answer.
type batchResult struct {
	op     *batchOp
	status int
	header http.Header
	body   []byte
}

type batchKey int

const (
	batchTxKey batchKey = iota
	batchCallerKey
	batchWritesKey // *[]*WriteRequest: the writes a change set's transaction holds
)

// beginWrite is the write's transaction: the change set's when the write
// runs inside one (shared: the batch commits or rolls it back), else a new
// one the write owns.
func (s *Server) beginWrite(ctx context.Context) (tx *sql.Tx, shared bool, err error) {
	if tx, ok := ctx.Value(batchTxKey).(*sql.Tx); ok {
		return tx, true, nil
	}
	if tx, err = s.cfg.DB.SQL.BeginTx(ctx, nil); err != nil {
		return nil, false, dbErr(err)
	}
	return tx, false, nil
}

// requestCaller is the request's principal: the batch's for its operations (the
// batch authenticated it and its operations cannot change identity), else
// authenticated from the request.
func (s *Server) requestCaller(r *http.Request) (*Principal, error) {
	if p, ok := r.Context().Value(batchCallerKey).(*Principal); ok {
		return p, nil
	}
	return s.authenticate(r)
}

// odataBatch serves POST /odata/$batch: an OData 4.01 JSON batch or a
// multipart/mixed one with change sets, as Dataverse's Web API takes them.
// Every operation runs through the server's own routes as the caller; a
// change set (atomicity group) is one transaction.
func (s *Server) odataBatch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	continueOnError, err := batchPrefer(r.Header.Values("Prefer"))
	if err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return diagErr(diag.SyntaxError, "$batch: Content-Type %q: give application/json or multipart/mixed;boundary=…", r.Header.Get("Content-Type"))
	}
	// A JSON batch is answered in JSON; a multipart one in multipart/mixed,
	// which Dataverse clients accept while sending Accept: application/json.
	if err := acceptable(r, "application/json"); err != nil && (mt != "multipart/mixed" || acceptable(r, "multipart/mixed") != nil) {
		return err
	}
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	var ops []*batchOp
	switch mt {
	case "application/json":
		if err := s.checkJSON(body); err != nil {
			return err
		}
		ops, err = parseJSONBatch(body)
	case "multipart/mixed":
		ops, err = parseMultipartBatch(body, params["boundary"])
	default:
		return diagErr(diag.UnsupportedFeature, "$batch: Content-Type %s is not a batch format: give application/json or multipart/mixed", mt)
	}
	if err != nil {
		return err
	}
	if err := checkBatch(r.Header, ops); err != nil {
		return err
	}
	results := s.runBatch(r, p, ops, continueOnError)
	if continueOnError {
		w.Header().Set("Preference-Applied", "odata.continue-on-error")
	}
	w.Header().Set("OData-Version", "4.0")
	if mt == "application/json" {
		writeJSONBatch(w, results)
	} else {
		writeMultipartBatch(w, results)
	}
	return nil
}

// batchPrefer reads the batch's Prefer header: odata.continue-on-error
// (true unless "=false") is honoured; any other preference is refused, since
// it would apply to no operation.
func batchPrefer(lines []string) (bool, error) {
	cont := false
	for _, line := range lines {
		for _, part := range strings.Split(line, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, val, _ := strings.Cut(part, "=")
			switch {
			case strings.EqualFold(strings.TrimSpace(name), "odata.continue-on-error"):
				switch strings.ToLower(strings.Trim(strings.TrimSpace(val), `"`)) {
				case "", "true":
					cont = true
				case "false":
					cont = false
				default:
					return false, diagErr(diag.BadAttributeValue, "$batch: Prefer %q: odata.continue-on-error takes true or false", part)
				}
			default:
				return false, diagErr(diag.UnsupportedFeature, "$batch: Prefer %q applies to no batch: give it on the operations it is for", part)
			}
		}
	}
	return cont, nil
}

// parseJSONBatch reads {"requests":[…]} (OData 4.01 JSON batch).
func parseJSONBatch(body []byte) ([]*batchOp, error) {
	var doc struct {
		Requests []struct {
			ID             string            `json:"id"`
			Method         string            `json:"method"`
			URL            string            `json:"url"`
			Headers        map[string]string `json:"headers"`
			Body           json.RawMessage   `json:"body"`
			AtomicityGroup string            `json:"atomicityGroup"`
			DependsOn      []string          `json:"dependsOn"`
		} `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, diagErr(diag.SyntaxError, "$batch: the body is not a JSON batch {\"requests\":[…]}: %v", err)
	}
	if doc.Requests == nil {
		return nil, diagErr(diag.MissingAttribute, "$batch: the JSON batch has no \"requests\" array")
	}
	if len(doc.Requests) > MaxBatchOperations {
		return nil, batchTooLarge(len(doc.Requests))
	}
	ops := make([]*batchOp, 0, len(doc.Requests))
	for i, q := range doc.Requests {
		if q.ID == "" || q.Method == "" || q.URL == "" {
			return nil, diagErr(diag.MissingAttribute, "$batch: requests[%d] needs an id, a method and a url", i)
		}
		op := &batchOp{id: q.ID, method: strings.ToUpper(q.Method), url: q.URL, header: http.Header{}, group: q.AtomicityGroup, dependsOn: q.DependsOn}
		for k, v := range q.Headers {
			op.header.Add(k, v)
		}
		if b := bytes.TrimSpace(q.Body); len(b) > 0 && string(b) != "null" {
			if b[0] == '"' && !strings.Contains(strings.ToLower(op.header.Get("Content-Type")), "json") {
				var text string // a non-JSON body is given as a string
				if err := json.Unmarshal(b, &text); err != nil {
					return nil, diagErr(diag.SyntaxError, "$batch: requests[%d].body: %v", i, err)
				}
				b = []byte(text)
			} else if op.header.Get("Content-Type") == "" {
				op.header.Set("Content-Type", "application/json")
			}
			op.body = b
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// parseMultipartBatch reads a multipart/mixed batch: application/http
// parts, and multipart/mixed change sets of application/http parts.
func parseMultipartBatch(body []byte, boundary string) ([]*batchOp, error) {
	if boundary == "" {
		return nil, diagErr(diag.SyntaxError, "$batch: multipart/mixed needs a boundary parameter")
	}
	var ops []*batchOp
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	sets := 0
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, diagErr(diag.SyntaxError, "$batch: reading the multipart body: %v", err)
		}
		mt, params, err := mime.ParseMediaType(partField(part.Header, "Content-Type"))
		if err != nil {
			return nil, diagErr(diag.SyntaxError, "$batch: part %d: Content-Type %q: give application/http or multipart/mixed", len(ops)+1, partField(part.Header, "Content-Type"))
		}
		switch mt {
		case "application/http":
			op, err := readHTTPPart(part)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		case "multipart/mixed":
			sets++
			group := "changeset" + strconv.Itoa(sets)
			if params["boundary"] == "" {
				return nil, diagErr(diag.SyntaxError, "$batch: change set %d needs a boundary parameter", sets)
			}
			cr := multipart.NewReader(part, params["boundary"])
			n := 0
			for {
				cp, err := cr.NextRawPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, diagErr(diag.SyntaxError, "$batch: reading change set %d: %v", sets, err)
				}
				if cmt, _, _ := mime.ParseMediaType(partField(cp.Header, "Content-Type")); cmt != "application/http" {
					return nil, diagErr(diag.UnsupportedFeature, "$batch: change set %d holds a %q part: a change set holds application/http requests only", sets, partField(cp.Header, "Content-Type"))
				}
				op, err := readHTTPPart(cp)
				if err != nil {
					return nil, err
				}
				op.group = group
				ops = append(ops, op)
				n++
				if len(ops) > MaxBatchOperations {
					return nil, batchTooLarge(len(ops))
				}
			}
			if n == 0 {
				return nil, diagErr(diag.MissingAttribute, "$batch: change set %d is empty", sets)
			}
		default:
			return nil, diagErr(diag.UnsupportedFeature, "$batch: a %s part: give application/http or a multipart/mixed change set", mt)
		}
		if len(ops) > MaxBatchOperations {
			return nil, batchTooLarge(len(ops))
		}
	}
	return ops, nil
}

// partField is a field of a multipart part's own header (not of the HTTP
// request): Content-Type, Content-Transfer-Encoding and Content-ID, each
// honoured or refused as TestBatchMultipart and TestBatchRefusals show.
func partField(h textproto.MIMEHeader, name string) string { return h.Get(name) }

func batchTooLarge(n int) error {
	return diagErr(diag.LimitExceeded, "$batch: %d operations; a batch holds at most %d", n, MaxBatchOperations)
}

// readHTTPPart reads an application/http part: the request line, headers,
// a blank line and the body (the rest of the part).
func readHTTPPart(part *multipart.Part) (*batchOp, error) {
	if te := partField(part.Header, "Content-Transfer-Encoding"); te != "" && !strings.EqualFold(te, "binary") {
		return nil, diagErr(diag.UnsupportedFeature, "$batch: Content-Transfer-Encoding %q: give binary", te)
	}
	br := bufio.NewReader(part)
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	for err == nil && strings.TrimSpace(line) == "" { // blank lines before the request line
		line, err = tp.ReadLine()
	}
	if err != nil {
		return nil, diagErr(diag.SyntaxError, "$batch: an application/http part without a request line")
	}
	// METHOD URL HTTP/1.1; a URL with raw spaces (some clients send the
	// $filter unencoded) is unambiguous between the first and last fields.
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[len(f)-1], "HTTP/1.") {
		return nil, diagErr(diag.SyntaxError, "$batch: request line %q: give METHOD URL HTTP/1.1", line)
	}
	f[1] = strings.ReplaceAll(strings.Join(f[1:len(f)-1], " "), " ", "%20")
	h, err := tp.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, diagErr(diag.SyntaxError, "$batch: the headers of %q: %v", line, err)
	}
	body, err := io.ReadAll(br)
	if err != nil {
		return nil, diagErr(diag.SyntaxError, "$batch: the body of %q: %v", line, err)
	}
	op := &batchOp{method: strings.ToUpper(f[0]), url: f[1], header: http.Header(h), body: bytes.TrimRight(body, "\r\n")}
	op.id = partField(part.Header, "Content-ID")
	if op.id == "" {
		op.id = op.header.Get("Content-ID")
	}
	op.header.Del("Content-ID")
	return op, nil
}

// checkBatch refuses, before anything runs, what the batch cannot do:
// identity set per operation (other than the batch's), nested batches, reads inside change sets,
// return=representation inside them (the read would not see the change
// set), split groups, repeated ids and forward dependencies.
func checkBatch(batch http.Header, ops []*batchOp) error {
	seen := map[string]bool{}
	groups := map[string]bool{}
	for i, op := range ops {
		where := fmt.Sprintf("$batch: operation %d (%s %s)", i+1, op.method, op.url)
		for _, h := range identityHeaders { // repeating the batch's own is no override (clients copy them)
			if v := op.header.Values(h); len(v) > 0 && !slices.Equal(v, batch.Values(h)) {
				return diagErr(diag.Forbidden, "%s sets %s: every operation runs as the batch's caller", where, h)
			}
		}
		if strings.Contains(strings.ToLower(strings.SplitN(op.url, "?", 2)[0]), "$batch") {
			return diagErr(diag.UnsupportedFeature, "%s: a batch cannot contain another batch", where)
		}
		if op.group != "" {
			if op.method == http.MethodGet {
				return diagErr(diag.UnsupportedFeature, "%s: GET is not allowed inside a change set: put reads outside it", where)
			}
			if op.header.Get("Idempotency-Key") != "" {
				return diagErr(diag.UnsupportedFeature, "%s: Idempotency-Key is not supported inside a change set: a failed change set writes nothing and is retried whole", where)
			}
			if wantsRepresentation(&http.Request{Header: op.header}) {
				return diagErr(diag.UnsupportedFeature, "%s: Prefer return=representation is not supported inside a change set: read the record after the batch", where)
			}
			if groups[op.group] && ops[i-1].group != op.group {
				return diagErr(diag.SyntaxError, "%s: the requests of atomicity group %q must be adjacent", where, op.group)
			}
			groups[op.group] = true
		}
		for _, d := range op.dependsOn {
			if !seen[d] && !groups[d] || d == op.group {
				return diagErr(diag.SyntaxError, "%s depends on %q, which is no earlier request or atomicity group", where, d)
			}
		}
		if op.id != "" {
			if seen[op.id] || groups[op.id] && op.group != op.id {
				return diagErr(diag.DuplicateAttribute, "%s: id %q is given twice", where, op.id)
			}
			seen[op.id] = true
		}
	}
	return nil
}

// runBatch runs the operations in order. A failure stops the batch unless
// continueOnError; a failed change set is rolled back and answered by its
// failing operation alone.
func (s *Server) runBatch(r *http.Request, p *Principal, ops []*batchOp, continueOnError bool) []*batchResult {
	ctx := context.WithValue(r.Context(), batchCallerKey, p)
	var out []*batchResult
	entity := map[string]string{} // Content-ID → the created or addressed record's URL
	failed := map[string]bool{}   // failed request ids and groups
	for i := 0; i < len(ops); {
		j := i + 1
		for op := ops[i]; op.group != "" && j < len(ops) && ops[j].group == op.group; j++ {
		}
		unit := ops[i:j]
		i = j
		res, ok := s.runUnit(ctx, r, unit, entity, failed)
		out = append(out, res...)
		if !ok {
			for _, op := range unit {
				failed[op.id] = true
				failed[op.group] = true
			}
			if !continueOnError {
				break
			}
		}
	}
	return out
}

// runUnit runs one operation, or one change set in a transaction.
func (s *Server) runUnit(ctx context.Context, r *http.Request, unit []*batchOp, entity map[string]string, failed map[string]bool) ([]*batchResult, bool) {
	group := unit[0].group
	var tx *sql.Tx
	if group != "" {
		var err error
		if tx, err = s.cfg.DB.SQL.BeginTx(ctx, nil); err != nil {
			return []*batchResult{errorResult(r, unit[0], dbErr(err))}, false
		}
		defer tx.Rollback()
		ctx = context.WithValue(ctx, batchTxKey, tx)
	}
	var writes []*WriteRequest
	ctx = context.WithValue(ctx, batchWritesKey, &writes)
	var out []*batchResult
	for _, op := range unit {
		var res *batchResult
		if d := failedDependency(op, failed); d != "" {
			res = errorResult(r, op, diagErr(diag.FailedDependency, "not run: %s, which it depends on, failed", d))
		} else {
			res = s.runOp(ctx, r, op, entity)
		}
		if res.status >= 400 {
			return []*batchResult{res}, false
		}
		if loc := res.header.Get("OData-EntityId"); loc != "" && op.id != "" {
			entity[op.id] = loc
		}
		out = append(out, res)
	}
	if tx != nil {
		// A COMMIT in doubt is resolved as a single write's is (commit.go).
		if err := s.commit(ctx, tx, writes...); err != nil {
			return []*batchResult{errorResult(r, unit[len(unit)-1], err)}, false
		}
	}
	return out, true
}

func failedDependency(op *batchOp, failed map[string]bool) string {
	for _, d := range op.dependsOn {
		if failed[d] {
			return d
		}
	}
	return ""
}

// runOp runs one operation through the server's routes, with the batch's
// authentication and identity headers, and records its answer.
func (s *Server) runOp(ctx context.Context, r *http.Request, op *batchOp, entity map[string]string) *batchResult {
	target, err := s.batchTarget(op.url, entity)
	if err != nil {
		return errorResult(r, op, err)
	}
	body := op.body
	if len(body) > 0 && len(entity) > 0 {
		// The rewrite goes through a map, which would merge a repeated key
		// before the handler's check sees it: check the body as sent.
		if bound := bindReferences(body, entity); !bytes.Equal(bound, body) {
			if err := s.checkJSON(body); err != nil {
				return errorResult(r, op, err)
			}
			body = bound
		}
	}
	req, err := http.NewRequestWithContext(ctx, op.method, target, bytes.NewReader(body))
	if err != nil {
		return errorResult(r, op, diagErr(diag.SyntaxError, "$batch: %s %s: %v", op.method, op.url, err))
	}
	req.Host, req.TLS, req.RemoteAddr = r.Host, r.TLS, r.RemoteAddr
	req.Header = op.header.Clone()
	for _, h := range identityHeaders {
		req.Header.Del(h)
		for _, v := range r.Header.Values(h) {
			req.Header.Add(h, v)
		}
	}
	rec := &recorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &batchResult{op: op, status: rec.status, header: rec.header, body: rec.body.Bytes()}
}

// batchTarget is an operation's URL as a path under /odata/: absolute, the
// path from the server root, relative to the service root, or starting
// with a Content-ID reference ($1) to an earlier operation's record.
func (s *Server) batchTarget(raw string, entity map[string]string) (string, error) {
	if strings.HasPrefix(raw, "$") {
		end := strings.IndexAny(raw, "/?")
		if end < 0 {
			end = len(raw)
		}
		loc, ok := entity[raw[1:end]]
		if !ok {
			return "", diagErr(diag.NotFound, "$batch: %q references no earlier operation that created or addressed a record", raw[:end])
		}
		raw = loc + raw[end:]
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", diagErr(diag.SyntaxError, "$batch: URL %q: %v", raw, err)
	}
	path := u.Path
	if !strings.HasPrefix(path, "/") {
		path = "/odata/" + path
	}
	if !strings.HasPrefix(path, "/odata/") {
		return "", diagErr(diag.NotFound, "$batch: URL %q is not under the OData service root /odata/", raw)
	}
	out := url.URL{Path: path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if u.RawPath != "" && !strings.HasPrefix(u.RawPath, "/") {
		out.RawPath = "/odata/" + u.RawPath
	}
	return out.String(), nil
}

// bindReferences replaces "$id" values of "x@odata.bind" properties with
// the referenced record's URL.
func bindReferences(body []byte, entity map[string]string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body // not an object: the operation's handler reports it
	}
	changed := false
	for k, v := range m {
		var ref string
		if !strings.HasSuffix(k, "@odata.bind") || json.Unmarshal(v, &ref) != nil || !strings.HasPrefix(ref, "$") {
			continue
		}
		if loc, ok := entity[ref[1:]]; ok {
			m[k] = mustJSON(loc)
			changed = true
		}
	}
	if !changed {
		return body
	}
	return mustJSON(m)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// errorResult is an operation's error answered as the server answers it.
func errorResult(r *http.Request, op *batchOp, err error) *batchResult {
	rec := &recorder{header: http.Header{}}
	writeError(rec, r, err)
	return &batchResult{op: op, status: rec.status, header: rec.header, body: rec.body.Bytes()}
}

// recorder captures one operation's answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// writeJSONBatch answers {"responses":[…]}.
func writeJSONBatch(w http.ResponseWriter, results []*batchResult) {
	type response struct {
		ID             string            `json:"id,omitempty"`
		AtomicityGroup string            `json:"atomicityGroup,omitempty"`
		Status         int               `json:"status"`
		Headers        map[string]string `json:"headers,omitempty"`
		Body           json.RawMessage   `json:"body,omitempty"`
	}
	out := struct {
		Responses []response `json:"responses"`
	}{Responses: []response{}}
	for _, res := range results {
		rs := response{ID: res.op.id, AtomicityGroup: res.op.group, Status: res.status, Headers: map[string]string{}}
		for k, v := range res.header {
			if k != "Content-Length" && k != "X-Content-Type-Options" {
				rs.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
			}
		}
		if len(res.body) > 0 {
			if strings.Contains(res.header.Get("Content-Type"), "json") && json.Valid(res.body) {
				rs.Body = bytes.TrimSpace(res.body)
			} else {
				rs.Body = mustJSON(string(res.body))
			}
		}
		out.Responses = append(out.Responses, rs)
	}
	writeJSON(w, http.StatusOK, out)
}

// writeMultipartBatch answers multipart/mixed: an application/http part
// per operation outside change sets, a nested multipart/mixed per
// committed change set; a failed change set is its failing operation's
// answer alone.
func writeMultipartBatch(w http.ResponseWriter, results []*batchResult) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("batchresponse_" + newGUID())
	for i := 0; i < len(results); {
		res := results[i]
		j := i + 1
		if res.op.group != "" && res.status < 400 {
			for j < len(results) && results[j].op.group == res.op.group {
				j++
			}
			var cs bytes.Buffer
			cw := multipart.NewWriter(&cs)
			cw.SetBoundary("changesetresponse_" + newGUID())
			for _, r := range results[i:j] {
				writeHTTPPart(cw, r)
			}
			cw.Close()
			pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/mixed; boundary=" + cw.Boundary()}})
			pw.Write(cs.Bytes())
		} else {
			writeHTTPPart(mw, res)
		}
		i = j
	}
	mw.Close()
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

func writeHTTPPart(mw *multipart.Writer, res *batchResult) {
	h := textproto.MIMEHeader{"Content-Type": {"application/http"}, "Content-Transfer-Encoding": {"binary"}}
	if res.op.id != "" {
		h.Set("Content-ID", res.op.id)
	}
	pw, _ := mw.CreatePart(h)
	fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", res.status, http.StatusText(res.status))
	keys := make([]string, 0, len(res.header))
	for k := range res.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range res.header[k] {
			fmt.Fprintf(pw, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprint(pw, "\r\n")
	pw.Write(res.body)
	fmt.Fprint(pw, "\r\n")
}
