package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// This file reads the Common Data Model model.json that Azure Synapse Link
// for Dataverse (and Export to Data Lake) writes beside its CSV files:
// entities with attributes (name, dataType) and partitions. model.json
// carries no keys, lookup targets, labels or entity sets, so the catalog is
// built as introspection builds one from a database without foreign keys
// (buildIntrospected): keys, lookups, owners, customers and the hierarchy
// by Dataverse's naming. Rules in docs/cli.md.

var (
	cdmRootKeys   = []string{"name", "description", "version", "culture", "modifiedTime", "application", "annotations", "entities", "relationships", "referenceModels", "isHidden"}
	cdmEntityKeys = []string{"$type", "name", "description", "annotations", "attributes", "partitions", "isHidden", "modifiedTime", "schemas", "cdm:traits"}
	cdmAttrKeys   = []string{"name", "dataType", "maxLength", "description", "annotations", "cdm:traits", "isHidden", "sourceColumnName"}
	cdmRelKeys    = []string{"$type", "name", "description", "fromAttribute", "toAttribute"}
	cdmEndKeys    = []string{"entityName", "attributeName"}
)

// cdmSQLTypes are model.json's data types, as the SQL declarations the
// introspected catalog is built from.
var cdmSQLTypes = map[string]string{
	"string": "text", "guid": "uuid", "boolean": "boolean",
	"int64": "bigint", "int32": "integer", "int16": "smallint",
	"decimal": "decimal", "double": "double", "date": "date",
	"datetime": "timestamp", "datetimeoffset": "timestamp",
}

// isCDMModel reports whether a JSON metadata document is a CDM model.json
// rather than vecompile's format: its root or entities have a "name" (ours
// say "logicalName"), or its version is a string ("1.0").
func isCDMModel(root *jnode) bool {
	if root.kind != 'o' {
		return false
	}
	if root.get("name") != nil || root.get("application") != nil {
		return true
	}
	if v := root.get("version"); v != nil && v.kind == 's' {
		return true
	}
	if ents := root.get("entities"); ents != nil && ents.kind == 'a' {
		for _, e := range ents.elems {
			if e.get("$type") != nil || e.get("name") != nil {
				return true
			}
		}
	}
	return false
}

// parseCDMModel reads a model.json document's tree into a catalog.
func parseCDMModel(src *diag.Source, root *jnode) (plan.Catalog, error) {
	_, tables, err := readCDMModel(src, root)
	if err != nil {
		return nil, err
	}
	return buildIntrospected(tables), nil
}

// cdmEntity is one LocalEntity of a model.json as the CSV loader needs it:
// its attributes in the partitions' column order, and the partitions'
// file names.
type cdmEntity struct {
	name       string
	path       string // JSON path, for errors
	node       *jnode
	attrs      []cdmAttr
	partitions []cdmPartition
}

// cdmAttr is one attribute: model.json's data type (lower case), its
// maxLength (-1 or 0: unlimited) and, for decimals, the precision and
// scale of its is.dataFormat.numeric.shaped trait (0 when absent).
type cdmAttr struct {
	name, dataType   string
	maxLength        int64
	precision, scale int64
}

// cdmPartition is a partition's location as model.json gives it (a URL
// in the lake), with its node for errors.
type cdmPartition struct {
	location, path string
	node           *jnode
}

// readCDMModel reads a model.json tree into its entities and the tables
// introspection's catalog builder takes.
func readCDMModel(src *diag.Source, root *jnode) ([]*cdmEntity, []*introTable, error) {
	r := &treeReader{src: src, code: diag.BadMetadataFile}
	if !r.object(root, "$", cdmRootKeys...) {
		return nil, nil, r.errs.Err()
	}
	if root.get("entities") == nil {
		r.errorf(root, "$", "missing \"entities\"")
	}
	var tables []*introTable
	var entities []*cdmEntity
	byName := map[string]*introTable{}
	for i, en := range r.array(root, "entities", "$") {
		path := fmt.Sprintf("$.entities[%d]", i)
		if !r.object(en, path, cdmEntityKeys...) {
			continue
		}
		if ty := r.str(en, "$type", path); ty != "" && ty != "LocalEntity" {
			r.errorf(en.get("$type"), path+".$type", "entity type %q: only LocalEntity entities describe a table (a ReferenceEntity lives in another model)", ty)
			continue
		}
		name := r.str(en, "name", path)
		if name == "" {
			r.errorf(en, path, "missing \"name\"")
			continue
		}
		if byName[strings.ToLower(name)] != nil {
			r.errorf(en.get("name"), path+".name", "duplicate entity %q", name)
			continue
		}
		t := &introTable{name: name}
		ent := &cdmEntity{name: name, path: path, node: en}
		cols := map[string]bool{}
		for j, an := range r.array(en, "attributes", path) {
			apath := fmt.Sprintf("%s.attributes[%d]", path, j)
			if !r.object(an, apath, cdmAttrKeys...) {
				continue
			}
			cn, dt := r.str(an, "name", apath), r.str(an, "dataType", apath)
			switch {
			case cn == "":
				r.errorf(an, apath, "missing \"name\"")
				continue
			case dt == "":
				r.errorf(an, apath, "missing \"dataType\"")
				continue
			case cols[strings.ToLower(cn)]:
				r.errorf(an.get("name"), apath+".name", "duplicate attribute %q on entity %q", cn, name)
				continue
			}
			r.integer(an, "maxLength", apath) // type-checked; -1 is "unlimited"
			decl, ok := cdmSQLTypes[strings.ToLower(dt)]
			if !ok {
				r.errorf(an.get("dataType"), apath+".dataType", "unknown dataType %q (model.json types: string, guid, boolean, int64, int32, int16, decimal, double, date, dateTime, dateTimeOffset)", dt)
				continue
			}
			cols[strings.ToLower(cn)] = true
			t.cols = append(t.cols, introCol{name: cn, typ: decl, guid: decl == "uuid"})
			a := cdmAttr{name: cn, dataType: strings.ToLower(dt)}
			if n := an.get("maxLength"); n != nil && n.kind == 'n' {
				a.maxLength, _ = strconv.ParseInt(n.num.String(), 10, 64)
			}
			a.precision, a.scale = cdmNumericShape(an)
			ent.attrs = append(ent.attrs, a)
		}
		for j, pn := range r.array(en, "partitions", path) {
			ppath := fmt.Sprintf("%s.partitions[%d]", path, j)
			if pn.kind != 'o' {
				r.errorf(pn, ppath, "expected an object, found %s", pn.kindName())
				continue
			}
			if loc := pn.get("location"); loc != nil && loc.kind == 's' {
				ent.partitions = append(ent.partitions, cdmPartition{location: loc.str, path: ppath + ".location", node: loc})
			}
		}
		byName[strings.ToLower(name)] = t
		tables = append(tables, t)
		entities = append(entities, ent)
	}
	for i, rn := range r.array(root, "relationships", "$") {
		path := fmt.Sprintf("$.relationships[%d]", i)
		if !r.object(rn, path, cdmRelKeys...) {
			continue
		}
		if ty := r.str(rn, "$type", path); ty != "SingleKeyRelationship" {
			r.errorf(rn, path+".$type", "relationship type %q: model.json relationships are SingleKeyRelationship", ty)
			continue
		}
		end := func(key string) (*introTable, string) {
			n := rn.get(key)
			epath := path + "." + key
			if n == nil {
				r.errorf(rn, path, "missing %q", key)
				return nil, ""
			}
			if !r.object(n, epath, cdmEndKeys...) {
				return nil, ""
			}
			tn, cn := r.str(n, "entityName", epath), r.str(n, "attributeName", epath)
			t := byName[strings.ToLower(tn)]
			if t == nil {
				r.errorf(n, epath+".entityName", "unknown entity %q", tn)
				return nil, ""
			}
			for _, c := range t.cols {
				if strings.EqualFold(c.name, cn) {
					return t, c.name
				}
			}
			r.errorf(n, epath+".attributeName", "%q is not an attribute of %q", cn, tn)
			return nil, ""
		}
		from, fcol := end("fromAttribute")
		to, tcol := end("toAttribute")
		if from != nil && to != nil {
			from.fks = append(from.fks, introFK{name: r.str(rn, "name", path), col: fcol, refTable: to.name, refCol: tcol})
		}
	}
	if err := r.errs.Err(); err != nil {
		return nil, nil, err
	}
	return entities, tables, nil
}

// cdmNumericShape reads the precision and scale of a decimal attribute's
// is.dataFormat.numeric.shaped trait, as Synapse Link writes it; 0, 0
// when the trait is absent or not of that shape (traits describe no
// column otherwise).
func cdmNumericShape(an *jnode) (precision, scale int64) {
	traits := an.get("cdm:traits")
	if traits == nil || traits.kind != 'a' {
		return 0, 0
	}
	for _, tr := range traits.elems {
		if ref := tr.get("traitReference"); ref == nil || ref.kind != 's' || ref.str != "is.dataFormat.numeric.shaped" {
			continue
		}
		args := tr.get("arguments")
		if args == nil || args.kind != 'a' {
			continue
		}
		for _, arg := range args.elems {
			n, v := arg.get("name"), arg.get("value")
			if n == nil || n.kind != 's' || v == nil || v.kind != 'n' {
				continue
			}
			x, err := strconv.ParseInt(v.num.String(), 10, 64)
			if err != nil {
				continue
			}
			switch n.str {
			case "precision":
				precision = x
			case "scale":
				scale = x
			}
		}
	}
	return precision, scale
}
