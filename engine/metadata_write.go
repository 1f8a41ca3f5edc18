package engine

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/plan"
)

// WriteMetadata prints a catalog in the metadata file format (doc.go):
// every table, its attributes with their types, lookup targets, date
// behaviours, option labels and GUID storage forms, and its 1:N
// relationships (N:N too). vecompile metadata --db DSN prints what
// introspection inferred this way, for a person to correct and pass back
// with --metadata. ParseMetadata reads the output back to the same
// catalog.
func WriteMetadata(w io.Writer, cat plan.MapCatalog) error {
	return writeMetadata(w, cat, true)
}

// WriteConvertedMetadata is WriteMetadata for a catalog read from a
// metadata document (a $metadata or model.json) and never compared with
// a database: it declares no GUID storage form, so that --db still probes
// each column's, and says where the document falls short.
func WriteConvertedMetadata(w io.Writer, cat plan.MapCatalog) error {
	return writeMetadata(w, cat, false)
}

func writeMetadata(w io.Writer, cat plan.MapCatalog, storage bool) error {
	type option struct {
		Value int64  `json:"value"`
		Label string `json:"label"`
	}
	type attr struct {
		LogicalName      string   `json:"logicalName"`
		PhysicalName     string   `json:"physicalName,omitempty"`
		Type             string   `json:"type"`
		DateTimeBehavior string   `json:"dateTimeBehavior,omitempty"`
		Targets          []string `json:"targets,omitempty"`
		Options          []option `json:"options,omitempty"`
		GuidStorage      string   `json:"guidStorage,omitempty"`
		KeyColumns       []string `json:"keyColumns,omitempty"`
		MaxLength        int      `json:"maxLength,omitempty"`
		Precision        *int     `json:"precision,omitempty"`
	}
	type entity struct {
		LogicalName          string `json:"logicalName"`
		PhysicalName         string `json:"physicalName,omitempty"`
		EntitySetName        string `json:"entitySetName,omitempty"`
		PrimaryIDAttribute   string `json:"primaryIdAttribute,omitempty"`
		PrimaryNameAttribute string `json:"primaryNameAttribute,omitempty"`
		Attributes           []attr `json:"attributes"`
	}
	type rel struct {
		SchemaName           string `json:"schemaName"`
		ReferencedEntity     string `json:"referencedEntity,omitempty"`
		ReferencedAttribute  string `json:"referencedAttribute,omitempty"`
		ReferencingEntity    string `json:"referencingEntity,omitempty"`
		ReferencingAttribute string `json:"referencingAttribute,omitempty"`
		IsHierarchical       bool   `json:"isHierarchical,omitempty"`
		Entity1              string `json:"entity1,omitempty"`
		Entity2              string `json:"entity2,omitempty"`
		IntersectEntity      string `json:"intersectEntity,omitempty"`
		Entity1Attr          string `json:"entity1IntersectAttribute,omitempty"`
		Entity2Attr          string `json:"entity2IntersectAttribute,omitempty"`
	}
	doc := struct {
		Version       int      `json:"version"`
		Description   string   `json:"description,omitempty"`
		Entities      []entity `json:"entities"`
		Relationships []rel    `json:"relationships,omitempty"`
	}{Version: 1, Description: "written by vecompile metadata: check the types, targets and relationships, then pass this file with --metadata"}
	if !storage {
		doc.Description = "converted by vecompile metadata: add what the source document does not carry (choice types and labels, memo, money, multi-select and date-only types, primary names), then pass this file with --metadata"
	}
	names := make([]string, 0, len(cat))
	for n := range cat {
		names = append(names, n)
	}
	slices.Sort(names)
	seen := map[*plan.Relationship]bool{}
	for _, n := range names {
		t := cat[n]
		e := entity{LogicalName: t.LogicalName, EntitySetName: t.EntitySetName, PrimaryIDAttribute: t.PrimaryKey, PrimaryNameAttribute: t.PrimaryName, Attributes: []attr{}}
		if t.PhysicalName != t.LogicalName {
			e.PhysicalName = t.PhysicalName
		}
		for _, c := range t.Columns {
			if c.Type == plan.TUnknown {
				continue // no type to write: the file would refuse it
			}
			a := attr{LogicalName: c.LogicalName, Type: c.Type.String(), Targets: c.Targets}
			if c.PhysicalName != c.LogicalName {
				a.PhysicalName = c.PhysicalName
			}
			if c.Type == plan.TDateTime && c.DateBehavior != plan.UserLocal {
				a.DateTimeBehavior = c.DateBehavior.String()
			}
			if c.Type.Kind() == plan.KGuid && (storage || c.GuidDeclared) {
				a.GuidStorage = c.Guid.String()
			}
			if c.Key != nil {
				a.GuidStorage = plan.GuidKeyMap.String() // declared by its key, whatever the probe's mode
				for _, p := range c.Key.Parts {
					a.KeyColumns = append(a.KeyColumns, p.LogicalName)
				}
			}
			a.MaxLength, a.Precision = fileLimits(c)
			for _, o := range c.Options {
				a.Options = append(a.Options, option{o.Value, o.Label})
			}
			e.Attributes = append(e.Attributes, a)
		}
		doc.Entities = append(doc.Entities, e)
		for _, r := range t.Relationships {
			if seen[r] {
				continue
			}
			seen[r] = true
			if r.Kind == plan.ManyToMany {
				doc.Relationships = append(doc.Relationships, rel{SchemaName: r.SchemaName, Entity1: r.Table1, Entity2: r.Table2,
					IntersectEntity: r.IntersectTable, Entity1Attr: r.IntersectColumn1, Entity2Attr: r.IntersectColumn2})
				continue
			}
			doc.Relationships = append(doc.Relationships, rel{SchemaName: r.SchemaName, ReferencedEntity: r.ReferencedTable, ReferencedAttribute: r.ReferencedColumn,
				ReferencingEntity: r.ReferencingTable, ReferencingAttribute: r.ReferencingColumn, IsHierarchical: r.Hierarchical})
		}
	}
	slices.SortFunc(doc.Relationships, func(a, b rel) int { return strings.Compare(a.SchemaName, b.SchemaName) })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// fileLimits are the maxLength and precision the file states for c.
// A file without them means Dataverse's defaults for a new column (100
// characters, 2 decimal places), so a column whose database declares no
// limit is written with the widest the file allows, never left out: the
// printed file read back must not refuse a value the database takes.
func fileLimits(c *plan.Column) (maxLength int, precision *int) {
	switch c.Type {
	case plan.TString, plan.TMemo:
		maxLength = c.MaxLength
		if maxLength == 0 {
			maxLength = maxTextLength
		}
	case plan.TDecimal, plan.TMoney, plan.TDouble:
		p := c.Precision
		if !c.HasPrecision {
			if c.Type != plan.TDecimal {
				return 0, nil // Money keeps 4 places, Double is not rounded
			}
			p = maxDecimalPrecision
		}
		precision = &p
	}
	return maxLength, precision
}
