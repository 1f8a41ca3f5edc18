package fetchxml

// aname identifies an attribute name the builder knows. The scanner interns
// every attribute name once, so that the builder switches on a byte and the
// duplicate-attribute check compares bytes instead of strings.
type aname uint8

const (
	aOther aname = iota // any other name (including prefixed ones)
	aTop
	aCount
	aPage
	aPagingCookie
	aReturnTotalRecordCount
	aDistinct
	aAggregate
	aAggregateLimit
	aNoLock
	aLateMaterialize
	aUseRawOrderBy
	aOptions
	aDataSource
	aVersion
	aMapping
	aOutputFormat
	aUTCOffset
	aMinActiveRowVersion
	aName
	aEnablePrefiltering
	aPrefilterParameterName
	aFrom
	aTo
	aAlias
	aLinkType
	aIntersect
	aVisible
	aGroupBy
	aDateGrouping
	aUserTimeZone
	aRowAggregate
	aBuild
	aAddedBy
	aAttribute
	aDescending
	aEntityName
	aType
	aHint
	aIsQuickFindFields
	aOverrideQFLimitEnabled
	aOverrideQFLimitDisabled
	aColumn
	aOperator
	aValue
	aValueOf
	aUIName
	aUIType
	aUIHidden
	aXmlns
	numANames
)

// The scanner keeps a bit per name of a tag.
var _ [64 - numANames]struct{}

var anames = [numANames]string{
	aTop:                     "top",
	aCount:                   "count",
	aPage:                    "page",
	aPagingCookie:            "paging-cookie",
	aReturnTotalRecordCount:  "returntotalrecordcount",
	aDistinct:                "distinct",
	aAggregate:               "aggregate",
	aAggregateLimit:          "aggregatelimit",
	aNoLock:                  "no-lock",
	aLateMaterialize:         "latematerialize",
	aUseRawOrderBy:           "useraworderby",
	aOptions:                 "options",
	aDataSource:              "datasource",
	aVersion:                 "version",
	aMapping:                 "mapping",
	aOutputFormat:            "output-format",
	aUTCOffset:               "utc-offset",
	aMinActiveRowVersion:     "min-active-row-version",
	aName:                    "name",
	aEnablePrefiltering:      "enableprefiltering",
	aPrefilterParameterName:  "prefilterparametername",
	aFrom:                    "from",
	aTo:                      "to",
	aAlias:                   "alias",
	aLinkType:                "link-type",
	aIntersect:               "intersect",
	aVisible:                 "visible",
	aGroupBy:                 "groupby",
	aDateGrouping:            "dategrouping",
	aUserTimeZone:            "usertimezone",
	aRowAggregate:            "rowaggregate",
	aBuild:                   "build",
	aAddedBy:                 "addedby",
	aAttribute:               "attribute",
	aDescending:              "descending",
	aEntityName:              "entityname",
	aType:                    "type",
	aHint:                    "hint",
	aIsQuickFindFields:       "isquickfindfields",
	aOverrideQFLimitEnabled:  "overridequickfindrecordlimitenabled",
	aOverrideQFLimitDisabled: "overridequickfindrecordlimitdisabled",
	aColumn:                  "column",
	aOperator:                "operator",
	aValue:                   "value",
	aValueOf:                 "valueof",
	aUIName:                  "uiname",
	aUIType:                  "uitype",
	aUIHidden:                "uihidden",
	aXmlns:                   "xmlns",
}

// anameTab is a perfect hash table of the known names, keyed by their
// first eight bytes (zero-padded) and length; init panics if a new name
// collides (pick another anameMul then).
var anameTab = func() (t [256]anameEntry) {
	for a := aname(1); a < numANames; a++ {
		name := anames[a]
		e := anameEntry{first: word(name), n: uint8(len(name)), id: a}
		if len(name) > 8 {
			e.last = word(name[len(name)-8:])
		}
		h := anameSlot(e.first, len(name))
		if t[h].id != aOther {
			panic("fetchxml: anameTab collides on " + name)
		}
		t[h] = e
	}
	return t
}()

type anameEntry struct {
	first, last uint64 // first and (if longer than 8) last eight bytes
	n           uint8  // length
	id          aname
}

const anameMul = 0xf0b5a315724c7af1

func anameSlot(first uint64, n int) uint8 { return uint8((first ^ uint64(n)) * anameMul >> 56) }

// word is the first (up to) eight bytes of s, little-endian, zero-padded.
func word(s string) uint64 {
	var w uint64
	for i := 0; i < len(s) && i < 8; i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return w
}

// internAttr returns the aname of s (aOther when it has none).
func internAttr(s string) aname {
	e := &anameTab[anameSlot(word(s), len(s))]
	if int(e.n) == len(s) && anames[e.id] == s {
		return e.id
	}
	return aOther
}

// internAt is internAttr(s[j:e]) without a byte loop; it needs j+8 <= len(s).
func internAt(s string, j, e int) aname {
	n := e - j
	first := load8(s, j)
	if n < 8 {
		first &= 1<<(8*n) - 1
	}
	t := &anameTab[anameSlot(first, n)]
	if int(t.n) != n || t.first != first || n == 0 ||
		(n > 8 && load8(s, e-8) != t.last) || (n > 16 && s[j:e] != anames[t.id]) {
		return aOther
	}
	return t.id
}

// keptAttr marks the attributes whose values the tree may keep (as names or
// values, on any element); the scanner copies them to the arena.
var keptAttr = [numANames]bool{
	aPagingCookie: true, aOptions: true, aDataSource: true, aName: true,
	aFrom: true, aTo: true, aAlias: true, aRowAggregate: true,
	aAttribute: true, aEntityName: true, aHint: true, aColumn: true,
	aValueOf: true, aValue: true,
}
