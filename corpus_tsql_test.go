package vecompile_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The SQL 4 CDS corpus: reading and adapting the expected T-SQL to SQLite
// (see corpus_test.go).

// sql4cdsTSQL is the shape of an expected statement that the comparison
// needs: its main SELECT list, ORDER BY and TOP.
type sql4cdsTSQL struct {
	star    bool
	items   []string // select-list expressions (aliases removed)
	orderBy []sql4cdsOrder
	top     int
}

type sql4cdsOrder struct {
	expr string
	desc bool
}

// depth0 lists the offsets of the keyword (case-insensitive, whole word)
// outside parentheses and quotes.
func depth0(s, kw string) []int {
	var out []int
	depth, quoted := 0, false
	up, kwu := strings.ToUpper(s), strings.ToUpper(kw)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(up[i:], kwu):
			before := i == 0 || !isWordByte(s[i-1])
			after := i+len(kw) == len(s) || !isWordByte(s[i+len(kw)])
			if before && after {
				out = append(out, i)
			}
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// splitDepth0 splits on commas outside parentheses and quotes.
func splitDepth0(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

var (
	sql4cdsTopRE   = regexp.MustCompile(`(?i)^TOP\s+(\d+)\s+`)
	sql4cdsAliasRE = regexp.MustCompile(`(?i)\s+AS\s+\w+$`)
	sql4cdsDirRE   = regexp.MustCompile(`(?i)\s+(ASC|DESC)$`)
)

func parseTSQL(s string) (*sql4cdsTSQL, error) {
	sel := depth0(s, "SELECT")
	from := depth0(s, "FROM")
	if len(sel) != 1 || len(from) == 0 || from[0] < sel[0] {
		return nil, fmt.Errorf("cannot find the main SELECT … FROM")
	}
	list := strings.TrimSpace(s[sel[0]+len("SELECT") : from[0]])
	out := &sql4cdsTSQL{}
	if l, ok := cutPrefixFold(list, "DISTINCT "); ok {
		list = strings.TrimSpace(l)
	}
	if m := sql4cdsTopRE.FindStringSubmatch(list); m != nil {
		out.top, _ = strconv.Atoi(m[1])
		list = list[len(m[0]):]
	}
	if list == "*" {
		out.star = true
	} else {
		for _, it := range splitDepth0(list) {
			out.items = append(out.items, sql4cdsAliasRE.ReplaceAllString(it, ""))
		}
	}
	if ob := depth0(s, "ORDER BY"); len(ob) > 0 {
		for _, it := range splitDepth0(s[ob[0]+len("ORDER BY"):]) {
			o := sql4cdsOrder{expr: it}
			if m := sql4cdsDirRE.FindStringSubmatch(it); m != nil {
				o.desc = strings.EqualFold(m[1], "DESC")
				o.expr = strings.TrimSpace(it[:len(it)-len(m[0])])
			}
			out.orderBy = append(out.orderBy, o)
		}
	}
	return out, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

var (
	sql4cdsDateRE  = regexp.MustCompile(`\{DateTime\.(Now|Today)((?:\.Add(?:Years|Months|Days|Hours|Minutes|Seconds)\(-?\d+\))*):s\}`)
	sql4cdsAddRE   = regexp.MustCompile(`\.Add(Years|Months|Days|Hours|Minutes|Seconds)\((-?\d+)\)`)
	sql4cdsNoLock  = regexp.MustCompile(`(?i)\s+WITH\s*\(\s*NOLOCK\s*\)`)
	sql4cdsArchive = regexp.MustCompile(`(?i)\barchive\.`)
	sql4cdsUser    = regexp.MustCompile(`\bCURRENT_USER\b`)
	sql4cdsTopSel  = regexp.MustCompile(`(?i)\bSELECT\s+TOP\s+(\d+)\s+`)
	sql4cdsParamRE = regexp.MustCompile(`@(\w+)`)
)

// adaptTSQL rewrites expected T-SQL mechanically for SQLite and returns
// the named arguments it needs.
func adaptTSQL(s string) (string, []any, error) {
	s = sql4cdsNoLock.ReplaceAllString(s, "")
	s = sql4cdsArchive.ReplaceAllString(s, "")
	s = sql4cdsUser.ReplaceAllString(s, "'"+sql4cdsCaller.UserID+"'")
	s = strings.ReplaceAll(s, "{WhoAmIHandler.BusinessUnitId:D}", sql4cdsCaller.BusinessUnitID)
	var bad error
	s = sql4cdsDateRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := sql4cdsDateRE.FindStringSubmatch(m)
		t := sql4cdsNow
		if sub[1] == "Today" {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		for _, a := range sql4cdsAddRE.FindAllStringSubmatch(sub[2], -1) {
			n, _ := strconv.Atoi(a[2])
			switch a[1] {
			case "Years":
				t = t.AddDate(n, 0, 0)
			case "Months":
				t = t.AddDate(0, n, 0)
			case "Days":
				t = t.AddDate(0, 0, n)
			case "Hours":
				t = t.Add(time.Duration(n) * time.Hour)
			case "Minutes":
				t = t.Add(time.Duration(n) * time.Minute)
			case "Seconds":
				t = t.Add(time.Duration(n) * time.Second)
			}
		}
		return sql4cdsTime(t)
	})
	if strings.Contains(s, "{") {
		return "", nil, fmt.Errorf("unresolved placeholder in %q", s)
	}
	if m := sql4cdsTopSel.FindStringSubmatchIndex(s); m != nil {
		n := s[m[2]:m[3]]
		s = s[:m[0]] + "SELECT " + s[m[1]:] + " LIMIT " + n
	}
	var args []any
	for _, m := range sql4cdsParamRE.FindAllStringSubmatch(s, -1) {
		v, ok := sql4cdsParams[m[1]]
		if !ok {
			bad = fmt.Errorf("no value for parameter @%s", m[1])
			continue
		}
		if !slices.ContainsFunc(args, func(a any) bool { return a.(sql.NamedArg).Name == m[1] }) {
			args = append(args, sql.Named(m[1], v))
		}
	}
	return s, args, bad
}

// unqualified strips a table qualifier.
func unqualified(expr string) string {
	if i := strings.LastIndexByte(expr, '.'); i >= 0 {
		return expr[i+1:]
	}
	return expr
}
