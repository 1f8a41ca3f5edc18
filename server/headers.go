package server

import "net/http"

// Header keys in net/http's canonical form, for reading and writing the
// header map directly: Header.Get and Header.Set canonicalize their key on
// every call, and a key written as the protocols spell it ("OData-Version",
// "X-VE-User-Id", "ETag") is not canonical, so each call allocated a new
// key. Matching is unchanged: the map holds canonical keys either way.
var (
	hOData           = http.CanonicalHeaderKey("OData-Version")
	hODataMaxVersion = http.CanonicalHeaderKey("OData-MaxVersion")
	hContentType     = http.CanonicalHeaderKey("Content-Type")
	hContentLength   = http.CanonicalHeaderKey("Content-Length")
	hETag            = http.CanonicalHeaderKey("ETag")
	hRequestID       = http.CanonicalHeaderKey("X-Request-Id")
	hAuthorization   = http.CanonicalHeaderKey("Authorization")
	hUserID          = http.CanonicalHeaderKey(HeaderUserID)
	hObjectID        = http.CanonicalHeaderKey(HeaderObjectID)
	hContact         = http.CanonicalHeaderKey(HeaderContact)
	hGroups          = http.CanonicalHeaderKey(HeaderGroups)
)

// Values every response of their kind carries, shared: net/http only
// reads a response's header values, and Set or Add elsewhere replace or
// grow a slice of length and capacity one, which copies it.
var (
	odataVersion40 = []string{"4.0"}
	odataJSONType  = []string{"application/json; odata.metadata=minimal"}
)

// headerValue is h.Get for a canonical key.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
