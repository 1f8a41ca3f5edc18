package server

import (
	"net/http"

	"github.com/vecompile/vecompile/plan"
)

// CatalogEntity describes one exposed entity (the role of the catalog
// entity of finance and operations, CDSVirtualEntityListEntity).
type CatalogEntity struct {
	LogicalName          string             `json:"LogicalName"`
	PhysicalName         string             `json:"PhysicalName"`
	EntitySetName        string             `json:"EntitySetName"`
	PrimaryIdAttribute   string             `json:"PrimaryIdAttribute"`
	PrimaryNameAttribute string             `json:"PrimaryNameAttribute,omitempty"`
	Attributes           []CatalogAttribute `json:"Attributes"`
	Relationships        []CatalogRelation  `json:"Relationships,omitempty"`
}

// CatalogAttribute describes one column.
type CatalogAttribute struct {
	LogicalName      string        `json:"LogicalName"`
	AttributeType    string        `json:"AttributeType"`
	DateTimeBehavior string        `json:"DateTimeBehavior,omitempty"`
	Targets          []string      `json:"Targets,omitempty"`
	Options          []plan.Option `json:"Options,omitempty"`
	IsPrimaryId      bool          `json:"IsPrimaryId,omitempty"`
}

// CatalogRelation describes a 1:N relationship the entity takes part in.
type CatalogRelation struct {
	SchemaName        string `json:"SchemaName"`
	ReferencedEntity  string `json:"ReferencedEntity"`
	ReferencedColumn  string `json:"ReferencedAttribute"`
	ReferencingEntity string `json:"ReferencingEntity"`
	ReferencingColumn string `json:"ReferencingAttribute"`
}

func (s *Server) catalogList(w http.ResponseWriter, _ *http.Request, _ *Principal) error {
	out := struct {
		Entities []CatalogEntity `json:"Entities"`
	}{Entities: make([]CatalogEntity, 0, len(s.catalog.tables))}
	for _, t := range s.catalog.tables {
		e := CatalogEntity{LogicalName: t.LogicalName, PhysicalName: t.PhysicalName, EntitySetName: s.catalog.entitySet(t),
			PrimaryIdAttribute: t.PrimaryKey, PrimaryNameAttribute: t.PrimaryName}
		for _, c := range t.Columns {
			a := CatalogAttribute{LogicalName: c.LogicalName, AttributeType: c.Type.String(), Targets: c.Targets, Options: c.Options, IsPrimaryId: c.IsPrimaryKey}
			if c.Type == plan.TDateTime {
				a.DateTimeBehavior = c.DateBehavior.String()
			}
			e.Attributes = append(e.Attributes, a)
		}
		for _, r := range t.Relationships {
			if r.Kind != plan.OneToMany {
				continue
			}
			e.Relationships = append(e.Relationships, CatalogRelation{SchemaName: r.SchemaName, ReferencedEntity: r.ReferencedTable,
				ReferencedColumn: r.ReferencedColumn, ReferencingEntity: r.ReferencingTable, ReferencingColumn: r.ReferencingColumn})
		}
		out.Entities = append(out.Entities, e)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
