package server

import (
	"context"
	"net/http"
	"strings"

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
// and on the SDK's Retrieve and RetrieveMultiple, whose entities then
// carry FormattedValues and their EntityReferences Name and LogicalName.
// A request with $expand is answered without them (the preference is not
// applied), as are written records' representations.

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

// withAnnotations reads the include-annotations preference of r; when it
// takes a formatted-value annotation, the returned request carries it and
// the response says Preference-Applied.
func withAnnotations(w http.ResponseWriter, r *http.Request) *http.Request {
	a := includeAnnotations(r.Header.Values("Prefer"))
	if a == nil || hasExpand(r) {
		return r
	}
	w.Header().Add("Preference-Applied", "odata.include-annotations="+a.pref)
	return r.WithContext(context.WithValue(r.Context(), annotationsKey{}, a))
}

// includeAnnotations parses the odata.include-annotations preference of
// Prefer header values (RFC 7240: preferences separated by commas, a value
// quoted when it holds one).
func includeAnnotations(headers []string) *annotations {
	for _, h := range headers {
		for _, p := range splitQuoted(h, ',') {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "odata.include-annotations") {
				continue
			}
			v = strings.TrimSpace(v)
			a := &annotations{pref: v}
			patterns := strings.Split(strings.Trim(v, `"`), ",")
			a.formatted = annotationIncluded(patterns, engine.FormattedValueAnnotation)
			a.logical = annotationIncluded(patterns, engine.LookupLogicalNameAnnotation)
			if a.formatted || a.logical {
				return a
			}
			return nil
		}
	}
	return nil
}

// annotationIncluded applies OData's include-annotations patterns to a
// term: an exclusion ("-pattern") wins over an inclusion.
func annotationIncluded(patterns []string, term string) bool {
	in := false
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		ex := strings.HasPrefix(p, "-")
		p = strings.TrimPrefix(p, "-")
		match := p == "*" || strings.EqualFold(p, term) ||
			strings.HasSuffix(p, ".*") && len(term) > len(p)-1 && strings.EqualFold(term[:len(p)-1], p[:len(p)-1])
		if match && ex {
			return false
		}
		in = in || match
	}
	return in
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
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

// annotate adds a field's annotations the request asks for to an OData
// entity.
func annotate(ctx context.Context, e map[string]any, f engine.Field) {
	a := annotationsOf(ctx)
	if a == nil || f.Formatted == nil {
		return
	}
	if a.formatted && f.Formatted.HasValue {
		e[f.Name+"@"+engine.FormattedValueAnnotation] = f.Formatted.Value
	}
	if a.logical && f.Formatted.LookupLogicalName != "" {
		e[f.Name+"@"+engine.LookupLogicalNameAnnotation] = f.Formatted.LookupLogicalName
	}
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
func annotateRow(ctx context.Context, e map[string]any, row engine.Row) map[string]any {
	for _, f := range row {
		annotate(ctx, e, f)
	}
	return e
}

// annotateEntity adds the annotations of a record read through Retrieve
// (sdkFormatted) to its OData entity.
func annotateEntity(ctx context.Context, out map[string]any, e *Entity) map[string]any {
	a := annotationsOf(ctx)
	if a == nil {
		return out
	}
	if a.formatted {
		for k, v := range e.FormattedValues {
			out[k+"@"+engine.FormattedValueAnnotation] = v
		}
	}
	if a.logical {
		for k, v := range e.lookupTables {
			out[k+"@"+engine.LookupLogicalNameAnnotation] = v
		}
	}
	return out
}
