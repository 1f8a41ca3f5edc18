package prove

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"

	"github.com/vecompile/vecompile/ast"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/internal/gen"
	"github.com/vecompile/vecompile/internal/refeval"
	"github.com/vecompile/vecompile/plan"
)

// The metamorphic oracles (SQLancer's TLP and NoREC) check an engine
// against itself, without the reference. Their partition predicates are
// built on the plan, not in FetchXML: Dataverse's negative operators
// include NULLs (ne is "<> v OR IS NULL"), so FetchXML "ne" is not the
// complement of "eq", and no FetchXML operator is SQL's NOT. A predicate p
// is planned once (its lowered expression Ep already holds the NULL
// branches Dataverse asks for), and the three partitions are
//
//	p is true:     Ep
//	p is false:    NOT Ep                          (SQL three-valued NOT)
//	p is unknown:  Ep IS NOT TRUE AND (NOT Ep) IS NOT TRUE
//
// which cover every row exactly once whatever Ep's NULL handling is.

// predicatePlan plans "root WHERE p" and returns the lowered Ep.
func predicatePlan(ds *gen.Dataset, t Target, root string, p *ast.Filter) (*plan.Plan, plan.Expr, error) {
	q := &ast.Query{Entity: &ast.Entity{Name: ast.Name{Text: root}}}
	q.Entity.Attributes = []*ast.Attribute{{Name: ast.Name{Text: ds.DB.Table(root).PrimaryKey}}}
	q.Entity.Filters = []*ast.Filter{p}
	pp, err := Compile(q, ds, t)
	if err != nil {
		return nil, nil, err
	}
	if pp.Root.Filter == nil {
		return nil, nil, fmt.Errorf("predicate planned to nothing")
	}
	return pp, pp.Root.Filter, nil
}

// withRootFilter copies p (the plan and its root source; the rest is
// shared and only read) with e added to the root's WHERE.
func withRootFilter(p *plan.Plan, e plan.Expr) *plan.Plan {
	np := *p
	root := *p.Root
	if root.Filter == nil {
		root.Filter = e
	} else {
		root.Filter = &plan.And{Terms: []plan.Expr{root.Filter, e}}
	}
	np.Root = &root
	return &np
}

func partitions(ep plan.Expr) [3]plan.Expr {
	return [3]plan.Expr{
		ep,
		&plan.Not{X: ep},
		&plan.And{Terms: []plan.Expr{&plan.NotTrue{X: ep}, &plan.NotTrue{X: &plan.Not{X: ep}}}},
	}
}

// TLP checks rows(q) = rows(q ∧ p) ⊎ rows(q ∧ ¬p) ⊎ rows(q ∧ p IS NULL) on
// one engine; for an aggregate q without groupby it recombines count,
// countcolumn, sum, min and max of the partitions. q must not limit rows
// or be distinct (both break the partition identity); the caller strips
// those.
func TLP(ctx context.Context, t Target, ds *gen.Dataset, q *ast.Query, p *ast.Filter) error {
	whole, err := Compile(q, ds, t)
	if err != nil {
		return fmt.Errorf("%s: compile: %v", t.Name, err)
	}
	_, ep, err := predicatePlan(ds, t, q.Entity.Name.Text, p)
	if err != nil {
		return fmt.Errorf("%s: predicate: %v", t.Name, err)
	}
	want, err := t.DB.Exec(ctx, whole)
	if err != nil {
		return fmt.Errorf("%s: exec: %v", t.Name, err)
	}
	var parts [][]map[string]any
	for _, e := range partitions(ep) {
		res, err := t.DB.Exec(ctx, withRootFilter(whole, e))
		if err != nil {
			return fmt.Errorf("%s: exec partition: %v", t.Name, err)
		}
		parts = append(parts, Rows(res))
	}
	if q.Aggregate.Value {
		got, err := recombine(q, parts)
		if err != nil {
			return err
		}
		if d := diffRows(Rows(want), got, false); d != "" {
			return fmt.Errorf("%s: TLP: the partitions' aggregates recombine to another row (-whole +partitions):\n%s", t.Name, d)
		}
		return nil
	}
	var union []map[string]any
	for _, rows := range parts {
		union = append(union, rows...)
	}
	if d := diffRows(Rows(want), union, false); d != "" {
		return fmt.Errorf("%s: TLP: q ≠ (q∧p) ⊎ (q∧¬p) ⊎ (q∧p IS NULL) (-whole +partitions):\n%s", t.Name, d)
	}
	return nil
}

// TLPAggregateOK reports whether q is an aggregate TLP can recombine:
// count, countcolumn (not distinct), sum, min and max, grouped or not, on
// the root alone.
func TLPAggregateOK(q *ast.Query) bool {
	for _, a := range q.Entity.Attributes {
		if a.GroupBy.Value {
			continue
		}
		if a.Distinct.Value {
			return false
		}
		switch a.Aggregate {
		case ast.Count, ast.CountColumn, ast.Sum, ast.Min, ast.Max:
		default:
			return false
		}
	}
	return len(q.Entity.Links) == 0
}

// recombine merges the partitions' aggregate rows group by group (the
// groupby columns are the key; without groupby each partition has one
// row): counts and sums add up, min and max take the extreme.
func recombine(q *ast.Query, parts [][]map[string]any) ([]map[string]any, error) {
	var keys []string
	for _, a := range q.Entity.Attributes {
		if a.GroupBy.Value {
			keys = append(keys, a.Alias.Text)
		}
	}
	groups := map[string]map[string]any{}
	var order []string
	for _, rows := range parts {
		if len(keys) == 0 && len(rows) != 1 {
			return nil, fmt.Errorf("TLP: an aggregate partition returned %d rows", len(rows))
		}
		for _, row := range rows {
			// Strings group by their case folding, each group showing its
			// least spelling: partitions may show different spellings of
			// one group.
			kr := map[string]any{}
			for _, k := range keys {
				kr[k] = row[k]
				if s, ok := row[k].(string); ok {
					kr[k] = refeval.Fold(s)
				}
			}
			gk := refeval.RowKey(kr)
			acc := groups[gk]
			if acc == nil {
				acc = map[string]any{}
				for _, k := range keys {
					acc[k] = row[k]
				}
				groups[gk] = acc
				order = append(order, gk)
			}
			for _, k := range keys {
				if s, ok := row[k].(string); ok {
					if cur, ok := acc[k].(string); ok && s < cur {
						acc[k] = s
					}
				}
			}
			for _, a := range q.Entity.Attributes {
				if a.GroupBy.Value {
					continue
				}
				name := a.Alias.Text
				v := row[name]
				if v == nil {
					continue
				}
				cur, ok := acc[name]
				if !ok || cur == nil {
					acc[name] = v
					continue
				}
				c := compareAny(cur, v)
				switch a.Aggregate {
				case ast.Count, ast.CountColumn, ast.Sum:
					acc[name] = new(big.Rat).Add(toRat(cur), toRat(v))
				case ast.Min:
					if c > 0 {
						acc[name] = v
					}
				case ast.Max:
					if c < 0 {
						acc[name] = v
					}
				}
			}
		}
	}
	var out []map[string]any
	for _, gk := range order {
		acc := groups[gk]
		for _, a := range q.Entity.Attributes {
			if _, ok := acc[a.Alias.Text]; !ok {
				acc[a.Alias.Text] = nil
				if a.Aggregate == ast.Count || a.Aggregate == ast.CountColumn {
					acc[a.Alias.Text] = int64(0)
				}
			}
		}
		out = append(out, acc)
	}
	return out, nil
}

func toRat(v any) *big.Rat {
	r, _ := new(big.Rat).SetString(strings.TrimPrefix(refeval.Canon(v), "n:"))
	if r == nil {
		return new(big.Rat)
	}
	return r
}

// compareAny orders two engine values of one column (numbers exactly,
// datetimes as their ISO text).
func compareAny(a, b any) int {
	sa, sb := refeval.Canon(a), refeval.Canon(b)
	if strings.HasPrefix(sa, "n:") && strings.HasPrefix(sb, "n:") {
		return toRat(a).Cmp(toRat(b))
	}
	return strings.Compare(sa, sb)
}

// NoREC checks, on one engine, that the rows "root WHERE p" returns are as
// many as the rows for which p is true when it is evaluated per row in the
// projection, where no optimizer can use it:
//
//	SELECT COALESCE(SUM(CASE WHEN <p> THEN 1 ELSE 0 END), 0) FROM <root>
//
// The CASE statement is cut from the emitted SQL of the filtered query
// (FROM … WHERE <p> [ORDER BY …]), whose bind parameters all belong to <p>.
func NoREC(ctx context.Context, t Target, ds *gen.Dataset, root string, p *ast.Filter) error {
	pp, _, err := predicatePlan(ds, t, root, p)
	if err != nil {
		return fmt.Errorf("%s: predicate: %v", t.Name, err)
	}
	res, err := t.DB.Exec(ctx, pp)
	if err != nil {
		return fmt.Errorf("%s: exec: %v", t.Name, err)
	}
	d, ok := sqlemit.DialectByName(t.DB.Dialect)
	if !ok {
		return fmt.Errorf("no dialect %s", t.DB.Dialect)
	}
	st, err := sqlemit.Emit(pp, d)
	if err != nil {
		return err
	}
	if strings.HasPrefix(st.SQL, "WITH ") {
		// A hierarchy operator's CTE comes before the SELECT: the
		// predicate cannot be cut out as text; not checked.
		return nil
	}
	from := strings.Index(st.SQL, " FROM ")
	where := strings.Index(st.SQL, " WHERE ")
	if from < 0 || where < from {
		return fmt.Errorf("%s: NoREC: unexpected statement shape: %s", t.Name, st.SQL)
	}
	pred := st.SQL[where+len(" WHERE "):]
	if i := strings.LastIndex(pred, " ORDER BY "); i >= 0 {
		pred = pred[:i]
	}
	unopt := "SELECT COALESCE(SUM(CASE WHEN " + pred + " THEN 1 ELSE 0 END), 0) FROM " + st.SQL[from+len(" FROM "):where]
	var n sql.NullInt64
	if err := t.DB.SQL.QueryRowContext(ctx, unopt, st.Args...).Scan(&n); err != nil {
		return fmt.Errorf("%s: NoREC: %v\n%s", t.Name, err, unopt)
	}
	if int64(len(res.Rows)) != n.Int64 {
		return fmt.Errorf("%s: NoREC: WHERE p returns %d rows, p is true on %d\n%s", t.Name, len(res.Rows), n.Int64, unopt)
	}
	return nil
}
