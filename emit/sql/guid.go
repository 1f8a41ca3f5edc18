package sql

import (
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan"
)

// GUID comparisons. Dataverse compares uniqueidentifiers
// case-insensitively; a database may store them as text in either case,
// as 16 bytes or in a native type (plan.GuidStorage, per column). The
// emitter keeps a column as stored wherever it can, so that its index
// serves the comparison:
//
//	column = value    the value is bound in the column's form (upper-cased,
//	                  16 bytes, or canonical lower case); a column holding
//	                  both cases is compared as LOWER(col)
//	column = column   as stored when both columns share a form; otherwise
//	                  each side is brought to canonical lower-case text
//	                  (LOWER(x), CAST(x AS CHAR(36)) for a native type),
//	                  or, when one side is binary, the other to bytes
//	                  (UNHEX(REPLACE(x, '-', '')))
//
// A case-insensitive engine (SQL Server's collation) compares every text
// and native form as stored; binary GUIDs need Caps flag Unhex.

// guidConv is how one side of a GUID comparison is written.
type guidConv uint8

const (
	convNone         guidConv = iota // as stored
	convLower                        // LOWER(x)
	convText                         // CAST(x AS CHAR(36)): a native GUID as canonical text
	convBinary                       // UNHEX(REPLACE(x, '-', '')): text as RFC 4122 bytes
	convNativeBinary                 // UNHEX(REPLACE(CAST(x AS CHAR(36)), '-', ''))
)

// guidColumn reports a GUID column's storage form.
func guidColumn(c *plan.Column) (plan.GuidStorage, bool) {
	if c == nil || c.Type.Kind() != plan.KGuid {
		return 0, false
	}
	return c.Guid, true
}

// guidLowered reports whether column c, compared with values, is read
// through LOWER(): text in both cases on a case-sensitive engine.
func (e *emitter) guidLowered(c *plan.Column) bool {
	g, ok := guidColumn(c)
	return ok && g == plan.GuidAnyCase && !e.has(CaseInsensitive)
}

// valueConv is the conversion of a GUID column compared with values.
func (e *emitter) valueConv(c *plan.Column) guidConv {
	if e.guidLowered(c) {
		return convLower
	}
	return convNone
}

// guidPair returns how each side of a = b is written, a and b being
// columns (either may be nil: not a GUID column, compared as stored).
func (e *emitter) guidPair(a, b *plan.Column) (guidConv, guidConv) {
	ga, okA := guidColumn(a)
	gb, okB := guidColumn(b)
	if !okA || !okB {
		return e.valueConvOf(okA, ga), e.valueConvOf(okB, gb)
	}
	if ga == gb && ga != plan.GuidAnyCase {
		return convNone, convNone
	}
	if ga == plan.GuidKeyMap || gb == plan.GuidKeyMap {
		e.fail(diag.KeyMapUnsupported, "%s and %s cannot be compared: an id computed from a string or composite key meets a GUID column", a.LogicalName, b.LogicalName)
		return convNone, convNone
	}
	if ga == plan.GuidInteger || gb == plan.GuidInteger {
		// An integer key's GUIDs are computed outside the database: an
		// integer meets only another integer key column.
		e.fail(diag.KeyNotEncoded, "an integer-keyed GUID column (%s) is compared with a GUID column stored as %s: both must hold the integer key", pick(ga == plan.GuidInteger, a, b).LogicalName, pick(ga == plan.GuidInteger, gb, ga))
		return convNone, convNone
	}
	if ga == plan.GuidBinary || gb == plan.GuidBinary {
		if ga == gb {
			return convNone, convNone
		}
		if !e.has(Unhex) {
			e.fail(diag.DialectUnsupported, "comparing a binary GUID column with a text one needs UNHEX, which this dialect lacks")
		}
		return toBinary(ga), toBinary(gb)
	}
	if e.has(CaseInsensitive) {
		return convNone, convNone
	}
	return toText(ga), toText(gb)
}

func (e *emitter) valueConvOf(ok bool, g plan.GuidStorage) guidConv {
	if ok && g == plan.GuidAnyCase && !e.has(CaseInsensitive) {
		return convLower
	}
	return convNone
}

func toBinary(g plan.GuidStorage) guidConv {
	switch g {
	case plan.GuidBinary:
		return convNone
	case plan.GuidNative:
		return convNativeBinary
	}
	return convBinary
}

func toText(g plan.GuidStorage) guidConv {
	switch g {
	case plan.GuidUpper, plan.GuidAnyCase:
		return convLower
	case plan.GuidNative:
		return convText
	}
	return convNone
}

// conv writes the expression w writes, converted.
func (e *emitter) conv(c guidConv, w func()) {
	switch c {
	case convLower:
		if e.has(NoCase) {
			w()
			e.raw(" COLLATE NOCASE")
			return
		}
		e.raw("LOWER(")
		w()
		e.byte1(')')
	case convText:
		e.raw("CAST(")
		w()
		e.raw(" AS CHAR(36))")
	case convBinary:
		e.raw("UNHEX(REPLACE(")
		w()
		e.raw(", '-', ''))")
	case convNativeBinary:
		e.raw("UNHEX(REPLACE(CAST(")
		w()
		e.raw(" AS CHAR(36)), '-', ''))")
	default:
		w()
	}
}

// colEq writes a = b for two column expressions, converted as their
// GUID storage forms require.
func (e *emitter) colEq(a *plan.Column, wa func(), b *plan.Column, wb func()) {
	if isKeyMap(a) || isKeyMap(b) {
		e.keyColEq(a, wa, b, wb)
		return
	}
	ca, cb := e.guidPair(a, b)
	e.conv(ca, wa)
	e.raw(" = ")
	e.conv(cb, wb)
}

// guidArg is a GUID value bound against column c, in c's storage form. An
// integer-keyed column binds the integer the GUID encodes; a GUID outside
// the key's namespace fails the statement (the plan refuses such literals
// first, with their position).
func (e *emitter) guidArg(a any, c *plan.Column) any {
	g, ok := guidColumn(c)
	if !ok || g == plan.GuidLower || g == plan.GuidAnyCase || g == plan.GuidNative {
		return a
	}
	if s, ok := a.(string); ok {
		if !g.Encodes(s) {
			e.fail(diag.KeyNotEncoded, "%q is not an id of column %q, whose integer key is exposed as GUIDs of the integer key namespace", s, c.LogicalName)
			return a
		}
		return g.Bind(s)
	}
	return a
}

// guidFolds reports whether column c holds GUIDs in both cases, which
// sorting, grouping and DISTINCT fold as they fold strings.
func (e *emitter) guidFolds(c *plan.Column) bool {
	return e.guidLowered(c)
}

func pick[T any](first bool, a, b T) T {
	if first {
		return a
	}
	return b
}
