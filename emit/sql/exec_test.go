package sql

import (
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	sqlite "modernc.org/sqlite"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/collate"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
)

// testDB is one real engine with the fixture loaded under a unique table
// prefix (the databases are shared with other packages' tests).
type testDB struct {
	d      Dialect
	db     *sql.DB
	prefix string
	f      *fixture
}

func uniquePrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "emit_" + hex.EncodeToString(b[:]) + "_"
}

var registerLower sync.Once

// openSQLite opens a private in-memory database. SQLite's built-in lower()
// folds ASCII only; like an executor should, the test replaces it with a
// Unicode-aware one (see doc.go).
func openSQLite(t testing.TB) *sql.DB {
	registerLower.Do(func() {
		sqlite.MustRegisterDeterministicScalarFunction("lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch s := args[0].(type) {
			case string:
				return strings.ToLower(s), nil
			case []byte:
				return strings.ToLower(string(s)), nil
			}
			return args[0], nil
		})
		// vecompile_fold, as package engine registers it (FoldFunction).
		sqlite.MustRegisterDeterministicScalarFunction(ZoneFunctionName, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			ts, ok := args[0].(string)
			if !ok {
				return nil, nil
			}
			return LocalTime(ts, args[1].(string))
		})
		sqlite.MustRegisterDeterministicScalarFunction(FoldFunctionName, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch s := args[0].(type) {
			case string:
				return collate.Fold(s), nil
			case []byte:
				return collate.Fold(string(s)), nil
			}
			return args[0], nil
		})
	})
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	return db
}

// mysqlDSN accepts the go-sql-driver form (root@tcp(host:3306)/test?…) or
// a vecompile URL (mysql://root@host:3306/test), and makes sure parseTime
// is on.
func mysqlDSN(t *testing.T, dsn string) string {
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("bad MySQL DSN: %v", err)
		}
		cfg := mysql.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		dsn = cfg.FormatDSN()
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("bad MySQL DSN: %v", err)
	}
	cfg.ParseTime = true
	cfg.MultiStatements = true
	return cfg.FormatDSN()
}

type colTypes struct{ guid, text, dec, int, dt, boolean, tableSuffix, date string }

func (tdb *testDB) types() colTypes {
	switch tdb.d {
	case Postgres:
		return colTypes{"uuid", "text", "numeric(18,2)", "integer", "timestamp", "boolean", "", "date"}
	case MySQL:
		return colTypes{"CHAR(36)", "VARCHAR(200)", "DECIMAL(18,2)", "INT", "DATETIME", "TINYINT(1)", " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", "DATE"}
	}
	return colTypes{"TEXT", "TEXT", "NUMERIC", "INTEGER", "TEXT", "INTEGER", "", "TEXT"}
}

// q quotes an identifier the way the emitter does.
func q(d Dialect, name string) string {
	var e emitter
	if err := e.init(&plan.Plan{Root: &plan.DataSource{}}, d); err != nil {
		panic(err)
	}
	e.ident(name)
	return e.text()
}

func id(n int) string { return fmt.Sprintf("aaaaaaaa-0000-0000-0000-%012d", n) }

func (tdb *testDB) load(t *testing.T) {
	ty := tdb.types()
	tbl := func(name string) string { return q(tdb.d, tdb.prefix+name) }
	ddl := []string{
		"CREATE TABLE " + tbl("account") + " (accountid " + ty.guid + " PRIMARY KEY, name " + ty.text + ", city " + ty.text + ", revenue " + ty.dec +
			", employees " + ty.int + ", createdon " + ty.dt + ", parentaccountid " + ty.guid + ", tags " + ty.text + ", isactive " + ty.boolean +
			", primarycontactid " + ty.guid + ")" + ty.tableSuffix,
		"CREATE TABLE " + tbl("contact") + " (contactid " + ty.guid + " PRIMARY KEY, parentcustomerid " + ty.guid + ", fullname " + ty.text +
			", lastname " + ty.text + ", " + q(tdb.d, "rank") + " " + ty.int + ", birthdate " + ty.date + ")" + ty.tableSuffix,
		"CREATE TABLE " + tbl("note") + " (noteid " + ty.guid + " PRIMARY KEY, contactid " + ty.guid + ", subject " + ty.text + ")" + ty.tableSuffix,
	}
	A := func(n int) string { return "'" + id(n) + "'" }
	C := func(n int) string { return "'" + id(100+n) + "'" }
	rows := []string{
		"INSERT INTO " + tbl("account") + " VALUES " + strings.Join([]string{
			"(" + A(1) + ", 'Contoso', 'Seattle', '100.50', 10, '2024-03-10 04:30:00', NULL, '1,2', '1', " + C(1) + ")",
			"(" + A(2) + ", 'contoso Ltd', 'seattle', '200.00', 20, '2024-03-11 04:30:00', " + A(1) + ", '2', '1', NULL)",
			"(" + A(3) + ", 'École Été', 'PARIS', NULL, 15, '2024-01-01 03:00:00', " + A(1) + ", '10,3', '0', " + C(3) + ")",
			"(" + A(4) + ", '100% Pure', NULL, '50.25', NULL, '2024-12-31 12:00:00', " + A(2) + ", NULL, '1', NULL)",
			"(" + A(5) + ", 'Under_score', 'Paris', '10.00', 15, NULL, NULL, '3', '0', NULL)",
			"(" + A(6) + ", '[Bracket] Co', 'London', NULL, 15, '2023-11-05 05:30:00', NULL, '', NULL, NULL)",
			"(" + A(7) + ", 'Star*Q?', 'london', '75.00', 7, '2023-11-06 04:30:00', NULL, '1,10', '1', NULL)",
			"(" + A(8) + ", 'Pipe|Plus+ (x).', 'Berlin', '1.00', NULL, '2024-07-04 02:00:00', NULL, NULL, '0', NULL)",
		}, ", "),
		"INSERT INTO " + tbl("contact") + " VALUES " + strings.Join([]string{
			"(" + C(1) + ", " + A(1) + ", 'Ann Lee', 'Lee', 1, '1985-07-04')",
			"(" + C(2) + ", " + A(1) + ", 'Bob Ray', 'Ray', 2, '1985-07-05')",
			"(" + C(3) + ", " + A(3) + ", 'Cy Smith', 'Smith', 3, '1985-07-03')",
			"(" + C(4) + ", NULL, 'Di Solo', NULL, 4, NULL)",
			"(" + C(5) + ", " + A(2) + ", 'Ed Null', NULL, 5, '2000-02-29')",
		}, ", "),
		"INSERT INTO " + tbl("note") + " VALUES ('" + id(201) + "', " + C(1) + ", 'call'), ('" + id(202) + "', " + C(1) + ", 'visit'), ('" + id(203) + "', " + C(4) + ", 'email')",
	}
	for _, s := range append(ddl, rows...) {
		if _, err := tdb.db.Exec(s); err != nil {
			t.Fatalf("%s: %v\n%s", tdb.d.Name(), err, s)
		}
	}
	t.Cleanup(func() {
		for _, n := range []string{"account", "contact", "note", "str"} {
			_, _ = tdb.db.Exec("DROP TABLE IF EXISTS " + tbl(n))
		}
	})
}

// query runs a statement and returns its rows as normalized text.
func (tdb *testDB) query(st *Statement) ([][]string, error) {
	rows, err := tdb.db.Query(st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	raw, err := testkit.ScanRows(rows)
	if err != nil {
		return nil, err
	}
	out := make([][]string, 0, len(raw))
	for _, vals := range raw {
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = norm(v)
		}
		out = append(out, row)
	}
	return out, nil
}

func norm(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case string:
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02") // DATE columns; no datetime in the fixture is at midnight
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	}
	return fmt.Sprint(v)
}

// same compares cells as text, or as numbers when both parse (engines
// return decimals and averages with different scales).
func same(want, got string) bool {
	if want == got {
		return true
	}
	w, err1 := strconv.ParseFloat(want, 64)
	g, err2 := strconv.ParseFloat(got, 64)
	return err1 == nil && err2 == nil && math.Abs(w-g) <= 1e-3*math.Max(1, math.Abs(w))
}

func sameRows(want, got [][]string, ordered bool) bool {
	if len(want) != len(got) {
		return false
	}
	if !ordered {
		key := func(r []string) string { return strings.Join(r, "\x00") }
		want, got = slices.Clone(want), slices.Clone(got)
		slices.SortFunc(want, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			return false
		}
		for j := range want[i] {
			if !same(want[i][j], got[i][j]) {
				return false
			}
		}
	}
	return true
}

// engines runs fn against SQLite always, and PostgreSQL / MariaDB when
// their DSNs are set (testkit skips otherwise, or fails under CI=true).
func engines(t *testing.T, fn func(t *testing.T, tdb *testDB)) {
	t.Run("sqlite", func(t *testing.T) {
		tdb := &testDB{d: SQLite, db: openSQLite(t), prefix: uniquePrefix()}
		tdb.f = newFixture(tdb.prefix)
		tdb.load(t)
		fn(t, tdb)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testkit.PostgresDSN(t)
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		tdb := &testDB{d: Postgres, db: db, prefix: uniquePrefix()}
		tdb.f = newFixture(tdb.prefix)
		tdb.load(t)
		fn(t, tdb)
	})
	t.Run("mysql", func(t *testing.T) {
		db, err := sql.Open("mysql", mysqlDSN(t, testkit.MySQLDSN(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		tdb := &testDB{d: MySQL, db: db, prefix: uniquePrefix()}
		tdb.f = newFixture(tdb.prefix)
		tdb.load(t)
		fn(t, tdb)
	})
}

// execCase is a plan with its expected rows on every engine.
type execCase struct {
	name    string
	count   bool
	ordered bool
	build   func(f *fixture) *plan.Plan
	want    [][]string
}

// names selects account names under a root filter.
func names(filter func(a *plan.DataSource) plan.Expr) func(f *fixture) *plan.Plan {
	return func(f *fixture) *plan.Plan {
		a := root("account", f.account)
		a.Filter = filter(a)
		return &plan.Plan{Root: a, Columns: outs(a, "name")}
	}
}

// sensitive makes a case's plan accent-sensitive.
func sensitive(build func(f *fixture) *plan.Plan) func(f *fixture) *plan.Plan {
	return func(f *fixture) *plan.Plan {
		p := build(f)
		p.AccentSensitive = true
		return p
	}
}

func col1(xs ...string) [][]string {
	r := [][]string{}
	for _, x := range xs {
		r = append(r, []string{x})
	}
	return r
}

const (
	nA1 = "Contoso"
	nA2 = "contoso Ltd"
	nA3 = "École Été"
	nA4 = "100% Pure"
	nA5 = "Under_score"
	nA6 = "[Bracket] Co"
	nA7 = "Star*Q?"
	nA8 = "Pipe|Plus+ (x)."
)

// choiceAccount is the fixture's account table with employees typed as a
// choice labelled 10 "ten", 15 "Fifteen", 20 "twenty" (7 has no label):
// in label order (case-insensitive) 15, 10, 20.
func choiceAccount(f *fixture) *plan.Table {
	t := *f.account
	t.Columns = nil
	for _, c := range f.account.Columns {
		cc := *c
		if c.LogicalName == "employees" {
			cc.Type = plan.TPicklist
			cc.Options = []plan.Option{{Value: 10, Label: "ten"}, {Value: 15, Label: "Fifteen"}, {Value: 20, Label: "twenty"}}
		}
		t.Columns = append(t.Columns, &cc)
	}
	return plan.NewTable(t)
}

func hier(f *fixture, a *plan.DataSource, anchor int, above, orEqual, neg bool) plan.Expr {
	return &plan.Hierarchy{Col: ref(a, "accountid"), Rel: f.account.Hierarchy(), Table: f.account, Anchor: guid(id(anchor)),
		Above: above, OrEqual: orEqual, Not: neg, MaxDepth: plan.HierarchyMaxDepth}
}

func partIn(a *plan.DataSource, k plan.DatePartKind, z *time.Location, v ...int64) plan.Expr {
	return &plan.PartIn{Part: &plan.DatePart{Part: k, Col: ref(a, "createdon"), Zone: z}, Values: v}
}

// long pads vals with values made by pad(i) to ListParamMin+50 values, so
// that the list is bound as one parameter where the dialect can.
func long(pad func(i int) *plan.Value, vals ...*plan.Value) []*plan.Value {
	for i := 0; len(vals) < ListParamMin+50; i++ {
		vals = append(vals, pad(i))
	}
	return vals
}

func execCases() []execCase {
	ny := zone("America/New_York")
	noString := func(i int) *plan.Value { return str(fmt.Sprintf("nowhere %d", i)) }
	noNum := func(i int) *plan.Value { return num(int64(1000 + i)) }
	return []execCase{
		// Long lists, bound as one parameter (inlist.go): the rows are those
		// of the short lists.
		{name: "long_fold_in", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "city"), true, long(noString, str("PARIS"), str("london"), str("ÉCOLE"))...)
		}), want: col1(nA3, nA5, nA6, nA7)},
		{name: "long_fold_in_accents", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "name"), true, long(noString, str("ecole ÉTÉ"))...)
		}), want: col1(nA3)},
		{name: "long_not_in", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.InList{Col: ref(a, "employees"), Values: long(noNum, num(15), num(20)), Not: true}
		}), want: col1(nA1, nA7)},
		{name: "long_in_guid", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "accountid"), false, long(func(i int) *plan.Value { return guid(id(500 + i)) }, guid(strings.ToUpper(id(2))), guid(id(8)))...)
		}), want: col1(nA2, nA8)},
		{name: "long_in_datetime", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "createdon"), false, long(func(i int) *plan.Value { return dt(utc("2001-01-01 00:00:00").Add(time.Duration(i) * time.Hour)) },
				dt(utc("2024-03-10 04:30:00")), dt(utc("2024-12-31 12:00:00")))...)
		}), want: col1(nA1, nA4)},
		// Sub-second parts: each engine's JSON reader takes the fraction
		// at its type's precision (SQL Server 7 digits, MySQL 6).
		{name: "long_in_datetime_fraction", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "createdon"), false, long(func(i int) *plan.Value {
				return dt(utc("2001-01-01 00:00:00").Add(time.Duration(i)*time.Hour + time.Duration(100000000+i*1234567)))
			}, dt(utc("2024-03-10 04:30:00")), dt(utc("2024-12-31 12:00:00")))...)
		}), want: col1(nA1, nA4)},
		{name: "long_in_bool", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "isactive"), false, long(func(int) *plan.Value { return boolean(false) })...)
		}), want: col1(nA3, nA5, nA8)},
		{name: "long_in_decimal", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "revenue"), false, long(func(i int) *plan.Value { return dec(fmt.Sprintf("9%d.5", i)) }, dec("100.5"), dec("10"))...)
		}), want: col1(nA1, nA5)},
		{name: "fold_eq", build: names(func(a *plan.DataSource) plan.Expr { return foldEq(ref(a, "name"), "CONTOSO") }), want: col1(nA1)},
		{name: "fold_eq_city", build: names(func(a *plan.DataSource) plan.Expr { return foldEq(ref(a, "city"), "seattle") }), want: col1(nA1, nA2)},
		{name: "fold_eq_accents", build: names(func(a *plan.DataSource) plan.Expr { return foldEq(ref(a, "name"), "ÉCOLE ÉTÉ") }), want: col1(nA3)},
		{name: "fold_in", build: names(func(a *plan.DataSource) plan.Expr {
			return in(ref(a, "city"), true, str("PARIS"), str("london"))
		}), want: col1(nA3, nA5, nA6, nA7)},
		{name: "not_in", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.InList{Col: ref(a, "employees"), Values: []*plan.Value{num(15), num(20)}, Not: true}
		}), want: col1(nA1, nA7)},
		{name: "like_contains", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%CONTOSO%") }), want: col1(nA1, nA2)},
		{name: "like_class", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "[A-c]%") }), want: col1(nA1, nA2)},
		// 'École' folds to 'ecole' (accent-insensitive by default).
		{name: "like_negated_class", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "[^a-z]%") }), want: col1(nA4, nA6)},
		{name: "like_negated_class_accent_sensitive", build: sensitive(names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "[^a-z]%") })),
			want: col1(nA3, nA4, nA6)},
		{name: "eq_accents_fold", build: names(func(a *plan.DataSource) plan.Expr { return foldEq(ref(a, "name"), "ecole ete") }), want: col1(nA3)},
		{name: "eq_accents_sensitive", build: sensitive(names(func(a *plan.DataSource) plan.Expr { return foldEq(ref(a, "name"), "ecole ete") })), want: col1()},
		{name: "like_literal_percent", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%[%]%") }), want: col1(nA4)},
		{name: "like_literal_underscore", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%[_]%") }), want: col1(nA5)},
		{name: "like_literal_bracket", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "[[]%") }), want: col1(nA6)},
		{name: "like_glob_metachars", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%*q?") }), want: col1(nA7)},
		{name: "like_class_glob_metachars", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%[*?]") }), want: col1(nA7)},
		{name: "like_regex_metachars", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%|plus+ (x).") }), want: col1(nA8)},
		{name: "like_class_regex_metachars", build: names(func(a *plan.DataSource) plan.Expr {
			return like(ref(a, "name"), "pipe[|!]plus[+-] [(]x[)][.,]")
		}), want: col1(nA8)},
		{name: "like_underscore_wildcard", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "under_score") }), want: col1(nA5)},
		{name: "like_accent_class", build: names(func(a *plan.DataSource) plan.Expr { return like(ref(a, "name"), "%[Ée]T%") }), want: col1(nA3, nA6)},
		{name: "not_like", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.Like{Col: ref(a, "name"), Pattern: parsePattern("%o%"), Not: true}
		}), want: col1(nA4, nA7, nA8)},
		{name: "not_true_null", build: names(func(a *plan.DataSource) plan.Expr { return notTrue(foldEq(ref(a, "city"), "SEATTLE")) }),
			want: col1(nA3, nA4, nA5, nA6, nA7, nA8)},
		{name: "not_drops_null", build: names(func(a *plan.DataSource) plan.Expr { return not(foldEq(ref(a, "city"), "SEATTLE")) }),
			want: col1(nA3, nA5, nA6, nA7, nA8)},
		{name: "nulls_first_asc", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Orders: []*plan.SortKey{{Column: ref(a, "employees")}, {Column: ref(a, "accountid")}}}
		}, want: col1(nA4, nA8, nA7, nA1, nA3, nA5, nA6, nA2)},
		{name: "nulls_last_desc", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Orders: []*plan.SortKey{{Column: ref(a, "employees"), Desc: true}, {Column: ref(a, "accountid")}}}
		}, want: col1(nA2, nA3, nA5, nA6, nA1, nA7, nA4, nA8)},
		{name: "outer_with_inner_child", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
			n := link(c, plan.JoinInner, "n", f.note, "contactid", "contactid")
			return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"), out(n, "subject"))}
		}, want: [][]string{
			{nA1, "Ann Lee", "call"}, {nA1, "Ann Lee", "visit"}, {nA2, "NULL", "NULL"}, {nA3, "NULL", "NULL"}, {nA4, "NULL", "NULL"},
			{nA5, "NULL", "NULL"}, {nA6, "NULL", "NULL"}, {nA7, "NULL", "NULL"}, {nA8, "NULL", "NULL"},
		}},
		{name: "outer_filter_and_security_in_on", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			a.Security = &plan.SecurityFilter{Expr: eq(ref(a, "isactive"), boolean(true))}
			c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
			c.Security = &plan.SecurityFilter{Expr: cmp(plan.Lt, ref(c, "rank"), num(3))}
			c.Filter = &plan.IsNull{Col: ref(c, "fullname"), Not: true}
			return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"))}
		}, want: [][]string{{nA1, "Ann Lee"}, {nA1, "Bob Ray"}, {nA2, "NULL"}, {nA4, "NULL"}, {nA7, "NULL"}}},
		{name: "exists", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			a.Filter = &plan.Exists{Source: link(a, plan.JoinSubquery, "c", f.contact, "parentcustomerid", "accountid")}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA1, nA2, nA3)},
		{name: "exists_filtered", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinSubquery, "c", f.contact, "parentcustomerid", "accountid")
			c.Filter = foldEq(ref(c, "lastname"), "LEE")
			a.Filter = &plan.Exists{Source: c}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA1)},
		{name: "not_exists", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			a.Filter = &plan.Exists{Source: link(a, plan.JoinSubquery, "c", f.contact, "parentcustomerid", "accountid"), Not: true}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA4, nA5, nA6, nA7, nA8)},
		{name: "all_not_true", build: func(f *fixture) *plan.Plan {
			// link-type all: NOT EXISTS (related AND NOT TRUE(F)); a NULL
			// lastname does not satisfy F, so A2 is out.
			a := root("account", f.account)
			c := link(a, plan.JoinSubquery, "c", f.contact, "parentcustomerid", "accountid")
			c.Filter = notTrue(foldEq(ref(c, "lastname"), "smith"))
			a.Filter = &plan.Exists{Source: c, Not: true}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA3, nA4, nA5, nA6, nA7, nA8)},
		{name: "in_subquery", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinSubquery, "c", f.contact, "parentcustomerid", "accountid")
			c.LinkType = ast.In
			c.Filter = cmp(plan.Gt, ref(c, "rank"), num(1))
			a.Filter = &plan.InSubquery{Source: c}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA1, nA2, nA3)},
		{name: "first_row", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinFirstRow, "c", f.contact, "parentcustomerid", "accountid")
			return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"))}
		}, want: [][]string{{nA1, "Ann Lee"}, {nA2, "Ed Null"}, {nA3, "Cy Smith"}}},
		{name: "first_row_filtered_with_child", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinFirstRow, "c", f.contact, "parentcustomerid", "accountid")
			c.Filter = cmp(plan.Gt, ref(c, "rank"), num(1))
			n := link(c, plan.JoinOuter, "n", f.note, "contactid", "contactid")
			return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"), out(n, "subject"))}
		}, want: [][]string{{nA1, "Bob Ray", "NULL"}, {nA2, "Ed Null", "NULL"}, {nA3, "Cy Smith", "NULL"}}},
		{name: "first_row_under_outer", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinOuter, "c", f.contact, "parentcustomerid", "accountid")
			n := link(c, plan.JoinFirstRow, "n", f.note, "contactid", "contactid")
			return &plan.Plan{Root: a, Columns: append(outs(a, "name"), out(c, "fullname"), out(n, "subject"))}
		}, want: [][]string{
			{nA1, "Ann Lee", "call"}, {nA2, "NULL", "NULL"}, {nA3, "NULL", "NULL"}, {nA4, "NULL", "NULL"},
			{nA5, "NULL", "NULL"}, {nA6, "NULL", "NULL"}, {nA7, "NULL", "NULL"}, {nA8, "NULL", "NULL"},
		}},
		{name: "part_day_new_york", build: names(func(a *plan.DataSource) plan.Expr { return partIn(a, plan.PartDay, ny, 9, 11) }), want: col1(nA1, nA2)},
		{name: "part_day_utc", build: names(func(a *plan.DataSource) plan.Expr { return partIn(a, plan.PartDay, nil, 9, 11) }), want: col1(nA2)},
		{name: "part_day_new_york_fall", build: names(func(a *plan.DataSource) plan.Expr { return partIn(a, plan.PartDay, ny, 5) }), want: col1(nA6, nA7)},
		{name: "part_year_new_york", build: names(func(a *plan.DataSource) plan.Expr { return partIn(a, plan.PartYear, ny, 2023) }), want: col1(nA3, nA6, nA7)},
		{name: "part_doy_kolkata", build: names(func(a *plan.DataSource) plan.Expr { return partIn(a, plan.PartDayOfYear, zone("Asia/Kolkata"), 1, 366) }), want: col1(nA3, nA4)},
		{name: "multi_contains", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.MultiContains{Col: ref(a, "tags"), Values: []int64{1}}
		}), want: col1(nA1, nA7)},
		{name: "multi_contains_any", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.MultiContains{Col: ref(a, "tags"), Values: []int64{1, 3}}
		}), want: col1(nA1, nA3, nA5, nA7)},
		{name: "multi_contains_not", build: names(func(a *plan.DataSource) plan.Expr {
			return &plan.MultiContains{Col: ref(a, "tags"), Values: []int64{1}, Not: true}
		}), want: col1(nA2, nA3, nA5, nA6)},
		{name: "under", build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr { return hier(f, a, 1, false, false, false) })(f)
		}, want: col1(nA2, nA3, nA4)},
		{name: "eq_or_under", build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr { return hier(f, a, 2, false, true, false) })(f)
		}, want: col1(nA2, nA4)},
		{name: "not_under", build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr { return hier(f, a, 1, false, false, true) })(f)
		}, want: col1(nA1, nA5, nA6, nA7, nA8)},
		{name: "above", build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr { return hier(f, a, 4, true, false, false) })(f)
		}, want: col1(nA1, nA2)},
		{name: "eq_or_above_and_under", build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr {
				return and(hier(f, a, 4, true, true, false), hier(f, a, 1, false, false, false))
			})(f)
		}, want: col1(nA2, nA4)},
		{name: "aggregates", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			key := &plan.OutputColumn{Name: "active", Source: a, Column: column(f.account, "isactive"), GroupBy: true}
			agg := func(fn ast.AggregateFunc, col string, distinct bool) *plan.OutputColumn {
				return &plan.OutputColumn{Name: fn.String() + col, Source: a, Column: column(f.account, col), Aggregate: fn, Distinct: distinct}
			}
			return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{
				key, {Name: "n", Source: a, Aggregate: ast.Count},
				agg(ast.CountColumn, "employees", false), agg(ast.CountColumn, "employees", true),
				agg(ast.Avg, "employees", false), agg(ast.Min, "employees", false), agg(ast.Max, "employees", false),
				agg(ast.Sum, "revenue", false),
			}, Orders: []*plan.SortKey{{Output: key}}}
		}, want: [][]string{
			{"NULL", "1", "1", "1", "15", "15", "15", "NULL"},
			{"0", "3", "2", "1", "15", "15", "15", "11"},
			{"1", "4", "3", "3", "12.3333", "7", "20", "425.75"},
		}},
		{name: "aggregate_over_join_desc", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinInner, "c", f.contact, "parentcustomerid", "accountid")
			key := &plan.OutputColumn{Name: "name", Source: a, Column: column(f.account, "name"), GroupBy: true}
			n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
			avg := &plan.OutputColumn{Name: "avg", Source: c, Column: column(f.contact, "rank"), Aggregate: ast.Avg}
			return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{key, n, avg},
				Orders: []*plan.SortKey{{Output: n, Desc: true}, {Output: avg}}}
		}, want: [][]string{{nA1, "2", "1.5"}, {nA3, "1", "3"}, {nA2, "1", "5"}}},
		{name: "count", count: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			a.Filter = in(ref(a, "city"), true, str("seattle"), str("paris"))
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Top: 2, Orders: []*plan.SortKey{{Column: ref(a, "name")}}}
		}, want: col1("4")},
		{name: "count_distinct", count: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "isactive"), PageSize: 1, PageNumber: 2}
		}, want: col1("3")},
		{name: "count_hierarchy", count: true, build: func(f *fixture) *plan.Plan {
			return names(func(a *plan.DataSource) plan.Expr { return hier(f, a, 1, false, true, false) })(f)
		}, want: col1("4")},
		{name: "top", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Top: 3, Orders: []*plan.SortKey{{Column: ref(a, "accountid")}}}
		}, want: col1(nA1, nA2, nA3)},
		{name: "paging", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), PageSize: 3, PageNumber: 2, Orders: []*plan.SortKey{{Column: ref(a, "accountid")}}}
		}, want: col1(nA4, nA5, nA6, nA7)},
		{name: "distinct_paging", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "isactive"), PageSize: 2, PageNumber: 1,
				Orders: []*plan.SortKey{{Column: ref(a, "isactive"), Desc: true}}}
		}, want: col1("1", "0", "NULL")},
		{name: "datetime_range", build: names(func(a *plan.DataSource) plan.Expr {
			return and(cmp(plan.Ge, ref(a, "createdon"), dt(utc("2024-03-10 05:00:00"))), cmp(plan.Lt, ref(a, "createdon"), dt(utc("2024-03-12 00:00:00"))))
		}), want: col1(nA2)},
		{name: "datetime_fraction", build: names(func(a *plan.DataSource) plan.Expr {
			return and(cmp(plan.Gt, ref(a, "createdon"), dt(utc("2024-03-11 04:29:59").Add(500*time.Millisecond))),
				cmp(plan.Lt, ref(a, "createdon"), dt(utc("2024-03-11 04:30:00").Add(500*time.Millisecond))))
		}), want: col1(nA2)},
		{name: "date_only_on", build: func(f *fixture) *plan.Plan {
			c := root("contact", f.contact)
			c.Filter = and(cmp(plan.Ge, ref(c, "birthdate"), dt(utc("1985-07-04 00:00:00"))), cmp(plan.Lt, ref(c, "birthdate"), dt(utc("1985-07-05 00:00:00"))))
			return &plan.Plan{Root: c, Columns: outs(c, "fullname", "birthdate")}
		}, want: [][]string{{"Ann Lee", "1985-07-04"}}},
		{name: "date_only_in_and_parts", build: func(f *fixture) *plan.Plan {
			c := root("contact", f.contact)
			c.Filter = or(&plan.InList{Col: ref(c, "birthdate"), Values: []*plan.Value{dt(utc("1985-07-05 00:00:00")), dt(utc("1999-01-01 00:00:00"))}},
				&plan.PartIn{Part: &plan.DatePart{Part: plan.PartDay, Col: ref(c, "birthdate")}, Values: []int64{29}})
			return &plan.Plan{Root: c, Columns: outs(c, "fullname")}
		}, want: col1("Bob Ray", "Ed Null")},
		{name: "decimal", build: names(func(a *plan.DataSource) plan.Expr { return cmp(plan.Gt, ref(a, "revenue"), dec("75.5")) }), want: col1(nA1, nA2)},
		{name: "decimal_ge", build: names(func(a *plan.DataSource) plan.Expr { return cmp(plan.Ge, ref(a, "revenue"), dec("75")) }), want: col1(nA1, nA2, nA7)},
		{name: "bool_true", build: names(func(a *plan.DataSource) plan.Expr { return eq(ref(a, "isactive"), boolean(true)) }), want: col1(nA1, nA2, nA4, nA7)},
		{name: "bool_false", build: names(func(a *plan.DataSource) plan.Expr { return eq(ref(a, "isactive"), boolean(false)) }), want: col1(nA3, nA5, nA8)},
		{name: "guid_upper", build: names(func(a *plan.DataSource) plan.Expr {
			return eq(ref(a, "accountid"), guid(strings.ToUpper(id(1))))
		}), want: col1(nA1)},
		{name: "column_compare", build: names(func(a *plan.DataSource) plan.Expr {
			return cmp(plan.Ge, ref(a, "employees"), ref(a, "revenue"))
		}), want: col1(nA5)},
		{name: "column_compare_fold", build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			c := link(a, plan.JoinInner, "c", f.contact, "contactid", "primarycontactid")
			a.Filter = &plan.Compare{Op: plan.Ne, Left: ref(a, "city"), Right: ref(c, "lastname"), Fold: true}
			return &plan.Plan{Root: a, Columns: outs(a, "name")}
		}, want: col1(nA1, nA3)},
		{name: "and_or_const", build: names(func(a *plan.DataSource) plan.Expr {
			return and(or(eq(ref(a, "employees"), num(7)), and(eq(ref(a, "employees"), num(15)), foldEq(ref(a, "city"), "paris"))), &plan.Const{Value: true}, and(), not(or()))
		}), want: col1(nA3, nA5, nA7)},
		{name: "row_aggregate", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			p := link(a, plan.JoinOuter, "p", f.account, "accountid", "parentaccountid")
			rel := f.account.Hierarchy()
			cols := append(outs(a, "name"),
				&plan.OutputColumn{Name: "children", Source: a, Column: column(f.account, "accountid"), RowAggregate: rel},
				&plan.OutputColumn{Name: "p.children", Source: p, Column: column(f.account, "accountid"), RowAggregate: rel})
			return &plan.Plan{Root: a, Columns: cols, Orders: []*plan.SortKey{{Output: cols[1], Desc: true}, {Column: ref(a, "accountid")}}}
		}, want: [][]string{{nA1, "2", "NULL"}, {nA2, "1", "2"}, {nA3, "0", "2"}, {nA4, "0", "1"}, {nA5, "0", "NULL"}, {nA6, "0", "NULL"}, {nA7, "0", "NULL"}, {nA8, "0", "NULL"}}},
		{name: "sort_lookup_name", ordered: true, build: func(f *fixture) *plan.Plan {
			// Parent account names: none (A1, A5–A8), "Contoso" (A2, A3),
			// "contoso Ltd" (A4); the subquery reads account under its own
			// alias.
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Orders: []*plan.SortKey{
				{Column: ref(a, "parentaccountid"), By: plan.SortName, Targets: []*plan.Table{f.account}},
				{Column: ref(a, "accountid")}}}
		}, want: col1(nA1, nA5, nA6, nA7, nA8, nA2, nA3, nA4)},
		{name: "sort_lookup_name_desc_polymorphic", ordered: true, build: func(f *fixture) *plan.Plan {
			// Primary contact names: "Cy Smith" (A3), "Ann Lee" (A1), then
			// none; a second target that never matches leaves them so.
			a := root("account", f.account)
			return &plan.Plan{Root: a, Columns: outs(a, "name"), Top: 4, Orders: []*plan.SortKey{
				{Column: ref(a, "primarycontactid"), Desc: true, By: plan.SortName, Targets: []*plan.Table{f.account, f.contact}},
				{Column: ref(a, "accountid")}}}
		}, want: col1(nA3, nA1, nA2, nA4)},
		{name: "sort_label", ordered: true, build: func(f *fixture) *plan.Plan {
			// NULL and 7, which has no label, tie as Dataverse's missing
			// labels do (A4, A7, A8 by the next key), then Fifteen (A3,
			// A5, A6), ten (A1), twenty (A2).
			a := root("account", choiceAccount(f))
			return &plan.Plan{Root: a, Columns: outs(a, "name", "employees"), Orders: []*plan.SortKey{
				{Column: ref(a, "employees"), By: plan.SortLabel}, {Column: ref(a, "accountid")}}}
		}, want: [][]string{{nA4, "NULL"}, {nA7, "7"}, {nA8, "NULL"}, {nA3, "15"}, {nA5, "15"}, {nA6, "15"}, {nA1, "10"}, {nA2, "20"}}},
		{name: "sort_label_distinct_desc", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", choiceAccount(f))
			return &plan.Plan{Root: a, Distinct: true, Columns: outs(a, "employees"), PageSize: 3, PageNumber: 1,
				Orders: []*plan.SortKey{{Column: ref(a, "employees"), Desc: true, By: plan.SortLabel}}}
		}, want: col1("20", "10", "15", "7")},
		{name: "sort_label_aggregate", ordered: true, build: func(f *fixture) *plan.Plan {
			t := choiceAccount(f)
			a := root("account", t)
			key := &plan.OutputColumn{Name: "e", Source: a, Column: column(t, "employees"), GroupBy: true}
			n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
			return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{key, n},
				Orders: []*plan.SortKey{{Output: key, By: plan.SortLabel}}}
		}, want: [][]string{{"NULL", "2"}, {"7", "1"}, {"15", "3"}, {"10", "1"}, {"20", "1"}}},
		{name: "sort_name_aggregate_top", ordered: true, build: func(f *fixture) *plan.Plan {
			a := root("account", f.account)
			key := &plan.OutputColumn{Name: "p", Source: a, Column: column(f.account, "parentaccountid"), GroupBy: true}
			n := &plan.OutputColumn{Name: "n", Source: a, Aggregate: ast.Count}
			return &plan.Plan{Root: a, Aggregate: true, Columns: []*plan.OutputColumn{key, n}, Top: 2,
				Orders: []*plan.SortKey{{Output: key, By: plan.SortName, Desc: true, Targets: []*plan.Table{f.account}}}}
		}, want: [][]string{{id(2), "1"}, {id(1), "2"}}},
		{name: "const_false", build: names(func(a *plan.DataSource) plan.Expr { return or(&plan.Const{Value: false}, or()) }), want: [][]string{}},
	}
}

// TestExecuteDateGrouping groups by every date part in several zones and
// compares the histogram with one computed by the time package.
func TestExecuteDateGrouping(t *testing.T) {
	created := []string{"2024-03-10 04:30:00", "2024-03-11 04:30:00", "2024-01-01 03:00:00", "2024-12-31 12:00:00",
		"", "2023-11-05 05:30:00", "2023-11-06 04:30:00", "2024-07-04 02:00:00"}
	groupings := []ast.DateGrouping{ast.Year, ast.Quarter, ast.Month, ast.Week, ast.Day}
	zones := []*time.Location{nil, zone("America/New_York"), zone("Asia/Kolkata"), zone("Australia/Lord_Howe"), zone("Pacific/Chatham"), time.FixedZone("minus1030", -(10*3600 + 1800))}
	part := func(g ast.DateGrouping, t time.Time) int {
		switch g {
		case ast.Year:
			return t.Year()
		case ast.Quarter:
			return (int(t.Month()) + 2) / 3
		case ast.Month:
			return int(t.Month())
		case ast.Week:
			return (t.YearDay() - int(t.Weekday()) + 12) / 7
		}
		return t.Day()
	}
	engines(t, func(t *testing.T, tdb *testDB) {
		for _, z := range zones {
			for _, g := range groupings {
				name := "UTC"
				if z != nil {
					name = z.String()
				}
				t.Run(name+"/"+g.String(), func(t *testing.T) {
					loc := z
					if loc == nil {
						loc = time.UTC
					}
					hist := map[int]int{}
					nulls := 0
					for _, c := range created {
						if c == "" {
							nulls++
							continue
						}
						hist[part(g, utc(c).In(loc))]++
					}
					want := [][]string{{"NULL", strconv.Itoa(nulls)}}
					keys := make([]int, 0, len(hist))
					for k := range hist {
						keys = append(keys, k)
					}
					slices.Sort(keys)
					for _, k := range keys {
						want = append(want, []string{strconv.Itoa(k), strconv.Itoa(hist[k])})
					}
					st, err := Emit(dateGroupingPlan(tdb.f, z, g), tdb.d)
					if err != nil {
						t.Fatal(err)
					}
					got, err := tdb.query(st)
					if err != nil {
						t.Fatalf("%v\n%s", err, st.SQL)
					}
					if !sameRows(want, got, true) {
						t.Errorf("got %q, want %q\n%s", got, want, st.SQL)
					}
				})
			}
		}
	})
}

func TestExecute(t *testing.T) {
	cases := execCases()
	engines(t, func(t *testing.T, tdb *testDB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := c.build(tdb.f)
				emit := Emit
				if c.count {
					emit = EmitCount
				}
				st, err := emit(p, tdb.d)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tdb.query(st)
				if err != nil {
					t.Fatalf("%v\n%s", err, st)
				}
				if !sameRows(c.want, got, c.ordered) {
					t.Errorf("rows:\n got %q\nwant %q\n%s", got, c.want, st)
				}
			})
		}
	})
}
