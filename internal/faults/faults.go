// Package faults holds test-only switches that inject known bugs into the
// SQL emitter and the date arithmetic, so that the property harness
// (internal/prove) can show that it catches each of them. Every switch is
// a plain package variable, false in production: the hooks cost one global
// read. Only tests set them, never concurrently with other tests of the
// same process (the self-check test runs its cases one after another).
package faults

// The injected bugs. Each names the one spot that consults it.
var (
	// NeWithoutNull drops the IS NULL branch of a null-inclusive negation
	// (ne, not-like …): emit/sql writes "col <> v" for "col <> v OR col
	// IS NULL".
	NeWithoutNull bool
	// CaseSensitiveEq compares strings case-sensitively: emit/sql omits
	// LOWER() on folded comparisons.
	CaseSensitiveEq bool
	// NullsLastAsc sorts NULLs last ascending (and first descending) on
	// PostgreSQL, the one dialect whose ORDER BY spells NULL placement.
	NullsLastAsc bool
	// LastXDaysOffByOne starts last-x-days one day late (plan/calendar).
	LastXDaysOffByOne bool
	// OuterAsInner joins outer links as inner joins (emit/sql).
	OuterAsInner bool
	// DropLinkFilter drops the filter of joined links from their ON
	// clause (emit/sql).
	DropLinkFilter bool
	// LikeUnderscoreLiteral treats the LIKE wildcard _ as a literal
	// underscore (emit/sql).
	LikeUnderscoreLiteral bool
)

// Fault is one switch with its name, for tables and test names.
type Fault struct {
	Name string
	On   *bool
}

// All lists every switch.
var All = []Fault{
	{"ne-without-null-branch", &NeWithoutNull},
	{"case-sensitive-equality", &CaseSensitiveEq},
	{"nulls-last-ascending", &NullsLastAsc},
	{"last-x-days-off-by-one", &LastXDaysOffByOne},
	{"outer-join-as-inner", &OuterAsInner},
	{"dropped-link-filter", &DropLinkFilter},
	{"like-underscore-literal", &LikeUnderscoreLiteral},
}

// Off turns every switch off.
func Off() {
	for _, f := range All {
		*f.On = false
	}
}
