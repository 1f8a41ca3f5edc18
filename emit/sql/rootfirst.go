package sql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vecompile/vecompile/plan"
)

// A RootFirst plan (plan.Plan.RootFirst) with a row limit: the root's
// rows are filtered (security first), ordered and limited in a derived
// table named as the root, which also lists every sort term, and only the
// rows it keeps are joined; the statement sorts them again by the listed
// terms, so both sorts compare the same values:
//
//	SELECT … FROM (SELECT "o".*, <term1> AS "vk0", <term2> AS "vk1"
//	               FROM "opportunity" AS "o" WHERE <security> AND <filter>
//	               ORDER BY "vk0" DESC, "vk1" LIMIT ?) AS "o"
//	LEFT JOIN "account" AS "c" ON … ORDER BY "o"."vk0" DESC, "o"."vk1"
//
// The joins are outer and to one row, so each kept root row comes out
// once, and no condition outside their ON clauses reads them: the rows
// are the unpushed statement's, in its order. The derived table lists
// the root's columns that the rest of the statement reads (the select
// list, the ON clauses, the lookup names, a shared column's key), not
// "o".*: a row the sort keeps carries only those, and Dataverse tables
// are wide (a table of 200 columns would copy them all into the sort).
// They are found by writing the statement once with "o".* and reading
// the root's qualified names outside the derived table from its text
// (every column is written qualified, and no literal holds one), then
// writing it again with the list: one more rendering, on a compile the
// server caches.

// rootKeys are the sort terms a derived root table lists.
type rootKeys struct {
	listing bool // termEnd names terms (the derived table's select list)
	prefix  string
	dirs    []keyDir
}

type keyDir struct{ desc, nullable bool }

// rootFirst reports whether p is written root first: RootFirst (which
// plan.Verify checks: rows, joins to one row, no per-partition limit)
// with a row limit and an order.
func (e *emitter) rootFirst(p *plan.Plan) bool {
	return p.RootFirst && (p.Top > 0 || p.PageSize > 0) && len(p.Orders) > 0 && p.Root.Table != nil
}

// rootFirstQuery writes p root first (see above).
func (e *emitter) rootFirstQuery(p *plan.Plan) {
	e.keys = &rootKeys{prefix: keyPrefix(p.Root.Table)}
	e.selectCore(p, modeRows, false, 0)
	e.raw(" ORDER BY ")
	e.keyTerms(true)
	e.keys = nil
}

// rootRows writes the derived root table: "(SELECT root.c1, root.c2 …,
// terms FROM root WHERE … ORDER BY … LIMIT …) AS root" (root.* until the
// columns read are known: rootRead).
func (e *emitter) rootRows(p *plan.Plan) {
	topFetch := e.has(TopFetch)
	start := e.n
	e.raw("(SELECT ")
	if topFetch && p.PageSize <= 0 {
		e.top(p.Top)
	}
	if len(e.root.cols) == 0 {
		e.ident(p.Root.Name)
		e.raw(".*")
	}
	for i, c := range e.root.cols {
		if i > 0 {
			e.raw(", ")
		}
		e.ident(p.Root.Name)
		e.byte1('.')
		e.ident(c)
	}
	e.raw(", ")
	e.keys.listing = true
	e.orderTerms(p, false)
	e.keys.listing = false
	e.raw(" FROM ")
	e.table(p.Root)
	e.where(p.Root)
	e.afterWhere(p)
	e.raw(" ORDER BY ")
	e.keyTerms(false)
	e.rowLimit(p, topFetch)
	e.raw(") AS ")
	e.ident(p.Root.Name)
	e.root.span = [2]int{start, e.n}
}

// rootColumns is what rootRows lists, and where it wrote the derived
// table.
type rootColumns struct {
	cols []string // physical names; none: every column ("o".*)
	span [2]int   // the derived table's text, [start, end); end 0: none
}

// rootRead returns, after a rendering whose derived root table listed
// every column, the root's columns the text outside it reads, in the
// order they first appear; nil when there was no derived table. The
// table's own sort terms (vk0 …) are not columns.
func (e *emitter) rootRead(p *plan.Plan) []string {
	if e.root.span[1] == 0 || len(e.root.cols) > 0 {
		return nil
	}
	text := e.text()
	outside := text[:e.root.span[0]] + text[e.root.span[1]:]
	prefix := quoteName(e.caps.Quote, p.Root.Name) + "."
	keys := keyPrefix(p.Root.Table)
	var cols []string
	for i := strings.Index(outside, prefix); i >= 0; {
		name, n, ok := e.unquote(outside[i+len(prefix):])
		if ok && !isKeyTerm(name, keys) && !slices.Contains(cols, name) {
			cols = append(cols, name)
		}
		rest := i + len(prefix) + n
		j := strings.Index(outside[rest:], prefix)
		if j < 0 {
			break
		}
		i = rest + j
	}
	return cols
}

// unquote reads the quoted identifier s starts with: the name, the bytes
// it spans, and whether s starts with one.
func (e *emitter) unquote(s string) (string, int, bool) {
	if s == "" || s[0] != e.open {
		return "", 0, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != e.close {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == e.close {
			b.WriteByte(e.close)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// isKeyTerm reports whether name is a sort term the derived table lists
// (prefix, then digits).
func isKeyTerm(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// projectKey names the sort term just written in the derived table's
// select list and keeps its direction.
func (e *emitter) projectKey(desc, nullable bool) {
	e.raw(" AS ")
	e.ident(e.keys.prefix + strconv.Itoa(len(e.keys.dirs)))
	e.keys.dirs = append(e.keys.dirs, keyDir{desc, nullable})
}

// keyTerms writes the ORDER BY over the listed terms, qualified by the
// root's name outside the derived table.
func (e *emitter) keyTerms(outside bool) {
	for i, d := range e.keys.dirs {
		if i > 0 {
			e.raw(", ")
		}
		if outside {
			e.ident(e.p.Root.Name)
			e.byte1('.')
		}
		e.ident(e.keys.prefix + strconv.Itoa(i))
		e.direction(d.desc, d.nullable)
	}
}

// keyPrefix names the listed terms vk0, vk1 …, or with more underscores
// when a column of the root could be so named.
func keyPrefix(t *plan.Table) string {
	prefix := "vk"
	for clash := true; clash; {
		clash = false
		for _, c := range t.Columns {
			if c != nil && len(c.PhysicalName) > len(prefix) && strings.EqualFold(c.PhysicalName[:len(prefix)], prefix) {
				clash = true
				prefix += "_"
				break
			}
		}
	}
	return prefix
}
