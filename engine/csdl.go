package engine

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// This file reads a Dataverse Web API CSDL $metadata document (GET
// [org]/api/data/v9.2/$metadata) into the metadata model that vecompile's
// JSON format also fills (metaDoc). The mapping rules are documented in
// docs/semantics.md ("Metadata from the organization").

const (
	edmxNS = "http://docs.oasis-open.org/odata/ns/edmx"
	edmNS  = "http://docs.oasis-open.org/odata/ns/edm"
)

// Dataverse's abstract base types: they describe no table, and their
// properties (principal's ownerid) are no columns of the derived tables.
const (
	csdlBaseEntity = "crmbaseentity"
	csdlPrincipal  = "principal"
)

type csdlType struct {
	name, base string
	abstract   bool
	key        []string
	props      []*csdlProp
	navs       []*csdlNav
	off        int
}

type csdlProp struct {
	name, typ        string
	maxLength, scale string
	off              int
}

type csdlNav struct {
	name, typ, partner string
	collection         bool
	refProp, refTarget string // the ReferentialConstraint
	off, refOff        int
}

type csdlDoc struct {
	src   *diag.Source
	base  int // bytes before the XML (a byte-order mark)
	errs  diag.ErrorList
	types []*csdlType
	// prefixes are the schemas' namespaces and aliases, with the dot.
	prefixes []string
	sets     []csdlSet
}

type csdlSet struct {
	name, typ string
	off       int
}

func (c *csdlDoc) errorf(off int, path, format string, args ...any) {
	if !c.errs.Full() {
		c.errs.Add(posError(c.src, c.base+off, path, diag.BadMetadataFile, format, args...))
	}
}

// looksLikeXML reports whether a metadata file is an XML document (a CSDL
// $metadata document) rather than JSON.
func looksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

// ParseCSDL reads a Dataverse Web API $metadata document into a catalog.
// Errors carry code BadMetadataFile and the line and column in the XML.
func ParseCSDL(name string, data []byte) (plan.Catalog, error) {
	doc, src, err := parseCSDLDoc(name, data)
	if err != nil {
		return nil, err
	}
	return doc.catalog("", src)
}

func parseCSDLDoc(name string, data []byte) (*metaDoc, *diag.Source, error) {
	c := &csdlDoc{src: diag.NewSource(name, data)}
	c.read(data)
	if err := c.errs.Err(); err != nil {
		return nil, c.src, err
	}
	doc := c.metaDoc()
	if err := c.errs.Err(); err != nil {
		return nil, c.src, err
	}
	return doc, c.src, nil
}

// read parses the XML: Edmx, DataServices, Schema, EntityType and
// EntityContainer are read; the other schema elements (ComplexType,
// EnumType, Action, Function, Term, Annotations, TypeDefinition) describe
// no table and are skipped whole.
func (c *csdlDoc) read(data []byte) {
	if rest, ok := bytes.CutPrefix(data, []byte("\xef\xbb\xbf")); ok {
		data, c.base = rest, 3
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	seenRoot := false
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.syntaxError(d, err)
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if seenRoot {
				c.errorf(off, "", "a second root element <%s>", t.Name.Local)
				return
			}
			seenRoot = true
			if t.Name.Space != edmxNS || t.Name.Local != "Edmx" {
				c.errorf(off, "", "not a CSDL $metadata document: the root element is <%s> (namespace %q), expected edmx:Edmx (%s)", t.Name.Local, t.Name.Space, edmxNS)
				return
			}
			if v := attr(t, "Version"); v != "4.0" && v != "4.01" {
				c.errorf(off, "Edmx", "unsupported CSDL version %q: this build reads 4.0 and 4.01", v)
				return
			}
			if !c.children(d, "Edmx", func(se xml.StartElement, off int) bool {
				switch {
				case se.Name.Space == edmxNS && se.Name.Local == "DataServices":
					return c.children(d, "DataServices", func(se xml.StartElement, off int) bool {
						if se.Name.Space == edmNS && se.Name.Local == "Schema" {
							return c.schema(d, se)
						}
						c.errorf(off, "DataServices", "unexpected element <%s>", se.Name.Local)
						return false
					})
				case se.Name.Space == edmxNS && se.Name.Local == "Reference":
					return skip(d, c)
				}
				c.errorf(off, "Edmx", "unexpected element <%s>", se.Name.Local)
				return false
			}) {
				return
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				c.errorf(off, "", "text outside the root element")
				return
			}
		}
	}
	if !seenRoot {
		c.errorf(0, "", "empty document: expected a CSDL $metadata document (edmx:Edmx)")
	}
}

func (c *csdlDoc) syntaxError(d *xml.Decoder, err error) {
	var se *xml.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Msg
	}
	c.errorf(int(d.InputOffset()), "", "malformed XML: %s", msg)
}

// children calls f for each child element of the element just opened,
// until its end; text other than white space is an error. f returns false
// to stop reading (an error was reported).
func (c *csdlDoc) children(d *xml.Decoder, path string, f func(xml.StartElement, int) bool) bool {
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			c.syntaxError(d, err)
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !f(t, off) {
				return false
			}
		case xml.EndElement:
			return true
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				c.errorf(off, path, "unexpected text %q", truncate(string(bytes.TrimSpace(t)), 40))
				return false
			}
		}
	}
}

func skip(d *xml.Decoder, c *csdlDoc) bool {
	if err := d.Skip(); err != nil {
		c.syntaxError(d, err)
		return false
	}
	return true
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (c *csdlDoc) schema(d *xml.Decoder, se xml.StartElement) bool {
	ns := attr(se, "Namespace")
	c.prefixes = append(c.prefixes, ns+".")
	if a := attr(se, "Alias"); a != "" {
		c.prefixes = append(c.prefixes, a+".")
	}
	return c.children(d, "Schema", func(se xml.StartElement, off int) bool {
		if se.Name.Space != edmNS {
			c.errorf(off, "Schema", "unexpected element <%s> (namespace %q)", se.Name.Local, se.Name.Space)
			return false
		}
		switch se.Name.Local {
		case "EntityType":
			return c.entityType(d, se, off)
		case "EntityContainer":
			return c.container(d)
		case "ComplexType", "EnumType", "Action", "Function", "Term", "Annotations", "TypeDefinition", "Annotation":
			return skip(d, c)
		}
		c.errorf(off, "Schema", "unexpected element <%s>", se.Name.Local)
		return false
	})
}

func (c *csdlDoc) entityType(d *xml.Decoder, se xml.StartElement, off int) bool {
	t := &csdlType{name: attr(se, "Name"), base: attr(se, "BaseType"), abstract: attr(se, "Abstract") == "true", off: off}
	path := "EntityType[" + t.name + "]"
	if t.name == "" {
		c.errorf(off, "EntityType", "missing Name")
		return false
	}
	ok := c.children(d, path, func(se xml.StartElement, off int) bool {
		switch se.Name.Local {
		case "Key":
			return c.children(d, path+"/Key", func(se xml.StartElement, off int) bool {
				if se.Name.Local != "PropertyRef" || attr(se, "Name") == "" {
					c.errorf(off, path+"/Key", "expected <PropertyRef Name=…/>, found <%s>", se.Name.Local)
					return false
				}
				t.key = append(t.key, attr(se, "Name"))
				return skip(d, c)
			})
		case "Property":
			p := &csdlProp{name: attr(se, "Name"), typ: attr(se, "Type"), maxLength: attr(se, "MaxLength"), scale: attr(se, "Scale"), off: off}
			if p.name == "" || p.typ == "" {
				c.errorf(off, path+"/Property", "a Property needs Name and Type")
				return false
			}
			t.props = append(t.props, p)
			return c.annotationsOnly(d, path+"/Property["+p.name+"]")
		case "NavigationProperty":
			n := &csdlNav{name: attr(se, "Name"), typ: attr(se, "Type"), partner: attr(se, "Partner"), off: off}
			if n.name == "" || n.typ == "" {
				c.errorf(off, path+"/NavigationProperty", "a NavigationProperty needs Name and Type")
				return false
			}
			if inner, ok := strings.CutPrefix(n.typ, "Collection("); ok && strings.HasSuffix(inner, ")") {
				n.typ, n.collection = strings.TrimSuffix(inner, ")"), true
			}
			npath := path + "/NavigationProperty[" + n.name + "]"
			t.navs = append(t.navs, n)
			return c.children(d, npath, func(se xml.StartElement, off int) bool {
				switch se.Name.Local {
				case "ReferentialConstraint":
					if n.refProp != "" {
						c.errorf(off, npath, "more than one ReferentialConstraint: Dataverse lookups have one column")
						return false
					}
					n.refProp, n.refTarget, n.refOff = attr(se, "Property"), attr(se, "ReferencedProperty"), off
					if n.refProp == "" || n.refTarget == "" {
						c.errorf(off, npath, "a ReferentialConstraint needs Property and ReferencedProperty")
						return false
					}
					return skip(d, c)
				case "OnDelete", "Annotation":
					return skip(d, c)
				}
				c.errorf(off, npath, "unexpected element <%s>", se.Name.Local)
				return false
			})
		case "Annotation":
			return skip(d, c)
		}
		c.errorf(off, path, "unexpected element <%s>", se.Name.Local)
		return false
	})
	if ok {
		c.types = append(c.types, t)
	}
	return ok
}

func (c *csdlDoc) annotationsOnly(d *xml.Decoder, path string) bool {
	return c.children(d, path, func(se xml.StartElement, off int) bool {
		if se.Name.Local == "Annotation" {
			return skip(d, c)
		}
		c.errorf(off, path, "unexpected element <%s>", se.Name.Local)
		return false
	})
}

func (c *csdlDoc) container(d *xml.Decoder) bool {
	return c.children(d, "EntityContainer", func(se xml.StartElement, off int) bool {
		switch se.Name.Local {
		case "EntitySet":
			name, typ := attr(se, "Name"), attr(se, "EntityType")
			if name == "" || typ == "" {
				c.errorf(off, "EntityContainer/EntitySet", "an EntitySet needs Name and EntityType")
				return false
			}
			c.sets = append(c.sets, csdlSet{name, typ, off})
			return skip(d, c)
		case "Singleton", "ActionImport", "FunctionImport", "Annotation":
			return skip(d, c)
		}
		c.errorf(off, "EntityContainer", "unexpected element <%s>", se.Name.Local)
		return false
	})
}

// local strips a schema's namespace or alias from a qualified type name;
// ok is false for a name outside the document's schemas.
func (c *csdlDoc) local(qualified string) (string, bool) {
	for _, p := range c.prefixes {
		if len(qualified) > len(p) && strings.EqualFold(qualified[:len(p)], p) && !strings.Contains(qualified[len(p):], ".") {
			return qualified[len(p):], true
		}
	}
	return "", false
}

func (c *csdlDoc) typ(name string) *csdlType {
	for _, t := range c.types {
		if strings.EqualFold(t.name, name) {
			return t
		}
	}
	return nil
}

// derivesFrom reports whether t has base among its ancestors.
func (c *csdlDoc) derivesFrom(t *csdlType, base string) bool {
	for seen := 0; t != nil && seen <= len(c.types); seen++ {
		b, ok := c.local(t.base)
		if !ok {
			return false
		}
		if strings.EqualFold(b, base) {
			return true
		}
		t = c.typ(b)
	}
	return false
}

// key is t's key property, inherited from its base types when it declares
// none.
func (c *csdlDoc) key(t *csdlType) []string {
	for seen := 0; t != nil && seen <= len(c.types); seen++ {
		if len(t.key) > 0 {
			return t.key
		}
		b, ok := c.local(t.base)
		if !ok {
			return nil
		}
		t = c.typ(b)
	}
	return nil
}

// lookupColumn is the column of a lookup property: _x_value names column x.
func lookupColumn(prop string) (string, bool) {
	if s, ok := strings.CutPrefix(prop, "_"); ok {
		if col, ok := strings.CutSuffix(s, "_value"); ok && col != "" {
			return col, true
		}
	}
	return "", false
}

// metaDoc maps the document's tables onto the metadata model.
func (c *csdlDoc) metaDoc() *metaDoc {
	doc := &metaDoc{}
	seenType := map[string]*csdlType{}
	for _, t := range c.types {
		k := strings.ToLower(t.name)
		if prev := seenType[k]; prev != nil {
			c.errorf(t.off, "EntityType["+t.name+"]", "duplicate entity type %q", t.name)
		}
		seenType[k] = t
		if t.base != "" {
			if b, ok := c.local(t.base); !ok || c.typ(b) == nil {
				c.errorf(t.off, "EntityType["+t.name+"]", "BaseType %q is not an entity type of the document", t.base)
			}
		}
	}
	for _, set := range c.sets {
		if l, ok := c.local(set.typ); !ok || c.typ(l) == nil {
			c.errorf(set.off, "EntityContainer/EntitySet["+set.name+"]", "EntityType %q is not an entity type of the document", set.typ)
		}
	}
	if len(c.errs) > 0 {
		return doc
	}
	// principal's targets: every table deriving from it (systemuser, team).
	var principals []string
	for _, t := range c.types {
		if !t.abstract && c.derivesFrom(t, csdlPrincipal) {
			principals = append(principals, t.name)
		}
	}
	byType := map[*csdlType]*entityDef{}
	for _, t := range c.types {
		if t.abstract {
			continue
		}
		e := c.entity(t, principals)
		byType[t] = e
		doc.entities = append(doc.entities, e)
	}
	for _, t := range c.types {
		if e := byType[t]; e != nil {
			doc.rels = append(doc.rels, c.relationships(t, e, doc)...)
		}
	}
	return doc
}

func (c *csdlDoc) entity(t *csdlType, principals []string) *entityDef {
	path := "EntityType[" + t.name + "]"
	e := &entityDef{LogicalName: t.name, node: xmlNode(t.off), path: path}
	for _, set := range c.sets {
		if l, _ := c.local(set.typ); strings.EqualFold(l, t.name) {
			e.EntitySetName = set.name
		}
	}
	has := map[string]bool{}
	for _, p := range t.props {
		has[strings.ToLower(p.name)] = true
	}
	for _, p := range t.props {
		ppath := path + "/Property[" + p.name + "]"
		a := &attrDef{LogicalName: p.name, node: xmlNode(p.off), path: ppath}
		if col, ok := lookupColumn(p.name); ok {
			if p.typ != "Edm.Guid" {
				c.errorf(p.off, ppath, "a lookup property (_%s_value) must be Edm.Guid, not %s", col, p.typ)
				continue
			}
			a.LogicalName, a.Type = col, plan.TLookup
			for _, n := range t.navs {
				if n.collection || n.refProp != p.name {
					continue
				}
				target, _ := c.local(n.typ)
				if strings.EqualFold(target, csdlPrincipal) {
					a.Type = plan.TOwner
					for _, pr := range principals {
						if !containsFold(a.Targets, pr) {
							a.Targets = append(a.Targets, pr)
						}
					}
				} else if !containsFold(a.Targets, target) {
					a.Targets = append(a.Targets, target)
				}
			}
			if a.Type == plan.TLookup && len(a.Targets) > 1 {
				// A multi-table lookup: Dataverse's Customer type when
				// it targets accounts and contacts.
				customer := true
				for _, x := range a.Targets {
					customer = customer && (strings.EqualFold(x, "account") || strings.EqualFold(x, "contact"))
				}
				if customer {
					a.Type = plan.TCustomer
				}
			}
			e.Attrs = append(e.Attrs, a)
			continue
		}
		switch p.typ {
		case "Edm.Guid":
			a.Type = plan.TUniqueidentifier
		case "Edm.String":
			a.Type = plan.TString
			if p.maxLength != "" && !strings.EqualFold(p.maxLength, "max") {
				n, err := strconv.Atoi(p.maxLength)
				if err != nil || n < 1 || n > 1048576 {
					c.errorf(p.off, ppath, "MaxLength %q is not a length in 1..1048576", p.maxLength)
					continue
				}
				a.MaxLength = n
			}
		case "Edm.Int32":
			switch strings.ToLower(p.name) {
			case "statecode":
				a.Type = plan.TState
			case "statuscode":
				a.Type = plan.TStatus
			default:
				a.Type = plan.TInteger
			}
		case "Edm.Int64":
			a.Type = plan.TBigInt
		case "Edm.Decimal":
			a.Type = plan.TDecimal
			// Money columns come with their value in the base currency.
			base, isBase := strings.CutSuffix(strings.ToLower(p.name), "_base")
			if has[strings.ToLower(p.name)+"_base"] || (isBase && has[base]) {
				a.Type = plan.TMoney
			}
			if p.scale != "" && !strings.EqualFold(p.scale, "variable") {
				n, err := strconv.Atoi(p.scale)
				if err != nil || n < 0 || n > 10 {
					c.errorf(p.off, ppath, "Scale %q is not Variable or a number of decimal places in 0..10", p.scale)
					continue
				}
				a.Precision, a.HasPrecision = n, true
			}
		case "Edm.Double":
			a.Type = plan.TDouble
		case "Edm.Boolean":
			a.Type = plan.TBoolean
		case "Edm.DateTimeOffset":
			a.Type = plan.TDateTime
		case "Edm.Date":
			a.Type, a.Behavior = plan.TDateTime, plan.DateOnly
		case "Edm.Binary", "Edm.Stream":
			continue // images and files: no column a query reads (docs/semantics.md)
		default:
			c.errorf(p.off, ppath, "unsupported property type %q (Dataverse columns are Edm.Guid, String, Int32, Int64, Decimal, Double, Boolean, DateTimeOffset, Date; Binary and Stream are left out)", p.typ)
			continue
		}
		e.Attrs = append(e.Attrs, a)
	}
	key := c.key(t)
	switch {
	case len(key) > 1:
		c.errorf(t.off, path+"/Key", "a composite key (%s): Dataverse tables have one primary id", strings.Join(key, ", "))
	case len(key) == 1 && e.attr(key[0]) != nil:
		e.PrimaryID = e.attr(key[0]).LogicalName
	case e.attr(t.name+"id") != nil:
		// principal's key (ownerid) is the derived table's <name>id.
		e.PrimaryID = e.attr(t.name + "id").LogicalName
	case len(key) == 1:
		c.errorf(t.off, path+"/Key", "key property %q is not a property of %q", key[0], t.name)
	default:
		c.errorf(t.off, path, "entity type %q has no key", t.name)
	}
	if a := e.attr(e.PrimaryID); a != nil && a.Type != plan.TUniqueidentifier {
		c.errorf(t.off, path+"/Key", "key property %q is %s; Dataverse primary ids are Edm.Guid", a.LogicalName, a.Type)
	}
	e.PrimaryName = conventionalPrimaryName(t.name, func(n string) bool { a := e.attr(n); return a != nil && a.Type == plan.TString })
	return e
}

// relationships are t's single-valued navigation properties with a
// referential constraint (1:N, self-referencing parent<table>id as the
// hierarchy) and its N:N collection-valued ones whose intersect table the
// document holds.
func (c *csdlDoc) relationships(t *csdlType, e *entityDef, doc *metaDoc) []*relDef {
	var out []*relDef
	path := "EntityType[" + t.name + "]"
	for _, n := range t.navs {
		npath := path + "/NavigationProperty[" + n.name + "]"
		target, ok := c.local(n.typ)
		tt := c.typ(target)
		if !ok || tt == nil {
			c.errorf(n.off, npath, "Type %q is not an entity type of the document", n.typ)
			continue
		}
		if n.collection {
			if n.partner == n.name && n.refProp == "" {
				if rel := c.manyToMany(t, tt, n, doc); rel != nil {
					out = append(out, rel)
				}
			}
			continue
		}
		if n.refProp == "" || strings.EqualFold(target, csdlPrincipal) {
			continue // owners: the targets alone (resolve adds one relationship per target)
		}
		col, isLookup := lookupColumn(n.refProp)
		if !isLookup {
			col = n.refProp
		}
		a := e.attr(col)
		if a == nil {
			c.errorf(n.refOff, npath+"/ReferentialConstraint", "Property %q is not a property of %q", n.refProp, t.name)
			continue
		}
		te := doc.entity(target)
		if te == nil {
			c.errorf(n.off, npath, "Type %q is abstract: a lookup's navigation property targets a table", n.typ)
			continue
		}
		if !strings.EqualFold(n.refTarget, te.PrimaryID) {
			c.errorf(n.refOff, npath+"/ReferentialConstraint", "ReferencedProperty %q is not the primary id of %q (%s)", n.refTarget, target, te.PrimaryID)
			continue
		}
		name := n.partner
		if name == "" {
			name = te.LogicalName + "_" + t.name + "_" + a.LogicalName
		}
		out = append(out, &relDef{
			SchemaName:       name,
			ReferencedEntity: te.LogicalName, ReferencedAttribute: te.PrimaryID,
			ReferencingEntity: t.name, ReferencingAttribute: a.LogicalName,
			ReferencingNavigation: n.name, ReferencedNavigation: n.partner,
			Hierarchical: strings.EqualFold(te.LogicalName, t.name) && strings.EqualFold(a.LogicalName, "parent"+t.name+"id"),
			node:         xmlNode(n.off),
			path:         npath,
		})
	}
	return out
}

// manyToMany reads an N:N navigation property (Dataverse names both sides
// after the relationship, so Partner is the property's own name). The
// intersect table is not in $metadata: it is the document's one other
// table holding both tables' primary ids as Edm.Guid properties.
func (c *csdlDoc) manyToMany(t, tt *csdlType, n *csdlNav, doc *metaDoc) *relDef {
	e1, e2 := doc.entity(t.name), doc.entity(tt.name)
	if e1 == nil || e2 == nil || e1 == e2 || e1.PrimaryID == "" || e2.PrimaryID == "" {
		return nil
	}
	for _, r := range doc.rels {
		if r.ManyToMany && r.SchemaName == n.name {
			return nil // declared on the other side already
		}
	}
	var found []*entityDef
	for _, ie := range doc.entities {
		if ie == e1 || ie == e2 {
			continue
		}
		a1, a2 := ie.attr(e1.PrimaryID), ie.attr(e2.PrimaryID)
		if a1 != nil && a2 != nil && a1.Type == plan.TUniqueidentifier && a2.Type == plan.TUniqueidentifier {
			found = append(found, ie)
		}
	}
	if len(found) != 1 {
		return nil
	}
	return &relDef{
		SchemaName: n.name, ManyToMany: true,
		Entity1: e1.LogicalName, Entity2: e2.LogicalName, IntersectEntity: found[0].LogicalName,
		Entity1Attr: e1.PrimaryID, Entity2Attr: e2.PrimaryID,
		node: xmlNode(n.off),
		path: "EntityType[" + t.name + "]/NavigationProperty[" + n.name + "]",
	}
}

// xmlNode stands for an XML element in the metadata model, so that the
// checks shared with the JSON format (metaDoc.resolve) point at the
// element whichever field they name.
func xmlNode(off int) *jnode {
	n := &jnode{kind: 'o', off: off}
	for _, k := range []string{"logicalName", "primaryIdAttribute", "primaryNameAttribute", "isHierarchical"} {
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, &jnode{kind: 's', off: off})
	}
	return n
}
