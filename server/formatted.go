package server

import (
	"context"
	"net/http"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
)

// Formatted values (engine.Formatter) on the wire. A request whose Prefer
// header says odata.include-annotations with a pattern that takes
// OData.Community.Display.V1.FormattedValue or
// Microsoft.Dynamics.CRM.lookuplogicalname ("*", a namespace's "ns.*", the
// term itself; "-pattern" excludes) is answered with those annotations,
// for the caller's language and time zone, and with Preference-Applied
// naming the preference as received. Without it, answers are unchanged:
// the plan reads no lookup names and no annotation is written.
//
// Served on OData collection reads (also ?fetchXml=) and reads by key,
// on the entities they $expand (single- and collection-valued, at every
// level), on written records' representations (Prefer:
// return=representation), and on the SDK's Retrieve and RetrieveMultiple,
// whose entities then carry FormattedValues and their EntityReferences
// Name and LogicalName.

// annotations is what a request's include-annotations preference takes.
type annotations struct {
	pref      string // the preference's value as received
	formatted bool   // OData.Community.Display.V1.FormattedValue
	logical   bool   // Microsoft.Dynamics.CRM.lookuplogicalname
}

type annotationsKey struct{}

// annotationsOf is the request's annotations, nil when it asks for none.
func annotationsOf(ctx context.Context) *annotations {
	a, _ := ctx.Value(annotationsKey{}).(*annotations)
	return a
}

// withAnnotations reads the include-annotations preference of r (the one
// reader, includeAnnotations in webapi.go); when it takes a formatted-value
// or lookup annotation, the returned request carries it and the response
// says Preference-Applied.
func withAnnotations(w http.ResponseWriter, r *http.Request) *http.Request {
	prefs, ok := includeAnnotations(r.Header)
	if !ok {
		return r
	}
	a := &annotations{pref: prefs.raw,
		formatted: prefs.wants(engine.FormattedValueAnnotation),
		logical:   prefs.wants(engine.LookupLogicalNameAnnotation)}
	if !a.formatted && !a.logical {
		return r
	}
	preferenceApplied(w, "odata.include-annotations="+a.pref)
	return r.WithContext(context.WithValue(r.Context(), annotationsKey{}, a))
}

// formatResult gives a result's fields their formatted values when the
// request asks for them: for the caller's language and zone (the user's
// settings; English (United States) and UTC otherwise).
func formatResult(ctx context.Context, p *Principal, pl *plan.Plan, res *engine.Result) {
	if annotationsOf(ctx) == nil || res == nil {
		return
	}
	f := engine.NewFormatter(engine.DefaultLCID, nil)
	if p != nil && p.Caller != nil {
		f = engine.NewFormatter(p.Caller.LanguageID, p.Caller.TimeZone)
	}
	f.Apply(pl.Columns, res)
}

// sdkFormatted gives an SDK entity the formatted values of its row, as
// the SDK's Entity.FormattedValues holds them, and its lookups' related
// names and tables (EntityReference.Name, LogicalName).
func sdkFormatted(ctx context.Context, e *Entity, row engine.Row) {
	if annotationsOf(ctx) == nil {
		return
	}
	for _, f := range row {
		if f.Formatted == nil {
			continue
		}
		if f.Formatted.HasValue {
			if e.FormattedValues == nil {
				e.FormattedValues = map[string]string{}
			}
			e.FormattedValues[f.Name] = f.Formatted.Value
		}
		if f.Formatted.LookupLogicalName != "" {
			if e.lookupTables == nil {
				e.lookupTables = map[string]string{}
			}
			e.lookupTables[f.Name] = f.Formatted.LookupLogicalName
		}
		if ref, ok := e.Attributes[f.Name].(EntityReference); ok {
			if f.Formatted.HasValue {
				ref.Name = f.Formatted.Value
			}
			if f.Formatted.LookupLogicalName != "" {
				ref.LogicalName = f.Formatted.LookupLogicalName
			}
			e.Attributes[f.Name] = ref
		}
	}
}
