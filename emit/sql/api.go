// Package sql emits SQL for a plan in one of four dialects: PostgreSQL,
// SQLite, MySQL/MariaDB and SQL Server (T-SQL).
package sql

import "github.com/vecompile/vecompile/plan"

// Statement is emitted SQL with its bind parameters, in the dialect's
// placeholder style, and the plan's output columns in SELECT order.
type Statement struct {
	SQL     string
	Args    []any
	Columns []*plan.OutputColumn
}
