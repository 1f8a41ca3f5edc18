package sql

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	unorm "golang.org/x/text/unicode/norm"

	"github.com/vecompile/vecompile/plan"
)

// likeStrings are the subject strings of the LIKE matrix: wildcard and
// regular-expression metacharacters, the escape character, backslash,
// newlines, case and accents.
var likeStrings = []string{
	"abc", "ABC", "a%c", "a_c", "a[c", "a]c", `a\c`, "a*c", "a?c", "a.c", "a|c", "a+c", "a(c)", "a{1}", "a^c", "a$c",
	"a!c", "a-c", "a\nc", "abc\n", "", "é", "É", "ÉCOLE", "naïve", "x", "日本", "a c", "ac", "aXc", "bcd", "[%]", "100%",
	"50_50", "a'c", `a"c`, "a,c", "a#c", "a~c", "a/c", "a:c", "Álvarez", "São Paulo", "Ølstykke", "Ștefan", "ǅ",
}

// likePatterns are T-SQL patterns (parsed by parsePattern).
var likePatterns = []string{
	"a_c", "a%", "%c", "%", "_", "__", "a%c", "abc", "[ax]bc", "a[%]c", "a[_]c", "a[[]c", "a]c", `a[\x]c`, "a[*?]c",
	"a[.|]c", "a[+(]c", "a[{}]c", "a[$^]c", "a[!-]c", "a[-!]c", "a[^b]c", "[a-c]%", "[^a-c]%", "[éx]%", "[É]%",
	"[a-c][a-c][a-c]", "[^a-z]", "%[^a-z0-9 ]%", "%!%", `a\c`, `a\%`, `%[\!]%`, "%.c", "a.c", "a[.]c", "%[%]", "[0-9]%[%]",
	"%[_]%", "_[#~]_", "a[/:]c", "a[,']c", `a["]c`, "%[ï]%", "%[Ïx]%", "[日x]_", "a^c", "a$c", "a{1}", "a(c)", "a+c", "a|c",
	"a*c", "a?c", "[a][b][c]", "%[^]", "[^%]", "%[a-c]%[a-c]%", "a[ \n]c", "%[\n]", "sao%", "SÃO%", "[à-é]%", "%[øo]%", "[s]%",
}

// likeRef is the reference semantics: T-SQL LIKE under a case-insensitive
// collation, classes as code-point sets on lower-cased text.
func likeRef(p plan.Pattern, s string) bool { return likeRefAs(p, s, true) }

// refFold lower-cases s and, unless accentSensitive, replaces a letter of
// U+00C0–U+024F whose NFD (golang.org/x/text, not internal/collate's
// table) is an ASCII letter and combining marks by that letter.
func refFold(s string, accentSensitive bool) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		if accentSensitive || r < 0xC0 || r > 0x24F {
			return r
		}
		d := []rune(unorm.NFD.String(string(r)))
		if len(d) < 2 || d[0] >= 0x80 || !unicode.IsLetter(d[0]) {
			return r
		}
		for _, m := range d[1:] {
			if m < 0x300 || m > 0x36F {
				return r
			}
		}
		return d[0]
	}, s)
}

// likeRefAs is likeRef with accents folded unless accentSensitive.
func likeRefAs(p plan.Pattern, s string, accentSensitive bool) bool {
	lower := func(s string) string { return refFold(s, accentSensitive) }
	rs := []rune(lower(s))
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(p) {
			return j == len(rs)
		}
		el := p[i]
		switch el.Kind {
		case plan.PatAnyRun:
			for k := j; k <= len(rs); k++ {
				if match(i+1, k) {
					return true
				}
			}
			return false
		case plan.PatAnyOne:
			return j < len(rs) && match(i+1, j+1)
		case plan.PatLiteral:
			lit := []rune(lower(el.Lit))
			if len(rs)-j < len(lit) || string(rs[j:j+len(lit)]) != string(lit) {
				return false
			}
			return match(i+1, j+len(lit))
		case plan.PatClass:
			if j >= len(rs) {
				return false
			}
			m := []rune(lower(el.Lit))
			in := false
			for k := 0; k < len(m); k++ {
				if k+2 < len(m) && m[k+1] == '-' {
					if rs[j] >= m[k] && rs[j] <= m[k+2] {
						in = true
					}
					k += 2
					continue
				}
				if m[k] == rs[j] {
					in = true
				}
			}
			return in != el.Negated && match(i+1, j+1)
		}
		return false
	}
	return match(0, 0)
}

func TestLikeRef(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"a[%]c", "a%c", true}, {"a[%]c", "abc", false}, {"[a-c]%", "Bob", true}, {"[^a-c]%", "Bob", false},
		{"a_c", "a\nc", true}, {"%[!-]", "x-", true}, {"É%", "école", true}, {"[[]%", "[x", true},
	} {
		if got := likeRef(parsePattern(c.p), c.s); got != c.want {
			t.Errorf("likeRef(%q, %q) = %v", c.p, c.s, got)
		}
	}
	if !unicode.IsLower('é') {
		t.Fatal("unicode tables")
	}
}

// TestTranslatePattern checks the pattern text for each style.
func TestTranslatePattern(t *testing.T) {
	cases := []struct {
		pattern                       string
		tsql, escape, similar, regexp string
		glob                          string
	}{
		{"a_c%", "a_c%", "a_c%", "a_c%", `(?s)^a.c.*\z`, "a?c*"},
		{"A[%]B[_]C[[]D", "A[%]B[_]C[[]D", "a!%b!_c[d", "a!%b!_c![d", `(?s)^a%b_c\[d\z`, "a%b_c[[]d"},
		{"x!y", "x!y", "x!!y", "x!!y", `(?s)^x!y\z`, "x!y"},
		{"[A-C]*?", "[A-C]*?", "", "[a-c]!*!?", `(?s)^[a-c]\*\?\z`, "[a-c][*][?]"},
		{"[^a.|]", "[^a.|]", "", "[^a!.!|]", `(?s)^[^a\.\|]\z`, "[^a.|]"},
		{`(x)\.+{2}$^`, `(x)\.+{2}$^`, `(x)\.+{2}$^`, `!(x!)\.!+!{2!}$^`, `(?s)^\(x\)\\\.\+\{2\}\$\^\z`, `(x)\.+{2}$^`},
		{"ÉÏ[Éa-c]", "ÉÏ[Éa-c]", "", "éï[éa-c]", `(?s)^éï[éa-c]\z`, "éï[éa-c]"},
	}
	for _, c := range cases {
		p := parsePattern(c.pattern)
		check := func(style matchStyle, lower bool, want string) {
			if want == "" {
				return
			}
			got, msg := translatePattern(p, style, lower, false)
			if msg != "" || got != want {
				t.Errorf("%q style %d: got %q (%s), want %q", c.pattern, style, got, msg, want)
			}
		}
		check(matchTSQL, false, c.tsql)
		check(matchEscape, true, c.escape)
		check(matchSimilar, true, c.similar)
		check(matchRegexp, true, c.regexp)
		check(matchGlob, true, c.glob)
	}
	if _, msg := translatePattern(plan.Pattern{{Kind: plan.PatClass}}, matchGlob, true, false); msg == "" {
		t.Error("empty class accepted")
	}
	// A non-negated class whose first member is ^ (not from the T-SQL
	// parser, but valid plan input) keeps its meaning under GLOB.
	got, _ := translatePattern(plan.Pattern{{Kind: plan.PatClass, Lit: "^a"}}, matchGlob, true, false)
	if got != "[a^]" {
		t.Errorf("GLOB leading ^: %q", got)
	}
}

// TestExecuteLikeMatrix runs every pattern over every subject string on
// the real engines and compares with likeRef.
func TestExecuteLikeMatrix(t *testing.T) {
	engines(t, func(t *testing.T, tdb *testDB) {
		tbl := plan.NewTable(plan.Table{LogicalName: "str", PhysicalName: tdb.prefix + "str", PrimaryKey: "id", Columns: []*plan.Column{
			{LogicalName: "id", Type: plan.TInteger}, {LogicalName: "s", Type: plan.TString},
		}})
		ty := tdb.types()
		if _, err := tdb.db.Exec("CREATE TABLE " + q(tdb.d, tbl.PhysicalName) + " (id " + ty.int + " PRIMARY KEY, s " + ty.text + ")" + ty.tableSuffix); err != nil {
			t.Fatal(err)
		}
		ph := "?, ?"
		if tdb.d.Caps().Params == ParamDollar {
			ph = "$1, $2"
		}
		for i, s := range likeStrings {
			if _, err := tdb.db.Exec("INSERT INTO "+q(tdb.d, tbl.PhysicalName)+" VALUES ("+ph+")", i, s); err != nil {
				t.Fatal(err)
			}
		}
		for _, pat := range likePatterns {
			for _, mode := range [...]struct {
				neg, sensitive bool
			}{{false, false}, {true, false}, {false, true}, {true, true}} {
				neg := mode.neg
				name := fmt.Sprintf("%q", pat)
				if neg {
					name = "not " + name
				}
				if mode.sensitive {
					name += " accent-sensitive"
				}
				t.Run(name, func(t *testing.T) {
					r := root("s", tbl)
					p := parsePattern(pat)
					r.Filter = &plan.Like{Col: ref(r, "s"), Pattern: p, Not: neg}
					st, err := Emit(&plan.Plan{Root: r, Columns: outs(r, "id"), AccentSensitive: mode.sensitive}, tdb.d)
					if err != nil {
						t.Fatal(err)
					}
					rows, err := tdb.query(st)
					if err != nil {
						t.Fatalf("%v\n%s", err, st)
					}
					var got, want []string
					for _, row := range rows {
						got = append(got, row[0])
					}
					for i, s := range likeStrings {
						if likeRefAs(p, s, mode.sensitive) != neg {
							want = append(want, fmt.Sprint(i))
						}
					}
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						var gs, ws []string
						for _, x := range got {
							gs = append(gs, strs(x))
						}
						for _, x := range want {
							ws = append(ws, strs(x))
						}
						t.Errorf("got %q\nwant %q\n%s", gs, ws, st)
					}
				})
			}
		}
	})
}

func strs(i string) string {
	var n int
	fmt.Sscan(i, &n)
	return likeStrings[n]
}
