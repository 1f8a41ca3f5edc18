package odata

import "github.com/vecompile/vecompile/plan"

// Dataverse's collation on a standard OData server. Dataverse compares,
// sorts and groups strings case-insensitively and, by default,
// accent-insensitively; a v4 server compares them as stored. The v4 flavor
// says case-insensitivity with tolower() on both sides. OData has no
// accent-folding function, so under the default accent-insensitive
// collation a string comparison, sort or grouping has no faithful v4 form
// and is refused (VE4002); plan with --accent-sensitive (an organization
// whose collation keeps accents) to get the URL.

// isString reports a column compared under the string collation.
func isString(c *plan.Column) bool {
	return c != nil && c.Type.Kind() == plan.KString
}

// collated checks that a string comparison, sort or grouping of column c
// can be said faithfully in this flavor.
func (e *emitter) collated(what string, c *plan.Column) error {
	if !e.v4 || !isString(c) || e.accentSensitive {
		return nil
	}
	return refuse("%s on string column %s: Dataverse's default collation ignores accents and OData v4 has no accent-folding function (plan with --accent-sensitive, or use the dataverse flavor)", what, c.LogicalName)
}

// folded is a string column's operand lowered for a v4 server; other
// operands are returned as they are.
func (e *emitter) folded(s string, c *plan.Column) string {
	if e.v4 && isString(c) {
		return "tolower(" + s + ")"
	}
	return s
}
