package engine

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// The metadata JSON format is documented in doc.go. This file reads it into
// an intermediate model (metaDoc), which also drives the sample's DDL, and
// builds plan tables from that model.

type metaDoc struct {
	entities []*entityDef
	rels     []*relDef
}

type entityDef struct {
	LogicalName   string
	PhysicalName  string
	EntitySetName string
	PrimaryID     string
	PrimaryName   string
	Attrs         []*attrDef

	node *jnode
	path string
}

type attrDef struct {
	LogicalName  string
	PhysicalName string
	Type         plan.Type
	Behavior     plan.DateBehavior
	Targets      []string
	Options      []plan.Option
	MaxLength    int
	Precision    int
	HasPrecision bool
	Guid         plan.GuidStorage
	GuidDeclared bool
	// KeyColumns, with guidStorage "keymap", are the attributes whose
	// values the id is computed from (keymap.go).
	KeyColumns []string

	node *jnode
	path string
}

type relDef struct {
	SchemaName string
	ManyToMany bool
	// 1:N
	ReferencedEntity, ReferencedAttribute   string
	ReferencingEntity, ReferencingAttribute string
	Hierarchical                            bool
	// The organization's navigation property names (a CSDL $metadata's
	// NavigationProperty and its Partner); empty from the JSON format.
	ReferencingNavigation, ReferencedNavigation string
	// N:N
	Entity1, Entity2, IntersectEntity string
	Entity1Attr, Entity2Attr          string

	synthesized bool
	node        *jnode
	path        string
}

var (
	docKeys    = []string{"version", "description", "entities", "relationships"}
	entityKeys = []string{"logicalName", "physicalName", "entitySetName", "primaryIdAttribute", "primaryNameAttribute", "description", "attributes"}
	attrKeys   = []string{"logicalName", "physicalName", "type", "dateTimeBehavior", "targets", "options", "maxLength", "precision", "guidStorage", "keyColumns", "description"}
	optionKeys = []string{"value", "label"}
	relKeys    = []string{"schemaName", "description",
		"referencedEntity", "referencedAttribute", "referencingEntity", "referencingAttribute", "isHierarchical",
		"entity1", "entity2", "intersectEntity", "entity1IntersectAttribute", "entity2IntersectAttribute"}
)

// LoadMetadataFile reads a metadata file in vecompile's JSON format (see
// the package documentation) or a Dataverse Web API CSDL $metadata
// document or a Common Data Model model.json (Synapse Link), detected by
// content. Errors carry code BadMetadataFile, the line
// and column, and the JSON path of the offending value.
func LoadMetadataFile(path string) (plan.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.ErrorList{&diag.Error{Code: diag.BadMetadataFile, Msg: fmt.Sprintf("cannot read metadata file: %v", err), Err: err}}.Err()
	}
	return ParseMetadata(path, data)
}

// ParseMetadata is LoadMetadataFile for a document already in memory; name
// is used in error positions. The format is detected by content: an XML
// document is a Dataverse Web API CSDL $metadata document (ParseCSDL), a
// JSON document with "name"s rather than "logicalName"s a CDM model.json.
func ParseMetadata(name string, data []byte) (plan.Catalog, error) {
	if looksLikeXML(data) {
		return ParseCSDL(name, data)
	}
	src := diag.NewSource(name, data)
	if root, err := parseJSONTree(src, diag.BadMetadataFile); err == nil && isCDMModel(root) {
		return parseCDMModel(src, root)
	}
	doc, src, err := parseMetaDoc(name, data)
	if err != nil {
		return nil, err
	}
	return doc.catalog("", src)
}

func parseMetaDoc(name string, data []byte) (*metaDoc, *diag.Source, error) {
	src := diag.NewSource(name, data)
	root, err := parseJSONTree(src, diag.BadMetadataFile)
	if err != nil {
		return nil, src, diag.ErrorList{err.(*diag.Error)}.Err()
	}
	r := &treeReader{src: src, code: diag.BadMetadataFile}
	doc := readMetaDoc(root, r)
	if err := r.errs.Err(); err != nil {
		return nil, src, err
	}
	return doc, src, nil
}

func readMetaDoc(root *jnode, r *treeReader) *metaDoc {
	doc := &metaDoc{}
	if !r.object(root, "$", docKeys...) {
		return doc
	}
	if v := root.get("version"); v != nil && (v.kind != 'n' || v.num.String() != "1") {
		r.errorf(v, "$.version", "unsupported version %s: this build reads version 1", jsonText(v))
	}
	ents := root.get("entities")
	if ents == nil {
		r.errorf(root, "$", "missing \"entities\"")
	}
	for i, en := range r.array(root, "entities", "$") {
		path := fmt.Sprintf("$.entities[%d]", i)
		if !r.object(en, path, entityKeys...) {
			continue
		}
		e := &entityDef{
			LogicalName:   r.str(en, "logicalName", path),
			PhysicalName:  r.str(en, "physicalName", path),
			EntitySetName: r.str(en, "entitySetName", path),
			PrimaryID:     r.str(en, "primaryIdAttribute", path),
			PrimaryName:   r.str(en, "primaryNameAttribute", path),
			node:          en,
			path:          path,
		}
		if e.LogicalName == "" {
			r.errorf(en, path, "missing \"logicalName\"")
		}
		for j, an := range r.array(en, "attributes", path) {
			apath := fmt.Sprintf("%s.attributes[%d]", path, j)
			if !r.object(an, apath, attrKeys...) {
				continue
			}
			a := &attrDef{
				LogicalName:  r.str(an, "logicalName", apath),
				PhysicalName: r.str(an, "physicalName", apath),
				Targets:      r.strings(an, "targets", apath),
				MaxLength:    int(r.integer(an, "maxLength", apath)),
				Precision:    int(r.integer(an, "precision", apath)),
				KeyColumns:   r.strings(an, "keyColumns", apath),
				node:         an,
				path:         apath,
			}
			if p := an.get("precision"); p != nil && p.kind != 'z' {
				a.HasPrecision = true
			}
			if a.LogicalName == "" {
				r.errorf(an, apath, "missing \"logicalName\"")
			}
			tn := r.str(an, "type", apath)
			switch t, ok := plan.TypeByName(tn); {
			case tn == "":
				r.errorf(an, apath, "missing \"type\"")
			case !ok:
				r.errorf(an.get("type"), apath+".type", "unknown attribute type %q (use a Dataverse AttributeType name: String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime, Uniqueidentifier, Lookup, Owner, Customer, Picklist, State, Status, MultiSelectPicklist)", tn)
			default:
				a.Type = t
				if strings.EqualFold(tn, "date") || strings.EqualFold(tn, "dateonly") {
					a.Behavior = plan.DateOnly
				}
			}
			if bn := r.str(an, "dateTimeBehavior", apath); bn != "" {
				b, ok := plan.DateBehaviorByName(bn)
				switch {
				case !ok:
					r.errorf(an.get("dateTimeBehavior"), apath+".dateTimeBehavior", "unknown dateTimeBehavior %q (use UserLocal, DateOnly or TimeZoneIndependent)", bn)
				case a.Type != plan.TDateTime && a.Type != plan.TUnknown:
					r.errorf(an.get("dateTimeBehavior"), apath+".dateTimeBehavior", "dateTimeBehavior is only allowed on DateTime attributes, not %s", a.Type)
				default:
					a.Behavior = b
				}
			}
			if len(a.Targets) > 0 && a.Type.Kind() != plan.KGuid && a.Type != plan.TUnknown {
				r.errorf(an.get("targets"), apath+".targets", "targets are only allowed on Lookup, Owner and Customer attributes, not %s", a.Type)
			}
			if a.Type == plan.TUniqueidentifier && len(a.Targets) > 0 {
				r.errorf(an.get("targets"), apath+".targets", "targets are only allowed on Lookup, Owner and Customer attributes, not Uniqueidentifier")
			}
			if gs := r.str(an, "guidStorage", apath); gs != "" {
				g, ok := plan.GuidStorageByName(gs)
				switch {
				case !ok:
					r.errorf(an.get("guidStorage"), apath+".guidStorage", "unknown guidStorage %q (use lower, upper, anycase, native, binary, integer or keymap)", gs)
				case a.Type.Kind() != plan.KGuid && a.Type != plan.TUnknown:
					r.errorf(an.get("guidStorage"), apath+".guidStorage", "guidStorage is only allowed on Uniqueidentifier, Lookup, Owner and Customer attributes, not %s", a.Type)
				default:
					a.Guid, a.GuidDeclared = g, true
				}
			}
			if (a.Guid == plan.GuidKeyMap) != (len(a.KeyColumns) > 0) {
				r.errorf(an, apath, "guidStorage \"keymap\" and keyColumns go together: the id is computed from the keyColumns' values")
			}
			a.Options = readOptions(r, an, apath)
			if len(a.Options) > 0 {
				switch a.Type {
				case plan.TPicklist, plan.TState, plan.TStatus, plan.TMultiSelectPicklist, plan.TUnknown:
				case plan.TBoolean:
					// A Boolean's two labels (false 0, true 1), for formatted values.
					for _, o := range a.Options {
						if o.Value != 0 && o.Value != 1 {
							r.errorf(an.get("options"), apath+".options", "a Boolean's options are its labels for 0 (false) and 1 (true), not %d", o.Value)
						}
					}
				default:
					r.errorf(an.get("options"), apath+".options", "options are only allowed on Picklist, State, Status, MultiSelectPicklist and Boolean attributes, not %s", a.Type)
				}
			}
			if a.MaxLength < 0 || a.MaxLength > maxTextLength {
				r.errorf(an.get("maxLength"), apath+".maxLength", "maxLength %d out of range 1..1048576", a.MaxLength)
			}
			if a.MaxLength > 0 && a.Type.Kind() != plan.KString && a.Type != plan.TMultiSelectPicklist {
				r.errorf(an.get("maxLength"), apath+".maxLength", "maxLength is only allowed on String and Memo attributes, not %s", a.Type)
			}
			if a.HasPrecision {
				if a.Precision < 0 || a.Precision > 10 {
					r.errorf(an.get("precision"), apath+".precision", "precision %d out of range 0..10", a.Precision)
				}
				if k := a.Type.Kind(); k != plan.KDecimal && k != plan.KFloat {
					r.errorf(an.get("precision"), apath+".precision", "precision is only allowed on Decimal, Money and Double attributes, not %s", a.Type)
				}
				if a.Type == plan.TMoney && a.Precision > moneyPrecision {
					r.errorf(an.get("precision"), apath+".precision", "precision %d out of range 0..4 for Money", a.Precision)
				}
			}
			e.Attrs = append(e.Attrs, a)
		}
		doc.entities = append(doc.entities, e)
	}
	for i, rn := range r.array(root, "relationships", "$") {
		path := fmt.Sprintf("$.relationships[%d]", i)
		if !r.object(rn, path, relKeys...) {
			continue
		}
		rel := &relDef{
			SchemaName:           r.str(rn, "schemaName", path),
			ReferencedEntity:     r.str(rn, "referencedEntity", path),
			ReferencedAttribute:  r.str(rn, "referencedAttribute", path),
			ReferencingEntity:    r.str(rn, "referencingEntity", path),
			ReferencingAttribute: r.str(rn, "referencingAttribute", path),
			Hierarchical:         r.boolean(rn, "isHierarchical", path),
			Entity1:              r.str(rn, "entity1", path),
			Entity2:              r.str(rn, "entity2", path),
			IntersectEntity:      r.str(rn, "intersectEntity", path),
			Entity1Attr:          r.str(rn, "entity1IntersectAttribute", path),
			Entity2Attr:          r.str(rn, "entity2IntersectAttribute", path),
			node:                 rn,
			path:                 path,
		}
		oneToMany := rel.ReferencedEntity != "" || rel.ReferencedAttribute != "" || rel.ReferencingEntity != "" || rel.ReferencingAttribute != "" || rn.get("isHierarchical") != nil
		manyToMany := rel.Entity1 != "" || rel.Entity2 != "" || rel.IntersectEntity != "" || rel.Entity1Attr != "" || rel.Entity2Attr != ""
		switch {
		case rel.SchemaName == "":
			r.errorf(rn, path, "missing \"schemaName\"")
		case oneToMany && manyToMany:
			r.errorf(rn, path, "a relationship is either 1:N (referenced…/referencing… fields) or N:N (entity1, entity2, intersect… fields), not both")
		case manyToMany:
			rel.ManyToMany = true
			for _, f := range [][2]string{{"entity1", rel.Entity1}, {"entity2", rel.Entity2}, {"intersectEntity", rel.IntersectEntity}, {"entity1IntersectAttribute", rel.Entity1Attr}, {"entity2IntersectAttribute", rel.Entity2Attr}} {
				if f[1] == "" {
					r.errorf(rn, path, "N:N relationship %s: missing %q", rel.SchemaName, f[0])
				}
			}
		default:
			for _, f := range [][2]string{{"referencedEntity", rel.ReferencedEntity}, {"referencingEntity", rel.ReferencingEntity}, {"referencingAttribute", rel.ReferencingAttribute}} {
				if f[1] == "" {
					r.errorf(rn, path, "1:N relationship %s: missing %q", rel.SchemaName, f[0])
				}
			}
		}
		doc.rels = append(doc.rels, rel)
	}
	return doc
}

// readOptions reads an attribute's "options": [{"value": 1, "label":
// "Accounting"}, …]. Values are integers, unique per attribute; labels are
// non-empty strings.
func readOptions(r *treeReader, an *jnode, apath string) []plan.Option {
	var out []plan.Option
	for i, on := range r.array(an, "options", apath) {
		opath := fmt.Sprintf("%s.options[%d]", apath, i)
		if !r.object(on, opath, optionKeys...) {
			continue
		}
		o := plan.Option{Value: r.integer(on, "value", opath), Label: r.str(on, "label", opath)}
		switch {
		case on.get("value") == nil || on.get("value").kind != 'n':
			if on.get("value") == nil || on.get("value").kind == 'z' {
				r.errorf(on, opath, "missing \"value\"")
			}
			continue
		case o.Label == "":
			r.errorf(on, opath, "missing \"label\"")
			continue
		}
		dup := false
		for _, prev := range out {
			if prev.Value == o.Value {
				r.errorf(on.get("value"), opath+".value", "option value %d appears twice", o.Value)
				dup = true
			}
		}
		if !dup {
			out = append(out, o)
		}
	}
	return out
}

func jsonText(n *jnode) string {
	switch n.kind {
	case 's':
		return fmt.Sprintf("%q", n.str)
	case 'n':
		return n.num.String()
	}
	return n.kindName()
}

// maxLength is the column's length limit: the metadata's, else for String
// Dataverse's default for a new column (the sample's DDL uses it too).
func (a *attrDef) maxLength() int {
	if a.MaxLength == 0 && a.Type == plan.TString {
		return defaultStringLength
	}
	return a.MaxLength
}

// precision is the column's decimal places: the metadata's, else for
// Decimal Dataverse's default, which the sample's DDL uses too.
func (a *attrDef) precision() int {
	if !a.HasPrecision && a.Type == plan.TDecimal {
		return defaultDecimalPrecision
	}
	return a.Precision
}

func (e *entityDef) attr(name string) *attrDef {
	for _, a := range e.Attrs {
		if strings.EqualFold(a.LogicalName, name) {
			return a
		}
	}
	return nil
}

func (d *metaDoc) entity(name string) *entityDef {
	for _, e := range d.entities {
		if strings.EqualFold(e.LogicalName, name) {
			return e
		}
	}
	return nil
}

// resolve checks names, fills defaults and canonicalises references to the
// declared spellings. It is idempotent.
func (d *metaDoc) resolve(r *treeReader) {
	seen := map[string]*entityDef{}
	for _, e := range d.entities {
		if e.LogicalName == "" {
			continue
		}
		key := strings.ToLower(e.LogicalName)
		if prev := seen[key]; prev != nil {
			r.errorf(e.node, e.path+".logicalName", "duplicate entity %q (also at %s)", e.LogicalName, prev.path)
			continue
		}
		seen[key] = e
		if e.PhysicalName == "" {
			e.PhysicalName = e.LogicalName
		}
		if e.EntitySetName == "" {
			e.EntitySetName = pluralize(strings.ToLower(e.LogicalName))
		}
		attrs := map[string]*attrDef{}
		for _, a := range e.Attrs {
			if a.LogicalName == "" {
				continue
			}
			k := strings.ToLower(a.LogicalName)
			if prev := attrs[k]; prev != nil {
				r.errorf(a.node, a.path+".logicalName", "duplicate attribute %q on entity %q (also at %s)", a.LogicalName, e.LogicalName, prev.path)
				continue
			}
			attrs[k] = a
			if a.PhysicalName == "" {
				a.PhysicalName = a.LogicalName
			}
		}
		if e.PrimaryID == "" {
			if a := e.attr(e.LogicalName + "id"); a != nil {
				e.PrimaryID = a.LogicalName
			}
		} else if a := e.attr(e.PrimaryID); a == nil {
			r.errorf(e.node.get("primaryIdAttribute"), e.path+".primaryIdAttribute", "primary id attribute %q is not an attribute of %q", e.PrimaryID, e.LogicalName)
		} else {
			e.PrimaryID = a.LogicalName
		}
		if e.PrimaryName != "" {
			if a := e.attr(e.PrimaryName); a == nil {
				r.errorf(e.node.get("primaryNameAttribute"), e.path+".primaryNameAttribute", "primary name attribute %q is not an attribute of %q", e.PrimaryName, e.LogicalName)
			} else {
				e.PrimaryName = a.LogicalName
			}
		}
	}
	hier := map[*entityDef]*relDef{}
	for _, rel := range d.rels {
		if rel.SchemaName == "" {
			continue
		}
		ref := func(field, entity, attr string, attrRequired bool) (*entityDef, *attrDef) {
			e := d.entity(entity)
			if e == nil {
				r.errorf(rel.node, rel.path+"."+field, "relationship %s: unknown entity %q", rel.SchemaName, entity)
				return nil, nil
			}
			if attr == "" && !attrRequired {
				return e, nil
			}
			a := e.attr(attr)
			if a == nil {
				r.errorf(rel.node, rel.path, "relationship %s: %q is not an attribute of %q", rel.SchemaName, attr, e.LogicalName)
			}
			return e, a
		}
		if rel.ManyToMany {
			e1, _ := ref("entity1", rel.Entity1, "", false)
			e2, _ := ref("entity2", rel.Entity2, "", false)
			ie, a1 := ref("intersectEntity", rel.IntersectEntity, rel.Entity1Attr, true)
			var a2 *attrDef
			if ie != nil {
				_, a2 = ref("intersectEntity", rel.IntersectEntity, rel.Entity2Attr, true)
			}
			if e1 != nil && e2 != nil && ie != nil && a1 != nil && a2 != nil {
				rel.Entity1, rel.Entity2, rel.IntersectEntity = e1.LogicalName, e2.LogicalName, ie.LogicalName
				rel.Entity1Attr, rel.Entity2Attr = a1.LogicalName, a2.LogicalName
			}
			continue
		}
		if rel.ReferencedEntity == "" || rel.ReferencingEntity == "" || rel.ReferencingAttribute == "" {
			continue
		}
		de, da := ref("referencedEntity", rel.ReferencedEntity, rel.ReferencedAttribute, false)
		ge, ga := ref("referencingEntity", rel.ReferencingEntity, rel.ReferencingAttribute, true)
		if de == nil || ge == nil || ga == nil || (rel.ReferencedAttribute != "" && da == nil) {
			continue
		}
		if da == nil {
			if de.PrimaryID == "" {
				r.errorf(rel.node, rel.path, "relationship %s: %q has no primary id attribute; give referencedAttribute", rel.SchemaName, de.LogicalName)
				continue
			}
			da = de.attr(de.PrimaryID)
		}
		rel.ReferencedEntity, rel.ReferencedAttribute = de.LogicalName, da.LogicalName
		rel.ReferencingEntity, rel.ReferencingAttribute = ge.LogicalName, ga.LogicalName
		if rel.Hierarchical {
			if de != ge {
				r.errorf(rel.node.get("isHierarchical"), rel.path+".isHierarchical", "relationship %s: only a self-referential relationship (%s → %s) can be hierarchical", rel.SchemaName, ge.LogicalName, de.LogicalName)
			} else if prev := hier[de]; prev != nil && prev != rel {
				r.errorf(rel.node.get("isHierarchical"), rel.path+".isHierarchical", "relationship %s: entity %q already has the hierarchical relationship %s", rel.SchemaName, de.LogicalName, prev.SchemaName)
			} else {
				hier[de] = rel
			}
		}
		// The lookup learns its target from the relationship.
		if ga.Type.Kind() == plan.KGuid && ga.Type != plan.TUniqueidentifier && !containsFold(ga.Targets, de.LogicalName) {
			ga.Targets = append(ga.Targets, de.LogicalName)
		}
	}
	// Every lookup target that names an entity of the document gets a 1:N
	// relationship, so that link-entity can infer from/to.
	for _, e := range d.entities {
		for _, a := range e.Attrs {
			for _, t := range a.Targets {
				te := d.entity(t)
				if te == nil || te.PrimaryID == "" {
					continue
				}
				found := false
				for _, rel := range d.rels {
					if !rel.ManyToMany && strings.EqualFold(rel.ReferencingEntity, e.LogicalName) && strings.EqualFold(rel.ReferencingAttribute, a.LogicalName) && strings.EqualFold(rel.ReferencedEntity, te.LogicalName) {
						found = true
						break
					}
				}
				if !found {
					d.rels = append(d.rels, &relDef{
						SchemaName:       te.LogicalName + "_" + e.LogicalName + "_" + a.LogicalName,
						ReferencedEntity: te.LogicalName, ReferencedAttribute: te.PrimaryID,
						ReferencingEntity: e.LogicalName, ReferencingAttribute: a.LogicalName,
						synthesized: true,
					})
				}
			}
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// build resolves the document and returns its catalog. Table physical
// names get prefix.
// catalog is build with its errors (positioned in src) as the error.
func (d *metaDoc) catalog(prefix string, src *diag.Source) (plan.Catalog, error) {
	r := &treeReader{src: src, code: diag.BadMetadataFile}
	cat := d.build(prefix, r)
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return cat, nil
}

func (d *metaDoc) build(prefix string, r *treeReader) plan.MapCatalog {
	d.resolve(r)
	if len(r.errs) > 0 {
		return nil
	}
	rels := map[string][]*plan.Relationship{}
	for _, rel := range d.rels {
		pr := &plan.Relationship{SchemaName: rel.SchemaName}
		if rel.ManyToMany {
			pr.Kind = plan.ManyToMany
			pr.Table1, pr.Table2, pr.IntersectTable = rel.Entity1, rel.Entity2, rel.IntersectEntity
			pr.IntersectColumn1, pr.IntersectColumn2 = rel.Entity1Attr, rel.Entity2Attr
			addRel(rels, pr, rel.Entity1, rel.Entity2, rel.IntersectEntity)
			continue
		}
		pr.Kind = plan.OneToMany
		pr.ReferencedTable, pr.ReferencedColumn = rel.ReferencedEntity, rel.ReferencedAttribute
		pr.ReferencingTable, pr.ReferencingColumn = rel.ReferencingEntity, rel.ReferencingAttribute
		pr.Hierarchical = rel.Hierarchical
		pr.ReferencingNavigation, pr.ReferencedNavigation = rel.ReferencingNavigation, rel.ReferencedNavigation
		addRel(rels, pr, rel.ReferencedEntity, rel.ReferencingEntity)
	}
	cat := plan.MapCatalog{}
	keyCols := map[*plan.Column]*attrDef{}
	for _, e := range d.entities {
		t := plan.Table{
			LogicalName:   e.LogicalName,
			PhysicalName:  prefix + e.PhysicalName,
			EntitySetName: e.EntitySetName,
			PrimaryKey:    e.PrimaryID,
			PrimaryName:   e.PrimaryName,
			Relationships: rels[strings.ToLower(e.LogicalName)],
		}
		for _, a := range e.Attrs {
			if len(a.KeyColumns) > 0 {
				a.PhysicalName = "" // virtual: no column holds the id
			}
			t.Columns = append(t.Columns, &plan.Column{
				LogicalName:  a.LogicalName,
				PhysicalName: a.PhysicalName,
				Type:         a.Type,
				DateBehavior: a.Behavior,
				Targets:      append([]string(nil), a.Targets...),
				Options:      slices.Clone(a.Options),
				MaxLength:    a.maxLength(),
				Precision:    a.precision(),
				HasPrecision: a.HasPrecision || a.Type == plan.TDecimal,
				Guid:         a.Guid,
				GuidDeclared: a.GuidDeclared,
			})
			if len(a.KeyColumns) > 0 {
				keyCols[t.Columns[len(t.Columns)-1]] = a
			}
		}
		cat.Add(plan.NewTable(t))
	}
	inheritIntegerKeys(cat)
	for _, pass := range []bool{true, false} { // keys first, then the lookups holding them
		for _, t := range cat {
			for _, c := range t.Columns {
				a := keyCols[c]
				if a == nil || c.IsPrimaryKey != pass {
					continue
				}
				if err := BindKeyMap(cat, t, c, a.KeyColumns); err != nil {
					r.errs.Add(posError(r.src, a.node.off, a.path+".keyColumns", diag.KeyMapDeclaration, "%s", err.Error()))
				}
			}
		}
	}
	return cat
}

// inheritIntegerKeys stores a lookup whose metadata names no guidStorage
// as its targets' integer key when every target is keyed by one (the
// foreign key column then holds the integer).
func inheritIntegerKeys(cat plan.MapCatalog) {
	for _, t := range cat {
		for _, c := range t.Columns {
			if c.GuidDeclared || c.Type.Kind() != plan.KGuid || len(c.Targets) == 0 {
				continue
			}
			all := true
			for _, name := range c.Targets {
				tt, ok := cat.Table(name)
				if !ok {
					all = false
					break
				}
				pk, ok := tt.Column(tt.PrimaryKey)
				if all = ok && pk.Guid == plan.GuidInteger; !all {
					break
				}
			}
			if all {
				c.Guid, c.GuidDeclared = plan.GuidInteger, true
			}
		}
	}
}

func addRel(m map[string][]*plan.Relationship, r *plan.Relationship, tables ...string) {
	done := map[string]bool{}
	for _, t := range tables {
		k := strings.ToLower(t)
		if done[k] {
			continue
		}
		done[k] = true
		m[k] = append(m[k], r)
	}
}

// pluralize is the default entity set name: Dataverse's English plural of
// the logical name for the common cases.
func pluralize(s string) string {
	switch {
	case s == "":
		return s
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
