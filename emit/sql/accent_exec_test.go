package sql

import (
	stdcmp "cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/plan"
)

// accentCities are spellings that differ in case, in accents, in both, or
// in letters that do not decompose ('Ø', 'ß'), for TestExecuteAccents.
var accentCities = []string{"Zürich", "zurich", "ZURICH", "Zurich", "München", "Munchen", "Straße", "strasse", "Ølstykke", "olstykke",
	"São Paulo", "SAO PAULO", "Sao Paulo", "Kraków", "krakow", "Zagreb", "zebra", "Ærø", "ȘTEFAN", "stefan", "Ǆ", "e", "é", "É", "f"}

// TestExecuteAccents runs ordering, keyset comparisons, grouping, distinct,
// count distinct and column-to-column comparison over accentCities on the
// real engines, in both settings, against refFold (golang.org/x/text).
func TestExecuteAccents(t *testing.T) {
	engines(t, func(t *testing.T, tdb *testDB) {
		tbl := plan.NewTable(plan.Table{LogicalName: "city", PhysicalName: tdb.prefix + "city", PrimaryKey: "id", Columns: []*plan.Column{
			{LogicalName: "id", Type: plan.TInteger}, {LogicalName: "s", Type: plan.TString}, {LogicalName: "t", Type: plan.TString},
		}})
		ty := tdb.types()
		if _, err := tdb.db.Exec("CREATE TABLE " + q(tdb.d, tbl.PhysicalName) + " (id " + ty.int + " PRIMARY KEY, s " + ty.text + ", t " + ty.text + ")" + ty.tableSuffix); err != nil {
			t.Fatal(err)
		}
		ph := "?, ?, ?"
		if tdb.d.Caps().Params == ParamDollar {
			ph = "$1, $2, $3"
		}
		// t is the next city's spelling, for the column-to-column case.
		for i, s := range accentCities {
			if _, err := tdb.db.Exec("INSERT INTO "+q(tdb.d, tbl.PhysicalName)+" VALUES ("+ph+")", i, s, accentCities[(i+1)%len(accentCities)]); err != nil {
				t.Fatal(err)
			}
		}
		for _, sensitive := range []bool{false, true} {
			fold := func(s string) string { return refFold(s, sensitive) }
			run := func(t *testing.T, p *plan.Plan) []string {
				t.Helper()
				p.AccentSensitive = sensitive
				st, err := Emit(p, tdb.d)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := tdb.query(st)
				if err != nil {
					t.Fatalf("%v\n%s", err, st)
				}
				var got []string
				for _, r := range rows {
					got = append(got, fmt.Sprint(r))
				}
				return got
			}
			check := func(t *testing.T, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			}
			ids := make([]int, len(accentCities))
			for i := range ids {
				ids[i] = i
			}
			// Dataverse's order: the folding alone, ties to the next key.
			slices.SortStableFunc(ids, func(a, b int) int {
				return stdcmp.Or(stdcmp.Compare(fold(accentCities[a]), fold(accentCities[b])), stdcmp.Compare(a, b))
			})
			mode := map[bool]string{false: "insensitive", true: "sensitive"}[sensitive]

			t.Run(mode+"/order", func(t *testing.T) {
				r := root("city", tbl)
				got := run(t, &plan.Plan{Root: r, Columns: outs(r, "id"), Orders: []*plan.SortKey{{Column: ref(r, "s")}, {Column: ref(r, "id")}}})
				var want []string
				for _, i := range ids {
					want = append(want, fmt.Sprint([]string{strconv.Itoa(i)}))
				}
				check(t, got, want)
			})
			// Keyset paging compares sort keys (Fold unset) and must agree
			// with ORDER BY: s > boundary holds for the rows whose key sorts
			// after it, and none tied with it.
			t.Run(mode+"/keyset", func(t *testing.T) {
				for _, b := range accentCities {
					r := root("city", tbl)
					r.Filter = cmp(plan.Gt, ref(r, "s"), str(b))
					got := run(t, &plan.Plan{Root: r, Columns: outs(r, "id"), Orders: []*plan.SortKey{{Column: ref(r, "id")}}})
					var want []string
					for i, s := range accentCities {
						if fold(s) > fold(b) {
							want = append(want, fmt.Sprint([]string{strconv.Itoa(i)}))
						}
					}
					check(t, got, want)
				}
			})
			t.Run(mode+"/groupby", func(t *testing.T) {
				r := root("city", tbl)
				k := &plan.OutputColumn{Name: "s", Source: r, Column: column(tbl, "s"), GroupBy: true}
				got := run(t, &plan.Plan{Root: r, Aggregate: true, Columns: []*plan.OutputColumn{k, {Name: "n", Source: r, Aggregate: ast.Count}}, Orders: []*plan.SortKey{{Output: k}}})
				check(t, got, refGroups(accentCities, fold, true))
			})
			t.Run(mode+"/distinct", func(t *testing.T) {
				r := root("city", tbl)
				got := run(t, &plan.Plan{Root: r, Distinct: true, Columns: outs(r, "s"), Orders: []*plan.SortKey{{Column: ref(r, "s")}}})
				check(t, got, refGroups(accentCities, fold, false))
			})
			t.Run(mode+"/countdistinct", func(t *testing.T) {
				r := root("city", tbl)
				got := run(t, &plan.Plan{Root: r, Aggregate: true, Columns: []*plan.OutputColumn{{Name: "n", Source: r, Column: column(tbl, "s"), Aggregate: ast.CountColumn, Distinct: true}}})
				check(t, got, []string{fmt.Sprint([]string{strconv.Itoa(len(refGroups(accentCities, fold, false)))})})
			})
			t.Run(mode+"/valueof", func(t *testing.T) {
				r := root("city", tbl)
				r.Filter = &plan.Compare{Op: plan.Eq, Left: ref(r, "s"), Right: ref(r, "t"), Fold: true}
				got := run(t, &plan.Plan{Root: r, Columns: outs(r, "id"), Orders: []*plan.SortKey{{Column: ref(r, "id")}}})
				var want []string
				for i, s := range accentCities {
					if fold(s) == fold(accentCities[(i+1)%len(accentCities)]) {
						want = append(want, fmt.Sprint([]string{strconv.Itoa(i)}))
					}
				}
				check(t, got, want)
				if !sensitive && len(want) < 8 {
					t.Fatalf("only %d equal neighbours: the case tests too little", len(want))
				}
			})
		}
	})
}

// refGroups is the groups of ss by fold in fold order, each shown by its
// least spelling, with its size when counts.
func refGroups(ss []string, fold func(string) string, counts bool) []string {
	least, n := map[string]string{}, map[string]int{}
	var keys []string
	for _, s := range ss {
		k := fold(s)
		if l, ok := least[k]; !ok || s < l {
			if !ok {
				keys = append(keys, k)
			}
			least[k] = s
		}
		n[k]++
	}
	slices.SortFunc(keys, func(a, b string) int { return stdcmp.Or(stdcmp.Compare(a, b), stdcmp.Compare(least[a], least[b])) })
	var out []string
	for _, k := range keys {
		if counts {
			out = append(out, fmt.Sprint([]string{least[k], strconv.Itoa(n[k])}))
		} else {
			out = append(out, fmt.Sprint([]string{least[k]}))
		}
	}
	return out
}

// tieRows are (city, name) pairs whose cities, and some names, tie under
// Dataverse's collation: they differ only in case, accents or trailing
// spaces.
var tieRows = [][2]string{
	{"Seattle", "B"}, {"seattle", "a"}, {"SEATTLE ", "c"}, {"Séattle", "A "}, {"seattle  ", "b"}, {"Zürich", "x"},
	{"zurich", "X"}, {"ZURICH ", "x "}, {"zurich", "x"}, {"Ålesund", "q"}, {"alesund", "Q  "}, {"", "e"}, {"  ", "E"},
}

// TestExecuteSortTies proves Dataverse's order on the real engines: a
// string key is its folding without trailing spaces alone, so rows tied on
// the city go to the name (never to the stored spelling of the city), then
// to the key; and the keyset predicate the server builds from a row's keys
// (unfolded comparisons: sort-key comparisons) returns exactly the rows
// after it in that order, at every boundary, in both directions.
func TestExecuteSortTies(t *testing.T) {
	engines(t, func(t *testing.T, tdb *testDB) {
		tbl := plan.NewTable(plan.Table{LogicalName: "tie", PhysicalName: tdb.prefix + "tie", PrimaryKey: "id", Columns: []*plan.Column{
			{LogicalName: "id", Type: plan.TInteger}, {LogicalName: "city", Type: plan.TString}, {LogicalName: "name", Type: plan.TString},
		}})
		ty := tdb.types()
		if _, err := tdb.db.Exec("CREATE TABLE " + q(tdb.d, tbl.PhysicalName) + " (id " + ty.int + " PRIMARY KEY, city " + ty.text + ", name " + ty.text + ")" + ty.tableSuffix); err != nil {
			t.Fatal(err)
		}
		ph := "?, ?, ?"
		if tdb.d.Caps().Params == ParamDollar {
			ph = "$1, $2, $3"
		}
		for i, r := range tieRows {
			if _, err := tdb.db.Exec("INSERT INTO "+q(tdb.d, tbl.PhysicalName)+" VALUES ("+ph+")", i, r[0], r[1]); err != nil {
				t.Fatal(err)
			}
		}
		key := func(s string) string { return refFold(strings.TrimRight(s, " "), false) }
		run := func(t *testing.T, p *plan.Plan) []string {
			t.Helper()
			st, err := Emit(p, tdb.d)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := tdb.query(st)
			if err != nil {
				t.Fatalf("%v\n%s", err, st)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			return got
		}
		for _, desc := range []bool{false, true} {
			ids := make([]int, len(tieRows))
			for i := range ids {
				ids[i] = i
			}
			slices.SortFunc(ids, func(a, b int) int {
				c := stdcmp.Compare(key(tieRows[a][0]), key(tieRows[b][0]))
				if desc {
					c = -c
				}
				return stdcmp.Or(c, stdcmp.Compare(key(tieRows[a][1]), key(tieRows[b][1])), stdcmp.Compare(a, b))
			})
			var want []string
			for _, i := range ids {
				want = append(want, strconv.Itoa(i))
			}
			orders := func(r *plan.DataSource) []*plan.SortKey {
				return []*plan.SortKey{{Column: ref(r, "city"), Desc: desc}, {Column: ref(r, "name")}, {Column: ref(r, "id")}}
			}
			t.Run(fmt.Sprintf("desc=%t/order", desc), func(t *testing.T) {
				r := root("tie", tbl)
				if got := run(t, &plan.Plan{Root: r, Columns: outs(r, "id"), Orders: orders(r)}); !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
			t.Run(fmt.Sprintf("desc=%t/keyset", desc), func(t *testing.T) {
				for at, i := range ids {
					r := root("tie", tbl)
					city, name := str(tieRows[i][0]), str(tieRows[i][1])
					after := cmp(plan.Gt, ref(r, "city"), city)
					if desc {
						after = cmp(plan.Lt, ref(r, "city"), city)
					}
					r.Filter = or(after,
						and(eq(ref(r, "city"), city), cmp(plan.Gt, ref(r, "name"), name)),
						and(eq(ref(r, "city"), city), eq(ref(r, "name"), name), cmp(plan.Gt, ref(r, "id"), num(int64(i)))))
					got := run(t, &plan.Plan{Root: r, Columns: outs(r, "id"), Orders: orders(r)})
					if rest := want[at+1:]; !slices.Equal(got, rest) {
						t.Errorf("after row %d (%q, %q): got %q, want %q", i, tieRows[i][0], tieRows[i][1], got, rest)
					}
				}
			})
		}
	})
}
