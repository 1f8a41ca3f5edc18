package sql

import (
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
// are the unpushed statement's, in its order. The derived table keeps
// every column of the root ("o".*), so the select list, the ON clauses
// and the lookup names read the root as they read the table.

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

// rootRows writes the derived root table: "(SELECT root.*, terms FROM
// root WHERE … ORDER BY … LIMIT …) AS root".
func (e *emitter) rootRows(p *plan.Plan) {
	topFetch := e.has(TopFetch)
	e.raw("(SELECT ")
	if topFetch && p.PageSize <= 0 {
		e.top(p.Top)
	}
	e.ident(p.Root.Name)
	e.raw(".*, ")
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
