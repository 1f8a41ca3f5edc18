package refeval

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vecompile/vecompile/ast"
)

// Tri is a three-valued truth value.
type Tri uint8

const (
	False Tri = iota
	True
	Unknown
)

func and3(a, b Tri) Tri {
	switch {
	case a == False || b == False:
		return False
	case a == True && b == True:
		return True
	}
	return Unknown
}

func or3(a, b Tri) Tri {
	switch {
	case a == True || b == True:
		return True
	case a == False && b == False:
		return False
	}
	return Unknown
}

func not3(a Tri) Tri {
	switch a {
	case True:
		return False
	case False:
		return True
	}
	return Unknown
}

func tri(b bool) Tri {
	if b {
		return True
	}
	return False
}

// nullInclusive lists the negative operators that also match NULL
// (README "Negative operators include NULLs"; not-in is plain NOT IN).
// TestNullInclusiveMatchesPlan keeps it equal to plan.NullInclusive.
var nullInclusive = map[ast.Operator]bool{
	ast.OpNe:               true,
	ast.OpNeq:              true,
	ast.OpNeUserID:         true,
	ast.OpNeBusinessID:     true,
	ast.OpNotLike:          true,
	ast.OpNotBeginWith:     true,
	ast.OpNotEndWith:       true,
	ast.OpNotBetween:       true,
	ast.OpNotContainValues: true,
}

// NullInclusive reports refeval's choice for op, for the consistency test.
func NullInclusive(op ast.Operator) bool { return nullInclusive[op] }

// Result is the rows of a query, each a map from output name to value
// (nil, string, int64, *big.Rat, float64, bool, time.Time), in result
// order.
type Result struct {
	Columns []string
	Rows    []map[string]any
	// Ordered reports whether the row order is fully determined by sort
	// keys every engine computes alike (explicit orders and the paging
	// tie-breakers of a non-aggregate, non-distinct query).
	Ordered bool
	// More is set when paging cut rows off after the page.
	More bool
	// Total is the number of rows before top and paging
	// (returntotalrecordcount).
	Total int
}

// tuple is one joined row: data source name → row (nil: an outer link
// without a match).
type tuple map[string]Row

type evaluator struct {
	db  *Database
	env Env
	// joined are the sources that return rows, by alias; cur is the
	// joined row the root's filter is evaluated on.
	joined map[string]*source
	cur    tuple
}

// Eval runs q over db.
func Eval(db *Database, q *ast.Query, env Env) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(evalError); ok {
				res, err = nil, e
				return
			}
			panic(r)
		}
	}()
	if env.Zone == nil {
		env.Zone = time.UTC
	}
	ev := &evaluator{db: db, env: env}
	return ev.query(q), nil
}

type evalError struct{ msg string }

func (e evalError) Error() string { return "refeval: " + e.msg }

func fail(format string, args ...any) { panic(evalError{fmt.Sprintf(format, args...)}) }

func (ev *evaluator) table(name string) *Table {
	t := ev.db.Table(name)
	if t == nil {
		fail("no table %q", name)
	}
	return t
}

// source is a data source: the root entity or a link, with its table.
type source struct {
	name  string
	table *Table
	body  *ast.Body
	link  *ast.LinkEntity // nil for the root
}

func (ev *evaluator) query(q *ast.Query) *Result {
	if q.Entity == nil {
		fail("no entity")
	}
	root := &source{name: q.Entity.Name.Text, table: ev.table(q.Entity.Name.Text), body: &q.Entity.Body}
	ev.joined = map[string]*source{}
	for _, s := range joinedSources(ev, root.body, nil) {
		ev.joined[s.name] = s
	}
	// The root's filter is the WHERE clause: it sees the joined row, which
	// conditions with entityname read (NULL for an outer link without a
	// match).
	var tuples []tuple
	for _, r := range root.table.Rows {
		for _, t := range ev.expand(root, r) {
			ev.cur = t
			if ev.pass(root, r) == True {
				tuples = append(tuples, t)
			}
		}
	}
	ev.cur = nil
	if q.Aggregate.Value {
		return ev.aggregate(q, root, tuples)
	}
	return ev.rows(q, root, tuples)
}

// pass is a data source's own predicate for row r: its filters and its
// exists / in links (WHERE for the root, ON for a joined link).
func (ev *evaluator) pass(s *source, r Row) Tri {
	t := True
	for _, f := range s.body.Filters {
		if x, ok := ev.filter(s, r, f); ok {
			t = and3(t, x)
		}
	}
	for _, l := range s.body.Links {
		switch l.LinkType {
		case ast.Exists, ast.In:
			// in (parent.to IN (SELECT from …)) and exists (correlated
			// EXISTS) agree: a NULL parent key matches nothing either way.
			t = and3(t, tri(ev.anyRelated(s, r, l, func(x Tri) bool { return x == True })))
		case ast.Inner, ast.Outer, ast.MatchFirstRowUsingCrossApply:
		default:
			fail("link type %s outside a filter", l.LinkType)
		}
	}
	return t
}

// related returns the rows of l's table whose l.From equals r's l.To.
func (ev *evaluator) related(s *source, r Row, l *ast.LinkEntity) (*source, []Row) {
	ls := &source{name: l.Alias.Text, table: ev.table(l.Name.Text), body: &l.Body, link: l}
	if ls.name == "" {
		fail("link to %s without an alias (the generator always gives one)", l.Name.Text)
	}
	if s.table.Column(l.To.Text) == nil || ls.table.Column(l.From.Text) == nil {
		fail("link %s: unknown join column", ls.name)
	}
	key := r[colName(s.table, l.To.Text)]
	if key == nil {
		return ls, nil
	}
	var out []Row
	fromName := colName(ls.table, l.From.Text)
	for _, m := range ls.table.Rows {
		if v := m[fromName]; v != nil && equalKey(v, key) {
			out = append(out, m)
		}
	}
	return ls, out
}

func colName(t *Table, name string) string {
	c := t.Column(name)
	if c == nil {
		fail("table %s has no column %q", t.Name, name)
	}
	return c.Name
}

func equalKey(a, b any) bool {
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if ok1 && ok2 {
		return as == bs
	}
	return compareValues(a, b) == 0
}

// anyRelated reports whether some related row's predicate satisfies ok.
// Links joined below l live in its subquery: a related row counts only
// with its inner and first-row links matched (outer links always are).
func (ev *evaluator) anyRelated(s *source, r Row, l *ast.LinkEntity, ok func(Tri) bool) bool {
	ls, rows := ev.related(s, r, l)
	for _, m := range rows {
		if ok(ev.pass(ls, m)) && len(ev.expand(ls, m)) > 0 {
			return true
		}
	}
	return false
}

// expand joins the links of s that return rows, below row r.
func (ev *evaluator) expand(s *source, r Row) []tuple {
	frags := []tuple{{s.name: r}}
	for _, l := range s.body.Links {
		if !l.LinkType.ReturnsColumns() {
			continue
		}
		var next []tuple
		for _, f := range frags {
			ls, rows := ev.related(s, r, l)
			var subs []tuple
			var matched []Row
			for _, m := range rows {
				if ev.pass(ls, m) == True {
					matched = append(matched, m)
				}
			}
			if l.LinkType == ast.MatchFirstRowUsingCrossApply && len(matched) > 1 {
				pk := ls.table.PrimaryKey
				first := slices.MinFunc(matched, func(a, b Row) int { return compareValues(a[pk], b[pk]) })
				matched = []Row{first}
			}
			for _, m := range matched {
				subs = append(subs, ev.expand(ls, m)...)
			}
			if len(subs) == 0 {
				if l.LinkType != ast.Outer {
					continue // inner and first-row drop the parent
				}
				subs = []tuple{nullTuple(l)}
			}
			for _, sub := range subs {
				t := make(tuple, len(f)+len(sub))
				for k, v := range f {
					t[k] = v
				}
				for k, v := range sub {
					t[k] = v
				}
				next = append(next, t)
			}
		}
		frags = next
	}
	return frags
}

// nullTuple is an outer link without a match: its source and every
// joined source below it are NULL.
func nullTuple(l *ast.LinkEntity) tuple {
	t := tuple{l.Alias.Text: nil}
	for _, c := range l.Links {
		if c.LinkType.ReturnsColumns() {
			for k := range nullTuple(c) {
				t[k] = nil
			}
		}
	}
	return t
}

// filter evaluates a filter; ok is false for a filter without items (at
// any depth), which constrains nothing and is left out of its parent, as
// Dataverse ignores an empty <filter>.
func (ev *evaluator) filter(s *source, r Row, f *ast.Filter) (t Tri, ok bool) {
	if f.Type == ast.Or {
		t = False
	} else {
		t = True
	}
	for _, it := range f.Items {
		var x Tri
		switch it := it.(type) {
		case *ast.Condition:
			x = ev.condition(s, r, it)
		case *ast.Filter:
			var present bool
			if x, present = ev.filter(s, r, it); !present {
				continue
			}
		case *ast.LinkEntity:
			x = ev.filterLink(s, r, it)
		case *ast.Computed:
			x = ev.computed(s, r, it)
		}
		ok = true
		if f.Type == ast.Or {
			t = or3(t, x)
		} else {
			t = and3(t, x)
		}
	}
	return t, ok
}

// filterLink is any / not any / all / not all (README choices table: all
// = no related row fails the filter, unknown counting as failing).
func (ev *evaluator) filterLink(s *source, r Row, l *ast.LinkEntity) Tri {
	satisfied := func(x Tri) bool { return x == True }
	fails := func(x Tri) bool { return x != True }
	switch l.LinkType {
	case ast.Any:
		return tri(ev.anyRelated(s, r, l, satisfied))
	case ast.NotAny:
		return tri(!ev.anyRelated(s, r, l, satisfied))
	case ast.All:
		return tri(!ev.anyRelated(s, r, l, fails))
	case ast.NotAll:
		return tri(ev.anyRelated(s, r, l, fails))
	}
	fail("link type %s inside a filter", l.LinkType)
	return Unknown
}

// condition evaluates one condition on row r of s.
func (ev *evaluator) condition(s *source, r Row, c *ast.Condition) Tri {
	if c.EntityName.IsSet() {
		ls := ev.joined[c.EntityName.Text]
		if ls == nil || ev.cur == nil {
			fail("condition entityname %q outside the root's filter or naming no joined link", c.EntityName.Text)
		}
		s, r = ls, ev.cur[ls.name]
	}
	col := s.table.Column(c.Attribute.Text)
	if col == nil {
		fail("no column %s.%s", s.table.Name, c.Attribute.Text)
	}
	v := r[col.Name]
	op := c.Operator
	if c.ValueOf.IsSet() {
		return ev.valueOf(s, r, c, col, v)
	}
	if op.Info().Cat == ast.CatHierarchy {
		return ev.hierarchy(s.table, c, col, v)
	}
	var t Tri
	switch op {
	case ast.OpNull:
		return tri(v == nil)
	case ast.OpNotNull:
		return tri(v != nil)
	}
	if v == nil {
		t = Unknown
	} else {
		t = ev.test(col, v, c)
	}
	if nullInclusive[op] && v == nil {
		return True
	}
	return t
}

// identity applies an identity operator to a non-null value: the caller's
// id, business unit, language, teams, reports (the users below them) and
// their teams, in the combinations the operators name.
func (ev *evaluator) identity(op ast.Operator, v any) Tri {
	c := ev.env.Caller
	if c == nil {
		fail("%s without a caller", op)
	}
	in := func(ids ...[]string) Tri {
		for _, group := range ids {
			for _, id := range group {
				if equalKey(v, id) {
					return True
				}
			}
		}
		return False
	}
	me := []string{c.UserID}
	switch op {
	case ast.OpEqUserID:
		return in(me)
	case ast.OpNeUserID:
		return not3(in(me))
	case ast.OpEqBusinessID:
		return in([]string{c.BusinessUnitID})
	case ast.OpNeBusinessID:
		return not3(in([]string{c.BusinessUnitID}))
	case ast.OpEqUserLanguage:
		return tri(compareValues(v, c.LanguageID) == 0)
	case ast.OpEqUserTeams:
		return in(c.TeamIDs)
	case ast.OpEqUserOrUserTeams:
		return in(me, c.TeamIDs)
	case ast.OpEqUserOrUserHierarchy:
		return in(me, c.Reports)
	}
	return in(me, c.Reports, c.TeamIDs, c.ReportTeams) // eq-useroruserhierarchyandteams
}

// hierarchy is under / eq-or-under / not-under / above / eq-or-above on
// the table's hierarchical lookup (a column that refers to its own
// table): the rows below the anchor (children, their children …) or above
// it (parent, grandparent …), at most 100 levels, the anchor itself only
// with eq-or-*; not-under is every row that is not strictly below.
func (ev *evaluator) hierarchy(t *Table, c *ast.Condition, col *Column, v any) Tri {
	if col.Name != t.PrimaryKey {
		fail("%s on %s, not the primary key", c.Operator, col.Name)
	}
	var parent string
	for _, pc := range t.Columns {
		if pc.Kind == Lookup && pc.Target == t.Name {
			parent = pc.Name
		}
	}
	if parent == "" {
		fail("%s on %s, which has no hierarchical lookup", c.Operator, t.Name)
	}
	if len(c.Values) != 1 {
		fail("%s takes one value", c.Operator)
	}
	anchor := ev.literal(col, c.Values[0].Text)
	related := map[string]bool{}
	above := c.Operator == ast.OpAbove || c.Operator == ast.OpEqOrAbove
	frontier := []any{anchor}
	for depth := 1; depth <= 100 && len(frontier) > 0; depth++ {
		var next []any
		for _, id := range frontier {
			for _, row := range t.Rows {
				var hit any
				if above && equalKey(row[t.PrimaryKey], id) {
					hit = row[parent]
				} else if !above && row[parent] != nil && equalKey(row[parent], id) {
					hit = row[t.PrimaryKey]
				}
				if hit != nil && !related[hit.(string)] {
					related[hit.(string)] = true
					next = append(next, hit)
				}
			}
		}
		frontier = next
	}
	if v == nil {
		// NULL [NOT] IN (set), as the engines and SQL Server evaluate it:
		// decided when the set is empty, unknown otherwise. A primary key
		// is NULL here only on an outer link without a match.
		if len(related) > 0 {
			return Unknown
		}
		return tri(c.Operator == ast.OpNotUnder)
	}
	in := related[v.(string)]
	switch c.Operator {
	case ast.OpUnder, ast.OpAbove:
		return tri(in)
	case ast.OpEqOrUnder, ast.OpEqOrAbove:
		// The anchor counts only when its row exists.
		return tri(in || equalKey(v, anchor))
	case ast.OpNotUnder:
		return tri(!in)
	}
	fail("hierarchy operator %s", c.Operator)
	return Unknown
}

// valueOf compares two columns of the row (same table, same kind);
// null-inclusive operators are true when the attribute is null.
func (ev *evaluator) valueOf(s *source, r Row, c *ast.Condition, col *Column, v any) Tri {
	other := s.table.Column(c.ValueOf.Text)
	if other == nil || other.Kind != col.Kind {
		fail("valueof %s: no column of %s's kind", c.ValueOf.Text, col.Name)
	}
	if v == nil {
		if nullInclusive[c.Operator] {
			return True
		}
		return Unknown
	}
	ov := r[other.Name]
	if ov == nil {
		return Unknown
	}
	cmp := compareFold(col, v, ov)
	switch c.Operator {
	case ast.OpEq:
		return tri(cmp == 0)
	case ast.OpNe, ast.OpNeq:
		return tri(cmp != 0)
	case ast.OpLt:
		return tri(cmp < 0)
	case ast.OpLe:
		return tri(cmp <= 0)
	case ast.OpGt:
		return tri(cmp > 0)
	case ast.OpGe:
		return tri(cmp >= 0)
	}
	fail("valueof with %s", c.Operator)
	return Unknown
}

// test applies the operator to a non-null value.
func (ev *evaluator) test(col *Column, v any, c *ast.Condition) Tri {
	op := c.Operator
	lit := func(i int) any {
		if i >= len(c.Values) {
			fail("%s: missing operand", op)
		}
		return ev.literal(col, c.Values[i].Text)
	}
	switch op {
	case ast.OpEq:
		return tri(equalPadded(col, v, lit(0)))
	case ast.OpNe, ast.OpNeq:
		return tri(!equalPadded(col, v, lit(0)))
	case ast.OpLt:
		return tri(compareFold(col, v, lit(0)) < 0)
	case ast.OpLe:
		return tri(compareFold(col, v, lit(0)) <= 0)
	case ast.OpGt:
		return tri(compareFold(col, v, lit(0)) > 0)
	case ast.OpGe:
		return tri(compareFold(col, v, lit(0)) >= 0)
	case ast.OpBetween, ast.OpNotBetween:
		in := compareFold(col, v, lit(0)) >= 0 && compareFold(col, v, lit(1)) <= 0
		return tri(in == (op == ast.OpBetween))
	case ast.OpIn, ast.OpNotIn:
		found := false
		for i := range c.Values {
			if equalPadded(col, v, lit(i)) {
				found = true
			}
		}
		return tri(found == (op == ast.OpIn))
	case ast.OpEqUserID, ast.OpNeUserID, ast.OpEqBusinessID, ast.OpNeBusinessID, ast.OpEqUserLanguage,
		ast.OpEqUserTeams, ast.OpEqUserOrUserTeams, ast.OpEqUserOrUserHierarchy, ast.OpEqUserOrUserHierarchyAndTeams:
		return ev.identity(op, v)
	case ast.OpContainValues, ast.OpNotContainValues:
		if col.Kind != MultiChoice {
			fail("%s on a %s column", op, col.Kind)
		}
		// Any of the listed values (README choices table).
		found := false
		for _, want := range c.Values {
			n, err := strconv.ParseInt(strings.TrimSpace(want.Text), 10, 64)
			if err != nil {
				fail("%s: %v", op, err)
			}
			if slices.Contains(v.([]int64), n) {
				found = true
			}
		}
		return tri(found == (op == ast.OpContainValues))
	case ast.OpLike, ast.OpNotLike, ast.OpBeginsWith, ast.OpNotBeginWith, ast.OpEndsWith, ast.OpNotEndWith:
		if col.Kind != String {
			fail("%s on a %s column", op, col.Kind)
		}
		if len(c.Values) != 1 {
			fail("%s takes one value", op)
		}
		pat := c.Values[0].Text
		switch op {
		case ast.OpBeginsWith, ast.OpNotBeginWith:
			pat += "%"
		case ast.OpEndsWith, ast.OpNotEndWith:
			pat = "%" + pat
		}
		m := Like(v.(string), pat)
		positive := op == ast.OpLike || op == ast.OpBeginsWith || op == ast.OpEndsWith
		return tri(m == positive)
	}
	if col.Kind.IsDate() {
		wev := ev.forColumn(col)
		t := v.(time.Time)
		contains := func(iv interval) bool {
			if col.Kind == DateOnly {
				// A date is in the interval when its day meets it: an
				// interval from "now" includes today's date.
				return (!iv.hasLo || t.Add(24*time.Hour).After(iv.lo)) && (!iv.hasHi || t.Before(iv.hi))
			}
			return iv.contains(t)
		}
		if iv, ok := wev.dateInterval(c); ok {
			return tri(contains(iv))
		}
		if op == ast.OpInFiscalPeriod {
			return tri(wev.fiscalPeriodMatch(c, t))
		}
		if iv, ok := wev.fiscalInterval(c); ok {
			return tri(contains(iv))
		}
	}
	fail("operator %s is not supported by refeval", op)
	return Unknown
}

// forColumn is the evaluator whose clock suits a datetime column: Date
// Only and Time-Zone Independent values are wall-clock, so their intervals
// are computed on the caller's wall clock, in UTC terms (README: "on the
// wall clock").
func (ev *evaluator) forColumn(col *Column) *evaluator {
	if col.Kind == DateTime {
		return ev
	}
	w := *ev
	w.env.Now = wall(ev.env.Now.In(ev.env.Zone))
	w.env.Zone = time.UTC
	return &w
}

// wall is t's wall clock as a UTC time.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// literal types a FetchXML value by the column.
func (ev *evaluator) literal(col *Column, text string) any {
	var v any
	var err error
	switch col.Kind {
	case String:
		return text
	case Int, Choice:
		v, err = strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	case Decimal:
		r, ok := new(big.Rat).SetString(strings.TrimSpace(text))
		if !ok {
			err = fmt.Errorf("bad decimal")
		}
		v = r
	case Float:
		v, err = strconv.ParseFloat(strings.TrimSpace(text), 64)
	case Bool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "1", "true":
			v = true
		case "0", "false":
			v = false
		default:
			err = fmt.Errorf("bad boolean")
		}
	case DateTime:
		v, err = ev.parseTime(text)
	case DateOnly, WallDateTime:
		v, err = ev.forColumn(col).parseTime(text)
	case Guid, Lookup:
		return strings.ToLower(strings.Trim(text, "{}"))
	}
	if err != nil {
		fail("literal %q for a %s column: %v", text, col.Kind, err)
	}
	return v
}

// parseTime reads an RFC 3339 instant, or an offset-less date or date-time,
// which is the caller's local time (README: User Local columns).
func (ev *evaluator) parseTime(text string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, text, ev.env.Zone); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date")
}

// compareFold compares a non-null value with a literal; strings compare
// case-insensitively.
func compareFold(col *Column, v, lit any) int {
	if col.Kind == String {
		return strings.Compare(padKey(v.(string)), padKey(lit.(string))) // padded, as SQL Server compares
	}
	return compareValues(v, lit)
}

// equalPadded is = as SQL Server compares: strings case-insensitively and
// without their trailing spaces.
func equalPadded(col *Column, v, lit any) bool {
	if col.Kind == String {
		return foldKey(v) == foldKey(lit)
	}
	return compareValues(v, lit) == 0
}

func multiText(v []int64) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ",")
}

// Fold is Dataverse's default (accent-insensitive) collation key: it
// lower-cases rune by rune (Unicode simple folding to lower case, as the
// engines' LOWER does), then replaces a letter of Latin-1 Supplement,
// Latin Extended-A or Latin Extended-B whose canonical decomposition
// (golang.org/x/text's NFD, independently of vecompile's table) is an
// ASCII letter followed only by combining marks U+0300–U+036F by that
// letter. Letters that do not decompose (ß, æ, ø, ł …) stay.
func Fold(s string) string {
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	if r < 0xC0 || r > 0x24F {
		return r
	}
	var buf [16]byte
	d := norm.NFD.AppendString(buf[:0], string(r))
	base, n := utf8.DecodeRune(d)
	if n == len(d) || base >= utf8.RuneSelf || !unicode.IsLetter(base) {
		return r
	}
	for d = d[n:]; len(d) > 0; d = d[n:] {
		var m rune
		m, n = utf8.DecodeRune(d)
		if m < 0x300 || m > 0x36F {
			return r
		}
	}
	return base
}

// compareValues orders two values of one kind; nil sorts first.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case *big.Rat:
			return new(big.Rat).SetInt64(x).Cmp(y)
		}
	case *big.Rat:
		switch y := b.(type) {
		case *big.Rat:
			return x.Cmp(y)
		case int64:
			return x.Cmp(new(big.Rat).SetInt64(y))
		}
	case float64:
		return cmp.Compare(x, b.(float64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	case []int64:
		// As stored: the values joined by commas, compared as text.
		return strings.Compare(multiText(x), multiText(b.([]int64)))
	}
	fail("cannot compare %T with %T", a, b)
	return 0
}
