package server

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
)

// maxHeaderBytes is the limit on a request's header block, answered with a
// Dataverse-shaped 431 (VE6030). net/http's own limit (http.Server's
// MaxHeaderBytes, set to maxHeaderBytes plus netHeaderSlack by Serve) is
// kept above it so that its plain-text 431 only meets header blocks far
// beyond ours, which net/http must refuse before any handler runs.
const (
	maxHeaderBytes = 64 << 10
	netHeaderSlack = 1 << 20
)

// protocol answers what every endpoint shares before the endpoint runs:
// OData-Version on every response, the header limit, OData-MaxVersion and
// OData-Version below 4.0, the request body's Content-Type, and content
// negotiation (Accept).
func (s *Server) protocol(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[hOData] = odataVersion40
		if n := headerBytes(r); n > maxHeaderBytes {
			writeError(w, r, diagErr(diag.HeadersTooLarge, "the request headers are %d bytes; the limit is %d", n, maxHeaderBytes))
			return
		}
		for _, h := range [...][2]string{{"OData-MaxVersion", hODataMaxVersion}, {"OData-Version", hOData}} {
			if err := checkODataVersion(h[0], r.Header[h[1]]); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if err := checkContentType(r); err != nil {
			writeError(w, r, err)
			return
		}
		if want := answerType(r); want != "" {
			if err := acceptable(r, want); err != nil {
				writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// headerBytes approximates the header block as received: the request line
// and each field line.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// checkODataVersion refuses a version header below 4.0, the only protocol
// version served; a header that is not a version is refused too.
func checkODataVersion(name string, vals []string) error {
	if len(vals) == 0 {
		return nil
	}
	if len(vals) > 1 {
		return diagErr(diag.RepeatedHeader, "%s is given %d times: give it once", name, len(vals))
	}
	v := strings.TrimSpace(vals[0])
	major, minor, ok := strings.Cut(v, ".")
	maj, err1 := strconv.Atoi(major)
	_, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil {
		return diagErr(diag.UnsupportedVersion, "%s: %q is not a protocol version (this service speaks OData 4.0)", name, v)
	}
	if maj < 4 {
		return diagErr(diag.UnsupportedVersion, "%s: %s is below 4.0, the only OData version this service speaks", name, v)
	}
	return nil
}

// answerType is the media type an endpoint answers in, "" where content
// negotiation does not apply (probes and metrics, whose clients send what
// their tools send).
func answerType(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/odata/$metadata":
		return "application/xml"
	case p == "/odata/$batch":
		return "" // the batch's format decides (odataBatch)
	case strings.HasPrefix(p, "/odata/") && strings.HasSuffix(p, "/$count"):
		return "text/plain"
	case strings.HasPrefix(p, "/odata/"), strings.HasPrefix(p, "/api/ve/"):
		return "application/json"
	}
	return ""
}

// acceptable refuses a request whose Accept header admits none of the
// endpoint's type: each media range is matched by type and subtype (or
// their wildcards), q=0 excludes. No Accept admits everything.
func acceptable(r *http.Request, want string) error {
	vals := r.Header.Values("Accept")
	if len(vals) == 0 {
		return nil
	}
	wt, ws, _ := strings.Cut(want, "/")
	for _, part := range strings.Split(strings.Join(vals, ","), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			return diagErr(diag.NotAcceptable, "Accept: %q is not a media range", part)
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f < 0 || f > 1 {
				return diagErr(diag.NotAcceptable, "Accept: %q has a bad q value", part)
			} else if f == 0 {
				continue
			}
		}
		t, st, _ := strings.Cut(mt, "/")
		if (t == "*" || t == wt) && (st == "*" || st == ws) {
			return nil
		}
	}
	return diagErr(diag.NotAcceptable, "Accept: %s admits no %s, the only type %s answers in", strings.Join(vals, ", "), want, r.URL.Path)
}

// checkContentType refuses a request body declared as something the
// endpoint does not read: JSON everywhere (charset UTF-8 when given), and
// FetchXML as XML on RetrieveMultiple. A body without Content-Type is read
// as the endpoint's type.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Method == http.MethodHead {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return diagErr(diag.UnsupportedMedia, "Content-Type %q is not a media type", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return diagErr(diag.UnsupportedMedia, "Content-Type charset %q: request bodies are UTF-8", cs)
	}
	switch {
	case mt == "application/json":
		return nil
	case (mt == "application/xml" || mt == "text/xml") && r.URL.Path == "/api/ve/v1/RetrieveMultiple":
		return nil
	case mt == "multipart/mixed" && r.URL.Path == "/odata/$batch":
		return nil
	}
	return diagErr(diag.UnsupportedMedia, "Content-Type %s: %s %s reads application/json", mt, r.Method, r.URL.Path)
}

// unrouted is the error for a request no endpoint serves: 405 naming the
// methods the path is served for, else 404.
func unrouted(m *http.ServeMux, r *http.Request) error {
	var allow []string
	for _, meth := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		if meth == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = meth
		if _, pat := m.Handler(r2); pat != "" && pat != "/" {
			allow = append(allow, meth)
		}
	}
	if len(allow) > 0 {
		return diagErr(diag.MethodNotAllowed, "%s is not served on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))
	}
	return diagErr(diag.NotFound, "no endpoint %s %s", r.Method, r.URL.Path)
}
