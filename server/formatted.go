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

// annotate adds the formatted value fv of t's column name, when the
// request (a) asks for it, to an OData entity of t, under the column's
// property name (_x_value for a lookup). Lookup tables are annotated by
// the request's shaper (webapi.go).
func (a *annotations) annotate(t *plan.Table, e map[string]any, name string, fv *engine.Formatted) {
	if a == nil || !a.formatted || fv == nil || !fv.HasValue {
		return
	}
	prop, _ := odataProperty(t, name)
	e[prop+"@"+engine.FormattedValueAnnotation] = fv.Value
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

// annotateRow adds the annotations of a row's fields to its OData entity.
func annotateRow(ctx context.Context, t *plan.Table, e map[string]any, row engine.Row) map[string]any {
	a := annotationsOf(ctx)
	for _, f := range row {
		a.annotate(t, e, f.Name, f.Formatted)
	}
	return e
}

// annotateEntity adds the formatted values of a record read through
// Retrieve (sdkFormatted) to its OData entity of t.
func annotateEntity(ctx context.Context, t *plan.Table, out map[string]any, e *Entity) map[string]any {
	if a := annotationsOf(ctx); a == nil || !a.formatted {
		return out
	}
	for k, v := range e.FormattedValues {
		prop, _ := odataProperty(t, k)
		out[prop+"@"+engine.FormattedValueAnnotation] = v
	}
	return out
}
