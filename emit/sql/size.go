package sql

import (
	"github.com/vecompile/vecompile/plan"
)

// sizer estimates the statement's length and argument count, and collects
// the hierarchy tests to hoist, in one walk that allocates nothing (unless
// there are hierarchy tests).
type sizer struct{ bytes, args, depth int }

func (s *sizer) source(ds *plan.DataSource, e *emitter) {
	if ds == nil || s.depth > maxNesting {
		return
	}
	s.depth++
	s.bytes += 96
	s.expr(ds.Filter, e)
	if ds.Security != nil {
		s.expr(ds.Security.Expr, e)
	}
	for _, j := range ds.Joins {
		s.source(j, e)
	}
	s.depth--
}

func (s *sizer) expr(x plan.Expr, e *emitter) {
	if s.depth > maxNesting {
		return
	}
	s.depth++
	s.exprNode(x, e)
	s.depth--
}

func (s *sizer) exprNode(x plan.Expr, e *emitter) {
	switch x := x.(type) {
	case *plan.And:
		if x == nil {
			return
		}
		s.bytes += 7 * len(x.Terms)
		for _, t := range x.Terms {
			s.expr(t, e)
		}
	case *plan.Or:
		if x == nil {
			return
		}
		s.bytes += 6 * len(x.Terms)
		for _, t := range x.Terms {
			s.expr(t, e)
		}
	case *plan.Not:
		if x == nil {
			return
		}
		s.bytes += 8
		s.expr(x.X, e)
	case *plan.NotTrue:
		if x == nil {
			return
		}
		s.bytes += 40
		s.expr(x.X, e)
	case *plan.Compare:
		if x == nil {
			return
		}
		s.bytes += 48
		s.args++
		if x.Fold {
			s.bytes += 2 * e.foldCost()
		}
	case *plan.InList:
		if x == nil {
			return
		}
		s.bytes += 40 + 5*len(x.Values)
		s.args += len(x.Values)
		if x.Fold {
			s.bytes += e.foldCost()
		}
	case *plan.Like:
		if x == nil {
			return
		}
		s.bytes += 56 + e.foldCost()
		s.args++
	case *plan.Exists:
		if x == nil {
			return
		}
		s.bytes += 64
		s.source(x.Source, e)
	case *plan.InSubquery:
		if x == nil {
			return
		}
		s.bytes += 64
		s.source(x.Source, e)
	case *plan.MultiContains:
		if x == nil {
			return
		}
		s.bytes += 40 * len(x.Values)
		s.args += len(x.Values)
	case *plan.PartIn:
		if x == nil {
			return
		}
		s.bytes += 96 + 5*len(x.Values)
		s.args += len(x.Values) + 2
		if x.Part != nil && x.Part.Part == plan.PartFiscalPeriod {
			s.bytes += 640 * len(x.Values) // year, month, day and leap-year arithmetic
			s.args += 6 * len(x.Values)
		}
	case *plan.Hierarchy:
		if x == nil {
			return
		}
		s.bytes += 400
		s.args += 2
		for _, h := range e.hier {
			if h == x {
				return
			}
		}
		e.hier = append(e.hier, x)
	case *plan.ScalarCompare, *plan.ScalarFind:
		s.bytes += 1200 // functions, folds and casts
		s.args += 4
	default:
		s.bytes += 16
	}
}
