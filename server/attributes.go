package server

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
)

// A write's attributes are read once: every key resolved to its column
// (one spelling per column), every value decoded for that column by
// engine.DecodeValue. The decoded assignments are what the security check,
// the lookup targets and the statement see (WriteRequest.Assignments).

// spelling is one attribute as the request gave it: the key as written
// and the column name it stands for (the key itself, or for an OData
// "x@odata.bind" the lookup x).
type spelling struct {
	key, column string
	value       any
}

// spellings lists a plain attribute map in key order.
func spellings(m map[string]any) []spelling {
	out := make([]spelling, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, spelling{key: k, column: k, value: m[k]})
	}
	return out
}

// canonicalAttributes keys every attribute by its column's logical name:
// an unknown attribute is UnknownColumn, two spellings of one column
// (OwnerId and ownerid; primarycontactid and primarycontactid@odata.bind)
// DuplicateAttribute naming it.
func canonicalAttributes(t *plan.Table, attrs []spelling) (map[string]any, error) {
	out := make(map[string]any, len(attrs))
	given := map[string]string{}
	for _, a := range attrs {
		c, ok := t.Column(a.column)
		if !ok {
			return nil, diagErr(diag.UnknownColumn, "%s has no attribute %q", t.LogicalName, a.key)
		}
		if prev, dup := given[c.LogicalName]; dup {
			return nil, diagErr(diag.DuplicateAttribute, "%s.%s is given twice (as %q and %q): name each attribute once", t.LogicalName, c.LogicalName, prev, a.key)
		}
		given[c.LogicalName] = a.key
		out[c.LogicalName] = a.value
	}
	return out, nil
}

// readOnlyOwnership are ownership columns Dataverse derives from ownerid:
// a write may not set them.
var readOnlyOwnership = map[string]bool{"owninguser": true, "owningteam": true}

// decode resolves and decodes wr.Values into wr.set, leaving Values keyed
// by logical name. ownerid and owningbusinessunit may not be null or
// empty: Dataverse has no ownerless user-owned row.
func (wr *WriteRequest) decode() error {
	vals, err := canonicalAttributes(wr.Table, spellings(wr.Values))
	if err != nil {
		return err
	}
	wr.Values = vals
	set := make([]engine.Assignment, 0, len(vals))
	for _, n := range slices.Sorted(maps.Keys(vals)) { // sorted: deterministic SQL text
		c, _ := wr.Table.Column(n)
		name := strings.ToLower(n)
		switch {
		case c.IsPrimaryKey:
			return diagErr(diag.ConflictingOptions, "%s.%s is the record's id, not an attribute to set", wr.Table.LogicalName, n)
		case readOnlyOwnership[name]:
			return diagErr(diag.OwnerRequired, "%s.%s is derived from ownerid and cannot be written: set ownerid", wr.Table.LogicalName, n)
		}
		v := vals[n]
		owner := name == security.ColOwner || name == security.ColOwningBU
		if owner && emptyReference(v) {
			return diagErr(diag.OwnerRequired, "%s.%s cannot be null or empty: every row has an owner and an owning business unit", wr.Table.LogicalName, n)
		}
		a, err := engine.DecodeValue(c, v)
		if err != nil {
			return err
		}
		set = append(set, a)
	}
	wr.set = set
	return nil
}

// emptyReference says whether a lookup value names no row: null, "", or
// an EntityReference whose Id is null or "".
func emptyReference(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case map[string]any:
		for k, id := range x {
			if strings.EqualFold(k, "id") {
				if s, ok := id.(string); id == nil || ok && strings.TrimSpace(s) == "" {
					return true
				}
			}
		}
	}
	return false
}

// odataAttributes reads an OData entity body's properties: plain
// properties by name, a lookup also as "x@odata.bind": "/sets(id)" (or
// "sets(id)", or an absolute URL ending so), read as the EntityReference
// {"Id": id, "LogicalName": the set's table}. The Dataverse read-only
// "_x_value" form is refused, as Dataverse refuses it; other annotations
// (@odata.context, @odata.etag, formatted values a client echoes) are
// ignored.
func (s *Server) odataAttributes(t *plan.Table, body map[string]any) ([]spelling, error) {
	out := make([]spelling, 0, len(body))
	for _, k := range slices.Sorted(maps.Keys(body)) {
		v := body[k]
		name, annotation, isAnnotation := strings.Cut(k, "@")
		switch {
		case isAnnotation && annotation == "odata.bind" && name != "":
			ref, column, err := s.odataBind(t, k, name, v)
			if err != nil {
				return nil, err
			}
			out = append(out, spelling{key: k, column: column, value: ref})
		case isAnnotation:
		case strings.HasPrefix(k, "_") && strings.HasSuffix(k, "_value"):
			lookup := strings.TrimSuffix(strings.TrimPrefix(k, "_"), "_value")
			if _, ok := t.Column(k); !ok {
				return nil, diagErr(diag.UnknownColumn, "%s: %q is the read-only form of the lookup %s: set it as %q or %q", t.LogicalName, k, lookup, lookup, lookup+"@odata.bind")
			}
			out = append(out, spelling{key: k, column: k, value: v})
		default:
			out = append(out, spelling{key: k, column: k, value: v})
		}
	}
	return out, nil
}

// odataBind reads the value of "name@odata.bind": an entity reference
// by entity set and key. name is a single-valued navigation property, as
// Dataverse takes it (parentcustomerid_account binds the lookup
// parentcustomerid to an account), or the lookup's own name; it returns
// the reference and the lookup column.
func (s *Server) odataBind(t *plan.Table, key, lookup string, v any) (map[string]any, string, error) {
	var only *plan.Table // the navigation property's target
	c, ok := t.Column(lookup)
	if !ok {
		for _, n := range s.catalog.navigation(t) {
			if !n.many && strings.EqualFold(n.name, lookup) {
				c, ok = t.Column(n.column)
				only = n.target
			}
		}
	}
	if !ok || !engine.IsLookup(c.Type) {
		return nil, "", diagErr(diag.UnknownColumn, "%s: %q binds %q, which is neither a lookup nor a single-valued navigation property of %s", t.LogicalName, key, lookup, t.LogicalName)
	}
	ref, err := s.bindReference(t, c, key, v)
	if err != nil {
		return nil, "", err
	}
	if only != nil && !strings.EqualFold(ref["LogicalName"].(string), only.LogicalName) {
		return nil, "", diagErr(diag.BadValueShape, "%s: %q binds the navigation property %s, whose target is %s, to a %s", t.LogicalName, key, lookup, only.LogicalName, ref["LogicalName"])
	}
	return ref, c.LogicalName, nil
}

// bindReference reads a reference "/entityset(id)" bound to lookup c.
func (s *Server) bindReference(t *plan.Table, c *plan.Column, key string, v any) (map[string]any, error) {
	ref, ok := v.(string)
	if !ok {
		return nil, diagErr(diag.BadValueShape, "%s.%s: %s takes a reference \"/entityset(id)\", not %T", t.LogicalName, c.LogicalName, key, v)
	}
	path := ref
	if u, err := url.Parse(ref); err == nil && u.IsAbs() {
		path = u.Path
	}
	path = path[strings.LastIndex(path, "/")+1:]
	set, id, ok := strings.Cut(strings.TrimSuffix(path, ")"), "(")
	target, known := s.catalog.bySet[strings.ToLower(set)]
	if !ok || !strings.HasSuffix(path, ")") || !known {
		return nil, diagErr(diag.BadValueShape, "%s.%s: %s = %q is not a reference \"/entityset(id)\" to an exposed entity set", t.LogicalName, c.LogicalName, key, ref)
	}
	return map[string]any{"Id": strings.Trim(id, "'"), "LogicalName": target.LogicalName}, nil
}
