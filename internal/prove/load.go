// Package prove is the property harness: generated datasets and queries
// (internal/gen) run through the whole pipeline (FetchXML text → parser →
// planner → SQL emitter → SQLite, PostgreSQL, MariaDB) and are checked
// against the reference interpreter (internal/refeval) — the differential
// oracle — and against themselves under SQLancer's metamorphic relations
// (TLP, NoREC). The self-check test turns on each injected bug of
// internal/faults and shows that the harness catches it.
//
// See prove_test.go for the budgets and VECOMPILE_SEED.
package prove

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/refeval"
	"github.com/vecompile/vecompile/plan"
)

// Catalog is the planner's view of a generated database whose tables carry
// prefix.
func Catalog(db *refeval.Database, prefix string) plan.MapCatalog {
	cat := plan.MapCatalog{}
	for _, t := range db.Tables {
		pt := plan.Table{
			LogicalName: t.Name, PhysicalName: prefix + t.Name, EntitySetName: t.Name + "s",
			PrimaryKey: t.PrimaryKey, PrimaryName: "name",
		}
		for _, c := range t.Columns {
			col := &plan.Column{LogicalName: c.Name, Type: planType(c.Kind)}
			switch c.Kind {
			case refeval.DateOnly:
				col.DateBehavior = plan.DateOnly
			case refeval.WallDateTime:
				col.DateBehavior = plan.TimeZoneIndependent
			}
			for v, l := range c.Labels {
				col.Options = append(col.Options, plan.Option{Value: v, Label: l})
			}
			if c.Kind == refeval.Lookup {
				col.Targets = []string{c.Target}
				pt.Relationships = append(pt.Relationships, &plan.Relationship{
					SchemaName: t.Name + "_" + c.Name, Kind: plan.OneToMany,
					ReferencedTable: c.Target, ReferencedColumn: db.Table(c.Target).PrimaryKey,
					ReferencingTable: t.Name, ReferencingColumn: c.Name,
					Hierarchical: c.Target == t.Name,
				})
			}
			pt.Columns = append(pt.Columns, col)
		}
		cat.Add(plan.NewTable(pt))
	}
	return cat
}

func planType(k refeval.Kind) plan.Type {
	return [...]plan.Type{
		refeval.String: plan.TString, refeval.Int: plan.TInteger, refeval.Decimal: plan.TDecimal,
		refeval.Float: plan.TDouble, refeval.Bool: plan.TBoolean, refeval.DateTime: plan.TDateTime,
		refeval.Guid: plan.TUniqueidentifier, refeval.Lookup: plan.TLookup, refeval.Choice: plan.TPicklist,
		refeval.DateOnly: plan.TDateTime, refeval.WallDateTime: plan.TDateTime, refeval.MultiChoice: plan.TMultiSelectPicklist,
	}[k]
}

func sqlType(dialect string, k refeval.Kind) string {
	switch k {
	case refeval.Guid, refeval.Lookup:
		if dialect == engine.Postgres {
			return "UUID"
		}
		return "CHAR(36)"
	case refeval.String:
		return "VARCHAR(100)"
	case refeval.Int, refeval.Choice:
		if dialect == engine.MySQL {
			return "INT"
		}
		return "INTEGER"
	case refeval.Decimal:
		return "DECIMAL(23,2)"
	case refeval.Float:
		if dialect == engine.MySQL {
			return "DOUBLE"
		}
		return "DOUBLE PRECISION"
	case refeval.Bool:
		if dialect == engine.MySQL {
			return "TINYINT(1)"
		}
		return "BOOLEAN"
	case refeval.DateOnly:
		return "DATE"
	case refeval.MultiChoice:
		return "VARCHAR(100)"
	case refeval.DateTime, refeval.WallDateTime:
		if dialect == engine.Postgres {
			return "TIMESTAMP"
		}
		return "DATETIME"
	}
	return "TEXT"
}

func quote(dialect, s string) string {
	if dialect == engine.MySQL {
		return "`" + s + "`"
	}
	return `"` + s + `"`
}

func placeholder(dialect string, n int) string {
	if dialect == engine.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// Load (re)creates the database's tables in db with prefix and inserts its
// rows, every value a bind parameter (datetimes as UTC text, the form the
// engine's own fixture uses).
func Load(ctx context.Context, db *engine.DB, data *refeval.Database, prefix string) error {
	if err := Drop(ctx, db, data, prefix); err != nil {
		return err
	}
	d := db.Dialect
	for _, t := range data.Tables {
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE %s (", quote(d, prefix+t.Name))
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", quote(d, c.Name), sqlType(d, c.Kind))
			if c.Name == t.PrimaryKey {
				b.WriteString(" NOT NULL PRIMARY KEY")
			}
		}
		b.WriteString(")")
		if d == engine.MySQL {
			b.WriteString(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
		}
		if _, err := db.SQL.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("%s: %v\n%s", d, err, b.String())
		}
		if len(t.Rows) == 0 {
			continue
		}
		b.Reset()
		fmt.Fprintf(&b, "INSERT INTO %s (", quote(d, prefix+t.Name))
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(d, c.Name))
		}
		b.WriteString(") VALUES ")
		var args []any
		for j, row := range t.Rows {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for i, c := range t.Columns {
				if i > 0 {
					b.WriteString(", ")
				}
				args = append(args, bindValue(c.Kind, row[c.Name]))
				b.WriteString(placeholder(d, len(args)))
			}
			b.WriteString(")")
		}
		if _, err := db.SQL.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("%s: loading %s: %v", d, t.Name, err)
		}
	}
	return nil
}

func bindValue(k refeval.Kind, v any) any {
	switch x := v.(type) {
	case *big.Rat:
		return x.FloatString(2)
	case []int64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ",")
	case time.Time:
		if k == refeval.DateOnly {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	}
	return v
}

// Drop drops the database's tables with prefix.
func Drop(ctx context.Context, db *engine.DB, data *refeval.Database, prefix string) error {
	for _, t := range data.Tables {
		q := "DROP TABLE IF EXISTS " + quote(db.Dialect, prefix+t.Name)
		if _, err := db.SQL.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %v", db.Dialect, err)
		}
	}
	return nil
}
