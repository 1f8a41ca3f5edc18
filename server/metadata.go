package server

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// $metadata: the CSDL of the exposed entities, with the
// Org.OData.Capabilities.V1 annotations that say what this server refuses,
// so that a client generated from the document does not send it
// (docs/odata.md, "$metadata"). Each statement is tied to a refusal:
//
//   - SearchRestrictions Searchable=false: $search is VE1014.
//   - SkipSupported=false: $skip is served only as a multiple of $top
//     (FetchXML pages), so a client cannot skip freely; server-driven
//     paging (@odata.nextLink) is the way through a collection.
//   - ExpandRestrictions: no $levels, no * or /$ref or /$count, and
//     collection-valued $expand nested at most
//     odataparse.MaxCollectionDepth deep (MaxLevels).
//   - SortRestrictions: $orderby on a path through a navigation property
//     is refused (NonSortableProperties: the navigation properties).
//   - NavigationRestrictions Navigability=None: no /set(key)/navigation
//     resource paths (only /set, /set(key) and /set/$count are routed).
//   - BatchSupport: JSON and multipart batches with change sets,
//     odata.continue-on-error and Content-ID references in bodies.
//   - KeyAsSegmentSupported=false, CrossJoinSupported=false.

const capNS = "Org.OData.Capabilities.V1"

// odataMetadata writes the CSDL of the exposed entities.
func (s *Server) odataMetadata(w http.ResponseWriter, _ *http.Request, _ *Principal) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">` + "\n")
	b.WriteString(`<edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">`)
	b.WriteString(`<edmx:Include Namespace="` + capNS + `" Alias="Capabilities"/></edmx:Reference>` + "\n")
	b.WriteString(`<edmx:DataServices>` + "\n")
	b.WriteString(`<Schema Namespace="` + odataNS + `" xmlns="http://docs.oasis-open.org/odata/ns/edm">` + "\n")
	for _, t := range s.catalog.tables {
		b.WriteString(`<EntityType Name="` + xmlEsc(t.LogicalName) + `">`)
		b.WriteString(`<Key><PropertyRef Name="` + xmlEsc(t.PrimaryKey) + `"/></Key>`)
		for _, c := range t.Columns {
			name, _ := odataProperty(t, c.LogicalName)
			b.WriteString(`<Property Name="` + xmlEsc(name) + `" Type="` + edmType(c) + `"`)
			if c.IsPrimaryKey {
				b.WriteString(` Nullable="false"`)
			}
			b.WriteString(edmFacets(c))
			b.WriteString(`/>`)
		}
		for _, n := range s.catalog.navigation(t) {
			if n.many {
				b.WriteString(`<NavigationProperty Name="` + xmlEsc(n.name) + `" Type="Collection(` + odataNS + `.` + xmlEsc(n.target.LogicalName) + `)"/>`)
				continue
			}
			ref, _ := odataProperty(t, n.column)
			b.WriteString(`<NavigationProperty Name="` + xmlEsc(n.name) + `" Type="` + odataNS + `.` + xmlEsc(n.target.LogicalName) + `">`)
			b.WriteString(`<ReferentialConstraint Property="` + xmlEsc(ref) + `" ReferencedProperty="` + xmlEsc(n.target.PrimaryKey) + `"/></NavigationProperty>`)
		}
		b.WriteString("</EntityType>\n")
	}
	b.WriteString(`<EntityContainer Name="Container">` + "\n")
	for _, t := range s.catalog.tables {
		b.WriteString(`<EntitySet Name="` + xmlEsc(s.catalog.entitySet(t)) + `" EntityType="` + odataNS + `.` + xmlEsc(t.LogicalName) + `">`)
		navs := s.catalog.navigation(t)
		for _, n := range navs {
			b.WriteString(`<NavigationPropertyBinding Path="` + xmlEsc(n.name) + `" Target="` + xmlEsc(s.catalog.entitySet(n.target)) + `"/>`)
		}
		entitySetCapabilities(&b, navs)
		b.WriteString("</EntitySet>\n")
	}
	containerCapabilities(&b, s.cfg.MaxBody)
	b.WriteString("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("OData-Version", "4.0")
	w.Write([]byte(b.String()))
	return nil
}

func xmlEsc(v string) string {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(v))
	return strings.ReplaceAll(sb.String(), `"`, "&#34;")
}

// edmFacets are a property's Precision and Scale: Money as Dataverse
// declares it (Scale 4, the stored precision, whatever the display
// precision), a Decimal's Scale from its metadata's precision (Variable
// when the metadata gives none: CSDL reads a missing Scale as 0).
func edmFacets(c *plan.Column) string {
	switch c.Type {
	case plan.TMoney:
		return ` Precision="19" Scale="4"`
	case plan.TDecimal:
		if c.HasPrecision {
			return ` Precision="23" Scale="` + strconv.Itoa(c.Precision) + `"`
		}
		return ` Scale="Variable"`
	}
	return ""
}

func capBool(b *strings.Builder, term string, v bool) {
	b.WriteString(`<Annotation Term="` + capNS + `.` + term + `" Bool="` + strconv.FormatBool(v) + `"/>`)
}

// capRecord writes a record annotation; props are "Name", "<value element>".
func capRecord(b *strings.Builder, term string, props ...string) {
	b.WriteString(`<Annotation Term="` + capNS + `.` + term + `"><Record>`)
	for i := 0; i+1 < len(props); i += 2 {
		b.WriteString(`<PropertyValue Property="` + props[i] + `"` + props[i+1] + `</PropertyValue>`)
	}
	b.WriteString(`</Record></Annotation>`)
}

func boolVal(v bool) string { return ` Bool="` + strconv.FormatBool(v) + `">` }

func entitySetCapabilities(b *strings.Builder, navs []navProperty) {
	capRecord(b, "SearchRestrictions", "Searchable", boolVal(false))
	capBool(b, "TopSupported", true)
	capBool(b, "SkipSupported", false)
	capBool(b, "IndexableByKey", true)
	capRecord(b, "CountRestrictions", "Countable", boolVal(true))
	capRecord(b, "FilterRestrictions", "Filterable", boolVal(true), "RequiresFilter", boolVal(false))
	var nonSortable strings.Builder
	nonSortable.WriteString(`><Collection>`)
	for _, n := range navs {
		nonSortable.WriteString(`<NavigationPropertyPath>` + xmlEsc(n.name) + `</NavigationPropertyPath>`)
	}
	nonSortable.WriteString(`</Collection>`)
	capRecord(b, "SortRestrictions", "Sortable", boolVal(true), "NonSortableProperties", nonSortable.String())
	capRecord(b, "ExpandRestrictions", "Expandable", boolVal(true), "StreamsExpandable", boolVal(false),
		"MaxLevels", ` Int="`+strconv.Itoa(odataparse.MaxCollectionDepth)+`">`)
	capRecord(b, "NavigationRestrictions", "Navigability", `><EnumMember>`+capNS+`.NavigationType/None</EnumMember>`)
}

// containerCapabilities are the service's; bodyLimit is a request body's
// most bytes, a batch's included.
func containerCapabilities(b *strings.Builder, bodyLimit int64) {
	capBool(b, "BatchSupported", true)
	capRecord(b, "BatchSupport", "Supported", boolVal(true), "ContinueOnErrorSupported", boolVal(true),
		"ReferencesInRequestBodiesSupported", boolVal(true), "ReferencesAcrossChangeSetsSupported", boolVal(true),
		"EtagReferencesSupported", boolVal(false), "RequestBodyLimit", ` Int="`+strconv.FormatInt(bodyLimit, 10)+`">`,
		"SupportedFormats", `><Collection><String>multipart/mixed</String><String>application/json</String></Collection>`)
	capBool(b, "KeyAsSegmentSupported", false)
	capBool(b, "CrossJoinSupported", false)
}
