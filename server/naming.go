package server

import (
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// Naming is a virtual-entity naming profile (spec fetchxml.md §7.3): the
// Dataverse side sees every backend table and field under Prefix followed
// by its lower-cased physical name (CustCustomerV3Entity →
// mserp_custcustomerv3entity, CustomerAccount → mserp_customeraccount,
// dataAreaId → mserp_dataareaid, the Company Code), while SQL keeps the
// backend's physical names. It is a metadata-level mapping: Apply returns
// a catalog whose logical names are the Dataverse names and whose physical
// names are the backend's, so queries, writes and results translate with
// no code of their own.
type Naming struct {
	Prefix string // "mserp_" for finance and operations virtual entities
	// Tables limits the profile to these backend tables (logical names as
	// the backend catalog has them); empty: every table.
	Tables []string
	// Fields overrides generated field names: backend physical name
	// (case-insensitive) → Dataverse logical name.
	Fields map[string]string
	// Companies maps company codes (dataAreaId) to the ids of the
	// environment's cdm_company rows; when set, company-striped entities
	// get the Company lookup mserp_dataareaid_id (company.go).
	Companies map[string]string
}

// VirtualEntityProfile is the finance and operations naming: prefix
// "mserp_", the Company Code dataAreaId as mserp_dataareaid.
func VirtualEntityProfile(tables ...string) *Naming {
	return &Naming{Prefix: "mserp_", Tables: tables, Fields: map[string]string{"dataareaid": "mserp_dataareaid"}}
}

// DataverseName is the Dataverse-side logical name of a backend physical
// name.
func (n *Naming) DataverseName(physical string) string {
	return n.Prefix + strings.ToLower(physical)
}

func (n *Naming) fieldName(physical string) string {
	if f, ok := n.Fields[strings.ToLower(physical)]; ok {
		return f
	}
	return n.DataverseName(physical)
}

func (n *Naming) applies(logical string) bool {
	if len(n.Tables) == 0 {
		return true
	}
	for _, t := range n.Tables {
		if strings.EqualFold(t, logical) {
			return true
		}
	}
	return false
}

// Apply renames the tables of a listable catalog (plan.MapCatalog or a
// Lister). Tables outside Tables keep their names; lookups and
// relationships pointing at renamed tables follow them.
func (n *Naming) Apply(cat plan.Catalog) (plan.Catalog, error) {
	var tables []*plan.Table
	switch c := cat.(type) {
	case plan.MapCatalog:
		for _, t := range c {
			tables = append(tables, t)
		}
	case Lister:
		tables = c.Tables()
	default:
		return nil, configError(diag.BadFlag, "the naming profile needs a catalog that lists its tables")
	}
	tableName := map[string]string{}          // old logical (lower) → new logical
	colName := map[string]map[string]string{} // old table (lower) → old column (lower) → new
	for _, t := range tables {
		if !n.applies(t.LogicalName) {
			continue
		}
		tableName[strings.ToLower(t.LogicalName)] = n.DataverseName(t.PhysicalName)
		cols := map[string]string{}
		for _, c := range t.Columns {
			cols[strings.ToLower(c.LogicalName)] = n.fieldName(c.PhysicalName)
		}
		colName[strings.ToLower(t.LogicalName)] = cols
	}
	rt := func(name string) string {
		if nn, ok := tableName[strings.ToLower(name)]; ok {
			return nn
		}
		return name
	}
	rc := func(table, col string) string {
		if nn, ok := colName[strings.ToLower(table)][strings.ToLower(col)]; ok {
			return nn
		}
		return col
	}
	out := plan.MapCatalog{}
	for _, t := range tables {
		nt := plan.Table{
			LogicalName:   rt(t.LogicalName),
			PhysicalName:  t.PhysicalName,
			EntitySetName: t.EntitySetName,
			PrimaryKey:    rc(t.LogicalName, t.PrimaryKey),
			PrimaryName:   rc(t.LogicalName, t.PrimaryName),
		}
		if _, renamed := tableName[strings.ToLower(t.LogicalName)]; renamed {
			nt.EntitySetName = pluralize(nt.LogicalName)
		}
		for _, c := range t.Columns {
			nc := *c
			nc.LogicalName = rc(t.LogicalName, c.LogicalName)
			nc.Targets = nil
			for _, tg := range c.Targets {
				nc.Targets = append(nc.Targets, rt(tg))
			}
			nt.Columns = append(nt.Columns, &nc)
		}
		if _, renamed := tableName[strings.ToLower(t.LogicalName)]; renamed && len(n.Companies) > 0 {
			var code *plan.Column
			taken := false
			for _, c := range nt.Columns {
				switch strings.ToLower(c.LogicalName) {
				case companyCodeField:
					code = c
				case companyLookupField:
					taken = true
				}
			}
			if code != nil && !taken {
				nt.Columns = append(nt.Columns, companyColumn(code))
			}
		}
		for _, r := range t.Relationships {
			nr := *r
			nr.ReferencedTable, nr.ReferencedColumn = rt(r.ReferencedTable), rc(r.ReferencedTable, r.ReferencedColumn)
			nr.ReferencingTable, nr.ReferencingColumn = rt(r.ReferencingTable), rc(r.ReferencingTable, r.ReferencingColumn)
			nr.Table1, nr.Table2 = rt(r.Table1), rt(r.Table2)
			nt.Relationships = append(nt.Relationships, &nr)
		}
		out.Add(plan.NewTable(nt))
	}
	return out, nil
}

// pluralize is the entity set name of a logical name (English plural for
// the common endings, as Dataverse names entity sets).
func pluralize(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
