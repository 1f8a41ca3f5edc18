package engine

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// LoadSQL4CDSMetadata reads the SQL 4 CDS test schema
// (corpus/sql4cds-fetchxml/test-metadata.json: "schemas" → schema name →
// entity → {attributes: {name: {dataverse_type}}, relationships}) and
// returns one schema as a catalog, with the tweaks the file's "note" says
// FakeXrmEasyTestsBase applies:
//
//   - every entity's primary id attribute is <entity>id, and every entity
//     has versionnumber (BigInt);
//   - primary names: account.name, contact.fullname, team.name,
//     new_customentity.new_name, where the attribute exists;
//   - ownerid is an Owner lookup to systemuser and team;
//     parentcustomerid is a Customer lookup to account and contact;
//     primarycontactid → contact; parentaccountid → account;
//   - relationships with a via_attribute become 1:N relationships from the
//     lookup to the entity named by property_type;
//   - account.parentaccountid is account's hierarchical relationship (the
//     only one the tests use: not-under on accountid).
//
// Physical names equal logical names. It is meant for tests.
func LoadSQL4CDSMetadata(path, schema string) (plan.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.ErrorList{&diag.Error{Code: diag.BadMetadataFile, Msg: fmt.Sprintf("cannot read metadata file: %v", err), Err: err}}.Err()
	}
	src := diag.NewSource(path, data)
	root, err := parseJSONTree(src, diag.BadMetadataFile)
	if err != nil {
		return nil, diag.ErrorList{err.(*diag.Error)}.Err()
	}
	r := &treeReader{src: src, code: diag.BadMetadataFile}
	fail := func(n *jnode, p, format string, args ...any) (plan.Catalog, error) {
		r.errorf(n, p, format, args...)
		return nil, r.errs.Err()
	}
	if root.kind != 'o' {
		return fail(root, "$", "expected an object")
	}
	schemas := root.get("schemas")
	if schemas == nil || schemas.kind != 'o' {
		return fail(root, "$", "missing \"schemas\" object")
	}
	sn := schemas.get(schema)
	if sn == nil {
		names := append([]string(nil), schemas.keys...)
		sort.Strings(names)
		return fail(schemas, "$.schemas", "no schema %q (have %s)", schema, strings.Join(names, ", "))
	}
	base := "$.schemas[" + fmt.Sprintf("%q", schema) + "]"
	if sn.kind != 'o' {
		return fail(sn, base, "expected an object")
	}
	doc := &metaDoc{}
	for i, name := range sn.keys {
		en := sn.vals[i]
		epath := base + "." + name
		if en.kind != 'o' {
			r.errorf(en, epath, "expected an object")
			continue
		}
		logical := strings.ToLower(name)
		e := &entityDef{LogicalName: logical, PrimaryID: logical + "id", node: en, path: epath}
		if an := en.get("attributes"); an != nil && an.kind == 'o' {
			for j, aname := range an.keys {
				av := an.vals[j]
				apath := epath + ".attributes." + aname
				if av.kind != 'o' {
					r.errorf(av, apath, "expected an object")
					continue
				}
				tn := r.str(av, "dataverse_type", apath)
				t, ok := plan.TypeByName(tn)
				if !ok {
					r.errorf(av, apath+".dataverse_type", "unknown dataverse_type %q", tn)
					continue
				}
				e.Attrs = append(e.Attrs, &attrDef{LogicalName: strings.ToLower(aname), Type: t, node: av, path: apath})
			}
		}
		if e.attr(e.PrimaryID) == nil {
			e.Attrs = append([]*attrDef{{LogicalName: e.PrimaryID, Type: plan.TUniqueidentifier}}, e.Attrs...)
		}
		if e.attr("versionnumber") == nil {
			e.Attrs = append(e.Attrs, &attrDef{LogicalName: "versionnumber", Type: plan.TBigInt})
		}
		for _, pn := range []string{"name", "fullname", "new_name"} {
			if a := e.attr(pn); a != nil && a.Type.Kind() == plan.KString {
				e.PrimaryName = a.LogicalName
				break
			}
		}
		for _, a := range e.Attrs {
			switch a.LogicalName {
			case "ownerid":
				a.Type, a.Targets = plan.TOwner, []string{"systemuser", "team"}
			case "parentcustomerid":
				a.Type, a.Targets = plan.TCustomer, []string{"account", "contact"}
			case "primarycontactid":
				a.Targets = []string{"contact"}
			case "parentaccountid":
				a.Targets = []string{"account"}
			}
		}
		doc.entities = append(doc.entities, e)
	}
	// Relationships with a via_attribute: this entity's lookup to the
	// entity of property_type.
	for i, name := range sn.keys {
		en := sn.vals[i]
		if en.kind != 'o' {
			continue
		}
		e := doc.entity(name)
		rels := en.get("relationships")
		if rels == nil || rels.kind != 'a' {
			continue
		}
		for k, rn := range rels.elems {
			rpath := fmt.Sprintf("%s.%s.relationships[%d]", base, name, k)
			if rn.kind != 'o' {
				r.errorf(rn, rpath, "expected an object")
				continue
			}
			via := r.str(rn, "via_attribute", rpath)
			pt := strings.ToLower(r.str(rn, "property_type", rpath))
			if via == "" || strings.HasPrefix(pt, "ienumerable") {
				continue
			}
			a := e.attr(via)
			target := doc.entity(pt)
			if a == nil || target == nil {
				continue
			}
			if a.Type.Kind() == plan.KGuid && a.Type != plan.TUniqueidentifier && !containsFold(a.Targets, target.LogicalName) {
				a.Targets = append(a.Targets, target.LogicalName)
			}
			dup := false
			for _, x := range doc.rels {
				if x.ReferencingEntity == e.LogicalName && x.ReferencingAttribute == a.LogicalName && x.ReferencedEntity == target.LogicalName {
					dup = true
				}
			}
			if dup {
				continue
			}
			doc.rels = append(doc.rels, &relDef{
				SchemaName:       r.str(rn, "schema", rpath),
				ReferencedEntity: target.LogicalName, ReferencedAttribute: target.PrimaryID,
				ReferencingEntity: e.LogicalName, ReferencingAttribute: a.LogicalName,
				Hierarchical: e.LogicalName == "account" && a.LogicalName == "parentaccountid" && target.LogicalName == "account",
				node:         rn, path: rpath,
			})
		}
	}
	// account.parentaccountid is hierarchical even when the schema lists no
	// relationship for it.
	if acc := doc.entity("account"); acc != nil && acc.attr("parentaccountid") != nil {
		found := false
		for _, x := range doc.rels {
			if x.ReferencingEntity == "account" && x.ReferencingAttribute == "parentaccountid" && x.ReferencedEntity == "account" {
				x.Hierarchical, found = true, true
			}
		}
		if !found {
			doc.rels = append(doc.rels, &relDef{SchemaName: "account_parent_account", ReferencedEntity: "account", ReferencedAttribute: "accountid",
				ReferencingEntity: "account", ReferencingAttribute: "parentaccountid", Hierarchical: true})
		}
	}
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	cat := doc.build("", r)
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return cat, nil
}
