package refeval

import (
	"math/big"
	"slices"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// AvgScale is the engines' rounding of avg (engine.AvgScale): 4 places,
// half away from zero.
const AvgScale = 4

// aggregate groups the joined, filtered rows by the groupby columns (date
// groupings computed in the caller's zone, or UTC with
// usertimezone="false") and computes each aggregate. Without groupby
// there is exactly one row, as in SQL.
func (ev *evaluator) aggregate(q *ast.Query, root *source, tuples []tuple) *Result {
	// The attributes of the root and of the joined links, each read from
	// its own source of the joined rows.
	var attrs []*ast.Attribute
	srcOf := map[*ast.Attribute]*source{}
	for _, s := range append([]*source{root}, joinedSources(ev, root.body, nil)...) {
		for _, a := range s.body.Attributes {
			attrs = append(attrs, a)
			srcOf[a] = s
		}
	}
	type group struct {
		keys []any
		rows []tuple
	}
	var groups []*group
	byKey := map[string]*group{}
	hasGroupBy := false
	for _, a := range attrs {
		if !a.Alias.IsSet() {
			fail("aggregate attribute without an alias")
		}
		if a.GroupBy.Value {
			hasGroupBy = true
		}
	}
	for _, t := range tuples {
		var keys []any
		kr := map[string]any{}
		for i, a := range attrs {
			if a.GroupBy.Value {
				k := ev.groupKey(srcOf[a], t, a)
				keys = append(keys, k)
				kr[string(rune('a'+i))] = foldKey(k)
			}
		}
		ks := RowKey(kr)
		g := byKey[ks]
		if g == nil {
			g = &group{keys: keys}
			byKey[ks] = g
			groups = append(groups, g)
		} else {
			// Strings group by their case folding, as under Dataverse's
			// collation; the group shows its least spelling (by code point).
			for i, k := range keys {
				if s, ok := k.(string); ok {
					if cur, ok := g.keys[i].(string); ok && s < cur {
						g.keys[i] = s
					}
				}
			}
		}
		g.rows = append(g.rows, t)
	}
	if !hasGroupBy && len(groups) == 0 {
		groups = append(groups, &group{})
	}
	res := &Result{}
	for _, a := range attrs {
		res.Columns = append(res.Columns, a.Alias.Text)
	}
	for _, g := range groups {
		row := map[string]any{}
		ki := 0
		for _, a := range attrs {
			if a.GroupBy.Value {
				row[a.Alias.Text] = g.keys[ki]
				ki++
				continue
			}
			row[a.Alias.Text] = ev.aggValue(srcOf[a], a, g.rows)
		}
		res.Rows = append(res.Rows, row)
	}
	if len(root.body.Orders) > 0 || q.Top.Set || q.Count.Set || q.Distinct.Value {
		fail("orders and limits on aggregates are not generated")
	}
	return res
}

func (ev *evaluator) groupKey(s *source, t tuple, a *ast.Attribute) any {
	col := s.table.Column(a.Name.Text)
	if col == nil {
		fail("no column %s.%s", s.table.Name, a.Name.Text)
	}
	v := t[s.name][col.Name]
	if a.DateGrouping == ast.NoDateGrouping || v == nil {
		return present(col.Kind, v)
	}
	zone := ev.env.Zone
	if a.UserTimeZone.Set && !a.UserTimeZone.Value || col.Kind != DateTime {
		// Wall-clock values group as stored.
		zone = time.UTC
	}
	l := v.(time.Time).In(zone)
	switch a.DateGrouping {
	case ast.FiscalYear, ast.FiscalPeriod:
		return ev.fiscalLabel(a.DateGrouping, v.(time.Time), zone)
	case ast.Week:
		// DATEPART(week): week 1 holds 1 January, weeks start on Sunday.
		jan1 := time.Date(l.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return int64((l.YearDay()-1+int(jan1.Weekday()))/7 + 1)
	case ast.Year:
		return int64(l.Year())
	case ast.Quarter:
		return int64((l.Month()-1)/3 + 1)
	case ast.Month:
		return int64(l.Month())
	case ast.Day:
		return int64(l.Day())
	}
	fail("dategrouping %s is not generated", a.DateGrouping)
	return nil
}

func (ev *evaluator) aggValue(s *source, a *ast.Attribute, rows []tuple) any {
	c := colName(s.table, a.Name.Text)
	var vals []any
	for _, t := range rows {
		if v := t[s.name][c]; v != nil {
			vals = append(vals, v)
		}
	}
	switch a.Aggregate {
	case ast.Count:
		return int64(len(rows))
	case ast.CountColumn:
		if a.Distinct.Value {
			seen := map[string]bool{}
			for _, v := range vals {
				seen[Canon(foldKey(v))] = true // strings by their case folding
			}
			return int64(len(seen))
		}
		return int64(len(vals))
	case ast.Min, ast.Max:
		if len(vals) == 0 {
			return nil
		}
		cmpf := func(x, y any) int { return compareValues(x, y) }
		kind := s.table.Column(c).Kind
		if a.Aggregate == ast.Min {
			return present(kind, slices.MinFunc(vals, cmpf))
		}
		return present(kind, slices.MaxFunc(vals, cmpf))
	case ast.Sum, ast.Avg:
		if len(vals) == 0 {
			return nil
		}
		sum := new(big.Rat)
		for _, v := range vals {
			sum.Add(sum, toRat(v))
		}
		if a.Aggregate == ast.Sum {
			return sum
		}
		return roundHalfAway(new(big.Rat).Quo(sum, big.NewRat(int64(len(vals)), 1)), AvgScale)
	}
	fail("aggregate %s is not generated", a.Aggregate)
	return nil
}

func toRat(v any) *big.Rat {
	switch x := v.(type) {
	case int64:
		return big.NewRat(x, 1)
	case *big.Rat:
		return x
	case float64:
		r := new(big.Rat)
		r.SetFloat64(x)
		return r
	}
	fail("sum of %T", v)
	return nil
}

// roundHalfAway rounds r to places decimal places, halves away from zero.
func roundHalfAway(r *big.Rat, places int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	neg := x.Sign() < 0
	x.Abs(x)
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, scale)
}
