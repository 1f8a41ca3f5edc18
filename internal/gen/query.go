package gen

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leanovate/gopter"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/refeval"
)

// QueryGen generates queries over ds, shrinking with ShrinkQuery.
func QueryGen(ds *Dataset) gopter.Gen {
	return func(p *gopter.GenParameters) *gopter.GenResult {
		return gopter.NewGenResult(NewQuery(p.Rng, ds), func(v any) gopter.Shrink {
			return ShrinkQuery(v.(*ast.Query))
		})
	}
}

// Patterns are LIKE operands: every T-SQL wildcard and class form,
// escaped wildcards ([%], [_]) and non-ASCII letters of either case.
var Patterns = []string{
	"a%", "%c", "a_c", "%b%", "[ab]%", "[^a]%", "[a-c]%", "%[%]%", "%[_]%", "_", "%_%", "ü%", "%É%", "ABC", "[[]%", "a[^b]c", "%]", "%b_", "Z%",
}

type qgen struct {
	r      *rand.Rand
	ds     *Dataset
	n      int    // aliases handed out
	prefix string // of link aliases: "l", or "p" in predicates
}

// NewPredicate draws a filter on table for the metamorphic oracles; its
// link aliases (p1, p2 …) never clash with a query's (l1, l2 …).
func NewPredicate(r *rand.Rand, ds *Dataset, table string) *ast.Filter {
	g := &qgen{r: r, ds: ds, prefix: "p"}
	return g.filter(ds.DB.Table(table), 1)
}

// NewQuery draws a query over ds from r.
func NewQuery(r *rand.Rand, ds *Dataset) *ast.Query {
	g := &qgen{r: r, ds: ds, prefix: "l"}
	root := ds.DB.Tables[r.Intn(len(ds.DB.Tables))]
	q := &ast.Query{Entity: &ast.Entity{Name: name(root.Name)}}
	b := &q.Entity.Body
	if r.Intn(5) == 0 {
		g.aggregate(q, root)
		return q
	}
	g.attributes(b, root, 1+r.Intn(3))
	if r.Intn(4) != 0 {
		b.Filters = append(b.Filters, g.filter(root, 0))
	}
	for i := r.Intn(3); i > 0; i-- {
		if l := g.link(root, 0); l != nil {
			b.Links = append(b.Links, l)
		}
	}
	if joined := g.joined(b, nil); len(joined) > 0 && r.Intn(3) == 0 {
		// Conditions on joined links in the root's filter (entityname),
		// applied after the joins: on an outer link they see NULLs.
		f := &ast.Filter{}
		if r.Intn(3) == 0 {
			f.Type = ast.Or
		}
		for i := 1 + r.Intn(2); i > 0; i-- {
			l := joined[r.Intn(len(joined))]
			c := g.condition(g.ds.DB.Table(l.Name.Text))
			c.EntityName = l.Alias
			f.Items = append(f.Items, c)
		}
		b.Filters = append(b.Filters, f)
	}
	if r.Intn(6) == 0 {
		q.UseRawOrderBy = ast.Bool{Value: true, Set: true}
	}
	switch r.Intn(6) {
	case 0:
		q.Distinct = ast.Bool{Value: true, Set: true}
		for _, l := range g.joined(b, nil) {
			l.Orders = nil // a distinct query sorts by what it returns
		}
	case 1:
		q.Top = ast.Int{Value: int64(1 + r.Intn(5)), Set: true}
	case 2:
		q.Count = ast.Int{Value: int64(1 + r.Intn(4)), Set: true}
		q.Page = ast.Int{Value: int64(1 + r.Intn(3)), Set: true}
		if r.Intn(2) == 0 {
			q.ReturnTotalRecordCount = ast.Bool{Value: true, Set: true}
		}
	}
	for i := r.Intn(3); i > 0; i-- {
		c := root.Columns[r.Intn(len(root.Columns))]
		if q.Distinct.Value {
			// A distinct query sorts by columns it returns.
			c = root.Column(b.Attributes[r.Intn(len(b.Attributes))].Name.Text)
		}
		b.Orders = append(b.Orders, &ast.Order{Attribute: name(c.Name), Descending: ast.Bool{Value: r.Intn(2) == 0, Set: true}})
	}
	return q
}

func name(s string) ast.Name { return ast.Name{Text: s} }

func (g *qgen) attributes(b *ast.Body, t *refeval.Table, n int) {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		c := t.Columns[g.r.Intn(len(t.Columns))]
		if !seen[c.Name] {
			seen[c.Name] = true
			b.Attributes = append(b.Attributes, &ast.Attribute{Name: name(c.Name)})
		}
	}
}

// joined lists the links of b (and below) that return rows.
func (g *qgen) joined(b *ast.Body, out []*ast.LinkEntity) []*ast.LinkEntity {
	for _, l := range b.Links {
		if l.LinkType.ReturnsColumns() {
			out = append(out, l)
			out = g.joined(&l.Body, out)
		}
	}
	return out
}

// relation is a way from table t to a related one: 1:N (the other table's
// lookup points at t) or N:1 (t's lookup).
type relation struct {
	other    *refeval.Table
	from, to string // from: column on other; to: column on t
}

func (g *qgen) relations(t *refeval.Table) []relation {
	var out []relation
	for _, o := range g.ds.DB.Tables {
		for _, c := range o.Columns {
			if c.Kind == refeval.Lookup && c.Target == t.Name {
				out = append(out, relation{other: o, from: c.Name, to: t.PrimaryKey})
			}
		}
	}
	for _, c := range t.Columns {
		if c.Kind == refeval.Lookup {
			o := g.ds.DB.Table(c.Target)
			out = append(out, relation{other: o, from: o.PrimaryKey, to: c.Name})
		}
	}
	return out
}

func (g *qgen) linkTo(t *refeval.Table, lt ast.LinkType) (*ast.LinkEntity, *refeval.Table) {
	rels := g.relations(t)
	if len(rels) == 0 {
		return nil, nil
	}
	rel := rels[g.r.Intn(len(rels))]
	g.n++
	return &ast.LinkEntity{
		Name: name(rel.other.Name), From: name(rel.from), To: name(rel.to),
		Alias: name(fmt.Sprintf("%s%d", g.prefix, g.n)), LinkType: lt,
	}, rel.other
}

// link draws a joined link (inner, outer, first-row: with columns) or a
// filtering one (exists, in), nested up to depth 2.
func (g *qgen) link(t *refeval.Table, depth int) *ast.LinkEntity {
	types := []ast.LinkType{ast.Inner, ast.Outer, ast.Outer, ast.MatchFirstRowUsingCrossApply, ast.Exists, ast.In}
	lt := types[g.r.Intn(len(types))]
	l, other := g.linkTo(t, lt)
	if l == nil {
		return nil
	}
	if lt.ReturnsColumns() {
		g.attributes(&l.Body, other, 1+g.r.Intn(2))
		if g.r.Intn(3) == 0 {
			c := other.Columns[g.r.Intn(len(other.Columns))]
			l.Orders = append(l.Orders, &ast.Order{Attribute: name(c.Name), Descending: ast.Bool{Value: g.r.Intn(2) == 0, Set: true}})
		}
		if lt == ast.MatchFirstRowUsingCrossApply {
			// Its columns come back unprefixed (spec §1.8): aliases keep
			// them apart from the root's.
			for _, a := range l.Attributes {
				a.Alias = name(l.Alias.Text + "_" + a.Name.Text)
			}
		}
	}
	if g.r.Intn(2) == 0 {
		l.Filters = append(l.Filters, g.filter(other, 1))
	}
	if depth < 1 && lt != ast.MatchFirstRowUsingCrossApply && g.r.Intn(3) == 0 {
		if c := g.link(other, depth+1); c != nil {
			l.Links = append(l.Links, c)
		}
	}
	return l
}

// filter draws a filter of conditions, nested filters and any / not any /
// all / not all links.
func (g *qgen) filter(t *refeval.Table, depth int) *ast.Filter {
	f := &ast.Filter{}
	if g.r.Intn(3) == 0 {
		f.Type = ast.Or
	}
	// Short filters: in a long AND or OR one condition rarely decides.
	for i := 1 + g.r.Intn(2); i > 0; i-- {
		switch k := g.r.Intn(10); {
		case k == 0 && depth < 3:
			f.Items = append(f.Items, g.filter(t, depth+1))
		case k == 1 && depth < 3:
			lts := []ast.LinkType{ast.Any, ast.NotAny, ast.All, ast.NotAll}
			if l, other := g.linkTo(t, lts[g.r.Intn(len(lts))]); l != nil {
				if g.r.Intn(4) != 0 {
					l.Filters = append(l.Filters, g.filter(other, depth+1))
				}
				f.Items = append(f.Items, l)
			}
		default:
			f.Items = append(f.Items, g.condition(t))
		}
	}
	return f
}

func vals(texts ...string) []*ast.Value {
	out := make([]*ast.Value, len(texts))
	for i, s := range texts {
		out[i] = &ast.Value{Text: s}
	}
	return out
}

// condition draws an operator for a random column and operands of its
// type, mostly taken from the data so that they match something.
func (g *qgen) condition(t *refeval.Table) *ast.Condition {
	r := g.r
	c := t.Columns[r.Intn(len(t.Columns))]
	if r.Intn(12) == 0 {
		if cond := g.valueOf(t); cond != nil {
			return cond
		}
	}
	if r.Intn(10) == 0 {
		// Identity operators, on the keys and lookups (the caller's ids
		// are drawn from them) or on an integer (eq-userlanguage).
		var guids []*refeval.Column
		for _, gc := range t.Columns {
			if gc.Kind == refeval.Guid || gc.Kind == refeval.Lookup {
				guids = append(guids, gc)
			}
		}
		if r.Intn(6) == 0 {
			return &ast.Condition{Attribute: name("num"), Operator: ast.OpEqUserLanguage}
		}
		ops := []ast.Operator{ast.OpEqUserID, ast.OpNeUserID, ast.OpEqBusinessID, ast.OpNeBusinessID, ast.OpEqUserTeams,
			ast.OpEqUserOrUserTeams, ast.OpEqUserOrUserHierarchy, ast.OpEqUserOrUserHierarchyAndTeams}
		return &ast.Condition{Attribute: name(guids[r.Intn(len(guids))].Name), Operator: ops[r.Intn(len(ops))]}
	}
	if t.Column("parent"+t.Name) != nil && r.Intn(6) == 0 {
		// Hierarchy operators, anchored on a row (or a missing one).
		ops := []ast.Operator{ast.OpUnder, ast.OpEqOrUnder, ast.OpNotUnder, ast.OpAbove, ast.OpEqOrAbove}
		anchor := guid(r)
		if len(t.Rows) > 0 && r.Intn(5) != 0 {
			anchor = t.Rows[r.Intn(len(t.Rows))][t.PrimaryKey].(string)
		}
		return &ast.Condition{Attribute: name(t.PrimaryKey), Operator: ops[r.Intn(len(ops))], Values: vals(anchor)}
	}
	family := r.Intn(12)
	if family < 4 {
		// A third of the conditions test dates: the relative-date family
		// is the largest and its interval ends need many draws to hit.
		c = g.dateColumn(t)
	} else if family < 8 {
		// A sixth LIKE patterns, a sixth string comparisons.
		c = g.columnOf(t, refeval.String)
	}
	cond := &ast.Condition{Attribute: name(c.Name)}
	lit := func() string { return g.literal(t, c) }
	common := []ast.Operator{ast.OpEq, ast.OpNe, ast.OpNeq, ast.OpNull, ast.OpNotNull, ast.OpIn, ast.OpNotIn}
	ordered := []ast.Operator{ast.OpLt, ast.OpLe, ast.OpGt, ast.OpGe, ast.OpBetween, ast.OpNotBetween}
	var ops []ast.Operator
	switch c.Kind {
	case refeval.Bool:
		ops = []ast.Operator{ast.OpEq, ast.OpNe, ast.OpNull, ast.OpNotNull}
	case refeval.Guid, refeval.Lookup:
		ops = common
	case refeval.MultiChoice:
		ops = []ast.Operator{ast.OpContainValues, ast.OpNotContainValues, ast.OpContainValues, ast.OpNotContainValues, ast.OpNull, ast.OpNotNull}
	case refeval.String:
		ops = append(append(common, ordered...), ast.OpLike, ast.OpNotLike, ast.OpBeginsWith, ast.OpNotBeginWith,
			ast.OpEndsWith, ast.OpNotEndWith, ast.OpLike, ast.OpNotLike)
	case refeval.DateTime, refeval.DateOnly, refeval.WallDateTime:
		ops = append(common[:5:5], ordered...)
	default:
		ops = append(common, ordered...)
	}
	op := ops[r.Intn(len(ops))]
	switch {
	case c.Kind.IsDate() && r.Intn(4) != 0:
		op = dateOps[r.Intn(len(dateOps))]
		switch r.Intn(4) {
		case 0:
			// More operators with an operand: their interval arithmetic
			// is where off-by-one bugs live.
			op = xDateOps[r.Intn(len(xDateOps))]
		case 1:
			op = fiscalOps[r.Intn(len(fiscalOps))]
		}
	case c.Kind == refeval.String && family >= 4 && family < 6:
		op = likeOps[r.Intn(len(likeOps))]
	}
	if c.Kind == refeval.DateOnly && hourOps[op] {
		op = ast.OpToday // a date has no time of day: these are errors (VE2003)
	}
	cond.Operator = op
	switch {
	case op.Info().Cat == ast.CatFiscal && op.Info().Shape != ast.NoOperand:
		cond.Values = g.fiscalOperands(t, c, op)
		return cond
	}
	switch op.Info().Shape {
	case ast.NoOperand:
	case ast.OneInt:
		// Mostly small: the data's midnights cluster within a few days of
		// the clock, so interval ends land between rows.
		x, ok := g.operandFromData(t, c, op)
		if !ok {
			x = 1 + r.Intn(3)
			if r.Intn(3) == 0 {
				x = 1 + r.Intn(40)
			}
		}
		cond.Values = vals(strconv.Itoa(x))
	case ast.TwoValues:
		a, b := lit(), lit()
		if r.Intn(3) != 0 && g.less(c, b, a) {
			a, b = b, a
		}
		cond.Values = vals(a, b)
	case ast.ManyValues:
		n := 1 + r.Intn(3)
		if c.Kind == refeval.MultiChoice {
			for i := 0; i < n; i++ {
				cond.Values = append(cond.Values, &ast.Value{Text: strconv.Itoa(1 + r.Intn(5))})
			}
			break
		}
		for i := 0; i < n; i++ {
			cond.Values = append(cond.Values, &ast.Value{Text: lit()})
		}
	default:
		switch {
		case op.Info().Cat == ast.CatString:
			if r.Intn(2) == 0 {
				cond.Values = vals(Patterns[r.Intn(len(Patterns))])
			} else {
				cond.Values = vals(Strings[r.Intn(len(Strings))])
			}
		case op == ast.OpOn || op == ast.OpOnOrBefore || op == ast.OpOnOrAfter:
			d := drawTime(r, g.ds.Env).In(g.ds.Env.Zone)
			cond.Values = vals(d.Format("2006-01-02"))
		default:
			cond.Values = vals(lit())
		}
	}
	return cond
}

var likeOps = []ast.Operator{ast.OpLike, ast.OpNotLike, ast.OpBeginsWith, ast.OpNotBeginWith, ast.OpEndsWith, ast.OpNotEndWith}

// columnOf picks a column of kind k (every table has one of each kind
// asked for: name and happened).
func (g *qgen) columnOf(t *refeval.Table, k refeval.Kind) *refeval.Column {
	var cs []*refeval.Column
	for _, c := range t.Columns {
		if c.Kind == k {
			cs = append(cs, c)
		}
	}
	return cs[g.r.Intn(len(cs))]
}

// hourOps are invalid on Date Only columns.
var hourOps = map[ast.Operator]bool{ast.OpLastXHours: true, ast.OpNextXHours: true, ast.OpOlderThanXHours: true, ast.OpOlderThanXMinutes: true}

// dateColumn picks a datetime column of any behaviour.
func (g *qgen) dateColumn(t *refeval.Table) *refeval.Column {
	var cs []*refeval.Column
	for _, c := range t.Columns {
		if c.Kind.IsDate() {
			cs = append(cs, c)
		}
	}
	return cs[g.r.Intn(len(cs))]
}

var fiscalOps = []ast.Operator{
	ast.OpThisFiscalYear, ast.OpThisFiscalPeriod, ast.OpNextFiscalYear, ast.OpNextFiscalPeriod, ast.OpLastFiscalYear,
	ast.OpLastFiscalPeriod, ast.OpLastXFiscalYears, ast.OpLastXFiscalPeriods, ast.OpNextXFiscalYears, ast.OpNextXFiscalPeriods,
	ast.OpInFiscalYear, ast.OpInFiscalPeriod, ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear,
	ast.OpInOrAfterFiscalPeriodAndYear,
}

var xDateOps = []ast.Operator{
	ast.OpLastXDays, ast.OpNextXDays, ast.OpLastXWeeks, ast.OpNextXWeeks, ast.OpOlderThanXDays, ast.OpLastXHours, ast.OpNextXHours,
	ast.OpLastXMonths, ast.OpNextXMonths, ast.OpOlderThanXWeeks, ast.OpOlderThanXMinutes,
}

var dateOps = []ast.Operator{
	ast.OpToday, ast.OpYesterday, ast.OpTomorrow, ast.OpLastSevenDays, ast.OpNextSevenDays,
	ast.OpLastWeek, ast.OpThisWeek, ast.OpNextWeek, ast.OpLastMonth, ast.OpThisMonth, ast.OpNextMonth,
	ast.OpLastYear, ast.OpThisYear, ast.OpNextYear, ast.OpOn, ast.OpOnOrBefore, ast.OpOnOrAfter,
	ast.OpLastXHours, ast.OpNextXHours, ast.OpLastXDays, ast.OpNextXDays, ast.OpLastXDays, ast.OpLastXWeeks,
	ast.OpNextXWeeks, ast.OpLastXMonths, ast.OpNextXMonths, ast.OpLastXYears, ast.OpNextXYears,
	ast.OpOlderThanXDays, ast.OpOlderThanXWeeks, ast.OpOlderThanXMonths, ast.OpOlderThanXHours,
	ast.OpOlderThanXYears, ast.OpOlderThanXMinutes,
}

// operandFromData picks the operand X of a relative-date operator so that
// the interval's far end falls on one side or the other of a row's value:
// the distance from the clock to the value in the operator's unit, or one
// more (boundary values, as literals are taken from the data).
func (g *qgen) operandFromData(t *refeval.Table, c *refeval.Column, op ast.Operator) (int, bool) {
	if len(t.Rows) == 0 || g.r.Intn(3) == 0 {
		return 0, false
	}
	v, ok := t.Rows[g.r.Intn(len(t.Rows))][c.Name].(time.Time)
	if !ok {
		return 0, false
	}
	env := g.ds.Env
	now, val := env.Now.In(env.Zone), v.In(env.Zone)
	if c.Kind != refeval.DateTime {
		// Wall-clock values against the wall clock.
		now, val = wallClock(now), v
	}
	days := int(dayNumber(now) - dayNumber(val)) // > 0: the value is in the past
	var d int
	switch op {
	case ast.OpLastXDays, ast.OpOlderThanXDays:
		d = days
	case ast.OpNextXDays:
		d = -days
	case ast.OpLastXWeeks, ast.OpOlderThanXWeeks:
		d = days / 7
	case ast.OpNextXWeeks:
		d = -days / 7
	case ast.OpLastXHours:
		d = int(now.Sub(val).Hours())
	case ast.OpNextXHours:
		d = int(val.Sub(now).Hours())
	case ast.OpLastXMonths:
		d = (now.Year()-val.Year())*12 + int(now.Month()-val.Month())
	case ast.OpNextXMonths:
		d = (val.Year()-now.Year())*12 + int(val.Month()-now.Month())
	case ast.OpOlderThanXMinutes:
		d = int(now.Sub(val).Minutes())
	default:
		return 0, false
	}
	d += g.r.Intn(2)
	if d < 1 || d > 500 {
		return 0, false
	}
	return d, true
}

// fiscalOperands draws the operands of a fiscal operator: years and
// periods of a row's value (or of the clock), give or take one.
func (g *qgen) fiscalOperands(t *refeval.Table, c *refeval.Column, op ast.Operator) []*ast.Value {
	r, env := g.r, g.ds.Env
	at := env.Now
	if len(t.Rows) > 0 {
		if v, ok := t.Rows[r.Intn(len(t.Rows))][c.Name].(time.Time); ok {
			at = v
		}
	}
	p, fy := env.Fiscal.PeriodOf(at, env.Zone)
	fy += r.Intn(3) - 1
	switch op {
	case ast.OpInFiscalYear:
		return vals(strconv.Itoa(fy))
	case ast.OpInFiscalPeriod:
		return vals(strconv.Itoa(p))
	case ast.OpInFiscalPeriodAndYear, ast.OpInOrBeforeFiscalPeriodAndYear, ast.OpInOrAfterFiscalPeriodAndYear:
		return vals(strconv.Itoa(p), strconv.Itoa(fy))
	}
	return vals(strconv.Itoa(1 + r.Intn(3))) // last/next-x-fiscal-years/periods
}

// valueOf draws a column-to-column comparison between two columns of one
// kind (happened and due; name and code), when the table has them.
func (g *qgen) valueOf(t *refeval.Table) *ast.Condition {
	var pairs [][2]string
	for _, p := range [][2]string{{"happened", "due"}, {"name", "code"}} {
		if t.Column(p[0]) != nil && t.Column(p[1]) != nil {
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	p := pairs[g.r.Intn(len(pairs))]
	if g.r.Intn(2) == 0 {
		p[0], p[1] = p[1], p[0]
	}
	ops := []ast.Operator{ast.OpEq, ast.OpNe, ast.OpLt, ast.OpLe, ast.OpGt, ast.OpGe}
	return &ast.Condition{Attribute: name(p[0]), Operator: ops[g.r.Intn(len(ops))], ValueOf: name(p[1])}
}

// dayNumber numbers a wall-clock date (days since 1970-01-01).
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// less orders two literals of c (for between's bounds).
func (g *qgen) less(c *refeval.Column, a, b string) bool {
	switch c.Kind {
	case refeval.String:
		return refeval.Fold(a) < refeval.Fold(b)
	case refeval.Int, refeval.Choice:
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return x < y
	case refeval.Float, refeval.Decimal:
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return x < y
	}
	return a < b
}

// literal draws an operand for c: a value from the table (so conditions
// match), a boundary value, or for strings a case variant.
func (g *qgen) literal(t *refeval.Table, c *refeval.Column) string {
	r := g.r
	var v any
	if len(t.Rows) > 0 && r.Intn(3) != 0 {
		v = t.Rows[r.Intn(len(t.Rows))][c.Name]
	}
	if v == nil {
		v = drawValue(r, g.ds.DB, t, c, g.ds.Env)
	}
	if v == nil {
		switch c.Kind {
		case refeval.Guid, refeval.Lookup:
			v = guid(r)
		case refeval.String:
			v = "abc"
		default:
			v = int64(1)
			if c.Kind == refeval.Bool {
				v = true
			}
			if c.Kind.IsDate() {
				v = drawValue(r, g.ds.DB, t, &refeval.Column{Kind: c.Kind}, g.ds.Env)
				if v == nil {
					v = g.ds.Env.Now
				}
			}
		}
	}
	switch x := v.(type) {
	case string:
		if c.Kind == refeval.String && r.Intn(3) == 0 {
			if r.Intn(2) == 0 {
				return swapAccents(swapCase(x))
			}
			return swapCase(x)
		}
		if c.Kind == refeval.Guid || c.Kind == refeval.Lookup {
			if r.Intn(3) == 0 {
				return "{" + upper(x) + "}"
			}
		}
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		switch {
		case c.Kind == refeval.DateOnly:
			return x.Format("2006-01-02")
		case c.Kind == refeval.WallDateTime:
			return x.Format("2006-01-02T15:04:05")
		case r.Intn(2) == 0:
			return x.UTC().Format(time.RFC3339)
		}
		return x.In(g.ds.Env.Zone).Format(time.RFC3339)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case interface{ FloatString(int) string }:
		return x.FloatString(2)
	}
	return fmt.Sprint(v)
}

func swapCase(s string) string {
	out := []rune(s)
	for i, r := range out {
		switch {
		case r >= 'a' && r <= 'z', r == 'ü', r == 'é', r == 'ω':
			out[i] = []rune(upper(string(r)))[0]
		case r >= 'A' && r <= 'Z', r == 'Ü', r == 'É', r == 'Ω':
			out[i] = unicode.ToLower(r)
		}
	}
	return string(out)
}

// swapAccents adds or drops the accents of e and u: a variant equal to s
// only under an accent-insensitive collation.
func swapAccents(s string) string {
	out := []rune(s)
	for i, r := range out {
		if j := strings.IndexRune(accentPairs, r); j >= 0 {
			k := utf8.RuneCountInString(accentPairs[:j])
			out[i] = []rune(accentPairs)[k^1]
		}
	}
	return string(out)
}

// accentPairs lists letters and their accented forms, pairwise.
const accentPairs = "eéEÉuüUÜ"

func upper(s string) string {
	out := []rune(s)
	for i, r := range out {
		switch {
		case r >= 'a' && r <= 'z':
			out[i] = r - 'a' + 'A'
		case r == 'ü':
			out[i] = 'Ü'
		case r == 'é':
			out[i] = 'É'
		case r == 'ω':
			out[i] = 'Ω'
		}
	}
	return string(out)
}

// aggregate makes q an aggregate query: up to two groupby columns (date
// groupings on datetimes) and one to three aggregates, each aliased.
func (g *qgen) aggregate(q *ast.Query, t *refeval.Table) {
	r := g.r
	q.Aggregate = ast.Bool{Value: true, Set: true}
	b := &q.Entity.Body
	alias := 0
	next := func() ast.Name { alias++; return name(fmt.Sprintf("a%d", alias)) }
	for i := r.Intn(3); i > 0; i-- {
		c := t.Columns[r.Intn(len(t.Columns))]
		a := &ast.Attribute{Name: name(c.Name), Alias: next(), GroupBy: ast.Bool{Value: true, Set: true}}
		switch c.Kind {
		case refeval.Float:
			// Float groups are not compared (README of internal/prove).
			continue
		case refeval.DateTime, refeval.DateOnly, refeval.WallDateTime:
			a.DateGrouping = []ast.DateGrouping{ast.Day, ast.Week, ast.Month, ast.Quarter, ast.Year, ast.FiscalPeriod, ast.FiscalYear}[r.Intn(7)]
			if r.Intn(4) == 0 {
				a.UserTimeZone = ast.Bool{Value: false, Set: true}
			}
		}
		b.Attributes = append(b.Attributes, a)
	}
	for i := 1 + r.Intn(3); i > 0; i-- {
		c := t.Columns[r.Intn(len(t.Columns))]
		a := &ast.Attribute{Name: name(c.Name), Alias: next()}
		var fns []ast.AggregateFunc
		switch c.Kind {
		case refeval.Int, refeval.Decimal:
			fns = []ast.AggregateFunc{ast.Sum, ast.Avg, ast.Min, ast.Max, ast.CountColumn, ast.Count}
		case refeval.Float:
			fns = []ast.AggregateFunc{ast.Sum, ast.Min, ast.Max, ast.CountColumn}
		case refeval.DateTime, refeval.DateOnly, refeval.WallDateTime, refeval.Choice:
			fns = []ast.AggregateFunc{ast.Min, ast.Max, ast.CountColumn}
		default:
			fns = []ast.AggregateFunc{ast.CountColumn, ast.Count}
		}
		a.Aggregate = fns[r.Intn(len(fns))]
		if a.Aggregate == ast.CountColumn && r.Intn(3) == 0 {
			a.Distinct = ast.Bool{Value: true, Set: true}
		}
		b.Attributes = append(b.Attributes, a)
	}
	if r.Intn(3) != 0 {
		b.Filters = append(b.Filters, g.filter(t, 0))
	}
	if r.Intn(3) == 0 {
		// A joined link: its rows multiply or drop the input, and its
		// columns group or aggregate too.
		lts := []ast.LinkType{ast.Inner, ast.Outer}
		if l, other := g.linkTo(t, lts[r.Intn(2)]); l != nil {
			c := other.Columns[r.Intn(len(other.Columns))]
			a := &ast.Attribute{Name: name(c.Name), Alias: next()}
			if r.Intn(2) == 0 && c.Kind != refeval.Float {
				a.GroupBy = ast.Bool{Value: true, Set: true}
			} else {
				a.Aggregate = []ast.AggregateFunc{ast.CountColumn, ast.Count}[r.Intn(2)]
				if c.Kind == refeval.Int || c.Kind == refeval.Decimal {
					a.Aggregate = []ast.AggregateFunc{ast.CountColumn, ast.Sum, ast.Min, ast.Max, ast.Avg}[r.Intn(5)]
				}
			}
			l.Attributes = append(l.Attributes, a)
			if r.Intn(2) == 0 {
				l.Filters = append(l.Filters, g.filter(other, 1))
			}
			b.Links = append(b.Links, l)
		}
	}
}
