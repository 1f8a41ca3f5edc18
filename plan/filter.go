package plan

import (
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/plan/calendar"
)

// NullInclusive lists the negative operators that also match NULL, as
// Dataverse's ne does (spec §5.1). It is the one place this choice is
// made: ne, neq, ne-userid and ne-businessid are documented; the others
// marked "likely" in the spec are included; not-in follows SQL 4 CDS
// (plain NOT IN) because nothing verifies otherwise.
var NullInclusive = map[ast.Operator]bool{
	ast.OpNe:               true,
	ast.OpNeq:              true,
	ast.OpNeUserID:         true,
	ast.OpNeBusinessID:     true,
	ast.OpNotLike:          true,
	ast.OpNotBeginWith:     true,
	ast.OpNotEndWith:       true,
	ast.OpNotBetween:       true,
	ast.OpNotContainValues: true,
	ast.OpNotIn:            false,
}

// nullInclusive is NullInclusive as an array, for the hot path.
var nullInclusive = func() (a [256]bool) {
	for op, yes := range NullInclusive {
		a[op] = yes
	}
	return a
}()

// AllSemantics is the choice for link-type all / not all (spec §1.8,
// §5.11, disputed). CurrentLearn: all = no related row fails F (vacuously
// true); not all = some related row fails F. The alternative (older SDK
// wording, SQL 4 CDS) is not implemented; the choice stays here.
const AllSemantics = "current-learn"

// filter resolves a <filter> in the context of data source ds.
func (b *builder) filter(ds *DataSource, f *ast.Filter) Expr {
	terms := b.a.terms(len(f.Items))[:0]
	for _, it := range f.Items {
		var e Expr
		switch it := it.(type) {
		case *ast.Condition:
			e = b.condition(ds, it)
			place(e, it.Span)
		case *ast.Filter:
			e = b.filter(ds, it)
		case *ast.LinkEntity:
			e = b.filterLink(ds, it)
		case *ast.Computed:
			e = b.computed(ds, it)
		}
		if e != nil {
			terms = append(terms, e)
		}
	}
	var r Expr
	switch {
	case len(terms) == 0:
	case f.Type == ast.Or:
		r = b.a.or(terms)
	default:
		r = b.a.and(terms)
	}
	if f.IsQuickFindField.Value && ds == b.plan.Root && b.plan.QuickFind == nil {
		b.quickFind(f, r)
	}
	return r
}

// quickFind records the root's quick-find filter and the record limit it
// is held to: Dataverse's 10,000 unless the organization turned the limit
// off, and the filter's overrides force it on or off (spec §1.5, §5.18).
func (b *builder) quickFind(f *ast.Filter, r Expr) {
	org := b.opt.QuickFindRecordLimit
	if org <= 0 {
		org = QuickFindRecordLimit
	}
	limit := org
	if b.opt.QuickFindLimitDisabled {
		limit = 0
	}
	if f.QuickFindLimitOn.Value {
		limit = org
	}
	if f.QuickFindLimitOff.Value {
		limit = 0
	}
	if r == nil || limit == 0 {
		return
	}
	b.plan.QuickFind, b.plan.QuickFindLimit = r, limit
}

// filterLink resolves any / not any / all / not all inside a filter.
func (b *builder) filterLink(parent *DataSource, l *ast.LinkEntity) Expr {
	ds := b.sourceOf(l)
	if ds == nil {
		return nil
	}
	if !l.LinkType.IsFilterLink() {
		b.errorf(l.TypeSpan, diag.MisplacedLinkType, "link type %q is not valid inside a filter: use any, not any, all or not all", l.LinkType)
		return nil
	}
	b.link(parent, ds, l)
	switch l.LinkType {
	case ast.Any:
		return &Exists{Source: ds}
	case ast.NotAny:
		return &Exists{Source: ds, Not: true}
	case ast.All:
		// No related row fails F.
		ds.Filter = &NotTrue{X: truthy(ds.Filter)}
		return &Exists{Source: ds, Not: true}
	default: // NotAll: some related row fails F.
		ds.Filter = &NotTrue{X: truthy(ds.Filter)}
		return &Exists{Source: ds}
	}
}

func truthy(e Expr) Expr {
	if e == nil {
		return &Const{Value: true}
	}
	return e
}

// parentOf is the source a link was declared under (nil for the root).
func (b *builder) parentOf(ds *DataSource) *DataSource {
	for _, l := range b.links {
		if l.ds == ds {
			return l.parent
		}
	}
	return nil
}

// scopeOf is the nearest exists / in / any / all source at or above ds:
// the subquery its columns live in (nil: the outer query).
func (b *builder) scopeOf(ds *DataSource) *DataSource {
	for x := ds; x != nil; x = b.parentOf(x) {
		if x.Join == JoinSubquery {
			return x
		}
	}
	return nil
}

// visible reports whether a condition in from's filter may read target's
// columns: target lives in from's subquery or in one enclosing it.
func (b *builder) visible(target, from *DataSource) bool {
	ts := b.scopeOf(target)
	for s := b.scopeOf(from); ; s = b.scopeOf(b.parentOf(s)) {
		if s == ts {
			return true
		}
		if s == nil {
			return false
		}
	}
}

// place gives the nodes a condition lowered to the condition's span, so an
// emitter can say where a construct an engine cannot take came from.
// Nodes of subqueries (Exists, InSubquery) keep their own.
func place(x Expr, sp diag.Span) {
	Inspect(x, func(x Expr) bool {
		switch x := x.(type) {
		case *Compare:
			x.Span = sp
		case *InList:
			x.Span = sp
		case *Like:
			x.Span = sp
		case *MultiContains:
			x.Span = sp
		case *PartIn:
			x.Span = sp
		case *Hierarchy:
			x.Span = sp
		}
		return true
	})
}

// condition lowers one condition to a plan expression, with Dataverse's
// semantics made explicit (NULL branches, folded comparisons, resolved
// date intervals, caller identities).
func (b *builder) condition(ds *DataSource, c *ast.Condition) Expr {
	if c.EntityName.IsSet() {
		target := b.source(c.EntityName)
		if target == nil {
			return nil
		}
		if !b.visible(target, ds) {
			b.errorf(c.EntityName.Span, diag.UnknownAlias, "entityname %q names an exists, in, any or all link-entity (or a link inside one): its columns exist only in that subquery, not where this condition is", c.EntityName.Text)
			return nil
		}
		ds = target
	}
	col := b.ref(ds, c.Attribute)
	if col == nil {
		return nil
	}
	op := c.Operator
	info := op.Info()
	kind := col.Column.Type.Kind()
	if c.ValueOf.IsSet() {
		return b.valueOf(ds, col, c)
	}
	if msg := operatorKindError(op, kind); msg != "" {
		b.errorf(c.OpSpan, diag.OperatorType, "operator %s %s; column %q is %s", op, msg, col.Column.LogicalName, col.Column.Type)
		return nil
	}
	switch info.Cat {
	case ast.CatCompare:
		v := b.value(c, col, 0)
		if v == nil {
			return nil
		}
		return b.nullable(op, col, b.a.compare(cmpOf(op), col, v, isFold(kind, v)))
	case ast.CatString:
		if len(c.Values) != 1 {
			return b.operands(c)
		}
		pat := c.Values[0].Text
		switch op {
		case ast.OpBeginsWith, ast.OpNotBeginWith:
			pat += "%"
		case ast.OpEndsWith, ast.OpNotEndWith:
			pat = "%" + pat
		}
		not := op != ast.OpLike && op != ast.OpBeginsWith && op != ast.OpEndsWith
		return b.nullable(op, col, b.a.like(col, ParsePattern(pat), not))
	case ast.CatList:
		if len(c.Values) == 0 {
			return b.operands(c)
		}
		vals := make([]*Value, 0, len(c.Values))
		for i := range c.Values {
			v := b.value(c, col, i)
			if v == nil {
				return nil
			}
			vals = append(vals, v)
		}
		return b.nullable(op, col, &InList{Col: col, Values: vals, Not: op == ast.OpNotIn, Fold: isFold(kind, vals[0])})
	case ast.CatRange:
		if len(c.Values) != 2 {
			return b.operands(c)
		}
		lo, hi := b.value(c, col, 0), b.value(c, col, 1)
		if lo == nil || hi == nil {
			return nil
		}
		fold := isFold(kind, lo)
		e := b.a.and(b.a.pair(b.a.compare(Ge, col, lo, fold), b.a.compare(Le, col, hi, fold)))
		if op == ast.OpNotBetween {
			e = &Not{X: e}
		}
		return b.nullable(op, col, e)
	case ast.CatNull:
		if len(c.Values) != 0 {
			return b.operands(c)
		}
		return b.a.isNull(col, op == ast.OpNotNull)
	case ast.CatDate, ast.CatFiscal:
		return b.dateCondition(c, col)
	case ast.CatIdentity:
		return b.identity(c, col)
	case ast.CatHierarchy:
		return b.hierarchy(c, col)
	case ast.CatMulti:
		if len(c.Values) == 0 {
			return b.operands(c)
		}
		vals := make([]int64, 0, len(c.Values))
		for i := range c.Values {
			_, v, msg := typed(c.Values[i], KInt, UserLocal, nil)
			if msg != "" {
				b.errorf(c.Values[i].Span, diag.TypeMismatch, "%q is not %s", c.Values[i].Text, msg)
				return nil
			}
			vals = append(vals, v.(int64))
		}
		return b.nullable(op, col, &MultiContains{Col: col, Values: vals, Not: op == ast.OpNotContainValues})
	}
	b.errorf(c.OpSpan, diag.UnknownOperator, "operator %s is not supported", op)
	return nil
}

// nullable adds the IS NULL branch of null-inclusive negative operators.
func (b *builder) nullable(op ast.Operator, col *ColumnRef, e Expr) Expr {
	if nullInclusive[op] {
		return b.a.or(b.a.pair(e, b.a.isNull(col, false)))
	}
	return e
}

func (b *builder) operands(c *ast.Condition) Expr {
	b.errorf(c.OpSpan, diag.OperandCount, "operator %s takes %s", c.Operator, shapeText(c.Operator.Info().Shape))
	return nil
}

func shapeText(s ast.Shape) string {
	switch s {
	case ast.NoOperand:
		return "no value"
	case ast.OneValue:
		return "exactly one value"
	case ast.OneInt:
		return "one positive integer"
	case ast.TwoValues:
		return "exactly two values"
	}
	return "one or more values"
}

// value types the i-th operand against the column.
func (b *builder) value(c *ast.Condition, col *ColumnRef, i int) *Value {
	if i >= len(c.Values) {
		b.operands(c)
		return nil
	}
	v, msg := b.literal(c.Values[i], col.Column.Type.Kind(), col.Column.DateBehavior)
	if v == nil {
		b.errorf(c.Values[i].Span, diag.TypeMismatch, "%q is not %s, as column %q (%s) needs", c.Values[i].Text, msg, col.Column.LogicalName, col.Column.Type)
	}
	return v
}

func isFold(k Kind, v *Value) bool {
	return k == KString || (k == KUnknown && v != nil && v.Kind == KString)
}

func cmpOf(op ast.Operator) CmpOp {
	switch op {
	case ast.OpNe, ast.OpNeq:
		return Ne
	case ast.OpGt:
		return Gt
	case ast.OpGe:
		return Ge
	case ast.OpLt:
		return Lt
	case ast.OpLe:
		return Le
	}
	return Eq
}

// operatorKindError says why an operator does not apply to a column kind.
func operatorKindError(op ast.Operator, k Kind) string {
	if k == KUnknown {
		return ""
	}
	switch op.Info().Cat {
	case ast.CatString:
		if k != KString {
			return "needs a text column"
		}
	case ast.CatDate, ast.CatFiscal:
		if k != KDateTime {
			return "needs a datetime column"
		}
	case ast.CatMulti:
		if k != KMulti {
			return "needs a multi-select choice column"
		}
	case ast.CatCompare, ast.CatRange:
		if op != ast.OpEq && op != ast.OpNe && op != ast.OpNeq && (k == KBool || k == KGuid || k == KMulti) {
			return "does not order values of this type"
		}
	}
	switch op {
	case ast.OpEqUserID, ast.OpNeUserID, ast.OpEqBusinessID, ast.OpNeBusinessID, ast.OpEqUserTeams,
		ast.OpEqUserOrUserTeams, ast.OpEqUserOrUserHierarchy, ast.OpEqUserOrUserHierarchyAndTeams:
		if k != KGuid {
			return "needs a lookup or uniqueidentifier column"
		}
	case ast.OpEqUserLanguage:
		if k != KInt {
			return "needs an integer column"
		}
	}
	return ""
}

// valueOf compares two columns (condition valueof).
func (b *builder) valueOf(ds *DataSource, col *ColumnRef, c *ast.Condition) Expr {
	if !c.Operator.Info().ValueOf {
		b.errorf(c.OpSpan, diag.OperandCount, "valueof only goes with eq, ne, gt, ge, lt and le, not %s", c.Operator)
		return nil
	}
	name := c.ValueOf
	src := ds
	for i := 0; i < len(name.Text); i++ {
		if name.Text[i] == '.' {
			alias := ast.Name{Span: name.Span, Text: name.Text[:i]}
			if src = b.source(alias); src == nil {
				return nil
			}
			name.Text = name.Text[i+1:]
			break
		}
	}
	other := b.ref(src, name)
	if other == nil {
		return nil
	}
	lk, rk := col.Column.Type.Kind(), other.Column.Type.Kind()
	if lk != KUnknown && rk != KUnknown && lk != rk {
		b.errorf(c.ValueOf.Span, diag.TypeMismatch, "valueof compares %s with %s: both columns must have the same type", col.Column.Type, other.Column.Type)
		return nil
	}
	return b.nullable(c.Operator, col, b.a.compare(cmpOf(c.Operator), col, other, lk == KString))
}

// dateCondition resolves relative, absolute-day and fiscal operators to a
// half-open interval on the column, computed in the caller's zone for User
// Local columns and on the wall clock for the others.
func (b *builder) dateCondition(c *ast.Condition, col *ColumnRef) Expr {
	op := c.Operator
	beh := col.Column.DateBehavior
	b.plan.Context.ReadsClock = true
	s := calendar.Settings{Now: b.opt.Now, Zone: b.opt.Zone, WeekStart: b.opt.WeekStart}
	if beh != UserLocal {
		// Date Only and TZ-independent values are wall-clock: compute the
		// boundaries on the caller's wall clock and compare them as is.
		l := b.opt.Now.In(b.opt.Zone)
		s.Now = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
		s.Zone = time.UTC
		if beh == DateOnly && calendar.IsTimeOfDayOperator(op) {
			b.errorf(c.OpSpan, diag.OperatorType, "operator %s is not valid on date-only column %q", op, col.Column.LogicalName)
			return nil
		}
	}
	if f := b.opt.Fiscal; f != nil {
		s.Fiscal = &calendar.Fiscal{StartMonth: f.Start.Month(), StartDay: f.Start.Day(), PeriodType: f.PeriodType}
	} else if op.Info().Cat == ast.CatFiscal {
		b.errorf(c.OpSpan, diag.FiscalSettings, "operator %s needs the organization's fiscal settings (--fiscal-start, --fiscal-period)", op)
		return nil
	}
	var iv calendar.Interval
	var err error
	switch op.Info().Shape {
	case ast.NoOperand:
		if len(c.Values) != 0 {
			return b.operands(c)
		}
		iv, err = calendar.Relative(op, 0, s)
	case ast.OneInt:
		x, ok := b.intOperand(c, 0)
		if !ok {
			return nil
		}
		if op == ast.OpInFiscalPeriod {
			months, ok, err := calendar.FiscalPeriodMonths(x, *s.Fiscal)
			if err != nil {
				b.errorf(c.Values[0].Span, diag.FiscalSettings, "%v", err)
				return nil
			}
			zone := s.Zone
			if !ok {
				// Periods that do not start on the 1st of a month: the
				// emitter computes the fiscal period of each row's date.
				fs := *b.opt.Fiscal
				return &PartIn{Part: &DatePart{Part: PartFiscalPeriod, Col: col, Zone: zone, Fiscal: &fs}, Values: []int64{x}}
			}
			if len(months) == 0 {
				return &Const{Value: false}
			}
			return &PartIn{Part: &DatePart{Part: PartMonth, Col: col, Zone: zone}, Values: months}
		}
		iv, err = calendar.Relative(op, x, s)
	case ast.OneValue:
		if len(c.Values) != 1 {
			return b.operands(c)
		}
		// The operand is a date whatever the column's type is known to be.
		v, msg := b.literal(c.Values[0], KDateTime, beh)
		if v == nil {
			b.errorf(c.Values[0].Span, diag.TypeMismatch, "%q is not %s, as operator %s needs", c.Values[0].Text, msg, op)
			return nil
		}
		d := v.V.(time.Time)
		if beh == UserLocal {
			d = d.In(b.opt.Zone)
		}
		iv, err = calendar.Day(op, d, s)
	case ast.TwoValues:
		if len(c.Values) != 2 {
			return b.operands(c)
		}
		period, ok1 := b.intOperand(c, 0)
		year, ok2 := b.intOperand(c, 1)
		if !ok1 || !ok2 {
			return nil
		}
		iv, err = calendar.FiscalPeriodAndYear(op, period, year, s)
	}
	if err != nil {
		b.errorf(c.Span, diag.BadAttributeValue, "%s: %v", op, err)
		return nil
	}
	if beh == DateOnly {
		// A date-only value has no time of day and compares as a date (spec
		// §2.5): a date is in the interval when its day meets it, so an
		// interval starting "now" (next-seven-days, next-x-*) includes
		// today's date, and so does one ending "now" (last-seven-days,
		// last-x-*): its end moves to the next midnight. Bounds are then
		// whole dates, which every engine compares alike (PostgreSQL binds
		// them as dates, which would truncate a time of day).
		if iv.HasLo {
			iv.Lo = time.Date(iv.Lo.Year(), iv.Lo.Month(), iv.Lo.Day(), 0, 0, 0, 0, time.UTC)
		}
		if iv.HasHi {
			if day := time.Date(iv.Hi.Year(), iv.Hi.Month(), iv.Hi.Day(), 0, 0, 0, 0, time.UTC); !day.Equal(iv.Hi) {
				iv.Hi = day.AddDate(0, 0, 1)
			}
		}
	}
	terms := b.a.terms(2)[:0]
	if iv.HasLo {
		terms = append(terms, b.a.compare(Ge, col, b.a.value(KDateTime, iv.Lo.UTC()), false))
	}
	if iv.HasHi {
		terms = append(terms, b.a.compare(Lt, col, b.a.value(KDateTime, iv.Hi.UTC()), false))
	}
	if len(terms) == 0 {
		return b.a.isNull(col, true)
	}
	return b.a.and(terms)
}

// intOperand reads the i-th operand as an integer.
func (b *builder) intOperand(c *ast.Condition, i int) (int64, bool) {
	if i >= len(c.Values) {
		b.operands(c)
		return 0, false
	}
	_, v, msg := typed(c.Values[i], KInt, UserLocal, nil)
	if msg != "" {
		b.errorf(c.Values[i].Span, diag.BadAttributeValue, "operator %s needs an integer, not %q", c.Operator, c.Values[i].Text)
		return 0, false
	}
	return v.(int64), true
}

// identity resolves caller-dependent operators from the caller context.
func (b *builder) identity(c *ast.Condition, col *ColumnRef) Expr {
	if len(c.Values) != 0 {
		return b.operands(c)
	}
	caller := b.opt.Caller
	// Untyped mode reads the missing caller context in the query itself;
	// with security on those reads would bypass it, so the flags are needed.
	if b.untyped() && b.opt.Security == nil && (caller == nil || callerNeeds(c.Operator)&caller.Unknown != 0) {
		return b.untypedIdentity(c, col, caller)
	}
	if caller == nil {
		b.errorf(c.OpSpan, diag.MissingCaller, "operator %s needs the calling user: give --user", c.Operator)
		return nil
	}
	if need := callerNeeds(c.Operator) & caller.Unknown; need != 0 {
		b.errorf(c.OpSpan, diag.MissingCaller, "operator %s needs the caller's %s, which the database does not hold: give %s", c.Operator, callerPartNames(need, false), callerPartNames(need, true))
		return nil
	}
	list := func(ids ...[]string) Expr {
		var vals []*Value
		seen := map[string]bool{}
		for _, group := range ids {
			for _, id := range group {
				v := callerGUID(id)
				if !seen[v.V.(string)] {
					seen[v.V.(string)] = true
					vals = append(vals, v)
				}
			}
		}
		if len(vals) == 0 {
			return &Const{Value: false}
		}
		return &InList{Col: col, Values: vals}
	}
	op := c.Operator
	switch op {
	case ast.OpEqUserID:
		return &Compare{Op: Eq, Left: col, Right: callerGUID(caller.UserID)}
	case ast.OpNeUserID:
		return b.nullable(op, col, &Compare{Op: Ne, Left: col, Right: callerGUID(caller.UserID)})
	case ast.OpEqBusinessID, ast.OpNeBusinessID:
		if caller.BusinessUnitID == "" {
			b.errorf(c.OpSpan, diag.MissingCaller, "operator %s needs the caller's business unit: give --businessunit", op)
			return nil
		}
		if op == ast.OpEqBusinessID {
			return &Compare{Op: Eq, Left: col, Right: callerGUID(caller.BusinessUnitID)}
		}
		return b.nullable(op, col, &Compare{Op: Ne, Left: col, Right: callerGUID(caller.BusinessUnitID)})
	case ast.OpEqUserLanguage:
		return &Compare{Op: Eq, Left: col, Right: &Value{Kind: KInt, V: caller.LanguageID}}
	case ast.OpEqUserTeams:
		return list(caller.TeamIDs)
	case ast.OpEqUserOrUserTeams:
		return list([]string{caller.UserID}, caller.TeamIDs)
	case ast.OpEqUserOrUserHierarchy:
		return list([]string{caller.UserID}, caller.Reports)
	case ast.OpEqUserOrUserHierarchyAndTeams:
		return list([]string{caller.UserID}, caller.Reports, caller.TeamIDs, caller.ReportTeams)
	}
	return nil
}

// callerNeeds is the caller context an identity operator reads beyond
// the user id.
func callerNeeds(op ast.Operator) CallerParts {
	switch op {
	case ast.OpEqBusinessID, ast.OpNeBusinessID:
		return CallerBusinessUnit
	case ast.OpEqUserTeams, ast.OpEqUserOrUserTeams:
		return CallerTeams
	case ast.OpEqUserOrUserHierarchy:
		return CallerReports
	case ast.OpEqUserOrUserHierarchyAndTeams:
		return CallerReports | CallerTeams | CallerReportTeams
	}
	return 0
}

// callerPartNames names parts of the caller context, or their flags.
func callerPartNames(p CallerParts, flags bool) string {
	var names []string
	for _, x := range []struct {
		part       CallerParts
		name, flag string
	}{
		{CallerBusinessUnit, "business unit", "--businessunit ID"},
		{CallerTeams, "teams", "--teams ID,ID (empty: none)"},
		{CallerReports, "reports", "--reports ID,ID (empty: none)"},
		{CallerReportTeams, "reports' teams", "a teammembership table (no flag gives the reports' teams)"},
	} {
		if p&x.part != 0 {
			if flags {
				names = append(names, x.flag)
			} else {
				names = append(names, x.name)
			}
		}
	}
	return strings.Join(names, " and ")
}

// hierarchy resolves under / above on a table's hierarchical relationship.
func (b *builder) hierarchy(c *ast.Condition, col *ColumnRef) Expr {
	t := col.Source.Table
	rel := b.hierarchyOf(t, c.OpSpan, "operator "+c.Operator.String())
	if rel == nil {
		b.errorf(c.OpSpan, diag.OperatorType, "operator %s needs a table with a hierarchical relationship; %q has none", c.Operator, t.LogicalName)
		return nil
	}
	if !col.Column.IsPrimaryKey {
		b.errorf(c.Attribute.Span, diag.OperatorType, "operator %s applies to the primary key %q, not %q", c.Operator, t.PrimaryKey, col.Column.LogicalName)
		return nil
	}
	if len(c.Values) != 1 {
		return b.operands(c)
	}
	anchor := b.value(c, col, 0)
	if anchor == nil {
		return nil
	}
	op := c.Operator
	return &Hierarchy{
		Col: col, Rel: rel, Table: t, Anchor: anchor,
		Above:    op == ast.OpAbove || op == ast.OpEqOrAbove,
		OrEqual:  op == ast.OpEqOrUnder || op == ast.OpEqOrAbove,
		Not:      op == ast.OpNotUnder,
		MaxDepth: HierarchyMaxDepth,
	}
}

// hierarchyOf is table t's hierarchical relationship. Without metadata
// (an untyped table) it is assumed to be Dataverse's convention, the
// lookup parent<table>id to the primary key <table>id, and a warning at sp
// says so: what is assumed is never silent.
func (b *builder) hierarchyOf(t *Table, sp diag.Span, what string) *Relationship {
	if !t.Untyped {
		return t.Hierarchy()
	}
	rel := &Relationship{
		SchemaName:       t.LogicalName + "_parent_" + t.LogicalName,
		ReferencedTable:  t.LogicalName,
		ReferencedColumn: t.PrimaryKey,
		ReferencingTable: t.LogicalName, ReferencingColumn: "parent" + t.LogicalName + "id",
		Hierarchical: true,
	}
	b.warnf(sp, "%s: without metadata, table %q's hierarchy is assumed to be %s.%s -> %s.%s (Dataverse's convention); give --metadata or --db if it is another", what, t.LogicalName, t.LogicalName, rel.ReferencingColumn, t.LogicalName, rel.ReferencedColumn)
	return rel
}
