package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// Dataverse Web API shapes of OData entities. A lookup column x is the
// read-only property _x_value (the Web API's lookup property), never x,
// which names its single-valued navigation property (navigation()).
// Under Prefer: odata.include-annotations, as the Web API does only then,
// each non-null lookup property carries
//
//	_x_value@Microsoft.Dynamics.CRM.lookuplogicalname        the matched target
//	_x_value@Microsoft.Dynamics.CRM.associatednavigationproperty
//
// For a polymorphic lookup (owners: systemuser or team; customers) the
// target is the table holding the id, read by the server (the Web API
// stores the type beside the id, so it is no secret of the target row).

const (
	annLookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"
	annAssociatedNav     = "Microsoft.Dynamics.CRM.associatednavigationproperty"
)

// lookupProperty is the Web API property of a lookup column.
func lookupProperty(c *plan.Column) string { return "_" + c.LogicalName + "_value" }

// odataProperty is the OData property name of a result column of t, and
// the column when it is a lookup.
func odataProperty(t *plan.Table, name string) (string, *plan.Column) {
	if t != nil {
		if c, ok := t.Column(name); ok && engine.IsLookup(c.Type) {
			return lookupProperty(c), c
		}
	}
	return name, nil
}

// annotationPrefs is a Prefer: odata.include-annotations value.
type annotationPrefs struct {
	raw              string // as given, echoed in Preference-Applied
	include, exclude []string
}

// includeAnnotations reads odata.include-annotations from the Prefer
// headers (ok false: not given).
func includeAnnotations(h http.Header) (annotationPrefs, bool) {
	for _, v := range h.Values("Prefer") {
		for _, pref := range splitOutsideQuotes(v, ',') {
			k, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if !strings.EqualFold(strings.TrimSpace(k), "odata.include-annotations") {
				continue
			}
			a := annotationPrefs{raw: strings.TrimSpace(val)}
			for _, pat := range strings.Split(strings.Trim(a.raw, `"`), ",") {
				pat = strings.TrimSpace(pat)
				if ex, ok := strings.CutPrefix(pat, "-"); ok {
					a.exclude = append(a.exclude, ex)
				} else if pat != "" {
					a.include = append(a.include, pat)
				}
			}
			return a, true
		}
	}
	return annotationPrefs{}, false
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted
// string (a Prefer value may quote a comma-separated list).
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == '\\' && quoted:
			i++
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// wants says whether term is asked for: an exclusion wins over an
// inclusion (OData 4.01 part 1 §8.2.8.4); "*" and "namespace.*" match a
// whole namespace.
func (a annotationPrefs) wants(term string) bool {
	match := func(pat string) bool {
		if pat == "*" {
			return true
		}
		if ns, ok := strings.CutSuffix(pat, ".*"); ok {
			return len(term) > len(ns) && strings.EqualFold(term[:len(ns)+1], ns+".")
		}
		return strings.EqualFold(pat, term)
	}
	for _, p := range a.exclude {
		if match(p) {
			return false
		}
	}
	for _, p := range a.include {
		if match(p) {
			return true
		}
	}
	return false
}

// webShaper is the request's lookup annotation preference; one per
// request (odatajson.go writes the annotations it asks for).
type webShaper struct {
	ann annotationPrefs
	on  bool // some lookup annotation is asked for
}

type shaperKey struct{}

// newShaper reads the request's annotation preference and records in
// Preference-Applied that it is applied.
func newShaper(w http.ResponseWriter, r *http.Request) (*webShaper, *http.Request) {
	a, ok := includeAnnotations(r.Header)
	if !ok {
		// A plain shaper holds nothing: the request need not carry it.
		return &plainShaper, r
	}
	sh := &webShaper{ann: a, on: a.wants(annLookupLogicalName) || a.wants(annAssociatedNav)}
	preferenceApplied(w, "odata.include-annotations="+a.raw)
	return sh, r.WithContext(context.WithValue(r.Context(), shaperKey{}, sh))
}

// plainShaper is the shaper of a request asking for no annotation; it is
// only read.
var plainShaper webShaper

// shaperOf is the request's shaper (a plain one when none was made).
func shaperOf(ctx context.Context) *webShaper {
	if sh, ok := ctx.Value(shaperKey{}).(*webShaper); ok {
		return sh
	}
	return &plainShaper
}

func canonicalID(id string) string {
	if g, ok := plan.CanonicalGUID(id); ok {
		return g
	}
	return id
}

// preferenceApplied adds a Preference-Applied value once, however many of
// a request's readers apply the preference.
func preferenceApplied(w http.ResponseWriter, v string) {
	for _, have := range w.Header().Values("Preference-Applied") {
		if have == v {
			return
		}
	}
	w.Header().Add("Preference-Applied", v)
}
