package sql

import (
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// TestTrailingSpaces: every engine compares strings padded, as SQL Server
// (so Dataverse) does: 'Paris', 'Paris  ' and 'paris ' are equal in =,
// <>, <, >, <=, >=, in, not-in, grouping, distinct and countcolumn
// distinct; LIKE keeps
// trailing spaces. MariaDB runs with a NO PAD collation (as MySQL 8's
// utf8mb4_0900 ones are), so the trimming must come from the SQL.
func TestTrailingSpaces(t *testing.T) {
	engines(t, func(t *testing.T, tdb *testDB) {
		ty := tdb.types()
		suffix := ty.tableSuffix
		if tdb.d == MySQL {
			suffix = " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
		}
		name := tdb.prefix + "padcity"
		if _, err := tdb.db.Exec("CREATE TABLE " + q(tdb.d, name) + " (id " + ty.int + " PRIMARY KEY, city " + ty.text + ")" + suffix); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tdb.db.Exec("DROP TABLE " + q(tdb.d, name)) })
		if _, err := tdb.db.Exec("INSERT INTO " + q(tdb.d, name) + " VALUES (1, 'Paris'), (2, 'Paris  '), (3, 'paris '), (4, 'Lyon'), (5, ' Paris')"); err != nil {
			t.Fatal(err)
		}
		tbl := plan.NewTable(plan.Table{LogicalName: "padcity", PhysicalName: name, PrimaryKey: "id",
			Columns: []*plan.Column{{LogicalName: "id", Type: plan.TInteger}, {LogicalName: "city", Type: plan.TString}}})
		ids := func(filter func(a *plan.DataSource) plan.Expr) func(*fixture) *plan.Plan {
			return func(*fixture) *plan.Plan {
				a := root("padcity", tbl)
				a.Filter = filter(a)
				return &plan.Plan{Root: a, Columns: outs(a, "id")}
			}
		}
		city := func(a *plan.DataSource) *plan.ColumnRef { return ref(a, "city") }
		for _, c := range []struct {
			name  string
			build func(*fixture) *plan.Plan
			want  [][]string
		}{
			{"eq", ids(func(a *plan.DataSource) plan.Expr { return foldEq(city(a), "PARIS") }), col1("1", "2", "3")},
			{"eq_value_spaces", ids(func(a *plan.DataSource) plan.Expr { return foldEq(city(a), "paris   ") }), col1("1", "2", "3")},
			{"ne", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.Compare{Op: plan.Ne, Left: city(a), Right: str("Paris "), Fold: true}
			}), col1("4", "5")},
			{"in", ids(func(a *plan.DataSource) plan.Expr { return in(city(a), true, str("Paris "), str("Nice")) }), col1("1", "2", "3")},
			{"long_in", ids(func(a *plan.DataSource) plan.Expr { return in(city(a), true, long(noCity, str("PARIS  "))...) }), col1("1", "2", "3")},
			{"not_in", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.InList{Col: city(a), Values: []*plan.Value{str("Paris")}, Not: true, Fold: true}
			}), col1("4", "5")},
			{"gt_ties_ignore_spaces", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.Compare{Op: plan.Gt, Left: city(a), Right: str("paris"), Fold: true}
			}), col1()},
			{"ge_value_spaces", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.Compare{Op: plan.Ge, Left: city(a), Right: str("PARIS   "), Fold: true}
			}), col1("1", "2", "3")},
			{"lt", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.Compare{Op: plan.Lt, Left: city(a), Right: str("paris "), Fold: true}
			}), col1("4", "5")},
			{"le_column", ids(func(a *plan.DataSource) plan.Expr {
				return &plan.Compare{Op: plan.Le, Left: city(a), Right: str("Paris"), Fold: true}
			}), col1("1", "2", "3", "4", "5")},
			{"like_keeps_spaces", ids(func(a *plan.DataSource) plan.Expr { return like(city(a), "paris") }), col1("1")},
			{"group", func(*fixture) *plan.Plan {
				a := root("padcity", tbl)
				key := &plan.OutputColumn{Name: "city", Source: a, Column: column(tbl, "city"), GroupBy: true}
				n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
				return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{n, key}}
			}, [][]string{{"3", "Paris"}, {"1", "Lyon"}, {"1", " Paris"}}},
			{"count_distinct", func(*fixture) *plan.Plan {
				a := root("padcity", tbl)
				n := &plan.OutputColumn{Name: "n", Source: a, Column: column(tbl, "city"), Aggregate: ast.CountColumn, Distinct: true}
				return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{n}}
			}, col1("3")},
			{"distinct", func(*fixture) *plan.Plan {
				a := root("padcity", tbl)
				return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "city")}
			}, col1("Paris", "Lyon", " Paris")},
		} {
			t.Run(c.name, func(t *testing.T) {
				st, err := Emit(c.build(nil), tdb.d)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tdb.query(st)
				if err != nil {
					t.Fatalf("%v\n%s", err, st)
				}
				if !sameRows(c.want, got, false) {
					t.Errorf("rows:\n got %q\nwant %q\n%s", got, c.want, st)
				}
			})
		}
	})
}

func noCity(i int) *plan.Value {
	return str("nowhere " + string(rune('a'+i%26)) + string(rune('a'+i/26)))
}
