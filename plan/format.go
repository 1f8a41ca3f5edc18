package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/ast"
)

// Format prints the plan as a tree, an EXPLAIN for FetchXML: the data
// sources with their join modes, links and ranges (X++ QueryBuildDataSource
// terms in brackets), the output, the order and the limits. The output is
// deterministic, for golden tests.
func Format(p *Plan) string {
	var w treeWriter
	head := "query " + p.Root.Table.LogicalName
	var flags []string
	if p.Aggregate {
		flags = append(flags, "aggregate")
	}
	if p.Distinct {
		flags = append(flags, "distinct")
	}
	if p.NoLock {
		flags = append(flags, "no-lock")
	}
	if len(flags) > 0 {
		head += " (" + strings.Join(flags, ", ") + ")"
	}
	w.line(0, head)
	for _, x := range p.Warnings {
		w.line(1, "warning: "+string(x.Code)+" "+x.Msg)
	}
	if p.Security == SecurityOff {
		w.line(1, "security: off (no security model or no principal)")
	} else {
		w.line(1, "security: on")
	}
	if p.AccentSensitive {
		w.line(1, "collation: case-insensitive, accent-sensitive (CI_AS)")
	} else {
		w.line(1, "collation: case- and accent-insensitive (CI_AI)")
	}
	ctx := p.Context
	w.line(1, fmt.Sprintf("context: now=%s zone=%s weekstart=%s", ctx.Now.UTC().Format(time.RFC3339), zoneName(ctx.Zone), ctx.WeekStart))
	if ctx.Caller != nil {
		c := ctx.Caller
		w.line(2, fmt.Sprintf("caller: user=%s businessunit=%s teams=%d reports=%d", c.UserID, c.BusinessUnitID, len(c.TeamIDs), len(c.Reports)))
	}
	if ctx.Fiscal != nil {
		w.line(2, fmt.Sprintf("fiscal: start=%s period-type=%d", ctx.Fiscal.Start.Format("01-02"), ctx.Fiscal.PeriodType))
	}
	w.line(1, "columns:")
	for _, oc := range p.Columns {
		w.line(2, formatOutput(oc))
	}
	if len(p.Orders) > 0 {
		w.line(1, "order:")
		for _, k := range p.Orders {
			dir := "asc nulls first"
			if k.Desc {
				dir = "desc nulls last"
			}
			var term string
			if k.Output != nil {
				term = k.Output.Name + " " + dir
			} else if k.Expr != nil {
				term = ScalarString(k.Expr) + " " + dir
			} else {
				term = refString(k.Column) + " " + dir
			}
			w.line(2, term+sortByString(k))
		}
	}
	switch {
	case p.Top > 0:
		w.line(1, fmt.Sprintf("top: %d", p.Top))
	case p.PageSize > 0:
		w.line(1, fmt.Sprintf("page: %d of size %d", p.PageNumber, p.PageSize))
	}
	if p.RootFirst && (p.Top > 0 || p.PageSize > 0) {
		w.line(1, "root first: ordered and limited before its to-one outer joins")
	}
	if p.After != nil {
		vals := make([]string, len(p.After))
		for i, v := range p.After {
			vals[i] = "null"
			if v != nil {
				vals[i] = valueString(v)
			}
		}
		part := ""
		switch p.AfterPart {
		case AfterNullRange:
			part = fmt.Sprintf(", key %d NULL", p.AfterAt+1)
		case AfterValueRange:
			part = fmt.Sprintf(", key %d not NULL", p.AfterAt+1)
		case AfterRest:
			part = fmt.Sprintf(", after the keys before key %d", p.AfterAt+1)
		}
		if p.AfterAt > 0 && p.AfterPart != AfterRest && p.AfterPart != AfterWhole {
			part += ", the keys before tied"
		}
		w.line(1, "after: ("+strings.Join(vals, ", ")+") in the order"+part)
	}
	if pl := p.Partition; pl != nil {
		by := "?"
		if pl.By != nil {
			by = refString(pl.By)
		}
		line := fmt.Sprintf("per %s: rows %d to %d", by, pl.Skip+1, pl.Skip+pl.Top)
		if pl.Keys != nil {
			line += fmt.Sprintf(" (%d keys listed: a seek per key where the dialect has one)", len(pl.Keys.Values))
		}
		w.line(1, line)
	}
	if p.ReturnTotalRecordCount {
		w.line(1, fmt.Sprintf("total record count: up to %d", TotalRecordCountLimit))
	}
	if p.AggregateLimit > 0 {
		w.line(1, fmt.Sprintf("aggregate limit: %d input rows", p.AggregateLimit))
	}
	if p.QuickFindLimit > 0 {
		w.line(1, fmt.Sprintf("quick find limit: %d rows matching %s", p.QuickFindLimit, exprString(p.QuickFind)))
	}
	if len(p.Options) > 0 {
		w.line(1, "hints: "+strings.Join(p.Options, ", "))
	}
	w.source(1, p.Root)
	return w.String()
}

// sortByString describes a name or label sort key: the names it sorts by,
// or "by label".
func sortByString(k *SortKey) string {
	switch k.By {
	case SortName:
		names := make([]string, len(k.Targets))
		for i, t := range k.Targets {
			names[i] = t.LogicalName + "." + t.PrimaryName
			if i < len(k.Names) && k.Names[i].Hidden {
				names[i] += " hidden"
				if n := len(k.Names[i].Shared); n > 0 {
					names[i] += " but on " + strconv.Itoa(n) + " shared"
				}
			}
		}
		return " (by name: " + strings.Join(names, ", ") + ")"
	case SortLabel:
		return " (by label)"
	}
	return ""
}

type treeWriter struct{ strings.Builder }

func (w *treeWriter) line(depth int, s string) {
	for i := 0; i < depth; i++ {
		w.WriteString("  ")
	}
	w.WriteString(s)
	w.WriteByte('\n')
}

var joinModes = [...]string{
	JoinRoot:     "",
	JoinInner:    "InnerJoin",
	JoinOuter:    "OuterJoin",
	JoinFirstRow: "first row (cross apply)",
	JoinSubquery: "",
}

func (w *treeWriter) source(depth int, ds *DataSource) {
	head := "datasource " + ds.Name
	if ds.Name != ds.Table.LogicalName {
		head += " (" + ds.Table.LogicalName + ")"
	}
	if ds.Join != JoinRoot {
		mode := joinModes[ds.Join]
		if ds.Join == JoinSubquery {
			mode = "link-type " + ds.LinkType.String()
		}
		head = ds.Join.String() + " " + head + " [" + mode + "]"
	}
	w.line(depth, head)
	if ds.Parent != nil && ds.Child != nil {
		w.line(depth+1, fmt.Sprintf("link: %s.%s = %s", ds.Name, ds.Child.LogicalName, refString(ds.Parent)))
	}
	if ds.Security != nil {
		w.line(depth+1, "security ["+strings.Join(ds.Security.Policies, ", ")+"]: "+exprString(ds.Security.Expr))
		for _, sub := range subqueries(ds.Security.Expr) {
			w.source(depth+2, sub)
		}
		if len(ds.Security.Hidden) > 0 {
			names := make([]string, len(ds.Security.Hidden))
			for i, c := range ds.Security.Hidden {
				names[i] = c.LogicalName
			}
			w.line(depth+1, "hidden columns (read as NULL): "+strings.Join(names, ", "))
		}
		for _, sc := range ds.Security.Shared {
			w.line(depth+1, "shared column "+sc.Column.LogicalName+": readable on "+strconv.Itoa(len(sc.Keys))+" shared records, NULL elsewhere")
		}
	}
	if ds.Filter != nil {
		label := "where"
		if ds.Join == JoinInner || ds.Join == JoinOuter || ds.Join == JoinFirstRow {
			label = "on"
		}
		w.line(depth+1, label+": "+exprString(ds.Filter))
		for _, sub := range subqueries(ds.Filter) {
			w.source(depth+2, sub)
		}
	}
	for _, j := range ds.Joins {
		w.source(depth+1, j)
	}
}

// subqueries lists the sources of Exists / InSubquery nodes in e.
func subqueries(e Expr) []*DataSource {
	var out []*DataSource
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			for _, t := range e.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range e.Terms {
				walk(t)
			}
		case *Not:
			walk(e.X)
		case *NotTrue:
			walk(e.X)
		case *Exists:
			out = append(out, e.Source)
		case *InSubquery:
			out = append(out, e.Source)
		}
	}
	walk(e)
	return out
}

func zoneName(z *time.Location) string {
	if z == nil {
		return "UTC"
	}
	return z.String()
}

func formatOutput(oc *OutputColumn) string {
	var s string
	switch {
	case oc.All:
		return oc.Source.Name + ".* (every column the database holds: untyped all-attributes)"
	case oc.Aggregate == ast.Count:
		s = "count(*)"
	case oc.Aggregate != ast.NoAggregate:
		d := ""
		if oc.Distinct {
			d = "distinct "
		}
		s = oc.Aggregate.String() + "(" + d + oc.Source.Name + "." + oc.Column.LogicalName + ")"
	case oc.RowAggregate != nil:
		return "countchildren(" + oc.Source.Name + "." + oc.RowAggregate.ReferencedColumn + " via " + oc.RowAggregate.ReferencingColumn + ") : Integer AS " + strconv.Quote(oc.Name)
	case oc.DateGrouping != ast.NoDateGrouping:
		s = oc.DateGrouping.String() + "(" + oc.Source.Name + "." + oc.Column.LogicalName + " in " + zoneName(oc.Zone) + ")"
	default:
		s = oc.Source.Name + "." + oc.Column.LogicalName
	}
	if oc.GroupBy {
		s = "group by " + s
	}
	if oc.Column != nil && oc.Column.Type != TUnknown {
		s += " : " + oc.Column.Type.String()
	}
	return s + " AS " + strconv.Quote(oc.Name)
}

func refString(r *ColumnRef) string {
	if r == nil {
		return "?"
	}
	return r.Source.Name + "." + r.Column.LogicalName
}

// exprString prints an expression with SQL-like operators; values are
// shown inline here (SQL always binds them).
func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr, parentPrec int) {
	switch e := e.(type) {
	case nil:
		b.WriteString("TRUE")
	case *And:
		writeList(b, e.Terms, " AND ", 2, parentPrec, "TRUE")
	case *Or:
		writeList(b, e.Terms, " OR ", 1, parentPrec, "FALSE")
	case *Not:
		b.WriteString("NOT ")
		writeExpr(b, e.X, 3)
	case *NotTrue:
		b.WriteString("(")
		writeExpr(b, e.X, 0)
		b.WriteString(") IS NOT TRUE")
	case *Const:
		if e.Value {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case *Compare:
		fold := ""
		if e.Fold {
			fold = " [ci]"
		}
		b.WriteString(refString(e.Left) + " " + e.Op.String() + " " + operandString(e.Right) + fold)
	case *ScalarCompare:
		fold := ""
		if e.Fold {
			fold = " [ci]"
		}
		b.WriteString(ScalarString(e.Left) + " " + e.Op.String() + " " + ScalarString(e.Right) + fold)
	case *ScalarNull:
		if e.Not {
			b.WriteString(ScalarString(e.X) + " IS NOT NULL")
		} else {
			b.WriteString(ScalarString(e.X) + " IS NULL")
		}
	case *ScalarFind:
		b.WriteString([...]string{"contains", "startswith", "endswith"}[e.Where] + "(" + ScalarString(e.X) + ", " + valueString(e.Text) + ") [ci]")
	case *IsNull:
		if e.Not {
			b.WriteString(refString(e.Col) + " IS NOT NULL")
		} else {
			b.WriteString(refString(e.Col) + " IS NULL")
		}
	case *InList:
		b.WriteString(refString(e.Col))
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		for i, v := range e.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(valueString(v))
		}
		b.WriteString(")")
		if e.Fold {
			b.WriteString(" [ci]")
		}
	case *Like:
		b.WriteString(refString(e.Col))
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" LIKE " + strconv.Quote(e.Pattern.String()) + " [ci]")
	case *Exists:
		if e.Not {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS(" + e.Source.Name + ")")
	case *InSubquery:
		b.WriteString(refString(e.Source.Parent) + " IN (" + e.Source.Name + "." + colName(e.Source.Child) + ")")
	case *MultiContains:
		if e.Not {
			b.WriteString("NOT ")
		}
		b.WriteString(fmt.Sprintf("CONTAINS-ANY(%s, %v)", refString(e.Col), e.Values))
	case *PartIn:
		if e.Part == nil {
			b.WriteString(fmt.Sprintf("?() IN %v", e.Values))
			break
		}
		name := "?"
		if int(e.Part.Part) < len(partNames) {
			name = partNames[e.Part.Part]
		}
		if f := e.Part.Fiscal; f != nil {
			name += fmt.Sprintf("[start=%s period-type=%d]", f.Start.Format("01-02"), f.PeriodType)
		}
		b.WriteString(fmt.Sprintf("%s(%s in %s) IN %v", name, refString(e.Part.Col), zoneName(e.Part.Zone), e.Values))
	case *Hierarchy:
		rel := "UNDER"
		if e.Above {
			rel = "ABOVE"
		}
		if e.OrEqual {
			rel = "EQ-OR-" + rel
		}
		if e.Not {
			rel = "NOT " + rel
		}
		b.WriteString(fmt.Sprintf("%s %s %s via %s (max depth %d)", refString(e.Col), rel, valueString(e.Anchor), e.Rel.ReferencingColumn, e.MaxDepth))
		if e.Walk != nil && e.Walk.Security != nil {
			b.WriteString(" walking " + e.Walk.Name + " [" + strings.Join(e.Walk.Security.Policies, ", ") + "]: ")
			writeExpr(b, e.Walk.Security.Expr, 0)
		}
	default:
		b.WriteString(fmt.Sprintf("%T", e))
	}
}

var partNames = [...]string{"year", "quarter", "month", "week", "day", "dayofyear", "fiscal-period"}

func colName(c *Column) string {
	if c == nil {
		return "?"
	}
	return c.LogicalName
}

func writeList(b *strings.Builder, terms []Expr, sep string, prec, parentPrec int, empty string) {
	if len(terms) == 0 {
		b.WriteString(empty)
		return
	}
	paren := prec < parentPrec
	if paren {
		b.WriteString("(")
	}
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		writeExpr(b, t, prec)
	}
	if paren {
		b.WriteString(")")
	}
}

func operandString(o Operand) string {
	switch o := o.(type) {
	case *Value:
		return valueString(o)
	case *ColumnRef:
		return refString(o)
	}
	return "?"
}

func valueString(v *Value) string {
	if n, ok := v.V.(int64); ok && (v.Kind == KDate || v.Kind == KTime) {
		return dateTimeText(v.Kind, n)
	}
	switch x := v.V.(type) {
	case string:
		if v.Kind == KDecimal {
			return x
		}
		return strconv.Quote(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999999999Z")
	}
	return fmt.Sprint(v.V)
}

// dateTimeText prints a KDate (yyyymmdd) or KTime (hhmmss) value as
// OData writes its literal.
func dateTimeText(k Kind, n int64) string {
	if k == KDate {
		return fmt.Sprintf("%04d-%02d-%02d", n/10000, n/100%100, n%100)
	}
	return fmt.Sprintf("%02d:%02d:%02d", n/10000, n/100%100, n%100)
}

// ScalarString prints a computed value in OData's spelling (dates parts
// with their zone).
func ScalarString(s Scalar) string {
	switch s := s.(type) {
	case *ColumnRef:
		return refString(s)
	case *Value:
		return valueString(s)
	case *Call:
		args := make([]string, len(s.Args))
		for i, a := range s.Args {
			args[i] = ScalarString(a)
		}
		switch {
		case s.Func == ast.FnNeg:
			return "-" + args[0]
		case s.Func.Operator():
			return "(" + args[0] + " " + s.Func.String() + " " + args[1] + ")"
		case s.Zone != nil:
			return s.Func.String() + "(" + strings.Join(args, ", ") + " in " + zoneName(s.Zone) + ")"
		}
		return s.Func.String() + "(" + strings.Join(args, ", ") + ")"
	}
	return "?"
}
