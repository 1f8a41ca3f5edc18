package odata

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vecompile/vecompile/internal/diag"
)

// The OASIS ABNF test cases (../shared/odata-abnf), read in place.
const abnfDir = "../../../shared/odata-abnf"

// abnfFloor is just under the achieved rate; the test fails below it.
const abnfFloor = 0.96

type abnfCase struct {
	File, Name, Rule, Input string
	Fail                    bool // FailAt given: the input must not parse
}

// readCases reads the TestCases list of an OASIS test-case file: a YAML
// subset (list items of "Key: value" pairs; plain, single- and
// double-quoted scalars, folded over continuation lines).
func readCases(t *testing.T, path string) []abnfCase {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("OASIS ABNF test cases not found (%v)", err)
	}
	defer f.Close()
	var cases []abnfCase
	var cur map[string]string
	var key string
	flush := func() {
		if cur != nil && cur["Rule"] != "" {
			_, fail := cur["FailAt"]
			cases = append(cases, abnfCase{File: filepath.Base(path), Name: unyaml(cur["Name"]), Rule: unyaml(cur["Rule"]), Input: unyaml(cur["Input"]), Fail: fail})
		}
		cur, key = nil, ""
	}
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "TestCases:") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		trim := strings.TrimSpace(line)
		if trim == "" {
			continue
		}
		if strings.HasPrefix(trim, "- ") {
			flush()
			cur = map[string]string{}
			trim = strings.TrimSpace(trim[2:])
		}
		if cur == nil {
			continue
		}
		if k, v, ok := strings.Cut(trim, ":"); ok && isKey(k) && (v == "" || v[0] == ' ') {
			key = k
			cur[k] = strings.TrimSpace(v)
			continue
		}
		if key != "" {
			prev := cur[key]
			switch {
			case prev == "":
				cur[key] = trim
			case strings.HasSuffix(prev, `\`) && strings.HasPrefix(prev, `"`):
				cur[key] = prev[:len(prev)-1] + trim
			default:
				cur[key] = prev + " " + trim
			}
		}
	}
	flush()
	return cases
}

func isKey(k string) bool {
	switch k {
	case "Name", "Rule", "Input", "FailAt", "Expect":
		return true
	}
	return false
}

func unyaml(v string) string {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\/`, `/`, `\t`, "\t", `\n`, "\n")
		return r.Replace(v[1 : len(v)-1])
	}
	return v
}

// supportedOptions are the query options the parser reads.
var supportedOptions = map[string]bool{"filter": true, "select": true, "expand": true, "orderby": true, "top": true, "skip": true, "count": true, "search": true, "apply": true}

// optionsApply reports whether every option of a query string is one the
// parser reads (with or without the 4.01 optional $).
func optionsApply(q string) bool {
	for _, part := range strings.Split(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		if !supportedOptions[strings.ToLower(strings.TrimPrefix(name, "$"))] {
			return false
		}
	}
	return true
}

// expressionRules are tested as a $filter value; literalRules as a single
// literal token.
var expressionRules = map[string]bool{"commonExpr": true, "boolCommonExpr": true, "boolcommonExpr": true, "firstMemberExpr": true,
	"propertyPathExpr": true, "isofExpr": true, "anyExpr": true, "notExpr": true}

var literalRules = map[string]bool{"primitiveLiteral": true, "binaryLiteral": true, "boolean": true, "date": true, "guid": true, `"null"`: true,
	"enumLiteral": true, "durationLiteral": true, "timeOfDayLiteral": true, "dateTimeOffsetLiteral": true, "decimalLiteral": true,
	"doubleLiteral": true, "singleLiteral": true, "int16Literal": true, "int32Literal": true, "int64Literal": true, "sbyteLiteral": true,
	"stringLiteral": true}

var optionRules = map[string]bool{"queryOptions": true, "filter": true, "select": true, "expand": true, "orderby": true, "orderBy": true, "search": true}

// applicable returns how to run a case, or "" when it does not apply.
func applicable(c abnfCase) string {
	switch {
	case expressionRules[c.Rule]:
		return "expr"
	case literalRules[c.Rule]:
		return "literal"
	case optionRules[c.Rule]:
		if optionsApply(c.Input) {
			return "options"
		}
	case c.Rule == "odataRelativeUri":
		path, q, _ := strings.Cut(c.Input, "?")
		if path != "" && identEnd(path, 0) == len(path) && (q == "" || optionsApply(q)) {
			return "uri"
		}
	}
	return ""
}

func runCase(c abnfCase, how string) bool {
	switch how {
	case "expr":
		in, _, err := decode(c.Input)
		if c.Rule == "anyExpr" {
			in = "coll/" + in // the rule is the segment after a path
		}
		if err != nil {
			return false
		}
		_, err = ParseRequest(diag.NewSource("abnf", []byte("x?$filter="+escapeAmp(in))))
		return err == nil
	case "literal":
		in, _, err := decode(c.Input)
		return err == nil && isLiteralText(in, c.Rule)
	case "options":
		_, err := ParseRequest(diag.NewSource("abnf", []byte("x?"+c.Input)))
		return err == nil
	case "uri":
		_, err := ParseRequest(diag.NewSource("abnf", []byte(c.Input)))
		return err == nil
	}
	return false
}

// escapeAmp keeps a decoded expression's & inside the one option.
func escapeAmp(s string) string { return strings.ReplaceAll(s, "&", "%26") }

// literalTypes are the token types each literal rule admits.
var literalTypes = map[string][]lexer.TokenType{
	"binaryLiteral": {tTyped}, "boolean": {tBool}, "date": {tDate}, "guid": {tGUID}, `"null"`: {tNull},
	"enumLiteral": {tTyped, tString}, "durationLiteral": {tTyped, tString}, "timeOfDayLiteral": {tTime}, "dateTimeOffsetLiteral": {tDateTime},
	"decimalLiteral": {tNumber}, "doubleLiteral": {tNumber}, "singleLiteral": {tNumber}, "int16Literal": {tNumber},
	"int32Literal": {tNumber}, "int64Literal": {tNumber}, "sbyteLiteral": {tNumber}, "stringLiteral": {tString},
}

// isLiteralText reports whether s is exactly one valid literal token of
// the kind the rule names.
func isLiteralText(s, rule string) bool {
	sc := &scanner{src: s}
	t, _ := sc.Next()
	if t.Type == tIdent || t.Type == tPunct || t.Type == tBad || t.Type == tEOF || t.Type == tDQString {
		return false
	}
	if want, ok := literalTypes[rule]; ok && !slices.Contains(want, t.Type) {
		return false
	}
	prefix, _, _ := strings.Cut(t.Value, "'")
	switch {
	case t.Type == tString:
	case rule == "binaryLiteral" || rule == "durationLiteral":
		if !strings.EqualFold(prefix, strings.TrimSuffix(rule, "Literal")) {
			return false
		}
	case rule == "enumLiteral":
		if strings.IndexByte(prefix, '.') < 0 {
			return false
		}
	}
	end, _ := sc.Next()
	return end.Type == tEOF && len(t.Value) == len(s)
}

func TestOASISABNF(t *testing.T) {
	var cases []abnfCase
	// The temporal extension ($at, $from, $to) is not Dataverse's: its
	// file is not applicable.
	for _, f := range []string{"odata-abnf-testcases.yaml", "odata-aggregation-testcases.yaml"} {
		cases = append(cases, readCases(t, filepath.Join(abnfDir, f))...)
	}
	if len(cases) < 1000 {
		t.Fatalf("read only %d test cases: reader out of step with the files", len(cases))
	}
	pass, total := 0, 0
	var failures []string
	for _, c := range cases {
		how := applicable(c)
		if how == "" {
			continue
		}
		total++
		ok := runCase(c, how) != c.Fail
		if ok {
			pass++
		} else {
			failures = append(failures, fmt.Sprintf("%s %s (%s, must fail: %v): %q", c.File, c.Rule, c.Name, c.Fail, c.Input))
		}
	}
	fmt.Printf("OASIS ABNF: %d/%d\n", pass, total)
	if testing.Verbose() {
		for _, f := range failures {
			t.Log(f)
		}
	}
	if float64(pass) < abnfFloor*float64(total) {
		t.Errorf("OASIS ABNF: %d/%d is below the floor %.0f%%", pass, total, abnfFloor*100)
	}
}
