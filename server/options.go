package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	odataparse "github.com/vecompile/vecompile/parse/odata"
)

// Every query option a request carries is either read by its endpoint or
// refused (docs/server.md, "Query options and headers"); none is skipped.
// OData collections hand their options to the OData parser, which refuses
// the system options it cannot honour; this file refuses the rest: custom
// options, and options on endpoints that read none.

// queryOption is one name=value pair of the query string as received.
type queryOption struct {
	name string // percent-decoded, as written
	key  string // lower case, with the $ OData 4.01 lets clients omit
	raw  string // the pair as received
}

// queryOptions reads the query string's option names. A name that does
// not decode is 400; a name given twice is 400 (a parameter alias too).
func queryOptions(r *http.Request) ([]queryOption, error) {
	var out []queryOption
	seen := map[string]bool{}
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return nil, diagErr(diag.SyntaxError, "malformed query option name %q", k)
		}
		key := strings.ToLower(name)
		if !strings.HasPrefix(key, "$") && odataparse.IsSystemOption(key) { // OData 4.01: the $ is optional
			key = "$" + key
		}
		if seen[key] {
			return nil, diagErr(diag.DuplicateElement, "the query option %s is given twice", name)
		}
		seen[key] = true
		out = append(out, queryOption{name: name, key: key, raw: part})
	}
	return out, nil
}

// allowOptions refuses every option of r but the allowed keys ("$select",
// "@" for parameter aliases). what names the endpoint in the message.
func allowOptions(r *http.Request, what string, allowed ...string) ([]queryOption, error) {
	opts, err := queryOptions(r)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		ok := false
		for _, a := range allowed {
			if o.key == a || a == "@" && strings.HasPrefix(o.key, "@") {
				ok = true
			}
		}
		if !ok {
			return nil, refuseOption(o, what)
		}
	}
	return opts, nil
}

// refuseOption is the refusal of an option an endpoint does not read.
func refuseOption(o queryOption, what string) error {
	switch o.key {
	case "savedquery", "userquery":
		return diagErr(diag.UnsupportedFeature, "the query option %s (a saved view) is not supported: send the view's FetchXML as fetchXml", o.name)
	}
	if strings.HasPrefix(o.key, "$") || strings.HasPrefix(o.key, "@") || o.key == "fetchxml" {
		return diagErr(diag.ConflictingOptions, "the query option %s does not apply to %s", o.name, what)
	}
	return diagErr(diag.UnknownAttribute, "unknown query option %q on %s (the service reads OData's system options, parameter aliases and fetchXml)", o.name, what)
}

// optionValue is the decoded value of key among opts ("" when absent).
func optionValue(opts []queryOption, key string) (string, bool, error) {
	for _, o := range opts {
		if o.key == key {
			_, v, _ := strings.Cut(o.raw, "=")
			d, err := url.QueryUnescape(v)
			if err != nil {
				return "", true, diagErr(diag.SyntaxError, "malformed value of the query option %s", o.name)
			}
			return d, true, nil
		}
	}
	return "", false, nil
}

// endpointOptions refuses the options an endpoint does not read. OData
// GET reads its own (odataGet: a key's, a collection's, or fetchXml).
func endpointOptions(name string, r *http.Request) error {
	if name != "Create" && name != "odata-post" {
		if err := noIdempotencyKey(r); err != nil {
			return err
		}
	}
	var err error
	switch name {
	case "odata-get":
		return nil
	case "odata-count":
		_, err = allowOptions(r, r.URL.Path, "$filter", "@")
	case "odata-post", "odata-patch":
		_, err = allowOptions(r, r.Method+" "+r.URL.Path, "$select")
	default:
		_, err = allowOptions(r, r.Method+" "+r.URL.Path)
	}
	return err
}
