package sql

import "github.com/vecompile/vecompile/plan"

// collate pins the collation of a string column where the dialect names
// one (Caps.Collation: SQL Server), so that comparisons, sorts, groupings
// and DISTINCT compare as Dataverse's Latin1_General_CI_AI (CI_AS when
// the plan is accent-sensitive) whatever the database's default: SQL
// Server's installation default and the SQL_Latin1_General_CP1_CI_AS of
// Finance and Operations databases are accent-sensitive, and would return
// other rows.
//
// The trade-off: a column compared under a collation other than its own
// cannot use an index seek on it (SQL Server converts each value, then
// scans). On a database whose string columns already use the pinned
// collation the clause changes nothing, seeks included; elsewhere the
// answer is Dataverse's at the cost of scans, which an index on a computed
// column with that collation restores.
func (e *emitter) collate(c *plan.Column) {
	if e.caps.Collation == "" || c == nil || c.Type.Kind() != plan.KString {
		return
	}
	e.raw(" COLLATE ")
	if e.p.AccentSensitive && e.caps.CollationAccents != "" {
		e.raw(e.caps.CollationAccents)
	} else {
		e.raw(e.caps.Collation)
	}
}

// collateName pins the collation of a name sort key (the targets' primary
// names are strings).
func (e *emitter) collateName(k *plan.SortKey) {
	if len(k.Targets) == 0 || k.Targets[0] == nil {
		return
	}
	if c, ok := k.Targets[0].Column(k.Targets[0].PrimaryName); ok {
		e.collate(c)
	}
}
