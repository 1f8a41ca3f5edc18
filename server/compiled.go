package server

import (
	"container/list"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	odataparse "github.com/vecompile/vecompile/parse/odata"
	"github.com/vecompile/vecompile/plan"
)

// The compiled-request cache: a read whose request text, settings and
// security session were seen before runs the statement compiled then,
// without parsing, planning or emitting again. A hit must never hand one
// caller's plan to another, nor outlive the security it was planned
// under, so the key holds, beside the request text:
//   - the security provider's identity (the model's session, an immutable
//     value resolved per principal and replaced on expiry, SetModel and
//     Invalidate) and the model's generation, which SetModel and
//     Invalidate advance;
//   - the caller context identity operators resolved against;
//   - whether the plan reads the related names of formatted values;
// and plans that read the clock (relative dates) are not kept. The
// catalog and the server's settings are fixed for a Server, whose cache
// this is. A security provider the cache cannot identify is not cached.

// DefaultCompiledCacheSize bounds the compiled reads a server keeps.
const DefaultCompiledCacheSize = 2048

// maxCachedRequest bounds the request text a cache key holds: larger
// requests are compiled each time, so that the cache's memory stays
// within its entries × this.
const maxCachedRequest = 8 << 10

// compiled is a read compiled for one caller, shared read-only by the
// requests that hit it.
type compiled struct {
	q     *ast.Query
	level *odataparse.ExpandLevel // OData's nesting of $expand (nil: flat)
	plan  *plan.Plan              // as planned
	run   *plan.Plan              // as run on a first page: paged, keyset columns added
	ks    *keyset
	st    *sqlemit.Statement // run, emitted for the server's database
	// plain is the entity shape of its rows for a request asking for no
	// annotation, made by the first such request: a cached read's rows
	// are shaped alike every time.
	plain atomic.Pointer[namedShape]
}

type namedShape struct {
	names []string
	shape *entityShape
}

// plainShape is the kept shape of rows named names, nil when none is.
func (c *compiled) plainShape(names []string) *entityShape {
	if ns := c.plain.Load(); ns != nil && slices.Equal(ns.names, names) {
		return ns.shape
	}
	return nil
}

func (c *compiled) keepPlainShape(names []string, shape *entityShape) {
	c.plain.Store(&namedShape{names: slices.Clone(names), shape: shape})
}

// compiledKey identifies a compiled read; see the package comment above.
type compiledKey struct {
	request    string
	security   any
	generation uint64
	caller     *plan.Caller
	callerText string
	// lookupNames: planned with the related names formatted values read.
	lookupNames bool
}

// compiledCache is a bounded LRU of compiled reads.
type compiledCache struct {
	max     int
	mu      sync.Mutex
	entries map[compiledKey]*list.Element
	order   list.List // front: most recently used
	hits    atomic.Int64
}

type compiledEntry struct {
	key compiledKey
	c   *compiled
}

func newCompiledCache(n int) *compiledCache {
	if n <= 0 {
		return nil
	}
	return &compiledCache{max: n, entries: make(map[compiledKey]*list.Element, n)}
}

func (cc *compiledCache) get(k compiledKey) *compiled {
	if cc == nil {
		return nil
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	e, ok := cc.entries[k]
	if !ok {
		return nil
	}
	cc.order.MoveToFront(e)
	cc.hits.Add(1)
	return e.Value.(*compiledEntry).c
}

func (cc *compiledCache) put(k compiledKey, c *compiled) {
	if cc == nil {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e, ok := cc.entries[k]; ok {
		e.Value.(*compiledEntry).c = c
		cc.order.MoveToFront(e)
		return
	}
	cc.entries[k] = cc.order.PushFront(&compiledEntry{key: k, c: c})
	for cc.order.Len() > cc.max {
		last := cc.order.Back()
		cc.order.Remove(last)
		delete(cc.entries, last.Value.(*compiledEntry).key)
	}
}

// len is the number of cached reads (for tests).
func (cc *compiledCache) len() int {
	if cc == nil {
		return 0
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return len(cc.entries)
}

// generational is a Security whose every change of what it allows
// advances a generation (SecurityModel's SetModel and Invalidate).
type generational interface{ Generation() uint64 }

// cacheIdentity is a plan.SecurityProvider that names what its plans
// depend on: equal identities plan the same.
type cacheIdentity interface{ PlanCacheIdentity() any }

// compiledKeyFor is the key of request for principal p, whose security
// provider is prov; ok false when the read must not be cached.
func (s *Server) compiledKeyFor(request string, p *Principal, prov plan.SecurityProvider) (compiledKey, bool) {
	if s.compiledReads == nil {
		return compiledKey{}, false
	}
	k := compiledKey{request: request}
	switch v := prov.(type) {
	case nil:
	case plan.ModelSecurity:
		if v.Session == nil {
			return k, false
		}
		k.security = v.Session
	case cacheIdentity:
		if k.security = v.PlanCacheIdentity(); k.security == nil {
			return k, false
		}
	default:
		return k, false
	}
	if g, ok := s.cfg.Security.(generational); ok {
		k.generation = g.Generation()
	}
	if c := p.Caller; c != nil {
		if len(p.Groups) == 0 {
			// The caller cache's shared, immutable value: its identity
			// changes when it is loaded again.
			k.caller = c
		} else {
			k.callerText = callerText(c)
		}
	}
	return k, true
}

// callerText is everything of a caller context the planner reads.
func callerText(c *plan.Caller) string {
	var b strings.Builder
	b.WriteString(c.UserID)
	b.WriteByte('|')
	b.WriteString(c.BusinessUnitID)
	for _, list := range [][]string{c.TeamIDs, c.Reports, c.ReportTeams} {
		b.WriteByte('|')
		b.WriteString(strings.Join(list, ","))
	}
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(c.LanguageID, 10))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(int(c.Unknown)))
	if c.TimeZone != nil { // dates are planned in it
		b.WriteByte('|')
		b.WriteString(c.TimeZone.String())
	}
	return b.String()
}

// requestText joins a request's parts, each prefixed with its length, as
// a compiled-request cache key's text.
func requestText(parts ...string) string {
	var b strings.Builder
	size := 0
	for _, p := range parts {
		size += len(p) + 4
	}
	b.Grow(size) // one allocation: lengths under 1,000 take three digits
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// cacheable says whether a compiled read may serve later requests.
func cacheable(c *compiled) bool {
	return !c.plan.Context.ReadsClock && len(c.plan.Warnings) == 0
}
